"""Compile the numba kernels once, at set-up, so that no workflow job pays for it.

Two parts of the workflow run numba code compiled on first use and cached on disk
(``cache=True``): this package's dispersion and shrinkage kernels
(:mod:`her2het._nb_kernels`, cached in the package's ``__pycache__``) and firthmodels'
Firth logistic and Cox routines (cached in its own ``__pycache__``). Without a warm cache,
the first DE jobs and the first Firth fits of a run each spend seconds to tens of seconds
compiling (measured in ``docs/performance.md``), and jobs running side by side compile the
same functions twice. ``make setup`` runs ``python -m her2het.precompile`` once after
installing the package, as an installer byte-compiles Python files: it calls the same public
functions the workflow's jobs call, on a tiny synthetic data set (never written anywhere),
so the signatures compiled are the ones the jobs use. It is safe to run again; a second run
loads the cache and takes a few seconds.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd


def _counts_and_meta(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A tiny paired cohort: 16 patients x (pre, post), 60 genes of NB counts."""
    rng = np.random.default_rng(seed)
    n_pat, n_genes = 16, 60
    patients = [f"P{i:02d}" for i in range(n_pat)]
    meta = pd.DataFrame(
        {
            "patient": np.repeat(patients, 2),
            "timepoint": ["pre", "post"] * n_pat,
            "HR": np.repeat(rng.permutation([0, 1] * (n_pat // 2)), 2).astype(str),
            "pCR": np.repeat(rng.permutation([0, 1] * (n_pat // 2)), 2).astype(str),
            "HET": np.repeat(rng.permutation([0, 1] * (n_pat // 2)), 2).astype(str),
        },
        index=[f"S{i:02d}" for i in range(2 * n_pat)],
    )
    base = rng.gamma(2.0, 200.0, n_genes)
    mu = base[None, :] * rng.lognormal(0.0, 0.3, (len(meta), n_genes))
    disp = 0.1
    counts = rng.negative_binomial(1 / disp, 1 / (1 + mu * disp))
    genes = [f"G{i:03d}" for i in range(n_genes)]
    return pd.DataFrame(counts, index=meta.index, columns=genes), meta


def differential_expression() -> None:
    """One unpaired, one paired and one interaction design through ``de.run_design``."""
    from . import de

    counts, meta = _counts_and_meta()
    specs = [
        {
            "id": "unpaired",
            "subset": {"timepoint": ["pre"]},
            "variable": "pCR",
            "reference": "0",
            "target": "1",
            "blocking": ["HR"],
        },
        {
            "id": "paired",
            "variable": "timepoint",
            "reference": "pre",
            "target": "post",
            "paired": True,
        },
        {
            "id": "interaction",
            "variable": "timepoint",
            "reference": "pre",
            "target": "post",
            "paired": True,
            "interaction": "HET",
        },
    ]
    for contrast in de.parse_contrasts(specs):
        de.run_design(counts, meta, [contrast], min_count=1, n_cpus=1)


def firth_models() -> None:
    """Firth logistic (with profile CIs and separation check) and Firth Cox fits."""
    from .models import fit_cox, fit_logistic

    rng = np.random.default_rng(11)
    n = 40
    table = pd.DataFrame(
        {
            "pCR": rng.integers(0, 2, n),
            "HET": rng.integers(0, 2, n),
            "HR": rng.integers(0, 2, n),
            "score": rng.normal(size=n),
            "time": rng.exponential(5.0, n),
            "event": rng.integers(0, 2, n),
        }
    )
    fit_logistic(table, "pCR ~ HET + HR + score", firth="always", cv_folds=2, cv_repeats=1)
    fit_cox(table, "time", "event", "pCR + HR", firth="always")


def main() -> int:
    start = time.perf_counter()
    differential_expression()
    firth_models()
    took = time.perf_counter() - start
    print(f"numba kernels compiled and cached in {took:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
