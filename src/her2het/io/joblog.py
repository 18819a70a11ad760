"""Job scripts: an error always reaches the job log and, as one line, the terminal.

Every workflow script sends its stderr to the job's log (``sys.stderr = open(log, "w")``). When
the disk is full that log cannot be written either: Python then dies at exit with status 120
and an empty log, and the terminal shows nothing but the exit status. :func:`install` (run when
:mod:`her2het` is imported by a Snakemake script) replaces the exception hook so that

* on "No space left on device" the job's partial outputs are removed first (Snakemake deletes
  them anyway), which frees the space the message needs;
* the traceback is appended to the log, written unbuffered;
* one line ``Error in <script>: <exception> (log: <file>)`` goes to the terminal;

and, at exit, a log that cannot be flushed is reported on the terminal instead of ending with
status 120.
"""

from __future__ import annotations

import atexit
import errno
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any


def _snakemake() -> Any:
    return getattr(sys.modules.get("__main__"), "snakemake", None)


def _no_space(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if "No space left on device" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _release_log() -> None:
    """Put the terminal back as stderr and close the log stream (its buffer may be lost)."""
    stream = sys.stderr
    sys.stderr = sys.__stderr__
    if stream is not sys.__stderr__ and stream is not None:
        try:
            stream.close()
        except (OSError, ValueError):
            pass


def _append(path: str, text: str) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return False
    try:
        data = text.encode("utf-8", "replace")
        while data:
            n = os.write(fd, data)
            data = data[n:]
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    smk = _snakemake()
    log = str(smk.log[0]) if smk is not None and len(smk.log) else None
    full = _no_space(exc)
    if full and smk is not None:
        for f in smk.output:
            try:
                if Path(f).is_file():
                    Path(f).unlink()
            except OSError:
                pass
    text = "".join(traceback.format_exception(kind, exc, tb))
    if log is not None and sys.stderr is not sys.__stderr__:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        _release_log()
        written = _append(log, text)
    else:
        written = False
        sys.__stderr__.write(text)
    script = Path(sys.argv[0]).name.split(".", 1)[-1] if sys.argv and sys.argv[0] else "job"
    summary = " ".join(f"{kind.__name__}: {exc}".split())
    where = f"log: {log}" if written else f"the log {log} could not be written" if log else ""
    sys.__stderr__.write(f"Error in {script}: {summary}" + (f" ({where})" if where else "") + "\n")
    sys.__stderr__.flush()


def _flush_at_exit() -> None:
    stream = sys.stderr
    if stream is sys.__stderr__ or stream is None:
        return
    try:
        stream.flush()
    except OSError as exc:
        _release_log()
        smk = _snakemake()
        log = str(smk.log[0]) if smk is not None and len(smk.log) else "the job log"
        sys.__stderr__.write(f"Error: cannot write {log}: {exc.strerror or exc}\n")
        sys.__stderr__.flush()
        os._exit(1)
    except ValueError:
        pass


def install() -> None:
    """Install the exception hook and the exit-time log check (idempotent)."""
    if sys.excepthook is not _hook:
        sys.excepthook = _hook
        atexit.register(_flush_at_exit)
