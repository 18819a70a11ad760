"""Pre -> post subtype transitions by patient group (reads the transition table)."""

import sys

from her2het.io import read_table
from her2het.plots import plot_subtype_transitions, save_figure

sys.stderr = open(snakemake.log[0], "w")
p = snakemake.params
transitions = read_table(snakemake.input.transitions)
method = read_table(snakemake.input.method).set_index("key")["value"]
fig = plot_subtype_transitions(
    transitions, centroids=method["centroids"], data_source=p.data_source
)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, dpi=p.dpi)
