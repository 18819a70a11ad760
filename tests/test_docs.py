"""The documentation cannot drift from the code: config/README.md and docs/output.md.

* ``config/README.md`` must equal what ``python -m her2het.configdoc`` writes from the config
  schema (``make docs`` regenerates it).
* ``docs/output.md`` must document every column of every ``.tsv`` file that a run writes under
  ``results/``. Its format: one heading per file, ``### `results/<path>` ``, followed by a
  Markdown table whose first cell names the column(s) in backticks::

      ### `results/qc/samples.tsv`

      | column | meaning |
      |---|---|
      | `sample` | sample ID |
      | `PC<k>` | score on principal component k |

  Heading paths and column names may hold placeholders in angle brackets for names that
  depend on the data (per sample, per gene set, per contrast ...). Only the placeholders of
  :data:`PLACEHOLDERS` are allowed, each with the pattern it stands for; a file path matches
  the most specific heading (fewest placeholders, then the most literal text).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

OUTPUT_MD = REPO / "docs" / "output.md"

#: Placeholder -> regular expression it stands for, in column names.
PLACEHOLDERS: dict[str, str] = {
    "sample": r"[A-Za-z0-9][A-Za-z0-9_.-]*",  # a sample ID (per-sample matrices)
    "k": r"[0-9]+",  # a component number (PC1, PC2, ...)
    "subtype": r"LumA|LumB|Her2|Basal|Normal",  # a PAM50-like subtype
    "method": r"ssgsea|zscore",  # a gene-set scoring method
    "set": r"[A-Za-z0-9_.-]+",  # a gene-set name
    "level": r"[A-Za-z0-9_.-]+",  # a level of a DE interaction column
    "x": r"[A-Za-z0-9_.+-]+",  # any other data-dependent name (documented in the row)
}

#: In heading paths a placeholder is one path component (or part of one).
PATH_PLACEHOLDER = r"[^/]+"

_HEADING = re.compile(r"^#{2,4} `(results/[^`]+)`\s*$")
_ROW = re.compile(r"^\|\s*((?:`[^`]+`(?:\s*,\s*)?)+)\s*\|")
_NAME = re.compile(r"`([^`]+)`")
_PLACEHOLDER = re.compile(r"<([a-z_]+)>")


def parse_output_doc(text: str) -> dict[str, list[str]]:
    """File path (as written in its heading) -> the column names documented under it."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m:
            current = m.group(1)
            sections.setdefault(current, [])
            continue
        if line.startswith("#"):
            current = None
            continue
        row = _ROW.match(line)
        if current is not None and row:
            sections[current].extend(_NAME.findall(row.group(1)))
    return sections


def _regex(name: str, placeholder: str | None = None) -> re.Pattern[str]:
    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(name):
        if placeholder is None and m.group(1) not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder <{m.group(1)}> in {name!r}")
        out.append(re.escape(name[pos : m.start()]))
        out.append(f"(?:{placeholder or PLACEHOLDERS[m.group(1)]})")
        pos = m.end()
    out.append(re.escape(name[pos:]))
    return re.compile("".join(out))


def section_for(rel: str, sections: dict[str, list[str]]) -> str | None:
    """The heading that documents the file ``rel`` (e.g. ``results/qc/samples.tsv``)."""
    hits = [h for h in sections if _regex(h, PATH_PLACEHOLDER).fullmatch(rel)]
    if not hits:
        return None
    return min(hits, key=lambda h: (len(_PLACEHOLDER.findall(h)), -len(h)))


def _header(file: Path) -> list[str]:
    """Column names: the first line that is not a comment (MultiQC custom content starts with
    ``#`` lines of section metadata)."""
    with file.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                return line.rstrip("\n").split("\t")
    return []


