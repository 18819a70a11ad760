"""Score figures: baseline groups and pre vs post (reads the score tables)."""

import sys

from her2het.io import read_table
from her2het.plots import plot_score_groups, plot_scores_pre_post, save_figure

sys.stderr = open(snakemake.log[0], "w")
inp, out, p = snakemake.input, snakemake.output, snakemake.params
scores = read_table(inp.scores)
comparisons = read_table(inp.comparisons)
obs = read_table(inp.obs, ids=("sample", "patient"))
fig = plot_score_groups(scores, obs, comparisons, data_source=p.data_source)
save_figure(fig, out.groups_png, out.groups_pdf, dpi=p.dpi)
fig = plot_scores_pre_post(scores, obs, comparisons, data_source=p.data_source)
save_figure(fig, out.pre_post_png, out.pre_post_pdf, dpi=p.dpi)
