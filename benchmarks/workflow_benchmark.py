"""Benchmark: the whole workflow from the count-matrix entry, at paper scale and at 10x.

For each scale the SIMULATED demo (``demo.size`` paper = 285 samples, paper_x10 = 2,850) is
written once with ``--genes`` genes and no reads (quantification is benchmarked separately by
``quant_benchmark.py`` on the FASTQ demo). Then, timed:

1. ``snakemake --cores N`` - every table and figure from the count matrix on (the default
   target minus the simulation, which stands in for the user's input files);
2. ``snakemake --report`` - the HTML report;
3. a no-change re-run (median of ``--reruns``);
4. a figure-option change (``report.figure_dpi_by_figure`` for fig6): the jobs it re-runs and
   its time.

Peak memory is sampled every 0.25 s over the whole process tree (the sum of the resident sets
of snakemake and every job running at that moment). Per-job wall, CPU and peak RSS come from
each rule's ``benchmark:`` file and are summed per stage (the ``.smk`` file of the rule).
Writes ``results/bench/workflow_<scale>.tsv`` (per job and per stage) and
``results/bench/workflow_summary.tsv`` (one row per scale, plus the 10x/1x ratios), and prints
them. SIMULATED data; the figures are this machine's.

``--r-reference`` also times R DESeq2 against the project's DE fit + test per design on the
paper-scale cohort (``de_benchmark.py``: alternating runs, median of ``--repeats``, ratio and
agreement per design; ``results/bench/de_vs_r.tsv``) and, with the paper scale, the whole
run (counts -> report) against the sum of R's DE times over the designs, in this one command
(``results/bench/whole_run_vs_r.tsv``). It needs R with DESeq2 (e.g. Debian's
``r-bioc-deseq2``), which the project never installs; without it the benchmark stops at once.
``--scales`` with no value skips the workflow runs (only the comparison with R).

    .venv/bin/python benchmarks/workflow_benchmark.py [--scales paper paper_x10] [--genes 20000]
        [--cores 2] [--reruns 3] [--workdir DIR] [--r-reference [--repeats 3]]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psutil

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
FIGURE_CHANGE = "report:\n  figure_dpi_by_figure: {fig6_outcome: 150}\n"  # default 300


def rule_stages() -> dict[str, str]:
    """Rule name -> stage (the name of the ``.smk`` file that defines it)."""
    stages = {}
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for name in re.findall(r"^(?:rule|use rule \w+ as) (\w+)", smk.read_text(), re.M):
            stages[name] = smk.stem
    return stages


class PeakMemory:
    """Peak summed RSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._proc = psutil.Process(pid)
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self._proc, *self._proc.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def snakemake(workdir: Path, *args: str) -> tuple[float, int, str]:
    """Run snakemake in ``workdir``; (wall seconds, peak tree RSS bytes, stdout+stderr)."""
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    mem = PeakMemory(proc.pid)
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    peak = mem.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out[-4000:]}")
    return wall, peak, out


def job_table(workdir: Path, stages: dict[str, str]) -> pd.DataFrame:
    rows = []
    root = workdir / "results" / "benchmarks"
    for f in sorted(root.rglob("*.tsv")):
        rel = f.relative_to(root)
        rule = rel.parts[0].removesuffix(".tsv")
        b = pd.read_csv(f, sep="\t")
        rows.append(
            {
                "stage": stages.get(rule, "?"),
                "rule": rule,
                "job": rel.stem if len(rel.parts) > 1 else "",
                "wall_s": round(float(b["s"].iloc[0]), 2),
                "cpu_s": round(float(b["cpu_time"].iloc[0]), 2),
                "max_rss_mib": round(float(b["max_rss"].iloc[0]), 1),
            }
        )
    return pd.DataFrame(rows)


def bench_scale(
    scale: str, genes: int, cores: int, reruns: int, workdir: Path, stages: dict[str, str]
) -> tuple[dict[str, object], pd.DataFrame]:
    workdir.mkdir(parents=True, exist_ok=True)
    overlay = workdir / "bench.yaml"
    overlay.write_text(f"demo: {{size: {scale}, n_genes: {genes}, reads: {{enabled: false}}}}\n")
    cfg = ["--configfile", str(REPO / "config" / "config.yaml"), str(overlay)]
    # the input files (untimed): the simulated count matrix, sheets and FISH cells
    sim_s, _, _ = snakemake(workdir, *cfg, "--cores", str(cores), "results/demo/counts.tsv")
    wall, peak, _ = snakemake(workdir, *cfg, "--cores", str(cores))
    report_s, report_peak, _ = snakemake(
        workdir, *cfg, "--report", str(workdir / "results" / "report.html")
    )
    rerun = [snakemake(workdir, *cfg, "--cores", str(cores))[0] for _ in range(reruns)]
    jobs = job_table(workdir, stages)  # before the figure change re-runs fig6
    jobs = jobs[jobs["rule"] != "simulate_demo"]  # the input files, not timed
    change = workdir / "figure_change.yaml"
    change.write_text(FIGURE_CHANGE)
    cfg_change = [*cfg, str(change)]
    _, _, dry = snakemake(workdir, *cfg_change, "--cores", str(cores), "-n", "--quiet", "rules")
    if "Job stats" not in dry:
        raise RuntimeError(f"the figure change re-runs nothing:\n{dry[-2000:]}")
    changed = sorted(
        ln.split()[0]
        for ln in dry.split("Job stats")[-1].split("\n\n")[0].splitlines()[3:]
        if len(ln.split()) == 2 and ln.split()[0] not in ("total", "all")
    )
    change_s, _, _ = snakemake(workdir, *cfg_change, "--cores", str(cores))
    n_samples = len(pd.read_csv(workdir / "results" / "demo" / "samples.tsv", sep="\t"))
    summary: dict[str, object] = {
        "scale": scale,
        "samples": n_samples,
        "genes": genes,
        "cores": cores,
        "simulate_s (untimed input)": round(sim_s, 1),
        "workflow_s": round(wall, 1),
        "report_s": round(report_s, 1),
        "total_s": round(wall + report_s, 1),
        "peak_rss_gib": round(max(peak, report_peak) / 2**30, 2),
        "max_job_rss_gib": round(float(jobs["max_rss_mib"].max()) / 1024, 2),
        "jobs_cpu_s": round(float(jobs["cpu_s"].sum()), 1),
        "no_change_rerun_s (median)": round(statistics.median(rerun), 1),
        "figure_change_jobs": ",".join(changed),
        "figure_change_s": round(change_s, 1),
    }
    return summary, jobs


