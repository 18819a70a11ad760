"""One row per patient and timepoint (her2het.outcome.build_patient_table)."""

import sys

from her2het.io import read_anndata, read_table, write_table
from her2het.outcome import build_patient_table

sys.stderr = open(snakemake.log[0], "w")
inp = snakemake.input
ids = ("sample", "patient")
table = build_patient_table(
    read_table(inp.patients, ids=ids),
    read_table(inp.samples, ids=ids),
    read_anndata(inp.expression),
    read_table(inp.scores, ids=("sample",)),
    genes=snakemake.params.genes,
    score_method=snakemake.params.score_method,
    subtypes=(
        read_table(inp.subtypes, dtype=str, keep_default_na=False)
        if "subtypes" in inp.keys()
        else None
    ),
    fish=read_table(inp.fish, ids=("sample",)) if "fish" in inp.keys() else None,
    fish_discordance=(
        read_table(inp.fish_discordance, ids=ids) if "fish_discordance" in inp.keys() else None
    ),
    source=inp.expression,
)
write_table(table, snakemake.output.table)
