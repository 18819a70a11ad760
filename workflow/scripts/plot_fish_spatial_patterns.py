"""Figure: spatial map of one example area per called pattern."""

import sys

import pandas as pd

from her2het.plots import plot_fish_spatial_patterns, save_figure

sys.stderr = open(snakemake.log[0], "w")
examples = pd.read_csv(snakemake.input.examples, sep="\t", dtype={"sample": str, "area": str})
fig = plot_fish_spatial_patterns(examples, data_source=snakemake.params.data_source)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
