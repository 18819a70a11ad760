"""ERBB2 FISH scoring from per-cell signal counts: ASCO/CAP groups, HET calls, spatial patterns.

Input: a per-cell table with columns ``sample``, ``area``, ``cell``, ``erbb2``, ``cep17`` and
optionally ``x``, ``y`` (micrometres) and ``ihc`` (0-3). Everything is computed with vectorised
numpy group operations on integer codes; the only Python loop runs over areas (for the spatial
statistic), never over cells.

Definitions (all thresholds are :class:`FishParams` fields, set from the config):

* **Cells counted**: cells with ``cep17 >= 1``. Cells with ``cep17 == 0`` have no defined ratio;
  they are excluded and counted in ``n_excluded_cep17_zero``.
* **Area / sample ratio**: mean ERBB2 per cell / mean CEP17 per cell over the cells counted (the
  ratio of averages, as in the guideline), i.e. ``sum(erbb2) / sum(cep17)``.
* **ASCO/CAP 2018 group** (dual-probe ISH), evaluated in exact integer arithmetic so that
  boundaries (ratio exactly 2.0; mean copies exactly 4.0 or 6.0) fall on the documented side:
  1: ratio >= 2 and mean >= 4; 2: ratio >= 2 and mean < 4; 3: ratio < 2 and mean >= 6;
  4: ratio < 2 and 4 <= mean < 6; 5: ratio < 2 and mean < 4.
* **Result**: group 1 positive, group 5 negative. Groups 2-4 need concurrent IHC: with per-cell
  IHC, the area's IHC score is the highest score *s* such that more than 10% of cells score
  >= *s* (ASCO/CAP 2018 IHC rule), and group 2 or 4 is positive only with IHC 3+, group 3 only
  with IHC 2+ or 3+. Without IHC the result is ``equivocal (IHC needed)``.
* **Amplified cell** (configurable): ``erbb2 / cep17 >= cell_ratio`` or ``erbb2 >= cell_copies``
  (default 2.0 and 6). **HER2-negative cell**: ratio < 2.0 and fewer than 4 ERBB2 copies.
* **HET, trial definition** (NCT02326974): an area with more than 5% and less than 50% amplified
  cells, or a HER2-negative area (ASCO/CAP result ``negative``). A sample is HET if any area is.
* **HET, CAP 2009** (Vance et al. 2009): more than 5% and less than 50% of cells with a cell
  ratio > 2.2, over all cells of the sample.
* **HET, ASCO/CAP 2013**: a second population of >= 10% of cells with a different
  amplification status (the minority of amplified vs non-amplified cells), which must contain at
  least 20 cells to be counted separately; if it is >= 10% but has fewer than 20 cells the call
  is ``not evaluable``.
* Any area or sample with fewer than ``min_cells`` counted cells (default 20, the guideline's
  minimum) is ``not evaluable`` for every call.
* **Spatial pattern** of an area (needs x, y): ``homogeneous`` if at least
  ``homogeneous_min_fraction`` of cells are amplified, ``her2_negative`` if at most
  ``negative_max_fraction`` are; otherwise Moran's I of the amplified-cell indicator on the
  row-standardised k-nearest-neighbour graph (scipy ``cKDTree``) separates ``clustered``
  (I >= ``clustered_min_morans_i``: amplified cells form contiguous regions) from spatially random
  labels, which are ``scattered`` (fraction amplified < ``scattered_max_fraction``: isolated
  amplified cells) or ``mosaic`` (diffuse intermingling).
* **Genetic vs non-genetic ITH** (needs IHC): ``genetic`` when both amplified and non-amplified
  populations are present (minority >= ``ith_min_fraction``); ``non_genetic`` when instead at
  least ``ith_min_fraction`` of amplified cells lack protein overexpression (IHC 0/1+) while at
  least as large a share of them are IHC 3+; else ``none``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

NOT_EVALUABLE = "not evaluable"
PATTERN_ORDER = ("homogeneous", "her2_negative", "scattered", "mosaic", "clustered")
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

    cell_ratio: float = 2.0
    cell_copies: int = 6
    min_cells: int = 20
    spatial: bool = True
    k_neighbours: int = 8
    clustered_min_morans_i: float = 0.25
    homogeneous_min_fraction: float = 0.9
    negative_max_fraction: float = 0.05
    scattered_max_fraction: float = 0.2
    ith_min_fraction: float = 0.1

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
        return cls(**flat)


# --------------------------------------------------------------------------------------------
# Per-cell and per-group primitives (exact arithmetic)
# --------------------------------------------------------------------------------------------


def amplified_cells(
    erbb2: np.ndarray, cep17: np.ndarray, params: FishParams = FishParams()
) -> np.ndarray:
    """Boolean: cell ratio >= ``cell_ratio`` or ERBB2 copies >= ``cell_copies`` (cep17 >= 1)."""
    return (erbb2 >= params.cell_ratio * cep17) | (erbb2 >= params.cell_copies)


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

    The score is the highest *s* with more than 10% of cells scoring >= *s* (0 otherwise).
    """
    n = ihc_counts.sum(axis=1)
    at_least = np.cumsum(ihc_counts[:, ::-1], axis=1)[:, ::-1]  # cells scoring >= s
    over = 10 * at_least > n[:, None]
    score = np.where(over[:, 3], 3, np.where(over[:, 2], 2, np.where(over[:, 1], 1, 0)))
    return score


