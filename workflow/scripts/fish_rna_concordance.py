"""ERBB2 mRNA vs FISH per biopsy, and biopsy discordance by FISH and RNA per patient."""

import sys

import pandas as pd

from her2het.fish import fish_rna_file

sys.stderr = open(snakemake.log[0], "w")
inp, out = snakemake.input, snakemake.output
sheet = pd.read_csv(inp.sheet, sep="\t", dtype=str)
tables = fish_rna_file(inp.samples, inp.expression, sheet, snakemake.params.rna_log2)
tables["per_biopsy"].to_csv(out.per_biopsy, sep="\t", index=False, lineterminator="\n")
tables["patients"].to_csv(out.patients, sep="\t", index=False, lineterminator="\n")
print(f"{len(tables['per_biopsy'])} biopsies, {len(tables['patients'])} patients", file=sys.stderr)
