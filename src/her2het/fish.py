"""ERBB2 FISH scoring from per-cell signal counts: ASCO/CAP groups, HET calls, spatial patterns.

Input: a per-cell table with columns ``sample``, ``area``, ``cell``, ``erbb2``, ``cep17`` and
optionally ``x``, ``y`` (micrometres) and ``ihc`` (0-3). Everything is computed with vectorised
numpy group operations on integer codes; the only Python loop runs over areas (for the spatial
statistic), never over cells.

Definitions (all thresholds are :class:`FishParams` fields, set from the config; the table
of definitions with their sources is ``docs/fish.md``):

* **Cells counted**: cells with ``cep17 >= 1``. Cells with ``cep17 == 0`` have no defined ratio;
  they are excluded and counted in ``n_excluded_cep17_zero``. An area or sample with fewer than
  ``min_cells`` counted cells (default 20, the guideline's minimum), including one whose cells
  all have CEP17 = 0, is ``not evaluable`` for every call, with ``not_evaluable_reason``.
* **Area / sample ratio**: mean ERBB2 per cell / mean CEP17 per cell over the cells counted (the
  ratio of averages, as in the guideline), i.e. ``sum(erbb2) / sum(cep17)``.
* **ASCO/CAP 2018 group** (dual-probe ISH), evaluated in exact integer arithmetic so that
  boundaries (ratio exactly 2.0; mean copies exactly 4.0 or 6.0) fall on the documented side:
  1: ratio >= 2 and mean >= 4; 2: ratio >= 2 and mean < 4; 3: ratio < 2 and mean >= 6;
  4: ratio < 2 and 4 <= mean < 6; 5: ratio < 2 and mean < 4.
* **Result** (``guideline``, 2013 or 2018; :func:`asco_cap_result`): 2013 (in force during
  the trial, 2014-2016) calls ratio >= 2.0 or mean >= 6.0 positive and needs IHC only for
  group 4; 2018 needs IHC for groups 2-4 (the recount is taken to confirm the count). The
  area's IHC score (:func:`ihc_area_score`) is the highest *s* with more than 10% of cells
  scoring >= *s*; intense complete staining in at most 10% of cells scores 2+. Without IHC a
  result that needs it is ``equivocal (IHC needed)``.
* **Amplified cell** (``cell_rule``; :func:`amplified_cells`): default ``ratio_and_copies`` =
  ratio >= 2.0 with >= 4 ERBB2 signals, or >= 6 signals; ``ratio_or_copies`` (the rule before
  issue 16) calls 2/1 and 3/1 truncated nuclei amplified. **HER2-negative cell**: ratio < 2.0
  and fewer than 4 ERBB2 copies.
* **HET, trial definition** (NCT02326974): an area with more than 5% and less than 50% amplified
  cells, or a HER2-negative area (result ``negative``); ``undetermined (IHC needed)`` when not
  HET and the result waits for IHC. A sample is HET if any area is.
* **HET, CAP 2009** (Vance et al. 2009): more than 5% and less than 50% of cells with a cell
  ratio > 2.2 (the per-cell criterion that source states), over all cells of the sample.
* **HET, ASCO/CAP 2013**: a second population of >= 10% of cells with a different
  amplification status (the minority of amplified vs non-amplified cells, per ``cell_rule``),
  which must contain at least 20 cells to be counted separately; if it is >= 10% but has fewer
  than 20 cells the call is ``not evaluable``.
* **Spatial pattern within an area** (needs x, y): ``homogeneous`` if at least
  ``homogeneous_min_fraction`` of cells are amplified, ``her2_negative`` if at most
  ``negative_max_fraction`` are; otherwise Moran's I of the amplified-cell indicator on the
  row-standardised k-nearest-neighbour graph (scipy ``cKDTree``) separates ``clustered``
  (I >= ``clustered_min_morans_i``: a contiguous amplified region inside the area) from
  spatially random labels, which are ``scattered`` (fraction amplified <
  ``scattered_max_fraction``: isolated amplified cells) or ``mosaic`` (diffuse intermingling).
* **Clustered ITH across areas and biopsies** (:func:`across_area_pattern`; the review's
  "two distinct areas with different HER2 gene amplification"): one area (or biopsy) ISH
  amplified and another not. The sample's ``spatial_pattern`` is ``clustered`` then, else the
  most heterogeneous within-area pattern (``within_area_pattern``).
* **HER2 spectrum** (needs IHC; :func:`her2_ihc_category`): IHC 0 (null), IHC 0 (ultralow),
  IHC 1+ and IHC 2+ ISH-negative (HER2-low), HER2-positive, per area, sample and patient.
* **Gene-protein concordance per cell** (needs IHC): fractions of classic HER2+ cells
  (amplified with protein, per-cell IHC >= ``protein_min_ihc``), amplified without protein,
  protein without amplification, and neither. ``protein_min_ihc`` 2 (default): complete
  membrane staining of any intensity counts as protein, so "amplified without protein" is
  IHC 0/1+ (the threshold the non-genetic ITH call used before issue 16); 3: only intense
  complete staining counts. **Genetic ITH**: classic and HER2-negative cells each
  >= ``ith_min_fraction``; **non-genetic**: classic and amplified-without-protein cells each
  >= ``ith_min_fraction`` (:func:`ith_type`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api.typing import SeriesGroupBy
from scipy.spatial import cKDTree

if TYPE_CHECKING:
    import anndata as ad

NOT_EVALUABLE = "not evaluable"
IHC_NEEDED = "equivocal (IHC needed)"
UNDETERMINED = "undetermined (IHC needed)"
EQUIVOCAL = "equivocal"
CELL_RULES = ("ratio_and_copies", "ratio_or_copies")
GUIDELINES = (2013, 2018)
PATTERN_ORDER = ("homogeneous", "her2_negative", "scattered", "mosaic", "clustered")
#: ASCO/CAP 2018 reading of each ISH group before the IHC work-up (see :func:`asco_cap_result`)
RESULTS = {
    1: "positive",
    2: "negative unless IHC 3+",
    3: "positive if IHC 2+/3+",
    4: "negative unless IHC 3+",
    5: "negative",
}


@dataclass(frozen=True)
class FishParams:
    """Thresholds of the FISH scoring (see the module docstring)."""

    cell_rule: str = "ratio_and_copies"
    cell_ratio: float = 2.0
    cell_min_copies: int = 4
    cell_copies: int = 6
    guideline: int = 2013
    min_cells: int = 20
    spatial: bool = True
    k_neighbours: int = 8
    clustered_min_morans_i: float = 0.25
    homogeneous_min_fraction: float = 0.9
    negative_max_fraction: float = 0.05
    scattered_max_fraction: float = 0.2
    ith_min_fraction: float = 0.1
    protein_min_ihc: int = 2
    rna_discordance_log2: float = 1.0

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> FishParams:
        """Build from the config's ``fish`` section (validated by the config schema)."""
        flat = {k: v for k, v in cfg.items() if k != "spatial_pattern"}
        spatial = dict(cfg.get("spatial_pattern") or {})
        if "enabled" in spatial:
            flat["spatial"] = spatial.pop("enabled")
        flat.update(spatial)
        names = {f.name for f in fields(cls)}
        unknown = set(flat) - names
        if unknown:
            raise ValueError(f"unknown FISH parameter(s): {sorted(unknown)}")
        if "guideline" in flat:
            flat["guideline"] = int(flat["guideline"])
        return cls(**flat)

    def __post_init__(self) -> None:
        if self.cell_rule not in CELL_RULES:
            raise ValueError(f"cell_rule {self.cell_rule!r}: expected one of {CELL_RULES}")
        if self.guideline not in GUIDELINES:
            raise ValueError(f"guideline {self.guideline!r}: expected one of {GUIDELINES}")


