"""Gene-set scores per sample (ssGSEA as in GSVA, and a cohort z-score) and their comparisons.

Gene sets come from GMT files: the project's ``resources/gene_sets/her2het_core.gmt`` (each set's
description names its source) plus any GMT the user adds in the config (e.g. MSigDB hallmarks;
KEGG sets are never shipped because their licence forbids redistribution).

Scores (:func:`score_samples`), a wide table ``sample`` + one column per set and method:

* ``ssgsea`` - single-sample GSEA enrichment score (Barbie et al. 2009), the raw score of
  GSVA's ``method="ssgsea", ssgsea.norm=FALSE`` (:func:`ssgsea`; weight 0.25). The raw ES is
  used, not a normalised one (which divides by the range over all samples), so a sample's score
  depends on that sample alone and does not change when samples are added. The gene universe is
  every gene of the expression matrix, never filtered on the cohort, for the same reason.
  **Ties** get the average rank (GSVA's ranks) and the random walk is averaged over the orders
  of tied genes, so a score does not depend on the order of the genes in the input; a VST of
  integer counts holds many ties (genes with equal counts in a sample), where gseapy and GSVA
  break them by input order. docs/validation.md has the measured effect.
* ``zscore`` - mean over the set's genes of the gene's z-score across the cohort's samples
  (VST scale). It is relative to the cohort: it changes when samples are added.

Comparisons (:func:`compare_scores`) are at patient level: a patient's pre-treatment score is the
mean of the scores of the patient's baseline biopsies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from her2het.io.gmt import GeneSet
from her2het.stats import (
    COMPARISON_COLUMNS,
    bh,
    compare_groups,
    compare_pre_post,
    round_significant,
)


def check_gene_sets(
    sets: Sequence[GeneSet], universe: Iterable[str], min_size: int
) -> tuple[dict[str, list[str]], pd.DataFrame]:
    """Match sets to the genes measured; report every set.

    Returns the usable sets (name -> genes present) and a table with columns ``set``,
    ``source``, ``description``, ``n_genes``, ``n_present``, ``used`` (bool) and ``note``.
    Raises ``ValueError`` naming the file when none of a file's sets shares a gene with the
    data (usually a gene-identifier mismatch: symbols vs Ensembl IDs).
    """
    uni = set(universe)
    rows = []
    usable: dict[str, list[str]] = {}
    by_file: dict[str, int] = {}
    for s in sets:
        present = [g for g in s.genes if g in uni]
        by_file[s.source] = by_file.get(s.source, 0) + len(present)
        used = len(present) >= min_size
        if used:
            usable[s.name] = present
        rows.append(
            {
                "set": s.name,
                "source": Path(s.source).name,
                "description": s.description,
                "n_genes": len(s.genes),
                "n_present": len(present),
                "used": used,
                "note": "" if used else f"fewer than {min_size} genes measured",
            }
        )
    for src, n in by_file.items():
        if n == 0:
            raise ValueError(
                f"{src}: no gene of any set is in the expression data "
                "(are the genes symbols in both?)"
            )
    return usable, pd.DataFrame(rows)


def ssgsea(
    expr: pd.DataFrame, sets: Mapping[str, Sequence[str]], *, weight: float = 0.25
) -> pd.DataFrame:
    """ssGSEA enrichment scores (samples x sets) of a genes x samples expression table.

    Per sample, genes are ranked by expression (1 = lowest, ties the average rank ``r``).
    GSVA's random-walk score of a set ``S`` of ``k`` among ``n`` genes, ranked from the top,
    sums the running difference between the rank-weighted fraction of ``S`` met and the
    fraction of the other genes met; summed over the walk it equals

        ES = sum_{g in S} r_g w_g / sum_{g in S} w_g - sum_{g not in S} r_g / (n - k),
        w_g = r_g ** weight,

    which with untied ranks is GSVA's ``.fastRndWalk`` exactly. With ties the walk of GSVA
    (and gseapy) depends on the input order of the tied genes; the expression above is the
    walk averaged over every order of each tie (each tied gene counts at its block's mean
    position), so the score is a function of the values alone: permuting the genes leaves it
    unchanged. Genes of a set missing from ``expr`` are ignored; a sample with a missing value
    is an error.
    """
    x = expr.to_numpy(dtype=np.float64)
    if np.isnan(x).any():
        raise ValueError("ssgsea: the expression table has missing values")
    n = x.shape[0]
    r = stats.rankdata(x, axis=0, method="average")
    w = r**weight
    index = expr.index
    member = np.column_stack([index.isin(list(v)) for v in sets.values()]).astype(np.float64)
    k = member.sum(axis=0)
    if (k == 0).any() or (k == n).any():
        bad = list(sets)[int(np.flatnonzero((k == 0) | (k == n))[0])]
        raise ValueError(f"ssgsea: set {bad!r} has no gene, or every gene, of the data")
    inside = (member.T @ (r * w)) / (member.T @ w)
    outside = (r.sum(axis=0)[None, :] - member.T @ r) / (n - k)[:, None]
    return pd.DataFrame((inside - outside).T, index=expr.columns, columns=list(sets))


def zscore(expr: pd.DataFrame, sets: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Mean gene z-score (across samples) per set: samples x sets."""
    x = expr.to_numpy(dtype=np.float64)
    sd = x.std(axis=1, ddof=1, keepdims=True)
    z = np.divide(x - x.mean(axis=1, keepdims=True), sd, out=np.zeros_like(x), where=sd > 0)
    zdf = pd.DataFrame(z, index=expr.index, columns=expr.columns)
    return pd.DataFrame({k: zdf.loc[list(v)].mean(axis=0) for k, v in sets.items()})


