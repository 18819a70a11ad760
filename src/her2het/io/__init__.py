"""Files in and out. This module holds the table conventions of the workflow, in one place:
every rule script reads and writes its tables through :func:`read_table` and
:func:`write_table`, and its figures through :func:`save_figure`.

Tables are tab-separated text with ``\\n`` line ends (byte-identical on every platform), no
index column unless asked for, and identifiers read as text (:data:`ID_COLUMNS`: a sample
``007`` or a level ``1`` must not become a number).

Submodules: :mod:`her2het.io.sheets` (config, input sheets, count matrices, FISH cell tables;
the one-line input errors), :mod:`her2het.io.geo` (GEO import, ``python -m her2het.io.geo
inspect``), :mod:`her2het.io.gmt` (gene-set files) and :mod:`her2het.io.centroids` (centroid
and centre files, the pinned download).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Columns always read as strings (identifiers and factor levels that may look numeric).
ID_COLUMNS: tuple[str, ...] = (
    "sample",
    "patient",
    "biopsy",
    "count_column",
    "area",
    "gene",
    "contrast",
    "level",
    "levels",
    "set",
)


def write_table(df: pd.DataFrame, path: str | Path, *, index: bool = False, **kwargs: Any) -> None:
    """Write ``df`` as a tab-separated table with ``\\n`` line ends."""
    df.to_csv(path, sep="\t", index=index, lineterminator="\n", **kwargs)


def read_table(
    path: str | Path, *, ids: Iterable[str] | None = None, **kwargs: Any
) -> pd.DataFrame:
    """Read a tab-separated table; the columns ``ids`` (default: none) are read as text.

    Further keyword arguments go to :func:`pandas.read_csv` (e.g. ``dtype``,
    ``keep_default_na``, ``index_col``); an explicit ``dtype`` entry wins over ``ids``.
    """
    dtype = dict.fromkeys(ids or (), str)
    extra = kwargs.pop("dtype", None)
    if isinstance(extra, dict):
        dtype.update(extra)
    elif extra is not None:
        dtype = extra
    return pd.read_csv(path, sep="\t", dtype=dtype or None, **kwargs)


def save_figure(fig: Figure, *paths: str | Path, dpi: int = 200) -> None:
    """Save a figure to each path (format from the suffix) with reproducible metadata."""
    for p in paths:
        meta = (
            {"Software": None}
            if str(p).endswith(".png")
            else {"Creator": None, "Producer": None, "CreationDate": None}
        )
        fig.savefig(p, dpi=dpi, metadata=meta)
    import matplotlib.pyplot as plt

    plt.close(fig)  # a no-op for the bare Figures of her2het.plots
