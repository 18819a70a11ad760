"""Wald test of one contrast on its fitted design (her2het.de.test)."""

import pickle
import sys

import pandas as pd

from her2het import de
from her2het.io import write_table

sys.stderr = open(snakemake.log[0], "w")
p = snakemake.params
(contrast,) = de.parse_contrasts([p.spec])
with open(snakemake.input.fit, "rb") as fh:
    fitted = pickle.load(fh)
table, row = de.test(
    fitted,
    contrast,
    alpha=p.alpha,
    shrink=p.shrink,
    t_test=p.t_test,
    n_cpus=snakemake.threads,
)
write_table(table, snakemake.output.table, float_format="%.6g")
write_table(pd.DataFrame([row]), snakemake.output.summary)
print(f"contrast {contrast.id}: {row['status']}", file=sys.stderr)
