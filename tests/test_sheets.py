"""Validation of config, sheets, counts and FISH cells: good inputs pass, bad ones give one line
naming the file, the row and the column."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from her2het.io import sheets
from her2het.io.sheets import InputError

from .conftest import SCHEMAS


@pytest.fixture()
def cohort(tiny_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "in"
    shutil.copytree(tiny_dir, d)
    return d


def _validate(d: Path, fish: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return sheets.load_user_inputs(
        d / "samples.tsv",
        d / "patients.tsv",
        d / "counts.tsv",
        SCHEMAS,
        d / "fish_cells.parquet" if fish else None,
    )


def _edit_lines(path: Path, fn: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text().split("\n")
    path.write_text("\n".join(fn(lines)))


def _set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set a cell of a TSV; ``line`` is the 1-based line of the file (header is line 1)."""

    def fn(lines: list[str]) -> list[str]:
        header = lines[0].split("\t")
        fields = lines[line - 1].split("\t")
        fields[header.index(column)] = value
        lines[line - 1] = "\t".join(fields)
        return lines

    _edit_lines(path, fn)


def test_good_inputs_pass_and_are_typed(cohort: Path) -> None:
    samples, patients, counts = _validate(cohort)
    assert list(counts.columns) == list(samples["sample"])
    assert patients["pCR"].isin([0, 1]).all()
    assert samples.index[0] == 1  # data rows are numbered from 1


def test_bom_crlf_yes_no_and_blank_lines_are_accepted(cohort: Path) -> None:
    p = cohort / "patients.tsv"
    text = p.read_text().replace("\t1\t", "\tyes\t", 1)
    p.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode() + b"\r\n\r\n")
    _, patients, _ = _validate(cohort)
    assert patients["pCR"].isin([0, 1]).all()
    assert list(patients.columns)[0] == "patient"


def _dup_first_sample(lines: list[str]) -> list[str]:
    return [*lines[:3], lines[1], *lines[3:]]


def _drop_pre_of_first_post(path: Path) -> None:
    df = pd.read_csv(path, sep="\t", dtype=str)
    pt = df.loc[df.timepoint == "post", "patient"].iloc[0]
    df = df[~((df.patient == pt) & (df.timepoint == "pre"))]
    df.to_csv(path, sep="\t", index=False)


def _fish(d: Path, col: str, row: int, value: object) -> None:
    f = pd.read_parquet(d / "fish_cells.parquet")
    if col not in f:
        f = f.drop(columns=[value])  # value names the column to drop
    else:
        f[col] = f[col].astype(object)
        f.loc[row - 1, col] = value
    f.to_parquet(d / "fish_cells.parquet", index=False)


