"""Centroid files of the subtype classifier: genefu's ``pam50_model.csv`` layout, tables of
reference gene centres, the UNC bioclassifier's example set, and the pinned download (sha256).

:mod:`her2het.subtype` builds its :class:`~her2het.subtype.Centroids` from these tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from her2het import genes as G

__all__ = [
    "check_sha256",
    "download",
    "read_genefu_table",
    "read_reference_centres",
    "read_reference_set",
    "read_centroid_table",
]


_CENTROID_LINE = re.compile(r"^#\s*centroid\.([A-Za-z0-9_]+)\s*:\s*(.*)$")


def read_genefu_table(path: str | Path) -> pd.DataFrame:
    """The centroid table of a file in genefu's ``pam50_model.csv`` layout: genes (current
    symbols) x classes, the PAM50 classes first. Errors (``ValueError``) name the line."""
    classes: dict[str, list[float]] = {}
    class_line: dict[str, int] = {}
    probes: list[str] = []
    header: list[str] | None = None
    with open(path, encoding="utf-8-sig") as fh:
        for i, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                m = _CENTROID_LINE.match(line)
                if m:
                    try:
                        classes[m.group(1)] = [
                            float(v) for v in m.group(2).replace(",", " ").split()
                        ]
                    except ValueError:
                        raise ValueError(
                            f"{path}, line {i}: centroid values must be numbers"
                        ) from None
                    class_line[m.group(1)] = i
                    bad = [v for v in classes[m.group(1)] if not np.isfinite(v)]
                    if bad:
                        raise ValueError(
                            f"{path}, line {i}: centroid.{m.group(1)} holds {bad[0]} "
                            "(centroid values must be finite numbers)"
                        )
                continue
            fields = [f.strip().strip('"') for f in line.split(",")]
            if header is None:
                header = fields
                if "probe" not in header:
                    raise ValueError(f"{path}, line {i}: expected a header with column 'probe'")
                continue
            if len(fields) != len(header):
                raise ValueError(
                    f"{path}, line {i}: has {len(fields)} comma-separated fields, header has "
                    f"{len(header)}"
                )
            probe = fields[header.index("probe")]
            if not probe:
                raise ValueError(f"{path}, line {i}, column 'probe': value is missing")
            probes.append(probe)
    if not classes:
        raise ValueError(f"{path}: no '# centroid.<Class>: ...' line found")
    for name, vals in classes.items():
        if len(vals) != len(probes):
            raise ValueError(
                f"{path}, line {class_line[name]}: centroid.{name} has {len(vals)} values for "
                f"{len(probes)} probes"
            )
    genes = [G.PAM50_SYNONYMS.get(p, p) for p in probes]
    tab = pd.DataFrame(classes, index=pd.Index(genes, name="gene"))
    order = [s for s in G.SUBTYPES if s in tab.columns] + [
        s for s in tab.columns if s not in G.SUBTYPES
    ]
    return tab[order]


def read_reference_centres(path: str | Path, column: str = "centre") -> pd.Series:
    """Gene centres from a TSV with columns ``gene`` and ``column`` (outdated symbols renamed)."""
    tab = pd.read_csv(path, sep="\t")
    for col in ("gene", column):
        if col not in tab.columns:
            raise ValueError(f"{path}: no column {col!r} (columns: {', '.join(tab.columns)})")
    return tab.set_index(tab["gene"].replace(G.PAM50_SYNONYMS))[column].astype(float)


def read_reference_set(folder: str | Path) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """The UNC bioclassifier's example set: expression, its own calls and genefu's centroids.

    ``folder`` holds ``input_200subjects.tsv`` (genes x tumours, log2 microarray; the first
    row ``T`` is ER status and is dropped), ``original_calls_200subjects.tsv`` (column
    ``Call``) and ``genefu_pam50_model.csv``. Returns tumours x genes (current symbols; NaN
    where a value is missing), the calls and the centroid table
    (:func:`her2het.subtype.reference_set` makes them the classifier's inputs).
    """
    folder = Path(folder)
    raw = pd.read_csv(folder / "input_200subjects.tsv", sep="\t", index_col=0)
    x = raw.drop(index="T", errors="ignore").astype(float).T.rename(columns=G.PAM50_SYNONYMS)
    calls = pd.read_csv(folder / "original_calls_200subjects.tsv", sep="\t", index_col=0)
    return x, calls["Call"], read_genefu_table(folder / "genefu_pam50_model.csv")


def read_centroid_table(path: str | Path, sha256: str | None = None) -> pd.DataFrame:
    """A genefu-layout centroid file (:func:`read_genefu_table`), its sha256 checked first
    when ``sha256`` is given (:func:`check_sha256`)."""
    check_sha256(path, sha256)
    return read_genefu_table(path)


def check_sha256(path: str | Path, expected: str | None) -> None:
    """Raise ``ValueError`` when the file's sha256 is not ``expected`` (no check when None)."""
    if not expected:
        return
    import hashlib

    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest.lower() != expected.strip().lower():
        raise ValueError(f"{path}: sha256 is {digest}, expected {expected} (subtype.sha256)")


def download(
    url: str,
    dest: str | Path,
    sha256: str,
    timeout: float = 120.0,
    max_bytes: int = 10_000_000,
) -> None:
    """Fetch ``url`` to ``dest``, checking its sha256 first; nothing is left on failure.

    Bounded: the whole download (connection, headers, body) must end within ``timeout``
    seconds and the file must not exceed ``max_bytes`` (genefu's centroid file is ~20 kB);
    a server that trickles bytes or sends without end is cut off with a ``ValueError``.
    """
    from her2het.io.fetch import fetch_bounded

    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".part")
    try:
        fetch_bounded(url, tmp, timeout=timeout, max_bytes=max_bytes)
        check_sha256(tmp, sha256)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
