# The validated cohort: AnnData object for notebooks, summary table and sample-flow figure.


rule build_cohort:
    """Validate sheets and counts, drop QC-excluded samples, write the cohort AnnData."""
    input:
        unpack(sheet_inputs),
        counts=count_matrix(),
        qc=out("qc/samples.tsv"),
        variance=out("qc/pca_variance.tsv"),
        gene_sets=[resource_path(g) for g in config["scores"]["gene_sets"]],
        samples_schema=workflow.source_path("../schemas/samples.schema.yaml"),
        patients_schema=workflow.source_path("../schemas/patients.schema.yaml"),
    output:
        h5ad=out("cohort/cohort.h5ad"),
        obs=out("cohort/sample_metadata.tsv"),
        excluded=out("cohort/excluded_samples.tsv"),
    log:
        out("logs/build_cohort.log"),
    benchmark:
        out("benchmarks/build_cohort.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        data_source=data_source(),
        simulated=IS_DEMO,
        exclude_outliers=config["qc"]["exclude_outliers"],
    script:
        "../scripts/build_cohort.py"


rule summarise_cohort:
    """Cohort summary table: patients and samples by patient group."""
    input:
        obs=out("cohort/sample_metadata.tsv"),
    output:
        summary=report(
            out("cohort/summary.tsv"),
            caption="../report/cohort_summary.rst",
            category="1. Cohort",
        ),
    log:
        out("logs/summarise_cohort.log"),
    benchmark:
        out("benchmarks/summarise_cohort.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        data_source=data_source(),
    script:
        "../scripts/summarise_cohort.py"


rule plot_sample_flow:
    """Figure: patients and samples by group, from the cohort summary."""
    input:
        summary=out("cohort/summary.tsv"),
    output:
        png=report(
            out("figures/sample_flow.png"),
            caption="../report/sample_flow.rst",
            category="1. Cohort",
        ),
        pdf=out("figures/sample_flow.pdf"),
    log:
        out("logs/plot_sample_flow.log"),
    benchmark:
        out("benchmarks/plot_sample_flow.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        title=config["report"]["title"],
        dpi=figure_dpi("sample_flow"),
    script:
        "../scripts/plot_sample_flow.py"


rule list_skipped:
    """Table of the analyses this cohort's columns cannot support, with the reason."""
    output:
        table=report(
            out("skipped.tsv"),
            caption="../report/skipped.rst",
            category="1. Cohort",
        ),
    log:
        out("logs/list_skipped.log"),
    benchmark:
        out("benchmarks/list_skipped.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        skips=[(s.stage, s.item, s.reason) for s in SKIPS],
    script:
        "../scripts/list_skipped.py"


TARGETS += [
    rules.list_skipped.output.table,
    rules.build_cohort.output.h5ad,
    rules.summarise_cohort.output.summary,
    *rules.plot_sample_flow.output,
]