# (case id, mutation, expected pattern). Patterns name the file, the row/line and the column.
CASES: list[tuple[str, Callable[[Path], None], str]] = [
    (
        "sample-duplicate",
        lambda d: _edit_lines(d / "samples.tsv", _dup_first_sample),
        r"samples\.tsv, row 3 \(line 4\), column 'sample': duplicated sample ID",
    ),
    (
        "sample-id-space",
        lambda d: _set_cell(d / "samples.tsv", 2, "sample", "P001 B1"),
        r"samples\.tsv, row 1 \(line 2\), column 'sample': 'P001 B1' is not allowed",
    ),
    (
        "sample-id-shell",
        lambda d: _set_cell(d / "samples.tsv", 3, "sample", "x;rm -rf"),
        r"samples\.tsv, row 2 \(line 3\), column 'sample': 'x;rm -rf' is not allowed",
    ),
    (
        "timepoint-unknown",
        lambda d: _set_cell(d / "samples.tsv", 4, "timepoint", "baseline"),
        r"samples\.tsv, row 3 \(line 4\), column 'timepoint': 'baseline' is not one of pre, post",
    ),
    (
        "patient-unknown",
        lambda d: _set_cell(d / "samples.tsv", 2, "patient", "P999"),
        r"samples\.tsv, row 1 \(line 2\), column 'patient': patient 'P999' is not in the patient sheet",
    ),
    (
        "post-without-pre",
        lambda d: _drop_pre_of_first_post(d / "samples.tsv"),
        r"samples\.tsv, row \d+ \(line \d+\), column 'timepoint': post-treatment sample .* no pre",
    ),
    (
        "missing-column",
        lambda d: _edit_lines(
            d / "samples.tsv",
            lambda ls: ["\t".join(f for i, f in enumerate(x.split("\t")) if i != 2) for x in ls],
        ),
        r"samples\.tsv, line 1, column 'timepoint': required column is missing",
    ),
    (
        "comma-delimited",
        lambda d: (d / "samples.tsv").write_text(
            (d / "samples.tsv").read_text().replace("\t", ",")
        ),
        r"samples\.tsv, line 1: header is comma-separated",
    ),
    ("empty-file", lambda d: (d / "samples.tsv").write_text(""), r"samples\.tsv: file is empty"),
    (
        "ragged-row",
        lambda d: _edit_lines(d / "samples.tsv", lambda ls: [*ls[:2], ls[2] + "\textra", *ls[3:]]),
        r"samples\.tsv, row 2 \(line 3\): has 6 tab-separated fields, header has 5",
    ),
    (
        "pcr-invalid",
        lambda d: _set_cell(d / "patients.tsv", 5, "pCR", "maybe"),
        r"patients\.tsv, row 4 \(line 5\), column 'pCR': 'maybe' is not one of 0, 1, yes, no",
    ),
    (
        "pcr-missing",
        lambda d: _set_cell(d / "patients.tsv", 2, "pCR", ""),
        r"patients\.tsv, row 1 \(line 2\), column 'pCR': value is missing",
    ),
    (
        "efs-negative",
        lambda d: _set_cell(d / "patients.tsv", 3, "EFS_months", "-3"),
        r"patients\.tsv, row 2 \(line 3\), column 'EFS_months': -3.0 violates minimum 0",
    ),
    (
        "efs-not-number",
        lambda d: _set_cell(d / "patients.tsv", 3, "EFS_months", "12mo"),
        r"patients\.tsv, row 2 \(line 3\), column 'EFS_months': '12mo' is not of type number",
    ),
    (
        "event-not-binary",
        lambda d: _set_cell(d / "patients.tsv", 4, "EFS_event", "2"),
        r"patients\.tsv, row 3 \(line 4\), column 'EFS_event': '2' is not one of 0, 1, yes, no",
    ),
    (
        "hr-invalid",
        lambda d: _set_cell(d / "patients.tsv", 2, "HR", "positive"),
        r"patients\.tsv, row 1 \(line 2\), column 'HR': 'positive' is not one of pos, neg",
    ),
    (
        "patient-duplicate",
        lambda d: _edit_lines(d / "patients.tsv", lambda ls: [*ls[:2], ls[1], *ls[2:]]),
        r"patients\.tsv, row 2 \(line 3\), column 'patient': duplicated patient ID",
    ),
    (
        "counts-non-integer",
        lambda d: _set_cell(d / "counts.tsv", 3, "P001_B1", "12.5"),
        r"counts\.tsv, row 2 \(line 3\), column 'P001_B1': '12.5' is not a non-negative integer count",
    ),
    (
        "counts-negative",
        lambda d: _set_cell(d / "counts.tsv", 6, "P002_B1", "-4"),
        r"counts\.tsv, row 5 \(line 6\), column 'P002_B1': '-4' is not a non-negative integer",
    ),
    (
        "counts-duplicate-gene",
        lambda d: _set_cell(d / "counts.tsv", 4, "gene", "ACTR3B"),
        r"counts\.tsv, row 3 \(line 4\), column 'gene': duplicated gene 'ACTR3B'",
    ),
    (
        "counts-missing-sample",
        lambda d: _set_cell(d / "counts.tsv", 1, "P001_B1", "P001-B1"),
        r"counts\.tsv, line 1, column 'P001_B1': sample column .* is absent",
    ),
    (
        "fish-negative",
        lambda d: _fish(d, "erbb2", 10, -1),
        r"fish_cells\.parquet, row 10, column 'erbb2': -1 is not an integer in \[0, 1000\]",
    ),
    (
        "fish-ihc-range",
        lambda d: _fish(d, "ihc", 3, 4),
        r"fish_cells\.parquet, row 3, column 'ihc': 4 is not an integer in \[0, 3\]",
    ),
    (
        "fish-unknown-sample",
        lambda d: _fish(d, "sample", 7, "P404_B1"),
        r"fish_cells\.parquet, row 7, column 'sample': sample 'P404_B1' is not in the sample sheet",
    ),
    (
        "fish-missing-column",
        lambda d: _fish(d, "nope", 1, "cep17"),
        r"fish_cells\.parquet, line 1, column 'cep17': required column is missing",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_input_gives_one_line_naming_file_row_column(
    cohort: Path, mutate, expected
) -> None:
    mutate(cohort)
    with pytest.raises(InputError) as exc:
        _validate(cohort)
    msg = str(exc.value)
    assert "\n" not in msg
    assert str(cohort) in msg
    assert re.search(expected, msg), msg


def test_zero_count_sample_is_rejected(cohort: Path) -> None:
    c = pd.read_csv(cohort / "counts.tsv", sep="\t")
    c["P002_B1"] = 0
    c.to_csv(cohort / "counts.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match=r"counts\.tsv, column 'P002_B1': sample has no counts"):
        _validate(cohort)


def test_fish_text_table_rows_report_lines(cohort: Path, tmp_path: Path) -> None:
    f = pd.read_parquet(cohort / "fish_cells.parquet").head(20)
    f["cep17"] = f["cep17"].astype(object)
    f.loc[4, "cep17"] = "two"
    path = tmp_path / "cells.tsv"
    f.to_csv(path, sep="\t", index=False)
    samples = pd.read_csv(cohort / "samples.tsv", sep="\t")["sample"]
    with pytest.raises(
        InputError, match=r"cells\.tsv, row 5 \(line 6\), column 'cep17': 'two' is not an integer"
    ):
        sheets.read_fish_cells(path, SCHEMAS / "fish_cells.schema.yaml", samples)


# ---------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------


def _config(**over: object) -> dict:
    cfg = yaml.safe_load((SCHEMAS.parents[1] / "config" / "config.yaml").read_text())
    cfg.update(over)
    return cfg


def test_config_defaults_are_filled() -> None:
    cfg = sheets.validate_config({}, SCHEMAS / "config.schema.yaml", "c.yaml")
    assert cfg["input"] == "demo" and cfg["demo"]["size"] == "paper" and cfg["demo"]["seed"] == 2024
    assert cfg["report"]["figure_dpi"] == 300


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        (_config(colour="red"), r"c\.yaml, key 'colour': unknown key"),
        (_config(demo={"size": "small", "sede": 3}), r"c\.yaml, key 'demo\.sede': unknown key"),
        (_config(demo={"seed": "abc"}), r"c\.yaml, key 'demo\.seed': 'abc' is not of type integer"),
        (_config(input="fastq"), r"c\.yaml, key 'input': 'fastq' is not one of demo, sheets"),
        (
            _config(scores={"methods": ["ssgsea", "gsva"]}),
            r"c\.yaml, key 'scores\.methods\[1\]': 'gsva' is not one of ssgsea, zscore",
        ),
    ],
    ids=["unknown-top-key", "unknown-nested-key", "wrong-type", "bad-enum", "list-position"],
)
def test_bad_config_is_rejected(cfg: dict, expected: str) -> None:
    with pytest.raises(InputError) as exc:
        sheets.validate_config(cfg, SCHEMAS / "config.schema.yaml", "c.yaml")
    assert "\n" not in str(exc.value) and re.search(expected, str(exc.value)), str(exc.value)


def test_fish_coordinates_required_for_spatial_patterns(cohort: Path) -> None:
    samples = pd.read_csv(cohort / "samples.tsv", sep="\t")["sample"]
    f = pd.read_parquet(cohort / "fish_cells.parquet")
    f.drop(columns=["y"]).to_parquet(cohort / "no_y.parquet", index=False)
    schema = SCHEMAS / "fish_cells.schema.yaml"
    with pytest.raises(
        InputError,
        match=r"no_y\.parquet, line 1, column 'y': required column is missing \(needed for spatial patterns\)",
    ):
        sheets.read_fish_cells(cohort / "no_y.parquet", schema, samples, require_xy=True)
    assert "x" in sheets.read_fish_cells(cohort / "no_y.parquet", schema, samples).columns
    f["x"] = f["x"].astype(float)
    f.loc[11, "x"] = float("nan")
    f.to_parquet(cohort / "nan_x.parquet", index=False)
    with pytest.raises(
        InputError, match=r"nan_x\.parquet, row 12, column 'x': missing is not a number"
    ):
        sheets.read_fish_cells(cohort / "nan_x.parquet", schema, samples, require_xy=True)


def test_fish_cells_keep_categorical_ids(cohort: Path) -> None:
    samples = pd.read_csv(cohort / "samples.tsv", sep="\t")["sample"]
    df = sheets.read_fish_cells(
        cohort / "fish_cells.parquet", SCHEMAS / "fish_cells.schema.yaml", samples
    )
    assert isinstance(df["sample"].dtype, pd.CategoricalDtype)
    assert isinstance(df["area"].dtype, pd.CategoricalDtype)
    assert df.index[0] == 1


def test_gene_map_renames_ids_ignoring_versions_and_sums_duplicates(tmp_path: Path) -> None:
    gm = tmp_path / "genes.tsv"
    gm.write_text(
        "gene_id\tgene_name\nENSG1.3\tERBB2\nENSG2.1\tGRB7\nENSG3\tPAR1\nENSG3_PAR_Y\tPAR1\n"
    )
    counts = pd.DataFrame(
        {"S1": [5, 7, 1, 2, 9], "S2": [0, 1, 3, 4, 1]},
        index=pd.Index(["ENSG1.5", "ENSG2", "ENSG3", "ENSG3_PAR_Y", "ENSG9.1"], name="gene"),
    )
    out = sheets.map_gene_ids(counts, sheets.read_gene_map(gm), counts_path="c.tsv", map_path=gm)
    assert out.index.tolist() == ["ERBB2", "GRB7", "PAR1", "ENSG9.1"]
    assert out.loc["PAR1"].tolist() == [3, 7] and out.loc["ENSG9.1"].tolist() == [9, 1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gene\tgene_name\nG1\tA\n", "line 1, column 'gene_id': required column is missing"),
        ("gene_id\tgene_name\nG1\t\n", "row 1 (line 2), column 'gene_name': value is missing"),
        (
            "gene_id\tgene_name\nG1.1\tA\nG2\tB\nG1.2\tC\n",
            "row 3 (line 4), column 'gene_id': gene 'G1.2' is mapped to more than one gene_name",
        ),
    ],
)
def test_bad_gene_map_names_row_and_column(tmp_path: Path, text: str, expected: str) -> None:
    gm = tmp_path / "genes.tsv"
    gm.write_text(text)
    with pytest.raises(InputError, match=re.escape(f"{gm}, {expected}")):
        sheets.read_gene_map(gm)


