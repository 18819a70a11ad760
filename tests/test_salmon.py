"""The real quantifier: salmon index and quant as the workflow runs them (no mocks).

A small synthetic transcriptome (40 genes) is indexed once; each test simulates reads with
:mod:`her2het.reads` and checks what salmon reports.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2het import reads
from her2het.io import fastq, quant, salmon

pytestmark = pytest.mark.skipif(
    shutil.which("salmon") is None, reason="salmon not installed (make system-tools)"
)


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, reads.Transcriptome, Path]:
    d = tmp_path_factory.mktemp("ref")
    genes = pd.DataFrame(
        {"gene_id": [f"ENSGT{i:05d}" for i in range(40)], "gene": [f"GENE{i}" for i in range(40)]}
    )
    tx = reads.build_transcriptome(genes, np.random.default_rng(11))
    fastq.write_fasta(tx, d / "tx.fa")
    salmon.build_index(d / "tx.fa", d / "index", d / "index.log", kmer=25, threads=2)
    return d, tx, d / "index"


def _counts(tx: reads.Transcriptome, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(20, 400, len(tx.table))


def _meta(out: Path) -> dict:
    return json.loads((out / "aux_info" / "meta_info.json").read_text())


def test_paired_end_two_lanes_are_merged(ref, tmp_path: Path) -> None:
    d, tx, index = ref
    counts = _counts(tx, 1)
    fq1 = [tmp_path / "L1_R1.fq.gz", tmp_path / "L2_R1.fq.gz"]
    fq2 = [tmp_path / "L1_R2.fq.gz", tmp_path / "L2_R2.fq.gz"]
    n = fastq.write_sample_fastq(tx, counts, "S1", fq1, fq2, np.random.default_rng(2))
    out = tmp_path / "q"
    assert salmon.quant(index, fq1, fq2, out, tmp_path / "q.log", threads=2) == n
    meta = _meta(out)
    assert meta["num_processed"] == n  # both lanes were read
    lib = json.loads((out / "lib_format_counts.json").read_text())
    assert lib["expected_format"] == "IU"
    # gene-level estimates against the simulated truth
    tx2gene = quant.tx2gene_from_fasta(d / "tx.fa")
    est = quant.gene_level([out / "quant.sf"], ["S1"], tx2gene)["estimated"]
    truth = (
        pd.Series(counts, index=tx.table["transcript_id"])
        .groupby(tx.table.set_index("transcript_id")["gene"])
        .sum()
    )
    r = np.corrcoef(np.log1p(truth.loc[est.index]), np.log1p(est["S1"]))[0, 1]
    assert r > 0.95


def test_single_end(ref, tmp_path: Path) -> None:
    _, tx, index = ref
    fq = [tmp_path / "se.fq.gz"]
    p = reads.ReadParams(paired=False)
    n = fastq.write_sample_fastq(tx, _counts(tx, 3), "S2", fq, None, np.random.default_rng(4), p)
    out = tmp_path / "q"
    salmon.quant(index, fq, None, out, tmp_path / "q.log", threads=2)
    assert _meta(out)["num_processed"] == n
    lib = json.loads((out / "lib_format_counts.json").read_text())
    assert lib["expected_format"] == "U"


def test_truncated_fastq_fails_naming_the_file(ref, tmp_path: Path) -> None:
    _, tx, index = ref
    fq1, fq2 = [tmp_path / "R1.fq.gz"], [tmp_path / "R2.fq.gz"]
    fastq.write_sample_fastq(tx, _counts(tx, 5), "S3", fq1, fq2, np.random.default_rng(6))
    data = fq2[0].read_bytes()
    fq2[0].write_bytes(data[: len(data) // 2])  # e.g. an interrupted download
    with pytest.raises(salmon.QuantError, match=r"R2\.fq\.gz: truncated gzip file"):
        salmon.quant(index, fq1, fq2, tmp_path / "q", tmp_path / "q.log", threads=2)


def test_mates_with_different_record_counts_fail(ref, tmp_path: Path) -> None:
    _, tx, index = ref
    fq1, fq2 = [tmp_path / "R1.fq.gz"], [tmp_path / "R2.fq.gz"]
    fastq.write_sample_fastq(tx, _counts(tx, 7), "S4", fq1, fq2, np.random.default_rng(8))
    lines = gzip.decompress(fq2[0].read_bytes()).splitlines(keepends=True)
    fq2[0].write_bytes(gzip.compress(b"".join(lines[:400])))  # 100 complete records
    with pytest.raises(salmon.QuantError, match=r"R1\.fq\.gz\) hold more records than read-2"):
        salmon.quant(index, fq1, fq2, tmp_path / "q", tmp_path / "q.log", threads=2)


def test_command_line_reports_one_line_and_status_1(ref, tmp_path: Path, capsys) -> None:
    _, _, index = ref
    bad = tmp_path / "bad.fq"
    bad.write_text("@r1\nACGT\n+\nII\n")
    rc = salmon.main(
        ["quant", "--index", str(index), "--r1", str(bad), "--out", str(tmp_path / "q")]
        + ["--log", str(tmp_path / "q.log")]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1
    assert err[0] == f"Error: {bad}, line 4: quality length 2 differs from sequence length 4"
    assert "quality length 2" in (tmp_path / "q.log").read_text()


def test_decoy_aware_index(ref, tmp_path: Path) -> None:
    d, tx, _ = ref
    genome = tmp_path / "genome.fa"
    rng = np.random.default_rng(9)
    genome.write_text(">chrDecoy\n" + "".join(rng.choice(list("ACGT"), 5000)) + "\n")
    salmon.build_index(d / "tx.fa", tmp_path / "idx", tmp_path / "i.log", decoys=genome, kmer=25)
    info = json.loads((tmp_path / "idx" / "info.json").read_text())
    assert info.get("num_decoys", 0) == 1 or "decoy" in (tmp_path / "i.log").read_text().lower()


def test_salmon_failure_is_reported_and_checkers_do_not_hang(ref, tmp_path: Path) -> None:
    _, tx, _ = ref
    fq = [tmp_path / "se.fq.gz"]
    p = reads.ReadParams(paired=False)
    fastq.write_sample_fastq(tx, _counts(tx, 9), "S5", fq, None, np.random.default_rng(1), p)
    with pytest.raises(salmon.QuantError, match=r"salmon quant failed with exit status \d+; see"):
        salmon.quant(tmp_path / "no_index", fq, None, tmp_path / "q", tmp_path / "q.log")
