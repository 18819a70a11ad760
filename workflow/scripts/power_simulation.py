"""Monte-Carlo power of the workflow's tests over a grid of designs (her2het.power.run_power)."""

import sys

from her2het.power import run_power

sys.stderr = open(snakemake.log[0], "w")
table, theory = run_power(snakemake.params.cfg, cores=snakemake.threads)
table.to_csv(snakemake.output.table, sep="\t", index=False, lineterminator="\n")
theory.to_csv(snakemake.output.theory, sep="\t", index=False, lineterminator="\n")
