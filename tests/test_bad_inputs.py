"""The bad-input corpus (``tests/bad_inputs/``): every case through the real command line.

``base/`` is a small valid cohort in the ``input: sheets`` layout (``config.yaml`` and
``data/``). Each directory under ``cases/`` holds only what differs from it: replacement files
under ``data/``, a ``config.yaml`` overlay merged into the base config, and ``expected.txt``:

- a fragment of the one error line (naming file, row/line and column), for rejected inputs:
  ``snakemake --cores 1`` (a real run, not a dry run) must exit non-zero before any job, print
  exactly one line ``Invalid input: ...`` on stderr, no traceback, and write nothing;
- ``ACCEPT``, optionally followed by lines of expected warning text, for inputs that are
  accepted: ``snakemake -n`` must exit 0 and print those warnings.

A case may also hold ``args.txt``: extra command-line arguments, one per line (e.g.
``--config`` overrides, ``--configfile {workdir}/data/own.yaml``, where ``{workdir}`` is the
case's working directory). Snakemake's own notice that the
config "is extended by additional config specified via the command line" is then the one
stderr line allowed besides the error.

The cases run two at a time (each is a separate Snakemake process); the session summary prints
how many there are.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import CORPUS_REPORT, run_snakemake

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
MIN_CASES = 100
SNAKEMAKE_NOTICE = "is extended by additional config specified via the command line"


def corpus_cases() -> list[Path]:
    """The case directories, sorted by id."""
    return sorted(p for p in (CORPUS / "cases").iterdir() if (p / "expected.txt").is_file())


def merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``overlay``: mappings merged key by key, anything else replaced."""
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def prepare(case: Path, workdir: Path) -> None:
    """Write the base cohort with the case's files and config overlay into ``workdir``."""
    shutil.copytree(CORPUS / "base" / "data", workdir / "data")
    if (case / "data").is_dir():
        shutil.copytree(case / "data", workdir / "data", dirs_exist_ok=True)
    config = yaml.safe_load((CORPUS / "base" / "config.yaml").read_text())
    if (case / "config.yaml").is_file():
        config = merge(config, yaml.safe_load((case / "config.yaml").read_text()) or {})
    (workdir / "config").mkdir()
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def _files(workdir: Path) -> set[Path]:
    """Files in ``workdir`` outside Snakemake's own ``.snakemake/`` metadata."""
    return {
        p.relative_to(workdir)
        for p in workdir.rglob("*")
        if p.is_file() and p.relative_to(workdir).parts[0] != ".snakemake"
    }


def check_case(case: Path, workdir: Path) -> str | None:
    """Run one case; return what went wrong, or None when it behaved as expected."""
    prepare(case, workdir)
    before = _files(workdir)
    expected = (case / "expected.txt").read_text().strip().splitlines()
    accept = expected[0].strip() == "ACCEPT"
    args = (case / "args.txt").read_text().splitlines() if (case / "args.txt").is_file() else []
    args = [a.replace("{workdir}", str(workdir)) for a in args]
    r = run_snakemake(
        workdir, "--cores", "1", *(["-n"] if accept else []), *(a for a in args if a), timeout=300
    )
    err = "\n".join(x for x in r.stderr.splitlines() if not (args and SNAKEMAKE_NOTICE in x))
    problems = []
    if "Traceback" in err:
        problems.append("a traceback reached the user")
    if (workdir / "results").exists() or _files(workdir) != before:
        problems.append(f"output written: {sorted(map(str, _files(workdir) - before))}")
    if accept:
        if r.returncode != 0:
            problems.append(f"rejected (exit {r.returncode})")
        problems += [f"no warning {w!r}" for w in expected[1:] if w.strip() not in err]
    else:
        lines = [x for x in err.splitlines() if x.strip()]
        if r.returncode == 0:
            problems.append("accepted")
        if len(lines) != 1:
            problems.append(f"{len(lines)} lines on stderr")
        elif not lines[0].startswith("Invalid input: ") or expected[0] not in lines[0]:
            problems.append(f"expected {expected[0]!r}")
    if not problems:
        return None
    return f"{case.name}: {'; '.join(problems)}\n    stderr: {err.strip()[-1500:]}"


