"""The validated cohort: one AnnData object (samples x genes) with sample and patient metadata.

``obs`` columns: the sample sheet's columns, the patient sheet's columns (joined on
``patient``), ``group`` (patient group, see :func:`patient_groups`) and ``n_baseline_biopsies``.
``layers['counts']`` holds the raw counts (int64, exact); ``X`` holds them as float32 until a later stage
normalises them. ``uns['her2het']`` records where the data came from (``data_source``,
``simulated``).
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

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
    """The paper's patient groups from HET and pCR (``pCR``/``no-pCR`` when HET is unknown)."""
    resp = np.where(patients["pCR"].astype(int) == 1, "pCR", "no-pCR")
    if "HET" not in patients:
        return pd.Series(resp, index=patients.index, name="group")
    het = patients["HET"]
    label = np.where(het.isna(), "", np.where(het.fillna(0).astype(int) == 1, "HET/", "nonHET/"))
    return pd.Series(
        np.char.add(label.astype(str), resp.astype(str)), index=patients.index, name="group"
    )


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
    # int64: exact for every accepted count (float32 would turn 3,000,000,001 into 3e9)
    x = counts[obs.index].T.to_numpy(dtype=np.int64)
    var = pd.DataFrame(index=pd.Index(counts.index.astype(str), name="gene"))
    adata = ad.AnnData(X=x.astype(np.float32), obs=obs, var=var)
    adata.layers["counts"] = x
    adata.uns["her2het"] = {"data_source": data_source, "simulated": bool(simulated)}
    return adata


def summarise_cohort(obs: pd.DataFrame, data_source: str) -> pd.DataFrame:
    """Cohort summary by patient group (one row per group present, then ``all``).

    Columns
    -------
    group, patients, patients_2plus_biopsies, patients_1_biopsy, pre_samples, post_samples,
    HR_pos, EFS_events (NA when EFS is not given), data_source.
    """
    pts = obs.drop_duplicates("patient").set_index("patient")
    rows = []
    groups = ordered_groups(set(pts["group"]))
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
                "HR_pos": int((p["HR"] == "pos").sum()),
                "EFS_events": int(p["EFS_event"].sum()) if "EFS_event" in p else pd.NA,
                "data_source": data_source,
            }
        )
    return pd.DataFrame(rows)
