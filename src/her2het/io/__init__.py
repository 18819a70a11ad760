"""Files in and out. This module holds the table conventions of the workflow, in one place:
every rule script reads and writes its tables through :func:`read_table` and
:func:`write_table`, and its figures through :func:`save_figure`.

Tables are tab-separated text with ``\\n`` line ends (byte-identical on every platform), no
index column unless asked for, and identifiers read as text (:data:`ID_COLUMNS`: a sample
``007`` or a level ``1`` must not become a number).

Outside this package no module of :mod:`her2het` reads or writes a file
(``tests/test_structure.py`` checks it). Submodules:

* :mod:`her2het.io.sheets` - config, input sheets, count matrices, FISH cell tables; the
  one-line input errors.
* :mod:`her2het.io.geo` - GEO import (``python -m her2het.io.geo inspect``).
* :mod:`her2het.io.gmt` - gene-set files; :mod:`her2het.io.centroids` - centroid and centre
  files and their pinned download (:mod:`her2het.io.fetch`); :mod:`her2het.io.sspmodel` -
  gene-pair single-sample predictors (sspbc / AIMS R data files).
* :mod:`her2het.io.quant` - transcript annotations and salmon's output;
  :mod:`her2het.io.salmon` - the salmon command line (``python -m her2het.io.salmon``) with
  the streaming FASTQ check of :mod:`her2het.io.fastq`, which also writes the SIMULATED demo's
  FASTA and FASTQ files; :mod:`her2het.io.demo` writes the rest of the demo.
* :mod:`her2het.io.multiqc` - MultiQC custom content; :mod:`her2het.io.joblog` - the job logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import anndata as ad
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


def read_anndata(path: str | Path) -> ad.AnnData:
    """Read an AnnData file written by the workflow (``.h5ad``)."""
    import anndata

    return anndata.read_h5ad(path)


def write_anndata(adata: ad.AnnData, path: str | Path) -> None:
    """Write an AnnData file (``.h5ad``, gzip-compressed)."""
    adata.write_h5ad(path, compression="gzip")


def write_tables(
    tables: dict[str, pd.DataFrame], outdir: str | Path, **kwargs: Any
) -> dict[str, Path]:
    """Write each table as ``<outdir>/<name>.tsv`` (:func:`write_table`; keyword arguments
    such as ``float_format`` go to it); returns the paths by name."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, table in tables.items():
        paths[name] = out / f"{name}.tsv"
        write_table(table, paths[name], **kwargs)
    return paths


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
