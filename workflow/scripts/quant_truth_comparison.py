"""Demo only: salmon's gene estimates against the SIMULATED read counts they came from."""

import sys

import pandas as pd

from her2het import quant

sys.stderr = open(snakemake.log[0], "w")
est = pd.read_csv(snakemake.input.estimated, sep="\t", index_col=0)
truth = pd.read_csv(snakemake.input.truth, sep="\t", index_col=0)
table = quant.compare_with_truth(est, truth)
table.to_csv(snakemake.output.table, sep="\t", index=False, lineterminator="\n")
pooled = table.iloc[-1]  # the row of all samples pooled
print(
    f"all samples: {pooled['genes_compared']} gene x sample values compared, Pearson r of log counts "
    f"{pooled['pearson_log']}, Spearman {pooled['spearman']}, estimated / true total "
    f"{pooled['ratio']}",
    file=sys.stderr,
)