def test_bad_input_corpus(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Every case is rejected with its one line before any job (or accepted, as documented)."""
    cases = corpus_cases()
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: check_case(c, tmp_path / c.name), cases))
    failures = [r for r in results if r is not None]
    accepted = sum((c / "expected.txt").read_text().startswith("ACCEPT") for c in cases)
    request.config.stash[CORPUS_REPORT] = (
        f"bad-input corpus: {len(cases)} cases ({len(cases) - accepted} rejected, "
        f"{accepted} accepted), {len(cases) - len(failures)} passed, "
        f"{len(failures)} failed, {time.monotonic() - start:.0f} s"
    )
    assert not failures, "\n".join(failures)
    assert len(cases) >= MIN_CASES


def test_corpus_cases_are_small_and_complete() -> None:
    """Each case says what it expects, and holds files that differ from the base."""
    for case in corpus_cases():
        expected = (case / "expected.txt").read_text().strip()
        assert expected, case.name
        if not expected.startswith("ACCEPT"):
            assert "Invalid input" not in expected, case.name  # the fragment after the prefix
        for f in case.rglob("*"):
            base = CORPUS / "base" / f.relative_to(case)
            if f.is_file() and base.is_file():
                assert f.read_bytes() != base.read_bytes(), f
            assert f.stat().st_size < 20_000, f


def test_base_cohort_runs_for_real(tmp_path: Path) -> None:
    """The base cohort has no evaluable FISH sample (3 cells per area): a real run, not ``-n``,
    makes every output, the pre/post FISH figure with empty panels included."""
    workdir = tmp_path / "base"
    prepare(CORPUS / "cases" / "base-is-valid", workdir)
    r = run_snakemake(workdir, "--cores", "1", timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert (workdir / "results" / "figures" / "fish_pre_post.png").stat().st_size > 0
    assert (workdir / "results" / "paper" / "findings.tsv").is_file()


def _mount_tmpfs(path: Path, size: str) -> bool:
    import subprocess

    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return r.returncode == 0


def test_full_disk_is_reported_in_the_log_and_on_the_terminal(tmp_path: Path) -> None:
    """``results/`` on a 256 kB tmpfs (needs root); the count matrix job writes ~1 MB."""
    import os
    import subprocess

    import numpy as np
    import pandas as pd

    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    workdir = tmp_path / "full"
    prepare(CORPUS / "cases" / "base-is-valid", workdir)
    counts = pd.read_csv(workdir / "data" / "counts.tsv", sep="\t", index_col=0)
    rng = np.random.default_rng(0)
    extra = pd.DataFrame(
        rng.poisson(50, size=(20000, counts.shape[1])),
        columns=counts.columns,
        index=[f"X{i}" for i in range(20000)],
    )
    pd.concat([counts, extra]).rename_axis("gene").to_csv(workdir / "data" / "counts.tsv", sep="\t")
    results = workdir / "results"
    if not _mount_tmpfs(results, "256k"):
        pytest.skip("cannot mount a tmpfs here")
    try:
        r = run_snakemake(workdir, "--cores", "1", "results/counts/counts.tsv", timeout=300)
        log = (results / "logs" / "import_counts.log").read_text()
        assert r.returncode != 0
        assert "No space left on device" in log
        terminal = [x for x in r.stderr.splitlines() if "No space left on device" in x]
        assert terminal and terminal[0].startswith("Error in import_counts.py: OSError"), r.stderr
        assert "exit status 120" not in r.stderr
        assert not (results / "counts" / "counts.tsv").exists()
    finally:
        subprocess.run(["umount", str(results)], check=False)
