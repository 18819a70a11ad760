"""Measurement: agreement of each subtype centring on real and SIMULATED cohorts.

* the UNC bioclassifier's 200 example tumours (real microarray data, MIT) against the
  classifier's own calls, with genefu's genuine PAM50 centroids;
* cohorts SIMULATED with those centroids (``her2het.simulate.simulate_subtype_expression``)
  with a general, a clinically HER2-positive and a luminal-rich HER2-positive subtype mix, at
  200, 40 and 20 tumours (mean of 5 seeds), against the planted subtypes;
* real tumours of the 200 resampled (with replacement) to the HER2-positive mixes, against
  their original calls (real within-subtype variation; mean of 5 seeds).

Prints accuracy and Cohen's kappa per centring (the table in docs/methods.md, "Subtypes"):

    .venv/bin/python benchmarks/subtype_centring.py [reference-set folder]

The folder defaults to ``../shared/data/pam50_reference`` beside the repository.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from her2het import simulate, subtype
from her2het.io import centroids as centroids_io

REPO = Path(__file__).resolve().parents[1]
MIXES = {
    "general (UNC example-set mix)": subtype.REFERENCE_SET_MIX,
    "HER2+ (default expected_mix)": subtype.DEFAULT_MIX,
    "HER2+ luminal-rich (Her2 0.2)": {"LumA": 0.3, "LumB": 0.35, "Her2": 0.2, "Basal": 0.1, "Normal": 0.05},
}  # fmt: skip
CENTRINGS = ("mixture", "median", "none")


def calls(x: pd.DataFrame, centroids: subtype.Centroids, centring: str) -> pd.Series:
    cr = subtype.centre_genes(x, centroids, centring)
    return subtype.classify(x - cr.centre, centroids, n_bootstrap=0)["subtype"]


def resample(truth: pd.Series, mix: dict[str, float], n: int, seed: int) -> np.ndarray:
    """Positions of ``n`` tumours drawn with replacement so that their calls follow ``mix``."""
    rng = np.random.default_rng(seed)
    names = list(mix)
    k = rng.choice(names, n, p=np.array(list(mix.values())) / sum(mix.values()))
    return np.array([rng.choice(np.flatnonzero(truth.to_numpy() == s)) for s in k])


def main(folder: Path) -> pd.DataFrame:
    x, truth, centroids = subtype.reference_set(*centroids_io.read_reference_set(folder))
    rows = []
    for centring in CENTRINGS:
        acc, kappa = subtype.agreement(calls(x, centroids, centring), truth)
        rows.append(("UNC 200 tumours (real)", 200, centring, acc, kappa))
    for name, mix in MIXES.items():
        for n in (200, 40, 20):
            for centring in CENTRINGS[:2]:
                res = []
                for seed in range(5):
                    e, t = simulate.simulate_subtype_expression(centroids.table, mix, n, seed)
                    res.append(subtype.agreement(calls(e, centroids, centring), t))
                acc, kappa = np.mean(res, axis=0)
                rows.append((f"SIMULATED {name}", n, centring, acc, kappa))
    for name, mix in list(MIXES.items())[1:]:
        for n in (100, 20):
            for centring in CENTRINGS[:2]:
                res = [
                    subtype.agreement(calls(x.iloc[i], centroids, centring), truth.iloc[i])
                    for i in (resample(truth, mix, n, seed) for seed in range(5))
                ]
                acc, kappa = np.mean(res, axis=0)
                rows.append((f"UNC tumours resampled, {name}", n, centring, acc, kappa))
    return pd.DataFrame(rows, columns=["cohort", "n", "centring", "accuracy", "kappa"])


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared/data/pam50_reference"
    print(main(folder).round(3).to_markdown(index=False))
