"""Write one demo sample's SIMULATED FASTQ files (lanes, read 1 and read 2)."""

import sys
from pathlib import Path

import pandas as pd

from her2het import reads
from her2het.io import fastq

sys.stderr = open(snakemake.log[0], "w")
sample, p = snakemake.wildcards.sample, snakemake.params
Path(snakemake.output.fastq).mkdir(parents=True, exist_ok=True)
tx = fastq.read_fasta(snakemake.input.transcriptome)
counts = pd.read_parquet(snakemake.input.tx_counts, columns=[sample])[sample]
counts = counts.reindex(tx.table["transcript_id"]).to_numpy()
rng = reads.sample_rng(p.seed, p.index)
params = reads.ReadParams(paired=bool(p.r2))
n = fastq.write_sample_fastq(tx, counts, sample, p.r1, p.r2 or None, rng, params)
print(f"{sample}: {n} fragments over {len(p.r1)} lane(s)", file=sys.stderr)