def test_gene_map_that_matches_few_genes_is_rejected(tmp_path: Path) -> None:
    gm = tmp_path / "genes.tsv"
    gm.write_text("gene_id\tgene_name\nENSG1\tERBB2\n")
    counts = pd.DataFrame({"S1": [1, 2, 3]}, index=["ENSG1", "X2", "X3"])
    with pytest.raises(InputError, match="c.tsv: only 1 of 3 genes are in the gene map"):
        sheets.map_gene_ids(counts, sheets.read_gene_map(gm), counts_path="c.tsv", map_path=gm)


COUNTS_HEADER = "gene\tS1\tS2\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "c.tsv: file is empty"),
        ("gene,S1,S2\nA,1,2\n", "c.tsv, line 1: header is comma-separated, expected tab-separated"),
        ("gene\tS1\tS1\nA\t1\t2\n", "c.tsv, line 1, column 'S1': duplicated column name"),
        (
            COUNTS_HEADER + "A\t1\t2\nB\t1\t2\t3\n",
            "c.tsv, row 2 (line 3): has 4 tab-separated fields",
        ),
        (COUNTS_HEADER + "A\t1\t\n", "c.tsv, row 1 (line 2), column 'S2': value is missing"),
        (
            COUNTS_HEADER + "A\tNA\t2\n",
            "c.tsv, row 1 (line 2), column 'S1': 'NA' is not a non-negative",
        ),
        (
            COUNTS_HEADER + "A\t1\t2\n\t3\t4\n",
            "c.tsv, row 2 (line 3), column 'gene': value is missing",
        ),
    ],
    ids=["empty", "comma", "duplicate-column", "ragged", "missing", "na-text", "missing-gene"],
)
def test_count_matrix_problems_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "c.tsv"
    path.write_text(text)
    samples = pd.DataFrame({"sample": ["S1", "S2"], "count_column": ["S1", "S2"]})
    with pytest.raises(InputError) as exc:
        sheets.read_counts(path, samples)
    assert "\n" not in str(exc.value) and str(exc.value).startswith(f"{tmp_path}/{expected}")