# --------------------------------------------------------------------------------------------
# Per-cell and per-group primitives (exact arithmetic)
# --------------------------------------------------------------------------------------------


def amplified_cells(
    erbb2: np.ndarray, cep17: np.ndarray, params: FishParams = FishParams()
) -> np.ndarray:
    """Per-nucleus amplification call (cells with ``cep17 >= 1``), by ``params.cell_rule``.

    ``ratio_and_copies`` (default): ratio >= ``cell_ratio`` *with* at least ``cell_min_copies``
    ERBB2 signals, or at least ``cell_copies`` ERBB2 signals at any ratio. These are the
    ASCO/CAP group-1 thresholds (ratio >= 2.0 and >= 4.0 copies) and the 6-copy rule applied to
    one nucleus, so 2 ERBB2 / 1 CEP17 or 3 / 1 (a CEP17 signal lost to sectioning: a
    truncation artefact, Lewis et al. and Bartlett et al., Am J Clin Pathol 2011) is *not*
    amplified. ``ratio_or_copies`` (the rule before issue 16): ratio >= ``cell_ratio`` at any
    copy number, or >= ``cell_copies`` signals; it calls such truncated nuclei amplified.

    Parameters
    ----------
    erbb2, cep17
        Signal counts per nucleus (integers, ``cep17 >= 1``).
    params
        ``cell_rule``, ``cell_ratio``, ``cell_min_copies`` and ``cell_copies`` are used.

    Returns
    -------
    numpy.ndarray
        Boolean per nucleus.
    """
    ratio_hi = erbb2 >= params.cell_ratio * cep17
    if params.cell_rule == "ratio_and_copies":
        ratio_hi = ratio_hi & (erbb2 >= params.cell_min_copies)
    return ratio_hi | (erbb2 >= params.cell_copies)


def asco_cap_group(sum_erbb2: np.ndarray, sum_cep17: np.ndarray, n_cells: np.ndarray) -> np.ndarray:
    """ASCO/CAP 2018 ISH group (1-5) from per-group sums, in exact integer arithmetic.

    ratio >= 2  <=>  sum_erbb2 >= 2 * sum_cep17;  mean >= c  <=>  sum_erbb2 >= c * n_cells.
    Returns 0 where ``n_cells`` is 0.
    """
    e, c, n = (np.asarray(a, dtype=np.int64) for a in (sum_erbb2, sum_cep17, n_cells))
    ratio_hi = e >= 2 * c
    mean4, mean6 = e >= 4 * n, e >= 6 * n
    group = np.where(
        ratio_hi,
        np.where(mean4, 1, 2),
        np.where(mean6, 3, np.where(mean4, 4, 5)),
    )
    return np.where(n > 0, group, 0)


def ihc_area_score(ihc_counts: np.ndarray) -> np.ndarray:
    """IHC score per group from counts of cells scoring 0..3 (shape ``(groups, 4)``).

    Per-cell scores: 3 = intense complete membrane staining, 2 = weak to moderate complete,
    1 = faint incomplete, 0 = none. The area score is the highest *s* with more than 10% of
    cells scoring >= *s* (ASCO/CAP 2013 and 2018), except that intense complete staining in
    at most 10% of cells (at least one 3+ cell) scores **2+** (equivocal): ASCO/CAP 2013 lists
    it under 2+, and ASCO/CAP 2018 (Figure 1 note) treats this unusual pattern as 2+ with ISH
    work-up. Exact integer arithmetic: 10% exactly is "at most 10%".
    """
    n = ihc_counts.sum(axis=1)
    at_least = np.cumsum(ihc_counts[:, ::-1], axis=1)[:, ::-1]  # cells scoring >= s
    over = 10 * at_least > n[:, None]
    score = np.where(over[:, 3], 3, np.where(over[:, 2], 2, np.where(over[:, 1], 1, 0)))
    limited_intense = (at_least[:, 3] > 0) & ~over[:, 3]
    return np.where(limited_intense, np.maximum(score, 2), score)


def ish_status(group: np.ndarray, guideline: int = 2013) -> np.ndarray:
    """Gene-level (ISH-only) status per group: ``amplified``, ``not amplified`` or ``equivocal``.

    ASCO/CAP 2013 (Wolff et al. 2013): amplified if ratio >= 2.0 or mean >= 6.0 copies (groups
    1-3), equivocal if ratio < 2.0 and 4.0 <= mean < 6.0 (group 4), else not amplified.
    ASCO/CAP 2018 (Wolff et al. 2018): group 1 amplified, group 5 not amplified, groups 2-4
    equivocal until the IHC work-up. ``not evaluable`` where ``group`` is 0.
    """
    g = np.asarray(group)
    amp = np.isin(g, (1, 2, 3)) if guideline == 2013 else g == 1
    out = np.where(amp, "amplified", np.where(g == 5, "not amplified", EQUIVOCAL)).astype(object)
    out[g == 0] = NOT_EVALUABLE
    return out


def asco_cap_result(group: np.ndarray, ihc: np.ndarray | None, guideline: int = 2013) -> np.ndarray:
    """Final ISH result per group with the concurrent IHC work-up of ``guideline``.

    * **2018** (Wolff et al. 2018, ISH groups): group 1 positive, group 5 negative; groups 2
      and 4 positive only with IHC 3+, group 3 positive with IHC 2+ or 3+, otherwise negative.
      With IHC 2+ the guideline asks for a blinded recount of at least 20 cells; the table is
      that count, so the recount is taken to confirm the group (the result above).
    * **2013** (Wolff et al. 2013): ratio >= 2.0 or mean >= 6.0 positive (groups 1-3), group 5
      negative; ISH-equivocal (group 4) is positive with IHC 3+, negative with IHC 0/1+ and
      stays ``equivocal`` with IHC 2+ (double equivocal).

    Where the work-up needs IHC and ``ihc`` is None the result is ``equivocal (IHC needed)``.
    ``not evaluable`` where ``group`` is 0.
    """
    g = np.asarray(group)
    needs = np.isin(g, (2, 3, 4)) if guideline == 2018 else g == 4
    base = np.where(np.isin(g, (1, 2, 3)) if guideline == 2013 else g == 1, "positive", "negative")
    out = base.astype(object)
    if ihc is None:
        out[needs] = IHC_NEEDED
    else:
        ihc = np.asarray(ihc)
        if guideline == 2018:
            pos = ((g == 3) & (ihc >= 2)) | (np.isin(g, (2, 4)) & (ihc == 3))
            out[needs] = np.where(pos, "positive", "negative")[needs]
        else:
            wk = np.where(ihc == 3, "positive", np.where(ihc == 2, EQUIVOCAL, "negative"))
            out[needs] = wk[needs]
    out[g == 0] = NOT_EVALUABLE
    return out


