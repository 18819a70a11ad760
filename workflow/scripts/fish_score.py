"""Score the per-cell FISH table: area, sample, patient and pre/post tables (her2het.fish)."""

import sys
from pathlib import Path

from her2het import fish
from her2het.io import write_table
from her2het.io.sheets import load_patients, load_samples, read_fish_cells

sys.stderr = open(snakemake.log[0], "w")
inp, out = snakemake.input, snakemake.output
schemas = Path(inp.schema).parent
params = fish.FishParams.from_config(snakemake.params.fish)
samples = load_samples(inp.samples, schemas / "samples.schema.yaml")
patients = load_patients(inp.patients, schemas / "patients.schema.yaml")
cells = read_fish_cells(inp.cells, inp.schema, samples["sample"], require_xy=params.spatial)
tables = fish.fish_tables(cells, samples, patients, params)
for name, path in (
    ("areas", out.areas),
    ("samples", out.samples),
    ("patients", out.patients),
    ("pre_post", out.pre_post),
    ("her2_spectrum", out.her2_spectrum),
    ("ratio_histogram", out.ratio_histogram),
    ("example_cells", out.examples),
):
    write_table(tables[name], path)
print(f"scored {len(tables['areas'])} areas in {len(tables['samples'])} samples", file=sys.stderr)
