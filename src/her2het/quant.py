"""From salmon's per-sample transcript quantifications to gene-level tables.

* :func:`tx2gene_from_fasta` / :func:`tx2gene_from_gtf` - the transcript -> gene table, from
  GENCODE-style FASTA headers (``>ENST…|ENSG…|OTTHUMG…|OTTHUMT…|TX-201|SYMBOL|len|biotype|``)
  or from the ``transcript`` lines of a GTF (``transcript_id``, ``gene_id``, ``gene_name``).
* :func:`gene_level` - pytximport's ``tximport`` over every sample, aggregated to gene
  symbols (default) or gene IDs. ``counts`` are tximport's ``length_scaled_tpm`` counts
  (estimated counts rescaled so that they carry no transcript-length bias between samples, the
  recommended input of DESeq2 without an offset matrix), rounded to integers; ``estimated`` are
  the summed salmon ``NumReads`` without rescaling; ``tpm`` the summed TPM.
* :func:`salmon_stats` - reads, mapped reads, mapping rate and detected library type from
  salmon's ``aux_info/meta_info.json`` and ``lib_format_counts.json``.
* :func:`compare_with_truth` - demo only: salmon's gene-level estimates against the simulated
  read counts (Pearson r of log(1 + count) over expressed genes).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from her2het.sheets import strip_version

TX2GENE_COLUMNS = ["transcript_id", "gene_id", "gene_name"]


class AnnotationError(ValueError):
    """The transcript annotation does not match the quantifications (message names the file)."""


def _open_text(path: str | Path):  # type: ignore[no-untyped-def]
    p = Path(path)
    if p.name.endswith(".gz"):
        return gzip.open(p, "rt", encoding="utf-8")
    return open(p, encoding="utf-8")


def tx2gene_from_fasta(path: str | Path) -> pd.DataFrame:
    """Transcript -> gene table from GENCODE-style FASTA headers.

    Headers without ``|`` (e.g. Ensembl cDNA: ``>ENST… cdna … gene:ENSG… gene_symbol:SYM``)
    are read from their ``gene:`` and ``gene_symbol:`` fields.
    """
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
            gene = re.search(r"\bgene:(\S+)", head)
            sym = re.search(r"\bgene_symbol:(\S+)", head)
            if gene is None:
                raise AnnotationError(
                    f"{path}, line {lineno}: header names no gene (expected GENCODE "
                    "'ENST|ENSG|…|SYMBOL|…' or Ensembl 'gene:ENSG… gene_symbol:SYMBOL'); "
                    "give a GTF in quant.gtf instead"
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


def compare_with_truth(
    estimated: pd.DataFrame, truth: pd.DataFrame, *, min_count: int = 10
) -> pd.DataFrame:
    """Per-sample agreement of salmon's gene estimates with the simulated read counts.

    Columns: sample, genes_compared (truth >= ``min_count``), pearson_log (Pearson r of
    log(1 + count)), spearman, total_truth, total_estimated, ratio (estimated / truth).
    The last row (``sample`` = ``all``) pools every sample.
    """
    genes = truth.index.intersection(estimated.index)
    t = truth.loc[genes, estimated.columns]
    e = estimated.loc[genes]
    rows = []
    for s in [*estimated.columns, "all"]:
        tv = t.to_numpy().ravel() if s == "all" else t[s].to_numpy()
        ev = e.to_numpy().ravel() if s == "all" else e[s].to_numpy()
        keep = tv >= min_count
        lt, le = np.log1p(tv[keep]), np.log1p(ev[keep])
        rows.append(
            {
                "sample": s,
                "genes_compared": int(keep.sum()),
                "pearson_log": round(float(np.corrcoef(lt, le)[0, 1]), 4),
                "spearman": round(
                    float(pd.Series(tv[keep]).corr(pd.Series(ev[keep]), method="spearman")), 4
                ),
                "total_truth": int(tv.sum()),
                "total_estimated": round(float(ev.sum()), 1),
                "ratio": round(float(ev.sum() / tv.sum()), 4),
            }
        )
    return pd.DataFrame(rows)
