"""Kaplan-Meier, log-rank and Cox models (her2het.models.survival_analysis)."""

import sys

from her2het.io import read_table, write_table
from her2het.models import survival_analysis

sys.stderr = open(snakemake.log[0], "w")
table = read_table(snakemake.input.table, ids=("patient",))
for name, df in survival_analysis(table, snakemake.params.survival).items():
    write_table(df, snakemake.output[name])
