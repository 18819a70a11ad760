"""Import of a GEO series: series-matrix parsing, field mapping, validation with line/GSM in
messages, counts, written sheets and the inspect command. All inputs are small synthetic files in
the real GEO format (quoted tab-separated values)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from her2het.io import geo, sheets
from her2het.io.sheets import InputError

from .conftest import REPO, SCHEMAS

# (GSM, title, characteristics); the last two keys share one "mixed" line: biopsy for baseline
# samples, rcb for surgical samples. "" = no value for this sample on that line.
SAMPLES: list[tuple[str, str, dict[str, str]]] = [
    ("GSM9000001", "P01_pre", {"patient id": "P01", "timepoint": "Pre-treatment", "pcr": "yes",
                               "her2 heterogeneity": "no", "hr status": "Positive", "biopsy": "B1"}),
    ("GSM9000002", "P02_pre_B1", {"patient id": "P02", "timepoint": "pre-treatment", "pcr": "no",
                                  "her2 heterogeneity": "yes", "hr status": "negative", "biopsy": "B1"}),
    ("GSM9000003", "P02_pre_B2", {"patient id": "P02", "timepoint": "pre-treatment", "pcr": "no",
                                  "her2 heterogeneity": "yes", "hr status": "negative", "biopsy": "B2"}),
    ("GSM9000004", "P02_post", {"patient id": "P02", "timepoint": "Surgery", "pcr": "no",
                                "her2 heterogeneity": "yes", "hr status": "negative", "rcb": "RCB-II"}),
    ("GSM9000005", "P03_pre", {"patient id": "P03", "timepoint": "pre-treatment", "pcr": "No",
                               "her2 heterogeneity": "no", "hr status": "POSITIVE", "biopsy": "B1"}),
    ("GSM9000006", "P03_post", {"patient id": "P03", "timepoint": "surgery", "pcr": "",
                                "her2 heterogeneity": "no", "hr status": "positive", "rcb": "RCB-III"}),
    ("GSM9000007", "P04_pre", {"patient id": "P04", "timepoint": "pre-treatment", "pcr": "YES",
                               "her2 heterogeneity": "no", "hr status": "negative", "biopsy": "B1"}),
]  # fmt: skip
KEYS = ["patient id", "timepoint", "pcr", "her2 heterogeneity", "hr status"]
GENES = ["ERBB2", "GRB7", "ESR1", "PGR", "MKI67"]


def matrix_text(samples: list[tuple[str, str, dict[str, str]]] = SAMPLES) -> str:
    """A series matrix in GEO's layout for ``samples``."""

    def row(key: str, values: list[str]) -> str:
        return "\t".join([key, *(f'"{v}"' for v in values)])

    gsms = [s[0] for s in samples]
    lines = [
        '!Series_title\t"Synthetic neoadjuvant HER2+ series"',
        '!Series_geo_accession\t"GSE0000001"',
        f'!Series_sample_id\t"{" ".join(gsms)} "',
        "",
        row("!Sample_title", [s[1] for s in samples]),
        row("!Sample_geo_accession", gsms),
        row("!Sample_status", ["Public on Jan 01 2024"] * len(samples)),
        row("!Sample_source_name_ch1", ["breast tumour"] * len(samples)),
        row("!Sample_organism_ch1", ["Homo sapiens"] * len(samples)),
    ]
    for key in KEYS:
        vals = [f"{key}: {s[2][key]}" if s[2].get(key) else "" for s in samples]
        lines.append(row("!Sample_characteristics_ch1", vals))
    mixed = [
        f"biopsy: {s[2]['biopsy']}" if "biopsy" in s[2] else f"rcb: {s[2]['rcb']}" for s in samples
    ]
    lines += [
        row("!Sample_characteristics_ch1", mixed),
        row("!Sample_description", ["raw counts in GSE0000001_raw_counts.csv.gz"] * len(samples)),
        row("!Sample_data_processing", ["STAR, featureCounts"] * len(samples)),
        "!series_matrix_table_begin",
        row('"ID_REF"', gsms),
        "!series_matrix_table_end",
    ]
    return "\n".join(lines) + "\n"


