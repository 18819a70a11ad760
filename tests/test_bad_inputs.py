"""The bad-input corpus (``tests/bad_inputs/``): every case through the real command line.

``base/`` is a small valid cohort in the ``input: sheets`` layout (``config.yaml`` and
``data/``). Each directory under ``cases/`` holds only what differs from it: replacement files
under ``data/``, a ``config.yaml`` overlay merged into the base config, and ``expected.txt``:

- a fragment of the one error line (naming file, row/line and column), for rejected inputs:
  ``snakemake --cores 1`` (a real run, not a dry run) must exit non-zero before any job, print
  exactly one line ``Invalid input: ...`` on stderr, no traceback, and write nothing;
- ``ACCEPT``, optionally followed by lines of expected warning text, for inputs that are
  accepted: ``snakemake -n`` must exit 0 and print those warnings.

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
MIN_CASES = 40


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
    r = run_snakemake(workdir, "--cores", "1", *(["-n"] if accept else []), timeout=300)
    err = r.stderr
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
