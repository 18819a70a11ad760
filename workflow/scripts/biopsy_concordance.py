"""Spread between a patient's baseline biopsies (her2het.expression.biopsy_concordance)."""

import sys

import anndata as ad

from her2het.expression import biopsy_concordance

sys.stderr = open(snakemake.log[0], "w")
genes, patients = biopsy_concordance(ad.read_h5ad(snakemake.input.h5ad))
genes.to_csv(snakemake.output.genes, sep="\t", index=False, lineterminator="\n")
patients.to_csv(snakemake.output.patients, sep="\t", index=False, lineterminator="\n")
print(f"{len(patients)} patients with two or more baseline biopsies", file=sys.stderr)
