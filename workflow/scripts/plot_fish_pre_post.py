"""Figure: FISH pre vs post treatment in patients with residual tumour."""

import sys

import pandas as pd

from her2het.plots import plot_fish_pre_post, save_figure

sys.stderr = open(snakemake.log[0], "w")
pre_post = pd.read_csv(snakemake.input.pre_post, sep="\t", dtype={"patient": str})
fig = plot_fish_pre_post(pre_post, data_source=snakemake.params.data_source)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
