"""VST and log2-CPM layers on the cohort AnnData (her2het.expression.normalise)."""

import sys

import anndata as ad

from her2het.expression import normalise

sys.stderr = open(snakemake.log[0], "w")
adata = normalise(ad.read_h5ad(snakemake.input.h5ad), n_cpus=snakemake.threads)
adata.write_h5ad(snakemake.output.h5ad, compression="gzip")
print(adata.uns["her2het"]["normalisation"], file=sys.stderr)
