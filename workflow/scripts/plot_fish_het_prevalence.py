"""Figure: patient-level HER2 heterogeneity prevalence by definition."""

import sys

import pandas as pd

from her2het.plots import plot_fish_het_prevalence, save_figure

sys.stderr = open(snakemake.log[0], "w")
patients = pd.read_csv(snakemake.input.patients, sep="\t", dtype={"patient": str})
fig = plot_fish_het_prevalence(patients, data_source=snakemake.params.data_source)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
