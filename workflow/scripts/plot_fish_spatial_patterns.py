"""Figure: spatial map of one example area per called pattern."""

import sys

from her2het.io import read_table
from her2het.plots import plot_fish_spatial_patterns, save_figure

sys.stderr = open(snakemake.log[0], "w")
examples = read_table(snakemake.input.examples, ids=("sample", "area"))
fig = plot_fish_spatial_patterns(examples, data_source=snakemake.params.data_source)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
