"""Calibration figure: type-I error of each test on SIMULATED null cohorts.

Takes the tables of :mod:`her2het.calibration` (``calibration.tsv``, ``model_pvalues.tsv``) and
returns a :class:`matplotlib.figure.Figure` built without pyplot. Nothing here changes a table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from her2het.plots._style import data_note

VERDICT_COLOURS = {
    "calibrated": "#1b9e77",
    "conservative": "#7570b3",
    "anti-conservative": "#d95f02",
    "not estimable": "0.6",
}


def draw_rates(ax: Axes, table: pd.DataFrame) -> None:
    """Rejection rate of each test with its 95% interval; the dashed line is ``alpha``."""
    t = table.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(t))
    for verdict, colour in VERDICT_COLOURS.items():
        m = (t["verdict"] == verdict).to_numpy()
        if not m.any():
            continue
        rate = t.loc[m, "rate"].to_numpy(dtype=float)
        err = np.vstack(
            [rate - t.loc[m, "ci_low"].to_numpy(float), t.loc[m, "ci_high"].to_numpy(float) - rate]
        )
        ax.errorbar(rate, y[m], xerr=err, fmt="o", ms=3, lw=1, color=colour, label=verdict)
    for a in sorted(set(t["alpha"].astype(float))):
        ax.axvline(a, color="0.3", ls="--", lw=0.8)
    labels = [f"{r.test} (n={r.n_tests})" for r in t.itertuples()]
    ax.set_yticks(y, labels, fontsize=5)
    ax.set_xlabel("rejection rate under the null (95% CI)")
    ax.set_xlim(left=0)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4)
    ax.set_title("Type-I error at alpha")


def draw_qq(ax: Axes, pvalues: pd.DataFrame) -> None:
    """Observed vs uniform quantiles of each replicate-level test's p-values (-log10)."""
    for test, d in pvalues.groupby("test", sort=False):
        p = np.sort(d["pvalue"].dropna().to_numpy(dtype=float))
        if not len(p):
            continue
        expected = (np.arange(1, len(p) + 1) - 0.5) / len(p)
        ax.plot(-np.log10(expected), -np.log10(np.clip(p, 1e-300, 1)), lw=0.8, label=str(test))
    lim = ax.get_xlim()[1]
    ax.plot([0, lim], [0, lim], color="0.3", ls="--", lw=0.8)
    ax.set_xlabel("expected -log10 p (uniform)")
    ax.set_ylabel("observed -log10 p")
    ax.legend(frameon=False, fontsize=4, loc="upper left")
    ax.set_title("Null p-values (replicate-level tests)")


def calibration_figure(table: pd.DataFrame, pvalues: pd.DataFrame | None = None) -> Figure:
    """Forest plot of the calibration table, and a QQ plot of the replicate-level p-values."""
    panels = 2 if pvalues is not None and len(pvalues) else 1
    height = max(2.5, 0.16 * len(table) + 1.0)
    fig = Figure(figsize=(8.5 if panels == 2 else 5.0, height), layout="constrained")
    axes = fig.subplots(1, panels, width_ratios=[1.4, 1] if panels == 2 else None, squeeze=False)
    draw_rates(axes[0, 0], table)
    if panels == 2:
        draw_qq(axes[0, 1], pvalues)  # type: ignore[arg-type]
    sizes = ", ".join(sorted(set(table["size"].astype(str))))
    data_note(fig, f"SIMULATED null cohorts (her2het.calibration, size {sizes})")
    return fig
