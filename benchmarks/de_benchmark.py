"""Benchmark: the project's DE fit + test against R DESeq2, per design, back to back.

For every distinct design of the configured contrasts (``de.contrasts`` of
``config/config.yaml``), on the SIMULATED demo at paper scale (``--genes`` genes, reads off):

* the project: ``her2het.de.fit`` + ``her2het.de.test`` of the design's contrasts (the code of
  the workflow's ``deseq2_fit`` and ``deseq2_contrast`` jobs, same config values), in a fresh
  Python process;
* R: ``benchmarks/r_deseq2.R`` - ``DESeq()`` + ``results()`` on the same units and genes
  (the project's collapsed, prefiltered count matrix), with ``MulticoreParam(--cores)``.

The two run alternately, ``--repeats`` times each; the timed part excludes process start-up,
package loading and reading the inputs on both sides. Agreement per design: Pearson
correlation of the log2 fold changes and the genes at padj < alpha in each and in both.
Writes ``results/bench/de_vs_r.tsv`` and prints it. R DESeq2 is not part of the project's
set-up: install it yourself (Debian: ``apt-get install r-bioc-deseq2``); without it this exits
with an error.

    .venv/bin/python benchmarks/de_benchmark.py [--genes 20000] [--cores 2] [--repeats 3]
        [--workdir DIR] [--contrasts ID ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
R_SCRIPT = REPO / "benchmarks" / "r_deseq2.R"


def r_deseq2_version() -> str | None:
    """The installed R DESeq2's version, or None when Rscript or DESeq2 is missing."""
    if shutil.which("Rscript") is None:
        return None
    code = 'suppressMessages(library(DESeq2)); cat(as.character(packageVersion("DESeq2")))'
    proc = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def config_contrasts() -> list[dict[str, Any]]:
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return list(cfg["de"]["contrasts"])


def de_params() -> dict[str, Any]:
    """``de.alpha``, ``shrink``, ``t_test`` and ``min_count``: config.yaml, else the schema's
    defaults (as the workflow resolves them)."""
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["de"]
    props = schema["properties"]["de"]["properties"]
    keys = ("alpha", "shrink", "t_test", "min_count")
    return {k: cfg.get(k, props[k]["default"]) for k in keys}


