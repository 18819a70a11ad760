"""Per-sample RNA-seq quality control: library size, detected genes, mapping rate, PCA outliers.

Input is the validated genes x samples integer count matrix (index: gene, columns: sample IDs)
and, for FASTQ input, salmon's per-sample statistics (:func:`her2het.io.quant.salmon_stats`:
columns ``sample``, ``num_processed``, ``num_mapped``, ``percent_mapped``). Sample IDs are
compared as strings. The sample order of every output table is the column order of ``counts``.

QC table (:func:`qc_table`), one row per sample, columns in this order:

* ``sample`` - sample ID (str).
* ``library_size`` - sum of the sample's counts over all genes (int).
* ``detected_genes`` - number of genes with count >= ``min_count`` (int; default 1).
* ``reads_processed`` - fragments salmon read (``num_processed``; nullable Int64, NA without
  salmon statistics, e.g. for count-matrix input).
* ``reads_mapped`` - fragments salmon assigned (``num_mapped``; nullable Int64, NA as above).
* ``mapping_rate`` - salmon's mapping rate in percent (``percent_mapped``, 0-100; nullable
  Float64, NA as above).
* ``PC1`` ... ``PCk`` - sample scores on the first k principal components of log-CPM expression
  (float; see :func:`pca_outliers`). Absent when PCA was not run (fewer than 3 samples).
* ``outlier`` - True if the sample is a PCA outlier (bool).
* ``outlier_reason`` - "" for samples that are not outliers; otherwise every violated bound,
  ``"; "``-separated, e.g. ``"PC2 = -41.2 outside mean ± 5 SD [-30.1, 29.8]"``; or
  ``"too few samples for PCA"`` when PCA was not run (then ``outlier`` is False).

PCA (:func:`pca_outliers`), with scanpy: an AnnData of samples x genes, ``normalize_total``
to counts per million, ``log1p``; the ``n_top_genes`` genes with the largest variance of log-CPM
over samples (genes with zero variance are never used; ties are broken by the gene order of
``counts``, stable sort); ``sc.tl.pca`` with the exact LAPACK solver (``svd_solver="full"``) in
float64, k = min(``n_pcs``, n_samples - 1, n_genes - 1) components. The sign of every component
is fixed so that its gene with the largest absolute loading (first such gene on a tie) has a
positive loading, so reruns give identical tables.

Outlier rule (the study's): a sample is an outlier if on any of the first ``outlier_pcs`` PCs
its score lies strictly outside mean ± ``sd`` x SD, mean and SD (``ddof=1``) taken over all
samples, the sample itself included. Note: because the sample is part of its own mean and SD,
no score can lie more than (n - 1) / sqrt(n) SDs from the mean of n samples; with ``sd=5`` a
single outlier can be flagged only when n >= 27 (for smaller cohorts nothing is ever flagged).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

QC_COLUMNS: tuple[str, ...] = (
    "sample",
    "library_size",
    "detected_genes",
    "reads_processed",
    "reads_mapped",
    "mapping_rate",
)
SALMON_COLUMNS: tuple[str, ...] = ("sample", "num_processed", "num_mapped", "percent_mapped")
TOO_FEW_SAMPLES = "too few samples for PCA"
TOO_FEW_GENES = "too few variable genes for PCA"
_SAMPLE_QC_KWARGS = frozenset({"min_count"})
_PCA_KWARGS = frozenset({"n_top_genes", "n_pcs", "outlier_pcs", "sd"})


def _sample_ids(counts: pd.DataFrame) -> pd.Index:
    ids = pd.Index(counts.columns.astype(str), name="sample")
    if ids.has_duplicates:
        dup = ids[ids.duplicated()][0]
        raise ValueError(f"count matrix: duplicated sample column {dup!r}")
    return ids


def sample_qc(
    counts: pd.DataFrame, salmon_stats: pd.DataFrame | None = None, *, min_count: int = 1
) -> pd.DataFrame:
    """Library size, detected genes and salmon mapping statistics per sample.

    Parameters
    ----------
    counts
        Genes x samples integer count matrix (index: gene, columns: sample IDs).
    salmon_stats
        salmon statistics with columns ``sample``, ``num_processed``, ``num_mapped`` and
        ``percent_mapped`` (one row per sample; extra rows and columns are ignored), or None
        for count-matrix input.
    min_count
        A gene is detected in a sample when its count is at least ``min_count``.

    Returns
    -------
    pandas.DataFrame
        One row per sample (``counts`` column order) with columns ``sample``,
        ``library_size``, ``detected_genes``, ``reads_processed``, ``reads_mapped`` and
        ``mapping_rate`` (percent). The last three are NA when ``salmon_stats`` is None or has
        no row for the sample.

    Raises
    ------
    ValueError
        If sample IDs are duplicated, ``salmon_stats`` lacks a required column, or
        ``min_count`` is below 1.
    """
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    ids = _sample_ids(counts)
    values = counts.to_numpy()
    out = pd.DataFrame(
        {
            "sample": ids.to_numpy(dtype=object),
            "library_size": values.sum(axis=0, dtype=np.int64),
            "detected_genes": (values >= min_count).sum(axis=0).astype(np.int64),
        }
    )
    if salmon_stats is None:
        out["reads_processed"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["reads_mapped"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["mapping_rate"] = pd.array([pd.NA] * len(out), dtype="Float64")
        return out
    missing = [c for c in SALMON_COLUMNS if c not in salmon_stats.columns]
    if missing:
        raise ValueError(f"salmon statistics: missing column {missing[0]!r}")
    stats = salmon_stats.loc[:, list(SALMON_COLUMNS)].copy()
    stats["sample"] = stats["sample"].astype(str)
    if stats["sample"].duplicated().any():
        dup = stats.loc[stats["sample"].duplicated(), "sample"].iloc[0]
        raise ValueError(f"salmon statistics: duplicated sample {dup!r}")
    stats = stats.set_index("sample").reindex(ids)
    out["reads_processed"] = pd.array(stats["num_processed"].to_numpy(), dtype="Int64")
    out["reads_mapped"] = pd.array(stats["num_mapped"].to_numpy(), dtype="Int64")
    out["mapping_rate"] = pd.array(stats["percent_mapped"].to_numpy(), dtype="Float64")
    return out


def _no_pca(ids: pd.Index, reason: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    scores = pd.DataFrame(
        {
            "sample": ids.to_numpy(dtype=object),
            "outlier": np.zeros(len(ids), dtype=bool),
            "outlier_reason": [reason] * len(ids),
        }
    )
    variance = pd.DataFrame(
        {"pc": pd.Series([], dtype=object), "variance_ratio": pd.Series([], dtype=float)}
    )
    return scores, variance


def pca_outliers(
    counts: pd.DataFrame,
    *,
    n_top_genes: int = 500,
    n_pcs: int = 10,
    outlier_pcs: int = 2,
    sd: float = 5.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PCA of log-CPM expression and the study's mean ± ``sd`` x SD outlier rule.

    Parameters
    ----------
    counts
        Genes x samples integer count matrix (index: gene, columns: sample IDs).
    n_top_genes
        Number of most variable genes (variance of log-CPM over samples) used for the PCA.
    n_pcs
        Number of components requested; at most n_samples - 1 and n_genes - 1 are computed.
    outlier_pcs
        The outlier rule looks at the first ``outlier_pcs`` components (or all computed, if
        fewer).
    sd
        Width of the accepted interval in standard deviations (``ddof=1``) around the mean.

    Returns
    -------
    scores : pandas.DataFrame
        One row per sample (``counts`` column order): ``sample``, ``PC1`` ... ``PCk``,
        ``outlier`` (bool) and ``outlier_reason`` ("" when not an outlier). With fewer than 3
        samples (or fewer than 2 variable genes) no PCA is run, there are no PC columns,
        ``outlier`` is False and ``outlier_reason`` says why.
    variance : pandas.DataFrame
        One row per component: ``pc`` ("PC1", ...) and ``variance_ratio`` (fraction of the
        total variance of the selected genes). Empty when no PCA was run.

    Raises
    ------
    ValueError
        If a parameter is out of range or sample IDs are duplicated.
    """
    if n_top_genes < 2 or n_pcs < 1 or outlier_pcs < 1 or not sd > 0:
        raise ValueError(
            "pca_outliers: need n_top_genes >= 2, n_pcs >= 1, outlier_pcs >= 1 and sd > 0, "
            f"got {n_top_genes}, {n_pcs}, {outlier_pcs}, {sd}"
        )
    ids = _sample_ids(counts)
    n_samples = len(ids)
    if n_samples < 3:
        return _no_pca(ids, TOO_FEW_SAMPLES)

    import anndata as ad
    import scanpy as sc

    x = counts.to_numpy(dtype=np.float64).T
    var_names = pd.Index(counts.index.astype(str), name="gene")
    adata = ad.AnnData(X=x, obs=pd.DataFrame(index=ids), var=pd.DataFrame(index=var_names))
    sc.pp.normalize_total(adata, target_sum=1e6)
    sc.pp.log1p(adata)
    gene_var = np.asarray(adata.X).var(axis=0, ddof=1)
    order = np.argsort(-gene_var, kind="stable")
    keep = order[gene_var[order] > 0][:n_top_genes]
    n_genes = len(keep)
    if n_genes < 2:
        return _no_pca(ids, TOO_FEW_GENES)
    adata = adata[:, np.sort(keep)].copy()
    k = min(n_pcs, n_samples - 1, n_genes - 1)
    sc.tl.pca(adata, n_comps=k, svd_solver="full", random_state=0, dtype=np.float64)

    scores = np.asarray(adata.obsm["X_pca"], dtype=np.float64)[:, :k].copy()
    loadings = np.asarray(adata.varm["PCs"], dtype=np.float64)[:, :k]
    top = np.argmax(np.abs(loadings), axis=0)
    sign = np.where(loadings[top, np.arange(k)] < 0, -1.0, 1.0)
    scores *= sign
    ratio = np.asarray(adata.uns["pca"]["variance_ratio"], dtype=np.float64)[:k]

    pcs = [f"PC{i + 1}" for i in range(k)]
    n_check = min(outlier_pcs, k)
    mean = scores[:, :n_check].mean(axis=0)
    spread = scores[:, :n_check].std(axis=0, ddof=1)
    lo, hi = mean - sd * spread, mean + sd * spread
    outside = (scores[:, :n_check] < lo) | (scores[:, :n_check] > hi)
    reasons = [
        "; ".join(
            f"{pcs[j]} = {scores[i, j]:.1f} outside mean ± {sd:g} SD [{lo[j]:.1f}, {hi[j]:.1f}]"
            for j in np.flatnonzero(outside[i])
        )
        for i in range(n_samples)
    ]
    table = pd.DataFrame(scores, columns=pcs)
    table.insert(0, "sample", ids.to_numpy(dtype=object))
    table["outlier"] = outside.any(axis=1)
    table["outlier_reason"] = reasons
    variance = pd.DataFrame({"pc": pcs, "variance_ratio": ratio})
    return table, variance