def asco_cap_result(group: np.ndarray, ihc: np.ndarray | None) -> np.ndarray:
    """Final result per group: positive / negative, or equivocal where IHC is needed and absent."""
    g = np.asarray(group)
    if ihc is None:
        out = np.where(
            g == 1, "positive", np.where(g == 5, "negative", "equivocal (IHC needed)")
        ).astype(object)
    else:
        pos = (g == 1) | ((g == 3) & (ihc >= 2)) | (np.isin(g, (2, 4)) & (ihc == 3))
        out = np.where(pos, "positive", "negative").astype(object)
    out[g == 0] = NOT_EVALUABLE
    return out


def het_trial(n_amp: np.ndarray, n: np.ndarray, negative_area: np.ndarray) -> np.ndarray:
    """Trial HET per area: 5% < amplified < 50% (exact), or a HER2-negative area."""
    n_amp, n = np.asarray(n_amp, dtype=np.int64), np.asarray(n, dtype=np.int64)
    return ((20 * n_amp > n) & (2 * n_amp < n)) | np.asarray(negative_area, dtype=bool)


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


def _group_stats(
    codes: np.ndarray, n_groups: int, cells: dict[str, np.ndarray], params: FishParams
) -> dict[str, np.ndarray]:
    e, c = cells["erbb2"], cells["cep17"]
    amp = cells["amp"]
    stats = {
        "n_cells": np.bincount(codes, minlength=n_groups),
        "sum_erbb2": _sum_by(codes, e, n_groups),
        "sum_cep17": _sum_by(codes, c, n_groups),
        "n_amplified": np.bincount(codes, weights=amp, minlength=n_groups).astype(np.int64),
        "n_amp_cap2009": np.bincount(codes, weights=5 * e > 11 * c, minlength=n_groups).astype(
            np.int64
        ),
        "n_her2_negative_cells": np.bincount(
            codes, weights=(e < 2 * c) & (e < 4), minlength=n_groups
        ).astype(np.int64),
    }
    if "ihc" in cells:
        ihc = cells["ihc"]
        stats["ihc_counts"] = np.stack(
            [np.bincount(codes, weights=ihc == s, minlength=n_groups) for s in range(4)], axis=1
        ).astype(np.int64)
        stats["n_amp_ihc_low"] = np.bincount(
            codes, weights=amp & (ihc <= 1), minlength=n_groups
        ).astype(np.int64)
        stats["n_amp_ihc3"] = np.bincount(
            codes, weights=amp & (ihc == 3), minlength=n_groups
        ).astype(np.int64)
    return stats


