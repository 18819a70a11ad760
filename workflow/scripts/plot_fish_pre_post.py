"""Figure: FISH pre vs post treatment in patients with residual tumour."""

import sys

from her2het.io import read_table
from her2het.plots import plot_fish_pre_post, save_figure

sys.stderr = open(snakemake.log[0], "w")
pre_post = read_table(snakemake.input.pre_post, ids=("patient",))
fig = plot_fish_pre_post(pre_post, data_source=snakemake.params.data_source)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
