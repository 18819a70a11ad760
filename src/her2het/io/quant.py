"""From salmon's per-sample transcript quantifications and the transcript annotation to
gene-level tables (the files of the quantification layer are read here).

* :func:`tx2gene_from_fasta` / :func:`tx2gene_from_gtf` / :func:`read_tx2gene` - the
  transcript -> gene table, from GENCODE-style FASTA headers
  (``>ENST…|ENSG…|OTTHUMG…|OTTHUMT…|TX-201|SYMBOL|len|biotype|``), from the ``transcript``
  lines of a GTF (``transcript_id``, ``gene_id``, ``gene_name``) or from a plain transcript ->
  gene table (TSV/CSV, the ``tx2gene`` data frame tximport users bring; config
  ``quant.tx2gene``). When the FASTA headers are bare transcript IDs and no table is given,
  :func:`tx2gene_from_fasta` falls back to transcript-level "genes" (each transcript its own
  gene) and the workflow prints a ``Warning:`` line (:func:`fasta_has_gene_names`).
* :func:`gene_level` - pytximport's ``tximport`` over every sample, aggregated to gene
  symbols (default) or gene IDs. ``counts`` are tximport's ``length_scaled_tpm`` counts
  (estimated counts rescaled so that they carry no transcript-length bias between samples, the
  recommended input of DESeq2 without an offset matrix), rounded to integers; ``estimated`` are
  the summed salmon ``NumReads`` without rescaling; ``tpm`` the summed TPM.
* :func:`salmon_stats` - reads, mapped reads, mapping rate and detected library type from
  salmon's ``aux_info/meta_info.json`` and ``lib_format_counts.json``.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from her2het.io.sheets import strip_version

TX2GENE_COLUMNS = ["transcript_id", "gene_id", "gene_name"]


class AnnotationError(ValueError):
    """The transcript annotation does not match the quantifications (message names the file)."""


def _open_text(path: str | Path):  # type: ignore[no-untyped-def]
    p = Path(path)
    if p.name.endswith(".gz"):
        return gzip.open(p, "rt", encoding="utf-8")
    return open(p, encoding="utf-8")


def _gene_fields(head: str) -> tuple[re.Match[str] | None, re.Match[str] | None]:
    return re.search(r"\bgene:(\S+)", head), re.search(r"\bgene_symbol:(\S+)", head)


def fasta_has_gene_names(path: str | Path) -> bool:
    """Whether the first header of a transcript FASTA names a gene (GENCODE ``|`` fields or
    Ensembl ``gene:``); False for bare transcript IDs such as ``>ENST00000284984``."""
    with _open_text(path) as fh:
        for line in fh:
            if line.startswith(">"):
                head = line[1:].strip()
                return "|" in head or _gene_fields(head)[0] is not None
    return False


def tx2gene_from_fasta(path: str | Path, *, transcript_fallback: bool = False) -> pd.DataFrame:
    """Transcript -> gene table from GENCODE-style FASTA headers.

    Headers without ``|`` (e.g. Ensembl cDNA: ``>ENST… cdna … gene:ENSG… gene_symbol:SYM``)
    are read from their ``gene:`` and ``gene_symbol:`` fields. With ``transcript_fallback``
    a FASTA whose headers name no gene at all (bare transcript IDs) gives a transcript-level
    table: ``gene_id`` and ``gene_name`` are the transcript ID. A FASTA where some headers
    name a gene and others do not is an error either way.
    """
    if transcript_fallback and not fasta_has_gene_names(path):
        ids: list[str] = []
        with _open_text(path) as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.startswith(">"):
                    continue
                head = line[1:].strip()
                if "|" in head or _gene_fields(head)[0] is not None:
                    raise AnnotationError(
                        f"{path}, line {lineno}: this header names a gene but the first does "
                        "not; give a transcript -> gene table in quant.tx2gene"
                    )
                ids.append(head.split()[0])
        df = pd.DataFrame({"transcript_id": ids, "gene_id": ids, "gene_name": ids})
        return _finish_tx2gene(df, path)
    rows: list[tuple[str, str, str]] = []
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.startswith(">"):
                continue
            head = line[1:].strip()
            if "|" in head:
                f = head.split("|")
                if len(f) < 6:
                    raise AnnotationError(
                        f"{path}, line {lineno}: GENCODE-style header needs at least 6 '|' fields "
                        f"(transcript|gene|…|…|transcript name|gene name), got {len(f)}"
                    )
                rows.append((f[0], f[1], f[5] or f[1]))
                continue
            tid = head.split()[0]
            gene, sym = _gene_fields(head)
            if gene is None:
                raise AnnotationError(
                    f"{path}, line {lineno}: header names no gene (expected GENCODE "
                    "'ENST|ENSG|…|SYMBOL|…' or Ensembl 'gene:ENSG… gene_symbol:SYMBOL'); "
                    "give a transcript -> gene table in quant.tx2gene or a GTF in quant.gtf"
                )
            rows.append((tid, gene.group(1), sym.group(1) if sym else gene.group(1)))
    return _finish_tx2gene(pd.DataFrame(rows, columns=TX2GENE_COLUMNS), path)


_ATTR = {k: re.compile(rf'{k} "([^"]+)"') for k in TX2GENE_COLUMNS}


def tx2gene_from_gtf(path: str | Path) -> pd.DataFrame:
    """Transcript -> gene table from the ``transcript`` features of a GTF (gzip or plain)."""
    rows: list[tuple[str, str, str]] = []
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) != 9:
                raise AnnotationError(
                    f"{path}, line {lineno}: a GTF line needs 9 tab-separated fields"
                )
            if f[2] != "transcript":
                continue
            m = {k: r.search(f[8]) for k, r in _ATTR.items()}
            if m["transcript_id"] is None or m["gene_id"] is None:
                raise AnnotationError(
                    f"{path}, line {lineno}, column 9: transcript without transcript_id or gene_id"
                )
            tid, gid = m["transcript_id"].group(1), m["gene_id"].group(1)
            rows.append((tid, gid, m["gene_name"].group(1) if m["gene_name"] else gid))
    return _finish_tx2gene(pd.DataFrame(rows, columns=TX2GENE_COLUMNS), path)


# Column names accepted in a tx2gene table (compared lower-case, spaces and dots as '_'):
# tximport's TXNAME/GENEID, Ensembl BioMart's "Transcript stable ID"/"Gene stable ID"/"Gene name".
TX2GENE_ALIASES: dict[str, tuple[str, ...]] = {
    "transcript_id": (
        "transcript_id", "transcript", "txname", "tx_name", "tx_id", "tx", "target_id",
        "ensembl_transcript_id", "transcript_stable_id",
    ),
    "gene_id": ("gene_id", "gene", "geneid", "ensembl_gene_id", "gene_stable_id"),
    "gene_name": (
        "gene_name", "symbol", "gene_symbol", "external_gene_name", "hgnc_symbol",
    ),
}  # fmt: skip


def read_tx2gene(path: str | Path) -> pd.DataFrame:
    """Read a user's transcript -> gene table (``quant.tx2gene``): TSV or CSV with a header.

    Columns (any order, extra columns ignored; names as in :data:`TX2GENE_ALIASES`, e.g.
    ``transcript_id``/``TXNAME`` and ``gene_id``/``GENEID``, optional ``gene_name``/``symbol``).
    A missing symbol is the gene ID. Raises :class:`her2het.io.sheets.InputError` with file, row
    and column on an unknown layout, an empty value, or a transcript listed under two genes
    (a transcript listed twice with the same gene is accepted once).

    Returns columns :data:`TX2GENE_COLUMNS`, one row per transcript.
    """
    from her2het.io.sheets import InputError, location

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    lines = text.splitlines()
    if not text.strip():
        raise InputError(f"{p}: file is empty (expected a header: transcript_id, gene_id)")
    if not lines[0].strip():
        raise InputError(f"{p}, line 1: empty; the first line must be the header")
    sep = "\t" if "\t" in lines[0] else ","
    header = [h.strip().strip('"') for h in lines[0].split(sep)]
    norm = [re.sub(r"[\s.]+", "_", h.lower()) for h in header]
    cols: dict[str, int] = {}
    for key, names in TX2GENE_ALIASES.items():
        hits = [i for i, h in enumerate(norm) if h in names]
        if len(hits) > 1:
            raise InputError(
                f"{p}, line 1, column '{header[hits[1]]}': a second {key} column "
                f"(first: '{header[hits[0]]}')"
            )
        if hits:
            cols[key] = hits[0]
    for key in ("transcript_id", "gene_id"):
        if key not in cols:
            raise InputError(
                f"{p}, line 1, column '{key}': required column is missing (header: "
                f"{', '.join(header)}; accepted names: {', '.join(TX2GENE_ALIASES[key])})"
            )
    rows: list[tuple[str, str, str]] = []
    numbers: list[int] = []  # data-row numbers (line number minus one)
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        f = [v.strip().strip('"') for v in line.split(sep)]
        if len(f) != len(header):
            raise InputError(
                f"{location(p, lineno - 1)}: has {len(f)} fields, header has {len(header)}"
            )
        vals = {k: f[i] for k, i in cols.items()}
        for key in ("transcript_id", "gene_id"):
            if not vals[key]:
                raise InputError(f"{location(p, lineno - 1, header[cols[key]])}: value is missing")
        rows.append(
            (vals["transcript_id"], vals["gene_id"], vals.get("gene_name") or vals["gene_id"])
        )
        numbers.append(lineno - 1)
    if not rows:
        raise InputError(f"{p}: header only, no data rows")
    df = pd.DataFrame(rows, columns=TX2GENE_COLUMNS)
    df.index = pd.Index(numbers, name="row")
    key = strip_version(df["transcript_id"])
    pairs = df.assign(key=key).drop_duplicates(["key", "gene_id"])
    dup = pairs["key"].duplicated()
    if dup.any():
        row = int(pairs.index[dup.to_numpy()][0])
        first = df.at[row, "transcript_id"]
        raise InputError(
            f"{location(p, row, header[cols['gene_id']])}: transcript {first!r} is assigned to "
            "more than one gene"
        )
    return df.loc[~key.duplicated().to_numpy()].reset_index(drop=True)


def _finish_tx2gene(df: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    if df.empty:
        raise AnnotationError(f"{path}: no transcripts found")
    dup = df["transcript_id"].duplicated(keep=False)
    if dup.any():
        first = df.loc[dup, "transcript_id"].iloc[0]
        same = df[df["transcript_id"] == first].drop_duplicates()
        if len(same) > 1:
            raise AnnotationError(f"{path}: transcript {first!r} is assigned to several genes")
        df = df.drop_duplicates("transcript_id")
    return df.reset_index(drop=True)


def check_annotation(quant_ids: Sequence[str], tx2gene: pd.DataFrame, source: str) -> None:
    """Fail when quantified transcripts are missing from the annotation (versions ignored)."""
    q = strip_version(pd.Series(list(quant_ids), dtype=str).str.split("|").str[0])
    known = set(strip_version(tx2gene["transcript_id"]))
    missing = q[~q.isin(known)]
    if len(missing):
        raise AnnotationError(
            f"{source}: {len(missing)} of {len(q)} quantified transcripts are not in the "
            f"annotation (first: {missing.iloc[0]!r}); use the FASTA/GTF the index was built from"
        )


def gene_level(
    quant_files: Sequence[str | Path],
    samples: Sequence[str],
    tx2gene: pd.DataFrame,
    *,
    gene_key: str = "gene_name",
    annotation: str = "tx2gene",
) -> dict[str, pd.DataFrame]:
    """Aggregate salmon ``quant.sf`` files to genes with pytximport.

    Returns ``counts`` (length-scaled TPM counts, rounded to integers), ``estimated``
    (summed NumReads) and ``tpm``: genes x samples, index named ``gene``.
    """
    from pytximport import tximport

    if len(quant_files) != len(samples):
        raise ValueError("one quant.sf file per sample is needed")
    first = pd.read_csv(quant_files[0], sep="\t", usecols=["Name"])["Name"]
    check_annotation(first, tx2gene, annotation)
    mapping = pd.DataFrame(
        {"transcript_id": tx2gene["transcript_id"], "gene_id": tx2gene[gene_key]}
    )
    ad = tximport(
        [str(f) for f in quant_files],
        data_type="salmon",
        transcript_gene_map=mapping,
        counts_from_abundance="length_scaled_tpm",
        output_type="anndata",
        ignore_after_bar=True,
        ignore_transcript_version=True,
    )
    genes = pd.Index(ad.var_names.astype(str), name="gene")
    out = {
        "counts": pd.DataFrame(np.asarray(ad.X).T, index=genes, columns=list(samples)),
        "tpm": pd.DataFrame(np.asarray(ad.obsm["abundance"]).T, index=genes, columns=list(samples)),
    }
    # salmon's NumReads summed per gene, without rescaling (same transcript -> gene mapping)
    key = strip_version(mapping["transcript_id"].str.split("|").str[0])
    to_gene = pd.Series(mapping["gene_id"].to_numpy(), index=key.to_numpy())
    to_gene = to_gene[~to_gene.index.duplicated()]
    est = {}
    for sample, f in zip(samples, quant_files, strict=True):
        q = pd.read_csv(f, sep="\t", usecols=["Name", "NumReads"])
        names = strip_version(q["Name"].str.split("|").str[0])
        est[sample] = q["NumReads"].groupby(names.map(to_gene).to_numpy()).sum()
    out["estimated"] = pd.DataFrame(est).reindex(genes).fillna(0.0)
    order = out["counts"].index.sort_values()
    out = {k: v.loc[order] for k, v in out.items()}
    out["counts"] = out["counts"].round().astype(np.int64)
    out["estimated"] = out["estimated"].round(3)
    out["tpm"] = out["tpm"].round(4)
    return out


def salmon_stats(sample_dirs: Sequence[str | Path], samples: Sequence[str]) -> pd.DataFrame:
    """Per-sample salmon statistics.

    Columns: sample, num_processed (fragments read), num_mapped, percent_mapped,
    library_type (detected, e.g. ``IU``), compatible_fragment_ratio, salmon_version.
    """
    rows = []
    for sample, d in zip(samples, map(Path, sample_dirs), strict=True):
        meta = json.loads((d / "aux_info" / "meta_info.json").read_text())
        lib = json.loads((d / "lib_format_counts.json").read_text())
        rows.append(
            {
                "sample": sample,
                "num_processed": int(meta["num_processed"]),
                "num_mapped": int(meta["num_mapped"]),
                "percent_mapped": round(float(meta["percent_mapped"]), 3),
                "library_type": lib.get("expected_format", ""),
                "compatible_fragment_ratio": round(
                    float(lib.get("compatible_fragment_ratio", np.nan)), 4
                ),
                "salmon_version": meta.get("salmon_version", ""),
            }
        )
    return pd.DataFrame(rows)