def make_cohort(workdir: Path, genes: int, cores: int) -> Path:
    """The SIMULATED paper-scale cohort AnnData (the DE jobs' input), made by the workflow."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from workflow_benchmark import snakemake

    h5ad = workdir / "results" / "cohort" / "cohort.h5ad"
    if not h5ad.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        overlay = workdir / "bench.yaml"
        overlay.write_text(f"demo: {{size: paper, n_genes: {genes}, reads: {{enabled: false}}}}\n")
        cfg = ["--configfile", str(REPO / "config" / "config.yaml"), str(overlay)]
        snakemake(workdir, *cfg, "--cores", str(cores), "results/cohort/cohort.h5ad")
    return h5ad


def r_design(contrast: Any, data: Any) -> tuple[pd.DataFrame, str, str]:
    """(unit table, formula, contrast argument) of ``r_deseq2.R`` for one project design."""
    from her2het import de

    units = data.units
    cols = {}
    terms = []
    if contrast.paired and contrast.interaction is None:
        cols["patient"] = units["patient"].astype(str)
        terms.append("patient")
    for b in contrast.blocking:
        if pd.api.types.is_numeric_dtype(units[b]) and units[b].nunique() > 2:
            raise ValueError(f"numeric blocking column {b!r}: not supported by the R reference")
        cols[b] = de.level_series(units[b])
        terms.append(b)
    var = contrast.variable
    cols[var] = de.level_series(units[var])
    spec = f"{var},{contrast.target},{contrast.reference}"
    if contrast.interaction is None:
        terms.append(var)
    else:  # DESeq2 vignette: individuals nested in groups, group-specific condition effects
        by = contrast.interaction
        cols[by] = de.level_series(units[by])
        patient = units["patient"].astype(str)
        ind = patient.groupby(cols[by].to_numpy()).transform(
            lambda s: pd.Series(pd.factorize(s, sort=True)[0] + 1, index=s.index)
        )
        cols["ind_n"] = ind.astype(str)
        terms = [by, f"{by}:ind_n", f"{by}:{var}"]
        g0, g1 = data.groups
        spec += f";list:{by}{g1}.{var}{contrast.target},{by}{g0}.{var}{contrast.target}"
    table = pd.DataFrame(cols, index=units.index)
    return table, "~ " + " + ".join(terms), spec


def write_inputs(h5ad: Path, out: Path) -> list[dict[str, Any]]:
    """One R input set per distinct design; returns the designs (contrast specs, files)."""
    import anndata as ad

    from her2het import de

    counts, meta = de.cohort_tables(ad.read_h5ad(h5ad))
    min_count = de_params()["min_count"]
    by_design: dict[str, list[dict[str, Any]]] = {}
    for spec in config_contrasts():
        (c,) = de.parse_contrasts([spec])
        by_design.setdefault(de.design_key(c), []).append(spec)
    designs = []
    for key, specs in by_design.items():
        contrasts = de.parse_contrasts(specs)
        data = de.build_design(contrasts[0], counts, meta)
        smallest = int(de.level_series(data.units[data.variable]).value_counts().min())
        genes = de.filter_genes(data.counts, min_count, max(2, smallest))
        coldata, formula, r_spec = r_design(contrasts[0], data)
        d = out / key
        d.mkdir(parents=True, exist_ok=True)
        data.counts[genes].T.to_csv(d / "counts.tsv", sep="\t", index_label="gene")
        coldata.to_csv(d / "coldata.tsv", sep="\t", index_label="unit")
        designs.append(
            {
                "key": key,
                "specs": specs,
                "formula": formula,
                "r_contrast": r_spec,
                "units": int(data.design.shape[0]),
                "columns": int(data.design.shape[1]),
                "genes": len(genes),
                "dir": str(d),
            }
        )
    return designs


def project_worker(h5ad: str, design_json: str, cores: int, out: str) -> None:
    """In a fresh process: the workflow's fit + test of one design, timed without the imports
    and the reading of the cohort (as on the R side); writes the first contrast's table."""
    import anndata as ad
    import pydeseq2.dds  # noqa: F401  (imported by the fit job before it starts fitting)
    import pydeseq2.ds  # noqa: F401

    from her2het import de

    design = json.loads(design_json)
    p = de_params()
    counts, meta = de.cohort_tables(ad.read_h5ad(h5ad))
    contrasts = de.parse_contrasts(design["specs"])
    t0 = time.perf_counter()
    fitted = de.fit(counts, meta, contrasts, min_count=p["min_count"], n_cpus=cores)
    tables = [
        de.test(fitted, c, alpha=p["alpha"], shrink=p["shrink"], t_test=p["t_test"], n_cpus=cores)
        for c in contrasts
    ]
    elapsed = time.perf_counter() - t0
    tables[0][0].to_csv(out, sep="\t", index=False)
    Path(out + ".time").write_text(f"{elapsed:.6f}\n")


def run_project(h5ad: Path, design: dict[str, Any], cores: int, out: Path) -> tuple[float, float]:
    cmd = [
        sys.executable, __file__, "--worker", str(h5ad), json.dumps(design), str(out),
        "--cores", str(cores),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), *sys.path])}
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    return float(Path(str(out) + ".time").read_text()), time.perf_counter() - t0


