# Per-sample QC (library size, detected genes, salmon mapping rate) and the PCA outlier rule.


rule qc_samples:
    """Per-sample QC: library size, detected genes, salmon mapping; PCA outlier flags."""
    input:
        unpack(sheet_inputs),
        unpack(salmon_stats_input),
        counts=count_matrix(),
        samples_schema=workflow.source_path("../schemas/samples.schema.yaml"),
    output:
        table=report(
            out("qc/samples.tsv"),
            caption="../report/qc_samples.rst",
            category="1. Cohort",
        ),
        variance=out("qc/pca_variance.tsv"),
    log:
        out("logs/qc_samples.log"),
    benchmark:
        out("benchmarks/qc_samples.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        qc=config["qc"],
    script:
        "../scripts/qc_samples.py"


rule plot_qc:
    """QC figure: library size, mapping rate and PCA with outliers marked."""
    input:
        unpack(sheet_inputs),
        samples_schema=workflow.source_path("../schemas/samples.schema.yaml"),
        table=out("qc/samples.tsv"),
        variance=out("qc/pca_variance.tsv"),
    output:
        png=report(
            out("figures/qc.png"),
            caption="../report/qc_figure.rst",
            category="1. Cohort",
        ),
        pdf=out("figures/qc.pdf"),
    log:
        out("logs/plot_qc.log"),
    benchmark:
        out("benchmarks/plot_qc.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        title=config["report"]["title"],
        dpi=figure_dpi("qc"),
        data_source=data_source(),
    script:
        "../scripts/plot_qc.py"


rule multiqc:
    """MultiQC report: salmon's output, if any, plus the workflow's QC table and PCA."""
    input:
        unpack(multiqc_salmon_inputs),
        table=out("qc/samples.tsv"),
        variance=out("qc/pca_variance.tsv"),
    output:
        html=report(
            out("qc/multiqc_report.html"),
            caption="../report/multiqc.rst",
            category="1. Cohort",
        ),
        data=directory(out("qc/multiqc_report_data")),
        custom=directory(out("qc/multiqc_custom")),
    log:
        out("logs/multiqc.log"),
    benchmark:
        out("benchmarks/multiqc.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=30,
    params:
        title=config["report"]["title"],
        salmon_dir=out("quant/salmon"),
    script:
        "../scripts/multiqc_report.py"


rule software_versions:
    """Versions of the installed Python packages and of python and salmon, if used."""
    output:
        table=report(
            out("software_versions.tsv"),
            caption="../report/software_versions.rst",
            category="9. Software",
        ),
    log:
        out("logs/software_versions.log"),
    benchmark:
        out("benchmarks/software_versions.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        salmon=COUNTS_FROM == "salmon",
    script:
        "../scripts/software_versions.py"


TARGETS += [
    rules.multiqc.output.html,
    rules.software_versions.output.table,
    rules.qc_samples.output.table,
    rules.plot_qc.output.png,
]
