"""Transcript -> gene tables and the truth comparison (no quantifier needed)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2het import qc
from her2het.io import quant


def test_tx2gene_from_gencode_and_ensembl_headers(tmp_path: Path) -> None:
    fa = tmp_path / "tx.fa.gz"
    fa.write_bytes(
        gzip.compress(
            b">ENST01.2|ENSG01.5|OTTHUMG1|OTTHUMT1|ERBB2-201|ERBB2|4624|protein_coding|\nACGT\n"
            b">ENST02.1|ENSG01.5|-|-|ERBB2-202|ERBB2|900|retained_intron|\nACGT\n"
            b">ENST03.1 cdna chromosome:GRCh38:17:1:2:1 gene:ENSG03.1 gene_biotype:x "
            b"transcript_biotype:x gene_symbol:GRB7 description:y\nACGT\n"
        )
    )
    t = quant.tx2gene_from_fasta(fa)
    assert t.values.tolist() == [
        ["ENST01.2", "ENSG01.5", "ERBB2"],
        ["ENST02.1", "ENSG01.5", "ERBB2"],
        ["ENST03.1", "ENSG03.1", "GRB7"],
    ]


def test_tx2gene_from_gtf(tmp_path: Path) -> None:
    gtf = tmp_path / "a.gtf"
    attrs = 'gene_id "ENSG1.1"; transcript_id "ENST1.1"; gene_name "ESR1";'
    gtf.write_text(
        "#!genome-build GRCh38\n"
        f'chr6\tHAVANA\tgene\t1\t9\t.\t+\t.\tgene_id "ENSG1.1"; gene_name "ESR1";\n'
        f"chr6\tHAVANA\ttranscript\t1\t9\t.\t+\t.\t{attrs}\n"
        f"chr6\tHAVANA\texon\t1\t9\t.\t+\t.\t{attrs} exon_number 1;\n"
        'chr6\tHAVANA\ttranscript\t1\t9\t.\t+\t.\tgene_id "ENSG2"; transcript_id "ENST2";\n'
    )
    t = quant.tx2gene_from_gtf(gtf)
    assert t.values.tolist() == [["ENST1.1", "ENSG1.1", "ESR1"], ["ENST2", "ENSG2", "ENSG2"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (">ENST1|ENSG1|x\nACGT\n", "line 1: GENCODE-style header needs at least 6"),
        (">ENST1 some description\nACGT\n", "line 1: header names no gene"),
        (">A|G1|-|-|A-201|S1|4|pc|\nAC\n>A|G2|-|-|A-201|S2|4|pc|\nAC\n", "several genes"),
    ],
)
def test_tx2gene_errors_name_the_file(tmp_path: Path, text: str, expected: str) -> None:
    fa = tmp_path / "tx.fa"
    fa.write_text(text)
    with pytest.raises(quant.AnnotationError, match=expected) as err:
        quant.tx2gene_from_fasta(fa)
    assert str(err.value).startswith(str(fa))


def test_annotation_mismatch_is_an_error() -> None:
    t = pd.DataFrame({"transcript_id": ["ENST1.1"], "gene_id": ["G"], "gene_name": ["S"]})
    quant.check_annotation(["ENST1.4|x"], t, "tx2gene.tsv")  # versions and bars ignored
    with pytest.raises(quant.AnnotationError, match="1 of 2 quantified transcripts"):
        quant.check_annotation(["ENST1.1", "ENST9.1"], t, "tx2gene.tsv")


def test_compare_with_truth() -> None:
    rng = np.random.default_rng(0)
    truth = pd.DataFrame(rng.integers(0, 1000, (200, 3)), columns=list("abc"))
    est = truth * 1.0
    est["c"] = rng.permutation(est["c"].to_numpy())
    table = qc.compare_with_truth(est, truth).set_index("sample")
    assert table.loc["a", "pearson_log"] == 1.0 and table.loc["a", "ratio"] == 1.0
    assert table.loc["c", "pearson_log"] < 0.5
    assert table.loc["all", "genes_compared"] == (truth.to_numpy() >= 10).sum()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("transcript_id\tgene_id\tgene_name\nENST1.2\tENSG1.1\tERBB2\nENST2\tENSG1.1\tERBB2\n", "t.tsv"),
        ('"TXNAME","GENEID"\n"ENST1.2","ENSG1.1"\n"ENST2","ENSG1.1"\n', "t.csv"),  # tximport
        ("Gene stable ID,Transcript stable ID,Gene name\nENSG1.1,ENST1.2,ERBB2\nENSG1.1,ENST2,ERBB2\n", "b.csv"),
    ],
)  # fmt: skip
def test_read_tx2gene_layouts(tmp_path: Path, text: str, name: str) -> None:
    p = tmp_path / name
    p.write_text(text)
    t = quant.read_tx2gene(p)
    assert list(t.columns) == quant.TX2GENE_COLUMNS
    assert t["transcript_id"].tolist() == ["ENST1.2", "ENST2"]
    assert set(t["gene_id"]) == {"ENSG1.1"}
    assert set(t["gene_name"]) == ({"ENSG1.1"} if "GENEID" in text else {"ERBB2"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tx\tsymbol\nENST1\tA\n", "line 1, column 'gene_id': required column is missing"),
        ("transcript_id\tgene_id\nENST1\t\n", "row 1 (line 2), column 'gene_id': value is missing"),
        ("transcript_id\tgene_id\nENST1\tG1\nENST2\tG2\tx\n", "row 2 (line 3): has 3 fields"),
        (
            "transcript_id\tgene_id\nENST1.1\tG1\nENST2\tG2\nENST1.2\tG3\n",
            "row 3 (line 4), column 'gene_id': transcript 'ENST1.2' is assigned to more than one gene",
        ),
        ("transcript_id\tgene_id\n", "header only"),
        ("gene_id\tgene\tTXNAME\nG\tG\tT\n", "column 'gene': a second gene_id column"),
    ],
)  # fmt: skip
def test_read_tx2gene_errors_name_file_row_column(tmp_path: Path, text: str, expected: str) -> None:
    from her2het.io.sheets import InputError

    p = tmp_path / "tx2gene.tsv"
    p.write_text(text)
    with pytest.raises(InputError, match=re.escape(expected)) as err:
        quant.read_tx2gene(p)
    assert str(err.value).startswith(f"{p}") and "\n" not in str(err.value)


def test_bare_transcript_headers_fall_back_to_transcript_level_genes(tmp_path: Path) -> None:
    fa = tmp_path / "tx.fa"
    fa.write_text(">ENST01\nACGT\n>ENST02\nACGT\n")
    assert not quant.fasta_has_gene_names(fa)
    with pytest.raises(quant.AnnotationError, match="header names no gene"):
        quant.tx2gene_from_fasta(fa)
    t = quant.tx2gene_from_fasta(fa, transcript_fallback=True)
    assert t.values.tolist() == [["ENST01"] * 3, ["ENST02"] * 3]
    fa.write_text(">ENST01\nACGT\n>ENST02|ENSG2|-|-|X-201|X|4|pc|\nACGT\n")
    with pytest.raises(quant.AnnotationError, match="line 3: this header names a gene"):
        quant.tx2gene_from_fasta(fa, transcript_fallback=True)


@pytest.mark.parametrize(
    ("tx2gene", "expected"),
    [
        (
            "transcript_id\tgene_id\nENST01\t\n",
            "{tx2gene}, row 1 (line 2), column 'gene_id': value is missing",
        ),
        (None, None),  # no table, bare headers: accepted with one warning
    ],
)
def test_tx2gene_is_validated_before_any_job(
    tmp_path: Path, tx2gene: str | None, expected: str | None
) -> None:
    """The FASTQ entry with a bad ``quant.tx2gene``: one ``Invalid input`` line, no job."""
    from .conftest import run_snakemake, write_config

    d = tmp_path / "data"
    d.mkdir()
    (d / "tx.fa").write_text(">ENST01\nACGTACGTAC\n")
    for f in ("a_1.fq.gz", "a_2.fq.gz"):
        (d / f).write_bytes(gzip.compress(b""))
    (d / "samples.tsv").write_text(
        "sample\tpatient\ttimepoint\tbiopsy\tfq1\tfq2\n"
        f"a\tP1\tpre\tB1\t{d / 'a_1.fq.gz'}\t{d / 'a_2.fq.gz'}\n"
    )
    (d / "patients.tsv").write_text(
        "patient\tpCR\tHET\tHR\tEFS_months\tEFS_event\nP1\t0\t0\tpos\t40.0\t0\n"
    )
    cfg = (
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        "  counts: null\n  fish_cells: null\nquant:\n  transcriptome: data/tx.fa\n"
    )
    if tx2gene is not None:
        (d / "tx2gene.tsv").write_text(tx2gene)
        cfg += "  tx2gene: data/tx2gene.tsv\n"
    write_config(tmp_path, cfg + "de:\n  contrasts: []\n")
    if expected is None:
        r = run_snakemake(tmp_path, "-n", "results/quant/tx2gene.tsv")
        assert r.returncode == 0, r.stderr[-2000:]
        warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("Warning:")]
        assert len(warnings) == 1 and "carry no gene names" in warnings[0]
        return
    r = run_snakemake(tmp_path, "--cores", "1", "results/quant/tx2gene.tsv")
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines == ["Invalid input: " + expected.format(tx2gene="data/tx2gene.tsv")]
    assert not (tmp_path / "results").exists()
