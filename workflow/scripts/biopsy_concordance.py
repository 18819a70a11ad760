"""Spread between a patient's baseline biopsies (her2het.expression.biopsy_concordance)."""

import sys

from her2het.expression import biopsy_concordance
from her2het.io import read_anndata, write_table

sys.stderr = open(snakemake.log[0], "w")
genes, patients = biopsy_concordance(read_anndata(snakemake.input.h5ad))
write_table(genes, snakemake.output.genes)
write_table(patients, snakemake.output.patients)
print(f"{len(patients)} patients with two or more baseline biopsies", file=sys.stderr)
