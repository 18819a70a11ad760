"""The exploration notebooks: committed without outputs, and each runs on a finished demo run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
EXPECTED = {
    "01_cohort_overview",
    "02_expression_and_scores",
    "03_fish_heterogeneity",
    "04_response_and_outcome",
}
FIRST_LINE = 'RESULTS = os.environ.get("HER2HET_RESULTS", "results")'


def test_notebooks_present() -> None:
    assert {p.stem for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean(path: Path) -> None:
    """Committed without outputs; results located through HER2HET_RESULTS; says SIMULATED."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert cell.get("outputs", []) == [], f"{path.name}: committed with outputs"
        assert cell.get("execution_count") is None, f"{path.name}: committed with counts"
    assert FIRST_LINE in code[0].source
    assert nb.cells[0].cell_type == "markdown" and "SIMULATED" in nb.cells[0].source
    source = "\n".join(c.source for c in code)
    assert "her2het.load_results(RESULTS)" in source
    assert "res.data_source" in source
    assert "read_csv" not in source and "read_h5ad" not in source  # only through load_results


def _runs_this_python(argv0: str) -> bool:
    """Whether a kernelspec's interpreter is this test's interpreter (jupyter_client replaces
    a bare ``python``/``python3``/``python3.X`` by ``sys.executable``)."""
    major, minor = sys.version_info[:2]
    if argv0 in {"python", f"python{major}", f"python{major}.{minor}"}:
        return True
    return os.path.abspath(argv0) == os.path.abspath(sys.executable)


@pytest.fixture(scope="module")
def python3_kernel(tmp_path_factory: pytest.TempPathFactory) -> str | None:
    """A JUPYTER_PATH entry whose ``python3`` kernel runs this interpreter, or None when the
    installed ``python3`` kernelspec already does."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
        if spec.argv and _runs_this_python(spec.argv[0]):
            return None
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("kernel")
    install(prefix=str(prefix), kernel_name="python3")
    return str(prefix / "share" / "jupyter")


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in root.rglob("*") if p.is_file()}


def _output_text(nb: nbformat.NotebookNode) -> str:
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type == "error":
                parts.append(f"{out.ename}: {out.evalue}")
            else:
                data = out.get("data", {})
                parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


@pytest.mark.e2e
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(
    path: Path,
    small_run: Path,
    python3_kernel: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    results = small_run / "results"
    monkeypatch.setenv("HER2HET_RESULTS", str(results))
    # IPython history and matplotlib caches go to the temporary directory, too
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "matplotlib"))
    if python3_kernel is not None:
        paths = [python3_kernel, os.environ.get("JUPYTER_PATH", "")]
        monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(p for p in paths if p))
    work = tmp_path / "cwd"
    work.mkdir()
    before = _snapshot(results)

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}")

    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.get("execution_count") is not None, f"{path.name}: cell {i} did not run"
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{path.name}: cell {i} raised {errors[0].ename}"
    assert "SIMULATED" in _output_text(nb)
    assert _snapshot(results) == before, f"{path.name} changed files under {results}"
    assert list(work.iterdir()) == [], f"{path.name} wrote into its working directory"
