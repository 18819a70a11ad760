"""Draw one paper figure (the rule's name: fig1 ... fig6) from its input tables."""

import sys

from her2het.plots import paper_figure, save_figure

sys.stderr = open(snakemake.log[0], "w")
fig = paper_figure(
    snakemake.rule,
    dict(snakemake.input.items()),
    data_source=snakemake.params.data_source,
    endpoint=snakemake.params.endpoint,
)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=snakemake.params.dpi)
