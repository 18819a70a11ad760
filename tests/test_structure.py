"""Structural rules of the code base (issue: one structural step), checked so they cannot drift."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import REPO

PACKAGE = REPO / "src" / "her2het"


def _private_imports(path: Path) -> list[str]:
    """Every ``from her2het... import _name`` in ``path`` (a private name of another module;
    a package's private submodules, e.g. ``from her2het.plots._style import subplots``, are
    fine: the name imported is public)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("her2het"):
            for alias in node.names:
                if alias.name.startswith("_") and alias.name != "__version__":
                    found.append(f"{path.name}: from {node.module} import {alias.name}")
    return found


def test_no_module_imports_a_private_name_of_another() -> None:
    files = [*PACKAGE.rglob("*.py"), *(REPO / "workflow" / "scripts").glob("*.py")]
    found = [hit for f in files for hit in _private_imports(f)]
    assert not found, "\n".join(found)


def test_the_private_import_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from her2het.plots._style import subplots\nfrom her2het.io.sheets import _shown_path\n"
    )
    assert _private_imports(bad) == ["bad.py: from her2het.io.sheets import _shown_path"]


def test_common_smk_holds_loading_constraints_and_inputs_only() -> None:
    """common.smk stays small: the checks live in her2het.preflight (unit-tested one by one)
    and it calls them once; the one exit for bad input is written once."""
    text = (REPO / "workflow" / "rules" / "common.smk").read_text()
    assert len(text.splitlines()) < 200
    assert text.count("preflight.run(") == 1
    assert text.count("Invalid input: ") == 1
    for rule_file in (REPO / "workflow" / "rules").glob("*.smk"):
        if rule_file.name != "common.smk":
            assert "Invalid input" not in rule_file.read_text(), rule_file.name


# Every module outside her2het.io: they take tables and return tables, figures or objects.
# Files are read and written by her2het.io alone (tables, sheets, GEO, GMT, centroid files,
# figures, AnnData, salmon's input and output, the demo's files, job logs).
OUTSIDE_IO = sorted(p for p in PACKAGE.rglob("*.py") if "io" not in p.relative_to(PACKAGE).parts)
FILE_ACCESS = re.compile(
    r"\bopen\(|read_csv|read_parquet|read_h5ad|\.read_text\(|\.read_bytes\(|\.to_csv\("
    r"|\.to_parquet\(|\.write_text\(|\.write_bytes\(|\.savefig\(|pickle\.(load|dump)"
    r"|_h5ad\(|\bos\.open\("
)


def _file_access(path: Path) -> list[str]:
    """Lines of ``path`` that read or write a file (docstrings and comments included, so a
    mention in prose counts too: keep such prose free of the call syntax)."""
    return [
        f"{path.name}:{i}: {line.strip()}"
        for i, line in enumerate(path.read_text().splitlines(), start=1)
        if FILE_ACCESS.search(line)
    ]


def test_no_module_outside_io_opens_a_file() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in OUTSIDE_IO}
    assert {"de.py", "subtype.py", "simulate.py", "results.py", "plots/_paper.py"} <= names
    found = [hit for f in OUTSIDE_IO for hit in _file_access(f)]
    assert not found, "\n".join(found)


def test_the_file_access_check_can_fail(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("import pandas as pd\n\ndef f(p):\n    return pd.read_csv(p, sep='\\t')\n")
    assert _file_access(f) == ["m.py:4: return pd.read_csv(p, sep='\\t')"]


def test_centring_values_are_the_schemas() -> None:
    """``subtype.centring`` is listed in the schema (what the config accepts) and in
    :data:`her2het.subtype.CENTRINGS` (what the function accepts); they must be one list."""
    from her2het import subtype
    from her2het.io.sheets import load_schema

    schema = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
    enum = schema["properties"]["subtype"]["properties"]["centring"]["enum"]
    assert tuple(enum) == subtype.CENTRINGS


def test_plots_lazy_exports_are_one_list_and_resolve() -> None:
    """``her2het.plots`` names its exports three times (type-checking imports, the lazy table
    ``_SOURCE``, ``__all__``); they must agree, and every name must load from its module."""
    from her2het import plots

    tree = ast.parse((PACKAGE / "plots" / "__init__.py").read_text())
    typed = {
        f"_{node.module.rsplit('._', 1)[1]}": {a.name for a in node.names}
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module.startswith("her2het.plots._")
    }
    lazy: dict[str, set[str]] = {}
    for name, module in plots._SOURCE.items():
        lazy.setdefault(module, set()).add(name)
    assert lazy == typed
    assert set(plots.__all__) == set(plots._SOURCE)
    for name in plots.__all__:
        assert getattr(plots, name) is getattr(
            __import__(f"her2het.plots.{plots._SOURCE[name]}", fromlist=[name]), name
        )
