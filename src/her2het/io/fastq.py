"""Streaming FASTQ integrity check that feeds the quantifier.

salmon 1.10 accepts a truncated gzip file, a broken record or read-2 files shorter than
read-1 files without an error: it quantifies what it could read and exits with status 0. The
workflow therefore streams every sample's FASTQ through :func:`check_stream`, which decompresses
the lanes in order, checks the record structure and writes plain FASTQ to salmon through a named
pipe. A problem ends the stream with a :class:`FastqError` naming the file and the line, and
the job fails (see ``workflow/rules/quant.smk``). salmon no longer decompresses, so the check
costs little wall time.

Checked per file: gzip stream complete and CRC-correct (plain text is accepted too), every
record has four lines, line 1 starts with ``@``, line 3 starts with ``+``, sequence and quality
have the same, non-zero length. The record count is returned so that read-1 and read-2 streams
can be compared.

Command line (used by the rule)::

    python -m her2het.io.fastq --out FIFO --count N_FILE FILE [FILE ...]

The output is opened only when the first block is ready: salmon's reader waits about a second
when it finds an empty pipe, so the pipe must not be opened before there is data to write.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

if TYPE_CHECKING:
    from her2het.reads import ReadParams, Transcriptome

try:  # ISA-L inflate is about twice as fast as zlib; zlib is the fallback
    from isal import isal_zlib as _inflate
except ImportError:  # pragma: no cover - isal is in the lock file
    _inflate = zlib  # type: ignore[assignment]

CHUNK = 1 << 18  # compressed bytes per read; about 1 MB of FASTQ per check
BROKEN_PIPE = 3  # exit status of the command line when the reader closed the pipe early


class FastqError(ValueError):
    """A FASTQ file is truncated, corrupt or malformed (message names file and line)."""


def _raw_blocks(path: Path) -> Iterator[bytes]:
    """Decompressed blocks of a gzip (possibly multi-member) or plain file."""
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        if head != b"\x1f\x8b":
            while block := fh.read(CHUNK):
                yield block
            return
        d = _inflate.decompressobj(wbits=31)
        fed = False  # bytes of the current gzip member have been read
        while block := fh.read(CHUNK):
            while block:
                fed = True
                try:
                    out = d.decompress(block)
                except (zlib.error, _inflate.error) as exc:
                    raise FastqError(f"{path}: corrupt gzip data ({exc})") from None
                if out:
                    yield out
                if not d.eof:
                    break
                block = d.unused_data  # next member of a concatenated gzip file
                d = _inflate.decompressobj(wbits=31)
                fed = False
                if block and not block.strip(b"\x00"):
                    block = b""  # zero padding after the last member
                elif block and block[:1] != b"\x1f":
                    raise FastqError(f"{path}: unexpected data after the gzip stream")
        if fed:
            raise FastqError(f"{path}: truncated gzip file (the stream ends before its end mark)")


def _check_records(buf: np.ndarray, nl: np.ndarray, path: Path, first_line: int) -> None:
    """Check whole records in ``buf``; ``nl`` are its newline positions (a multiple of 4)."""
    head_nl, seq_nl, plus_nl, qual_nl = nl[0::4], nl[1::4], nl[2::4], nl[3::4]
    rec_start = np.empty_like(head_nl)
    rec_start[0] = 0
    rec_start[1:] = qual_nl[:-1] + 1
    seq_len = seq_nl - head_nl - 1
    qual_len = qual_nl - plus_nl - 1
    if 13 in buf[seq_nl - 1] or 13 in buf[qual_nl - 1]:  # CRLF line ends
        seq_len = seq_len - (buf[seq_nl - 1] == 13)
        qual_len = qual_len - (buf[qual_nl - 1] == 13)
    bad_head = np.flatnonzero(buf[rec_start] != 64)  # '@'
    bad_plus = np.flatnonzero(buf[seq_nl + 1] != 43)  # '+'
    bad_len = np.flatnonzero((seq_len != qual_len) | (seq_len <= 0))
    problems = []
    if bad_head.size:
        problems.append((4 * int(bad_head[0]), "a record header must start with '@'"))
    if bad_plus.size:
        problems.append(
            (4 * int(bad_plus[0]) + 2, "the third line of a record must start with '+'")
        )
    if bad_len.size:
        i = int(bad_len[0])
        problems.append(
            (4 * i + 3, f"quality length {qual_len[i]} differs from sequence length {seq_len[i]}")
        )
    if problems:
        line, what = min(problems)
        raise FastqError(f"{path}, line {first_line + line}: {what}")


def check_stream(paths: Sequence[str | Path], out: BinaryIO | None) -> int:
    """Validate FASTQ files in order, copy plain FASTQ to ``out``; return the record count."""
    n_records = 0
    for p in map(Path, paths):
        if not p.is_file():
            raise FastqError(f"{p}: file not found")
        carry = b""
        line = 1  # line number (1-based) of the first line of ``carry``
        before = n_records
        for block in _raw_blocks(p):
            buf = carry + block if carry else block
            arr = np.frombuffer(buf, dtype=np.uint8)
            nl = np.flatnonzero(arr == 10)
            k = (len(nl) // 4) * 4
            if k == 0:
                carry = buf
                continue
            end = int(nl[k - 1]) + 1
            _check_records(arr, nl[:k], p, line)
            if out is not None:
                out.write(memoryview(buf)[:end])
            carry = buf[end:]
            line += k
            n_records += k // 4
        if carry:
            tail = carry if carry.endswith(b"\n") else carry + b"\n"
            arr = np.frombuffer(tail, dtype=np.uint8)
            nl = np.flatnonzero(arr == 10)
            if len(nl) % 4:
                raise FastqError(
                    f"{p}, line {line + len(nl) - 1}: file ends inside a record "
                    f"({len(nl) % 4} of 4 lines; truncated?)"
                )
            _check_records(arr, nl, p, line)
            if out is not None:
                out.write(tail)
            n_records += len(nl) // 4
        if n_records == before:
            raise FastqError(f"{p}: no FASTQ records")
    return n_records


def _grow_pipe(fh: BinaryIO) -> None:
    """Enlarge a pipe's buffer (Linux), so that the reader wakes up less often."""
    size = int(os.environ.get("HER2HET_PIPE_SIZE", 1 << 20))
    if size <= 0:
        return
    try:
        import fcntl

        fcntl.fcntl(fh.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except (OSError, ImportError):
        pass  # not a pipe, not Linux, or above /proc/sys/fs/pipe-max-size


class LazyWriter:
    """A binary file (or named pipe) opened at the first write."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh: BinaryIO | None = None

    def write(self, data: bytes) -> int:
        if self._fh is None:
            self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            _grow_pipe(self._fh)
        return self._fh.write(data)

    def close(self) -> None:
        if self._fh is None:
            self._fh = open(self.path, "wb")  # noqa: SIM115 - a reader waits for the pipe
        self._fh.close()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="FASTQ files (gzip or plain), in lane order")
    ap.add_argument("--out", required=True, help="plain FASTQ output (a named pipe)")
    ap.add_argument("--count", required=True, help="write the number of records here")
    args = ap.parse_args(argv)
    out = LazyWriter(args.out)
    try:
        try:
            n = check_stream(args.files, out)  # type: ignore[arg-type]
        finally:
            out.close()
    except FastqError as exc:
        print(f"FASTQ error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader stopped early, e.g. because the other mate's files ended first.
        print(f"FASTQ stream of {args.files[0]}: the quantifier stopped reading", file=sys.stderr)
        return BROKEN_PIPE
    Path(args.count).write_text(f"{n}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# --------------------------------------------------------------------------------------------
# Writing the SIMULATED demo's FASTA and FASTQ files (her2het.reads makes their content)
# --------------------------------------------------------------------------------------------


def write_fasta(tx: Transcriptome, path: str | Path, width: int = 70) -> None:
    """Write the transcriptome as FASTA (GENCODE-style headers, ``width`` bases per line)."""
    with open(path, "w", encoding="ascii", newline="\n") as fh:
        for i, (start, n) in enumerate(zip(tx.offset, tx.table["length"], strict=True)):
            s = tx.seq[start : start + n].tobytes().decode("ascii")
            fh.write(f">{tx.header(i)}\n")
            fh.write("\n".join(s[j : j + width] for j in range(0, len(s), width)) + "\n")


def write_fastq_gz(path: str | Path, data: bytes, level: int = 1) -> None:
    """Gzip ``data`` to ``path`` with a zero timestamp (byte-identical across runs).

    ISA-L's gzip (``isal``, level 0-3) compresses about 4x faster than zlib's level 1 and
    gives files about 5% smaller; zlib is the fallback.
    """
    try:
        from isal import igzip, isal_zlib

        gzip_file: Any = igzip.IGzipFile
        level = min(level, isal_zlib.ISAL_BEST_COMPRESSION)
    except ImportError:  # pragma: no cover - isal is in the lock file
        gzip_file = gzip.GzipFile
    with (
        open(path, "wb") as raw,
        gzip_file(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0) as gz,
    ):
        gz.write(data)


def write_sample_fastq(
    tx: Transcriptome,
    counts: np.ndarray,
    sample: str,
    fq1: Sequence[str | Path],
    fq2: Sequence[str | Path] | None,
    rng: np.random.Generator,
    params: ReadParams | None = None,
) -> int:
    """Simulate one sample's reads (:func:`her2het.reads.sample_fastq_lanes`) and write them
    split evenly over ``len(fq1)`` lanes.

    Returns the number of fragments (read pairs for paired-end) written.
    """
    from her2het.reads import ReadParams, sample_fastq_lanes

    params = ReadParams() if params is None else params
    if params.paired != bool(fq2):
        raise ValueError("fq2 files are needed exactly when reads are paired")
    if fq2 is not None and len(fq2) != len(fq1):
        raise ValueError("fq1 and fq2 need the same number of lanes")
    n = 0
    for lane, (b1, b2) in enumerate(sample_fastq_lanes(tx, counts, sample, len(fq1), rng, params)):
        write_fastq_gz(fq1[lane], b1)
        n += b1.count(b"\n") // 4
        if b2 is not None and fq2 is not None:
            write_fastq_gz(fq2[lane], b2)
    return n


def read_fasta(path: str | Path) -> Transcriptome:
    """Read a transcriptome FASTA back (IDs up to the first '|' or space; no fractions)."""
    import pandas as pd

    from her2het.reads import Transcriptome

    text = Path(path).read_bytes()
    ids: list[str] = []
    chunks: list[np.ndarray] = []
    for rec in text.split(b">")[1:]:
        head, _, body = rec.partition(b"\n")
        ids.append(head.split(b"|")[0].split()[0].decode("ascii"))
        chunks.append(np.frombuffer(body.replace(b"\n", b"").replace(b"\r", b""), np.uint8))
    lengths = np.array([len(c) for c in chunks], dtype=np.int64)
    table = pd.DataFrame({"transcript_id": ids, "length": lengths})
    offset = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return Transcriptome(table=table, seq=np.concatenate(chunks), offset=offset)
