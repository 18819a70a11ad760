"""GMT gene-set files (name, description, genes; tab-separated), as MSigDB distributes them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GeneSet:
    """One gene set: its name, its description (the project's sets name their source there),
    its genes in file order without duplicates, and the file it came from."""

    name: str
    description: str
    genes: tuple[str, ...]
    source: str


def read_gmt(path: str | Path) -> list[GeneSet]:
    """Read a GMT file (name, description, genes; tab-separated). Errors name file and line."""
    out: list[GeneSet] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8-sig") as fh:
        for i, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) < 3:
                raise ValueError(
                    f"{path}, line {i}: a GMT line needs a name, a description and genes, "
                    "separated by tabs"
                )
            name = fields[0].strip()
            if name in seen:
                raise ValueError(f"{path}, line {i}: gene set {name!r} is defined twice")
            seen.add(name)
            genes = tuple(dict.fromkeys(g.strip() for g in fields[2:] if g.strip()))
            out.append(GeneSet(name, fields[1].strip(), genes, str(path)))
    if not out:
        raise ValueError(f"{path}: no gene set found")
    return out
