"""Cohort summary table by patient group."""

import sys

import pandas as pd

from her2het.cohort import summarise_cohort

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
obs = pd.read_csv(snakemake.input.obs, sep="\t", dtype={"sample": str, "patient": str})  # noqa: F821
table = summarise_cohort(obs, snakemake.params.data_source)  # noqa: F821
table.to_csv(snakemake.output.summary, sep="\t", index=False, lineterminator="\n")  # noqa: F821
