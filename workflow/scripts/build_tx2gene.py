"""Transcript -> gene table from GENCODE-style FASTA headers or a GTF."""

import sys

from her2het import quant

sys.stderr = open(snakemake.log[0], "w")
inp = snakemake.input
if "gtf" in inp.keys():
    table = quant.tx2gene_from_gtf(inp.gtf)
else:
    table = quant.tx2gene_from_fasta(inp.fasta)
table.to_csv(snakemake.output.tx2gene, sep="\t", index=False, lineterminator="\n")
print(f"{len(table)} transcripts, {table['gene_id'].nunique()} genes", file=sys.stderr)