def write_matrix(path: Path, text: str | None = None) -> Path:
    data = (text if text is not None else matrix_text()).encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, ln in enumerate(text.splitlines(), start=1) if needle in ln)


def write_counts(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    cols = columns or [s[1] for s in SAMPLES]
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        rng.integers(0, 500, size=(len(GENES), len(cols) + 1)),
        index=pd.Index(GENES, name="gene"),
        columns=[*cols, "P99_unused"],
    )
    df.to_csv(path)
    return df


def make_spec(d: Path, **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "series_matrix": str(d / "GSE0000001_series_matrix.txt.gz"),
        "counts": str(d / "GSE0000001_raw_counts.csv.gz"),
        "count_column_field": "title",
        "samples": {
            "sample": {"field": "geo_accession"},
            "patient": {"field": "Patient ID"},  # fields match case-insensitively
            "timepoint": {"field": "timepoint", "map": {"Pre-Treatment": "pre", "surgery": "post"}},
            "biopsy": {"field": "biopsy", "default": "S"},
        },
        "patients": {
            "pCR": {"field": "pcr", "map": {"yes": 1, "no": 0}},
            "HET": {"field": "her2 heterogeneity", "map": {True: 1, False: 0}},  # YAML yes/no
            "HR": {"field": "hr status", "map": {"positive": "pos", "negative": "neg"}},
            "RCB": {"field": "rcb", "default": None},
        },
    }
    spec.update(changes)
    return spec


@pytest.fixture()
def gse(tmp_path: Path) -> Path:
    """Folder with a gzipped series matrix and a gzipped raw-count CSV."""
    write_matrix(tmp_path / "GSE0000001_series_matrix.txt.gz")
    write_counts(tmp_path / "GSE0000001_raw_counts.csv.gz")
    return tmp_path


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["GSE0000001_series_matrix.txt", "GSE0000001_series_matrix.txt.gz"]
)
def test_parse_fields_values_and_lines(tmp_path: Path, name: str) -> None:
    text = matrix_text()
    df = geo.parse_series_matrix(write_matrix(tmp_path / name, text))
    assert list(df.columns) == [
        "title", "geo_accession", "source_name_ch1", "description",
        *KEYS, "biopsy", "rcb",
    ]  # fmt: skip
    assert list(df.index) == [s[0] for s in SAMPLES]
    assert df.at["GSM9000002", "title"] == "P02_pre_B1"
    assert df.at["GSM9000005", "pcr"] == "No"  # value kept as written, stripped
    assert df.at["GSM9000006", "pcr"] == ""  # no value for this sample
    assert df.at["GSM9000004", "biopsy"] == "" and df.at["GSM9000004", "rcb"] == "RCB-II"
    assert all(isinstance(v, str) for v in df.to_numpy().ravel())
    lines = df.attrs["lines"]
    assert lines["title"] == line_of(text, "!Sample_title")
    assert lines["geo_accession"] == line_of(text, "!Sample_geo_accession")
    assert lines["pcr"] == line_of(text, '"pcr: yes"')
    mixed = line_of(text, '"biopsy: B1"')
    assert lines["biopsy"] == lines["rcb"] == mixed
    assert df.attrs["cell_lines"]["rcb"]["GSM9000004"] == mixed
    assert "status" not in df.columns and "data_processing" not in df.columns