def run_r(design: dict[str, Any], cores: int, out: Path) -> tuple[float, float]:
    d = Path(design["dir"])
    cmd = [
        "Rscript", str(R_SCRIPT), str(d / "counts.tsv"), str(d / "coldata.tsv"),
        design["formula"], design["r_contrast"], str(cores), str(out),
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return float(Path(str(out) + ".time").read_text()), time.perf_counter() - t0


def agreement(ours: pd.DataFrame, r: pd.DataFrame, alpha: float) -> dict[str, Any]:
    a = ours.set_index("gene")
    b = r.set_index("gene").reindex(a.index)
    lfc = pd.DataFrame({"p": a["log2FC"], "r": b["log2FoldChange"]}).dropna()
    sig_p = set(a.index[(a["padj"] < alpha).to_numpy()])
    sig_r = set(b.index[(b["padj"] < alpha).to_numpy()])
    return {
        "lfc_pearson": round(float(np.corrcoef(lfc["p"], lfc["r"])[0, 1]), 6),
        "lfc_median_abs_diff": float(f"{np.median(np.abs(lfc['p'] - lfc['r'])):.2g}"),
        "sig_project": len(sig_p),
        "sig_R": len(sig_r),
        "sig_both": len(sig_p & sig_r),
    }


def compare(
    h5ad: Path, workdir: Path, cores: int, repeats: int, only: list[str] | None = None
) -> pd.DataFrame:
    """Side by side per design: ``repeats`` alternating runs (project, R, project, R, ...) of
    one design, then the next design; one row per design, also appended to
    ``workdir/de_vs_r.partial.tsv`` as each design finishes."""
    designs = write_inputs(h5ad, workdir / "r_inputs")
    if only:
        designs = [d for d in designs if any(s["id"] in only for s in d["specs"])]
    alpha = de_params()["alpha"]
    rows = []
    for d in designs:
        runs: dict[str, list[tuple[float, float]]] = {"project": [], "R": []}
        loads = []
        ours, theirs = workdir / f"{d['key']}.project.tsv", workdir / f"{d['key']}.R.tsv"
        for rep in range(repeats):
            loads.append(os.getloadavg()[0])
            runs["project"].append(run_project(h5ad, d, cores, ours))
            runs["R"].append(run_r(d, cores, theirs))
            print(
                f"{d['specs'][0]['id']} run {rep + 1}/{repeats}: project "
                f"{runs['project'][-1][0]:.1f} s, R {runs['R'][-1][0]:.1f} s "
                f"(load {loads[-1]:.1f})",
                flush=True,
            )
        proj = [x for x, _ in runs["project"]]
        rr = [x for x, _ in runs["R"]]
        row = {
            "contrast": ",".join(s["id"] for s in d["specs"]),
            "design": d["formula"],
            "units": d["units"],
            "columns": d["columns"],
            "genes": d["genes"],
            "project_runs_s": ", ".join(f"{x:.1f}" for x in proj),
            "R_runs_s": ", ".join(f"{x:.1f}" for x in rr),
            "project_s": round(statistics.median(proj), 1),
            "R_s": round(statistics.median(rr), 1),
        }
        row["ratio"] = round(row["project_s"] / row["R_s"], 2)
        row["project_process_s"] = round(statistics.median(w for _, w in runs["project"]), 1)
        row["R_process_s"] = round(statistics.median(w for _, w in runs["R"]), 1)
        row["load_1min"] = ", ".join(f"{x:.1f}" for x in loads)
        row |= agreement(pd.read_csv(ours, sep="\t"), pd.read_csv(theirs, sep="\t"), alpha)
        rows.append(row)
        pd.DataFrame(rows).to_csv(
            workdir / "de_vs_r.partial.tsv", sep="\t", index=False, lineterminator="\n"
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genes", type=int, default=20000)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--contrasts", nargs="+", default=None, help="only these contrasts' designs")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        project_worker(*args.worker[:2], args.cores, args.worker[2])
        return 0
    version = r_deseq2_version()
    if version is None:
        print(
            "R DESeq2 is not installed (Rscript with library(DESeq2)); install it to compare "
            "(e.g. apt-get install r-bioc-deseq2)",
            file=sys.stderr,
        )
        return 1
    root = args.workdir or Path(tempfile.mkdtemp(prefix="her2het-debench-"))
    h5ad = make_cohort(root / "paper", args.genes, args.cores)
    table = compare(h5ad, root, args.cores, args.repeats, args.contrasts)
    dest = REPO / "results" / "bench"
    dest.mkdir(parents=True, exist_ok=True)
    table.to_csv(dest / "de_vs_r.tsv", sep="\t", index=False, lineterminator="\n")
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    print(f"\nR DESeq2 {version}, {args.cores} cores; SIMULATED data, this machine's times.")
    print(table.to_string(index=False))
    print(f"written: {dest / 'de_vs_r.tsv'}; work directory {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
