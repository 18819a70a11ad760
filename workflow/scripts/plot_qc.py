"""QC figure: library size, mapping rate and PCA with outliers (reads the QC tables)."""

import sys

from her2het.io import read_table
from her2het.io.sheets import load_samples
from her2het.plots import plot_qc, save_figure

sys.stderr = open(snakemake.log[0], "w")
p = snakemake.params
table = read_table(snakemake.input.table)
variance = read_table(snakemake.input.variance)
samples = load_samples(snakemake.input.samples, snakemake.input.samples_schema)
timepoint = samples.set_index("sample")["timepoint"]
fig = plot_qc(table, variance, title=p.title, note=p.data_source, timepoint=timepoint)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=p.dpi)