def test_parse_same_key_on_two_lines_and_crlf(tmp_path: Path) -> None:
    # A key repeated on a later line with the same values is fine; CRLF line ends are accepted.
    base = matrix_text()
    pcr_line = next(ln for ln in base.splitlines() if '"pcr: yes"' in ln)
    desc_line = next(ln for ln in base.splitlines() if ln.startswith("!Sample_description"))
    text = base.replace(desc_line, pcr_line)
    df = geo.parse_series_matrix(write_matrix(tmp_path / "m.txt", text.replace("\n", "\r\n")))
    assert df.at["GSM9000001", "pcr"] == "yes"
    assert "description" not in df.columns


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("!Sample_geo_accession", "!Sample_accession"),
         r"m\.txt: not a GEO series matrix \(no '!Sample_geo_accession' line"),
        (lambda t: t.replace('"pcr: yes"', '"pcr yes"', 1),
         r"m\.txt, line 12, column 'GSM9000001': characteristics value 'pcr yes' is not of the form"),
        (lambda t: t.replace('"biopsy: B1"', '"pcr: no"', 1),
         r"m\.txt, line 15, column 'GSM9000001': characteristics key 'pcr' appears twice for this "
         r"sample with different values \('yes' on line 12, 'no' here\)"),
        (lambda t: t.replace('\t"Homo sapiens"', "", 1),
         r"m\.txt, line 9: '!Sample_organism_ch1' has 6 values but the series has 7 samples"),
        (lambda t: t.replace('"GSM9000002"', '"GSM9000001"', 1),
         r"m\.txt, line 6, column 'GSM9000001': duplicated GEO accession"),
    ],
)  # fmt: skip
def test_parse_errors_name_file_and_line(tmp_path: Path, edit: Any, expected: str) -> None:
    text = matrix_text()
    assert line_of(text, '"pcr: yes"') == 12 and line_of(text, '"biopsy: B1"') == 15
    path = write_matrix(tmp_path / "m.txt", edit(text))
    with pytest.raises(InputError, match=expected):
        geo.parse_series_matrix(path)


def test_parse_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere\.txt\.gz: file not found"):
        geo.parse_series_matrix(tmp_path / "nothere.txt.gz")


# --------------------------------------------------------------------------------------------
# Mapping
# --------------------------------------------------------------------------------------------


def test_build_sheets_maps_case_insensitively_with_defaults(gse: Path) -> None:
    spec = make_spec(gse)
    matrix = geo.parse_series_matrix(spec["series_matrix"])
    samples, patients = geo.build_sheets(matrix, spec, spec["series_matrix"])
    assert list(samples.columns) == [
        "sample", "patient", "timepoint", "biopsy", "count_column", "geo_accession",
    ]  # fmt: skip
    assert samples["sample"].tolist() == [s[0] for s in SAMPLES]
    assert samples["timepoint"].tolist() == ["pre", "pre", "pre", "post", "pre", "post", "pre"]
    assert samples["biopsy"].tolist() == ["B1", "B1", "B2", "S", "B1", "S", "B1"]  # default S
    assert samples["count_column"].tolist() == [s[1] for s in SAMPLES]
    assert patients.to_dict("list") == {
        "patient": ["P01", "P02", "P03", "P04"],
        "pCR": ["1", "0", "0", "1"],  # 'No', 'YES' matched case-insensitively; P03 post empty
        "HET": ["0", "1", "0", "0"],  # YAML booleans as map keys
        "HR": ["pos", "neg", "pos", "neg"],
        "RCB": ["", "RCB-II", "RCB-III", ""],  # default null: missing
    }
    assert list(samples.index) == list(range(1, 8))


def test_build_sheets_constant_column_and_exclude(gse: Path) -> None:
    spec = make_spec(gse, exclude=["GSM9000003"])
    spec["patients"]["arm"] = {"default": "T-DM1 + pertuzumab"}
    spec["patients"]["HR"] = {"field": "no such field", "default": "pos"}  # absent -> default
    matrix = geo.parse_series_matrix(spec["series_matrix"])
    with pytest.warns(UserWarning, match="'no such field' .* every sample gets the default 'pos'"):
        samples, patients = geo.build_sheets(matrix, spec, spec["series_matrix"])
    assert "GSM9000003" not in samples["sample"].tolist() and len(samples) == 6
    assert set(patients["arm"]) == {"T-DM1 + pertuzumab"}
    assert set(patients["HR"]) == {"pos"}


