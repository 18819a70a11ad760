"""The streaming FASTQ check that feeds salmon: good files pass, broken files are named."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from her2het.io.fastq import FastqError, check_stream

REC = "@r{i}/1\nACGTACGTAC\n+\nIIIIIIIIII\n"


def _text(n: int) -> str:
    return "".join(REC.format(i=i) for i in range(n))


def _write(path: Path, text: str, gz: bool = True) -> Path:
    data = text.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def test_valid_gzip_plain_multimember_and_lanes(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.fq.gz", _text(3000))
    b = _write(tmp_path / "b.fq", _text(5), gz=False)
    multi = tmp_path / "m.fq.gz"
    multi.write_bytes(gzip.compress(_text(2).encode()) + gzip.compress(_text(3).encode()))
    out = tmp_path / "out.fq"
    with open(out, "wb") as fh:
        assert check_stream([a, b, multi], fh) == 3010
    assert out.read_text() == _text(3000) + _text(5) + _text(2) + _text(3)


def test_crlf_and_missing_final_newline_are_accepted(tmp_path: Path) -> None:
    crlf = _write(tmp_path / "c.fq", _text(3).replace("\n", "\r\n"), gz=False)
    assert check_stream([crlf], None) == 3
    no_nl = _write(tmp_path / "n.fq", _text(3).rstrip("\n"), gz=False)
    assert check_stream([no_nl], None) == 3


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (lambda t: gzip.compress(t.encode())[:-200], "truncated gzip file"),
        (lambda t: gzip.compress(t.encode())[:-4] + b"\0\0\0\1", "corrupt gzip data"),
        (lambda t: t.encode()[:-30], "file ends inside a record"),
        (lambda t: t.replace("@r7/1", "r7/1").encode(), "line 29: a record header must start"),
        (
            lambda t: t.replace("+\nIIIIIIIIII\n@r9", "-\nIIIIIIIIII\n@r9").encode(),
            "line 35: the third line",
        ),
        (lambda t: t.replace("IIIIIIIIII\n@r5", "IIIII\n@r5").encode(), "quality length 5"),
        (lambda t: b"", "no FASTQ records"),
    ],
    ids=["truncated", "bad-crc", "cut-record", "no-at", "no-plus", "qual-length", "empty"],
)
def test_broken_files_fail_with_file_and_line(tmp_path: Path, content, expected: str) -> None:
    bad = tmp_path / "bad.fq.gz"
    bad.write_bytes(content(_text(2000)))
    good = _write(tmp_path / "good.fq.gz", _text(10))
    with pytest.raises(FastqError) as err:
        check_stream([good, bad], None)
    assert str(err.value).startswith(str(bad)) and expected in str(err.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FastqError, match="nope.fq.gz: file not found"):
        check_stream([tmp_path / "nope.fq.gz"], None)
