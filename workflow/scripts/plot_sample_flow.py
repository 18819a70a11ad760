"""Figure: patients and samples by group (reads the cohort summary table)."""

import sys

from her2het.io import read_table
from her2het.plots import plot_sample_flow, save_figure

sys.stderr = open(snakemake.log[0], "w")
summary = read_table(snakemake.input.summary)
fig = plot_sample_flow(summary, title=snakemake.params.title)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
