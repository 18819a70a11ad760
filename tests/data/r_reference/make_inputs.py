"""Write the small seeded inputs of the R reference outputs (run once; see README.md).

Plain numpy simulation, independent of the project's simulator: negative-binomial counts for
300 genes x 40 samples (20 patients, pre and post, pCR and HR status per patient), two
expression matrices for ssGSEA (one continuous, one with ties as a VST of integer counts has)
with 6 gene sets, and patient tables for logistic, Firth and Cox regression.

    python tests/data/r_reference/make_inputs.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent
rng = np.random.default_rng(20251203)

# ---- DESeq2: 20 patients x (pre, post) ------------------------------------------------------
n_pat, n_genes = 20, 300
patients = pd.DataFrame(
    {
        "patient": [f"P{i:02d}" for i in range(n_pat)],
        "pCR": np.repeat([0, 1], n_pat // 2),
        "HR": rng.permutation(np.tile([0, 1], n_pat // 2)),
    }
)
samples = patients.loc[patients.index.repeat(2)].reset_index(drop=True)
samples["timepoint"] = np.tile(["pre", "post"], n_pat)
samples.insert(0, "sample", samples["patient"] + "_" + samples["timepoint"])
samples["biopsy"] = "B1"
# mean counts from ~1 to a few thousand; a third of the genes near the prefilter's edge
# (about 10-20 counts), where independent filtering has something to remove
base = np.exp(np.r_[rng.normal(4.5, 1.8, 200), rng.normal(2.6, 0.25, 100)])
disp = 0.05 + 2.0 / np.sqrt(base) + rng.gamma(2.0, 0.03, n_genes)
patient_eff = rng.normal(0.0, 0.35, (n_genes, n_pat))
post = np.where(rng.random(n_genes) < 0.3, rng.normal(0.0, 1.0, n_genes), 0.0)
pcr = np.where(rng.random(n_genes) < 0.10, rng.normal(0.0, 0.9, n_genes), 0.0)
post_in_pcr = np.where(rng.random(n_genes) < 0.15, rng.normal(0.0, 1.5, n_genes), 0.0)
hr = np.where(rng.random(n_genes) < 0.2, rng.normal(0.0, 0.6, n_genes), 0.0)
size = rng.uniform(0.6, 1.6, len(samples))
pi = samples["patient"].str[1:].astype(int).to_numpy()
is_post = (samples["timepoint"] == "post").to_numpy()
is_pcr = samples["pCR"].to_numpy() == 1
log_mu = (
    np.log(base)[:, None]
    + patient_eff[:, pi]
    + post[:, None] * is_post
    + pcr[:, None] * is_pcr
    + post_in_pcr[:, None] * (is_post & is_pcr)
    + hr[:, None] * samples["HR"].to_numpy()
)
mu = np.exp(log_mu) * size
counts = rng.negative_binomial(1.0 / disp[:, None], 1.0 / (1.0 + mu * disp[:, None]))
outliers = rng.choice(n_genes, 6, replace=False)  # a few single-sample outliers (Cook's)
counts[outliers, rng.integers(0, len(samples), 6)] *= 20
genes = [f"G{i:03d}" for i in range(n_genes)]
pd.DataFrame(counts, index=pd.Index(genes, name="gene"), columns=samples["sample"]).to_csv(
    OUT / "deseq2_counts.csv"
)
samples.to_csv(OUT / "deseq2_samples.csv", index=False)

# ---- ssGSEA: 200 genes x 12 samples, 6 sets ------------------------------------------------
ng, ns = 200, 12
expr = rng.normal(6.0, 2.0, (ng, ns)) + rng.normal(0.0, 1.0, (ng, 1))
sgenes = [f"S{i:03d}" for i in range(ng)]
cols = [f"X{j:02d}" for j in range(ns)]
cont = pd.DataFrame(expr, index=pd.Index(sgenes, name="gene"), columns=cols)
cont.to_csv(OUT / "ssgsea_expr.csv", float_format="%.10f")
# ties as in a VST of integer counts: low values collapse onto a few levels
tied = cont.clip(lower=5.0).round(1)
tied.to_csv(OUT / "ssgsea_expr_tied.csv", float_format="%.1f")
set_rows = []
for k, size_k in enumerate([5, 10, 15, 20, 30, 50]):
    for g in rng.choice(sgenes, size_k, replace=False):
        set_rows.append({"set": f"SET{k}", "gene": g})
pd.DataFrame(set_rows).to_csv(OUT / "ssgsea_sets.csv", index=False)
perm = rng.permutation(ng)
pd.DataFrame({"position": perm}).to_csv(OUT / "ssgsea_permutation.csv", index=False)

# ---- logistic (glm binomial), Firth, Cox ---------------------------------------------------
n = 80
lt = pd.DataFrame(
    {
        "patient": [f"L{i:03d}" for i in range(n)],
        "score": rng.normal(0.0, 1.0, n),
        "HR": rng.integers(0, 2, n),
    }
)
eta = -0.3 + 0.9 * lt["score"] - 0.7 * lt["HR"]
lt["pCR"] = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(int)
lt.to_csv(OUT / "logistic_data.csv", index=False)
m = 30  # small, nearly separated: where Firth is used
ft = pd.DataFrame({"patient": [f"F{i:03d}" for i in range(m)], "score": rng.normal(0, 1, m)})
ft["HR"] = rng.integers(0, 2, m)
ft["pCR"] = (rng.random(m) < 1.0 / (1.0 + np.exp(-(2.5 * ft["score"])))).astype(int)
ft.to_csv(OUT / "firth_data.csv", index=False)
nc = 90
ct = pd.DataFrame(
    {
        "patient": [f"C{i:03d}" for i in range(nc)],
        "pCR": rng.integers(0, 2, nc),
        "HR": rng.integers(0, 2, nc),
        "score": rng.normal(0, 1, nc),
    }
)
hazard = 0.02 * np.exp(-0.8 * ct["pCR"] + 0.4 * ct["HR"] + 0.3 * ct["score"])
t_event = rng.exponential(1.0 / hazard)
t_cens = rng.uniform(12, 96, nc)
ct["time"] = np.round(np.minimum(t_event, t_cens), 1)  # rounded: some tied times (Efron)
ct["event"] = (t_event <= t_cens).astype(int)
ct.to_csv(OUT / "cox_data.csv", index=False)
print("inputs written to", OUT)
