"""Figures of the expression stage: volcano plots, score comparisons, subtype transitions.

Each function takes result tables and returns a matplotlib Figure; nothing is computed here
beyond what is needed to draw (patient means of scores, as in :mod:`her2het.scores`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from her2het.cohort import ordered_groups
from her2het.plots._style import COLUMN_WIDTH_IN, GROUP_COLOURS, data_note, subplots


def plot_volcano(
    table: pd.DataFrame,
    summary: pd.Series,
    *,
    alpha: float = 0.05,
    data_source: str,
    n_labels: int = 10,
) -> Figure:
    """log2 fold change vs -log10 p; genes with padj < alpha coloured, the top ones named."""
    fig, ax = subplots(figsize=(COLUMN_WIDTH_IN, 3.0), layout="constrained")
    title = f"{summary['contrast']}\n{summary['target']} vs {summary['reference']} ({summary['variable']})"
    ax.set_title(title, fontsize=7)
    t = table.dropna(subset=["pvalue", "log2FC"])
    if t.empty:
        ax.text(
            0.5,
            0.5,
            f"not tested\n{summary['status']}",
            ha="center",
            va="center",
            transform=ax.transAxes,
            wrap=True,
        )
        ax.set_axis_off()
    else:
        y = -np.log10(np.clip(t["pvalue"].to_numpy(float), 1e-300, 1))
        sig = (t["padj"] < alpha).to_numpy()
        up = sig & (t["log2FC"].to_numpy() > 0)
        down = sig & (t["log2FC"].to_numpy() < 0)
        ax.scatter(t["log2FC"][~sig], y[~sig], s=3, c="0.7", lw=0, rasterized=True)
        ax.scatter(t["log2FC"][up], y[up], s=5, c="#b2182b", lw=0, label=f"up ({up.sum()})")
        ax.scatter(t["log2FC"][down], y[down], s=5, c="#2166ac", lw=0, label=f"down ({down.sum()})")
        top = t[sig].head(n_labels)
        texts = [
            ax.text(r["log2FC"], -np.log10(max(r["pvalue"], 1e-300)), r["gene"], fontsize=5)
            for _, r in top.iterrows()
        ]
        if texts:  # labels moved apart (adjustText), each joined to its point by a line
            from adjustText import adjust_text

            adjust_text(texts, ax=ax, arrowprops={"arrowstyle": "-", "color": "0.4", "lw": 0.3})
        ax.axvline(0, c="0.5", lw=0.5)
        ax.set_xlabel("log2 fold change")
        ax.set_ylabel("-log10 p")
        units = f"n = {summary['units_target']} vs {summary['units_reference']} units"
        # above the axes, never over a point or a gene label
        fig.legend(
            title=f"padj < {alpha}; {units}", loc="outside upper center", ncols=2,
            frameon=False, title_fontsize=5, fontsize=5,
        )  # fmt: skip
    data_note(fig, data_source)
    return fig


def _score_cols(scores: pd.DataFrame) -> list[str]:
    cols = [c for c in scores.columns if c != "sample"]
    method = cols[0].split(":", 1)[0] if cols else "ssgsea"
    return [c for c in cols if c.startswith(f"{method}:")]


def _grid(n: int) -> tuple[Figure, np.ndarray]:
    ncol = 4
    nrow = max(1, int(np.ceil(n / ncol)))
    fig, axes = subplots(
        nrow,
        ncol,
        figsize=(2 * COLUMN_WIDTH_IN, 1.55 * nrow + 0.4),
        layout="constrained",
        squeeze=False,
    )
    for ax in axes.flat[n:]:
        ax.set_axis_off()
    return fig, axes


def _padj(comparisons: pd.DataFrame, family: str, score: str) -> str:
    r = comparisons[(comparisons["family"] == family) & (comparisons["score"] == score)]
    if r.empty or pd.isna(r["padj"].iloc[0]):
        return "n/a"
    return f"{r['padj'].iloc[0]:.2g}"


def plot_score_groups(
    scores: pd.DataFrame, obs: pd.DataFrame, comparisons: pd.DataFrame, *, data_source: str
) -> Figure:
    """Baseline score per patient (mean of biopsies) by patient group, one panel per set."""
    from her2het.scores import patient_scores  # here: the volcano jobs need no scipy.stats

    cols = _score_cols(scores)
    pts = patient_scores(scores, obs)
    pre = pts[pts["timepoint"] == "pre"]
    groups = ordered_groups(set(pre["group"].astype(str)))
    fig, axes = _grid(len(cols))
    rng = np.random.default_rng(0)
    for ax, col in zip(axes.flat, cols, strict=False):
        vals = [pre.loc[pre["group"] == g, col].dropna().to_numpy() for g in groups]
        ax.boxplot(vals, showfliers=False, widths=0.6, medianprops={"color": "k"})
        for i, (g, v) in enumerate(zip(groups, vals, strict=True), start=1):
            ax.scatter(
                i + rng.uniform(-0.18, 0.18, len(v)), v, s=3, c=GROUP_COLOURS.get(g, "0.4"), lw=0
            )
        ax.set_xticks(range(1, len(groups) + 1), [g.replace("/", "\n") for g in groups], fontsize=5)
        ax.set_title(
            f"{col.split(':', 1)[1]}\nKW padj {_padj(comparisons, 'groups:kruskal', col)}",
            fontsize=6,
        )
    fig.suptitle("Baseline gene-set scores by patient group (patient mean of biopsies)", fontsize=8)
    data_note(fig, data_source)
    return fig


def plot_scores_pre_post(
    scores: pd.DataFrame, obs: pd.DataFrame, comparisons: pd.DataFrame, *, data_source: str
) -> Figure:
    """Paired pre -> post score per patient with a residual tumour, HET vs non-HET."""
    from her2het.scores import patient_scores

    cols = _score_cols(scores)
    pts = patient_scores(scores, obs)
    fig, axes = _grid(len(cols))
    paired = pts.groupby("patient").filter(lambda g: set(g["timepoint"]) >= {"pre", "post"})
    for ax, col in zip(axes.flat, cols, strict=False):
        for (_, grp_name), g in paired.groupby(["patient", "group"]):
            y = g.set_index("timepoint")[col]
            colour = GROUP_COLOURS.get(grp_name, "0.4")
            offset = 0.0 if grp_name.startswith("nonHET") else 2.5
            ax.plot(
                [offset, offset + 1],
                [y.get("pre"), y.get("post")],
                c=colour,
                lw=0.5,
                alpha=0.7,
                marker="o",
                ms=1.5,
            )
        ax.set_xticks([0, 1, 2.5, 3.5], ["pre", "post", "pre", "post"], fontsize=5)
        ax.set_title(
            f"{col.split(':', 1)[1]}\nnon-HET padj {_padj(comparisons, 'pre_post:nonHET', col)}; "
            f"HET {_padj(comparisons, 'pre_post:HET', col)}",
            fontsize=5.5,
        )
    fig.suptitle(
        "Scores before and after treatment (left: non-HET, right: HET; paired patients)", fontsize=8
    )
    data_note(fig, data_source)
    return fig


def plot_subtype_transitions(
    transitions: pd.DataFrame, *, centroids: str, data_source: str
) -> Figure:
    """Pre x post subtype count matrices, one panel per patient group."""
    order = ["LumA", "LumB", "Her2", "Basal", "Normal"]
    groups = ordered_groups(set(transitions["group"].astype(str))) or ["(no paired patients)"]
    fig, axes = subplots(
        1,
        len(groups),
        figsize=(COLUMN_WIDTH_IN * 0.9 * len(groups), 2.6),
        layout="constrained",
        squeeze=False,
    )
    for ax, g in zip(axes.flat, groups, strict=True):
        t = transitions[transitions["group"] == g]
        levels = order + sorted((set(t["subtype_pre"]) | set(t["subtype_post"])) - set(order))
        m = t.pivot_table(
            index="subtype_pre", columns="subtype_post", values="n", aggfunc="sum", fill_value=0
        ).reindex(index=levels, columns=levels, fill_value=0)
        ax.imshow(m.to_numpy(), cmap="Blues", vmin=0)
        for (i, j), v in np.ndenumerate(m.to_numpy()):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=6)
        ax.set_xticks(range(len(levels)), levels, rotation=45, fontsize=5)
        ax.set_yticks(range(len(levels)), levels, fontsize=5)
        ax.set_xlabel("post (residual)")
        ax.set_ylabel("pre (baseline)")
        ax.set_title(f"{g} (n = {int(t['n'].sum())})", fontsize=7)
    short = "built-in PAM50-like profile" if centroids.startswith("built-in") else centroids
    fig.suptitle(f"Subtype before and after treatment\ncentroids: {short}", fontsize=7)
    data_note(fig, data_source)
    return fig
