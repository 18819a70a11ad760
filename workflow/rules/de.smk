# Differential expression with PyDESeq2: one fit per design, one test per contrast, volcano plots.


rule deseq2_fit:
    """Fit one PyDESeq2 design shared by one or more contrasts."""
    input:
        h5ad=out("cohort/cohort.h5ad"),
    output:
        fit=temp(out("de/fits/{design}.pkl")),
    log:
        out("logs/deseq2_fit/{design}.log"),
    benchmark:
        out("benchmarks/deseq2_fit/{design}.tsv")
    conda:
        ENV_PYTHON
    threads: 2
    resources:
        mem_mb=lambda wc, input, attempt: max(3000, int(80 * input.size_mb)) * attempt,
        runtime=lambda wc, input, attempt: max(60, int(input.size_mb)) * attempt,
    params:
        contrasts=design_contrasts,
        min_count=config["de"]["min_count"],
    script:
        "../scripts/deseq2_fit.py"


rule deseq2_contrast:
    """Wald test of one contrast on its fitted design: results table and summary row."""
    input:
        fit=design_fit,
    output:
        table=out("de/contrasts/{contrast}.tsv"),
        summary=out("de/contrasts/{contrast}.summary.tsv"),
    log:
        out("logs/deseq2_contrast/{contrast}.log"),
    benchmark:
        out("benchmarks/deseq2_contrast/{contrast}.tsv")
    conda:
        ENV_PYTHON
    threads: 2
    resources:
        mem_mb=lambda wc, input, attempt: max(3000, int(3 * input.size_mb)) * attempt,
        runtime=30,
    params:
        spec=contrast_spec,
        alpha=config["de"]["alpha"],
        shrink=config["de"]["shrink"],
        t_test=config["de"]["t_test"],
    script:
        "../scripts/deseq2_contrast.py"


rule de_summary:
    """One table of every contrast's tested genes and DE calls."""
    input:
        expand(out("de/contrasts/{contrast}.summary.tsv"), contrast=list(CONTRASTS)),
    output:
        summary=report(
            out("de/summary.tsv"),
            caption="../report/de_summary.rst",
            category="4. Differential expression",
            subcategory="All contrasts",
        ),
    log:
        out("logs/de_summary.log"),
    benchmark:
        out("benchmarks/de_summary.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/de_summary.py"


rule plot_volcano:
    """Volcano plot of one contrast."""
    input:
        table=out("de/contrasts/{contrast}.tsv"),
        summary=out("de/contrasts/{contrast}.summary.tsv"),
    output:
        png=report(
            out("figures/de/volcano_{contrast}.png"),
            caption="../report/volcano.rst",
            category="4. Differential expression",
            subcategory="{contrast}",
        ),
        pdf=out("figures/de/volcano_{contrast}.pdf"),
    log:
        out("logs/plot_volcano/{contrast}.log"),
    benchmark:
        out("benchmarks/plot_volcano/{contrast}.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        alpha=config["de"]["alpha"],
        dpi=figure_dpi("volcano_{contrast}"),
        data_source=data_source(),
    script:
        "../scripts/plot_volcano.py"


TARGETS += [rules.de_summary.output.summary]
TARGETS += expand(rules.plot_volcano.output, contrast=list(CONTRASTS))
