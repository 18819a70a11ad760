"""Transcript -> gene table from the user's tx2gene table, a GTF or the FASTA headers."""

import sys

from her2het.io import quant, write_table

sys.stderr = open(snakemake.log[0], "w")
inp = snakemake.input
if "tx2gene" in inp.keys():
    table = quant.read_tx2gene(inp.tx2gene)
elif "gtf" in inp.keys():
    table = quant.tx2gene_from_gtf(inp.gtf)
else:
    table = quant.tx2gene_from_fasta(inp.fasta, transcript_fallback=True)
    if (table["gene_id"] == table["transcript_id"]).all():
        print(f"Warning: {inp.fasta}: no gene names; one gene per transcript", file=sys.stderr)
write_table(table, snakemake.output.tx2gene)
print(f"{len(table)} transcripts, {table['gene_id'].nunique()} genes", file=sys.stderr)
