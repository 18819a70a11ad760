"""Figure: per-cell ERBB2/CEP17 ratio distribution of every sample (heatmap)."""

import sys

import pandas as pd

from her2het.plots import plot_fish_ratio_distributions, save_figure

sys.stderr = open(snakemake.log[0], "w")
hist = pd.read_csv(snakemake.input.histogram, sep="\t", dtype={"sample": str})
scores = pd.read_csv(snakemake.input.samples, sep="\t", dtype={"sample": str})
sheet = pd.read_csv(snakemake.input.sheet, sep="\t", dtype=str)
fig = plot_fish_ratio_distributions(
    hist,
    scores,
    sheet,
    data_source=snakemake.params.data_source,
    cell_ratio=snakemake.params.cell_ratio,
)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