def test_count_columns_not_in_the_sheet_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("gene,S1,S2,S3\nA,1,2,3\n")
    samples = pd.DataFrame({"sample": ["S2"], "count_column": ["S2"]})
    told: list[str] = []
    counts = sheets.read_counts(path, samples, warn=told.append)
    assert list(counts.columns) == ["S2"]
    assert told[:1] == [f"{path}, line 1, column 'S1': not in the sample sheet; 2 count column(s) "
                    "not listed there are ignored"]  # fmt: skip


def test_two_samples_cannot_share_a_count_column(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_text(
        "sample\tpatient\ttimepoint\tbiopsy\tcount_column\n"
        "A1\tA\tpre\tB1\tlib1\nA2\tA\tpre\tB2\tlib1\n"
    )
    with pytest.raises(
        InputError,
        match=r"row 2 \(line 3\), column 'count_column': count column 'lib1' is already used by "
        "sample 'A1'",
    ):
        sheets.load_samples(path, SCHEMAS / "samples.schema.yaml")


def test_gene_overlap_with_the_count_matrix() -> None:
    check = sheets.check_gene_overlap
    assert check(["ERBB2", "GRB7"], None, "s.gmt", "c.tsv") is None  # matrix made by a job
    assert check(["ERBB2", "GRB7"], ["GRB7", "X"], "s.gmt", "c.tsv") is None
    assert check(["ERBB2"], ["ENSG1"], "s.gmt", "c.tsv").startswith(
        "s.gmt: none of its 1 genes is in the count matrix c.tsv"
    )
    assert check(["A", "B", "C"], ["A"], "centroids", "c.tsv", need=2) == (
        "centroids: only 1 of its 3 genes are in the count matrix c.tsv (need 2; missing e.g. B, C)"
    )


# --------------------------------------------------------------------------------------------
# Issue 24: numbers at the edges, lines after blank lines, suspicious inputs; issue 20: --config
# --------------------------------------------------------------------------------------------


def _two_samples() -> pd.DataFrame:
    return pd.DataFrame({"sample": ["S1", "S2"], "count_column": ["S1", "S2"]})


def test_counts_are_read_exactly_and_kept_int64_in_the_cohort(tmp_path: Path) -> None:
    from her2het import cohort

    path = tmp_path / "c.tsv"
    path.write_text("gene\tS1\tS2\nA\t3000000001\t7\nB\t5\t9007199254740981\n")
    counts = sheets.read_counts(path, _two_samples())
    assert counts.loc["A", "S1"] == 3_000_000_001
    assert counts.loc["B", "S2"] == 2**53 - 11
    samples = pd.DataFrame(
        {"sample": ["S1", "S2"], "patient": ["P1", "P2"], "timepoint": "pre", "biopsy": "B1"}
    )
    patients = pd.DataFrame({"patient": ["P1", "P2"], "pCR": [0, 1], "HR": ["pos", "neg"]})
    adata = cohort.build_cohort(samples, patients, counts, "test", False)
    assert adata.layers["counts"].dtype == "int64"
    assert int(adata.layers["counts"][0, 0]) == 3_000_000_001


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1e30", "above the largest accepted count 9007199254740991"),
        ("9007199254740993", "above the largest accepted count"),
        ("inf", "'inf' is not a non-negative integer count"),
        ("-inf", "'-inf' is not a non-negative integer count"),
    ],
)
def test_counts_beyond_the_cap_are_one_line_errors(tmp_path: Path, value: str, why: str) -> None:
    path = tmp_path / "c.tsv"
    path.write_text(f"gene\tS1\tS2\nA\t1\t7\nB\t{value}\t3\n")
    with pytest.raises(InputError, match=rf"row 2 \(line 3\), column 'S1': .*{re.escape(why)}"):
        sheets.read_counts(path, _two_samples())


