"""Kaplan-Meier, log-rank and Cox models (her2het.models.survival_analysis)."""

import sys

import pandas as pd

from her2het.models import survival_analysis

sys.stderr = open(snakemake.log[0], "w")
table = pd.read_csv(snakemake.input.table, sep="\t", dtype={"patient": str})
for name, df in survival_analysis(table, snakemake.params.survival).items():
    df.to_csv(snakemake.output[name], sep="\t", index=False, lineterminator="\n")
