"""Bounded HTTP(S) download: an overall time limit and a size cap (no hanging job)."""

from __future__ import annotations

import signal
import threading
import time
import urllib.request
from pathlib import Path
from types import FrameType

CHUNK = 65536


class _Deadline(Exception):
    """Raised from the alarm handler when the overall time limit is reached."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Deadline


def fetch_bounded(url: str, dest: str | Path, *, timeout: float, max_bytes: int) -> int:
    """Write the body of ``url`` to ``dest``; return its size in bytes.

    Raises ``ValueError`` (one line, naming the URL and the limit) when the whole transfer
    takes longer than ``timeout`` seconds or the body is larger than ``max_bytes``, and for
    network errors. In the main thread a timer interrupts a blocked read (connection, headers
    or body); elsewhere the limit is checked between reads, each read waiting at most the time
    left.
    """
    start = time.monotonic()
    deadline = start + timeout
    main = threading.current_thread() is threading.main_thread()
    old = None
    if main:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    n = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - sha256 pinned
            length = r.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise ValueError(
                    f"{url}: the server announces {int(length)} bytes, more than the limit of "
                    f"{max_bytes}"
                )
            sock = getattr(getattr(r.fp, "raw", None), "_sock", None)
            with open(dest, "wb") as out:
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise _Deadline
                    if sock is not None:
                        sock.settimeout(left)
                    chunk = r.read1(CHUNK) if hasattr(r, "read1") else r.read(CHUNK)
                    if not chunk:
                        break
                    n += len(chunk)
                    if n > max_bytes:
                        raise ValueError(f"{url}: more than the limit of {max_bytes} bytes")
                    out.write(chunk)
    except (_Deadline, TimeoutError):
        raise ValueError(
            f"{url}: download not finished within the overall limit of {timeout:g} s "
            f"({n} bytes received)"
        ) from None
    except OSError as exc:  # URLError, HTTPError, connection errors
        raise ValueError(f"{url}: download failed ({exc})") from None
    finally:
        if main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    return n
