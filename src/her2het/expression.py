"""Normalised expression for scoring, subtyping and notebooks, and between-biopsy concordance.

:func:`normalise` adds two layers to the cohort AnnData (samples x genes, raw counts in
``layers['counts']``):

* ``vst`` - DESeq2's variance-stabilising transformation (PyDESeq2 ``vst``, ``blind``: the
  design is not used, dispersion trend ``parametric`` with a ``mean`` fallback), on a log2-like
  scale. Use it for PCA, heatmaps, subtyping and correlation.
* ``log2cpm`` - ``log2(1e6 * (count + 0.5) / (library size + 1))``, which depends on the
  sample alone (the VST depends on the cohort through the size factors and dispersion trend).

``X`` is set to ``vst``. ``obs['size_factor']`` holds DESeq2's median-of-ratios size factors;
``uns['her2het']['normalisation']`` records the method.
"""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd


def log2cpm(counts: np.ndarray) -> np.ndarray:
    """log2(1e6 * (count + 0.5) / (library size + 1)) per sample (rows are samples)."""
    c = np.asarray(counts, dtype=np.float64)
    lib = c.sum(axis=1, keepdims=True)
    return np.log2(1e6 * (c + 0.5) / (lib + 1.0))


def vst(counts: pd.DataFrame, n_cpus: int = 1) -> tuple[np.ndarray, np.ndarray, str]:
    """Blind DESeq2 VST of a samples x genes count table: (values, size factors, fit type).

    Dispersions are fitted with the gene-batched PyDESeq2 inference (:mod:`.batched_inference`).
    """
    from pydeseq2.dds import DeseqDataSet

    from .batched_inference import BatchedInference

    last: Exception | None = None
    for fit_type in ("parametric", "mean"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dds = DeseqDataSet(
                    counts=counts,
                    metadata=pd.DataFrame(index=counts.index),
                    design="~1",
                    fit_type=fit_type,
                    inference=BatchedInference(n_cpus=n_cpus),
                    quiet=True,
                )
                dds.vst(use_design=False)
            values = np.asarray(dds.layers["vst_counts"], dtype=np.float64)
            if np.isfinite(values).all():
                return values, np.asarray(dds.obs["size_factors"], dtype=np.float64), fit_type
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:  # trend fit failed
            last = exc
    raise RuntimeError(f"VST failed with both dispersion trend fits: {last}")


def normalise(adata: ad.AnnData, n_cpus: int = 1) -> ad.AnnData:
    """Add ``vst`` and ``log2cpm`` layers (see module docstring); returns a new AnnData."""
    out = adata.copy()
    counts = np.asarray(out.layers["counts"], dtype=np.int64)
    table = pd.DataFrame(counts, index=out.obs_names, columns=out.var_names)
    expressed = table.columns[(table.to_numpy() > 0).any(axis=0)]
    values, size_factors, fit_type = vst(table[expressed], n_cpus=n_cpus)
    full = np.full(table.shape, np.nan)
    full[:, table.columns.get_indexer(expressed)] = values
    # Genes with no count in any sample get the VST of zero (the minimum of the scale).
    if len(expressed) < table.shape[1]:
        full[np.isnan(full)] = np.nanmin(values)
    out.layers["vst"] = full.astype(np.float32)
    out.layers["log2cpm"] = log2cpm(counts).astype(np.float32)
    out.X = out.layers["vst"].copy()
    out.obs["size_factor"] = size_factors
    meta = dict(out.uns.get("her2het", {}))
    meta["normalisation"] = f"DESeq2 VST (blind, {fit_type} trend) in X and layers['vst']; log2-CPM"
    out.uns["her2het"] = meta
    return out


def biopsy_concordance(
    adata: ad.AnnData, layer: str = "vst", n_top_genes: int = 2000
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spread between a patient's baseline biopsies, kept when biopsies are collapsed.

    Uses patients with two or more pre-treatment samples.

    Returns
    -------
    genes
        One row per gene: ``gene``, ``mean``, ``sd_between_patients`` (SD of patient means),
        ``sd_within_patient`` (pooled SD between a patient's biopsies), ``icc`` (share of the
        variance between patients: between / (between + within), NA without variance).
    patients
        One row per patient: ``patient``, ``n_biopsies``, ``spearman_r`` (mean pairwise
        Spearman correlation of the biopsies over the ``n_top_genes`` most variable genes).
    """
    obs = adata.obs
    pre = obs[(obs["timepoint"].astype(str) == "pre")]
    multi = pre[pre.groupby("patient", observed=True)["patient"].transform("size") >= 2]
    gene_cols = ["gene", "mean", "sd_between_patients", "sd_within_patient", "icc"]
    pat_cols = ["patient", "n_biopsies", "spearman_r"]
    if multi.empty:
        return pd.DataFrame(columns=gene_cols), pd.DataFrame(columns=pat_cols)
    x = np.asarray(adata[multi.index].layers[layer], dtype=np.float64)
    codes, patients = pd.factorize(multi["patient"].astype(str))
    n_per = np.bincount(codes)
    sums = np.zeros((len(patients), x.shape[1]))
    np.add.at(sums, codes, x)
    means = sums / n_per[:, None]
    resid = x - means[codes]
    df_within = len(codes) - len(patients)
    var_within = (resid**2).sum(axis=0) / max(df_within, 1)
    sd_between = means.std(axis=0, ddof=1) if len(patients) > 1 else np.full(x.shape[1], np.nan)
    # Patient means include within-patient noise: subtract its share (ANOVA estimator, >= 0).
    var_between = np.maximum(sd_between**2 - var_within * np.mean(1.0 / n_per), 0.0)
    total = var_between + var_within
    with np.errstate(invalid="ignore", divide="ignore"):
        icc = np.where(total > 0, var_between / total, np.nan)
    genes = pd.DataFrame(
        {
            "gene": adata.var_names.astype(str),
            "mean": x.mean(axis=0),
            "sd_between_patients": sd_between,
            "sd_within_patient": np.sqrt(var_within),
            "icc": icc,
        }
    )
    top = np.argsort(-x.var(axis=0), kind="stable")[: min(n_top_genes, x.shape[1])]
    ranks = pd.DataFrame(x[:, top].T).rank(axis=0).to_numpy()
    rows = []
    for k, pt in enumerate(patients):
        idx = np.flatnonzero(codes == k)
        r = np.corrcoef(ranks[:, idx].T)
        iu = np.triu_indices(len(idx), 1)
        rows.append({"patient": pt, "n_biopsies": len(idx), "spearman_r": float(np.mean(r[iu]))})
    return genes.round(5), pd.DataFrame(rows, columns=pat_cols).round(5)
