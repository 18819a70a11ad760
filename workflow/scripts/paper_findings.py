"""Pre-declared checks of the study's findings 1-5 on this run (her2het.paper.findings)."""

import sys

from her2het.io import write_table
from her2het.paper import findings_from_files

sys.stderr = open(snakemake.log[0], "w")
inp = snakemake.input
tables = findings_from_files(
    inp.associations,
    inp.patients,
    inp.de_summary,
    interaction=inp.get("interaction"),
    expression=inp.expression,
    samples=inp.samples,
    patient_sheet=inp.patient_sheet,
    fish_samples=inp.get("fish_samples"),
    transitions=inp.get("transitions"),
    gene_sets=list(inp.gene_sets),
    cfg=snakemake.params.paper,
)
write_table(tables.findings, snakemake.output.table)
write_table(tables.treatment_response, snakemake.output.treatment_response)
