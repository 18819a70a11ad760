"""Gene-level counts and TPM from salmon (pytximport), and salmon's per-sample statistics."""

import sys
from pathlib import Path

from her2het.io import quant, read_table, write_table

sys.stderr = open(snakemake.log[0], "w")
inp, out, p = snakemake.input, snakemake.output, snakemake.params
tx2gene = read_table(inp.tx2gene, dtype=str)
tables = quant.gene_level(
    inp.quant, p.samples, tx2gene, gene_key=p.gene_level, annotation=inp.tx2gene
)
for key in ("counts", "estimated", "tpm"):
    write_table(tables[key], out[key], index=True)
stats = quant.salmon_stats([Path(f).parent for f in inp.quant], p.samples)
write_table(stats, out.stats)
print(f"{tables['counts'].shape[0]} genes x {len(p.samples)} samples", file=sys.stderr)
