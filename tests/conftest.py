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
    from her2het.simulate import simulate_cohort, write_demo

    out = tmp_path_factory.mktemp("tiny")
    write_demo(simulate_cohort("tiny", 7), out)
    return out


def run_snakemake(
    workdir: Path, *args: str, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """Run the workflow in ``workdir`` (which holds config/config.yaml)."""
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def write_config(workdir: Path, text: str) -> Path:
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    cfg = workdir / "config" / "config.yaml"
    cfg.write_text(text)
    return cfg


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return dst
