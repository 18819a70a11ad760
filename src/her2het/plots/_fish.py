"""ERBB2 FISH figures: ratio distributions, spatial patterns, HET prevalence by definition,
pre/post change and ERBB2 mRNA against the FISH ratio."""

from __future__ import annotations

import matplotlib.colors
import matplotlib.lines
import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from her2het.plots._style import COLUMN_WIDTH_IN, data_note, subplots

PATTERN_COLOURS = {"amplified": "#d7301f", "non-amplified": "#9ecae1"}
HET_COLOURS = {
    "HET": "#d95f02",
    "non-HET": "#7570b3",
    "undetermined (IHC needed)": "#e6ab02",
    "not evaluable": "0.75",
}


def plot_fish_ratio_distributions(
    histogram: pd.DataFrame,
    scores: pd.DataFrame,
    sheet: pd.DataFrame,
    *,
    data_source: str,
    cell_ratio: float = 2.0,
) -> Figure:
    """Heatmap of per-cell ERBB2/CEP17 ratio distributions, one row per sample.

    Rows are grouped by timepoint (pre, then post) and sorted by % amplified cells; a side strip
    shows the sample's trial HET call. Inputs: ``ratio_histogram.tsv``, FISH ``samples.tsv`` and
    the sample sheet.
    """
    order = (
        scores[["sample", "pct_amplified", "het_trial"]]
        .merge(sheet[["sample", "timepoint"]], on="sample")
        .assign(t=lambda d: d["timepoint"].map({"pre": 0, "post": 1}))
        .sort_values(["t", "pct_amplified", "sample"], ascending=[True, False, True], kind="stable")
    )
    mat = histogram.pivot(index="sample", columns="ratio_bin_start", values="n_cells").loc[
        order["sample"]
    ]
    frac = mat.to_numpy(float) / np.maximum(mat.to_numpy(float).sum(axis=1, keepdims=True), 1)
    edges = np.append(
        mat.columns.to_numpy(float), mat.columns[-1] + (mat.columns[1] - mat.columns[0])
    )
    fig, (ax_strip, ax) = subplots(
        1, 2, figsize=(COLUMN_WIDTH_IN, 3.6), gridspec_kw={"width_ratios": [1, 14], "wspace": 0.03},
        layout="constrained",
    )  # fmt: skip
    n = len(order)
    im = ax.imshow(frac, aspect="auto", cmap="magma_r", interpolation="nearest",
                   extent=(edges[0], edges[-1], n, 0), vmin=0)  # fmt: skip
    ax.axvline(cell_ratio, color="#1f78b4", lw=0.8, ls="--")
    ax.set_xlabel("per-cell ERBB2/CEP17 ratio (last bin: ≥ 10)")
    ax.set_yticks([])
    n_pre = int((order["timepoint"] == "pre").sum())
    if 0 < n_pre < n:
        ax.axhline(n_pre, color="k", lw=0.8)
    ax.set_title(f"{n_pre} pre- and {n - n_pre} post-treatment samples")
    colours = [matplotlib.colors.to_rgb(HET_COLOURS.get(h, "0.75")) for h in order["het_trial"]]
    ax_strip.imshow(np.array(colours)[:, None, :], aspect="auto", extent=(0, 1, n, 0))
    ax_strip.set_xticks([])
    ax_strip.set_yticks([n_pre / 2, n_pre + (n - n_pre) / 2] if n_pre < n else [n / 2],
                        ["pre", "post"] if n_pre < n else ["pre"], rotation=90, va="center")  # fmt: skip
    handles = [matplotlib.patches.Patch(color=c, label=k) for k, c in HET_COLOURS.items()]
    ax.legend(
        handles=handles,
        title="trial HET",
        loc="lower right",
        frameon=True,
        fontsize=5,
        title_fontsize=5,
    )
    fig.colorbar(im, ax=ax, label="fraction of cells", shrink=0.6)
    data_note(fig, data_source)
    return fig


