"""Validate the sheets and counts, apply the QC exclusions, and assemble the cohort AnnData."""

import sys
from pathlib import Path

from her2het.cohort import annotate, build_cohort
from her2het.io import read_table, write_anndata, write_table
from her2het.io.gmt import read_gmt
from her2het.io.sheets import load_patients, load_samples, read_counts
from her2het.qc import apply_exclusion

sys.stderr = open(snakemake.log[0], "w")
inp, out, p = snakemake.input, snakemake.output, snakemake.params
schemas = Path(inp.samples_schema).parent
samples = load_samples(inp.samples, schemas / "samples.schema.yaml")
patients = load_patients(inp.patients, schemas / "patients.schema.yaml")
samples["count_column"] = samples["sample"]  # every count matrix here has sample-ID columns
counts = read_counts(inp.counts, samples)
qc = read_table(inp.qc)
qc["outlier_reason"] = qc["outlier_reason"].fillna("")
kept, excluded = apply_exclusion(samples, qc, p.exclude_outliers)
write_table(excluded, out.excluded)
patients = patients[patients["patient"].isin(kept["patient"])]
adata = build_cohort(kept, patients, counts[kept["sample"]], p.data_source, p.simulated)
gene_sets = {s.name: s.genes for path in inp.gene_sets for s in read_gmt(path)}
annotate(adata, qc, read_table(inp.variance), gene_sets)
write_table(adata.obs, out.obs)
write_anndata(adata, out.h5ad)
print(f"cohort: {adata.n_obs} samples x {adata.n_vars} genes", file=sys.stderr)
print(f"excluded by QC: {len(excluded)}", file=sys.stderr)
