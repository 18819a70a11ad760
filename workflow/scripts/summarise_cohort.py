"""Cohort summary table by patient group."""

import sys

from her2het.cohort import summarise_cohort
from her2het.io import read_table, write_table

sys.stderr = open(snakemake.log[0], "w")
obs = read_table(snakemake.input.obs, ids=("sample", "patient"))
table = summarise_cohort(obs, snakemake.params.data_source)
write_table(table, snakemake.output.summary)
