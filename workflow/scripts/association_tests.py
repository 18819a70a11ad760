"""Patient-level pCR / HET / pre-post association tests (her2het.outcome.associations)."""

import sys

from her2het.io import read_table, write_table
from her2het.outcome import associations, feature_columns

sys.stderr = open(snakemake.log[0], "w")
table = read_table(snakemake.input.table, ids=("patient",))
sheet = read_table(snakemake.input.patients, nrows=0)
features = feature_columns(table, list(sheet.columns))
out = associations(table, features, n_resamples=snakemake.params.n_permutations)
write_table(out, snakemake.output.table)