def plot_fish_spatial_patterns(examples: pd.DataFrame, *, data_source: str) -> Figure:
    """Spatial map (x, y) of one example area per called pattern, amplified cells in red."""
    patterns = list(dict.fromkeys(examples["spatial_pattern"]))
    fig, axes = subplots(
        1,
        max(len(patterns), 1),
        figsize=(COLUMN_WIDTH_IN * 2, 2.2),
        layout="constrained",
        squeeze=False,
    )
    for ax, pattern in zip(axes[0], patterns, strict=False):
        d = examples[examples["spatial_pattern"] == pattern]
        amp = d["amplified"].to_numpy() == 1
        ax.scatter(d["x"][~amp], d["y"][~amp], s=2, c=PATTERN_COLOURS["non-amplified"], lw=0)
        ax.scatter(d["x"][amp], d["y"][amp], s=2, c=PATTERN_COLOURS["amplified"], lw=0)
        ax.set_title(
            f"{pattern.replace('_', '-')}\n{d['sample'].iloc[0]} {d['area'].iloc[0]}: {100 * amp.mean():.0f}% amp.",
            fontsize=6,
        )
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    if not patterns:
        axes[0][0].text(0.5, 0.5, "no area with a called pattern", ha="center", fontsize=7)
        axes[0][0].set_axis_off()
    handles = [
        matplotlib.lines.Line2D([], [], marker="o", ls="", color=c, label=k, markersize=3)
        for k, c in PATTERN_COLOURS.items()
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
    data_note(fig, data_source)
    return fig


def plot_fish_het_prevalence(patients: pd.DataFrame, *, data_source: str) -> Figure:
    """Share of patients with a HET / non-HET call who are HET, by definition (n/N on the bars).

    Patients whose call is ``not evaluable`` or ``undetermined (IHC needed)`` are left out of
    N and counted beside the bar.
    """
    defs = {
        "het_trial": "trial (NCT02326974)",
        "het_cap2009": "CAP 2009",
        "het_asco2013": "ASCO/CAP 2013",
    }
    fig, ax = subplots(figsize=(COLUMN_WIDTH_IN, 2.0), layout="constrained")
    for i, col in enumerate(defs):
        v = patients[col]
        n_eval = int(v.isin(["HET", "non-HET"]).sum())
        n_het = int((v == "HET").sum())
        pct = 100 * n_het / n_eval if n_eval else 0.0
        ax.barh(i, pct, color=HET_COLOURS["HET"])
        ne, und = int((v == "not evaluable").sum()), int((v == "undetermined (IHC needed)").sum())
        extra = [f"{ne} not evaluable"] * bool(ne) + [f"{und} need IHC"] * bool(und)
        ax.text(
            pct,
            i,
            f" {n_het}/{n_eval}" + (f" ({', '.join(extra)})" if extra else ""),
            va="center",
            fontsize=6,
        )
    ax.set_yticks(range(len(defs)), list(defs.values()))
    ax.invert_yaxis()
    ax.set_xlabel("patients with HER2 heterogeneity (% of evaluable)")
    ax.set_xlim(0, 100)
    ax.set_title("HER2 heterogeneity at baseline, by definition")
    data_note(fig, data_source)
    return fig


def plot_fish_pre_post(pre_post: pd.DataFrame, *, data_source: str) -> Figure:
    """Paired pre vs post ERBB2/CEP17 ratio and % amplified cells, and HET changes.

    A cohort without any evaluable pre/post pair (a table without those columns) gives empty
    panels (n=0) rather than an error.
    """
    needed = ["pre_ratio", "post_ratio", "pre_pct_amplified", "post_pct_amplified", "het_change"]
    pre_post = pre_post.reindex(columns=list(dict.fromkeys([*pre_post.columns, *needed])))
    fig, axes = subplots(1, 3, figsize=(COLUMN_WIDTH_IN * 2, 2.2), layout="constrained")
    for ax, metric, label in zip(
        axes[:2],
        ("ratio", "pct_amplified"),
        ("ERBB2/CEP17 ratio", "% amplified cells"),
        strict=True,
    ):
        pre, post = pre_post[f"pre_{metric}"].to_numpy(), pre_post[f"post_{metric}"].to_numpy()
        for a, b in zip(pre, post, strict=True):
            ax.plot([0, 1], [a, b], color="0.6", lw=0.5, alpha=0.7)
        ax.scatter(np.zeros(len(pre)), pre, s=6, color="#1b9e77", zorder=3)
        ax.scatter(np.ones(len(post)), post, s=6, color="#d95f02", zorder=3)
        if len(pre):
            ax.plot([0, 1], [np.median(pre), np.median(post)], color="k", lw=1.5, label="median")
        ax.set_xticks([0, 1], ["pre", "post"])
        ax.set_xlim(-0.3, 1.3)
        ax.set_ylabel(label)
        ax.set_title(f"{label} (n={len(pre)} patients)", fontsize=6)
    levels = ["gained", "lost", "unchanged", "undetermined"]
    counts = pre_post["het_change"].value_counts().reindex(levels, fill_value=0)
    axes[2].bar(counts.index, counts.to_numpy(), color=["#d95f02", "#1b9e77", "0.6", "#e6ab02"])
    axes[2].set_ylabel("patients")
    axes[2].set_title("trial HET call, pre → post", fontsize=6)
    data_note(fig, data_source)
    return fig


ISH_COLOURS = {"amplified": "#d7301f", "equivocal": "#fdae61", "not amplified": "#4575b4"}


def plot_fish_rna(per_biopsy: pd.DataFrame, *, data_source: str) -> Figure:
    """ERBB2 mRNA (VST) against the FISH ratio (left) and the ASCO/CAP group (right).

    Input: ``fish/rna_vs_fish.tsv``; biopsies with both an ERBB2 VST and an evaluable FISH
    score. Points are coloured by ISH status; the title gives Spearman's rho.
    """
    from scipy import stats

    d = per_biopsy[per_biopsy["erbb2_vst"].notna()]
    d = d[d["evaluable"].astype(str).str.lower().isin(["true", "1"])]
    fig, (ax1, ax2) = subplots(1, 2, figsize=(COLUMN_WIDTH_IN * 2, 2.3), layout="constrained")
    colours = [ISH_COLOURS.get(s, "0.6") for s in d["ish_status"]]
    ax1.scatter(d["ratio"], d["erbb2_vst"], s=6, c=colours, lw=0)
    ax1.axvline(2.0, color="0.5", lw=0.6, ls="--")
    ax1.set_xlabel("FISH ERBB2/CEP17 ratio")
    ax1.set_ylabel("ERBB2 mRNA (VST)")
    rho = stats.spearmanr(d["ratio"], d["erbb2_vst"])[0] if len(d) > 2 else float("nan")
    ax1.set_title(f"{len(d)} biopsies, Spearman rho = {rho:.2f}", fontsize=6)
    groups = [g for g in range(1, 6) if (d["asco_cap_group"] == g).any()]
    if groups:
        ax2.boxplot(
            [d.loc[d["asco_cap_group"] == g, "erbb2_vst"] for g in groups],
            positions=range(len(groups)),
            widths=0.5,
            showfliers=False,
        )
    else:  # no evaluable FISH biopsy (e.g. too few cells per area): an empty, labelled panel
        for ax in (ax1, ax2):
            ax.text(0.5, 0.5, "no evaluable FISH biopsy", ha="center", va="center",
                    transform=ax.transAxes, fontsize=6, color="0.4")  # fmt: skip
    for i, g in enumerate(groups):
        y = d.loc[d["asco_cap_group"] == g, "erbb2_vst"].to_numpy()
        ax2.scatter(np.full(len(y), i), y, s=4, color="0.3", lw=0, alpha=0.6)
    ax2.set_xticks(range(len(groups)), [f"group {g}" for g in groups])
    ax2.set_ylabel("ERBB2 mRNA (VST)")
    ax2.set_title("by ASCO/CAP ISH group", fontsize=6)
    handles = [
        matplotlib.lines.Line2D([], [], marker="o", ls="", color=c, label=k, markersize=3)
        for k, c in ISH_COLOURS.items()
    ]
    ax1.legend(handles=handles, title="ISH", fontsize=5, title_fontsize=5, frameon=False)
    data_note(fig, data_source)
    return fig