def stage_totals(jobs: pd.DataFrame) -> pd.DataFrame:
    agg = jobs.groupby("stage", sort=True).agg(
        jobs=("rule", "size"),
        wall_s=("wall_s", "sum"),
        cpu_s=("cpu_s", "sum"),
        max_rss_mib=("max_rss_mib", "max"),
    )
    agg = agg.reset_index().round(1)
    agg["rule"] = "(stage total)"
    agg["job"] = ""
    return agg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", nargs="*", default=["paper", "paper_x10"])
    ap.add_argument("--genes", type=int, default=20000)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--reruns", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument(
        "--r-reference", action="store_true", help="also time R DESeq2 per design (needs R)"
    )
    ap.add_argument("--repeats", type=int, default=3, help="runs per side with --r-reference")
    args = ap.parse_args()
    if args.r_reference:
        import de_benchmark

        r_version = de_benchmark.r_deseq2_version()
        if r_version is None:
            print(
                "--r-reference: R DESeq2 is not installed (Rscript with library(DESeq2), e.g. "
                "Debian's r-bioc-deseq2); nothing was run",
                file=sys.stderr,
            )
            sys.exit(1)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="her2het-bench-"))
    dest = REPO / "results" / "bench"
    dest.mkdir(parents=True, exist_ok=True)
    stages = rule_stages()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    summaries = []
    for scale in args.scales:
        summary, jobs = bench_scale(
            scale, args.genes, args.cores, args.reruns, root / scale, stages
        )
        totals = stage_totals(jobs)
        table = pd.concat([jobs, totals[jobs.columns]], ignore_index=True)
        table.to_csv(dest / f"workflow_{scale}.tsv", sep="\t", index=False, lineterminator="\n")
        print(
            f"\n== {scale}: per stage (wall = sum of job times; jobs overlap on {args.cores} cores)"
        )
        print(totals.drop(columns=["rule", "job"]).to_string(index=False))
        print(pd.Series(summary).to_string())
        summaries.append(summary)
    out = pd.DataFrame(summaries)
    if len(out) == 2:
        ratio = {"scale": f"ratio {out['scale'][1]}/{out['scale'][0]}"}
        for col in ("samples", "workflow_s", "report_s", "total_s", "peak_rss_gib", "jobs_cpu_s"):
            ratio[col] = round(float(out[col][1]) / float(out[col][0]), 2)
        out = pd.concat([out, pd.DataFrame([ratio])], ignore_index=True)
    if summaries:
        out.to_csv(dest / "workflow_summary.tsv", sep="\t", index=False, lineterminator="\n")
        print("\n" + out.T.to_string(header=False))
    if args.r_reference:
        h5ad = de_benchmark.make_cohort(root / "paper", args.genes, args.cores)
        table = de_benchmark.compare(h5ad, root / "de_vs_r", args.cores, args.repeats)
        table.to_csv(dest / "de_vs_r.tsv", sep="\t", index=False, lineterminator="\n")
        print(
            f"\n== DE fit + test per design, project vs R DESeq2 {r_version} ({args.cores} cores)"
        )
        print(table.to_string(index=False))
        paper = [x for x in summaries if x["scale"] == "paper"]
        if paper:  # issue 23: the whole run against R's DE alone, measured in this one command
            r_de = float(table["R_s"].sum())
            whole = {
                "paper_whole_run_s": paper[0]["total_s"],
                "R_DE_designs": len(table),
                "R_DE_s": round(r_de, 1),
                "ratio": round(float(paper[0]["total_s"]) / r_de, 2),
            }
            pd.DataFrame([whole]).to_csv(
                dest / "whole_run_vs_r.tsv", sep="\t", index=False, lineterminator="\n"
            )
            print(
                f"\n== whole paper-scale run (counts -> report) {whole['paper_whole_run_s']} s vs "
                f"R DESeq2 fit + test of the {len(table)} default designs {whole['R_DE_s']} s: "
                f"ratio {whole['ratio']}"
            )
    print(f"\nwork directories under {root}; SIMULATED data, this machine's times.")


if __name__ == "__main__":
    main()
