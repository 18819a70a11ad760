"""Open a Snakemake HTML report in headless Chromium and record what a reader sees.

Snakemake 9 writes its report as one self-contained page holding a React app: a navbar
lists the result categories; a category (and, if it has several, a subcategory) shows a
table of results, each row with an "eye" button (display the figure in the main pane, or
download a table) and an "info" button (caption, rule, size). Figures only appear after
these clicks, so a static DOM dump cannot show them.

This module drives the real browser through the Chrome DevTools Protocol over
``--remote-debugging-pipe`` (standard library only; Pillow, a matplotlib dependency, decodes
screenshots). It walks every category and subcategory with real mouse clicks (each aimed at
an element only once it has stopped moving and nothing covers it, and repeated if it has no
effect), opens each result's view and info buttons, and for each figure records the decoded
size of the ``<img>``, its on-screen box, whether it is the topmost element there, and a
screenshot of exactly that screen area. CSS transitions are played 10x faster (DevTools
``Animation.setPlaybackRate``); the page itself is not modified.
"""

from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import select
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from PIL import Image

CHROMIUM = "chromium"
WINDOW = (1600, 1200)
GENERAL_MENU = ("Workflow", "Statistics", "About")

# The main pane (ContentDisplay) is the `grow` sibling of the navbar.
CONTENT_IMG = "document.querySelector('#app > div > div.grow img')"
# A short fingerprint of an image's (data URI) source, to notice when the pane changes.
SRC_KEY = "(img.src.length + ':' + img.src.slice(-64))"
RESULT_ROWS = "document.querySelectorAll('#app nav table tbody tr')"

# Runs `cond` (a JS expression) until it is truthy or `ms` pass; resolves to its value or null.
WAIT_JS = """new Promise((resolve) => {{
  const t0 = performance.now();
  const tick = () => {{
    let v = null;
    try {{ v = ({cond}); }} catch (err) {{ v = null; }}
    if (v) {{ resolve(v instanceof Node ? true : v); }}
    else if (performance.now() - t0 > {ms}) {{ resolve(null); }}
    else {{ setTimeout(tick, 20); }}
  }};
  tick();
}})"""

# Scrolls the element into view, waits until no CSS transition runs (the navbar animates its
# width) and its box is the same on two looks, and resolves to its centre once a click there
# would land on it (null on timeout).
LOCATE_JS = """new Promise((resolve) => {{
  const t0 = performance.now();
  let last = null;
  const tick = () => {{
    const el = ({element});
    if (el) {{
      el.scrollIntoView({{block: 'center', inline: 'nearest'}});
      const r = el.getBoundingClientRect();
      const key = [r.left, r.top, r.width, r.height].join(',');
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const hit = document.elementFromPoint(x, y);
      const moving = document.getAnimations().some(
        (a) => a instanceof CSSTransition && a.playState === 'running');
      const ok = r.width > 0 && r.height > 0 && !moving && !!hit
        && (hit === el || el.contains(hit));
      if (ok && key === last) {{ resolve({{x: x, y: y}}); return; }}
      last = key;
    }}
    if (performance.now() - t0 > {ms}) {{ resolve(null); }} else {{ setTimeout(tick, 16); }}
  }};
  tick();
}})"""

# Describes the figure in the main pane once a new image (src != previous) has decoded.
IMAGE_JS = """(() => {{
  const img = {img};
  if (!img || {key} === {previous} || !img.complete || img.naturalWidth === 0) return null;
  const r = img.getBoundingClientRect();
  const x0 = Math.max(r.left, 0), y0 = Math.max(r.top, 0);
  const x1 = Math.min(r.right, window.innerWidth), y1 = Math.min(r.bottom, window.innerHeight);
  if (x1 <= x0 || y1 <= y0) return null;
  const hit = document.elementFromPoint((x0 + x1) / 2, (y0 + y1) / 2);
  const style = getComputedStyle(img);
  const listed = typeof results !== 'undefined' ? results[{label}] : undefined;
  return {{
    key: {key},
    natural_width: img.naturalWidth, natural_height: img.naturalHeight,
    box: [r.left, r.top, r.width, r.height], visible_box: [x0, y0, x1 - x0, y1 - y0],
    on_top: hit === img,
    shown: style.display !== 'none' && style.visibility === 'visible' && style.opacity === '1',
    matches_entry: listed !== undefined && listed.data_uri === img.src,
  }};
}})()"""

