"""The Snakemake workflow: lint, formatting, dry-run of the full DAG, end-to-end runs."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import anndata as ad
import pandas as pd
import pytest

from .conftest import REPO, run_snakemake, write_config

BIN = Path(sys.executable).parent
SMALL = "input: demo\ndemo:\n  size: small\n  seed: 2024\n"


def _digests(root: Path) -> dict[str, str]:
    return {
        str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(root.rglob("*"))
        if f.is_file()
    }


def test_snakemake_lint_is_clean(tmp_path: Path) -> None:
    write_config(tmp_path, SMALL)
    r = run_snakemake(tmp_path, "--lint")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Congratulations, your workflow is in a good condition!" in r.stdout + r.stderr


def test_code_is_formatted_and_lint_free() -> None:
    for cmd in (
        [BIN / "ruff", "check", "src", "tests", "workflow/scripts"],
        [BIN / "ruff", "format", "--check", "src", "tests", "workflow/scripts"],
        [BIN / "snakefmt", "--check", "Snakefile", "workflow/rules"],
    ):
        r = subprocess.run([str(c) for c in cmd], cwd=REPO, capture_output=True, text=True)
        assert r.returncode == 0, f"{cmd}: {r.stdout}{r.stderr}"


def test_dry_run_of_full_dag_at_paper_scale(tmp_path: Path) -> None:
    write_config(tmp_path, (REPO / "config" / "config.yaml").read_text())
    r = run_snakemake(tmp_path, "-n", "--quiet", "rules")
    assert r.returncode == 0, r.stderr
    for rule in ("simulate_demo", "build_cohort", "summarise_cohort", "plot_sample_flow", "all"):
        assert rule in r.stdout
    assert not (tmp_path / "results").exists()


@pytest.mark.e2e
def test_end_to_end_small_demo(tmp_path: Path) -> None:
    write_config(tmp_path, SMALL)
    r = run_snakemake(tmp_path, "--cores", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / "results"
    adata = ad.read_h5ad(res / "cohort" / "cohort.h5ad")
    assert adata.shape == (70, 1500)
    assert adata.uns["her2het"]["simulated"]
    assert "SIMULATED" in adata.uns["her2het"]["data_source"]
    counts = pd.read_csv(res / "demo" / "counts.tsv", sep="\t", index_col=0)
    assert (adata.layers["counts"] == counts[adata.obs_names].T.to_numpy()).all()
    assert {"group", "pCR", "HET", "HR", "timepoint", "n_baseline_biopsies"} <= set(
        adata.obs.columns
    )
    summary = pd.read_csv(res / "cohort" / "summary.tsv", sep="\t").set_index("group")
    assert summary.loc["all", "patients"] == 31
    assert summary.loc["all", "pre_samples"] + summary.loc["all", "post_samples"] == 70
    assert summary.loc["nonHET/pCR", "post_samples"] == 0
    assert summary.loc[["nonHET/pCR", "nonHET/no-pCR", "HET/no-pCR"], "patients"].tolist() == [
        14,
        11,
        6,
    ]
    for fig in (
        "sample_flow",
        "fish_ratio_distributions",
        "fish_spatial_patterns",
        "fish_het_prevalence",
        "fish_pre_post",
    ):
        for ext in ("png", "pdf"):
            assert (res / "figures" / f"{fig}.{ext}").stat().st_size > 10_000, fig
    # FISH: patient calls agree with the planted HET status; planted spatial patterns recovered
    fish_pts = pd.read_csv(res / "fish" / "patients.tsv", sep="\t")
    assert len(fish_pts) == 31 and fish_pts["het_trial_agrees"].all()
    validation = pd.read_csv(res / "fish" / "pattern_validation.tsv", sep="\t")
    assert validation["accuracy_overall"].iloc[0] >= 0.9
    assert validation["n_areas"].sum() == 140
    # a second run has nothing to do
    r2 = run_snakemake(tmp_path, "--cores", "2", "-n")
    assert r2.returncode == 0 and "Nothing to be done" in r2.stdout + r2.stderr

    # the same seed in another directory gives byte-identical demo and cohort tables
    other = tmp_path / "again"
    write_config(other, SMALL)
    r3 = run_snakemake(other, "--cores", "2", "results/cohort/summary.tsv")
    assert r3.returncode == 0, r3.stderr[-3000:]
    first = _digests(res / "demo") | {"summary": _digests(res / "cohort")["summary.tsv"]}
    second = _digests(other / "results" / "demo") | {
        "summary": _digests(other / "results" / "cohort")["summary.tsv"]
    }
    assert first == second

    # the HTML report builds and says the data are simulated
    r4 = run_snakemake(tmp_path, "--report", "results/report.html")
    assert r4.returncode == 0, r4.stderr[-3000:]
    html = (res / "report.html").read_text(errors="replace")
    assert "SIMULATED" in html


@pytest.mark.e2e
def test_sheets_entry_runs_on_user_files(tiny_dir: Path, tmp_path: Path) -> None:
    data = shutil.copytree(tiny_dir, tmp_path / "data")
    write_config(
        tmp_path,
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        "  counts: data/counts.tsv\n  fish_cells: data/fish_cells.parquet\n",
    )
    r = run_snakemake(tmp_path, "--cores", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    adata = ad.read_h5ad(tmp_path / "results" / "cohort" / "cohort.h5ad")
    assert not adata.uns["her2het"]["simulated"]
    assert adata.n_obs == len(pd.read_csv(data / "samples.tsv", sep="\t"))
    assert not (tmp_path / "results" / "demo").exists()
    areas = pd.read_csv(tmp_path / "results" / "fish" / "areas.tsv", sep="\t")
    assert len(areas) == 2 * adata.n_obs
    assert not (tmp_path / "results" / "fish" / "pattern_validation.tsv").exists()  # no truth


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: (d / "patients.tsv").write_text(
                (d / "patients.tsv").read_text().replace("\tpos\t", "\tpositive\t", 1)
            ),
            "column 'HR': 'positive' is not one of pos, neg",
        ),
        (
            lambda d: (d / "samples.tsv").write_text(
                (d / "samples.tsv").read_text().replace("P001_B1", "P001_B1;ls", 1)
            ),
            "row 1 (line 2), column 'sample': 'P001_B1;ls' is not allowed",
        ),
        (
            lambda d: (
                pd.read_parquet(d / "fish_cells.parquet")
                .assign(cep17=lambda f: f["cep17"].where(f.index != 4, -2))
                .to_parquet(d / "fish_cells.parquet", index=False)
            ),
            "fish_cells.parquet, row 5, column 'cep17': -2 is not an integer >= 0",
        ),
    ],
    ids=["bad-patient-sheet", "unsafe-sample-id", "negative-fish-count"],
)
def test_bad_input_stops_before_any_job_with_one_line(
    tiny_dir: Path, tmp_path: Path, edit, expected: str
) -> None:
    data = shutil.copytree(tiny_dir, tmp_path / "data")
    edit(data)
    write_config(
        tmp_path,
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        "  counts: data/counts.tsv\n  fish_cells: data/fish_cells.parquet\n",
    )
    r = run_snakemake(tmp_path, "--cores", "1")
    assert r.returncode != 0
    lines = [x for x in r.stderr.strip().splitlines() if x.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("Invalid input: data/") and expected in lines[0]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "results").exists()
