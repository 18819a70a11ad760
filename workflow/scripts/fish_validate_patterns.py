"""Called vs planted spatial patterns and per-class recovery (simulated demo only)."""

import sys

import pandas as pd

from her2het.fish import pattern_confusion, planted_recovery

sys.stderr = open(snakemake.log[0], "w")
ids = {"sep": "\t", "dtype": {"sample": str, "area": str}}
areas = pd.read_csv(snakemake.input.areas, **ids)
samples = pd.read_csv(snakemake.input.samples, sep="\t", dtype={"sample": str})
truth = pd.read_csv(snakemake.input.truth, keep_default_na=False, **ids)
confusion, accuracy = pattern_confusion(areas, truth)
table = confusion.reset_index()
table["n_areas"] = confusion.sum(axis=1).to_numpy()
table["recovery"] = (pd.Series(confusion.to_numpy().diagonal()) / table["n_areas"]).round(4)
table["accuracy_overall"] = round(accuracy, 4)
table.to_csv(snakemake.output.confusion, sep="\t", index=False, lineterminator="\n")
recovery = planted_recovery(areas, samples, truth)
recovery.to_csv(snakemake.output.recovery, sep="\t", index=False, lineterminator="\n")
print(f"spatial pattern accuracy {accuracy:.4f} on {len(areas)} areas", file=sys.stderr)
