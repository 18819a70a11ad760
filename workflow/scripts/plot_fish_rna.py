"""Figure: ERBB2 mRNA (VST) against the FISH ratio and the ASCO/CAP group, per biopsy."""

import sys

from her2het.io import read_table
from her2het.plots import plot_fish_rna, save_figure

sys.stderr = open(snakemake.log[0], "w")
per_biopsy = read_table(snakemake.input.per_biopsy, ids=("sample",))
fig = plot_fish_rna(per_biopsy, data_source=snakemake.params.data_source)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
