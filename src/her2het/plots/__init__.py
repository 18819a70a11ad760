"""Figures, one private module per figure family, re-exported here.

Every figure function takes result tables and returns a :class:`matplotlib.figure.Figure`
made by :func:`subplots` (a bare Figure, no pyplot state); the rule scripts read the tables,
call it and write the file with :func:`save_figure`. Nothing here changes a table.

========================  =================================================================
module                    figures
========================  =================================================================
``_style``                shared style, group colours, :func:`data_note`, :func:`save_figure`
``_cohort``               sample flow
``_qc``                   per-sample QC and PCA
``_fish``                 ERBB2 FISH: ratios, spatial patterns, HET prevalence, pre/post, RNA
``_expression``           volcano plots, gene-set scores, subtype transitions
``_paper``                the paper's figures 1-6 (:func:`paper_figure` by rule name)
``_power``                power curves of the design calculator
``_calibration``          calibration of the workflow's tests under the null
========================  =================================================================
"""

from her2het.plots._calibration import calibration_figure, draw_qq, draw_rates
from her2het.plots._cohort import plot_sample_flow
from her2het.plots._expression import (
    plot_score_groups,
    plot_scores_pre_post,
    plot_subtype_transitions,
    plot_volcano,
)
from her2het.plots._fish import (
    HET_COLOURS,
    ISH_COLOURS,
    PATTERN_COLOURS,
    plot_fish_het_prevalence,
    plot_fish_pre_post,
    plot_fish_ratio_distributions,
    plot_fish_rna,
    plot_fish_spatial_patterns,
)
from her2het.plots._paper import (
    PAPER_TABLE_READS,
    fig1_cohort,
    fig2_erbb2_by_group,
    fig3_het,
    fig4_pre_post,
    fig5_immune,
    fig6_outcome,
    level_label,
    panel_letters,
    paper_figure,
    term_label,
    verdict_title,
)
from her2het.plots._power import draw_power_curve, power_figure
from her2het.plots._qc import TIMEPOINT_COLOURS, plot_qc
from her2het.plots._style import (
    COLUMN_WIDTH_IN,
    GROUP_COLOURS,
    data_note,
    save_figure,
    subplots,
)

__all__ = [
    "COLUMN_WIDTH_IN",
    "GROUP_COLOURS",
    "HET_COLOURS",
    "PAPER_TABLE_READS",
    "ISH_COLOURS",
    "PATTERN_COLOURS",
    "TIMEPOINT_COLOURS",
    "calibration_figure",
    "data_note",
    "draw_power_curve",
    "draw_qq",
    "draw_rates",
    "fig1_cohort",
    "fig2_erbb2_by_group",
    "fig3_het",
    "fig4_pre_post",
    "fig5_immune",
    "fig6_outcome",
    "level_label",
    "panel_letters",
    "paper_figure",
    "plot_fish_het_prevalence",
    "plot_fish_pre_post",
    "plot_fish_ratio_distributions",
    "plot_fish_rna",
    "plot_fish_spatial_patterns",
    "plot_qc",
    "plot_sample_flow",
    "plot_score_groups",
    "plot_scores_pre_post",
    "plot_subtype_transitions",
    "plot_volcano",
    "power_figure",
    "save_figure",
    "subplots",
    "term_label",
    "verdict_title",
]
