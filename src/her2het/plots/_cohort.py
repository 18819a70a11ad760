"""Cohort figures: patients per group and samples per timepoint (sample flow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from her2het.plots._style import COLUMN_WIDTH_IN, GROUP_COLOURS, data_note, subplots


def plot_sample_flow(summary: pd.DataFrame, *, title: str = "Cohort and sample flow") -> Figure:
    """Patients per group (split by number of baseline biopsies) and samples per timepoint.

    ``summary`` is the table written by :func:`her2het.cohort.summarise_cohort`.
    """
    groups = summary[summary["group"] != "all"].reset_index(drop=True)
    fig, (ax1, ax2) = subplots(1, 2, figsize=(COLUMN_WIDTH_IN * 2, 2.4), layout="constrained")
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
    data_note(fig, str(summary["data_source"].iloc[0]))
    return fig
