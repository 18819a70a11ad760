"""Pre-declared checks of the study's findings 1-5 on this run (her2het.paper.findings)."""

import sys

import numpy as np
import pandas as pd

from her2het.io import read_anndata, read_table, write_table
from her2het.io.gmt import read_gmt
from her2het.paper import findings_from_tables

sys.stderr = open(snakemake.log[0], "w")
inp = snakemake.input
ids = ("patient", "sample")


def optional(key, **kw):
    path = inp.get(key)
    return read_table(path, **kw) if path else None


adata = read_anndata(inp.expression)
vst = pd.DataFrame(
    np.asarray(adata.layers["vst"]),
    index=adata.obs_names.astype(str),
    columns=adata.var_names.astype(str),
)
tables = findings_from_tables(
    read_table(inp.associations),
    read_table(inp.patients, ids=ids),
    read_table(inp.de_summary),
    interaction=optional("interaction"),
    vst=vst,
    samples=read_table(inp.samples, ids=ids),
    patient_sheet=read_table(inp.patient_sheet, ids=ids),
    fish_samples=optional("fish_samples", ids=ids),
    transitions=optional("transitions", keep_default_na=False),
    gene_sets={s.name: list(s.genes) for path in inp.gene_sets for s in read_gmt(path)},
    cfg=snakemake.params.paper,
)
write_table(tables.findings, snakemake.output.table)
write_table(tables.treatment_response, snakemake.output.treatment_response)
