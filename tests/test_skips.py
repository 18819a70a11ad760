"""A cohort without the trial's columns: what is skipped, with which reason (SIMULATED sheets)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from her2het import cohort, de, skips

from .conftest import REPO, run_snakemake, write_config


@pytest.fixture(scope="module")
def defaults() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def _meta(**patient_cols: list[object]) -> pd.DataFrame:
    samples = pd.DataFrame(
        {
            "sample": ["A1", "A2", "A3", "B1", "B3", "C1"],
            "patient": ["A", "A", "A", "B", "B", "C"],
            "timepoint": ["pre", "pre", "post", "pre", "post", "pre"],
        }
    )
    patients = pd.DataFrame({"patient": ["A", "B", "C"], **patient_cols})
    return samples.merge(patients, on="patient")


def _skips(meta: pd.DataFrame, defaults: dict) -> dict[str, str]:  # type: ignore[type-arg]
    specs = defaults["de"]["contrasts"]
    kept_specs, kept, found = skips.prune_contrasts(specs, de.parse_contrasts(specs), meta)
    assert [s["id"] for s in kept_specs] == [c.id for c in kept]
    assert len(kept) + len(found) == len(specs)
    return {s.item.removeprefix("contrast "): s.reason for s in found}


def test_contrasts_needing_an_absent_het_column_are_skipped(defaults) -> None:  # type: ignore[no-untyped-def]
    found = _skips(_meta(pCR=[0, 0, 1], HR=["pos", "neg", "pos"]), defaults)
    assert found["pre_HET_vs_nonHET_noPCR"] == "the sheets have no column 'HET'"
    assert "pre_pCR_vs_noPCR" not in found  # formed: pCR and HR are there
    assert set(found) == {c["id"] for c in defaults["de"]["contrasts"]} - {"pre_pCR_vs_noPCR"}


def test_a_constant_het_or_one_timepoint_is_a_skip_not_an_error(defaults) -> None:  # type: ignore[no-untyped-def]
    meta = _meta(pCR=[0, 0, 1], HET=[0, 0, 0], HR=["pos", "neg", "pos"])
    found = _skips(meta, defaults)
    assert found["pre_HET_vs_nonHET_noPCR"].startswith("'HET' has no '1' samples in its subset")
    assert (
        found["post_vs_pre_HET"] == "its subset (HET: 1) leaves no sample with a 'timepoint' value"
    )
    assert "post_vs_pre_nonHET" not in found
    found = _skips(meta[meta["timepoint"] == "pre"], defaults)
    assert found["post_vs_pre_nonHET"].startswith("'timepoint' has no 'post' samples")


def test_a_misspelt_column_is_still_a_config_error() -> None:
    c = de.Contrast.from_config({"id": "x", "variable": "HETT", "reference": 0, "target": 1})
    meta = _meta(pCR=[0, 0, 1])
    assert skips.contrast_skip(c, meta) is None
    assert "'HETT' is not a sample or patient column" in de.check_contrast(c, meta)
    c = de.Contrast.from_config({"id": "y", "variable": "pCR", "reference": 0, "target": 2})
    assert skips.contrast_skip(c, meta) is None  # pCR cannot be 2: an error, not a skip
    assert "target level '2' of 'pCR' does not occur" in de.check_contrast(c, meta)


def test_outcome_models_and_survival_without_their_columns_are_skipped(defaults) -> None:  # type: ignore[no-untyped-def]
    cfg = {"outcome": defaults.get("outcome", {})}
    from her2het.io.sheets import validate_config

    full = {**defaults, **cfg}
    validate_config(full, REPO / "workflow" / "schemas" / "config.schema.yaml", "defaults")
    pruned, found = skips.prune_outcome(full["outcome"], ["patient", "pCR", "HR", "ERBB2"])
    assert pruned["logistic"]["models"] == [] and pruned["survival"]["enabled"] is False
    lines = [s.line() for s in found]
    assert (
        "Skipped: outcome logistic model main: 'pCR ~ HET + ERBB2 + HR' needs column 'HET'" in lines
    )
    assert any(line.startswith("Skipped: outcome survival: no follow-up column") for line in lines)
    assert full["outcome"]["survival"]["enabled"] is True  # the input is not changed
    assert list(skips.skip_table(found).columns) == ["stage", "item", "reason"]


def test_groups_without_pcr_or_het_are_not_made_up() -> None:
    pts = pd.DataFrame({"patient": ["A", "B"], "HET": [1, 0]})
    assert cohort.patient_groups(pts).tolist() == ["HET", "nonHET"]
    assert cohort.patient_groups(pts[["patient"]]).tolist() == ["", ""]
    obs = pd.DataFrame(
        {"patient": ["A", "B"], "group": [float("nan"), ""], "timepoint": "pre"}
    ).assign(n_baseline_biopsies=1)
    assert cohort.summarise_cohort(obs, "test")["group"].tolist() == ["all"]


def _user_cohort(tiny_dir: Path, workdir: Path, samples: list[str], patients: list[str]) -> None:
    """The tiny SIMULATED cohort as user sheets with only the given columns, and its counts."""
    data = workdir / "data"
    data.mkdir(parents=True)
    pd.read_csv(tiny_dir / "samples.tsv", sep="\t")[samples].to_csv(
        data / "samples.tsv", sep="\t", index=False
    )
    pd.read_csv(tiny_dir / "patients.tsv", sep="\t")[patients].to_csv(
        data / "patients.tsv", sep="\t", index=False
    )
    shutil.copy(tiny_dir / "counts.tsv", data / "counts.tsv")
    write_config(
        workdir,
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        "  counts: data/counts.tsv\n",
    )


@pytest.mark.e2e
def test_a_cohort_with_only_sample_patient_timepoint_and_counts_runs(
    tiny_dir: Path, tmp_path: Path
) -> None:
    _user_cohort(tiny_dir, tmp_path, ["sample", "patient", "timepoint"], ["patient"])
    r = run_snakemake(tmp_path, "--cores", "1", "-n")  # the whole default target forms
    assert r.returncode == 0, r.stderr[-3000:]
    tables = ["skipped", "de/summary", "subtypes/samples", "outcome/associations"]
    r = run_snakemake(tmp_path, "--cores", "2", *(f"results/{t}.tsv" for t in tables))
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / "results"
    skipped = pd.read_csv(res / "skipped.tsv", sep="\t")
    n_contrasts = 5  # every default contrast needs pCR or HET
    assert (skipped["stage"] == "de").sum() == n_contrasts
    assert "survival" in skipped["item"].tolist()
    for stage, item in zip(skipped["stage"], skipped["item"], strict=True):
        assert r.stderr.count(f"Skipped: {stage} {item}: ") == 1, item  # named once
    assert pd.read_csv(res / "de" / "summary.tsv", sep="\t").empty
    calls = pd.read_csv(res / "subtypes" / "samples.tsv", sep="\t", keep_default_na=False)
    assert len(calls) == len(pd.read_csv(tmp_path / "data" / "samples.tsv", sep="\t"))
    for table in ("subtypes/patients.tsv", "outcome/patients.tsv", "outcome/associations.tsv"):
        text = (res / table).read_text()
        assert "nonHET" not in text and "no-pCR" not in text, table  # no made-up groups


@pytest.mark.e2e
def test_a_cohort_without_het_runs_the_contrasts_it_can_form(
    tiny_dir: Path, tmp_path: Path
) -> None:
    samples = ["sample", "patient", "timepoint", "biopsy"]
    _user_cohort(tiny_dir, tmp_path, samples, ["patient", "pCR", "HR", "EFS_months", "EFS_event"])
    targets = ["results/skipped.tsv", "results/de/summary.tsv", "results/outcome/associations.tsv"]
    r = run_snakemake(tmp_path, "--cores", "2", *targets)
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / "results"
    status = pd.read_csv(res / "de" / "summary.tsv", sep="\t").set_index("contrast")["status"]
    assert list(status.index) == ["pre_pCR_vs_noPCR"] and status.iloc[0].startswith("ok")
    skipped = pd.read_csv(res / "skipped.tsv", sep="\t")
    assert (skipped["reason"].str.contains("'HET'")).all() and len(skipped) >= 5
    r = run_snakemake(tmp_path, "--cores", "1", "-n")  # the rest of the default target forms
    assert r.returncode == 0, r.stderr[-3000:]