def _calls(stats: dict[str, np.ndarray], params: FishParams) -> dict[str, np.ndarray]:
    n = stats["n_cells"]
    ok = n >= params.min_cells
    safe_n = np.maximum(n, 1)
    group = asco_cap_group(stats["sum_erbb2"], stats["sum_cep17"], n)
    ihc = ihc_area_score(stats["ihc_counts"]) if "ihc_counts" in stats else None
    result = asco_cap_result(group, ihc)
    out: dict[str, np.ndarray] = {
        "n_cells": n,
        "mean_erbb2": stats["sum_erbb2"] / safe_n,
        "mean_cep17": stats["sum_cep17"] / safe_n,
        "ratio": stats["sum_erbb2"] / np.maximum(stats["sum_cep17"], 1),
        "asco_cap_group": group,
        "ihc_score": ihc if ihc is not None else np.full(len(n), -1),
        "asco_cap_result": result,
        "pct_amplified": 100 * stats["n_amplified"] / safe_n,
        "pct_her2_negative_cells": 100 * stats["n_her2_negative_cells"] / safe_n,
        "pct_amplified_cap2009": 100 * stats["n_amp_cap2009"] / safe_n,
    }
    trial = het_trial(stats["n_amplified"], n, result == "negative")
    out["het_trial"] = np.where(trial, "HET", "non-HET").astype(object)
    out["het_cap2009"] = np.where(het_cap2009(stats["n_amp_cap2009"], n), "HET", "non-HET").astype(
        object
    )
    out["het_asco2013"] = het_asco2013(stats["n_amplified"], n)
    minority = np.minimum(stats["n_amplified"], n - stats["n_amplified"])
    out["minority_fraction"] = minority / safe_n
    if "n_amp_ihc_low" in stats:
        amp_n = np.maximum(stats["n_amplified"], 1)
        f = params.ith_min_fraction
        genetic = minority >= f * n
        non_gen = (
            (stats["n_amp_ihc_low"] >= f * amp_n)
            & (stats["n_amp_ihc3"] >= f * amp_n)
            & (stats["n_amplified"] > 0)
        )
        out["ith_type"] = np.where(
            genetic, "genetic", np.where(non_gen, "non_genetic", "none")
        ).astype(object)
    for key in ("het_trial", "het_cap2009", "het_asco2013", "asco_cap_result") + (
        ("ith_type",) if "ith_type" in out else ()
    ):
        out[key][~ok] = NOT_EVALUABLE
    out["asco_cap_group"] = np.where(ok, group, 0)
    if ihc is None:
        out.pop("ihc_score")
    return out


