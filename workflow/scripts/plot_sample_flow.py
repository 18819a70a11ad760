"""Figure: patients and samples by group (reads the cohort summary table)."""

import sys

import pandas as pd

from her2het.plots import plot_sample_flow, save_figure

sys.stderr = open(snakemake.log[0], "w")
summary = pd.read_csv(snakemake.input.summary, sep="\t")
fig = plot_sample_flow(summary, title=snakemake.params.title)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
