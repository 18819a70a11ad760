"""Figure: patient-level HER2 heterogeneity prevalence by definition."""

import sys

from her2het.io import read_table
from her2het.plots import plot_fish_het_prevalence, save_figure

sys.stderr = open(snakemake.log[0], "w")
patients = read_table(snakemake.input.patients, ids=("patient",))
fig = plot_fish_het_prevalence(patients, data_source=snakemake.params.data_source)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
