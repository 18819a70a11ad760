"""Logistic models for pCR, Firth-penalised under separation (her2het.models)."""

import sys

import pandas as pd

from her2het.models import logistic_models

sys.stderr = open(snakemake.log[0], "w")
table = pd.read_csv(snakemake.input.table, sep="\t", dtype={"patient": str})
terms, models = logistic_models(table, snakemake.params.logistic)
terms.to_csv(snakemake.output.terms, sep="\t", index=False, lineterminator="\n")
models.to_csv(snakemake.output.models, sep="\t", index=False, lineterminator="\n")
