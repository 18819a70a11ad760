"""Write the sample sheet, patient sheet and count matrix imported from a GEO series."""

import sys
from pathlib import Path

from her2het.io import geo

sys.stderr = open(snakemake.log[0], "w")
samples, patients, counts = geo.load_geo(
    snakemake.params.spec, Path(snakemake.input.samples_schema).parent
)
geo.write_sheets(samples, patients, counts, Path(snakemake.output.samples).parent)
print(f"GEO import: {len(samples)} samples, {len(patients)} patients", file=sys.stderr)