def test_library_total_beyond_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "c.tsv"
    big = 2**53 - 1
    path.write_text(f"gene\tS1\tS2\nA\t{big}\t7\nB\t{big}\t3\n")
    with pytest.raises(InputError, match=r"column 'S1': the sample's counts add up to"):
        sheets.read_counts(path, _two_samples())


def test_blank_lines_do_not_move_the_line_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "c.tsv"
    path.write_text("gene\tS1\tS2\n\nA\t1\t7\n\n\nB\tx\t3\n")
    with pytest.raises(InputError, match=r"row 2 \(line 6\), column 'S1': 'x'"):
        sheets.read_counts(path, _two_samples())
    ragged = tmp_path / "r.tsv"
    ragged.write_text("gene\tS1\tS2\n\nA\t1\t7\n\nB\t1\t3\t4\n")
    with pytest.raises(InputError, match=r"row 2 \(line 5\): has 4 tab-separated fields"):
        sheets.read_counts(ragged, _two_samples())
    sheet = tmp_path / "s.tsv"
    sheet.write_text("sample\tpatient\ttimepoint\tbiopsy\nA1\tA\tpre\tB1\n\n\nA2\tA\tlater\tB2\n")
    with pytest.raises(InputError, match=r"row 2 \(line 5\), column 'timepoint'"):
        sheets.load_samples(sheet, SCHEMAS / "samples.schema.yaml")


