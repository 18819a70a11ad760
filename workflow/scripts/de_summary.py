"""One table of every contrast's units, tested genes and DE calls (header only without contrasts)."""

import sys

import pandas as pd

from her2het.de import SUMMARY_COLUMNS

sys.stderr = open(snakemake.log[0], "w")
rows = [pd.read_csv(f, sep="\t", keep_default_na=False) for f in snakemake.input]
table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=SUMMARY_COLUMNS)
table.to_csv(snakemake.output.summary, sep="\t", index=False, lineterminator="\n")
