"""Transcript -> gene tables and the truth comparison (no quantifier needed)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2het import quant


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
    table = quant.compare_with_truth(est, truth).set_index("sample")
    assert table.loc["a", "pearson_log"] == 1.0 and table.loc["a", "ratio"] == 1.0
    assert table.loc["c", "pearson_log"] < 0.5
    assert table.loc["all", "genes_compared"] == (truth.to_numpy() >= 10).sum()