TABLE_JS = """(() => {
  const rows = [...document.querySelectorAll('#app nav table tbody tr')];
  if (rows.length === 0) return null;
  return rows.map((tr) => {
    const tds = [...tr.children];
    const cells = tds.slice(0, -1).map((td) => td.textContent.trim());
    const view = tds[tds.length - 1].querySelector('a');
    return {cells: cells, href: view ? (view.getAttribute('href') || '').slice(0, 80) : null};
  });
})()"""


class BrowserError(RuntimeError):
    """Chromium failed, or the report could not be driven as a reader would."""


@dataclass(frozen=True)
class FigureView:
    """What the main pane shows after clicking a figure's "eye" button.

    Attributes
    ----------
    natural_width, natural_height : int
        Decoded size of the ``<img>`` in pixels (0 if the browser could not decode it).
    box : tuple of float
        ``(left, top, width, height)`` of the image in CSS pixels (window is 1600 x 1200).
    visible_box : tuple of float
        The part of ``box`` inside the window (what the screenshot shows).
    on_top : bool
        The element at the centre of the visible part of the image is the image itself.
    shown : bool
        Computed style is displayed, visible and fully opaque.
    matches_entry : bool
        The image source is the file the clicked row stands for (report's embedded data).
    colours : int
        Distinct colours in a screenshot of the image's on-screen area.
    ink_fraction : float
        Fraction of screenshot pixels differing from its most common (background) colour.
    screenshot : Path
        That screenshot, as PNG.
    """

    natural_width: int
    natural_height: int
    box: tuple[float, float, float, float]
    visible_box: tuple[float, float, float, float]
    on_top: bool
    shown: bool
    matches_entry: bool
    colours: int
    ink_fraction: float
    screenshot: Path

    @property
    def visible(self) -> bool:
        """Decoded, laid out with non-zero size, on top, and the screen area is not blank."""
        return (
            self.natural_width > 0
            and self.box[2] > 0
            and self.box[3] > 0
            and self.on_top
            and self.shown
            and self.colours > 1
            and self.ink_fraction > 0.01
        )

    @property
    def fully_in_view(self) -> bool:
        """The whole image lies inside the window (nothing cut off at an edge)."""
        return all(abs(a - b) < 1 for a, b in zip(self.box, self.visible_box, strict=True))


@dataclass(frozen=True)
class ResultEntry:
    """One row of a result table in the report's navbar.

    Attributes
    ----------
    category : str
        Category as listed in the navbar menu.
    subcategory : str or None
        Subcategory clicked to reach the row; None if the category has only one (the
        report then goes straight to the table).
    cells : tuple of str
        Texts of the row's label cells (the file path for results without labels).
    kind : str
        ``"image"`` or ``"frame"`` (HTML/PDF shown in the main pane), or, for results
        the eye button downloads, the MIME type of the download.
    caption : str
        Text under "Description" in the result's info panel ("" if none).
    figure : FigureView or None
        For ``kind == "image"``: what the main pane showed.
    """

    category: str
    subcategory: str | None
    cells: tuple[str, ...]
    kind: str
    caption: str
    figure: FigureView | None = None

    @property
    def label(self) -> str:
        """The row's label (its path for results without labels)."""
        return " / ".join(self.cells)

    @property
    def name(self) -> str:
        """Base name of the label, e.g. ``qc.png``."""
        return self.label.rsplit("/", 1)[-1]


