# Shared set-up: validate the config and the input sheets before any job runs, define wildcard
# constraints and the input functions used by the stage files.
from pathlib import Path

import sys

from her2het import simulate, sheets

SCHEMAS = Path(workflow.current_basedir).parent / "schemas"
ENV_PYTHON = "../../envs/python.yaml"


def _config_source():
    files = (
        [str(f) for f in workflow.configfiles] if workflow.configfiles else ["config"]
    )
    return " + ".join(files)


def _validate_inputs():
    """Validate config and, for user data, every sheet and table. Raise one-line errors."""
    try:
        sheets.validate_config(config, SCHEMAS / "config.schema.yaml", _config_source())
        if config["input"] == "demo":
            d = config["demo"]
            try:
                simulate.resolve_design(d["size"], d["n_genes"], d["cells_per_area"])
            except ValueError as exc:
                raise sheets.InputError(
                    f"{_config_source()}, key 'demo': {exc}"
                ) from None
            patients, samples = simulate.demo_sheets(d["size"], d["seed"])
            return samples, patients
        s = config["sheets"]
        if not s["counts"]:
            raise sheets.InputError(
                f"{_config_source()}, key 'sheets.counts': a count matrix is required when input is sheets"
            )
        samples, patients, _ = sheets.load_user_inputs(
            s["samples"],
            s["patients"],
            s["counts"],
            SCHEMAS,
            s["fish_cells"],
            require_xy=config["fish"]["spatial_pattern"]["enabled"],
        )
        return samples, patients
    except sheets.InputError as exc:
        # One line, no traceback: the message names file, row and column.
        print(f"Invalid input: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


SAMPLES, PATIENTS = _validate_inputs()
IS_DEMO = config["input"] == "demo"


wildcard_constraints:
    sample=sheets.SAFE_ID,
    patient=sheets.SAFE_ID,


def data_source():
    """One-line provenance shown on every figure and in the cohort object."""
    if IS_DEMO:
        d = config["demo"]
        return f"{simulate.SIMULATED_NOTE}; size={d['size']}, seed={d['seed']}"
    return f"user data: {config['sheets']['samples']}"


def sheet_inputs(wildcards=None):
    """Sample sheet, patient sheet and count matrix: simulated (demo) or the user's."""
    if IS_DEMO:
        return {
            "samples": "results/demo/samples.tsv",
            "patients": "results/demo/patients.tsv",
            "counts": "results/demo/counts.tsv",
        }
    s = config["sheets"]
    return {"samples": s["samples"], "patients": s["patients"], "counts": s["counts"]}


def fish_inputs(wildcards=None):
    """Per-cell FISH table and the sheets it refers to."""
    cells = (
        "results/demo/fish_cells.parquet" if IS_DEMO else config["sheets"]["fish_cells"]
    )
    sh = sheet_inputs()
    return {"cells": cells, "samples": sh["samples"], "patients": sh["patients"]}


HAS_FISH = IS_DEMO or bool(config["sheets"]["fish_cells"])
FISH_FIGURES = ["ratio_distributions", "het_prevalence", "pre_post"] + (
    ["spatial_patterns"] if config["fish"]["spatial_pattern"]["enabled"] else []
)


def all_targets():
    targets = [
        "results/cohort/cohort.h5ad",
        "results/cohort/summary.tsv",
        "results/figures/sample_flow.png",
        "results/figures/sample_flow.pdf",
    ]
    if HAS_FISH:
        targets += [
            "results/fish/areas.tsv",
            "results/fish/patients.tsv",
            "results/fish/pre_post.tsv",
        ]
        targets += expand(
            "results/figures/fish_{fig}.{ext}", fig=FISH_FIGURES, ext=("png", "pdf")
        )
    if IS_DEMO and config["fish"]["spatial_pattern"]["enabled"]:
        targets.append("results/fish/pattern_validation.tsv")
    return targets
