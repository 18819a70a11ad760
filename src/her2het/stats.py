"""Generic patient-level statistics shared by the scores, outcome and paper stages.

* :func:`compare_groups` - Kruskal-Wallis across patient groups and pairwise Mann-Whitney U at
  baseline (one value per patient: the mean of its baseline biopsies, so a patient with two
  biopsies is not counted twice);
* :func:`compare_pre_post` - Wilcoxon signed-rank of post vs pre in patients with both;
* :func:`bh` - Benjamini-Hochberg adjustment that leaves missing p-values out;
* :func:`round_significant` - rounding to significant figures for byte-stable tables.

Rows follow :data:`COMPARISON_COLUMNS` (``docs/output.md``, ``results/scores/comparisons.tsv``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

#: Columns of a comparison table (``results/scores/comparisons.tsv``, the outcome associations).
COMPARISON_COLUMNS: tuple[str, ...] = (
    "family", "score", "test", "group_a", "group_b", "n_a", "n_b", "median_a", "median_b",
    "effect", "effect_size", "effect_size_name", "statistic", "pvalue", "padj",
)  # fmt: skip


def round_significant(values: pd.DataFrame, digits: int = 6) -> pd.DataFrame:
    """Round to ``digits`` significant figures (never to fixed decimals: small p stay > 0)."""
    arr = values.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(arr)))
    scale = np.where(np.isfinite(mag), 10.0 ** (digits - 1 - mag), 1.0)
    return pd.DataFrame(np.round(arr * scale) / scale, index=values.index, columns=values.columns)


def bh(p: pd.Series) -> pd.Series:
    """Benjamini-Hochberg adjusted p-values; missing p stay missing (not counted as tests)."""
    out = pd.Series(np.nan, index=p.index)
    ok = p.notna()
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok].to_numpy(), method="bh")
    return out


def comparison_row(**kw: object) -> dict[str, object]:
    """One row of a comparison table (:data:`COMPARISON_COLUMNS`), NaN where not given."""
    row: dict[str, object] = dict.fromkeys(COMPARISON_COLUMNS, np.nan)
    row.update(kw)
    return row


def compare_groups(
    pts: pd.DataFrame, score_cols: Sequence[str], groups: Sequence[str]
) -> list[dict[str, object]]:
    """Kruskal-Wallis across ``groups`` and pairwise Mann-Whitney at baseline."""
    pre = pts[pts["timepoint"] == "pre"]
    rows: list[dict[str, object]] = []
    present = [g for g in groups if (pre["group"] == g).sum() >= 2]
    for col in score_cols:
        vals = [pre.loc[pre["group"] == g, col].dropna().to_numpy() for g in present]
        if len(vals) >= 3:
            h, p = stats.kruskal(*vals)
            n = sum(len(v) for v in vals)
            rows.append(
                comparison_row(
                    family="groups:kruskal", score=col, test="Kruskal-Wallis",
                    group_a=" | ".join(present), group_b="", n_a=n, n_b=np.nan,
                    effect_size=(h - len(vals) + 1) / (n - len(vals)),
                    effect_size_name="epsilon_squared", statistic=h, pvalue=p,
                )
            )  # fmt: skip
        for (ga, a), (gb, b) in combinations(zip(present, vals, strict=True), 2):
            u, p = stats.mannwhitneyu(b, a, alternative="two-sided")
            rows.append(
                comparison_row(
                    family=f"groups:{gb} vs {ga}", score=col, test="Mann-Whitney U",
                    group_a=gb, group_b=ga, n_a=len(b), n_b=len(a),
                    median_a=np.median(b), median_b=np.median(a),
                    effect=np.median(b) - np.median(a),
                    effect_size=2.0 * u / (len(a) * len(b)) - 1.0,
                    effect_size_name="rank_biserial", statistic=u, pvalue=p,
                )
            )  # fmt: skip
    return rows


def compare_pre_post(
    pts: pd.DataFrame, score_cols: Sequence[str], strata: Mapping[str, Sequence[str]]
) -> list[dict[str, object]]:
    """Wilcoxon signed-rank, post vs pre, per stratum (name -> groups) of paired patients."""
    rows: list[dict[str, object]] = []
    wide = pts.pivot_table(
        index=["patient", "group"], columns="timepoint", values=list(score_cols), observed=True
    )
    for name, groups in strata.items():
        sub = wide[wide.index.get_level_values("group").isin(groups)]
        if sub.empty:  # a stratum the cohort does not have (e.g. HET without a HET column)
            continue
        for col in score_cols:
            if not {(col, "pre"), (col, "post")} <= set(sub.columns):
                continue
            pair = sub[[(col, "pre"), (col, "post")]].dropna()
            d = (pair[(col, "post")] - pair[(col, "pre")]).to_numpy()
            row = comparison_row(
                family=f"pre_post:{name}", score=col, test="Wilcoxon signed-rank",
                group_a="post", group_b="pre", n_a=len(d), n_b=len(d),
                median_a=float(np.median(pair[(col, "post")])) if len(d) else np.nan,
                median_b=float(np.median(pair[(col, "pre")])) if len(d) else np.nan,
                effect=float(np.median(d)) if len(d) else np.nan,
                effect_size_name="matched_rank_biserial",
            )  # fmt: skip
            nz = d[d != 0]
            if len(nz) >= 2:
                r = stats.rankdata(np.abs(nz))
                w_plus, w_minus = r[nz > 0].sum(), r[nz < 0].sum()
                res = stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided")
                row.update(
                    statistic=float(res.statistic), pvalue=float(res.pvalue),
                    effect_size=(w_plus - w_minus) / (w_plus + w_minus),
                )  # fmt: skip
            rows.append(row)
    return rows
