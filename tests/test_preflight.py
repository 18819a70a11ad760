"""The pre-flight checks one by one, as plain functions over config and tables (no Snakemake)."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from her2het import preflight
from her2het.io import sheets

from .conftest import REPO

SCHEMAS = REPO / "workflow" / "schemas"


@pytest.fixture(scope="module")
def defaults() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def _ctx(cfg: dict, tmp_path: Path, warnings: list[str] | None = None) -> preflight.Context:  # type: ignore[type-arg]
    """A context as common.smk builds it, with the config written to a file (key sources)."""
    f = tmp_path / "own.yaml"
    f.write_text(yaml.safe_dump(cfg))
    sink = warnings if warnings is not None else []
    ctx = preflight.Context(
        copy.deepcopy(cfg), sheets.ConfigSources([f], {}), SCHEMAS, warn=sink.append
    )
    preflight.check_config(ctx, {})
    return ctx


def _sheets() -> tuple[pd.DataFrame, pd.DataFrame]:
    samples = pd.DataFrame(
        {
            "sample": ["A1", "A2", "B1", "B2", "C1", "C2"],
            "patient": ["A", "A", "B", "B", "C", "C"],
            "timepoint": ["pre", "post"] * 3,
        }
    )
    patients = pd.DataFrame({"patient": ["A", "B", "C"], "pCR": [1, 0, 0]})
    return samples, patients


def test_output_path_and_input_files_follow_outdir_and_input(defaults, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = _ctx({**defaults, "outdir": "runs/a/"}, tmp_path)
    assert preflight.output_path(ctx.config, "de/summary.tsv") == "runs/a/de/summary.tsv"
    demo = preflight.input_files(ctx.config)
    assert demo["samples"] == "runs/a/demo/samples.tsv"
    assert demo["fish_cells"] == "runs/a/demo/fish_cells.parquet"
    # the default demo has reads: counts come from salmon
    assert demo["counts"] == "runs/a/quant/counts.tsv"
    own = {**defaults, "input": "sheets"}
    own["sheets"] = {
        **defaults.get("sheets", {}),
        "samples": "s.tsv",
        "patients": "p.tsv",
        "counts": "m.tsv",
    }
    files = preflight.input_files(_ctx(own, tmp_path).config)
    assert (files["samples"], files["patients"]) == ("s.tsv", "p.tsv")
    assert files["counts"] == "results/counts/counts.tsv"  # the renamed copy of m.tsv
    assert files["fish_cells"] is None


def test_an_outdir_with_braces_is_rejected_naming_the_key(defaults, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(sheets.InputError, match=r"own\.yaml, key 'outdir'"):
        _ctx({**defaults, "outdir": "results_{x}"}, tmp_path)
    with pytest.raises(sheets.InputError, match="key 'outdir'"):
        _ctx({**defaults, "outdir": "/"}, tmp_path)


def test_check_contrasts_skips_what_the_cohort_cannot_form(defaults, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = _ctx(defaults, tmp_path)
    samples, patients = _sheets()
    patients["HR"] = ["pos", "neg", "pos"]
    n_specs = len(ctx.config["de"]["contrasts"])
    contrasts, found = preflight.check_contrasts(ctx, samples, patients)
    # no HET column: every contrast that needs it is skipped, and dropped from the config
    assert found and all(s.reason == "the sheets have no column 'HET'" for s in found)
    assert "pre_pCR_vs_noPCR" in contrasts
    assert len(contrasts) + len(found) == n_specs
    assert [str(s["id"]) for s in ctx.config["de"]["contrasts"]] == list(contrasts)


def test_check_contrasts_names_the_contrast_of_a_bad_subset(defaults, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    warnings: list[str] = []
    cfg = copy.deepcopy(defaults)
    first = cfg["de"]["contrasts"][0]
    first["subset"] = {"timepoint": ["pre", "baseline"]}
    ctx = _ctx(cfg, tmp_path, warnings)
    samples, patients = _sheets()
    patients["HR"] = ["pos", "neg", "pos"]
    preflight.check_contrasts(ctx, samples, patients)
    assert any("'baseline' never occurs" in w and "de.contrasts[0]" in w for w in warnings)


def test_check_subtype_needs_a_table_for_reference_centring(defaults, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = copy.deepcopy(defaults)
    cfg["subtype"]["centring"] = "reference"
    ctx = _ctx(cfg, tmp_path)
    with pytest.raises(sheets.InputError, match="key 'subtype.reference_centres'"):
        preflight.check_subtype(ctx, None)
    ctx.config["subtype"]["reference_centres"] = "centres.tsv"
    preflight.check_subtype(ctx, None)  # the table itself is read by the job


def test_check_subtype_rejects_an_unpinned_url_and_a_missing_file(defaults, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = copy.deepcopy(defaults)
    cfg["subtype"]["centroids"] = "https://example.org/pam50_model.csv"
    cfg["subtype"]["sha256"] = None
    with pytest.raises(sheets.InputError, match="needs the file's sha256"):
        preflight.check_subtype(_ctx(cfg, tmp_path), None)
    cfg["subtype"]["centroids"] = str(tmp_path / "absent.csv")
    with pytest.raises(sheets.InputError, match="key 'subtype.centroids'"):
        preflight.check_subtype(_ctx(cfg, tmp_path), None)


def test_check_gene_sets_rejects_a_set_defined_twice(defaults, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = tmp_path / "a.gmt", tmp_path / "b.gmt"
    a.write_text("SET_X\tsrc\tERBB2\tGRB7\n")
    b.write_text("SET_Y\tsrc\tESR1\tPGR\nSET_X\tsrc\tKRT5\n")
    cfg = copy.deepcopy(defaults)
    cfg["scores"]["gene_sets"] = [str(a)]
    assert preflight.check_gene_sets(_ctx(cfg, tmp_path), None) == ["SET_X"]
    cfg["scores"]["gene_sets"] = [str(a), str(b)]
    with pytest.raises(sheets.InputError, match=r"key 'scores.gene_sets\[1\]'.*already defined"):
        preflight.check_gene_sets(_ctx(cfg, tmp_path), None)


def test_check_outcome_skips_models_without_their_columns(defaults, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = _ctx(defaults, tmp_path)
    _, patients = _sheets()  # pCR only: no HET, HR or follow-up
    found = preflight.check_outcome(ctx, patients, [])
    assert found, "models needing HET/HR/EFS columns must be skipped"
    assert not ctx.config["outcome"]["survival"]["enabled"] or any("EFS" in s.reason for s in found)
    cfg = copy.deepcopy(defaults)
    cfg["outcome"] = {"score_method": "no_such_method"}
    with pytest.raises(sheets.InputError, match="key 'outcome.score_method'"):
        preflight.check_outcome(_ctx(cfg, tmp_path), patients, [])


def test_check_figure_options_names_the_figures_there_are(defaults, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = copy.deepcopy(defaults)
    cfg["report"]["figure_dpi_by_figure"] = {"fig6_outcome": 600}
    ctx = _ctx(cfg, tmp_path)
    preflight.check_figure_options(ctx, ["qc", "fig6_outcome"])
    ctx.config["report"]["figure_dpi_by_figure"] = {"fig7": 600}
    with pytest.raises(sheets.InputError, match="no such figure; figures: fig6_outcome, qc"):
        preflight.check_figure_options(ctx, ["qc", "fig6_outcome"])