def qc_table(
    counts: pd.DataFrame, salmon_stats: pd.DataFrame | None, **kwargs: Any
) -> pd.DataFrame:
    """The per-sample QC table: :func:`sample_qc` and :func:`pca_outliers` side by side.

    Parameters
    ----------
    counts
        Genes x samples integer count matrix (index: gene, columns: sample IDs).
    salmon_stats
        salmon statistics (see :func:`sample_qc`) or None for count-matrix input.
    **kwargs
        ``min_count`` goes to :func:`sample_qc`; ``n_top_genes``, ``n_pcs``, ``outlier_pcs``
        and ``sd`` go to :func:`pca_outliers`.

    Returns
    -------
    pandas.DataFrame
        One row per sample, columns as documented in the module docstring. The PCA variance
        table is not part of it; call :func:`pca_outliers` with the same arguments for it (the
        PCA is deterministic).

    Raises
    ------
    TypeError
        If a keyword argument belongs to neither function.
    """
    unknown = sorted(set(kwargs) - _SAMPLE_QC_KWARGS - _PCA_KWARGS)
    if unknown:
        raise TypeError(f"qc_table: unexpected keyword argument {unknown[0]!r}")
    basic = sample_qc(
        counts, salmon_stats, **{k: v for k, v in kwargs.items() if k in _SAMPLE_QC_KWARGS}
    )
    scores, _ = pca_outliers(counts, **{k: v for k, v in kwargs.items() if k in _PCA_KWARGS})
    return basic.merge(scores, on="sample", how="left", validate="one_to_one")