def test_truncated_gzip_table_is_one_line(tmp_path: Path) -> None:
    import gzip

    data = gzip.compress(
        ("gene\tS1\tS2\n" + "".join(f"G{i}\t{i}\t{i}\n" for i in range(5000))).encode()
    )
    path = tmp_path / "c.tsv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"c\.tsv\.gz: cannot be read as a tab-separated table"):
        sheets.read_counts(path, _two_samples())


@pytest.mark.parametrize("word", ["NA", "na", "NaN", "nan", "NULL", "null", "None", "NAT"])
def test_ids_that_read_as_missing_values_are_rejected(tmp_path: Path, word: str) -> None:
    path = tmp_path / "p.tsv"
    path.write_text(f"patient\tpCR\tHR\nP1\t0\tpos\n{word}\t1\tneg\n")
    with pytest.raises(
        InputError, match=rf"row 2 \(line 3\), column 'patient': '{word}' is not allowed as an ID"
    ):
        sheets.load_patients(path, SCHEMAS / "patients.schema.yaml")


def test_suspicious_counts_give_warnings() -> None:
    tpm = pd.DataFrame({"S1": [500_000, 499_990], "S2": [600_000, 400_010]}, index=["A", "B"])
    assert any("about 1,000,000" in w for w in sheets.suspicious_counts(tpm, "t.tsv"))
    rng = __import__("numpy").random.default_rng(1)
    scaled = pd.DataFrame(rng.integers(3, 50, size=(600, 2)) * 10, columns=["S1", "S2"])
    assert any("no count is 1 or 2" in w for w in sheets.suspicious_counts(scaled, "t.tsv"))
    raw = pd.DataFrame(rng.poisson(3, size=(600, 3)), columns=["S1", "S2", "S3"])
    assert sheets.suspicious_counts(raw, "t.tsv") == []
    low = raw.assign(S3=[1] + [0] * 599)
    (w,) = sheets.suspicious_counts(low, "t.tsv")
    assert w.startswith("t.tsv, column 'S3': library has almost no reads (1 counts")


