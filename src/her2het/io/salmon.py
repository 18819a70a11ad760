"""Run salmon (index and quant) the way the workflow does; used by ``workflow/rules/quant.smk``.

``quant`` streams every FASTQ file through the integrity check of :mod:`her2het.io.fastq` into a
named pipe that salmon reads (salmon itself accepts truncated and malformed input without an
error). Lanes are concatenated in order; read-1 and read-2 must hold the same number of
records. Any failure raises :class:`QuantError` with the file named; the command line prints
it on one line and exits with status 1 so that the Snakemake job fails and its outputs are
removed.

Command line::

    python -m her2het.io.salmon index --transcriptome TX.fa[.gz] [--decoys GENOME.fa[.gz]]
        --kmer 31 --threads N --out DIR --log LOG
    python -m her2het.io.salmon quant --index DIR --r1 A_R1.fq.gz [B_R1.fq.gz ...]
        [--r2 A_R2.fq.gz ...] --libtype A --threads N --out DIR --log LOG [--extra "..."]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path


class QuantError(RuntimeError):
    """salmon or the FASTQ check failed (message names the file or the log)."""


def _salmon() -> str:
    exe = shutil.which("salmon")
    if exe is None:
        raise QuantError("salmon is not on PATH (run `make system-tools` or use envs/salmon.yaml)")
    return exe


def _run(cmd: list[str], log: Path, what: str) -> None:
    with open(log, "a", encoding="utf-8") as fh:
        fh.write("$ " + shlex.join(cmd) + "\n")
        fh.flush()
        rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=False).returncode
    if rc != 0:
        raise QuantError(f"{what} failed with exit status {rc}; see {log}")


def _fasta_names(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        return [line[1:].split()[0] for line in fh if line.startswith(">")]


def build_index(
    transcriptome: str | Path,
    out: str | Path,
    log: str | Path,
    *,
    decoys: str | Path | None = None,
    kmer: int = 31,
    threads: int = 1,
) -> None:
    """``salmon index`` (``--gencode`` header parsing; decoy-aware when ``decoys`` is given).

    With decoys the index is built on the "gentrome" (transcripts then genome) with the genome
    sequence names as decoys, as salmon's documentation describes.
    """
    tx, out_p, log_p = Path(transcriptome), Path(out), Path(log)
    log_p.write_text("")
    cmd = [_salmon(), "index", "-k", str(kmer), "-p", str(threads), "--gencode", "-i", str(out_p)]
    with tempfile.TemporaryDirectory() as tmp:
        if decoys:
            genome = Path(decoys)
            names = Path(tmp) / "decoys.txt"
            names.write_text("\n".join(_fasta_names(genome)) + "\n")
            gentrome = Path(tmp) / "gentrome.fa.gz"
            with open(gentrome, "wb") as dst:
                for src in (tx, genome):  # gzip members may be concatenated
                    if src.name.endswith(".gz"):
                        with open(src, "rb") as fh:
                            shutil.copyfileobj(fh, dst)
                    else:
                        with (
                            open(src, "rb") as fh,
                            gzip.GzipFile(fileobj=dst, mode="wb", compresslevel=1, mtime=0) as gz,
                        ):
                            shutil.copyfileobj(fh, gz)
            cmd += ["-t", str(gentrome), "-d", str(names)]
        else:
            cmd += ["-t", str(tx)]
        _run(cmd, log_p, "salmon index")


def quant(
    index: str | Path,
    r1: Sequence[str | Path],
    r2: Sequence[str | Path] | None,
    out: str | Path,
    log: str | Path,
    *,
    libtype: str = "A",
    threads: int = 1,
    extra: Sequence[str] = (),
) -> int:
    """Quantify one sample; return the number of fragments read.

    Raises :class:`QuantError` naming the FASTQ file on truncated or malformed input, when the
    read-1 and read-2 record counts differ, or when salmon fails.
    """
    r2 = list(r2 or [])
    if r2 and len(r2) != len(r1):
        raise QuantError(f"{len(r1)} read-1 files but {len(r2)} read-2 files")
    log_p = Path(log)
    log_p.write_text("")
    with tempfile.TemporaryDirectory() as tmp:
        mates = [("1", list(r1))] + ([("2", r2)] if r2 else [])
        checks = []
        for mate, files in mates:
            fifo = Path(tmp) / f"r{mate}.fq"
            os.mkfifo(fifo)
            err = open(Path(tmp) / f"check{mate}.err", "w+", encoding="utf-8")  # noqa: SIM115
            proc = subprocess.Popen(
                [sys.executable, "-m", "her2het.io.fastq", "--out", str(fifo)]
                + ["--count", str(Path(tmp) / f"n{mate}")]
                + [str(f) for f in files],
                stderr=err,
            )
            checks.append((mate, files, fifo, proc, err))
        reads = (
            ["-1", str(checks[0][2]), "-2", str(checks[1][2])] if r2 else ["-r", str(checks[0][2])]
        )
        cmd = [_salmon(), "quant", "-i", str(index), "-l", libtype, *reads]
        cmd += ["-p", str(threads), "--validateMappings", "-o", str(out), *extra]
        try:
            _run(cmd, log_p, "salmon quant")
        except QuantError:
            for *_, proc, _err in checks:
                try:  # a checker that found an error ends by itself; one that waits
                    proc.wait(timeout=5)  # to open a pipe salmon never opened does not
                except subprocess.TimeoutExpired:
                    proc.kill()
            _raise_check_errors(checks, tmp)
            raise
        _raise_check_errors(checks, tmp)
        counts = [int((Path(tmp) / f"n{m}").read_text()) for m, *_ in checks]
    if len(counts) == 2 and counts[0] != counts[1]:
        raise QuantError(
            f"read-1 files ({', '.join(map(str, r1))}) hold {counts[0]} records but read-2 files "
            f"({', '.join(map(str, r2))}) hold {counts[1]}"
        )
    return counts[0]


def _raise_check_errors(checks: list, tmp: str) -> None:  # type: ignore[type-arg]
    """Raise the first FASTQ problem found by the checkers (after they have all ended)."""
    from her2het.io.fastq import BROKEN_PIPE

    results = []
    for mate, files, _fifo, proc, err in checks:
        rc = proc.wait()
        err.seek(0)
        msg = err.read().strip()
        err.close()
        results.append((mate, files, rc, msg))
    for _mate, files, rc, msg in results:
        if rc > 0 and rc != BROKEN_PIPE:
            if msg.startswith("FASTQ error:"):
                raise QuantError(msg.removeprefix("FASTQ error: "))
            raise QuantError(f"FASTQ check of {files[0]} failed: {msg or f'exit status {rc}'}")
    for mate, files, rc, _msg in results:
        if rc == BROKEN_PIPE:
            others = [r for r in results if r[0] != mate and r[2] == 0]
            if others:
                o_mate, o_files, *_ = others[0]
                n = (Path(tmp) / f"n{o_mate}").read_text().strip()
                raise QuantError(
                    f"read-{mate} files ({', '.join(map(str, files))}) hold more records than "
                    f"read-{o_mate} files ({', '.join(map(str, o_files))}: {n} records)"
                )
            raise QuantError(f"salmon stopped reading {files[0]} early; see the log")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="salmon index / quant as run by the workflow")
    sub = ap.add_subparsers(dest="command", required=True)
    ix = sub.add_parser("index")
    ix.add_argument("--transcriptome", required=True)
    ix.add_argument("--decoys", default=None)
    ix.add_argument("--kmer", type=int, default=31)
    q = sub.add_parser("quant")
    q.add_argument("--index", required=True)
    q.add_argument("--r1", nargs="+", required=True)
    q.add_argument("--r2", nargs="*", default=[])
    q.add_argument("--libtype", default="A")
    q.add_argument("--extra", default="", help="extra salmon quant arguments (one string)")
    for p in (ix, q):
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--out", required=True)
        p.add_argument("--log", required=True)
    a = ap.parse_args(argv)
    try:
        if a.command == "index":
            build_index(
                a.transcriptome, a.out, a.log, decoys=a.decoys, kmer=a.kmer, threads=a.threads
            )
        else:
            quant(
                a.index,
                a.r1,
                a.r2,
                a.out,
                a.log,
                libtype=a.libtype,
                threads=a.threads,
                extra=shlex.split(a.extra),
            )
    except QuantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        with open(a.log, "a", encoding="utf-8") as fh:
            fh.write(f"Error: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
