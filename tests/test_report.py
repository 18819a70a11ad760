"""The Snakemake HTML report, opened in a real headless Chromium (no mocks)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .browser import CHROMIUM, render_report
from .conftest import run_snakemake

FIGURES = {
    "sample_flow.png",
    "qc.png",
    "scores_groups.png",
    "scores_pre_post.png",
    "subtype_transitions.png",
    "fish_ratio_distributions.png",
    "fish_spatial_patterns.png",
    "fish_het_prevalence.png",
    "fish_pre_post.png",
}


@pytest.mark.e2e
@pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason=f"{CHROMIUM!r} is not on PATH (install Debian's chromium to render the report)",
)
def test_report_renders_in_chromium(small_run: Path, tmp_path: Path) -> None:
    r = run_snakemake(small_run, "--report", "results/report_browser.html")
    assert r.returncode == 0, r.stderr[-3000:]
    html = small_run / "results" / "report_browser.html"

    view = render_report(html, tmp_path / "chromium")

    # The page renders: title, the React app's navbar, no JavaScript errors.
    assert view.title == "Snakemake Report"
    assert view.app_rendered
    assert view.errors == []
    # The landing page says the data are simulated.
    assert "SIMULATED" in view.description, view.description
    # The report lists the expected results, every one with a caption.
    assert view.categories, view.menu
    assert FIGURES <= set(view.names), sorted(view.names)
    assert any(n.startswith("volcano_") for n in view.names), sorted(view.names)
    assert [e.label for e in view.entries if not e.caption] == []
    # Every PNG the workflow drew is listed, and clicking it shows that image.
    drawn = {p.name for p in (small_run / "results" / "figures").rglob("*.png")}
    assert drawn <= set(view.figures), sorted(drawn - set(view.figures))
    assert all(e.kind == "image" for e in view.entries if e.name.endswith(".png"))
    for entry in view.entries:
        fig, name = entry.figure, entry.label
        if fig is None:
            continue
        assert fig.matches_entry, name
        assert fig.natural_width > 0 and fig.natural_height > 0, (name, fig)
        assert fig.box[2] > 0 and fig.box[3] > 0, (name, fig)
        assert fig.on_top and fig.shown, (name, fig)
        # The screenshot of the image's screen area is a drawing, not a blank box.
        assert fig.colours > 50 and fig.ink_fraction > 0.02, (name, fig)
        assert fig.visible, (name, fig)
    # The browser part stays quick, and no Chromium process outlives it.
    assert view.seconds < 60, view.seconds
    assert view.survivors == []
