"""her2het: translational analysis of neoadjuvant HER2-positive breast-cancer trials.

Subpackages are imported lazily by their users; importing ``her2het`` itself is cheap.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from her2het.results import Results

__version__ = "0.1.0"

if hasattr(sys.modules.get("__main__"), "snakemake"):  # a workflow job script
    from her2het.io import joblog

    joblog.install()

__all__ = ["__version__", "load_cohort", "load_expression", "load_de", "load_results"]


def load_cohort(path: str = "results/cohort/cohort.h5ad"):  # type: ignore[no-untyped-def]
    """Open the cohort AnnData written by the workflow (for notebooks)."""
    from her2het.io import read_anndata

    return read_anndata(path)


def load_expression(path: str = "results/expression/expression.h5ad"):  # type: ignore[no-untyped-def]
    """Open the normalised cohort (VST in ``X`` and ``layers['vst']``, ``layers['log2cpm']``)."""
    from her2het.io import read_anndata

    return read_anndata(path)


def load_de(results: str = "results"):  # type: ignore[no-untyped-def]
    """Every contrast's DE table, keyed by contrast id, and the summary table."""
    from pathlib import Path

    from her2het.io import read_table

    root = Path(results) / "de"
    summary = read_table(root / "summary.tsv", keep_default_na=False)
    tables = {c: read_table(root / "contrasts" / f"{c}.tsv") for c in summary["contrast"]}
    return tables, summary


def load_results(results: str | Path = "results") -> Results:
    """Lazy, cached access to every result table of a workflow ``results`` directory.

    See :func:`her2het.results.load_results`; e.g. ``res.patients``, ``res.associations``,
    ``res.de(contrast)``, ``res.expression()``, ``res.available()``, ``res.data_source``.
    """
    from her2het.results import load_results as _load_results

    return _load_results(results)
