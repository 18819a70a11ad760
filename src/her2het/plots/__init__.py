"""Figures, one private module per figure family, re-exported here (loaded on first use).

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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names for type checkers and editors; at run time see __getattr__
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

# name -> the private module that defines it. A figure job imports only its own family
# (PEP 562 __getattr__), not every family's dependencies (anndata, scipy.stats, the stage
# modules): about 1 s less start-up per figure job (docs/performance.md).
_SOURCE = {
    "COLUMN_WIDTH_IN": "_style",
    "GROUP_COLOURS": "_style",
    "HET_COLOURS": "_fish",
    "PAPER_TABLE_READS": "_paper",
    "ISH_COLOURS": "_fish",
    "PATTERN_COLOURS": "_fish",
    "TIMEPOINT_COLOURS": "_qc",
    "calibration_figure": "_calibration",
    "data_note": "_style",
    "draw_power_curve": "_power",
    "draw_qq": "_calibration",
    "draw_rates": "_calibration",
    "fig1_cohort": "_paper",
    "fig2_erbb2_by_group": "_paper",
    "fig3_het": "_paper",
    "fig4_pre_post": "_paper",
    "fig5_immune": "_paper",
    "fig6_outcome": "_paper",
    "level_label": "_paper",
    "panel_letters": "_paper",
    "paper_figure": "_paper",
    "plot_fish_het_prevalence": "_fish",
    "plot_fish_pre_post": "_fish",
    "plot_fish_ratio_distributions": "_fish",
    "plot_fish_rna": "_fish",
    "plot_fish_spatial_patterns": "_fish",
    "plot_qc": "_qc",
    "plot_sample_flow": "_cohort",
    "plot_score_groups": "_expression",
    "plot_scores_pre_post": "_expression",
    "plot_subtype_transitions": "_expression",
    "plot_volcano": "_expression",
    "power_figure": "_power",
    "save_figure": "_style",
    "subplots": "_style",
    "term_label": "_paper",
    "verdict_title": "_paper",
}

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


def __getattr__(name: str) -> Any:
    module = _SOURCE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SOURCE))
