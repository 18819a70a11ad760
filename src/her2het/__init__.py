"""her2het: translational analysis of neoadjuvant HER2-positive breast-cancer trials.

Subpackages are imported lazily by their users; importing ``her2het`` itself is cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load_cohort"]


def load_cohort(path: str = "results/cohort/cohort.h5ad"):  # type: ignore[no-untyped-def]
    """Open the cohort AnnData written by the workflow (for notebooks)."""
    import anndata as ad

    return ad.read_h5ad(path)
