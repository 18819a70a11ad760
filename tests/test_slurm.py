"""Cluster execution: the Slurm profile, per-rule resources, conda environment files, and an
integration test on a real one-node Slurm cluster started on localhost (tests/slurm_cluster.py).

The Slurm tests install Debian's Slurm, munge, slurmdbd and MariaDB when missing and need root;
without root they are skipped with the reason printed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import REPO, SNAKEMAKE, write_config
from .slurm_cluster import SlurmCluster, install_packages, slurm_cluster

PROFILE = REPO / "profiles" / "slurm"
ENVS = REPO / "envs"
# The count-matrix demo (no reads, so no salmon): six jobs, four levels deep.
DEMO_CONFIG = "input: demo\ndemo:\n  size: small\n  seed: 2024\n  reads:\n    enabled: false\n"
TARGETS = (
    "results/cohort/summary.tsv",
    "results/fish/patients.tsv",
    "results/expression/expression.h5ad",
)
TARGET_RULES = {
    "simulate_demo",
    "qc_samples",
    "fish_score",
    "build_cohort",
    "summarise_cohort",
    "normalise_expression",
}
# Test-only overrides of the profile: the throw-away cluster has no accounts, and its jobs
# take seconds, so the first status query comes after 1 s instead of 20 s.
SLURM_TEST_ARGS = ("--slurm-no-account", "--slurm-init-seconds-before-status-checks", "1")
# One rule that needs ~600 MB (plus ~170 MB for Snakemake in the job step): 500 MB on the
# first attempt is too little, 1000 MB on the second is enough.
HOG_SNAKEFILE = """\
rule hog:
    output:
        "hog.txt",
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 500 * attempt,
        runtime=5,
    shell:
        "{python} -c 'import time; b = b\\"x\\" * (600 << 20); time.sleep(4)' "
        "&& echo {{resources.mem_mb}} > {{output}}"
"""


def _snakemake_cmd(workdir: Path, *args: str, timeout: int) -> list[str]:
    """A snakemake command line under ``timeout -k`` (SIGTERM alone may not end a hung run)."""
    return ["timeout", "-k", "15", str(timeout), SNAKEMAKE, "-d", str(workdir), *args]


def _run(cmd: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 60, check=False)


def _run_id(output: str) -> str:
    """The plugin's run ID: the Slurm job name of every job of one snakemake run."""
    m = re.search(r"SLURM run ID: (\S+)", output)
    assert m, output[-3000:]
    return m.group(1)


def _rule_of(comment: str) -> str:
    """The rule name in the plugin's job comment (``rule_<name>[_wildcards_<...>]``)."""
    assert comment.startswith("rule_"), comment
    return comment.removeprefix("rule_").split("_wildcards_")[0]


def _declared_resources(output: str) -> dict[str, tuple[int, int]]:
    """Per rule: (mem_mb, threads) as Snakemake printed them for its (last) job."""
    found = {}
    for m in re.finditer(r"^rule (\w+):\n((?:    .*\n)+)", output, flags=re.M):
        mem = re.search(r"\bmem_mb=(\d+)", m.group(2))
        threads = re.search(r"^    threads: (\d+)$", m.group(2), flags=re.M)
        if mem:
            found[m.group(1)] = (int(mem.group(1)), int(threads.group(1)) if threads else 1)
    return found


def _digests(root: Path) -> dict[str, str]:
    """sha256 of every result file, logs and benchmarks (times, hosts) left out."""
    return {
        str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(root.rglob("*"))
        if f.is_file() and f.relative_to(root).parts[0] not in ("logs", "benchmarks")
    }


# --------------------------------------------------------------------------------------------
# Profile and per-rule resources


def test_slurm_profile_declares_executor_retries_and_attempt_scaled_defaults() -> None:
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert profile["retries"] >= 1 and profile["jobs"] >= 1 and profile["latency-wait"] > 0
    assert "attempt" in str(profile["default-resources"]["mem_mb"])
    assert profile["default-resources"]["runtime"] > 0
    # no site-specific values in the shipped profile
    assert not {"slurm_partition", "slurm_account"} & set(profile["default-resources"])
    # no workflow profile: Snakemake would apply profiles/default/ to every local run as well
    assert not (REPO / "profiles" / "default").exists()


