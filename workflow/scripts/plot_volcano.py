"""Volcano plot of one contrast (reads its results table)."""

import sys

from her2het.io import read_table
from her2het.plots import plot_volcano, save_figure

sys.stderr = open(snakemake.log[0], "w")
p = snakemake.params
table = read_table(snakemake.input.table)
summary = read_table(snakemake.input.summary, keep_default_na=False).iloc[0]
fig = plot_volcano(table, summary, alpha=p.alpha, data_source=p.data_source)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=p.dpi)
