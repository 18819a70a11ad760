"""PAM50-like subtypes of every sample and patient (her2het.subtype.subtype_cohort)."""

import sys

import anndata as ad
import pandas as pd

from her2het import subtype

sys.stderr = open(snakemake.log[0], "w")
inp, out, cfg = snakemake.input, snakemake.output, snakemake.params.subtype
if "centroids" in inp.keys():
    subtype.check_sha256(inp.centroids, cfg["sha256"])
    centroids = subtype.read_genefu_model(inp.centroids)
else:
    centroids = subtype.builtin_centroids()
reference = None
if "reference" in inp.keys():
    reference = pd.read_csv(inp.reference, sep="\t").set_index("gene")["centre"]
adata = ad.read_h5ad(inp.h5ad)
expr = pd.DataFrame(adata.layers["vst"], index=adata.obs_names, columns=adata.var_names)
meta = adata.obs[["patient", "timepoint", "group"]].rename_axis("sample").reset_index()
samples, patients, transitions, method = subtype.subtype_cohort(
    expr,
    meta,
    centroids,
    centring=cfg["centring"],
    expected_mix=cfg["expected_mix"],
    scale=cfg["scale"],
    iterate=cfg["iterate"],
    reference=reference,
    n_bootstrap=cfg["n_bootstrap"],
    seed=cfg["seed"],
    min_genes=cfg["min_genes"],
)
tsv = {"sep": "\t", "index": False, "lineterminator": "\n"}
samples.to_csv(out.samples, **tsv)
patients.to_csv(out.patients, **tsv)
transitions.to_csv(out.transitions, **tsv)
subtype.method_table(method).to_csv(out.method, **tsv)
print(method, file=sys.stderr)
