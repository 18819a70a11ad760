# HER2 heterogeneity and treatment response: translational workflow for neoadjuvant HER2+ trials.
# Thin entry point: configuration, report, one include per stage, and the default target.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/geo.smk"
include: "workflow/rules/quant.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/cohort.smk"
include: "workflow/rules/fish.smk"
include: "workflow/rules/expression.smk"
include: "workflow/rules/de.smk"
include: "workflow/rules/scores.smk"
include: "workflow/rules/subtype.smk"
include: "workflow/rules/outcome.smk"
include: "workflow/rules/paper.smk"
include: "workflow/rules/power.smk"


rule all:
    """Default target: every table, figure and report this configuration's input allows."""
    default_target: True
    input:
        all_targets(),


onsuccess:
    from her2het.summary import run_summary

    for line in run_summary(
        Path(out("")),
        simulated=IS_DEMO,
        report_hint=f"snakemake --report {out('report.html')} (or make report)",
    ):
        print(line)
