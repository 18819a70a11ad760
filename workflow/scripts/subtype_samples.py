"""PAM50-like subtypes of every sample and patient (her2het.subtype.subtype_from_config)."""

import sys
from pathlib import Path

import pandas as pd

from her2het import subtype
from her2het.io import centroids as centroids_io
from her2het.io import read_anndata, write_table

sys.stderr = open(snakemake.log[0], "w")
inp, out = snakemake.input, snakemake.output
adata = read_anndata(inp.h5ad)
expr = pd.DataFrame(adata.layers["vst"], index=adata.obs_names, columns=adata.var_names)
meta = adata.obs[["patient", "timepoint", "group"]].rename_axis("sample").reset_index()
cfg = snakemake.params.subtype
centroids = None  # the built-in profile
if inp.get("centroids"):
    table = centroids_io.read_centroid_table(inp.centroids, cfg.get("sha256"))
    centroids = subtype.genefu_centroids(table, Path(inp.centroids).name)
reference = None
if inp.get("reference"):
    reference = centroids_io.read_reference_centres(inp.reference, cfg["reference_column"])
*tables, method, centres = subtype.subtype_from_config(expr, meta, cfg, centroids, reference)
for name, table in zip(("samples", "patients", "transitions"), tables, strict=True):
    write_table(table, out[name])
write_table(subtype.method_table(method), out.method)
write_table(centres, out.centres)
for line in subtype.warning_lines(method):
    print(line, file=sys.stderr)
print("subtype method:", file=sys.stderr)
for key, value in subtype.method_table(method).itertuples(index=False):
    if key != "warnings":  # written above, one line each
        print(f"  {key}: {value or 'none'}", file=sys.stderr)
