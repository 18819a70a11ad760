"""Repeated and interrupted runs: byte-identical results, and resuming after SIGKILL.

Issue 8, items 2 and 3, on the tiny SIMULATED demo from its count matrix (no salmon) with the
default target: every table, AnnData, parquet file and figure under ``results/``.

What a SIGKILL leaves behind, and what resuming needs (Snakemake 9):

- the lock in ``.snakemake/locks``: the next run stops with ``LockException`` until
  ``snakemake --unlock`` (no other Snakemake may be running in the directory);
- incomplete-output markers of the jobs that were running: if any of their outputs exist, the
  next run stops with ``IncompleteFilesException`` listing them, and ``--rerun-incomplete``
  deletes and re-makes them.

So resuming is ``snakemake --unlock`` then ``snakemake --cores N --rerun-incomplete``; jobs that
had finished are not run again. (Ctrl-C releases the lock, but outputs that an interrupted job had
already written can stay behind marked incomplete: ``--rerun-incomplete`` again.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO, SNAKEMAKE, run_snakemake, write_config
from .test_workflow import _digests

TINY = "input: demo\ndemo:\n  size: tiny\n  seed: 2024\n  reads:\n    enabled: false\n"

# Files under results/ that may differ between two runs of the same config, each with its reason.
# Everything else (tables, h5ad, parquet, PNG and PDF figures, logs) must be byte-identical.
NOT_REPRODUCIBLE = {
    "benchmarks/": "Snakemake's per-job benchmark records: wall time, memory, CPU time, load",
    "qc/multiqc_report": "MultiQC stamps its report and data directory with the creation time",
    "logs/multiqc.log": "MultiQC's log carries timings and the creation time",
}

# Kill points, early to late: the first new file matching each pattern (relative to the working
# directory) while a job is still running.
KILL_POINTS = (
    "results/cohort/cohort.h5ad",
    "results/de/contrasts/*.tsv",
    "results/outcome/logistic_terms.tsv",
)
RUN_TIMEOUT = 1800  # seconds; one tiny run takes 2-4 min on 2 busy cores
# The three runs (two uninterrupted, one killed) share the machine's cores, one core each: with
# one thread, DESeq2 runs in the job's process instead of starting worker processes, a third
# less CPU time. Tables do not depend on the thread count; a DESeq2 log can (warnings of
# worker processes go to Snakemake's terminal, not to the job's log).
CORES = ("--cores", "1")


def _command(workdir: Path, *args: str) -> list[str]:
    return [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]


def _start(workdir: Path, log_name: str, *args: str) -> subprocess.Popen[bytes]:
    """Snakemake in its own process group (its jobs too), output to ``workdir/log_name``."""
    with (workdir / log_name).open("ab") as log:
        return subprocess.Popen(
            _command(workdir, *args), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL Snakemake and every job it started; reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)


def _results(workdir: Path) -> dict[str, str]:
    """sha256 of every reproducible file under results/, by path relative to results/."""
    return {
        k: v
        for k, v in _digests(workdir / "results").items()
        if not k.startswith(tuple(NOT_REPRODUCIBLE))
    }


def _jobs_in_flight(workdir: Path) -> bool:
    """True while Snakemake has a job started and not finished (its incomplete markers)."""
    try:
        markers = os.scandir(workdir / ".snakemake" / "incomplete")
    except FileNotFoundError:
        return False
    with markers:
        return any(m.name != "migration_underway" for m in markers)


def _mtimes(workdir: Path, pattern: str) -> dict[Path, int]:
    found = {}
    for p in workdir.glob(pattern):
        try:
            found[p] = p.stat().st_mtime_ns
        except FileNotFoundError:  # Snakemake removes a job's old outputs when it starts
            pass
    return found


def _run_and_kill(workdir: Path, pattern: str, *args: str) -> Path:
    """Run until a new file matches ``pattern`` while a job runs, then SIGKILL the group."""
    before = _mtimes(workdir, pattern)
    proc = _start(workdir, "run.log", *CORES, *args)
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while True:
            new = [p for p, t in _mtimes(workdir, pattern).items() if before.get(p) != t]
            if new and _jobs_in_flight(workdir):
                os.killpg(proc.pid, signal.SIGKILL)
                return new[0]
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (workdir / "run.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"no new {pattern} while a job ran (exit {proc.returncode}):\n{log}")
            time.sleep(0.05)
    finally:
        _kill_group(proc)


def _incomplete_files(stderr: str) -> list[str]:
    """The files Snakemake lists after 'Incomplete files:' (none if it stopped at the lock)."""
    _, _, tail = stderr.partition("Incomplete files:\n")
    return [line.strip() for line in tail.splitlines() if line.strip().startswith("results/")]


class ReferenceRuns:
    """Two uninterrupted runs of the same config and command in two directories, started in
    the background so that they share the cores with the interrupted run."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs
        self.procs: list[subprocess.Popen[bytes]] = []
        for workdir in dirs:
            write_config(workdir, TINY)
            self.procs.append(_start(workdir, "run.log", *CORES))

    def wait(self) -> list[Path]:
        """The two working directories, once both runs finished without error."""
        for workdir, proc in zip(self.dirs, self.procs, strict=True):
            rc = proc.wait(timeout=RUN_TIMEOUT)
            assert rc == 0, (workdir / "run.log").read_text(errors="replace")[-3000:]
        return self.dirs

    def kill(self) -> None:
        for proc in self.procs:
            _kill_group(proc)


