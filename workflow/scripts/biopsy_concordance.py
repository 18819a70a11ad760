"""Spread between a patient's baseline biopsies (her2het.expression.biopsy_concordance)."""

import sys

import anndata as ad

from her2het.expression import biopsy_concordance
from her2het.io import write_table

sys.stderr = open(snakemake.log[0], "w")
genes, patients = biopsy_concordance(ad.read_h5ad(snakemake.input.h5ad))
write_table(genes, snakemake.output.genes)
write_table(patients, snakemake.output.patients)
print(f"{len(patients)} patients with two or more baseline biopsies", file=sys.stderr)
