# Shared set-up: the pre-flight checks (her2het.preflight) run once, before any job; then the
# cohort's sheets, wildcard constraints and the input functions that several stages use.
# Stage-specific input functions live in their stage's .smk file; each stage file adds its
# deliverables to TARGETS from its rules' declared outputs.
from pathlib import Path

import re
import shlex
import sys

from her2het import de, preflight, simulate
from her2het.io import sheets

SCHEMAS = Path(workflow.current_basedir).parent / "schemas"
ENV_PYTHON = "../../envs/python.yaml"
REPO = Path(workflow.basedir)


def _python():
    """Interpreter for shell rules: the conda env's with --use-conda, else Snakemake's own."""
    try:
        from snakemake.settings.types import DeploymentMethod

        if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
            return "python"
    except (ImportError, AttributeError):
        pass
    return shlex.quote(sys.executable)


PYTHON = _python()


def out(path):
    """``path`` under the output directory (setting ``outdir``, default ``results``)."""
    return preflight.output_path(config, path)


def resource_path(path):
    """A relative path from the working directory, else from the workflow's own directory
    (so that ``resources/...`` shipped with the workflow is found from any working directory).
    """
    p = Path(path)
    if p.is_absolute() or p.exists() or not (REPO / p).exists():
        return str(path)
    return str(REPO / p)


def _warn(message):
    """An accepted input worth telling about: one line on stderr."""
    print(f"Warning: {message}", file=sys.stderr)


def _invalid(exc):
    """The one exit for bad input: one line naming file, row and column; no job has run."""
    print(f"Invalid input: {exc}", file=sys.stderr)
    raise SystemExit(1)


# --config values: Snakemake passes nested ones as strings; the pre-flight coerces them
_OVERRIDES = dict(
    getattr(getattr(workflow, "config_settings", None), "config", None) or {}
)
PREFLIGHT = preflight.Context(
    config,
    sheets.ConfigSources([str(f) for f in workflow.configfiles], _OVERRIDES),
    SCHEMAS,
    resolve=resource_path,
    warn=_warn,
)
try:
    CHECKED = preflight.run(PREFLIGHT, _OVERRIDES)
except sheets.InputError as exc:
    _invalid(exc)
# Analyses the cohort's columns cannot form are skipped, each named once: "Skipped: ..." on
# stderr and <outdir>/skipped.tsv.
SKIPS = CHECKED.skips
for _skip in SKIPS:
    print(_skip.line(), file=sys.stderr)

SAMPLES, PATIENTS, CONTRASTS = CHECKED.samples, CHECKED.patients, CHECKED.contrasts
INPUTS = preflight.input_files(config)
IS_DEMO = config["input"] == "demo"
COUNTS_FROM = preflight.counts_from(config)
HAS_FISH = preflight.has_fish(config)
SAMPLE_IDS = SAMPLES["sample"].tolist()
FASTQ = sheets.fastq_lanes(SAMPLES) if COUNTS_FROM == "salmon" else {}
TARGETS = []  # the default target's files; each stage file adds its own


wildcard_constraints:
    sample=sheets.SAFE_ID,
    patient=sheets.SAFE_ID,
    contrast="|".join(re.escape(c) for c in CONTRASTS) or "no-contrast",
    design="design_[0-9a-f]+",


def all_targets():
    """The default target: every stage's deliverables (TARGETS), once the figure options are
    checked against the figures they name."""
    try:
        preflight.check_figure_options(
            PREFLIGHT, [Path(t).stem for t in TARGETS if t.endswith(".png")]
        )
    except sheets.InputError as exc:
        _invalid(exc)
    return TARGETS


def figure_dpi(*stems):
    """Params function giving a figure job's PNG resolution.

    ``report.figure_dpi_by_figure[<file stem>]`` (stems may hold wildcards, e.g.
    ``volcano_{contrast}``; the first one set wins), else ``report.figure_dpi``. A function of
    wildcards only, so Snakemake records its value: changing one figure's entry re-runs that
    figure's job and nothing else.
    """

    def dpi(wildcards):
        by_figure = config["report"]["figure_dpi_by_figure"]
        for stem in stems:
            name = stem.format(**wildcards)
            if name in by_figure:
                return by_figure[name]
        return config["report"]["figure_dpi"]

    return dpi


def data_source():
    """One-line provenance shown on every figure and in the cohort object."""
    if IS_DEMO:
        d = config["demo"]
        return (
            f"{simulate.SIMULATED_NOTE}; size={d['size']}, seed={d['seed']}, "
            f"effect_scale={d['effect_scale']:g}"
        )
    if config["input"] == "geo":
        return f"GEO import: {config['geo']['series_matrix']}"
    return f"user data: {config['sheets']['samples']}"


def sheet_inputs(wildcards=None):
    """Sample and patient sheets: simulated (demo), imported (GEO) or the user's."""
    return {"samples": INPUTS["samples"], "patients": INPUTS["patients"]}


def count_matrix(wildcards=None):
    """The genes x samples count matrix that drives the analysis (columns: sample IDs)."""
    return INPUTS["counts"]


def salmon_stats_input(wildcards=None):
    """salmon's per-sample statistics, when the counts come from salmon."""
    return (
        {"salmon_stats": out("quant/salmon_stats.tsv")}
        if COUNTS_FROM == "salmon"
        else {}
    )


def fastq_r1(wildcards):
    """A sample's read-1 FASTQ files (demo reads and salmon)."""
    return FASTQ[wildcards.sample][0]


def fastq_r2(wildcards):
    """A sample's read-2 FASTQ files (empty for single end)."""
    return FASTQ[wildcards.sample][1]


def fish_inputs(wildcards=None):
    """Per-cell FISH table and the sheets it refers to."""
    return {"cells": INPUTS["fish_cells"], **sheet_inputs()}


include: "inputs.smk"