def _fish_frame(tmp_path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    path = tmp_path / "f.parquet"
    frame.to_parquet(path, index=False)
    return sheets.read_fish_cells(path, SCHEMAS / "fish_cells.schema.yaml", ["S1"])


def test_fish_areas_differing_by_whitespace_are_one_area(tmp_path: Path) -> None:
    f = pd.DataFrame(
        {"sample": ["S1", "S1 ", "S1"], "area": ["A1", " A1", "A2 "], "cell": [1, 2, 1],
         "erbb2": [4, 5, 6], "cep17": [2, 2, 2]}
    )  # fmt: skip
    cells = _fish_frame(tmp_path, f)
    assert list(cells["area"].cat.categories) == ["A1", "A2"]
    assert cells["area"].tolist() == ["A1", "A1", "A2"]
    with pytest.raises(InputError, match=r"row 2, column 'cell': cell 1 appears twice"):
        _fish_frame(tmp_path, f.assign(cell=[1, 1, 1]))


def test_fish_boolean_ihc_and_huge_signals_are_rejected(tmp_path: Path) -> None:
    f = pd.DataFrame(
        {"sample": ["S1", "S1"], "area": ["A1", "A1"], "cell": [1, 2], "erbb2": [4, 5],
         "cep17": [2, 2], "ihc": [True, False]}
    )  # fmt: skip
    with pytest.raises(InputError, match=r"row 1, column 'ihc': True is a boolean"):
        _fish_frame(tmp_path, f)
    with pytest.raises(
        InputError, match=r"row 2, column 'erbb2': 5e\+18 is not an integer in \[0, 1000\]"
    ):
        _fish_frame(tmp_path, f.drop(columns="ihc").assign(erbb2=[4, 5e18]))


def test_config_overrides_are_typed_by_the_schema() -> None:
    schema = SCHEMAS / "config.schema.yaml"
    config = {
        "de": {"alpha": "0.1", "t_test": "false"},
        "demo": {"seed": "7"},
        "report": {"figure_dpi": "150", "title": "123"},
    }
    overrides = {k: dict(v) for k, v in config.items()}
    sheets.coerce_overrides(config, overrides, schema)
    assert config["de"] == {"alpha": 0.1, "t_test": False}
    assert config["demo"]["seed"] == 7 and config["report"]["figure_dpi"] == 150
    assert config["report"]["title"] == "123"  # a string where the schema wants one
    bad = {"de": {"alpha": "abc"}}
    sheets.coerce_overrides(bad, {"de": {"alpha": "abc"}}, schema)
    source = sheets.ConfigSources([], {"de": {"alpha": "abc"}})
    with pytest.raises(
        InputError, match=r"^command line \(--config\), key 'de.alpha': 'abc' is not of type number"
    ):
        sheets.validate_config(bad, schema, source)


def test_config_errors_name_the_file_that_set_the_key(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("fish:\n  min_cells: 5\n")
    b.write_text("de:\n  alpha: 0.05\n  contrasts: [{id: x}]\n")
    source = sheets.ConfigSources([a, b], {"report": {"figure_dpi": 7}})
    assert source("fish.min_cells") == str(a)
    assert source("de.contrasts[0].id") == str(b)
    assert source("report.figure_dpi") == "command line (--config)"
    assert source("qc.exclude_outliers") == f"{a} + {b}"  # a default: no file set it
