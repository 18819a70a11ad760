"""Score comparisons between patient groups and pre vs post (her2het.scores.compare_scores)."""

import sys

import pandas as pd

from her2het.scores import compare_scores

sys.stderr = open(snakemake.log[0], "w")
scores = pd.read_csv(snakemake.input.scores, sep="\t")
obs = pd.read_csv(snakemake.input.obs, sep="\t", dtype={"sample": str, "patient": str})
table = compare_scores(scores, obs)
table.to_csv(snakemake.output.table, sep="\t", index=False, lineterminator="\n")
