"""Gene-level counts and TPM from salmon (pytximport), and salmon's per-sample statistics."""

import sys
from pathlib import Path

import pandas as pd

from her2het import quant

sys.stderr = open(snakemake.log[0], "w")
inp, out, p = snakemake.input, snakemake.output, snakemake.params
tx2gene = pd.read_csv(inp.tx2gene, sep="\t", dtype=str)
tables = quant.gene_level(
    inp.quant, p.samples, tx2gene, gene_key=p.gene_level, annotation=inp.tx2gene
)
for key in ("counts", "estimated", "tpm"):
    tables[key].to_csv(out[key], sep="\t", lineterminator="\n")
stats = quant.salmon_stats([Path(f).parent for f in inp.quant], p.samples)
stats.to_csv(out.stats, sep="\t", index=False, lineterminator="\n")
print(f"{tables['counts'].shape[0]} genes x {len(p.samples)} samples", file=sys.stderr)
