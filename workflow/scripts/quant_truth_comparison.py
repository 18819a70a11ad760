"""Demo only: salmon's gene estimates against the SIMULATED read counts they came from."""

import sys

from her2het import qc
from her2het.io import read_table, write_table

sys.stderr = open(snakemake.log[0], "w")
est = read_table(snakemake.input.estimated, index_col=0)
truth = read_table(snakemake.input.truth, index_col=0)
table = qc.compare_with_truth(est, truth)
write_table(table, snakemake.output.table)
pooled = table.iloc[-1]  # the row of all samples pooled
print(
    f"all samples: {pooled['genes_compared']} gene x sample values compared, Pearson r of log counts "
    f"{pooled['pearson_log']}, Spearman {pooled['spearman']}, estimated / true total "
    f"{pooled['ratio']}",
    file=sys.stderr,
)