def test_slurm_profile_is_accepted_by_snakemake(tmp_path: Path) -> None:
    write_config(tmp_path, DEMO_CONFIG)
    r = _run(
        _snakemake_cmd(
            tmp_path,
            "-s",
            str(REPO / "Snakefile"),
            "--profile",
            str(PROFILE),
            "-n",
            *TARGETS,
            timeout=120,
        ),
        timeout=120,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "simulate_demo" in r.stdout + r.stderr


def _rule_blocks() -> Iterator[tuple[str, str, str]]:
    """(file, rule name, body) of every ``rule`` in workflow/rules (``use rule`` inherits)."""
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text()
        starts = [m for m in re.finditer(r"^rule (\w+):\n", text, flags=re.M)]
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            body = re.split(r"^\S", text[m.end() : end], maxsplit=1, flags=re.M)[0]
            yield smk.name, m.group(1), body


def test_every_job_rule_declares_threads_memory_and_runtime() -> None:
    checked = 0
    for smk, rule, body in _rule_blocks():
        if not re.search(r"^\s+(shell|script|run|notebook|wrapper):", body, flags=re.M):
            continue  # a target rule: nothing runs, nothing is submitted
        for key in (r"threads:", r"mem_mb=", r"runtime="):
            assert re.search(rf"^\s+{key}", body, flags=re.M), f"{smk}: rule {rule} lacks {key}"
        checked += 1
    assert checked >= 30


def test_memory_hungry_rules_get_more_memory_on_each_attempt() -> None:
    """A job killed for OUT_OF_MEMORY is retried (profile ``retries``) with attempt x mem_mb."""
    blocks = {rule: body for _, rule, body in _rule_blocks()}
    for rule in (
        "salmon_index",
        "salmon_quant",
        "tximport_counts",
        "deseq2_fit",
        "deseq2_contrast",
        "normalise_expression",
        "fish_score",
    ):
        mem = re.search(r"^\s+mem_mb=(.*)$", blocks[rule], flags=re.M)
        assert mem and "attempt" in mem.group(1), f"{rule}: {mem}"
    for rule in ("salmon_index", "salmon_quant", "deseq2_fit"):
        runtime = re.search(r"^\s+runtime=(.*)$", blocks[rule], flags=re.M)
        assert runtime and "input.size_mb" in runtime.group(1), f"{rule}: {runtime}"


# --------------------------------------------------------------------------------------------
# Conda environments (no conda here: the files are linted; the install step is exercised)


def _env(name: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ENVS / f"{name}.yaml").read_text())


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ENVS / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _pip_pins(env: dict) -> dict[str, str]:  # type: ignore[type-arg]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = {}
    for spec in pip:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][A-Za-z0-9_.+-]*)", spec)
        assert m, f"pip requirement not pinned exactly: {spec!r}"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


@pytest.mark.parametrize("name", ["python", "salmon"])
def test_conda_env_is_small_pinned_and_without_defaults_channel(name: str) -> None:
    env = _env(name)
    assert set(env) == {"channels", "dependencies"}  # no name/prefix: Snakemake names it
    assert "defaults" not in env["channels"] and "nodefaults" in env["channels"]
    assert env["channels"][0] == "conda-forge"
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    for spec in conda:
        assert re.fullmatch(r"[a-z0-9_.-]+==[0-9][A-Za-z0-9_.]*", spec), (
            f"{name}.yaml: not an exact pin: {spec!r}"
        )
    versions = dict(spec.split("==") for spec in conda)
    # the venv's Python minor version: the script directive hands rules a pickled object
    assert versions["python"].startswith(f"{sys.version_info[0]}.{sys.version_info[1]}.")
    assert "pip" in versions
    # pip packages carry the lock file's versions (the stack the tests run with)
    lock = _lock()
    for pkg, version in _pip_pins(env).items():
        assert lock.get(pkg) == version, f"{name}.yaml pins {pkg}=={version}, lock {lock.get(pkg)}"
    if name == "salmon":
        assert "bioconda" in env["channels"]
        assert re.fullmatch(r"1\.10\.\d+", versions["salmon"])


