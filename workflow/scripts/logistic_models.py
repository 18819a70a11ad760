"""Logistic models for pCR, Firth-penalised under separation (her2het.models)."""

import sys

from her2het.io import read_table, write_table
from her2het.models import logistic_models

sys.stderr = open(snakemake.log[0], "w")
table = read_table(snakemake.input.table, ids=("patient",))
terms, models = logistic_models(table, snakemake.params.logistic)
write_table(terms, snakemake.output.terms)
write_table(models, snakemake.output.models)
