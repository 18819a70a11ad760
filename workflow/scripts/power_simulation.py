"""Monte-Carlo power of the workflow's tests over a grid of designs (her2het.power.run_power)."""

import sys

from her2het.io import write_table
from her2het.power import run_power

sys.stderr = open(snakemake.log[0], "w")
table, theory = run_power(snakemake.params.cfg, cores=snakemake.threads)
write_table(table, snakemake.output.table)
write_table(theory, snakemake.output.theory)
