"""Figures. Each function takes result tables in and returns a matplotlib Figure (or draws on ``ax``).

Computation lives elsewhere; nothing here changes a table.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

COLUMN_WIDTH_IN = 3.5  # one journal column
GROUP_COLOURS = {
    "nonHET/pCR": "#1b9e77",
    "nonHET/no-pCR": "#7570b3",
    "HET/pCR": "#e7298a",
    "HET/no-pCR": "#d95f02",
    "pCR": "#1b9e77",
    "no-pCR": "#7570b3",
}

plt.rcParams.update(
    {
        "font.size": 7,
        "axes.titlesize": 8,
        "axes.labelsize": 7,
        "legend.fontsize": 6,
        "xtick.labelsize": 6,
        "ytick.labelsize": 6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "her2het",
        "pdf.fonttype": 42,
    }
)


def _data_note(fig: plt.Figure, data_source: str) -> None:
    """Footer naming the data source (red when the data are simulated), below the axes."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0, 0.05, 1, 0.95))
    fig.text(
        0.01,
        0.005,
        data_source,
        fontsize=5,
        color="#b00000" if "SIMULATED" in data_source else "0.3",
        ha="left",
        va="bottom",
    )


def plot_sample_flow(summary: pd.DataFrame, *, title: str = "Cohort and sample flow") -> plt.Figure:
    """Patients per group (split by number of baseline biopsies) and samples per timepoint.

    ``summary`` is the table written by :func:`her2het.cohort.summarise_cohort`.
    """
    groups = summary[summary["group"] != "all"].reset_index(drop=True)
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(COLUMN_WIDTH_IN * 2, 2.4), constrained_layout=True
    )
    y = np.arange(len(groups))
    two, one = groups["patients_2plus_biopsies"].to_numpy(), groups["patients_1_biopsy"].to_numpy()
    colours = [GROUP_COLOURS.get(g, "0.5") for g in groups["group"]]
    ax1.barh(y, two, color=colours, label="2 baseline biopsies")
    ax1.barh(y, one, left=two, color=colours, alpha=0.45, hatch="///", label="1 baseline biopsy")
    for yi, (a, b) in enumerate(zip(two, one, strict=True)):
        ax1.text(a + b, yi, f" {a + b}", va="center", fontsize=6)
    ax1.set_yticks(y, groups["group"])
    ax1.invert_yaxis()
    ax1.set_xlabel("patients")
    ax1.set_title("Patients by group")
    ax1.legend(frameon=False, loc="lower right")

    pre, post = groups["pre_samples"].to_numpy(), groups["post_samples"].to_numpy()
    h = 0.38
    ax2.barh(y - h / 2, pre, height=h, color=colours, label="pre-treatment (baseline)")
    ax2.barh(
        y + h / 2,
        post,
        height=h,
        color=colours,
        alpha=0.45,
        hatch="...",
        label="post-treatment (residual)",
    )
    for yi, (a, b) in enumerate(zip(pre, post, strict=True)):
        ax2.text(a, yi - h / 2, f" {a}", va="center", fontsize=6)
        ax2.text(b, yi + h / 2, f" {b}", va="center", fontsize=6)
    ax2.set_yticks(y, [""] * len(y))
    ax2.invert_yaxis()
    ax2.set_xlabel("RNA-seq samples")
    total = summary[summary["group"] == "all"].iloc[0]
    ax2.set_title(
        f"Samples: {total['pre_samples']} pre, {total['post_samples']} post "
        f"({total['patients']} patients)"
    )
    ax2.legend(frameon=False, loc="lower right")
    fig.suptitle(title, fontsize=8)
    _data_note(fig, str(summary["data_source"].iloc[0]))
    return fig


def save_figure(fig: plt.Figure, *paths: str | Path, dpi: int = 200) -> None:
    """Save a figure to each path (format from the suffix) with reproducible metadata."""
    for p in paths:
        meta = (
            {"Software": None}
            if str(p).endswith(".png")
            else {"Creator": None, "Producer": None, "CreationDate": None}
        )
        fig.savefig(p, dpi=dpi, metadata=meta)
    plt.close(fig)
