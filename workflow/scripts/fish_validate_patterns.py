"""Called vs planted spatial patterns and per-class recovery (simulated demo only)."""

import sys

import pandas as pd

from her2het.fish import pattern_confusion, planted_recovery
from her2het.io import read_table, write_table

sys.stderr = open(snakemake.log[0], "w")
areas = read_table(snakemake.input.areas, ids=("sample", "area"))
samples = read_table(snakemake.input.samples, ids=("sample",))
truth = read_table(snakemake.input.truth, ids=("sample", "area"), keep_default_na=False)
confusion, accuracy = pattern_confusion(areas, truth)
table = confusion.reset_index()
table["n_areas"] = confusion.sum(axis=1).to_numpy()
table["recovery"] = (pd.Series(confusion.to_numpy().diagonal()) / table["n_areas"]).round(4)
table["accuracy_overall"] = round(accuracy, 4)
write_table(table, snakemake.output.confusion)
recovery = planted_recovery(areas, samples, truth)
write_table(recovery, snakemake.output.recovery)
print(f"spatial pattern accuracy {accuracy:.4f} on {len(areas)} areas", file=sys.stderr)
