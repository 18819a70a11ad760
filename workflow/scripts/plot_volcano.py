"""Volcano plot of one contrast (reads its results table)."""

import sys

import pandas as pd

from her2het.plots import plot_volcano, save_figure

sys.stderr = open(snakemake.log[0], "w")
p = snakemake.params
table = pd.read_csv(snakemake.input.table, sep="\t")
summary = pd.read_csv(snakemake.input.summary, sep="\t", keep_default_na=False).iloc[0]
fig = plot_volcano(table, summary, alpha=p.alpha, data_source=p.data_source)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=p.dpi)
