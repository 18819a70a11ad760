"""One table of every contrast's units, tested genes and DE calls."""

import sys

import pandas as pd

sys.stderr = open(snakemake.log[0], "w")
rows = [pd.read_csv(f, sep="\t", keep_default_na=False) for f in snakemake.input]
pd.concat(rows, ignore_index=True).to_csv(
    snakemake.output.summary, sep="\t", index=False, lineterminator="\n"
)
