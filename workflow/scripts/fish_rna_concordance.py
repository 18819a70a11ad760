"""ERBB2 mRNA vs FISH per biopsy, and biopsy discordance by FISH and RNA per patient."""

import sys

from her2het.fish import fish_rna_tables
from her2het.io import read_anndata, read_table, write_table

sys.stderr = open(snakemake.log[0], "w")
inp, out = snakemake.input, snakemake.output
sheet = read_table(inp.sheet, dtype=str)
fish_samples = read_table(inp.samples, ids=("sample",))
tables = fish_rna_tables(
    fish_samples, read_anndata(inp.expression), sheet, snakemake.params.rna_log2
)
write_table(tables["per_biopsy"], out.per_biopsy)
write_table(tables["patients"], out.patients)
print(f"{len(tables['per_biopsy'])} biopsies, {len(tables['patients'])} patients", file=sys.stderr)
