"""Shared figure style and helpers: journal sizes, group colours, the data-source footer, one
way to make a figure (:func:`subplots`, a bare :class:`matplotlib.figure.Figure`, no pyplot
state) and reproducible saving (:func:`save_figure`)."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from her2het.io import save_figure  # noqa: E402,F401  (re-exported by her2het.plots)

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


def subplots(
    nrows: int = 1,
    ncols: int = 1,
    *,
    figsize: tuple[float, float],
    layout: str | None = "constrained",
    **kwargs: Any,
) -> tuple[Figure, Any]:
    """A new figure and its axes (``Figure.subplots``); the one way figures are made here."""
    fig = Figure(figsize=figsize, layout=layout)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def data_note(fig: plt.Figure, data_source: str) -> None:
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