@dataclass
class ReportView:
    """What a reader of the report sees in Chromium.

    Attributes
    ----------
    title : str
        ``document.title``.
    app_rendered : bool
        The loading screen is hidden and the React app drew its navbar.
    description : str
        Text of the workflow description on the landing page.
    menu : list of str
        Navbar menu entries on the landing page.
    categories : list of str
        Result categories in the menu.
    entries : list of ResultEntry
        Every result row, in navbar order.
    errors : list of str
        Uncaught JavaScript exceptions and ``console.error`` messages.
    seconds : float
        Wall time from launching Chromium to closing it.
    survivors : list of int
        Processes of Chromium's process group still running after it was closed.
    """

    title: str = ""
    app_rendered: bool = False
    description: str = ""
    menu: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    entries: list[ResultEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    survivors: list[int] = field(default_factory=list)

    @property
    def figures(self) -> dict[str, FigureView]:
        """Displayed figures by base name (e.g. ``"qc.png"``)."""
        return {e.name: e.figure for e in self.entries if e.figure is not None}

    @property
    def names(self) -> list[str]:
        """Base names of all listed results."""
        return [e.name for e in self.entries]


def _live_in_group(pgid: int) -> list[int]:
    """PIDs of processes in process group ``pgid`` that are still running (not zombies)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited meanwhile
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            pids.append(int(stat.parent.name))
    return pids


class Chromium:
    """Headless Chromium driven over ``--remote-debugging-pipe`` (CDP, flat sessions).

    Parameters
    ----------
    workdir : Path
        Throwaway directory for the profile (``--user-data-dir``) and Chromium's log.
    timeout : float
        Seconds to wait for any single protocol reply.

    Notes
    -----
    Use as a context manager: on exit the browser is asked to close (``Browser.close``),
    then its whole process group (it is started in a new session) is killed; ``survivors``
    lists any process of that group still running 5 s later (it should be empty).
    """

    def __init__(self, workdir: Path, timeout: float = 30.0) -> None:
        self.workdir = workdir
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.session: str | None = None
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._buffer = b""
        self._to_browser = -1
        self._from_browser = -1
        self.survivors: list[int] = []

    def __enter__(self) -> Chromium:
        exe = shutil.which(CHROMIUM)
        if exe is None:
            raise BrowserError(f"{CHROMIUM!r} is not on PATH")
        self.workdir.mkdir(parents=True, exist_ok=True)
        profile = self.workdir / "profile"
        cmd_read, cmd_write = os.pipe()  # we write commands, Chromium reads fd 3
        resp_read, resp_write = os.pipe()  # Chromium writes replies on fd 4

        def child_fds() -> None:  # in the child, before exec: fds 3 and 4 as CDP expects
            cmd = fcntl.fcntl(cmd_read, fcntl.F_DUPFD, 10)
            resp = fcntl.fcntl(resp_write, fcntl.F_DUPFD, 10)
            os.dup2(cmd, 3)
            os.dup2(resp, 4)
            os.close(cmd)
            os.close(resp)

        args = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
        ]
        with open(self.workdir / "chromium.log", "wb") as log:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                close_fds=False,  # fds 3/4 are set up by child_fds; others are non-inheritable
                preexec_fn=child_fds,
                start_new_session=True,
            )
        os.close(cmd_read)
        os.close(resp_write)
        self._to_browser, self._from_browser = cmd_write, resp_read
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.call(
                "Target.attachToTarget", {"targetId": target, "flatten": True}
            )["sessionId"]
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the browser; kill its process group if it does not exit in time."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        try:
            if proc.poll() is None:
                try:
                    self._send("Browser.close", {}, session=None)
                except OSError:
                    pass
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            try:  # leftover helpers (zygote, GPU/utility processes) share the group
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if proc.poll() is None:
                proc.wait(timeout=5)
            deadline = time.monotonic() + 5
            self.survivors = _live_in_group(proc.pid)
            while self.survivors and time.monotonic() < deadline:
                time.sleep(0.05)
                self.survivors = _live_in_group(proc.pid)
            for fd in (self._to_browser, self._from_browser):
                if fd >= 0:
                    os.close(fd)
            self._to_browser = self._from_browser = -1

    def log_tail(self, chars: int = 2000) -> str:
        """The end of Chromium's stdout/stderr."""
        path = self.workdir / "chromium.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def _send(self, method: str, params: dict[str, Any], session: str | None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_browser, data) :]
        return self._next_id

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(remaining, 0))
            if not ready:
                raise BrowserError(f"no reply from Chromium in time; log:\n{self.log_tail()}")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium closed the pipe; log:\n{self.log_tail()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        page: bool = False,
        extra: float = 0.0,
    ) -> dict[str, Any]:
        """Send one CDP command (to the browser, or to the page if ``page``) and return its result.

        The reply is awaited for ``timeout + extra`` seconds. Events that arrive meanwhile are
        appended to ``events``.
        """
        if self.proc is None:
            raise BrowserError("Chromium is not running")
        msg_id = self._send(method, params or {}, self.session if page else None)
        deadline = time.monotonic() + self.timeout + extra
        while True:
            message = self._receive(deadline)
            if message.get("id") == msg_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str, *, await_promise: bool = False, extra: float = 0.0) -> Any:
        """Evaluate JavaScript in the page and return its value (JSON-serialisable).

        ``extra`` seconds are added to the reply timeout (for promises that poll).
        """
        reply = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": await_promise},
            page=True,
            extra=extra,
        )
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript failed: {text}\n{expression[:300]}")
        return reply.get("result", {}).get("value")

    def wait_for(self, condition: str, what: str, ms: int = 10_000) -> Any:
        """Poll a JavaScript expression in the page until it is truthy; return its value."""
        js = WAIT_JS.format(cond=condition, ms=ms)
        value = self.evaluate(js, await_promise=True, extra=ms / 1000)
        if not value:
            raise BrowserError(f"timed out after {ms} ms waiting for {what}")
        return value

    def click(self, element: str, what: str, expect: str, ms: int = 10_000, tries: int = 3) -> Any:
        """Click the centre of an element with real mouse events; return the click's effect.

        Parameters
        ----------
        element : str
            JavaScript expression giving the element.
        what : str
            Its description, for error messages.
        expect : str
            JavaScript expression that becomes truthy once the click has had its effect;
            its value is returned.
        ms : int
            Milliseconds to wait for the element to be clickable.
        tries : int
            Clicks to try if the effect does not appear within 3 s (a loaded machine can
            drop a click while the page is still settling).

        Raises
        ------
        BrowserError
            If the element never appears, has no size or stays covered by another one, or
            no click has the expected effect.
        """
        for _ in range(tries):
            js = LOCATE_JS.format(element=element, ms=ms)
            where = self.evaluate(js, await_promise=True, extra=ms / 1000)
            if not where:
                raise BrowserError(f"cannot click {what}: missing, empty, covered or moving")
            base = {"x": where["x"], "y": where["y"], "button": "left", "clickCount": 1}
            for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
                self.call("Input.dispatchMouseEvent", {"type": kind, **base}, page=True)
            effect = self.evaluate(
                WAIT_JS.format(cond=expect, ms=3000), await_promise=True, extra=3.0
            )
            if effect:
                return effect
        raise BrowserError(f"clicking {what} {tries} times had no effect")

    def screenshot(self, box: tuple[float, float, float, float]) -> bytes:
        """PNG of the screen area ``(left, top, width, height)`` in CSS pixels."""
        x, y, w, h = box
        clip = {"x": x, "y": y, "width": w, "height": h, "scale": 1}
        reply = self.call("Page.captureScreenshot", {"format": "png", "clip": clip}, page=True)
        return base64.b64decode(reply["data"])

    def errors(self) -> list[str]:
        """Uncaught exceptions and ``console.error`` messages seen so far."""
        out = []
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                out.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif event.get("method") == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "assert",
            ):
                out.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                )
        return out


