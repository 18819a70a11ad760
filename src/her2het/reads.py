"""SIMULATED RNA-seq reads for the demo: a synthetic transcriptome and FASTQ files.

The demo goes through the same path as real data (FASTQ -> salmon -> gene counts). This module
writes what a sequencer and a reference would give, generated from the simulator's ground truth:

* :func:`build_transcriptome` - one synthetic gene locus per simulated gene (random exon
  sequences), one to three isoforms per gene that share exons (so that the quantifier has to
  resolve multi-mapping reads), GENCODE-style FASTA headers
  ``>ENST…|ENSG…|-|-|SYMBOL-201|SYMBOL|length|protein_coding|`` with the real gene symbols of the
  planted genes. The sequences are random and are not human sequence.
* :func:`split_to_transcripts` - splits gene-level read counts into isoforms with fixed,
  planted isoform fractions (written to the truth table).
* :func:`simulate_fragments` / :func:`sample_fastq_lanes` - per-sample reads: fragment length
  ~ Normal(mean, sd) clipped to the transcript, uniform position, random strand (unstranded
  library, salmon's ``IU``), substitution errors at a fixed rate, paired or single end, records
  shuffled and split into lanes. Everything is vectorised (no per-read Python objects) and
  seeded, so the same seed gives byte-identical gzip files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
_COMPLEMENT = np.zeros(256, dtype=np.uint8)
for _a, _b in zip(b"ACGTN", b"TGCAN", strict=True):
    _COMPLEMENT[_a] = _b
MIN_EXON, MAX_EXON = 150, 450


@dataclass(frozen=True)
class ReadParams:
    """How demo reads are drawn (see the module docstring)."""

    read_length: int = 75
    fragment_mean: float = 220.0
    fragment_sd: float = 30.0
    error_rate: float = 0.002
    paired: bool = True
    foreign_fraction: float = 0.03  # extra fragments of random sequence (unmappable)


@dataclass(frozen=True)
class Transcriptome:
    """Synthetic transcripts: a table and all sequences concatenated in one byte array."""

    table: pd.DataFrame  # transcript_id, gene_id, gene, transcript_name, length, fraction
    seq: np.ndarray  # uint8 ASCII, transcripts back to back
    offset: np.ndarray  # start of each transcript in ``seq``

    def header(self, i: int) -> str:
        r = self.table.iloc[i]
        return (
            f"{r.transcript_id}|{r.gene_id}|-|-|{r.transcript_name}|{r.gene}|{r.length}"
            "|protein_coding|"
        )


def build_transcriptome(genes: pd.DataFrame, rng: np.random.Generator) -> Transcriptome:
    """Synthetic isoforms for ``genes`` (columns ``gene_id``, ``gene``), in gene order.

    Each gene gets 3-5 exons of 150-450 nt. Isoform 1 holds every exon; isoform 2 (60% of
    genes) skips one internal exon; isoform 3 (30% of genes with 4+ exons) skips another one.
    Isoform fractions are drawn from Dirichlet(2, ...) and are the same in every sample.
    One gene in ten is a "paralog": one of its exons is a copy, with 1% substitutions, of an
    exon of an earlier gene, so that some reads are ambiguous between genes.
    """
    rows: list[dict[str, object]] = []
    chunks: list[np.ndarray] = []
    n_tx = 0
    pool: list[np.ndarray] = []
    for g_id, sym in zip(genes["gene_id"], genes["gene"], strict=True):
        n_exons = int(rng.integers(3, 6))
        lengths = rng.integers(MIN_EXON, MAX_EXON + 1, n_exons)
        exons = [BASES[rng.integers(0, 4, int(n))] for n in lengths]
        if pool and rng.random() < 0.1:
            copy = pool[int(rng.integers(0, len(pool)))].copy()
            mut = rng.random(len(copy)) < 0.01
            copy[mut] = BASES[
                (np.searchsorted(BASES, copy[mut]) + rng.integers(1, 4, mut.sum())) % 4
            ]
            exons[int(rng.integers(0, n_exons))] = copy
        pool.extend(exons)
        keep = [list(range(n_exons))]
        if rng.random() < 0.6:
            skip = int(rng.integers(1, n_exons - 1))
            keep.append([e for e in range(n_exons) if e != skip])
            if n_exons >= 4 and rng.random() < 0.5:
                other = [e for e in range(1, n_exons - 1) if e != skip]
                skip2 = other[int(rng.integers(0, len(other)))]
                keep.append([e for e in keep[1] if e != skip2])
        frac = rng.dirichlet(np.full(len(keep), 2.0))
        for k, (ex, f) in enumerate(zip(keep, frac, strict=True)):
            s = np.concatenate([exons[e] for e in ex])
            n_tx += 1
            chunks.append(s)
            rows.append(
                {
                    "transcript_id": f"ENSTSIM{n_tx:08d}.1",
                    "gene_id": f"{g_id}.1",
                    "gene": sym,
                    "transcript_name": f"{sym}-{201 + k}",
                    "length": len(s),
                    "fraction": round(float(f), 6),
                }
            )
    table = pd.DataFrame(rows)
    lengths = table["length"].to_numpy()
    offset = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return Transcriptome(table=table, seq=np.concatenate(chunks), offset=offset)


def split_to_transcripts(
    gene_counts: pd.DataFrame, tx_table: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Split gene x sample read counts into transcript x sample counts (multinomial).

    ``gene_counts`` is indexed by gene symbol; ``tx_table`` has ``gene`` and ``fraction``.
    """
    tx = tx_table.reset_index(drop=True)
    rank = tx.groupby("gene", sort=False).cumcount().to_numpy()
    n_iso = int(rank.max()) + 1
    genes = pd.unique(tx["gene"])
    gi = pd.Index(genes).get_indexer(tx["gene"])
    pvals = np.zeros((len(genes), n_iso))
    pvals[gi, rank] = tx["fraction"].to_numpy()
    pvals /= pvals.sum(axis=1, keepdims=True)
    n = gene_counts.loc[genes].to_numpy(dtype=np.int64)  # genes x samples
    split = rng.multinomial(n, pvals[:, None, :])  # genes x samples x isoforms
    out = split[gi, :, rank]
    return pd.DataFrame(
        out.astype(np.int64),
        index=pd.Index(tx["transcript_id"], name="transcript_id"),
        columns=gene_counts.columns,
    )


