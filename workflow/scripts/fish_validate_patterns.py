"""Confusion matrix of called vs planted spatial patterns (simulated demo only)."""

import sys

import pandas as pd

from her2het.fish import pattern_confusion

sys.stderr = open(snakemake.log[0], "w")
areas = pd.read_csv(snakemake.input.areas, sep="\t", dtype={"sample": str, "area": str})
truth = pd.read_csv(snakemake.input.truth, sep="\t", dtype={"sample": str, "area": str})
confusion, accuracy = pattern_confusion(areas, truth)
table = confusion.reset_index()
table["n_areas"] = confusion.sum(axis=1).to_numpy()
table["accuracy_overall"] = round(accuracy, 4)
table.to_csv(snakemake.output.confusion, sep="\t", index=False, lineterminator="\n")
print(f"spatial pattern accuracy {accuracy:.4f} on {len(areas)} areas", file=sys.stderr)