def _js(value: object) -> str:
    """A Python value as a JavaScript literal."""
    return json.dumps(value)


def _link(text: str, scope: str = "#app nav") -> str:
    """JS expression: the first link under ``scope`` whose text is ``text``."""
    links = f"[...document.querySelectorAll({_js(scope + ' a')})]"
    return f"{links}.find((a) => a.textContent.trim() === {_js(text)})"


def _box(values: list[float]) -> tuple[float, float, float, float]:
    """``[left, top, width, height]`` from JavaScript as a tuple."""
    left, top, width, height = (float(v) for v in values)
    return left, top, width, height


def _pixels(png: bytes) -> tuple[int, float]:
    """Distinct colours and the fraction of pixels that differ from the most common one."""
    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
        total = rgb.width * rgb.height
        colours = rgb.getcolors(maxcolors=total) or []
    if not colours or total == 0:
        return 0, 0.0
    return len(colours), 1.0 - max(count for count, _ in colours) / total


class _ReportDriver:
    """Navigates the report's navbar the way a reader does."""

    def __init__(self, browser: Chromium, shots: Path) -> None:
        self.b = browser
        self.shots = shots
        self.previous = ""
        self.n_shots = 0

    def home(self) -> None:
        home = "document.querySelector('#app nav ol li a')"
        self.b.click(home, "the home breadcrumb", expect=_link("Workflow"))

    def open_category(self, category: str) -> list[str] | None:
        """Click a category; return its subcategories, or None if it shows a table directly."""
        state = self.b.click(
            _link(category),
            f"category {category!r}",
            expect=f"{RESULT_ROWS}.length > 0 ? 'table' : "
            f"(!{_link('Workflow')} && document.querySelectorAll('#app nav ul li a').length > 0"
            " ? 'list' : null)",
        )
        if state == "table":
            return None
        labels: list[str] = self.b.evaluate(
            "[...document.querySelectorAll('#app nav ul li a')].map((a) => a.textContent.trim())"
        )
        return labels

    def read_table(self, category: str, subcategory: str | None) -> list[ResultEntry]:
        """Read the visible result table and visit each row's view and info buttons."""
        rows = self.b.wait_for(TABLE_JS, f"the results of {category!r}/{subcategory!r}")
        back = subcategory if subcategory is not None else category
        entries = []
        for i, row in enumerate(rows):
            cells = tuple(row["cells"])
            href = row["href"] or ""
            figure = None
            if href == "#":
                kind, figure = self.view(i, cells)
            else:  # "data:<mime>;..." is a download
                kind = (
                    href[5:].split(";", 1)[0].split(",", 1)[0] if href.startswith("data:") else href
                )
            caption = self.caption(i, cells)
            self.b.click(
                _link(back, "#app nav ol"),
                f"the breadcrumb {back!r}",
                expect=f"{RESULT_ROWS}.length === {len(rows)}",
            )
            entries.append(ResultEntry(category, subcategory, cells, kind, caption, figure))
        return entries

    def _row_link(self, i: int, which: int) -> str:
        return f"{RESULT_ROWS}[{i}].lastElementChild.querySelectorAll('a')[{which}]"

    def view(self, i: int, cells: tuple[str, ...]) -> tuple[str, FigureView | None]:
        """Click row ``i``'s eye button and describe what the main pane shows."""
        shown = self.b.click(
            self._row_link(i, 0),
            f"the view button of {cells}",
            expect=f"(() => {{ const img = {CONTENT_IMG};"
            f" if (img && {SRC_KEY} !== {_js(self.previous)}) return 'image';"
            " return document.querySelector('#app > div > div.grow iframe') ? 'frame' : null; })()",
        )
        if shown != "image":
            return str(shown), None
        info = self.b.wait_for(
            IMAGE_JS.format(
                img=CONTENT_IMG, key=SRC_KEY, previous=_js(self.previous), label=_js(cells[0])
            ),
            f"the image of {cells} to decode and lay out",
        )
        self.previous = str(info["key"])
        box = _box(info["box"])
        visible = _box(info["visible_box"])
        png = self.b.screenshot(visible)
        self.n_shots += 1
        shot = self.shots / f"{self.n_shots:02d}_{Path(cells[-1]).stem}.png"
        shot.write_bytes(png)
        colours, ink = _pixels(png)
        return "image", FigureView(
            natural_width=int(info["natural_width"]),
            natural_height=int(info["natural_height"]),
            box=box,
            visible_box=visible,
            on_top=bool(info["on_top"]),
            shown=bool(info["shown"]),
            matches_entry=bool(info["matches_entry"]),
            colours=colours,
            ink_fraction=ink,
            screenshot=shot,
        )

    def caption(self, i: int, cells: tuple[str, ...]) -> str:
        """Click row ``i``'s info button and return the text under "Description"."""
        self.b.click(
            self._row_link(i, 1),
            f"the info button of {cells}",
            expect="[...document.querySelectorAll('#app nav ul > li')]"
            ".some((li) => li.textContent.trim() === 'Size')",
        )
        text = self.b.evaluate(
            "(() => { const li = document.querySelector('#app nav ul > li.prose');"
            " return li ? li.innerText.trim() : ''; })()"
        )
        return str(text)