def score_samples(
    expr: pd.DataFrame,
    sets: Mapping[str, Sequence[str]],
    methods: Sequence[str] = ("ssgsea",),
    *,
    weight: float = 0.25,
    threads: int = 1,
) -> pd.DataFrame:
    """Scores of every sample: ``sample`` then ``<method>:<set>`` columns, 6 decimals.

    ``threads`` is accepted for the workflow's rule and unused (the scores are two matrix
    products).
    """
    del threads
    parts = []
    for m in methods:
        if m == "ssgsea":
            s = ssgsea(expr, sets, weight=weight)
        elif m == "zscore":
            s = zscore(expr, sets)
        else:
            raise ValueError(f"unknown scoring method {m!r} (ssgsea, zscore)")
        parts.append(s.add_prefix(f"{m}:"))
    out = pd.concat(parts, axis=1).round(6)
    out.index.name = "sample"
    return out.reset_index()


# --------------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------------


def patient_scores(scores: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Patient-level scores: pre = mean over baseline biopsies; post kept per patient.

    ``meta`` has ``sample``, ``patient``, ``timepoint`` and ``group``. Returns one row per
    patient and timepoint with ``patient``, ``timepoint``, ``group`` and the score columns.
    """
    cols = [c for c in scores.columns if c != "sample"]
    m = meta[["sample", "patient", "timepoint", "group"]].astype({"sample": str})
    df = m.merge(scores.astype({"sample": str}), on="sample", validate="one_to_one")
    out = df.groupby(["patient", "timepoint", "group"], sort=True, observed=True)[cols].mean()
    return out.reset_index()


def compare_scores(
    scores: pd.DataFrame,
    meta: pd.DataFrame,
    groups: Sequence[str] | None = None,
    strata: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """All score comparisons in one tidy table (:data:`COMPARISON_COLUMNS`).

    * ``groups:kruskal`` - Kruskal-Wallis across the patient groups at baseline; effect size
      epsilon-squared ((H - k + 1) / (n - k)).
    * ``groups:<A> vs <B>`` - Mann-Whitney U of A (``group_a``) against B; ``effect`` is the
      difference of medians A - B, ``effect_size`` the rank-biserial correlation
      (2U / (n_A n_B) - 1, positive when A tends to be higher).
    * ``pre_post:<stratum>`` - Wilcoxon signed-rank of post vs pre in patients with both;
      ``effect`` the median paired difference, ``effect_size`` the matched-pairs rank-biserial
      correlation (positive when scores rise after treatment).

    ``groups`` defaults to every patient group present, in the order of
    :data:`her2het.cohort.GROUP_ORDER`; ``strata`` to all, non-HET and HET patients.

    ``padj``: Benjamini-Hochberg across the scores within each family.
    """
    if groups is None:
        from her2het.cohort import ordered_groups

        groups = ordered_groups(set(meta["group"].astype(str)))
    if strata is None:
        strata = {
            "all": list(groups),
            "nonHET": ["nonHET/no-pCR", "nonHET/pCR"],
            "HET": ["HET/no-pCR", "HET/pCR"],
        }
    cols = [c for c in scores.columns if c != "sample"]
    pts = patient_scores(scores, meta)
    rows = compare_groups(pts, cols, groups) + compare_pre_post(pts, cols, strata)
    out = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    if out.empty:
        return out
    out["padj"] = out.groupby("family", sort=False)["pvalue"].transform(bh)
    num = out.select_dtypes("number").columns
    out[num] = round_significant(out[num])
    return out