def test_unmapped_value_names_file_line_gsm_and_field(gse: Path) -> None:
    text = matrix_text().replace('"pcr: no"', '"pcr: maybe"', 1)  # GSM9000002
    write_matrix(gse / "GSE0000001_series_matrix.txt.gz", text)
    spec = make_spec(gse)
    with pytest.raises(InputError) as exc:
        geo.load_geo(spec, SCHEMAS)
    assert str(exc.value) == (
        f"{spec['series_matrix']}, line {line_of(text, 'pcr: maybe')}, column 'GSM9000002': "
        "field 'pcr' value 'maybe' is not in geo.patients.pCR.map (yes, no)"
    )


def test_unknown_field_lists_available_fields(gse: Path) -> None:
    spec = make_spec(gse)
    spec["samples"]["timepoint"] = {"field": "visit", "map": {"baseline": "pre"}}
    with pytest.raises(InputError) as exc:
        geo.load_geo(spec, SCHEMAS)
    msg = str(exc.value)
    assert "field 'visit' (config, key 'geo.samples.timepoint.field') is not in the series" in msg
    assert msg.endswith(
        "available fields: title, geo_accession, source_name_ch1, description, patient id, "
        "timepoint, pcr, her2 heterogeneity, hr status, biopsy, rcb"
    )


def test_inconsistent_patient_level_value(gse: Path) -> None:
    text = matrix_text().replace('"her2 heterogeneity: yes"', '"her2 heterogeneity: no"', 1)
    write_matrix(gse / "GSE0000001_series_matrix.txt.gz", text)
    with pytest.raises(InputError) as exc:
        geo.load_geo(make_spec(gse), SCHEMAS)
    line = line_of(text, "her2 heterogeneity")
    assert str(exc.value).startswith(
        f"{gse / 'GSE0000001_series_matrix.txt.gz'}, line {line}, column 'GSM9000003': field "
        f"'her2 heterogeneity' is 'yes' here but 'no' for GSM9000002 (line {line}); both are "
        "samples of patient 'P02'"
    )


def test_required_sample_column_not_mapped(gse: Path) -> None:
    spec = make_spec(gse)
    del spec["samples"]["timepoint"]
    with pytest.raises(InputError, match=r"config, key 'geo\.samples\.timepoint': 'timepoint' is "
                       r"required by samples\.schema\.yaml but not mapped; map it .* or give a "
                       r"constant"):  # fmt: skip
        geo.load_geo(spec, SCHEMAS)


def test_optional_patient_column_may_stay_unmapped(gse: Path) -> None:
    """HR is optional in patients.schema.yaml (a cohort without it runs, its analyses are
    skipped): leaving it unmapped gives no HR column rather than an error."""
    spec = make_spec(gse)
    del spec["patients"]["HR"]
    _, patients, _ = geo.load_geo(spec, SCHEMAS)
    assert "HR" not in patients.columns or patients["HR"].isna().all()
    assert patients["pCR"].tolist() == [1, 0, 0, 1]


def test_required_value_empty_without_default(gse: Path) -> None:
    rows = [(g, t, dict(k)) for g, t, k in SAMPLES]
    rows[3][2]["timepoint"] = ""  # GSM9000004 has no timepoint
    text = matrix_text(rows)
    write_matrix(gse / "GSE0000001_series_matrix.txt.gz", text)
    spec = make_spec(gse)
    with pytest.raises(InputError) as exc:
        geo.load_geo(spec, SCHEMAS)
    assert str(exc.value) == (
        f"{spec['series_matrix']}, line {line_of(text, 'timepoint: pre-treatment')}, column "
        "'GSM9000004': field 'timepoint' is empty for this sample and geo.samples.timepoint has "
        "no default, but 'timepoint' is required by samples.schema.yaml"
    )


def test_spec_structure_errors(gse: Path) -> None:
    spec = make_spec(gse, sheet="x")
    with pytest.raises(InputError, match=r"config, key 'geo\.sheet': unknown key \(allowed here"):
        geo.load_geo(spec, SCHEMAS)
    spec = make_spec(gse)
    spec["samples"]["biopsy"] = {"field": "biopsy", "defualt": "S"}
    with pytest.raises(InputError, match=r"key 'geo\.samples\.biopsy\.defualt': unknown key"):
        geo.load_geo(spec, SCHEMAS)