def simulate_fragments(
    tx: Transcriptome,
    counts: np.ndarray,
    rng: np.random.Generator,
    params: ReadParams = ReadParams(),
) -> tuple[np.ndarray, np.ndarray | None]:
    """Reads for one sample: ``counts[i]`` fragments from transcript ``i``.

    Returns read 1 and read 2 (``None`` for single end) as ``n x read_length`` uint8 arrays of
    ASCII bases, in random order.
    """
    rl = params.read_length
    lengths = tx.table["length"].to_numpy()
    if lengths.min() < rl:
        raise ValueError(f"transcripts shorter than the read length ({rl})")
    idx = np.repeat(np.arange(len(lengths)), counts)
    rng.shuffle(idx)
    n = len(idx)
    tlen = lengths[idx]
    flen = np.rint(rng.normal(params.fragment_mean, params.fragment_sd, n)).astype(np.int64)
    flen = np.clip(flen, rl, tlen)
    start = tx.offset[idx] + (rng.random(n) * (tlen - flen + 1)).astype(np.int64)
    # every read_length window of the concatenated sequences, as a view: a row per fragment
    # end is one contiguous copy (30x faster than gathering through an index matrix)
    windows = np.lib.stride_tricks.sliding_window_view(tx.seq, rl)
    left = windows[start]
    right = _COMPLEMENT[windows[start + flen - rl][:, ::-1]]
    n_foreign = int(round(n * params.foreign_fraction))
    if n_foreign:  # fragments from outside the transcriptome, mixed in at random positions
        at = np.sort(rng.choice(n + n_foreign, n_foreign, replace=False))
        left = np.insert(
            left, at - np.arange(n_foreign), BASES[rng.integers(0, 4, (n_foreign, rl))], axis=0
        )
        right = np.insert(
            right, at - np.arange(n_foreign), BASES[rng.integers(0, 4, (n_foreign, rl))], axis=0
        )
        n += n_foreign
    reverse = rng.random(n) < 0.5  # fragment from the opposite strand: read 1 is the right end
    r1 = np.where(reverse[:, None], right, left)
    r2 = np.where(reverse[:, None], left, right) if params.paired else None
    for r in (r1, r2):
        if r is not None and params.error_rate > 0:
            err = rng.random(r.shape) < params.error_rate
            shift = rng.integers(1, 4, int(err.sum()))
            code = np.searchsorted(BASES, r[err])
            r[err] = BASES[(code + shift) % 4]
    return r1, r2


def fastq_bytes(reads: np.ndarray, sample: str, first: int, mate: int, qual: int = 70) -> bytes:
    """FASTQ records for ``reads`` (n x L uint8): ``@sample.<9-digit index>/<mate>``."""
    n, rl = reads.shape
    head = np.frombuffer(f"@{sample}.".encode("ascii"), dtype=np.uint8)
    tail = np.frombuffer(f"/{mate}\n".encode("ascii"), dtype=np.uint8)
    digits = 9
    width = len(head) + digits + len(tail) + rl + 1 + 2 + rl + 1
    rec = np.empty((n, width), dtype=np.uint8)
    pos = 0
    rec[:, : len(head)] = head
    pos = len(head)
    num = np.arange(first, first + n, dtype=np.int64)[:, None]
    rec[:, pos : pos + digits] = 48 + (num // (10 ** np.arange(digits - 1, -1, -1))) % 10
    pos += digits
    rec[:, pos : pos + len(tail)] = tail
    pos += len(tail)
    rec[:, pos : pos + rl] = reads
    pos += rl
    rec[:, pos : pos + 3] = np.frombuffer(b"\n+\n", dtype=np.uint8)
    pos += 3
    rec[:, pos : pos + rl] = qual
    rec[:, -1] = ord("\n")
    return rec.tobytes()


def sample_fastq_lanes(
    tx: Transcriptome,
    counts: np.ndarray,
    sample: str,
    n_lanes: int,
    rng: np.random.Generator,
    params: ReadParams = ReadParams(),
) -> list[tuple[bytes, bytes | None]]:
    """Simulate one sample's reads as FASTQ text split evenly over ``n_lanes`` lanes.

    Returns one ``(read 1, read 2)`` pair of FASTQ texts per lane (read 2 is None for single
    end); :func:`her2het.io.fastq.write_sample_fastq` writes them.
    """
    r1, r2 = simulate_fragments(tx, counts, rng, params)
    bounds = np.linspace(0, len(r1), n_lanes + 1).astype(int)
    return [
        (
            fastq_bytes(r1[a:b], sample, a + 1, 1),
            None if r2 is None else fastq_bytes(r2[a:b], sample, a + 1, 2),
        )
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def sample_rng(seed: int, sample_index: int) -> np.random.Generator:
    """The read stream of one sample (independent of every other sample and stream)."""
    return np.random.default_rng(np.random.SeedSequence([seed, 0x5EAD5, sample_index]))
