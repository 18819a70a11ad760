"""Gene-set scores of every sample (her2het.scores)."""

import sys

import pandas as pd

from her2het import scores
from her2het.io import gmt, read_anndata, write_table

sys.stderr = open(snakemake.log[0], "w")
cfg = snakemake.params.scores
adata = read_anndata(snakemake.input.h5ad)
sets = [s for path in snakemake.input.gene_sets for s in gmt.read_gmt(path)]
usable, report = scores.check_gene_sets(sets, adata.var_names, cfg["min_size"])
expr = pd.DataFrame(adata.layers["vst"].T, index=adata.var_names, columns=adata.obs_names)
table = scores.score_samples(
    expr, usable, cfg["methods"], weight=cfg["weight"], threads=snakemake.threads
)
write_table(table, snakemake.output.scores)
write_table(report, snakemake.output.sets)
print(f"{len(usable)} of {len(sets)} gene sets scored", file=sys.stderr)
