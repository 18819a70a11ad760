"""Patient-level pCR / HET / pre-post association tests (her2het.outcome.associations)."""

import sys

import pandas as pd

from her2het.outcome import associations, feature_columns

sys.stderr = open(snakemake.log[0], "w")
table = pd.read_csv(snakemake.input.table, sep="\t", dtype={"patient": str})
sheet = pd.read_csv(snakemake.input.patients, sep="\t", nrows=0)
features = feature_columns(table, list(sheet.columns))
out = associations(table, features, n_resamples=snakemake.params.n_permutations)
out.to_csv(snakemake.output.table, sep="\t", index=False, lineterminator="\n")
