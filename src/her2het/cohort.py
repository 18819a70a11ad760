"""The validated cohort: one AnnData object (samples x genes) with sample and patient metadata.

The layout follows scanpy's conventions, so a scanpy user can load it as it is:

- ``obs``: the sample sheet's columns, the patient sheet's columns (joined on ``patient``),
  ``group`` (patient group, see :func:`patient_groups`), ``n_baseline_biopsies`` and the
  per-sample QC metrics (``qc_*``, :mod:`her2het.qc`);
- ``layers['counts']``: the raw counts as exact integers (int64); ``X`` holds the same counts
  as float32 until a later stage normalises them;
- ``obsm['X_pca']``: the QC stage's principal components of log-CPM expression (samples x
  PCs; ``uns['pca']['variance_ratio']`` per component), when a PCA was run;
- ``var``: one row per gene (index: the gene symbol used throughout), ``gene_sets`` (the
  configured gene sets containing the gene, ``;``-separated) and ``n_gene_sets``;
- ``uns['her2het']``: where the data came from (``data_source``, ``simulated``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # anndata is imported where an AnnData is built: the figure jobs need none
    import anndata as ad

GROUP_ORDER: tuple[str, ...] = ("nonHET/pCR", "nonHET/no-pCR", "HET/pCR", "HET/no-pCR")


def ordered_groups(present: set[str] | list[str]) -> list[str]:
    """Groups present, in :data:`GROUP_ORDER` first, then any other label sorted."""
    seen = {str(g) for g in present}
    return [g for g in GROUP_ORDER if g in seen] + sorted(seen - set(GROUP_ORDER))


def het_side(groups: pd.Series) -> pd.Series:
    """True for HET groups, False for non-HET groups, NA when HET is unknown."""
    g = groups.astype(str)
    out = pd.Series(pd.NA, index=groups.index, dtype="boolean")
    out[g.str.startswith("HET/")] = True
    out[g.str.startswith("nonHET/")] = False
    return out


def baseline_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The baseline (``pre``) rows of a patient table; a table without timepoints as it is."""
    return table[table["timepoint"] == "pre"] if "timepoint" in table else table


def patient_groups(patients: pd.DataFrame) -> pd.Series:
    """The paper's patient groups from HET and pCR (``pCR``/``no-pCR`` when HET is unknown).

    Without a ``pCR`` column: ``HET``/``nonHET`` from HET, else ``""`` (no group; no
    placeholder label is made up).
    """
    if "pCR" not in patients:
        return _groups_without_pcr(patients)
    resp = np.where(patients["pCR"].astype(int) == 1, "pCR", "no-pCR")
    if "HET" not in patients:
        return pd.Series(resp, index=patients.index, name="group")
    het = patients["HET"]
    label = np.where(het.isna(), "", np.where(het.fillna(0).astype(int) == 1, "HET/", "nonHET/"))
    return pd.Series(
        np.char.add(label.astype(str), resp.astype(str)), index=patients.index, name="group"
    )


def _groups_without_pcr(patients: pd.DataFrame) -> pd.Series:
    if "HET" not in patients:
        return pd.Series("", index=patients.index, name="group")
    het = patients["HET"]
    label = np.where(het.isna(), "", np.where(het.fillna(0).astype(int) == 1, "HET", "nonHET"))
    return pd.Series(label, index=patients.index, name="group")


def build_cohort(
    samples: pd.DataFrame,
    patients: pd.DataFrame,
    counts: pd.DataFrame,
    data_source: str,
    simulated: bool,
) -> ad.AnnData:
    """Assemble the cohort AnnData from validated sheets and a genes x samples count matrix."""
    pts = patients.copy()
    pts["group"] = patient_groups(pts)
    n_base = (
        samples[samples["timepoint"] == "pre"]
        .groupby("patient")
        .size()
        .rename("n_baseline_biopsies")
    )
    pts = pts.merge(n_base, left_on="patient", right_index=True, how="left")
    obs = samples.merge(pts, on="patient", how="left", validate="many_to_one")
    obs.index = pd.Index(obs["sample"].astype(str), name="sample_id")
    for col in obs.columns:
        if obs[col].dtype == object:
            obs[col] = obs[col].astype(str).replace({"None": ""})
    raw = counts[obs.index].T.to_numpy(dtype=np.int64)
    var = pd.DataFrame(index=pd.Index(counts.index.astype(str), name="gene"))
    import anndata as ad

    adata = ad.AnnData(X=raw.astype(np.float32), obs=obs, var=var)
    adata.layers["counts"] = raw
    adata.uns["her2het"] = {"data_source": data_source, "simulated": bool(simulated)}
    return adata


def annotate(
    adata: ad.AnnData,
    qc: pd.DataFrame,
    variance: pd.DataFrame,
    gene_sets: Mapping[str, Sequence[str]],
) -> None:
    """Add the QC metrics (``obs['qc_*']``), the QC PCA (``obsm['X_pca']``) and gene-set
    membership (``var['gene_sets']``, ``var['n_gene_sets']``) to ``adata`` in place.

    ``qc`` is the QC table (:mod:`her2het.qc`; one row per sample, ``PC1``... when a PCA was
    run), ``variance`` its PCA variance table, ``gene_sets`` set name -> genes.
    """
    q = qc.set_index("sample").loc[adata.obs_names]
    pcs = [c for c in q.columns if c.startswith("PC") and c[2:].isdigit()]
    for col in q.columns.drop(pcs):
        adata.obs[f"qc_{col}"] = q[col].to_numpy()
    if pcs:
        adata.obsm["X_pca"] = q[pcs].to_numpy(dtype=np.float64)
        ratio = variance.set_index("pc")["variance_ratio"].reindex(pcs)
        adata.uns["pca"] = {"variance_ratio": ratio.to_numpy(dtype=np.float64)}
    member: dict[str, list[str]] = {}
    for name, genes in gene_sets.items():
        for g in dict.fromkeys(genes):
            member.setdefault(g, []).append(name)
    names = [member.get(g, []) for g in adata.var_names]
    adata.var["gene_sets"] = [";".join(n) for n in names]
    adata.var["n_gene_sets"] = np.array([len(n) for n in names], dtype=np.int64)


def summarise_cohort(obs: pd.DataFrame, data_source: str) -> pd.DataFrame:
    """Cohort summary by patient group (one row per group present, then ``all``).

    Columns
    -------
    group, patients, patients_2plus_biopsies, patients_1_biopsy, pre_samples, post_samples,
    HR_pos (NA without HR), EFS_events (NA when EFS is not given), data_source.
    """
    pts = obs.drop_duplicates("patient").set_index("patient")
    rows = []
    groups = ordered_groups(set(pts["group"].dropna().astype(str)) - {""})  # "": no group
    for name in [*groups, "all"]:
        p = pts if name == "all" else pts[pts["group"] == name]
        s = obs[obs["patient"].isin(p.index)]
        rows.append(
            {
                "group": name,
                "patients": len(p),
                "patients_2plus_biopsies": int((p["n_baseline_biopsies"] >= 2).sum()),
                "patients_1_biopsy": int((p["n_baseline_biopsies"] == 1).sum()),
                "pre_samples": int((s["timepoint"] == "pre").sum()),
                "post_samples": int((s["timepoint"] == "post").sum()),
                "HR_pos": int((p["HR"] == "pos").sum()) if "HR" in p else pd.NA,
                "EFS_events": int(p["EFS_event"].sum()) if "EFS_event" in p else pd.NA,
                "data_source": data_source,
            }
        )
    return pd.DataFrame(rows)
