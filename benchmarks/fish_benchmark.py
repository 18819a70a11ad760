"""Benchmark: FISH scoring of a large per-cell table (default 10 million cells, 100 samples).

Generates a synthetic (SIMULATED) Parquet table once, then runs the exact code path of the
``fish_score`` rule (read + validate + score + patient tables + examples + write) in a fresh
process, several times, measuring wall time and peak resident memory with ``/usr/bin/time``
when present (else ``resource.getrusage``). Prints a table and writes it to
``results/bench/fish.tsv``.

    .venv/bin/python benchmarks/fish_benchmark.py [--cells 10000000] [--samples 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WORKER = r"""
import sys, time, pandas as pd
from her2het import fish
from her2het.io.sheets import load_patients, load_samples
d, schemas = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
samples = load_samples(f"{d}/samples.tsv", f"{schemas}/samples.schema.yaml")
patients = load_patients(f"{d}/patients.tsv", f"{schemas}/patients.schema.yaml")
tables = fish.score_fish_file(f"{d}/cells.parquet", f"{schemas}/fish_cells.schema.yaml", samples, patients)
for name, df in tables.items():
    df.to_csv(f"{d}/out_{name}.tsv", sep="\t", index=False)
print(time.perf_counter() - t0)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=10_000_000)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="results/bench/fish.tsv")
    args = ap.parse_args()

    from her2het.simulate import simulate_fish_only

    per_area = args.cells // (args.samples * 2)
    work = Path(tempfile.mkdtemp(prefix="fishbench-"))
    try:
        t = time.perf_counter()
        cells, samples, patients = simulate_fish_only(args.samples, per_area, 2, seed=1)
        cells.to_parquet(work / "cells.parquet", index=False)
        samples.to_csv(work / "samples.tsv", sep="\t", index=False)
        patients.to_csv(work / "patients.tsv", sep="\t", index=False)
        n_cells = len(cells)
        del cells
        print(f"generated {n_cells:,} cells in {time.perf_counter() - t:.1f} s", file=sys.stderr)

        schemas = REPO / "workflow" / "schemas"
        timer = shutil.which("time") or (
            "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
        )
        walls, rss = [], []
        for i in range(args.repeats):
            cmd = [sys.executable, "-c", WORKER, str(work), str(schemas)]
            t = time.perf_counter()
            if timer:
                r = subprocess.run(
                    [timer, "-f", "%M", *cmd], capture_output=True, text=True, check=True
                )
                peak_kb = int(r.stderr.strip().splitlines()[-1])
            else:
                r = subprocess.run(cmd, capture_output=True, text=True, check=True)
                peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            walls.append(time.perf_counter() - t)
            rss.append(peak_kb / 1024**2)
            print(
                f"run {i + 1}: wall {walls[-1]:.1f} s, peak RSS {rss[-1]:.2f} GiB", file=sys.stderr
            )
        row = {
            "cells": n_cells,
            "samples": args.samples,
            "cores": os.cpu_count(),
            "repeats": args.repeats,
            "wall_s_median": round(statistics.median(walls), 2),
            "wall_s_all": json.dumps([round(w, 2) for w in walls]),
            "peak_rss_gib_median": round(statistics.median(rss), 3),
            "target": "<= 60 s and <= 4 GiB",
        }
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        header = "\t".join(row)
        out.write_text(header + "\n" + "\t".join(str(v) for v in row.values()) + "\n")
        print(header)
        print("\t".join(str(v) for v in row.values()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
