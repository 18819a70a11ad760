"""A user's own project directory: the shipped template sheets run with -d and --configfile."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from .conftest import REPO, SMALL_DEMO, SNAKEMAKE, run_snakemake, write_config

TEMPLATES = REPO / "config" / "templates"


def test_template_sheets_run_from_a_separate_project_directory(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """The pattern of README.md and docs/usage.md: templates copied into a project directory, a count matrix added,
    ``snakemake -s <checkout>/Snakefile -d <project> --configfile own.yaml``, with the output
    directory set on the command line. The checkout's config is not used; nothing is written
    into the checkout, nor under the default ``results/``."""
    project = tmp_path / "my trial"  # a space in the path, as users have
    project.mkdir()
    for f in ("samples.tsv", "patients.tsv", "own.yaml"):
        shutil.copy(TEMPLATES / f, project / f)
    samples = pd.read_csv(project / "samples.tsv", sep="\t")
    demo = pd.read_csv(tiny_dir / "counts.tsv", sep="\t", index_col=0)
    counts = demo.iloc[:, : len(samples)].set_axis(samples["sample"], axis=1)
    counts.to_csv(project / "counts.tsv", sep="\t")
    before = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain"], capture_output=True, text=True
    ).stdout
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(project)]
    cmd += ["--configfile", "own.yaml", "--cores", "1"]
    # run from the project directory, as a user would (--configfile is relative to it)
    dry = subprocess.run([*cmd, "-n"], cwd=project, capture_output=True, text=True, timeout=600)
    assert dry.returncode == 0, dry.stderr[-2000:]
    # the output-directory setting, from the command line (targets are paths under it)
    outdir = "analysis/run 1"
    targets = [f"{outdir}/cohort/cohort.h5ad", f"{outdir}/qc/multiqc_report.html"]
    run = subprocess.run(
        [*cmd, *targets, "--config", f"outdir={outdir}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert not (project / "results").exists()  # nothing under the default directory
    qc = pd.read_csv(project / outdir / "qc" / "samples.tsv", sep="\t")
    assert sorted(qc["sample"]) == sorted(samples["sample"])
    assert (project / outdir / "logs").is_dir()
    custom = project / outdir / "qc" / "multiqc_report_data" / "multiqc_her2het_sample_qc.txt"
    assert len(pd.read_csv(custom, sep="\t")) == len(samples)  # count input: our QC table only
    after = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain"], capture_output=True, text=True
    ).stdout
    assert after == before


def test_templates_match_the_sheet_schemas() -> None:
    """Every required column of each sheet schema is in its template, and only known columns."""
    import yaml

    for sheet in ("samples", "patients"):
        schema = yaml.safe_load(
            (REPO / "workflow" / "schemas" / f"{sheet}.schema.yaml").read_text()
        )
        header = (TEMPLATES / f"{sheet}.tsv").read_text().splitlines()[0].split("\t")
        assert set(schema["required"]) <= set(header), sheet
        assert set(header) <= set(schema["properties"]), sheet


def test_run_summary_names_outputs_and_verdicts(tmp_path: Path) -> None:
    from her2het.summary import run_summary

    res = tmp_path / "results"
    (res / "paper").mkdir(parents=True)
    (res / "figures").mkdir()
    (res / "figures" / "fig2.png").write_bytes(b"")
    pd.DataFrame({"finding": [1, 1, 2], "agrees": [True, "", False]}).to_csv(
        res / "paper" / "findings.tsv", sep="\t", index=False
    )
    lines = run_summary(res, simulated=True, report_hint="make report")
    text = "\n".join(lines)
    assert "SIMULATED" in text and "findings table" in text
    assert "findings checks: 1 False, 1 True, 1 not tested" in text
    assert "1 figures" in text and lines[-1] == "  HTML report: make report"
    assert "SIMULATED" not in "\n".join(run_summary(res, simulated=False, report_hint="x"))


def test_every_rule_has_a_one_line_description(tmp_path: Path) -> None:
    """``snakemake --list-rules`` prints ``name (docstring)`` for every rule declared in the
    Snakefile and workflow/rules/*.smk; a rule without a one-line docstring fails."""
    write_config(tmp_path, SMALL_DEMO)
    r = run_snakemake(tmp_path, "--list-rules")
    assert r.returncode == 0, r.stderr[-2000:]
    listed = {}
    for line in r.stdout.splitlines():
        m = re.fullmatch(r"(\w+)(?: \((.*)\))?", line)
        assert m, f"not a one-line rule description: {line!r}"
        listed[m[1]] = (m[2] or "").strip()
    undescribed = sorted(name for name, doc in listed.items() if not doc)
    assert not undescribed, f"rules without a description: {', '.join(undescribed)}"
    too_long = sorted(name for name, doc in listed.items() if len(doc) > 100)
    assert not too_long, f"descriptions over 100 characters: {', '.join(too_long)}"
    declared = set()
    for f in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        text = f.read_text()
        declared |= set(re.findall(r"^(?:rule|checkpoint) (\w+)\s*:", text, re.M))
        declared |= set(re.findall(r"^use rule \w+ as (\w+) with\s*:", text, re.M))
    assert set(listed) == declared
