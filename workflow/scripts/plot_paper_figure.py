"""Draw one paper figure (the rule's name: fig1 ... fig6) from its input tables."""

import sys

from her2het.io import read_table
from her2het.plots import PAPER_TABLE_READS, paper_figure, save_figure

sys.stderr = open(snakemake.log[0], "w")
tables = {
    key: read_table(path, **PAPER_TABLE_READS.get(key, {})) for key, path in snakemake.input.items()
}
fig = paper_figure(
    snakemake.rule,
    tables,
    data_source=snakemake.params.data_source,
    endpoint=snakemake.params.endpoint,
)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