def het_trial(n_amp: np.ndarray, n: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Trial HET per area (NCT02326974; Li et al., J Clin Invest 2024).

    ``HET`` when more than 5% and less than 50% of cells are amplified (exact integer
    arithmetic), or the area is HER2-negative (ASCO/CAP ``result`` ``negative``); otherwise
    ``undetermined (IHC needed)`` when the result waits for IHC the table lacks (a non-HET call
    would depend on it), else ``non-HET``.
    """
    n_amp, n = np.asarray(n_amp, dtype=np.int64), np.asarray(n, dtype=np.int64)
    result = np.asarray(result, dtype=object)
    het = ((20 * n_amp > n) & (2 * n_amp < n)) | (result == "negative")
    return np.where(het, "HET", np.where(result == IHC_NEEDED, UNDETERMINED, "non-HET")).astype(
        object
    )


def het_cap2009(n_amp22: np.ndarray, n: np.ndarray) -> np.ndarray:
    """CAP 2009: more than 5% and less than 50% of cells with ratio > 2.2 (exact)."""
    n_amp22, n = np.asarray(n_amp22, dtype=np.int64), np.asarray(n, dtype=np.int64)
    return (20 * n_amp22 > n) & (2 * n_amp22 < n)


def het_asco2013(n_amp: np.ndarray, n: np.ndarray, min_cells: int = 20) -> np.ndarray:
    """ASCO/CAP 2013: minority population >= 10% of cells and >= ``min_cells`` cells.

    Returns an object array of ``"HET"``, ``"non-HET"`` or ``"not evaluable"`` (a >= 10% second
    population with fewer than ``min_cells`` cells cannot be counted separately).
    """
    n_amp, n = np.asarray(n_amp, dtype=np.int64), np.asarray(n, dtype=np.int64)
    minority = np.minimum(n_amp, n - n_amp)
    big = 10 * minority >= n
    out = np.where(big & (minority >= min_cells), "HET", "non-HET").astype(object)
    out[big & (minority < min_cells)] = NOT_EVALUABLE
    return out


def morans_i(xy: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Moran's I of a binary label on the row-standardised k-nearest-neighbour graph.

    ``I = sum_i z_i * mean_{j in N_k(i)} z_j / (sum_i z_i^2)`` with ``z = label - mean``; about
    ``-1/(n-1)`` for spatially random labels, approaching 1 for contiguous regions. NaN when all
    labels are equal or there are fewer than ``k + 1`` cells.
    """
    n = len(labels)
    if n <= k:
        return float("nan")
    z = labels.astype(np.float64) - labels.mean()
    denom = float(z @ z)
    if denom == 0.0:
        return float("nan")
    # an unbalanced, non-compacted tree builds faster and queries as fast for uniform-ish points
    tree = cKDTree(xy, balanced_tree=False, compact_nodes=False)
    _, idx = tree.query(xy, k=k + 1, workers=-1)
    neighbour_mean = z[idx[:, 1:]].sum(axis=1) / k  # column 0 is the cell itself
    return float(z @ neighbour_mean / denom)


def classify_pattern(frac_amp: np.ndarray, moran: np.ndarray, params: FishParams) -> np.ndarray:
    """Spatial pattern per area from the fraction amplified and Moran's I."""
    f, m = np.asarray(frac_amp, dtype=float), np.asarray(moran, dtype=float)
    clustered = np.nan_to_num(m, nan=-1.0) >= params.clustered_min_morans_i
    out = np.where(
        f >= params.homogeneous_min_fraction,
        "homogeneous",
        np.where(
            f <= params.negative_max_fraction,
            "her2_negative",
            np.where(
                clustered,
                "clustered",
                np.where(f < params.scattered_max_fraction, "scattered", "mosaic"),
            ),
        ),
    )
    return out.astype(object)


# --------------------------------------------------------------------------------------------
# Scoring a whole table
# --------------------------------------------------------------------------------------------


@dataclass
class FishScores:
    """Tables produced by :func:`score_cells` (each documented in ``workflow/report``)."""

    areas: pd.DataFrame
    samples: pd.DataFrame
    ratio_histogram: pd.DataFrame


def _sum_by(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=n_groups).round().astype(np.int64)


def _count(codes: np.ndarray, mask: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(codes, weights=mask, minlength=n_groups).astype(np.int64)


def _group_stats(
    codes: np.ndarray, n_groups: int, cells: dict[str, np.ndarray], params: FishParams
) -> dict[str, np.ndarray]:
    e, c = cells["erbb2"], cells["cep17"]
    amp = cells["amp"]
    stats = {
        "n_cells": np.bincount(codes, minlength=n_groups),
        "sum_erbb2": _sum_by(codes, e, n_groups),
        "sum_cep17": _sum_by(codes, c, n_groups),
        "n_amplified": _count(codes, amp, n_groups),
        # CAP 2009 states its own per-cell criterion: cell ratio > 2.2 (exact: 5 e > 11 c)
        "n_amp_cap2009": _count(codes, 5 * e > 11 * c, n_groups),
        "n_her2_negative_cells": _count(codes, (e < 2 * c) & (e < 4), n_groups),
    }
    if "ihc" in cells:
        ihc = cells["ihc"]
        stats["ihc_counts"] = np.stack(
            [_count(codes, ihc == s, n_groups) for s in range(4)], axis=1
        )
        protein = ihc >= params.protein_min_ihc  # the cell expresses HER2 protein
        stats["n_classic"] = _count(codes, amp & protein, n_groups)
        stats["n_amp_no_protein"] = _count(codes, amp & ~protein, n_groups)
        stats["n_protein_no_amp"] = _count(codes, ~amp & protein, n_groups)
        stats["n_gpa_negative"] = _count(codes, ~amp & ~protein, n_groups)
    return stats


GPA_CLASSES = ("classic", "amp_no_protein", "protein_no_amp", "gpa_negative")


def her2_ihc_category(
    ihc_score: np.ndarray, n_stained: np.ndarray, result: np.ndarray
) -> np.ndarray:
    """HER2 spectrum category per group from the area IHC score and the ISH result.

    ``HER2-positive`` when the ASCO/CAP result is positive; otherwise by IHC: ``IHC 0 (null)``
    (no cell stained), ``IHC 0 (ultralow)`` (area score 0 with some staining, i.e. faint
    incomplete staining in at most 10% of cells; DESTINY-Breast06 and the HER2-ITH review),
    ``IHC 1+ (HER2-low)``, ``IHC 2+ ISH-negative (HER2-low)`` (HER2-low: IHC 1+ or 2+ without
    ISH amplification, DESTINY-Breast04 and the review), ``IHC 2+ ISH-equivocal`` (2013 double
    equivocal) and ``IHC 3+ ISH-negative (discordant)`` (group 5 with IHC 3+: review the case).
    """
    score, result = np.asarray(ihc_score), np.asarray(result, dtype=object)
    zero = np.where(np.asarray(n_stained) > 0, "IHC 0 (ultralow)", "IHC 0 (null)")
    two = np.where(result == "negative", "IHC 2+ ISH-negative (HER2-low)", "IHC 2+ ISH-equivocal")
    by_ihc = np.select(
        [score == 0, score == 1, score == 2],
        [zero, "IHC 1+ (HER2-low)", two],
        "IHC 3+ ISH-negative (discordant)",
    )
    out = np.where(result == "positive", "HER2-positive", by_ihc).astype(object)
    out[result == NOT_EVALUABLE] = NOT_EVALUABLE
    return out


HER2_IHC_ORDER = (
    "IHC 0 (null)",
    "IHC 0 (ultralow)",
    "IHC 1+ (HER2-low)",
    "IHC 2+ ISH-negative (HER2-low)",
    "IHC 2+ ISH-equivocal",
    "IHC 3+ ISH-negative (discordant)",
    "HER2-positive",
)


def highest_her2_category(groups: SeriesGroupBy) -> pd.Series:
    """The highest category of :data:`HER2_IHC_ORDER` in each group of category labels."""
    rank = {c: i for i, c in enumerate(HER2_IHC_ORDER)}
    return groups.agg(lambda c: max(c, key=rank.__getitem__))


def ith_type(fractions: dict[str, np.ndarray], min_fraction: float) -> np.ndarray:
    """Genetic vs non-genetic ITH from the gene-protein fractions of an area (HER2-ITH review).

    Genetic: classic HER2+ cells (amplified, with protein) beside HER2-negative cells (neither
    amplified nor expressing protein), each at least ``min_fraction`` of the cells. Non-genetic: classic
    cells beside amplified cells without protein overexpression, each at least
    ``min_fraction``. Both -> ``genetic+non_genetic``; neither -> ``none``.
    """
    classic = fractions["classic"] >= min_fraction
    gen = classic & (fractions["gpa_negative"] >= min_fraction)
    non = classic & (fractions["amp_no_protein"] >= min_fraction)
    out = np.where(gen & non, "genetic+non_genetic", np.where(gen, "genetic", "none"))
    return np.where(non & ~gen, "non_genetic", out).astype(object)


def _not_evaluable_reason(n: np.ndarray, n_excluded: np.ndarray, min_cells: int) -> np.ndarray:
    few = np.char.add(
        np.char.add(np.asarray(n).astype(str), " counted cells, fewer than "), str(min_cells)
    )
    none = np.char.add(
        np.char.add("no cell with CEP17 >= 1 (", np.asarray(n_excluded).astype(str)),
        " excluded)",
    )
    return np.where(n >= min_cells, "", np.where(n == 0, none, few)).astype(object)


def _calls(
    stats: dict[str, np.ndarray], n_excluded: np.ndarray, params: FishParams
) -> dict[str, np.ndarray]:
    n = stats["n_cells"]
    ok = n >= params.min_cells
    safe_n = np.maximum(n, 1)
    group = np.where(ok, asco_cap_group(stats["sum_erbb2"], stats["sum_cep17"], n), 0)
    ihc = ihc_area_score(stats["ihc_counts"]) if "ihc_counts" in stats else None
    result = asco_cap_result(group, ihc, params.guideline)
    out: dict[str, np.ndarray] = {
        "n_cells": n,
        "evaluable": ok,
        "not_evaluable_reason": _not_evaluable_reason(n, n_excluded, params.min_cells),
        "mean_erbb2": stats["sum_erbb2"] / safe_n,
        "mean_cep17": stats["sum_cep17"] / safe_n,
        "ratio": stats["sum_erbb2"] / np.maximum(stats["sum_cep17"], 1),
        "asco_cap_group": group,
        "ish_status": ish_status(group, params.guideline),
        "asco_cap_result": result,
        "pct_amplified": 100 * stats["n_amplified"] / safe_n,
        "pct_her2_negative_cells": 100 * stats["n_her2_negative_cells"] / safe_n,
        "pct_amplified_cap2009": 100 * stats["n_amp_cap2009"] / safe_n,
    }
    out["het_trial"] = het_trial(stats["n_amplified"], n, result)
    out["het_cap2009"] = np.where(het_cap2009(stats["n_amp_cap2009"], n), "HET", "non-HET").astype(
        object
    )
    out["het_asco2013"] = het_asco2013(stats["n_amplified"], n)
    minority = np.minimum(stats["n_amplified"], n - stats["n_amplified"])
    out["minority_fraction"] = minority / safe_n
    if ihc is not None:
        counts = stats["ihc_counts"]
        out["ihc_score"] = np.where(ok, ihc, -1)
        # ASCO/CAP 2018: groups 2-4 with IHC 2+ are recounted by a blinded observer; the
        # result above takes the recount to confirm the group (the table is the count)
        out["recount_2018"] = (params.guideline == 2018) & np.isin(group, (2, 3, 4)) & (ihc == 2)
        out["pct_ihc3"] = 100 * counts[:, 3] / safe_n
        out["her2_ihc_category"] = her2_ihc_category(ihc, counts[:, 1:].sum(axis=1), result)
        fractions = {k: stats[f"n_{k}"] / safe_n for k in GPA_CLASSES}
        for k in GPA_CLASSES:
            out[f"frac_{k}"] = fractions[k]
        out["ith_type"] = ith_type(fractions, params.ith_min_fraction)
    for key in ("het_trial", "het_cap2009", "het_asco2013", "asco_cap_result", "ith_type"):
        if key in out:
            out[key][~ok] = NOT_EVALUABLE
    return out


def _across(status: pd.Series) -> str:
    """Pattern across areas (or biopsies) from their ISH statuses (review: clustered type)."""
    v = set(status) - {NOT_EVALUABLE}
    if not v:
        return NOT_EVALUABLE
    if {"amplified", "not amplified"} <= v:
        return "clustered"
    if (status != NOT_EVALUABLE).sum() < 2:
        return "single area"
    return "concordant" if len(v) == 1 else "undetermined (equivocal area)"


def across_area_pattern(areas: pd.DataFrame, by: str = "sample") -> pd.Series:
    """Clustered (regional) ITH across the areas of each ``by`` group (HER2-ITH review, Table 1).

    The review's clustered type is "two distinct areas with different HER2 gene
    amplification", so it is called *across* areas: ``clustered`` when at least one evaluable
    area is ISH-amplified and another is not amplified (:func:`ish_status`); ``concordant``
    when two or more evaluable areas share one status; ``undetermined (equivocal area)`` when
    they differ only through an ISH-equivocal area; ``single area`` with one evaluable area;
    ``not evaluable`` with none.
    """
    return areas.groupby(by, sort=False)["ish_status"].agg(_across)


def _combine_calls(calls: pd.Series) -> str:
    """HET if any call is HET; else undetermined if any is; else not evaluable if all are."""
    v = set(calls)
    if "HET" in v:
        return "HET"
    if UNDETERMINED in v:
        return UNDETERMINED
    if v <= {NOT_EVALUABLE}:
        return NOT_EVALUABLE
    return "non-HET"


_ROUND = (
    "mean_erbb2",
    "mean_cep17",
    "ratio",
    "pct_amplified",
    "pct_her2_negative_cells",
    "pct_amplified_cap2009",
    "minority_fraction",
    "pct_ihc3",
    *(f"frac_{k}" for k in GPA_CLASSES),
)


def score_cells(cells: pd.DataFrame, params: FishParams = FishParams()) -> FishScores:
    """Score a per-cell FISH table (validated, e.g. by :func:`her2het.io.sheets.read_fish_cells`).

    Returns per-area and per-sample tables and a per-sample histogram of cell ratios. Every
    (sample, area) of the table has a row, including areas whose cells all have CEP17 = 0
    (``not evaluable`` with the reason).
    """
    sample_cat = pd.Categorical(cells["sample"])
    area_cat = pd.Categorical(cells["area"])
    cep17_all = cells["cep17"].to_numpy(np.int64)
    keep = cep17_all >= 1
    n_area_levels = len(area_cat.categories)
    pair_all = sample_cat.codes.astype(np.int64) * n_area_levels + area_cat.codes
    pair_uniq, area_codes_all = np.unique(pair_all, return_inverse=True)
    n_areas = len(pair_uniq)
    area_codes = area_codes_all[keep]
    s_codes = sample_cat.codes[keep].astype(np.int64)
    n_samples = len(sample_cat.categories)

    data: dict[str, np.ndarray] = {
        "erbb2": cells["erbb2"].to_numpy(np.int64)[keep],
        "cep17": cep17_all[keep],
    }
    data["amp"] = amplified_cells(data["erbb2"], data["cep17"], params)
    if "ihc" in cells.columns:
        data["ihc"] = cells["ihc"].to_numpy(np.int64)[keep]

    # ---- areas
    excl_area = np.bincount(area_codes_all[~keep], minlength=n_areas)
    area_calls = _calls(_group_stats(area_codes, n_areas, data, params), excl_area, params)
    areas = pd.DataFrame(
        {
            "sample": np.asarray(sample_cat.categories[pair_uniq // n_area_levels]),
            "area": np.asarray(area_cat.categories[pair_uniq % n_area_levels]),
            "n_excluded_cep17_zero": excl_area,
        }
    )
    for k, v in area_calls.items():
        areas[k] = v

    if params.spatial:
        if not {"x", "y"} <= set(cells.columns):
            raise ValueError("spatial patterns need x and y columns in the FISH table")
        xy = cells[["x", "y"]].to_numpy(np.float64)[keep]
        order = np.argsort(area_codes, kind="stable")
        bounds = np.searchsorted(area_codes[order], np.arange(n_areas + 1))
        moran = np.full(n_areas, np.nan)
        for g in range(n_areas):
            idx = order[bounds[g] : bounds[g + 1]]
            if len(idx) >= params.min_cells:
                moran[g] = morans_i(xy[idx], data["amp"][idx], params.k_neighbours)
        frac = areas["pct_amplified"].to_numpy() / 100
        pattern = classify_pattern(frac, moran, params)
        pattern[~areas["evaluable"].to_numpy()] = NOT_EVALUABLE
        areas["morans_i"] = np.round(moran, 4)
        areas["spatial_pattern"] = pattern

    # ---- samples (all counted cells of the sample pooled)
    excl_sample = np.bincount(sample_cat.codes[~keep], minlength=n_samples)
    smp_calls = _calls(_group_stats(s_codes, n_samples, data, params), excl_sample, params)
    names = pd.Index(np.asarray(sample_cat.categories))
    samples = pd.DataFrame({"sample": names})
    samples["n_areas"] = areas.groupby("sample").size().reindex(names).to_numpy()
    samples["n_excluded_cep17_zero"] = excl_sample
    for k, v in smp_calls.items():
        samples[k] = v
    # Trial definition is per area: a sample is HET if any area is HET.
    samples["het_trial"] = (
        areas.groupby("sample")["het_trial"].agg(_combine_calls).reindex(names).to_numpy()
    )
    samples["n_areas_evaluable"] = (
        areas.groupby("sample")["evaluable"].sum().reindex(names).to_numpy()
    )
    across = across_area_pattern(areas).reindex(names).to_numpy()
    samples["across_area_pattern"] = across
    if params.spatial:
        rank = {p: i for i, p in enumerate(PATTERN_ORDER)}
        worst = (
            areas[areas["spatial_pattern"] != NOT_EVALUABLE]
            .assign(r=lambda d: d["spatial_pattern"].map(rank))
            .sort_values(["sample", "r"], ascending=[True, False], kind="stable")
            .drop_duplicates("sample")
            .set_index("sample")["spatial_pattern"]
        )
        within = worst.reindex(names).fillna(NOT_EVALUABLE).to_numpy()
        samples["within_area_pattern"] = within
        samples["spatial_pattern"] = np.where(across == "clustered", "clustered", within)
        samples["area_patterns"] = (
            areas.groupby("sample")["spatial_pattern"].agg(";".join).reindex(names).to_numpy()
        )

    # ---- histogram of per-cell ratios (for figures; avoids re-reading the cells)
    edges = np.arange(0.0, 10.25, 0.25)
    ratio = data["erbb2"] / data["cep17"]
    b = np.minimum(np.searchsorted(edges, ratio, side="right") - 1, len(edges) - 2)
    hist = np.bincount(
        s_codes * (len(edges) - 1) + b, minlength=n_samples * (len(edges) - 1)
    ).reshape(n_samples, -1)
    ratio_hist = pd.DataFrame(
        {
            "sample": np.repeat(np.asarray(sample_cat.categories), len(edges) - 1),
            "ratio_bin_start": np.tile(edges[:-1], n_samples),
            "n_cells": hist.ravel(),
        }
    )
    for df in (areas, samples):
        for col in _ROUND:
            if col in df:
                df[col] = df[col].round(4)
    return FishScores(areas=areas, samples=samples, ratio_histogram=ratio_hist)


# --------------------------------------------------------------------------------------------
# Patient level and pre vs post
# --------------------------------------------------------------------------------------------


def _evaluable(scores: pd.DataFrame) -> pd.Series:
    """Evaluable samples: the ``evaluable`` column, or (older tables) a trial call was made."""
    if "evaluable" in scores:
        return scores["evaluable"].astype(str).str.lower().isin(["true", "1"])
    return scores["het_trial"] != NOT_EVALUABLE


def _category_slug(category: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in category.lower()).strip("_")


def patient_fish(
    sample_scores: pd.DataFrame,
    sample_sheet: pd.DataFrame,
    patient_sheet: pd.DataFrame | None = None,
    areas: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Patient-level FISH calls across the baseline biopsies.

    Columns: patient, n_baseline_samples, n_baseline_evaluable (evaluable biopsies, the only
    ones entering means), het_trial, het_cap2009, het_asco2013 (HET if any baseline biopsy is
    HET; else ``undetermined (IHC needed)`` if any biopsy's call waits for IHC; else non-HET;
    ``not evaluable`` when no biopsy is), biopsies_discordant (the evaluable baseline biopsies
    disagree on the trial call; NA with fewer than two), pct_amplified_range (max - min over
    evaluable baseline biopsies), baseline_ratio (mean over evaluable baseline biopsies),
    across_biopsy_pattern (:func:`across_area_pattern` over the biopsies' pooled ISH status:
    ``clustered`` when one biopsy is amplified and another is not) and, given ``areas``,
    across_area_pattern over every area of the baseline biopsies. With per-cell IHC:
    her2_ihc_category (the highest category of :data:`HER2_IHC_ORDER` over evaluable baseline
    biopsies) and ``n_areas_<category>`` (baseline areas per category). ``HET_recorded`` /
    ``het_trial_agrees`` when the patient sheet records HET.
    """
    meta = sample_sheet[["sample", "patient", "timepoint"]]
    pre = sample_scores.merge(meta, on="sample")
    pre = pre[pre["timepoint"] == "pre"]
    g = pre.groupby("patient", sort=True)
    out = pd.DataFrame({"n_baseline_samples": g.size()})
    evaluable = pre[_evaluable(pre).to_numpy()]
    ge = evaluable.groupby("patient")
    n_eval = ge.size()
    out["n_baseline_evaluable"] = n_eval.reindex(out.index).fillna(0).astype(int)
    for col in ("het_trial", "het_cap2009", "het_asco2013"):
        out[col] = g[col].agg(_combine_calls)
    disc = ge["het_trial"].nunique().gt(1)
    out["biopsies_discordant"] = disc.where(n_eval >= 2).reindex(out.index).astype("boolean")
    out["pct_amplified_range"] = (
        (ge["pct_amplified"].max() - ge["pct_amplified"].min())
        .where(n_eval >= 2)
        .reindex(out.index)
        .round(4)
    )
    out["baseline_ratio"] = ge["ratio"].mean().reindex(out.index).round(4)
    if "ish_status" in pre:
        across = g["ish_status"].agg(_across).replace("single area", "single biopsy")
        out["across_biopsy_pattern"] = across
    if areas is not None and "ish_status" in areas:
        pre_areas = areas.merge(meta, on="sample")
        pre_areas = pre_areas[pre_areas["timepoint"] == "pre"]
        out["across_area_pattern"] = across_area_pattern(pre_areas, "patient").reindex(out.index)
    if "her2_ihc_category" in pre:
        top = highest_her2_category(ge["her2_ihc_category"])
        out["her2_ihc_category"] = top.reindex(out.index).fillna(NOT_EVALUABLE)
        if areas is not None and "her2_ihc_category" in areas:
            ct = pd.crosstab(pre_areas["patient"], pre_areas["her2_ihc_category"])
            for cat in HER2_IHC_ORDER:
                col = ct[cat] if cat in ct else pd.Series(0, index=ct.index)
                counts = col.reindex(out.index).fillna(0).astype(int)
                out[f"n_areas_{_category_slug(cat)}"] = counts
    out = out.reset_index()
    if patient_sheet is not None and "HET" in patient_sheet:
        rec = patient_sheet.set_index("patient")["HET"]
        out["HET_recorded"] = out["patient"].map(rec).astype("Int64")
        called = out["het_trial"].map({"HET": 1, "non-HET": 0}).astype("Int64")
        out["het_trial_agrees"] = (called == out["HET_recorded"]).astype("boolean")
        out.loc[called.isna() | out["HET_recorded"].isna(), "het_trial_agrees"] = pd.NA
    return out


def her2_spectrum(
    areas: pd.DataFrame, samples: pd.DataFrame, patients: pd.DataFrame
) -> pd.DataFrame:
    """Counts of the HER2 spectrum categories (:func:`her2_ihc_category`) at each level.

    Columns: her2_ihc_category (:data:`HER2_IHC_ORDER`, then ``not evaluable``), n_areas,
    n_samples (every area and sample, baseline and residual) and n_patients (baseline, the
    highest category over evaluable biopsies). Empty (no rows) without per-cell IHC.
    """
    cols = ["her2_ihc_category", "n_areas", "n_samples", "n_patients"]
    if "her2_ihc_category" not in areas:
        return pd.DataFrame(columns=cols)
    levels = [*HER2_IHC_ORDER, NOT_EVALUABLE]
    out = pd.DataFrame({"her2_ihc_category": levels})
    for col, table in (("n_areas", areas), ("n_samples", samples), ("n_patients", patients)):
        counts = table["her2_ihc_category"].value_counts()
        out[col] = counts.reindex(levels, fill_value=0).to_numpy()
    return out


#: FISH sample-score columns averaged per patient and timepoint (evaluable samples only)
FISH_NUMERIC: dict[str, str] = {
    "ratio": "fish_ratio",
    "mean_erbb2": "fish_mean_erbb2",
    "pct_amplified": "fish_pct_amplified",
}
#: FISH HET calls per patient and timepoint (1 HET, 0 non-HET, empty otherwise)
FISH_HET: dict[str, str] = {
    "het_trial": "fish_het_trial",
    "het_cap2009": "fish_het_cap2009",
    "het_asco2013": "fish_het_asco2013",
}


#: Biopsy-discordance columns of the patient table (baseline rows; 1 / 0 / empty)
FISH_DISCORDANCE: dict[str, str] = {
    "fish_discordant": "biopsies_discordant_fish",
    "rna_discordant": "biopsies_discordant_rna",
}


def patient_fish_features(
    fish: pd.DataFrame, meta: pd.DataFrame, discordance: pd.DataFrame | None = None
) -> pd.DataFrame:
    """FISH columns of the patient table, indexed by (patient, timepoint).

    * ``fish_n_evaluable`` - evaluable FISH samples of the timepoint; only these enter
      ``fish_ratio``, ``fish_mean_erbb2`` and ``fish_pct_amplified`` (their means), so a
      5-cell biopsy is never averaged in;
    * ``fish_ihc_score`` - mean HER2 IHC score (0-3) of those samples, when the table has IHC;
    * ``her2_ihc_category`` - the HER2 spectrum category (:func:`her2_ihc_category`, the
      highest of :data:`HER2_IHC_ORDER` over those samples, as in ``fish/patients.tsv``) and
      ``her2_low`` - 1 when it is HER2-low (IHC 1+, or 2+ ISH-negative; DESTINY-Breast04 and
      the HER2-ITH review), 0 otherwise; both only when the table has IHC, empty without an
      evaluable sample;
    * ``fish_het_trial``, ``fish_het_cap2009``, ``fish_het_asco2013`` - 1 if any sample is HET
      by that definition, 0 if every call is non-HET, empty when none is evaluable or a call
      waits for IHC the table lacks (``undetermined (IHC needed)`` is never 0).

    Parameters
    ----------
    * ``biopsies_discordant_fish``, ``biopsies_discordant_rna`` - on baseline rows, from
      ``discordance`` (:func:`biopsy_discordance`): 1 when the baseline biopsies disagree by
      FISH / by ERBB2 mRNA, 0 when they agree, empty with fewer than two biopsies.

    Parameters
    ----------
    fish
        FISH sample scores (``fish/samples.tsv``).
    meta
        ``sample``, ``patient``, ``timepoint`` (strings).
    discordance
        The per-patient table of :func:`biopsy_discordance` (``fish/biopsy_discordance.tsv``).
    """
    f = fish.astype({"sample": str}).merge(meta, on="sample")
    keys = ["patient", "timepoint"]
    ev = f[_evaluable(f).to_numpy()]
    out = pd.DataFrame({"fish_n_evaluable": ev.groupby(keys).size()})
    out = out.join(ev.groupby(keys)[list(FISH_NUMERIC)].mean().rename(columns=FISH_NUMERIC))
    if "ihc_score" in ev:  # IHC in the FISH table: mean area score (-1 = not evaluable)
        ihc = ev[["patient", "timepoint"]].assign(fish_ihc_score=ev["ihc_score"].where(
            pd.to_numeric(ev["ihc_score"], errors="coerce") >= 0))  # fmt: skip
        out = out.join(ihc.groupby(keys)["fish_ihc_score"].mean())
    if "her2_ihc_category" in ev:
        cats = ev[ev["her2_ihc_category"].isin(HER2_IHC_ORDER)]
        out = out.join(highest_her2_category(cats.groupby(keys)["her2_ihc_category"]))
        low = out["her2_ihc_category"].str.endswith("(HER2-low)")
        out["her2_low"] = low.astype(float).where(out["her2_ihc_category"].notna())
    het = f.groupby(keys)[list(FISH_HET)].agg(_combine_calls)
    codes = het.apply(lambda c: c.map({"HET": 1.0, "non-HET": 0.0})).rename(columns=FISH_HET)
    out = out.join(codes, how="outer")
    out["fish_n_evaluable"] = out["fish_n_evaluable"].fillna(0).astype(int)
    if discordance is not None:
        d = discordance.astype({"patient": str}).set_index("patient")[list(FISH_DISCORDANCE)]
        d.index = pd.MultiIndex.from_arrays([d.index, ["pre"] * len(d)], names=keys)
        out = out.join(d.rename(columns=FISH_DISCORDANCE).astype("float"), how="left")
    return out


def pre_post_fish(sample_scores: pd.DataFrame, sample_sheet: pd.DataFrame) -> pd.DataFrame:
    """Pre vs post comparison for patients with a residual (post-treatment) FISH sample.

    Baseline values are the mean over the patient's evaluable baseline samples; post values come
    from the residual sample(s) (mean if several). Columns: patient, {pre,post,delta}_ratio,
    {pre,post,delta}_mean_erbb2, {pre,post,delta}_pct_amplified, pre_het_trial, post_het_trial,
    het_change (gained / lost / unchanged / not evaluable).
    """
    s = sample_scores.merge(sample_sheet[["sample", "patient", "timepoint"]], on="sample")
    s = s[_evaluable(s).to_numpy()]
    metrics = ["ratio", "mean_erbb2", "pct_amplified"]
    agg = s.groupby(["patient", "timepoint"])[metrics].mean().unstack("timepoint")
    het = s.groupby(["patient", "timepoint"])["het_trial"].agg(_combine_calls).unstack("timepoint")
    if "post" not in agg.columns.get_level_values(1) or "pre" not in agg.columns.get_level_values(
        1
    ):
        return pd.DataFrame(columns=["patient"])
    both = agg.dropna(subset=[(metrics[0], "pre"), (metrics[0], "post")]).index
    out = pd.DataFrame(index=both)
    for m in metrics:
        out[f"pre_{m}"] = agg.loc[both, (m, "pre")].round(4)
        out[f"post_{m}"] = agg.loc[both, (m, "post")].round(4)
        out[f"delta_{m}"] = (out[f"post_{m}"] - out[f"pre_{m}"]).round(4)
    out["pre_het_trial"] = het.loc[both, "pre"]
    out["post_het_trial"] = het.loc[both, "post"]
    known = out["pre_het_trial"].isin(["HET", "non-HET"]) & out["post_het_trial"].isin(
        ["HET", "non-HET"]
    )
    change = np.where(
        ~known,
        "undetermined",
        np.where(
            out["pre_het_trial"] == out["post_het_trial"],
            "unchanged",
            np.where(out["post_het_trial"] == "HET", "gained", "lost"),
        ),
    )
    out["het_change"] = change
    return out.reset_index()


def rna_vs_fish(
    sample_scores: pd.DataFrame, erbb2_vst: pd.Series, sample_sheet: pd.DataFrame
) -> pd.DataFrame:
    """Per biopsy: ERBB2 mRNA (VST) beside the FISH ratio, ASCO/CAP group and calls.

    One row per sample with FISH or RNA (the other side empty when missing). Columns: sample,
    patient, timepoint, erbb2_vst, evaluable (FISH), ratio, mean_erbb2, pct_amplified,
    asco_cap_group, ish_status, het_trial.
    """
    meta = sample_sheet[["sample", "patient", "timepoint"]].astype(str)
    cols = ["ratio", "mean_erbb2", "pct_amplified", "asco_cap_group", "ish_status", "het_trial"]
    fish = sample_scores.astype({"sample": str}).set_index("sample")
    fish = fish.assign(evaluable=_evaluable(fish).to_numpy())[
        ["evaluable", *[c for c in cols if c in fish]]
    ]
    rna = erbb2_vst.rename("erbb2_vst").round(5)
    rna.index = rna.index.astype(str)
    both = pd.concat([rna, fish], axis=1, join="outer")
    out = meta.merge(both, left_on="sample", right_index=True, how="inner")
    return out.sort_values(["patient", "timepoint", "sample"], kind="stable").reset_index(drop=True)


def _discordant(values: pd.Series) -> bool:
    v = set(values.dropna())
    return bool({"amplified", "not amplified"} <= v or {"HET", "non-HET"} <= v)


def biopsy_discordance(per_biopsy: pd.DataFrame, rna_log2: float = 1.0) -> pd.DataFrame:
    """Per patient: do the baseline biopsies disagree by FISH, by RNA, or both?

    * ``fish_discordant``: among evaluable FISH biopsies, one is HET and another non-HET (trial
      call) or one is ISH-amplified and another not amplified; empty with fewer than two.
    * ``rna_discordant``: the ERBB2 VST of the baseline biopsies spans at least ``rna_log2``
      (log2 units; exactly ``rna_log2`` is discordant); empty with fewer than two.
    * ``biopsy_discordance``: ``none``, ``FISH only``, ``RNA only`` or ``both``; empty unless
      both are known.

    Columns: patient, n_fish_biopsies, n_rna_biopsies, erbb2_vst_range, fish_discordant,
    rna_discordant, biopsy_discordance.
    """
    pre = per_biopsy[per_biopsy["timepoint"] == "pre"]
    fish = pre[pre["evaluable"].fillna(False).astype(bool)]
    rna = pre[pre["erbb2_vst"].notna()]
    out = pd.DataFrame(index=pd.Index(sorted(set(pre["patient"])), name="patient"))
    out["n_fish_biopsies"] = fish.groupby("patient").size().reindex(out.index).fillna(0)
    out["n_rna_biopsies"] = rna.groupby("patient").size().reindex(out.index).fillna(0)
    out = out.astype(int)
    g = rna.groupby("patient")["erbb2_vst"]
    out["erbb2_vst_range"] = (g.max() - g.min()).reindex(out.index).round(5)
    status = pd.concat([fish["ish_status"], fish["het_trial"]]).groupby(
        pd.concat([fish["patient"], fish["patient"]])
    )
    f = status.agg(_discordant).reindex(out.index).astype("boolean")
    f[out["n_fish_biopsies"] < 2] = pd.NA
    r = (out["erbb2_vst_range"] >= rna_log2).astype("boolean")
    r[out["n_rna_biopsies"] < 2] = pd.NA
    out["fish_discordant"] = f.astype("Int64")
    out["rna_discordant"] = r.astype("Int64")
    label = {(0, 0): "none", (1, 0): "FISH only", (0, 1): "RNA only", (1, 1): "both"}
    known = f.notna() & r.notna()
    out["biopsy_discordance"] = pd.Series(pd.NA, index=out.index, dtype=object)
    out.loc[known, "biopsy_discordance"] = [
        label[(int(a), int(b))] for a, b in zip(f[known], r[known], strict=True)
    ]
    return out.reset_index()


def fish_rna_tables(
    fish_samples: pd.DataFrame, expression: ad.AnnData, sheet: pd.DataFrame, rna_log2: float
) -> dict[str, pd.DataFrame]:
    """:func:`rna_vs_fish` and :func:`biopsy_discordance` from the FISH sample scores and the
    expression object (ERBB2 from its VST layer; none when ERBB2 is not measured)."""
    if "ERBB2" in expression.var_names:
        x = np.asarray(expression.layers["vst"][:, expression.var_names.get_loc("ERBB2")]).ravel()
        vst = pd.Series(x, index=expression.obs_names.astype(str))
    else:
        vst = pd.Series(dtype=float)
    per_biopsy = rna_vs_fish(fish_samples, vst, sheet)
    return {"per_biopsy": per_biopsy, "patients": biopsy_discordance(per_biopsy, rna_log2)}


def pattern_confusion(areas: pd.DataFrame, truth: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Confusion matrix of called vs planted spatial patterns (rows planted) and accuracy."""
    m = areas.merge(
        truth[["sample", "area", "pattern"]], on=["sample", "area"], validate="one_to_one"
    )
    cm = pd.crosstab(m["pattern"], m["spatial_pattern"]).reindex(
        index=PATTERN_ORDER, columns=[*PATTERN_ORDER, NOT_EVALUABLE], fill_value=0
    )
    cm.index.name = "planted"
    cm.columns.name = "called"
    accuracy = float((m["pattern"] == m["spatial_pattern"]).mean())
    return cm, accuracy


def _recovery_rows(
    check: str, planted: pd.Series, expected: pd.Series, called: pd.Series
) -> list[dict[str, Any]]:
    rows = []
    for cls in dict.fromkeys(planted):
        m = (planted == cls).to_numpy()
        hit = int((called[m].to_numpy() == expected[m].to_numpy()).sum())
        rows.append(
            {
                "check": check,
                "planted": cls,
                "expected_call": ";".join(sorted(set(expected[m]))),
                "n": int(m.sum()),
                "n_recovered": hit,
                "recovery": round(hit / m.sum(), 4),
                "called_as": ";".join(
                    f"{k}:{v}" for k, v in called[m].value_counts().sort_index().items()
                ),
            }
        )
    return rows


def planted_recovery(
    areas: pd.DataFrame, samples: pd.DataFrame, truth: pd.DataFrame
) -> pd.DataFrame:
    """Per-class recovery of what the demo simulator planted (SIMULATED data only).

    One row per planted class: ``spatial pattern`` (per area, the planted pattern), ``two-area
    clustered`` (per sample: a homogeneous and a HER2-negative area -> across-area
    ``clustered``; only homogeneous areas -> ``concordant``), ``truncation artefacts`` (areas
    with planted 2/1 nuclei: recovered when the called % amplified equals the planted
    fraction, i.e. no truncated nucleus was counted) and ``HER2 spectrum`` (planted IHC case ->
    :func:`her2_ihc_category`). Columns: check, planted, expected_call, n, n_recovered,
    recovery, called_as (counts of each call).
    """
    m = areas.merge(truth, on=["sample", "area"], validate="one_to_one")
    rows: list[dict[str, Any]] = []
    if "spatial_pattern" in m:
        rows += _recovery_rows("spatial pattern", m["pattern"], m["pattern"], m["spatial_pattern"])
    kinds = truth.groupby("sample")["pattern"].agg(lambda p: frozenset(p))
    two = kinds[
        kinds.isin([frozenset({"homogeneous", "her2_negative"}), frozenset({"homogeneous"})])
    ]
    if len(two):
        planted = two.map(lambda k: "clustered" if len(k) == 2 else "concordant")
        called = samples.set_index("sample")["across_area_pattern"].reindex(planted.index)
        rows += _recovery_rows("two-area clustered", planted, planted, called)
    if "truncated_cells" in m:
        t = m[m["truncated_cells"] > 0]
        if len(t):
            same = (t["pct_amplified"] / 100).round(4) == t["fraction_amplified"].round(4)
            ok = pd.Series(np.where(same, "not counted", "counted"), index=t.index)
            label = pd.Series("2/1 nuclei", index=t.index)
            rows += _recovery_rows(
                "truncation artefacts", label, pd.Series("not counted", index=t.index), ok
            )
    if "planted_ihc" in m and "her2_ihc_category" in m:
        h = m[m["planted_ihc"].fillna("").astype(str) != ""]
        if len(h):
            from her2het.simulate import PLANTED_IHC

            expected = h["planted_ihc"].map(PLANTED_IHC)
            rows += _recovery_rows(
                "HER2 spectrum", h["planted_ihc"], expected, h["her2_ihc_category"]
            )
    cols = ["check", "planted", "expected_call", "n", "n_recovered", "recovery", "called_as"]
    return pd.DataFrame(rows, columns=cols)


def example_cells(
    cells: pd.DataFrame, areas: pd.DataFrame, params: FishParams = FishParams()
) -> pd.DataFrame:
    """Cells of one example area per called spatial pattern (for the spatial-map figure).

    The example is the area whose fraction of amplified cells is closest to the median of the
    areas with that pattern (ties: first by sample and area). Columns: spatial_pattern, sample,
    area, x, y, erbb2, cep17, amplified.
    """
    columns = ["spatial_pattern", "sample", "area", "x", "y", "erbb2", "cep17", "amplified"]
    if "spatial_pattern" not in areas:
        return pd.DataFrame(columns=columns)
    picks = []
    for pattern in PATTERN_ORDER:
        a = areas[areas["spatial_pattern"] == pattern].sort_values(
            ["sample", "area"], kind="stable"
        )
        if a.empty:
            continue
        dist = (a["pct_amplified"] - a["pct_amplified"].median()).abs()
        best = a.loc[dist.idxmin()]
        picks.append((pattern, best["sample"], best["area"]))
    frames = []
    for pattern, smp, area in picks:
        # on categoricals these comparisons run on integer codes (no per-cell strings)
        mask = (cells["sample"] == smp).to_numpy() & (cells["area"] == area).to_numpy()
        sel = cells[mask & (cells["cep17"] >= 1).to_numpy()]
        df = pd.DataFrame(
            {
                "spatial_pattern": pattern,
                "sample": smp,
                "area": area,
                "x": sel["x"].to_numpy(),
                "y": sel["y"].to_numpy(),
                "erbb2": sel["erbb2"].to_numpy(),
                "cep17": sel["cep17"].to_numpy(),
            }
        )
        df["amplified"] = amplified_cells(
            df["erbb2"].to_numpy(), df["cep17"].to_numpy(), params
        ).astype(int)
        frames.append(df)
    if not frames:  # no area has a pattern (e.g. every area below min_cells)
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def fish_tables(
    cells: pd.DataFrame,
    samples: pd.DataFrame,
    patients: pd.DataFrame,
    params: FishParams = FishParams(),
) -> dict[str, pd.DataFrame]:
    """Score a validated per-cell FISH table (:func:`her2het.io.sheets.read_fish_cells`): every
    table the ``fish_score`` rule writes.

    Keys: areas, samples, patients, pre_post, ratio_histogram, example_cells, her2_spectrum.
    """
    scores = score_cells(cells, params)
    per_patient = patient_fish(scores.samples, samples, patients, scores.areas)
    return {
        "areas": scores.areas,
        "samples": scores.samples,
        "patients": per_patient,
        "her2_spectrum": her2_spectrum(scores.areas, scores.samples, per_patient),
        "pre_post": pre_post_fish(scores.samples, samples),
        "ratio_histogram": scores.ratio_histogram,
        "example_cells": example_cells(cells, scores.areas, params),
    }
