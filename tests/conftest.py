"""Shared fixtures: repository paths and small simulated cohorts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "workflow" / "schemas"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A written tiny demo cohort (sheets, counts, FISH cells, truth)."""
    from her2het.io.demo import write_demo
    from her2het.simulate import simulate_cohort

    out = tmp_path_factory.mktemp("tiny")
    write_demo(simulate_cohort("tiny", 7), out)
    return out


def run_snakemake(
    workdir: Path, *args: str, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """Run the workflow in ``workdir`` (which holds config/config.yaml)."""
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


SMALL_DEMO = "input: demo\ndemo:\n  size: small\n  seed: 2024\n"


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One end-to-end run of the SIMULATED small demo (FASTQ -> salmon -> ... -> figures).

    Shared by the end-to-end, report (browser) and notebook tests; returns the working
    directory, whose ``results/`` holds every output of the default target.
    """
    workdir = tmp_path_factory.mktemp("small_run")
    write_config(workdir, SMALL_DEMO)
    r = run_snakemake(workdir, "--cores", "2", timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    return workdir


def write_config(workdir: Path, text: str) -> Path:
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    cfg = workdir / "config" / "config.yaml"
    cfg.write_text(text)
    return cfg


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return dst


#: Planted effects x this in the fixtures that test whether a method finds effects that are there
#: (DE recovery and FDR, score signs). At the demo's default, real-data magnitudes
#: (``effect_scale`` 1, docs/demo.md) the 31 patients of the small demo have too little power for
#: such checks, as a real trial of that size would.
EASY_EFFECT_SCALE = 3.0


def _normalised_small_demo(effect_scale: float = 1.0):  # type: ignore[no-untyped-def]
    from her2het import cohort, expression, simulate

    demo = simulate.simulate_cohort("small", 2024, effect_scale=effect_scale)
    adata = cohort.build_cohort(demo.samples, demo.patients, demo.counts, "test", True)
    return demo, expression.normalise(adata, n_cpus=2)


def _default_contrasts(adata):  # type: ignore[no-untyped-def]
    import yaml

    from her2het import de

    specs = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["de"]["contrasts"]
    counts, meta = de.cohort_tables(adata)
    out = {}
    for c in de.parse_contrasts(specs):
        out.update(de.run_design(counts, meta, [c], n_cpus=2))
    return out


@pytest.fixture(scope="session")
def small_cohort():  # type: ignore[no-untyped-def]
    """The SIMULATED small demo (count matrix, no reads), its cohort AnnData with VST layers."""
    return _normalised_small_demo()


@pytest.fixture(scope="session")
def small_de(small_cohort):  # type: ignore[no-untyped-def]
    """Results of the default contrasts (config/config.yaml) on the small demo."""
    return _default_contrasts(small_cohort[1])


@pytest.fixture(scope="session")
def small_easy_cohort():  # type: ignore[no-untyped-def]
    """The small demo with every planted effect x :data:`EASY_EFFECT_SCALE` (an easy demo)."""
    return _normalised_small_demo(EASY_EFFECT_SCALE)


@pytest.fixture(scope="session")
def small_easy_de(small_easy_cohort):  # type: ignore[no-untyped-def]
    """Results of the default contrasts on the easy small demo."""
    return _default_contrasts(small_easy_cohort[1])


#: Set by tests/test_bad_inputs.py: one line on the bad-input corpus for the session summary.
CORPUS_REPORT = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many bad-input cases ran (and how many passed) at the end of the session."""
    report = terminalreporter.config.stash.get(CORPUS_REPORT, None)
    if report:
        terminalreporter.write_line(report)
