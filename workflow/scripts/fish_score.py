"""Score the per-cell FISH table: area, sample, patient and pre/post tables (her2het.fish)."""

import sys
from pathlib import Path

from her2het import fish
from her2het.sheets import load_patients, load_samples, read_fish_cells

sys.stderr = open(snakemake.log[0], "w")
inp, out = snakemake.input, snakemake.output
schemas = Path(inp.schema).parent
params = fish.FishParams.from_config(snakemake.params.fish)
samples = load_samples(inp.samples, schemas / "samples.schema.yaml")
patients = load_patients(inp.patients, schemas / "patients.schema.yaml")
cells = read_fish_cells(inp.cells, inp.schema, samples["sample"], require_xy=params.spatial)
scores = fish.score_cells(cells, params)
tsv = {"sep": "\t", "index": False, "lineterminator": "\n"}
scores.areas.to_csv(out.areas, **tsv)
scores.samples.to_csv(out.samples, **tsv)
scores.ratio_histogram.to_csv(out.ratio_histogram, **tsv)
fish.patient_fish(scores.samples, samples, patients).to_csv(out.patients, **tsv)
fish.pre_post_fish(scores.samples, samples).to_csv(out.pre_post, **tsv)
fish.example_cells(cells, scores.areas, params).to_csv(out.examples, **tsv)
print(f"scored {len(cells)} cells in {len(scores.areas)} areas", file=sys.stderr)
