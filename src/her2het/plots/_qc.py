"""RNA-seq QC figure: library size, mapping rate and PCA outliers per sample.

Takes the tables of :mod:`her2het.qc` and returns a :class:`matplotlib.figure.Figure` built
without pyplot (no global figure state, any backend; save it with ``fig.savefig``). Nothing here
changes a table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from her2het.plots._style import data_note

OK_COLOUR = "#4d4d4d"
OUTLIER_COLOUR = "#d62728"
TIMEPOINT_COLOURS = {"pre": "#1b9e77", "post": "#d95f02"}  # as the paper figures
MAX_SAMPLE_LABELS = 40  # above this, per-sample tick labels are dropped


def _outlier_mask(qc: pd.DataFrame) -> np.ndarray:
    if "outlier" not in qc:
        return np.zeros(len(qc), dtype=bool)
    return qc["outlier"].fillna(False).astype(bool).to_numpy()


def _message(ax: Axes, text: str, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _colours(timepoint: np.ndarray) -> np.ndarray:
    return np.array([TIMEPOINT_COLOURS.get(str(t), OK_COLOUR) for t in timepoint], dtype=object)


def _sorted_bars(
    ax: Axes,
    samples: np.ndarray,
    values: np.ndarray,
    outlier: np.ndarray,
    ylabel: str,
    timepoint: np.ndarray,
) -> None:
    order = np.argsort(values, kind="stable")
    x = np.arange(len(order))
    ax.bar(x, values[order], width=0.85, color=list(_colours(timepoint)[order]), lw=0)
    if outlier.any():  # outliers: a red mark above the bar
        top = values[order].max() if len(order) else 0
        flagged = np.flatnonzero(outlier[order])
        ax.scatter(x[flagged], values[order][flagged] + 0.02 * top, marker="v", s=8,
                   color=OUTLIER_COLOUR, lw=0, zorder=3)  # fmt: skip
    ax.set_ylabel(ylabel)
    ax.set_xlim(-0.6, len(order) - 0.4)
    if len(order) <= MAX_SAMPLE_LABELS:
        ax.set_xticks(x, samples[order], rotation=90, fontsize=5)
        ax.set_xlabel("sample (sorted)")
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"samples, sorted (n = {len(order)})")


def _pc_label(variance: pd.DataFrame, pc: str) -> str:
    row = variance.loc[variance["pc"] == pc, "variance_ratio"]
    if row.empty or pd.isna(row.iloc[0]):
        return pc
    return f"{pc} ({100 * float(row.iloc[0]):.1f}% variance)"


def plot_qc(
    qc: pd.DataFrame,
    variance: pd.DataFrame,
    *,
    title: str,
    note: str,
    timepoint: pd.Series | None = None,
) -> Figure:
    """Three-panel QC figure: library size, mapping rate (or detected genes), PC1 vs PC2.

    Parameters
    ----------
    qc
        QC table from :func:`her2het.qc.qc_table` (``sample``, ``library_size``,
        ``mapping_rate``, ``PC1``, ``PC2``, ``outlier``, ``outlier_reason``).
    variance
        PCA variance table from :func:`her2het.qc.pca_outliers` (``pc``, ``variance_ratio``).
    title
        Figure title.
    note
        Data provenance (e.g. ``"SIMULATED demo data"``), printed at the bottom of the figure
        (red when it contains "SIMULATED").
    timepoint
        ``pre``/``post`` per sample ID: bars and points are coloured by it (grey without).

    Returns
    -------
    matplotlib.figure.Figure
        The figure with three axes: library size per sample (sorted bars), mapping rate per
        sample (sorted bars; detected genes per sample for count-matrix input, which has no
        mapping rate) and the PC1/PC2 scatter (or a message when PCA was not run). Colours
        are the timepoint; PCA outliers are marked red in every panel.
    """
    samples = qc["sample"].astype(str).to_numpy()
    outlier = _outlier_mask(qc)
    tp = (
        np.full(len(qc), "", dtype=object)
        if timepoint is None
        else timepoint.reindex(samples).fillna("").astype(str).to_numpy()
    )
    fig = Figure(figsize=(10.5, 3.4), layout="constrained")
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    ax_lib, ax_map, ax_pca = fig.subplots(1, 3, width_ratios=(1.2, 1.2, 1))
    fig.suptitle(title, fontsize=9)

    _sorted_bars(
        ax_lib,
        samples,
        qc["library_size"].to_numpy(dtype=float) / 1e6,
        outlier,
        "library size (million counts)",
        tp,
    )
    ax_lib.set_title("Library size")

    rate = pd.to_numeric(qc.get("mapping_rate", pd.Series(np.nan, index=qc.index)))
    if rate.isna().all():  # count-matrix input: detected genes instead of an empty panel
        _sorted_bars(
            ax_map,
            samples,
            qc["detected_genes"].to_numpy(dtype=float),
            outlier,
            "detected genes",
            tp,
        )
        ax_map.set_title("Detected genes (count input: no mapping rate)")
    else:
        has = rate.notna().to_numpy()
        _sorted_bars(
            ax_map,
            samples[has],
            rate[has].to_numpy(dtype=float),
            outlier[has],
            "mapped fragments (%)",
            tp[has],
        )
        ax_map.set_ylim(0, 100)
        ax_map.set_title(
            "Mapping rate" if has.all() else f"Mapping rate ({(~has).sum()} samples without)"
        )

    if {"PC1", "PC2"} <= set(qc.columns):
        pc1, pc2 = qc["PC1"].to_numpy(dtype=float), qc["PC2"].to_numpy(dtype=float)
        for level in [*TIMEPOINT_COLOURS, ""]:
            m = tp == level
            if m.any():
                colour = TIMEPOINT_COLOURS.get(level, OK_COLOUR)
                label = level or ("samples" if timepoint is None else "no timepoint")
                ax_pca.scatter(pc1[m], pc2[m], s=10, color=colour, lw=0, label=label)
        ax_pca.scatter(pc1[outlier], pc2[outlier], s=30, facecolors="none",
                       edgecolors=OUTLIER_COLOUR, lw=0.8, label="outlier")  # fmt: skip
        for i in np.flatnonzero(outlier):
            ax_pca.annotate(
                samples[i],
                (pc1[i], pc2[i]),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=6,
                color=OUTLIER_COLOUR,
            )
        ax_pca.set_xlabel(_pc_label(variance, "PC1"))
        ax_pca.set_ylabel(_pc_label(variance, "PC2"))
        n_out = int(outlier.sum())
        ax_pca.set_title(f"PCA of log-CPM ({n_out} outlier{'' if n_out == 1 else 's'})")
        if outlier.any() or timepoint is not None:
            ax_pca.legend(loc="best", fontsize=6, frameon=False)
    else:
        reasons = qc.get("outlier_reason", pd.Series(dtype=object)).astype(str)
        reason = next((r for r in reasons if r), "fewer than 2 principal components")
        _message(ax_pca, f"PCA not run: {reason}", "PCA")

    data_note(fig, note)
    return fig
