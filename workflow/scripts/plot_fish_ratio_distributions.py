"""Figure: per-cell ERBB2/CEP17 ratio distribution of every sample (heatmap)."""

import sys

from her2het.io import read_table
from her2het.plots import plot_fish_ratio_distributions, save_figure

sys.stderr = open(snakemake.log[0], "w")
hist = read_table(snakemake.input.histogram, ids=("sample",))
scores = read_table(snakemake.input.samples, ids=("sample",))
sheet = read_table(snakemake.input.sheet, dtype=str)
fig = plot_fish_ratio_distributions(
    hist,
    scores,
    sheet,
    data_source=snakemake.params.data_source,
    cell_ratio=snakemake.params.cell_ratio,
)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
