"""Validate the sheets and counts, and assemble the cohort AnnData (.h5ad)."""

import sys
from pathlib import Path

from her2het.cohort import build_cohort
from her2het.sheets import load_user_inputs

sys.stderr = open(snakemake.log[0], "w")
inp, out = snakemake.input, snakemake.output
samples, patients, counts = load_user_inputs(
    inp.samples, inp.patients, inp.counts, Path(inp.samples_schema).parent
)
adata = build_cohort(
    samples,
    patients,
    counts,
    snakemake.params.data_source,
    snakemake.params.simulated,
)
adata.obs.to_csv(out.obs, sep="\t", index=False, lineterminator="\n")
adata.write_h5ad(out.h5ad, compression="gzip")
print(f"cohort: {adata.n_obs} samples x {adata.n_vars} genes", file=sys.stderr)
