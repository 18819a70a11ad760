"""VST and log2-CPM layers on the cohort AnnData (her2het.expression.normalise)."""

import sys

from her2het.expression import normalise
from her2het.io import read_anndata, write_anndata

sys.stderr = open(snakemake.log[0], "w")
adata = normalise(read_anndata(snakemake.input.h5ad), n_cpus=snakemake.threads)
write_anndata(adata, snakemake.output.h5ad)
print(adata.uns["her2het"]["normalisation"], file=sys.stderr)
