"""Download the configured centroid file and check its sha256 (her2het.io.centroids.download)."""

import sys

from her2het.io.centroids import download

sys.stderr = open(snakemake.log[0], "w")
download(snakemake.params.url, snakemake.output.csv, snakemake.params.sha256)
print(f"downloaded {snakemake.params.url}", file=sys.stderr)