def score_cells(cells: pd.DataFrame, params: FishParams = FishParams()) -> FishScores:
    """Score a per-cell FISH table (validated, e.g. by :func:`her2het.sheets.read_fish_cells`).

    Returns per-area and per-sample tables and a per-sample histogram of cell ratios.
    """
    sample_cat = pd.Categorical(cells["sample"])
    area_cat = pd.Categorical(cells["area"])
    cep17_all = cells["cep17"].to_numpy(np.int64)
    keep = cep17_all >= 1
    excluded_codes_sample = sample_cat.codes[~keep]

    s_codes = sample_cat.codes[keep].astype(np.int64)
    a_codes = area_cat.codes[keep].astype(np.int64)
    n_area_levels = len(area_cat.categories)
    pair = s_codes * n_area_levels + a_codes
    pair_uniq, area_codes = np.unique(pair, return_inverse=True)
    n_areas = len(pair_uniq)

    data: dict[str, np.ndarray] = {
        "erbb2": cells["erbb2"].to_numpy(np.int64)[keep],
        "cep17": cep17_all[keep],
    }
    data["amp"] = amplified_cells(data["erbb2"], data["cep17"], params)
    has_ihc = "ihc" in cells.columns
    if has_ihc:
        data["ihc"] = cells["ihc"].to_numpy(np.int64)[keep]

    # ---- areas
    area_stats = _group_stats(area_codes, n_areas, data, params)
    area_calls = _calls(area_stats, params)
    area_sample = sample_cat.categories[pair_uniq // n_area_levels]
    area_name = area_cat.categories[pair_uniq % n_area_levels]
    excl_pair = sample_cat.codes[~keep].astype(np.int64) * n_area_levels + area_cat.codes[~keep]
    excl_area = pd.Series(excl_pair).value_counts()
    areas = pd.DataFrame({"sample": np.asarray(area_sample), "area": np.asarray(area_name)})
    areas["n_excluded_cep17_zero"] = excl_area.reindex(pair_uniq, fill_value=0).to_numpy()
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
        frac = area_stats["n_amplified"] / np.maximum(area_stats["n_cells"], 1)
        pattern = classify_pattern(frac, moran, params)
        pattern[area_stats["n_cells"] < params.min_cells] = NOT_EVALUABLE
        areas["morans_i"] = np.round(moran, 4)
        areas["spatial_pattern"] = pattern

    # ---- samples (all counted cells of the sample pooled)
    n_samples = len(sample_cat.categories)
    smp_stats = _group_stats(s_codes, n_samples, data, params)
    smp_calls = _calls(smp_stats, params)
    samples = pd.DataFrame({"sample": np.asarray(sample_cat.categories)})
    samples["n_areas"] = (
        areas.groupby("sample", sort=False)
        .size()
        .reindex(samples["sample"])
        .fillna(0)
        .astype(int)
        .to_numpy()
    )
    samples["n_excluded_cep17_zero"] = np.bincount(excluded_codes_sample, minlength=n_samples)
    for k, v in smp_calls.items():
        if k == "het_trial":
            continue
        samples[k] = v
    # Trial definition is per area: a sample is HET if any evaluable area is HET.
    any_het = areas.assign(h=areas["het_trial"] == "HET").groupby("sample")["h"].any()
    all_ne = areas.assign(ne=areas["het_trial"] == NOT_EVALUABLE).groupby("sample")["ne"].all()
    trial = np.where(any_het.reindex(samples["sample"]).to_numpy(), "HET", "non-HET").astype(object)
    trial[all_ne.reindex(samples["sample"]).to_numpy()] = NOT_EVALUABLE
    samples.insert(samples.columns.get_loc("het_cap2009"), "het_trial", trial)
    if params.spatial:
        rank = {p: i for i, p in enumerate(PATTERN_ORDER)}
        worst = (
            areas[areas["spatial_pattern"] != NOT_EVALUABLE]
            .assign(r=lambda d: d["spatial_pattern"].map(rank))
            .sort_values(["sample", "r"], ascending=[True, False], kind="stable")
            .drop_duplicates("sample")
            .set_index("sample")["spatial_pattern"]
        )
        samples["spatial_pattern"] = (
            worst.reindex(samples["sample"]).fillna(NOT_EVALUABLE).to_numpy()
        )
        samples["area_patterns"] = (
            areas.groupby("sample", sort=False)["spatial_pattern"]
            .agg(lambda s: ";".join(s))
            .reindex(samples["sample"])
            .to_numpy()
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
        for col in (
            "mean_erbb2",
            "mean_cep17",
            "ratio",
            "pct_amplified",
            "pct_her2_negative_cells",
            "pct_amplified_cap2009",
            "minority_fraction",
        ):
            df[col] = df[col].round(4)
    return FishScores(areas=areas, samples=samples, ratio_histogram=ratio_hist)


# --------------------------------------------------------------------------------------------
# Patient level and pre vs post
# --------------------------------------------------------------------------------------------


def _any_het(calls: pd.Series) -> str:
    v = set(calls)
    if "HET" in v:
        return "HET"
    if v == {NOT_EVALUABLE} or not v:
        return NOT_EVALUABLE
    return "non-HET"


def patient_fish(
    sample_scores: pd.DataFrame,
    sample_sheet: pd.DataFrame,
    patient_sheet: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Patient-level HET across the baseline biopsies (HET if any biopsy is HET).

    Columns: patient, n_baseline_samples, het_trial, het_cap2009, het_asco2013 (any baseline
    sample), biopsies_discordant (the baseline samples disagree on the trial call; NA with one
    biopsy), pct_amplified_range (max - min over baseline samples), baseline_ratio (mean of the
    baseline samples' ratios), and ``HET_recorded`` / ``het_trial_agrees`` when the patient sheet
    records HET.
    """
    pre = sample_scores.merge(sample_sheet[["sample", "patient", "timepoint"]], on="sample")
    pre = pre[pre["timepoint"] == "pre"]
    g = pre.groupby("patient", sort=True)
    out = pd.DataFrame({"n_baseline_samples": g.size()})
    for col in ("het_trial", "het_cap2009", "het_asco2013"):
        out[col] = g[col].agg(_any_het)
    evaluable = pre[pre["het_trial"] != NOT_EVALUABLE]
    ge = evaluable.groupby("patient")
    disc = ge["het_trial"].nunique().gt(1)
    n_eval = ge.size()
    out["biopsies_discordant"] = disc.where(n_eval >= 2).reindex(out.index).astype("boolean")
    out["pct_amplified_range"] = (
        (ge["pct_amplified"].max() - ge["pct_amplified"].min())
        .where(n_eval >= 2)
        .reindex(out.index)
        .round(4)
    )
    out["baseline_ratio"] = ge["ratio"].mean().reindex(out.index).round(4)
    out = out.reset_index()
    if patient_sheet is not None and "HET" in patient_sheet:
        rec = patient_sheet.set_index("patient")["HET"]
        out["HET_recorded"] = out["patient"].map(rec).astype("Int64")
        called = out["het_trial"].map({"HET": 1, "non-HET": 0}).astype("Int64")
        out["het_trial_agrees"] = (called == out["HET_recorded"]).astype("boolean")
        out.loc[called.isna() | out["HET_recorded"].isna(), "het_trial_agrees"] = pd.NA
    return out


def pre_post_fish(sample_scores: pd.DataFrame, sample_sheet: pd.DataFrame) -> pd.DataFrame:
    """Pre vs post comparison for patients with a residual (post-treatment) FISH sample.

    Baseline values are the mean over the patient's evaluable baseline samples; post values come
    from the residual sample(s) (mean if several). Columns: patient, {pre,post,delta}_ratio,
    {pre,post,delta}_mean_erbb2, {pre,post,delta}_pct_amplified, pre_het_trial, post_het_trial,
    het_change (gained / lost / unchanged / not evaluable).
    """
    s = sample_scores.merge(sample_sheet[["sample", "patient", "timepoint"]], on="sample")
    s = s[s["het_trial"] != NOT_EVALUABLE]
    metrics = ["ratio", "mean_erbb2", "pct_amplified"]
    agg = s.groupby(["patient", "timepoint"])[metrics].mean().unstack("timepoint")
    het = s.groupby(["patient", "timepoint"])["het_trial"].agg(_any_het).unstack("timepoint")
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
    change = np.where(
        out["pre_het_trial"] == out["post_het_trial"],
        "unchanged",
        np.where(out["post_het_trial"] == "HET", "gained", "lost"),
    )
    out["het_change"] = change
    return out.reset_index()


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


def score_fish_file(
    cells_path: str,
    schema_path: str,
    samples: pd.DataFrame,
    patients: pd.DataFrame,
    params: FishParams = FishParams(),
) -> dict[str, pd.DataFrame]:
    """Read, validate and score a FISH table: every table the ``fish_score`` rule writes.

    Keys: areas, samples, patients, pre_post, ratio_histogram, example_cells.
    """
    from her2het.sheets import read_fish_cells

    cells = read_fish_cells(cells_path, schema_path, samples["sample"], require_xy=params.spatial)
    scores = score_cells(cells, params)
    return {
        "areas": scores.areas,
        "samples": scores.samples,
        "patients": patient_fish(scores.samples, samples, patients),
        "pre_post": pre_post_fish(scores.samples, samples),
        "ratio_histogram": scores.ratio_histogram,
        "example_cells": example_cells(cells, scores.areas, params),
    }