def test_python_env_pins_the_whole_runtime_stack() -> None:
    """Every runtime requirement of the package (and theirs, recursively) is pinned, so pip
    resolves nothing by itself; dev tools (snakemake, pytest, ruff...) stay out."""
    pins = _pip_pins(_env("python"))
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    roots = [
        Requirement(r).name
        for r in project["dependencies"] + project["optional-dependencies"]["analysis"]
    ]
    environment = {"extra": ""}
    todo, seen = [canonicalize_name(r) for r in roots], set()
    while todo:
        pkg = todo.pop()
        if pkg in seen:
            continue
        seen.add(pkg)
        for req in md.requires(pkg) or []:
            r = Requirement(req)
            if r.marker is None or r.marker.evaluate(environment):
                todo.append(canonicalize_name(r.name))
    assert seen <= set(pins), f"unpinned runtime requirements: {sorted(seen - set(pins))}"
    assert not {"snakemake", "pytest", "ruff", "ipykernel"} & set(pins)


def test_post_deploy_scripts_install_the_checkout(tmp_path: Path) -> None:
    """Snakemake runs ``<env>.post-deploy.sh`` inside the new env (``sh`` or the shebang's
    interpreter, from a copy in .snakemake/conda/, cwd = the run's working directory): it
    must find the checkout from there and pip-install it, without dependencies."""
    scripts = [ENVS / f"{n}.post-deploy.sh" for n in ("python", "salmon")]
    assert scripts[0].read_text() == scripts[1].read_text()
    copy = tmp_path / "conda" / "0123abcd.post-deploy.sh"  # as Snakemake copies it
    copy.parent.mkdir()
    copy.write_text(scripts[0].read_text())
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python").write_text('#!/bin/sh\necho "$@" >> "$SHIM_LOG"\n')
    (shim / "python").chmod(0o755)
    log = tmp_path / "calls.txt"
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}", "SHIM_LOG": str(log)}
    env.pop("HER2HET_SOURCE", None)

    def deploy(cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        log.unlink(missing_ok=True)
        return subprocess.run(
            ["bash", str(copy)], cwd=cwd, env={**env, **extra}, capture_output=True, text=True
        )

    r = deploy(REPO / "workflow" / "rules")  # found upwards from the working directory
    assert r.returncode == 0, r.stderr
    install = f"-m pip install --no-deps -e {REPO}"
    assert install in log.read_text().splitlines()
    r = deploy(tmp_path)  # a working directory outside the checkout
    assert r.returncode != 0 and "HER2HET_SOURCE" in r.stderr
    r = deploy(tmp_path, HER2HET_SOURCE=str(REPO))
    assert r.returncode == 0 and install in log.read_text().splitlines(), r.stderr


# --------------------------------------------------------------------------------------------
# A real Slurm cluster


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    """A one-node Slurm cluster with accounting, stopped (and /etc/slurm restored) at the end."""
    if os.geteuid() != 0:
        reason = "the Slurm test installs Debian packages and starts daemons: it needs root"
        print(f"\nSKIPPED Slurm integration test: {reason}", file=sys.stderr)
        pytest.skip(reason)
    t0 = time.monotonic()
    installed = install_packages()
    root = tmp_path_factory.mktemp("slurm")
    with slurm_cluster(root) as cluster:
        print(
            f"\nSlurm cluster up in {time.monotonic() - t0:.0f} s "
            f"(installed: {' '.join(installed) or 'nothing'}; memory: {cluster.memory_enforcement})"
        )
        yield cluster


@pytest.mark.e2e
def test_small_demo_runs_on_slurm_with_the_local_outputs(
    slurm: SlurmCluster, tmp_path: Path
) -> None:
    """Six jobs of the count-matrix demo through ``--executor slurm`` (the shipped profile);
    Slurm's accounting lists each rule as a completed job on the node, with the rule's memory
    and CPUs; the results equal a local run's byte for byte."""
    local, remote = tmp_path / "local", tmp_path / "slurm"
    for workdir in (local, remote):
        write_config(workdir, DEMO_CONFIG)
    snakefile = ("-s", str(REPO / "Snakefile"))
    # the local reference runs meanwhile: the Slurm run mostly waits for status queries
    reference = subprocess.Popen(
        _snakemake_cmd(local, *snakefile, "--cores", "2", *TARGETS, timeout=600),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        r = _run(
            _snakemake_cmd(
                remote,
                *snakefile,
                "--profile",
                str(PROFILE),
                *SLURM_TEST_ARGS,
                *TARGETS,
                timeout=600,
            ),
            timeout=600,
        )
    finally:
        local_out, _ = reference.communicate(timeout=660)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:] + "\n" + slurm.diagnostics()
    assert reference.returncode == 0, local_out[-4000:]

    run_id = _run_id(out)
    jobs = [rec for rec in slurm.sacct("--name", run_id) if rec["Comment"].startswith("rule_")]
    print(f"\nsacct --name {run_id}:")
    for rec in jobs:
        print("  " + " | ".join(rec.values()))
    by_rule = {_rule_of(rec["Comment"]): rec for rec in jobs}
    assert len(jobs) == len(by_rule) == len(TARGET_RULES)
    assert set(by_rule) == TARGET_RULES
    for rule, rec in by_rule.items():
        assert rec["State"] == "COMPLETED" and rec["ExitCode"] == "0:0", (rule, rec)
        assert rec["NodeList"] == "localhost" and rec["Partition"] == slurm.partition, rec
    # each rule's mem_mb and threads, as Snakemake evaluated them, are what Slurm allocated
    declared = _declared_resources(out)
    for rule, rec in by_rule.items():
        mem_mb, threads = declared[rule]
        assert (rec["ReqMem"], rec["AllocCPUS"]) == (f"{mem_mb}M", str(threads)), (rule, rec)
    assert any(threads > 1 for _, threads in declared.values())

    slurm_results, local_results = _digests(remote / "results"), _digests(local / "results")
    assert len(local_results) >= 20 and "expression/expression.h5ad" in local_results
    assert slurm_results == local_results


@pytest.mark.e2e
def test_job_over_its_memory_is_retried_with_more(slurm: SlurmCluster, tmp_path: Path) -> None:
    """Attempt 1 (500 MB) is killed by Slurm for exceeding its memory; the profile's retries
    resubmit it with ``500 * attempt`` = 1000 MB, and it completes."""
    (tmp_path / "Snakefile").write_text(HOG_SNAKEFILE.format(python=shlex.quote(sys.executable)))
    r = _run(
        _snakemake_cmd(
            tmp_path,
            *("-s", str(tmp_path / "Snakefile"), "--profile", str(PROFILE)),
            *SLURM_TEST_ARGS,
            timeout=300,
        ),
        timeout=300,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:] + "\n" + slurm.diagnostics()
    assert (tmp_path / "hog.txt").read_text().strip() == "1000"  # written by attempt 2
    assert "Trying to restart job" in out

    run_id = _run_id(out)
    records = slurm.sacct("--name", run_id)
    print(f"\nsacct --name {run_id} (job and steps):")
    for rec in records:
        print("  " + " | ".join(rec.values()))
    jobs = [rec for rec in records if rec["Comment"] == "rule_hog"]
    assert [j["ReqMem"] for j in jobs] == ["500M", "1000M"]
    first, second = jobs
    assert first["State"] in ("FAILED", "OUT_OF_MEMORY") and second["State"] == "COMPLETED"
    first_steps = slurm.sacct("--jobs", first["JobID"], fields=("JobID", "State", "MaxRSS"))
    if slurm.memory_enforcement == "cgroup":
        assert any(s["State"] == "OUT_OF_MEMORY" for s in first_steps), first_steps
    else:  # polling: slurmstepd logs the kill
        log = slurm.log("slurmd").read_text()
        assert f"StepId={first['JobID']}.0 exceeded memory limit" in log