def undocumented(results: Path, text: str) -> dict[str, list[str]]:
    """Per ``.tsv`` file under ``results`` (relative path), its columns not in ``text``.

    A file with no section at all is reported with the entry ``"(no section)"``.
    """
    sections = parse_output_doc(text)
    patterns = {h: [_regex(c) for c in cols] for h, cols in sections.items()}
    out: dict[str, list[str]] = {}
    for file in sorted(results.rglob("*.tsv")):
        rel = "results/" + file.relative_to(results).as_posix()
        head = section_for(rel, sections)
        if head is None:
            out[rel] = ["(no section)"]
            continue
        columns = _header(file)
        missing = [c for c in columns if not any(p.fullmatch(c) for p in patterns[head])]
        if missing:
            out[rel] = missing
    return out


def test_config_readme_is_generated_from_the_schema() -> None:
    from her2het.configdoc import SCHEMA, render

    schema = yaml.safe_load((REPO / SCHEMA).read_text(encoding="utf-8"))
    committed = (REPO / "config" / "README.md").read_text(encoding="utf-8")
    assert committed == render(schema), "config/README.md is stale: run `make docs`"


def test_config_readme_names_every_schema_key() -> None:
    from her2het.configdoc import SCHEMA

    schema = yaml.safe_load((REPO / SCHEMA).read_text(encoding="utf-8"))
    text = (REPO / "config" / "README.md").read_text(encoding="utf-8")
    for section, node in schema["properties"].items():
        for key in node.get("properties", {}):
            assert f"`{section}.{key}`" in text


def test_output_doc_uses_only_known_placeholders() -> None:
    sections = parse_output_doc(OUTPUT_MD.read_text(encoding="utf-8"))
    assert len(sections) > 40
    for head, cols in sections.items():
        assert cols, f"{head}: no column rows"
        for c in cols:
            _regex(c)  # raises on an unknown placeholder


def test_undocumented_columns_are_found(tmp_path: Path) -> None:
    """The check fails when a column (or a whole file) is missing from the document."""
    res = tmp_path / "results"
    (res / "qc").mkdir(parents=True)
    (res / "de" / "contrasts").mkdir(parents=True)
    (res / "qc" / "samples.tsv").write_text("sample\tPC1\tPC2\tnew_column\n")
    (res / "de" / "contrasts" / "a_vs_b.tsv").write_text("gene\tlog2FC_in_1\n")
    (res / "de" / "contrasts" / "a_vs_b.summary.tsv").write_text("contrast\n")
    (res / "other.tsv").write_text("x\n")
    doc = (
        "### `results/qc/samples.tsv`\n\n| column | meaning |\n|---|---|\n"
        "| `sample` | ID |\n| `PC<k>` | a PC |\n\n"
        "### `results/de/contrasts/<contrast>.tsv`\n\n| column | meaning |\n|---|---|\n"
        "| `gene` | gene |\n| `log2FC_in_<level>` | per level |\n\n"
        "### `results/de/contrasts/<contrast>.summary.tsv`\n\n| column | meaning |\n"
        "|---|---|\n| `contrast`, `design` | names |\n"
    )
    assert undocumented(res, doc) == {
        "results/other.tsv": ["(no section)"],
        "results/qc/samples.tsv": ["new_column"],
    }


@pytest.mark.e2e
def test_output_doc_covers_every_column_of_the_small_demo(small_run: Path) -> None:
    """Every column of every table of a SIMULATED small-demo run is in docs/output.md."""
    results = small_run / "results"
    assert len(list(results.rglob("*.tsv"))) > 40
    missing = undocumented(results, OUTPUT_MD.read_text(encoding="utf-8"))
    assert not missing, f"columns missing from docs/output.md: {missing}"


def test_readme_layout_lists_only_paths_that_exist() -> None:
    """The README's layout tree names real files and directories; a renamed or removed module
    left in the tree fails here."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    tree = section.split("```text", 1)[1].split("```", 1)[0]
    paths = [line.split()[0] for line in tree.splitlines() if line.strip()]
    assert len(paths) >= 20, paths
    missing = [p for p in paths if not (REPO / p).exists()]
    assert not missing, f"README layout names paths that do not exist: {missing}"
    # every stage module of the package that a reader looks for is listed
    for module in ("preflight.py", "io/sheets.py", "de.py", "fish.py", "subtype.py", "plots/"):
        assert f"src/her2het/{module}" in paths, module
