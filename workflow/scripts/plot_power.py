"""Power curves per test, one line per HET prevalence, the trial's design marked."""

import sys

from her2het.io import read_table
from her2het.plots import power_figure, save_figure

sys.stderr = open(snakemake.log[0], "w")
table = read_table(snakemake.input.table, keep_default_na=True)
fig = power_figure(table)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