@pytest.fixture(scope="module")
def reference_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReferenceRuns]:
    runs = ReferenceRuns([tmp_path_factory.mktemp(name) for name in ("run_a", "run_b")])
    try:
        yield runs
    finally:
        runs.kill()


@pytest.mark.e2e
def test_killed_run_resumes_to_the_same_results(
    reference_runs: ReferenceRuns, tmp_path: Path
) -> None:
    """SIGKILL early, middle and late, resume each time as a user would: same files as run A.

    Runs first in this module, while the two reference runs go on in the background.
    """
    write_config(tmp_path, TINY)
    made_again: list[str] = []
    args: tuple[str, ...] = ()
    for pattern in KILL_POINTS:
        trigger = _run_and_kill(tmp_path, pattern, *args)
        assert not (tmp_path / "results" / "paper" / "findings.tsv").exists(), trigger
        # what a user types first: Snakemake refuses, naming the partial outputs of killed jobs
        # (or, when the killed jobs had written nothing yet, the lock)
        plain = run_snakemake(tmp_path, *CORES)
        assert plain.returncode != 0
        assert "IncompleteFilesException" in plain.stderr or "LockException" in plain.stderr
        partial = _incomplete_files(plain.stderr)
        # cut them to half, as a kill in the middle of writing leaves them: they must be re-made
        for name in partial:
            f = tmp_path / name
            f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
        made_again += partial
        unlock = run_snakemake(tmp_path, "--unlock")
        assert unlock.returncode == 0, unlock.stderr[-3000:]
        args = ("--rerun-incomplete",)
    assert made_again, "no kill caught a partial output: the resume check did not run"

    final = run_snakemake(tmp_path, *CORES, "--rerun-incomplete", timeout=RUN_TIMEOUT)
    assert final.returncode == 0, final.stderr[-3000:]
    assert "rule simulate_demo:" not in final.stderr  # finished jobs are not run again
    run_a, _ = reference_runs.wait()
    a, resumed = _results(run_a), _results(tmp_path)
    assert a.keys() == resumed.keys()
    assert [k for k in a if a[k] != resumed[k]] == []
    again = run_snakemake(tmp_path, *CORES, "-n")
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.e2e
def test_two_runs_give_byte_identical_results(reference_runs: ReferenceRuns) -> None:
    """Same config, two directories, run at the same time: every file but NOT_REPRODUCIBLE."""
    run_a, run_b = reference_runs.wait()
    a, b = _results(run_a), _results(run_b)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    assert {".tsv", ".h5ad", ".parquet", ".png", ".pdf", ".log"} <= {Path(k).suffix for k in a}
    every = _digests(run_a / "results")
    for prefix in NOT_REPRODUCIBLE:  # each exception still names files (else drop it)
        assert any(k.startswith(prefix) for k in every), prefix
