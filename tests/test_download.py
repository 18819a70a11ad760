"""Bounded centroid download: overall time limit and size cap, against a loopback server.

The server listens on 127.0.0.1 only, sends a bounded number of bytes and stops by itself.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from her2het.io import centroids

BODY = b"# centroid.LumA: 1 2\nprobe\nESR1\nPGR\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/ok":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        elif self.path == "/trickle":  # one byte every 50 ms, at most 200 bytes (10 s)
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(200):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.05)
        elif self.path == "/big":  # no Content-Length, 64 kB chunks, at most 4 MB
            self.send_response(200)
            self.end_headers()
            for _ in range(64):
                try:
                    self.wfile.write(b"y" * 65536)
                except OSError:
                    return
        elif self.path == "/announced":
            self.send_response(200)
            self.send_header("Content-Length", "50000000")
            self.end_headers()
        else:
            self.send_error(404)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_download_ok(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "c.csv"
    centroids.download(f"{server}/ok", dest, hashlib.sha256(BODY).hexdigest())
    assert dest.read_bytes() == BODY


def test_trickling_server_is_cut_off_by_the_overall_limit(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "c.csv"
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"overall limit of 1 s"):
        centroids.download(f"{server}/trickle", dest, "0" * 64, timeout=1.0)
    assert time.monotonic() - start < 3  # the trickle alone would take 10 s
    assert not dest.exists() and not list(tmp_path.iterdir())


def test_trickle_cut_off_outside_the_main_thread(server: str, tmp_path: Path) -> None:
    """Without the alarm (not the main thread) the limit is checked between reads."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            centroids.download(f"{server}/trickle", tmp_path / "c.csv", "0" * 64, timeout=1.0)
        except ValueError as exc:
            errors.append(exc)

    start = time.monotonic()
    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=8)
    assert not t.is_alive()
    assert time.monotonic() - start < 3
    assert errors and "overall limit" in str(errors[0])


def test_size_cap(server: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"more than the limit of 100000 bytes"):
        centroids.download(f"{server}/big", tmp_path / "c.csv", "0" * 64, max_bytes=100_000)
    with pytest.raises(ValueError, match=r"announces 50000000 bytes"):
        centroids.download(f"{server}/announced", tmp_path / "c.csv", "0" * 64)
    assert not list(tmp_path.iterdir())


def test_sha256_mismatch_leaves_nothing(server: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sha256"):
        centroids.download(f"{server}/ok", tmp_path / "c.csv", "0" * 64)
    assert not list(tmp_path.iterdir())
