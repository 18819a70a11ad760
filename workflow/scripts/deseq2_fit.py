"""Fit one DESeq2 design shared by one or more contrasts (her2het.de.fit)."""

import pickle
import sys

from her2het import de
from her2het.io import read_anndata

sys.stderr = open(snakemake.log[0], "w")
contrasts = de.parse_contrasts(snakemake.params.contrasts)
counts, meta = de.cohort_tables(read_anndata(snakemake.input.h5ad))
fitted = de.fit(
    counts, meta, contrasts, min_count=snakemake.params.min_count, n_cpus=snakemake.threads
)
with open(snakemake.output.fit, "wb") as fh:
    pickle.dump(fitted, fh, protocol=pickle.HIGHEST_PROTOCOL)
n_units, n_columns = fitted.data.design.shape
ids = ", ".join(c.id for c in contrasts)
print(f"design: {n_units} units x {n_columns} columns, for contrast(s) {ids}", file=sys.stderr)
for cid, reason in fitted.reasons.items():
    verdict = "testable" if reason is None else f"not testable ({reason})"
    print(f"contrast {cid}: {verdict}", file=sys.stderr)
