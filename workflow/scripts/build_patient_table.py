"""One row per patient and timepoint (her2het.outcome.build_patient_table)."""

import sys

from her2het.io import write_table
from her2het.outcome import build_patient_table

sys.stderr = open(snakemake.log[0], "w")
table = build_patient_table(
    snakemake.input.patients,
    snakemake.input.samples,
    snakemake.input.expression,
    snakemake.input.scores,
    genes=snakemake.params.genes,
    score_method=snakemake.params.score_method,
    subtypes_path=snakemake.input.get("subtypes"),
    fish_path=snakemake.input.get("fish"),
    fish_discordance_path=snakemake.input.get("fish_discordance"),
)
write_table(table, snakemake.output.table)
