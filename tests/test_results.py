"""Unit tests of her2het.results.load_results on small hand-written tables (no workflow run)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import her2het
from her2het.results import Results, load_results


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    write(
        root,
        "cohort/summary.tsv",
        "group\tpatients\tdata_source\n"
        "HET/no-pCR\t1\tSIMULATED demo data - not trial data\n"
        "all\t2\tSIMULATED demo data - not trial data\n",
    )
    write(
        root,
        "outcome/patients.tsv",
        "patient\ttimepoint\tpCR\tHET\tERBB2\tsubtype\n"
        "001\tpre\t0\t1\t6.5\tHer2\n"
        "002\tpre\t1\t0\t9.1\t\n"
        "001\tpost\t0\t1\t5.0\tLumA\n",
    )
    write(
        root,
        "subtypes/patients.tsv",
        "patient\tgroup\tsubtype_pre\tsubtype_post\tshift\n"
        "001\tHET/no-pCR\tHer2\tLumA\tHer2>LumA\n"
        "002\tnonHET/pCR\tHer2\t\t\n",
    )
    write(
        root,
        "subtypes/samples.tsv",
        "sample\tpatient\tcor_Her2\tsubtype\tmargin\tconfidence\n"
        "0001\t001\t0.8\tHer2\t0.2\t\n"
        "0002\t002\t0.7\tNA\t0.1\t0.9\n",
    )
    write(
        root,
        "qc/samples.tsv",
        "sample\tlibrary_size\treads_mapped\toutlier\toutlier_reason\n"
        "0001\t100\t\tFalse\t\n"
        "0002\t200\t\tTrue\tPC1 = 9 outside mean ± 5 SD\n",
    )
    write(root, "de/summary.tsv", "contrast\tdescription\tinteraction\tde_up\nc1\tone\t\t3\n")
    write(root, "de/contrasts/c1.tsv", "gene\tlog2FC\tpvalue\tpadj\nERBB2\t1.5\t0.001\t0.01\n")
    return root


def test_creation_reads_nothing(tmp_path: Path) -> None:
    res = load_results(tmp_path / "does_not_exist")
    assert isinstance(res, Results)
    assert res.available() == []
    assert "0 of" in repr(res)


def test_lazy_and_cached(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    read_csv = pd.read_csv

    def counting(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(Path(path).name)
        return read_csv(path, *args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", counting)
    res = load_results(results)
    assert calls == []
    first = res.patients
    second = res.patients
    assert calls == ["patients.tsv"]
    assert first.equals(second)
    # the cache survives the file going away; clear_cache forgets it
    (results / "outcome" / "patients.tsv").unlink()
    assert len(res.patients) == 3
    res.clear_cache()
    with pytest.raises(FileNotFoundError):
        _ = res.patients


def test_returns_copies(results: Path) -> None:
    res = load_results(results)
    df = res.patients
    df["new"] = 1
    assert "new" not in res.patients.columns


def test_patient_ids_stay_strings(results: Path) -> None:
    res = load_results(str(results))
    patients = res.patients
    assert patients["patient"].tolist() == ["001", "002", "001"]
    assert patients["ERBB2"].dtype == float
    samples = res.subtypes
    assert samples["sample"].tolist() == ["0001", "0002"]
    assert samples["patient"].tolist() == ["001", "002"]
    assert res.qc["sample"].tolist() == ["0001", "0002"]


def test_subtype_tables_keep_empty_strings(results: Path) -> None:
    res = load_results(results)
    pts = res.subtype_patients
    assert pts["subtype_post"].tolist() == ["LumA", ""]
    assert pts["shift"].tolist() == ["Her2>LumA", ""]
    samples = res.subtypes
    assert samples["subtype"].tolist() == ["Her2", "NA"]  # a string, not missing
    assert pd.api.types.is_float_dtype(samples["confidence"])
    assert samples["confidence"].isna().tolist() == [True, False]
    assert pd.api.types.is_float_dtype(samples["cor_Her2"])


def test_text_columns_are_empty_strings(results: Path) -> None:
    qc = load_results(results).qc
    assert qc["outlier_reason"].tolist() == ["", "PC1 = 9 outside mean ± 5 SD"]
    assert qc["reads_mapped"].isna().all()


def test_missing_table_names_file_and_rule(results: Path) -> None:
    res = load_results(results)
    with pytest.raises(FileNotFoundError) as err:
        _ = res.cox_terms
    msg = str(err.value)
    assert str(results / "outcome" / "cox_terms.tsv") in msg
    assert "survival_models" in msg
    assert "results/outcome/cox_terms.tsv" in msg
    assert "survival" in msg
    with pytest.raises(FileNotFoundError, match="fish_score"):
        _ = res.fish_samples


def test_available_and_catalogue(results: Path) -> None:
    res = load_results(results)
    assert set(res.available()) == {
        "cohort_summary",
        "patients",
        "subtype_patients",
        "subtypes",
        "qc",
        "de_summary",
    }
    assert res.has("patients") and not res.has("associations")
    cat = res.catalogue()
    assert set(cat.columns) == {"name", "path", "exists", "rule", "description"}
    assert len(cat) == len(Results.table_names())
    assert cat.set_index("name").loc["associations", "rule"] == "association_tests"
    with pytest.raises(KeyError, match="not a results table"):
        res.table("nonsense")


def test_data_source(results: Path) -> None:
    res = load_results(results)
    assert res.data_source == "SIMULATED demo data - not trial data"
    assert res.simulated


def test_de(results: Path) -> None:
    res = load_results(results)
    assert res.contrasts == ["c1"]
    assert res.de("c1").loc[0, "gene"] == "ERBB2"
    assert res.de_summary.loc[0, "interaction"] == ""
    assert list(res.de_tables()) == ["c1"]
    with pytest.raises(FileNotFoundError, match="contrasts: c1"):
        res.de("c2")


def test_score_matrix(tmp_path: Path) -> None:
    write(
        tmp_path,
        "scores/scores.tsv",
        "sample\tssgsea:A\tssgsea:B\tzscore:A\n001\t1.0\t2.0\t0.5\n",
    )
    res = load_results(tmp_path)
    m = res.score_matrix()
    assert list(m.columns) == ["A", "B"] and m.index.tolist() == ["001"]
    assert list(res.score_matrix("zscore").columns) == ["A"]
    with pytest.raises(KeyError, match="ssgsea"):
        res.score_matrix("gsva")


def test_expression_missing_names_rule(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="normalise_expression"):
        load_results(tmp_path).expression()


def test_package_export(results: Path) -> None:
    assert "load_results" in her2het.__all__
    res = her2het.load_results(results)
    assert isinstance(res, Results)
    assert res.patients.shape == (3, 6)
