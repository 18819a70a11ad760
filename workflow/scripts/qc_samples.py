"""Per-sample QC table and PCA outlier flags (her2het.qc)."""

import sys

from her2het import qc
from her2het.io import read_table, sheets, write_table

sys.stderr = open(snakemake.log[0], "w")
inp, out, p = snakemake.input, snakemake.output, snakemake.params
samples = sheets.load_samples(inp.samples, inp.samples_schema)
samples["count_column"] = samples["sample"]  # every count matrix here has sample-ID columns
counts = sheets.read_counts(inp.counts, samples)
stats = read_table(inp.salmon_stats) if "salmon_stats" in inp.keys() else None
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
write_table(table, out.table)
write_table(variance, out.variance)
print(f"{int(table['outlier'].sum())} PCA outlier(s) of {len(table)} samples", file=sys.stderr)