def _walk(b: Chromium, html: Path, view: ReportView, shots: Path, timeout: float) -> None:
    """Load the report and visit every category, subcategory and result, filling ``view``."""
    b.call("Runtime.enable", page=True)
    b.call("Page.enable", page=True)
    # Play CSS transitions (the navbar animates its width on every view change) 10x faster.
    b.call("Animation.enable", page=True)
    b.call("Animation.setPlaybackRate", {"playbackRate": 10}, page=True)
    b.call("Page.navigate", {"url": html.resolve().as_uri()}, page=True)
    b.wait_for(
        "document.readyState === 'complete' && document.querySelector('#app nav')"
        " && getComputedStyle(document.querySelector('#loading-screen')).display === 'none'",
        "the report app to render",
        ms=int(timeout * 1000),
    )
    view.app_rendered = True
    view.title = str(b.evaluate("document.title"))
    view.description = str(
        b.wait_for(
            "(() => { const d = document.querySelector('#app > div > div.grow .prose');"
            " return d && d.innerText.trim(); })()",
            "the workflow description",
        )
    )
    menu = b.evaluate(
        "[...document.querySelectorAll('#app nav ul li a')].map((a) => a.textContent.trim())"
    )
    view.menu = [str(m) for m in menu]
    view.categories = [m for m in view.menu if m not in GENERAL_MENU]
    driver = _ReportDriver(b, shots)
    for category in view.categories:
        subcategories = driver.open_category(category)
        if subcategories is None:
            view.entries += driver.read_table(category, None)
        else:
            for sub in subcategories:
                b.click(_link(sub), f"subcategory {sub!r}", expect=f"{RESULT_ROWS}.length > 0")
                view.entries += driver.read_table(category, sub)
                b.click(_link(category, "#app nav ol"), f"the breadcrumb {category!r}", _link(sub))
        driver.home()