def apply_exclusion(
    samples: pd.DataFrame, qc: pd.DataFrame, exclude: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the sample sheet into kept and excluded samples by the QC ``outlier`` flag.

    Parameters
    ----------
    samples
        Sample sheet with a ``sample`` column.
    qc
        QC table (:func:`qc_table`) with ``sample``, ``outlier`` and ``outlier_reason``.
    exclude
        Exclude PCA outliers when True; when False nothing is excluded (outliers stay flagged
        in the QC table only).

    Returns
    -------
    kept : pandas.DataFrame
        The rows of ``samples`` that are kept, in sheet order, index reset.
    excluded : pandas.DataFrame
        The excluded rows of ``samples`` (sheet order, index reset) with an extra column
        ``reason`` (the QC ``outlier_reason``); empty, with the same columns, when nothing is
        excluded.

    Raises
    ------
    ValueError
        If a sample of the sheet has no row in ``qc`` or ``qc`` has duplicated samples.
    """
    ids = samples["sample"].astype(str)
    flags = qc.assign(sample=qc["sample"].astype(str)).set_index("sample")
    if flags.index.has_duplicates:
        dup = flags.index[flags.index.duplicated()][0]
        raise ValueError(f"QC table: duplicated sample {dup!r}")
    missing = ids[~ids.isin(flags.index)]
    if len(missing):
        raise ValueError(f"QC table: no row for sample {missing.iloc[0]!r}")
    outlier = flags["outlier"].reindex(ids).fillna(False).astype(bool).to_numpy()
    drop = outlier if exclude else np.zeros(len(samples), dtype=bool)
    kept = samples.loc[~drop].reset_index(drop=True)
    excluded = samples.loc[drop].reset_index(drop=True)
    excluded["reason"] = flags["outlier_reason"].reindex(ids[drop]).astype(str).to_numpy()
    return kept, excluded


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
