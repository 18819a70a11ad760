"""Directional checks of the study's findings 1-5 on this run (her2het.paper.findings)."""

import sys

from her2het.paper import findings_from_files

sys.stderr = open(snakemake.log[0], "w")
table = findings_from_files(
    snakemake.input.associations,
    snakemake.input.patients,
    snakemake.input.de_summary,
    fish_pre_post=snakemake.input.get("fish_pre_post"),
    transitions=snakemake.input.get("transitions"),
)
table.to_csv(snakemake.output.table, sep="\t", index=False, lineterminator="\n")
