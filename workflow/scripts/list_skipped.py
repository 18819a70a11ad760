"""The analyses this cohort's columns cannot form, one row each (her2het.skips.skip_table)."""

import sys

from her2het import skips
from her2het.io import write_table

sys.stderr = open(snakemake.log[0], "w")
found = [skips.Skip(*row) for row in snakemake.params.skips]
table = skips.skip_table(found)
write_table(table, snakemake.output.table)
for s in found:
    print(s.line(), file=sys.stderr)