# --------------------------------------------------------------------------------------------
# End to end: validation, counts, written sheets
# --------------------------------------------------------------------------------------------


def test_load_geo_end_to_end_and_write_sheets(gse: Path, tmp_path: Path) -> None:
    spec = make_spec(gse)
    raw = pd.read_csv(spec["counts"], index_col=0)
    samples, patients, counts = geo.load_geo(spec, SCHEMAS)
    assert list(counts.columns) == [s[0] for s in SAMPLES]  # renamed to sample IDs (GSM)
    assert (counts.dtypes == np.int64).all()
    assert counts["GSM9000004"].tolist() == raw["P02_post"].tolist()
    assert samples["count_column"].tolist() == [s[1] for s in SAMPLES]
    assert patients["pCR"].dtype == "Int64" and patients["pCR"].tolist() == [1, 0, 0, 1]
    assert patients["HR"].tolist() == ["pos", "neg", "pos", "neg"]
    assert pd.isna(patients.at[1, "RCB"])

    out = geo.write_sheets(samples, patients, counts, tmp_path / "out")
    written = pd.read_csv(out["samples"], sep="\t", dtype=str)
    assert written["count_column"].tolist() == written["sample"].tolist()
    assert b"\r\n" not in out["counts"].read_bytes()
    # The written files are a valid `sheets` input.
    s2, p2, c2 = sheets.load_user_inputs(out["samples"], out["patients"], out["counts"], SCHEMAS)
    assert c2.equals(counts) and p2["patient"].tolist() == ["P01", "P02", "P03", "P04"]
    assert s2["geo_accession"].tolist() == written["sample"].tolist()


def test_missing_count_column_names_field_and_gsm(gse: Path) -> None:
    cols = [s[1] for s in SAMPLES]
    cols[3] = "P02_surgery"
    write_counts(gse / "GSE0000001_raw_counts.csv.gz", cols)
    spec = make_spec(gse)
    with pytest.raises(InputError) as exc:
        geo.load_geo(spec, SCHEMAS)
    msg = str(exc.value)
    assert msg.startswith(
        f"{spec['counts']}, line 1, column 'P02_post': no such column; the name is field 'title' "
        f"(geo.count_column_field) of GSM9000004 ({spec['series_matrix']}, line "
        f"{line_of(matrix_text(), '!Sample_title')})"
    )


def test_count_column_hint_suggests_matching_field(gse: Path) -> None:
    write_counts(gse / "GSE0000001_raw_counts.csv.gz", [s[0] for s in SAMPLES])  # GSM columns
    with pytest.raises(InputError, match=r"fields whose values are all count columns: geo_acc"):
        geo.load_geo(make_spec(gse), SCHEMAS)


def test_unsafe_sample_id_rejected_by_schema_with_line_and_gsm(gse: Path) -> None:
    text = matrix_text().replace('"P01_pre"', '"P01 pre"')
    write_matrix(gse / "GSE0000001_series_matrix.txt.gz", text)
    write_counts(gse / "GSE0000001_raw_counts.csv.gz", ["P01 pre", *[s[1] for s in SAMPLES[1:]]])
    spec = make_spec(gse)
    spec["samples"]["sample"] = {"field": "title"}
    with pytest.raises(InputError) as exc:
        geo.load_geo(spec, SCHEMAS)
    assert str(exc.value).startswith(
        f"{spec['series_matrix']}, line {line_of(text, '!Sample_title')}, column 'GSM9000001': "
        "geo.samples.sample (field 'title'): 'P01 pre' is not allowed"
    )


def test_patient_level_schema_error_points_at_the_sample_with_the_value(gse: Path) -> None:
    spec = make_spec(gse)
    spec["patients"]["EFS_months"] = {"field": "rcb"}  # only surgical samples carry it
    spec["patients"]["EFS_event"] = {"default": 0}
    with pytest.raises(InputError) as exc:
        geo.load_geo(spec, SCHEMAS)
    assert str(exc.value) == (
        f"{spec['series_matrix']}, line {line_of(matrix_text(), 'rcb: RCB-II')}, column "
        "'GSM9000004': geo.patients.EFS_months (field 'rcb'): 'RCB-II' is not of type number"
    )


