"""Benchmark: the workflow's quantification stage against bare ``salmon quant`` on the same reads.

Writes a SIMULATED paired-end data set (default 12 samples x 1 million read pairs, the paper-size
synthetic transcriptome), builds the salmon index once through the workflow (not timed), then
alternates, ``--repeats`` times:

* bare: ``salmon quant -i INDEX -l A -1 R1 -2 R2 -p THREADS --validateMappings`` for every
  sample, one after the other (salmon reads the gzip files itself);
* workflow: ``snakemake --cores THREADS results/quant/counts.tsv`` from a clean quant directory:
  parse-time validation of the sheets, the FASTQ integrity check streaming into salmon for every
  sample, the transcript -> gene table and pytximport's gene-level counts.

Prints medians and the ratio workflow / bare, and writes ``results/bench/quant.tsv``.

    .venv/bin/python benchmarks/quant_benchmark.py [--samples 12] [--pairs 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def make_data(root: Path, n_samples: int, pairs: int) -> list[tuple[str, Path, Path]]:
    from her2het import reads
    from her2het import simulate as S
    from her2het.io import fastq

    design = S.resolve_design("paper")
    genes = S.gene_table(design, 1)
    rng = np.random.default_rng(1)
    tx = reads.build_transcriptome(genes, rng)
    fastq.write_fasta(tx, root / "transcriptome.fa")
    (root / "fastq").mkdir()
    mu = rng.lognormal(3.0, 2.0, len(tx.table))
    out = []
    for i in range(n_samples):
        s = f"B{i + 1:03d}"
        counts = rng.multinomial(pairs, mu / mu.sum())
        r1, r2 = root / "fastq" / f"{s}_R1.fq.gz", root / "fastq" / f"{s}_R2.fq.gz"
        fastq.write_sample_fastq(
            tx, counts, s, [r1], [r2], rng, reads.ReadParams(foreign_fraction=0.0)
        )
        out.append((s, r1, r2))
    pd.DataFrame(
        {
            "sample": [s for s, *_ in out],
            "patient": [f"P{i + 1:03d}" for i in range(n_samples)],
            "timepoint": "pre",
            "biopsy": "B1",
            "fq1": [str(r1) for _, r1, _ in out],
            "fq2": [str(r2) for *_, r2 in out],
        }
    ).to_csv(root / "samples.tsv", sep="\t", index=False)
    pd.DataFrame(
        {"patient": [f"P{i + 1:03d}" for i in range(n_samples)], "pCR": 0, "HR": "pos"}
    ).to_csv(root / "patients.tsv", sep="\t", index=False)
    (root / "config").mkdir()
    (root / "config" / "config.yaml").write_text(
        f"input: sheets\nsheets:\n  samples: {root}/samples.tsv\n  patients: {root}/patients.tsv\n"
        f"quant:\n  transcriptome: {root}/transcriptome.fa\n"
    )
    return out


def snakemake(root: Path, threads: int, *targets: str) -> None:
    cmd = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "-d", str(root)]
    cmd += ["--cores", str(threads), *targets]
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(r.stderr[-3000:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=12)
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", help="keep the data here and reuse it on the next run")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(a.workdir or tmp)
        t0 = time.perf_counter()
        if (root / "samples.tsv").is_file():
            sheet = pd.read_csv(root / "samples.tsv", sep="\t")
            data = [(s, Path(r1), Path(r2)) for s, r1, r2 in sheet[["sample", "fq1", "fq2"]].values]
        else:
            root.mkdir(parents=True, exist_ok=True)
            data = make_data(root, a.samples, a.pairs)
        print(f"data: {len(data)} samples ready in {time.perf_counter() - t0:.0f} s", flush=True)
        snakemake(root, a.threads, "results/quant/salmon_index")
        index = root / "results" / "quant" / "salmon_index"
        rows = []
        for rep in range(a.repeats):
            shutil.rmtree(root / "bare", ignore_errors=True)
            t = time.perf_counter()
            for s, r1, r2 in data:
                subprocess.run(
                    ["salmon", "quant", "-i", str(index), "-l", "A", "-1", str(r1), "-2", str(r2)]
                    + ["-p", str(a.threads), "--validateMappings", "-o", str(root / "bare" / s)],
                    check=True,
                    capture_output=True,
                )
            bare = time.perf_counter() - t
            for p in ("salmon", "counts.tsv", "estimated_counts.tsv", "tpm.tsv"):
                target = root / "results" / "quant" / p
                shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(
                    missing_ok=True
                )
            t = time.perf_counter()
            snakemake(root, a.threads, "results/quant/counts.tsv")
            wf = time.perf_counter() - t
            rows.append({"repeat": rep + 1, "bare_s": round(bare, 2), "workflow_s": round(wf, 2)})
            print(rows[-1], flush=True)
        df = pd.DataFrame(rows)
        med_b, med_w = statistics.median(df["bare_s"]), statistics.median(df["workflow_s"])
        df["ratio"] = (df["workflow_s"] / df["bare_s"]).round(3)
        print(df.to_string(index=False))
        print(f"median bare {med_b:.1f} s, workflow {med_w:.1f} s, ratio {med_w / med_b:.3f}")
        out = REPO / "results" / "bench"
        out.mkdir(parents=True, exist_ok=True)
        df.to_csv(out / "quant.tsv", sep="\t", index=False)


if __name__ == "__main__":
    main()
