"""Benchmark: the expression stages at paper scale from the count-matrix entry.

Runs the workflow on the SIMULATED paper-size demo (129 patients, 285 samples) with ~20,000 genes
and the simulated count matrix (no reads), on ``--cores`` cores, up to the expression targets
(cohort, VST, every default contrast, scores, subtypes and their figures). Reads each rule's
Snakemake ``benchmark:`` file and writes one row per job and a per-stage total to
``results/bench/expression.tsv`` (wall seconds, CPU seconds, peak RSS in MiB), and prints them.

    .venv/bin/python benchmarks/expression_benchmark.py [--genes 20000] [--cores 2] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STAGES = {
    "simulate_demo": "demo data",
    "qc_samples": "qc",
    "build_cohort": "cohort",
    "normalise_expression": "expression",
    "biopsy_concordance": "expression",
    "deseq2_fit": "de",
    "deseq2_contrast": "de",
    "de_summary": "de",
    "plot_volcano": "de",
    "score_gene_sets": "scores",
    "compare_scores": "scores",
    "plot_scores": "scores",
    "subtype_samples": "subtypes",
    "plot_subtype_transitions": "subtypes",
}
TARGETS = [
    "results/de/summary.tsv",
    "results/scores/comparisons.tsv",
    "results/figures/scores_groups.png",
    "results/figures/subtype_transitions.png",
    "results/expression/biopsy_concordance_genes.tsv",
]


def run(workdir: Path, genes: int, cores: int) -> float:
    cfg = workdir / "bench.yaml"
    cfg.write_text(f"demo: {{size: paper, n_genes: {genes}, reads: {{enabled: false}}}}\n")
    targets = TARGETS + [f"results/figures/de/volcano_{c}.png" for c in contrast_ids()]
    cmd = [
        str(BIN / "snakemake"), *targets, "-s", str(REPO / "Snakefile"), "-d", str(workdir),
        "--cores", str(cores), "--quiet", "--configfile", str(REPO / "config/config.yaml"), str(cfg),
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def contrast_ids() -> list[str]:
    import yaml

    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text())
    return [c["id"] for c in cfg["de"]["contrasts"]]


def collect(workdir: Path) -> pd.DataFrame:
    rows = []
    for f in sorted((workdir / "results/benchmarks").rglob("*.tsv")):
        rel = f.relative_to(workdir / "results/benchmarks")
        rule = rel.parts[0].removesuffix(".tsv")
        if rule not in STAGES:
            continue
        b = pd.read_csv(f, sep="\t")
        rows.append(
            {
                "stage": STAGES[rule],
                "rule": rule,
                "job": rel.stem if len(rel.parts) > 1 else "",
                "wall_s": round(float(b["s"].iloc[0]), 2),
                "cpu_s": round(float(b["cpu_time"].iloc[0]), 2),
                "max_rss_mib": round(float(b["max_rss"].iloc[0]), 1),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genes", type=int, default=20000)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="her2het-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    total = run(workdir, args.genes, args.cores)
    jobs = collect(workdir)
    stages = (
        jobs.groupby("stage", sort=False)
        .agg(jobs=("rule", "size"), wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum"),
             max_rss_mib=("max_rss_mib", "max"))
        .reset_index()
    )  # fmt: skip
    stages["job"] = "(stage total; wall = sum of job times)"
    stages["rule"] = ""
    out = pd.concat([jobs, stages], ignore_index=True)
    dest = REPO / "results/bench"
    dest.mkdir(parents=True, exist_ok=True)
    out.to_csv(dest / "expression.tsv", sep="\t", index=False, lineterminator="\n")
    pd.set_option("display.width", 160)
    print(jobs.to_string(index=False))
    print(stages.drop(columns=["rule"]).to_string(index=False))
    print(f"workflow wall time, {args.cores} cores, {args.genes} genes: {total:.1f} s")
    print("SIMULATED data (her2het.simulate); times from this machine only.")


if __name__ == "__main__":
    main()
