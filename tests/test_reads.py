"""Simulated transcriptome and FASTQ: headers, isoform split, read origin, determinism."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from her2het import reads as R
from her2het import simulate as S
from her2het.io import fastq


def _genes(n: int = 30) -> pd.DataFrame:
    return pd.DataFrame(
        {"gene_id": [f"ENSGSIM{i:08d}" for i in range(n)], "gene": [f"G{i}" for i in range(n)]}
    )


def test_transcriptome_isoforms_headers_and_fasta_roundtrip(tmp_path: Path) -> None:
    tx = R.build_transcriptome(_genes(), np.random.default_rng(1))
    t = tx.table
    assert t["gene"].nunique() == 30 and len(t) > 30  # some genes have several isoforms
    assert np.allclose(t.groupby("gene")["fraction"].sum(), 1.0, atol=1e-5)
    assert t["length"].min() >= 2 * R.MIN_EXON
    assert tx.header(0).split("|")[5] == "G0" and tx.header(0).split("|")[4] == "G0-201"
    fastq.write_fasta(tx, tmp_path / "tx.fa")
    back = fastq.read_fasta(tmp_path / "tx.fa")
    assert back.table["transcript_id"].tolist() == t["transcript_id"].tolist()
    assert np.array_equal(back.seq, tx.seq)


def test_split_to_transcripts_keeps_gene_totals() -> None:
    rng = np.random.default_rng(2)
    tx = R.build_transcriptome(_genes(), rng)
    genes = pd.DataFrame(
        rng.integers(0, 300, (30, 4)), index=[f"G{i}" for i in range(30)], columns=list("abcd")
    )
    split = R.split_to_transcripts(genes, tx.table, rng)
    back = split.groupby(tx.table.set_index("transcript_id")["gene"]).sum().loc[genes.index]
    assert (back.to_numpy() == genes.to_numpy()).all()


def test_reads_come_from_their_transcript_on_either_strand() -> None:
    rng = np.random.default_rng(3)
    tx = R.build_transcriptome(_genes(5), rng)
    counts = np.zeros(len(tx.table), dtype=int)
    counts[2] = 200
    p = R.ReadParams(error_rate=0.0, foreign_fraction=0.0)
    r1, r2 = R.simulate_fragments(tx, counts, rng, p)
    assert r1.shape == (200, p.read_length) and r2 is not None
    seq = tx.seq[tx.offset[2] : tx.offset[2] + tx.table["length"][2]].tobytes()
    rc = seq[::-1].translate(bytes.maketrans(b"ACGT", b"TGCA"))
    for a, b in zip(r1[:50], r2[:50], strict=True):
        a, b = a.tobytes(), b.tobytes()
        assert (a in seq and b in rc) or (a in rc and b in seq)  # one mate per strand


def test_foreign_fragments_and_errors_are_added() -> None:
    rng = np.random.default_rng(4)
    tx = R.build_transcriptome(_genes(5), rng)
    counts = np.full(len(tx.table), 100)
    r1, _ = R.simulate_fragments(tx, counts, rng, R.ReadParams(paired=False))
    assert len(r1) == counts.sum() + round(counts.sum() * 0.03)


def test_fastq_lanes_single_and_paired_are_deterministic(tmp_path: Path) -> None:
    tx = R.build_transcriptome(_genes(8), np.random.default_rng(5))
    counts = np.full(len(tx.table), 40)
    files = []
    for run in ("a", "b"):
        d = tmp_path / run
        d.mkdir()
        fq1 = [d / "L1_R1.fq.gz", d / "L2_R1.fq.gz"]
        fq2 = [d / "L1_R2.fq.gz", d / "L2_R2.fq.gz"]
        n = fastq.write_sample_fastq(tx, counts, "S1", fq1, fq2, R.sample_rng(7, 3))
        files.append([f.read_bytes() for f in fq1 + fq2])
    assert files[0] == files[1]
    lines = [gzip.decompress(b).decode().splitlines() for b in files[0]]
    assert sum(len(x) for x in lines[:2]) == 4 * n
    assert lines[0][0].startswith("@S1.000000001/1") and lines[2][0].startswith("@S1.000000001/2")
    se = tmp_path / "se.fq.gz"
    n_se = fastq.write_sample_fastq(
        tx, counts, "S1", [se], None, R.sample_rng(7, 3), R.ReadParams(paired=False)
    )
    assert n_se == n and len(gzip.decompress(se.read_bytes()).splitlines()) == 4 * n


def test_demo_counts_are_the_thinned_read_counts() -> None:
    c = S.simulate_cohort("tiny", 3, reads=True)
    assert c.tx_counts is not None and c.transcriptome is not None
    assert abs(c.counts.sum(axis=0).mean() - S.SIZES["tiny"].read_pairs) < 0.05 * 20_000
    by_gene = c.tx_counts.groupby(c.transcriptome.table.set_index("transcript_id")["gene"]).sum()
    assert (by_gene.loc[c.counts.index].to_numpy() == c.counts.to_numpy()).all()
    fq1 = c.samples["fq1"].str.split(";")
    assert (fq1.str.len() == [S.demo_lanes(i) for i in range(len(c.samples))]).all()
