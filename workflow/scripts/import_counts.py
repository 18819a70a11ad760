"""The user's count matrix with sample-ID columns (and gene symbols when a map is given)."""

import sys

from her2het.io import sheets, write_table

sys.stderr = open(snakemake.log[0], "w")
inp = snakemake.input
samples = sheets.load_samples(inp.samples, inp.samples_schema)
counts = sheets.read_counts(inp.counts, samples)
if "gene_map" in inp.keys():
    gene_map = sheets.read_gene_map(inp.gene_map)
    counts = sheets.map_gene_ids(counts, gene_map, counts_path=inp.counts, map_path=inp.gene_map)
write_table(counts, snakemake.output.counts, index=True)
print(f"{counts.shape[0]} genes x {counts.shape[1]} samples", file=sys.stderr)
