"""Cohort summary table by patient group."""

import sys

import pandas as pd

from her2het.cohort import summarise_cohort

sys.stderr = open(snakemake.log[0], "w")
obs = pd.read_csv(snakemake.input.obs, sep="\t", dtype={"sample": str, "patient": str})
table = summarise_cohort(obs, snakemake.params.data_source)
table.to_csv(snakemake.output.summary, sep="\t", index=False, lineterminator="\n")