def _diagnose(b: Chromium, workdir: Path) -> str:
    """After a failure: JavaScript errors, the navbar's text and a screenshot of the window."""
    lines = [f"page errors: {b.errors()}"]
    try:
        nav = b.evaluate("(document.querySelector('#app nav') || document.body).innerText")
        lines.append(f"navbar: {str(nav)[:1000]!r}")
        png = workdir / "failure.png"
        png.write_bytes(b.screenshot((0, 0, WINDOW[0], WINDOW[1])))
        lines.append(f"screenshot: {png}")
    except (BrowserError, OSError) as err:
        lines.append(f"(no more details: {err})")
    return "\n".join(lines)


def render_report(html: Path, workdir: Path, timeout: float = 30.0) -> ReportView:
    """Open a Snakemake report in headless Chromium and click through all of it.

    Parameters
    ----------
    html : Path
        The report (``snakemake --report report.html``).
    workdir : Path
        Scratch directory: Chromium profile and log, and ``shots/`` with one screenshot
        per displayed figure.
    timeout : float
        Seconds to wait for any single browser reply.

    Returns
    -------
    ReportView
        Title, description, menu, every result row (with caption, and for figures what
        was displayed) and any JavaScript errors.

    Raises
    ------
    BrowserError
        If Chromium is missing or fails, or an element a reader needs never appears or
        cannot be clicked.
    """
    start = time.monotonic()
    shots = workdir / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    view = ReportView()
    with Chromium(workdir, timeout=timeout) as b:
        try:
            _walk(b, html, view, shots, timeout)
        except BrowserError as err:
            raise BrowserError(f"{err}\n{_diagnose(b, workdir)}") from err
        view.errors = b.errors()
    view.survivors = b.survivors
    view.seconds = time.monotonic() - start
    return view
