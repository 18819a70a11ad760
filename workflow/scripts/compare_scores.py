"""Score comparisons between patient groups and pre vs post (her2het.scores.compare_scores)."""

import sys

from her2het.io import read_table, write_table
from her2het.scores import compare_scores

sys.stderr = open(snakemake.log[0], "w")
scores = read_table(snakemake.input.scores)
obs = read_table(snakemake.input.obs, ids=("sample", "patient"))
table = compare_scores(scores, obs)
write_table(table, snakemake.output.table)
