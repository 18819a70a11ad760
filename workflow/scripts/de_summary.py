"""One table of every contrast's units, tested genes and DE calls (header only without contrasts)."""

import sys

import pandas as pd

from her2het.de import SUMMARY_COLUMNS
from her2het.io import read_table, write_table

sys.stderr = open(snakemake.log[0], "w")
rows = [read_table(f, keep_default_na=False) for f in snakemake.input]
table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=SUMMARY_COLUMNS)
write_table(table, snakemake.output.summary)
