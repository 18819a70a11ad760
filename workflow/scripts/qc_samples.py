"""Per-sample QC table and PCA outlier flags (her2het.qc)."""

import sys

import pandas as pd

from her2het import qc, sheets

sys.stderr = open(snakemake.log[0], "w")
inp, out, p = snakemake.input, snakemake.output, snakemake.params
samples = sheets.load_samples(inp.samples, inp.samples_schema)
samples["count_column"] = samples["sample"]  # every count matrix here has sample-ID columns
counts = sheets.read_counts(inp.counts, samples)
stats = pd.read_csv(inp.salmon_stats, sep="\t") if "salmon_stats" in inp.keys() else None
c = p.qc
base = qc.sample_qc(counts, stats, min_count=c["min_count"])
scores, variance = qc.pca_outliers(
    counts,
    n_top_genes=c["n_top_genes"],
    n_pcs=c["n_pcs"],
    outlier_pcs=c["outlier_pcs"],
    sd=c["outlier_sd"],
)
table = base.merge(scores.round(4), on="sample", validate="one_to_one")
table.to_csv(out.table, sep="\t", index=False, lineterminator="\n")
variance.to_csv(out.variance, sep="\t", index=False, lineterminator="\n")
print(f"{int(table['outlier'].sum())} PCA outlier(s) of {len(table)} samples", file=sys.stderr)