def test_complete_patient_value_empty_for_all_samples(gse: Path) -> None:
    """pCR is optional, but a pCR column must be complete (x-complete): P03 keeps only a sample
    without a pcr value, which is named by its series-matrix line and GSM."""
    spec = make_spec(gse, exclude=["GSM9000005"])
    with pytest.raises(InputError, match=r"line 12, column 'GSM9000006': geo\.patients\.pCR "
                       r"\(field 'pcr'\): value is missing$"):  # fmt: skip
        geo.load_geo(spec, SCHEMAS)


def test_duplicate_biopsy_from_default_is_explained(gse: Path) -> None:
    spec = make_spec(gse)
    spec["samples"]["biopsy"] = {"default": "B1"}
    with pytest.raises(InputError) as exc:
        geo.load_geo(spec, SCHEMAS)
    msg = str(exc.value)
    assert msg.startswith("config, key 'geo.samples.biopsy.default' (used for GSM9000003)")
    assert "biopsy 'B1' appears twice for patient 'P02' at timepoint 'pre' (also GSM9000002)" in msg


def test_shared_count_column_is_rejected(gse: Path) -> None:
    spec = make_spec(gse, count_column_field="patient id")  # not unique per sample
    with pytest.raises(InputError, match=r"line 10, column 'GSM9000003': count column 'P02' is "
                       r"also that of GSM9000002; set geo\.count_column_field"):  # fmt: skip
        geo.load_geo(spec, SCHEMAS)


def test_post_sample_without_pre_suggests_exclude(gse: Path) -> None:
    spec = make_spec(gse, exclude=["GSM9000002", "GSM9000003"])  # P02 keeps its surgical sample
    with pytest.raises(InputError, match=r"column 'GSM9000004': post-treatment sample of patient "
                       r"'P02' has no pre-treatment sample \(leave it out with geo\.exclude"):  # fmt: skip
        geo.load_geo(spec, SCHEMAS)


# --------------------------------------------------------------------------------------------
# inspect and the example config
# --------------------------------------------------------------------------------------------


def test_inspect_lists_fields_lines_and_examples(
    gse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = gse / "GSE0000001_series_matrix.txt.gz"
    text = matrix_text()
    out = geo.inspect(path)
    rows = {ln.split("  ")[0]: ln for ln in out.splitlines()[2:-1]}
    assert set(rows) == {
        "title", "geo_accession", "source_name_ch1", "description", *KEYS, "biopsy", "rcb",
    }  # fmt: skip
    assert out.splitlines()[0] == f"{path}: 7 samples; 11 fields (characteristics keys lower-cased)"
    pcr = rows["pcr"].split()
    assert pcr[1:4] == [str(line_of(text, '"pcr: yes"')), "4", "1"]  # line, distinct, empty
    assert "'yes', 'no', 'No', 'YES'" in rows["pcr"]
    assert re.search(r"'GSM9000001', 'GSM9000002', .*, \.\.\.$", rows["geo_accession"])
    assert geo.main(["inspect", str(path)]) == 0
    assert "her2 heterogeneity" in capsys.readouterr().out
    assert geo.main(["inspect", str(gse / "GSE0000001_raw_counts.csv.gz")]) == 1
    assert "not a GEO series matrix" in capsys.readouterr().err


def test_example_config_is_a_valid_geo_spec() -> None:
    path = REPO / "config" / "examples" / "GSE243375.yaml"
    config = yaml.safe_load(path.read_text())
    assert config["input"] == "geo"
    geo.check_spec(config["geo"], str(path))
    assert config["geo"]["series_matrix"].endswith("GSE243375_series_matrix.txt.gz")
    for col in geo.DEFAULT_REQUIRED["samples"]:
        assert col in config["geo"]["samples"]
    for col in ("pCR", "HR"):
        assert col in config["geo"]["patients"]
    header = path.read_text().split("\ninput:")[0]
    assert "python -m her2het.io.geo inspect" in header and "--configfile" in header
