# Paper figures fig1 ... fig6 (each tied to a finding of the reproduced study), the findings
# table, and the `paper` target that builds them all.


rule paper_findings:
    """Findings table: pre-declared checks of the paper's findings 1-5 on this run."""
    input:
        unpack(findings_inputs),
        associations=out("outcome/associations.tsv"),
        patients=out("outcome/patients.tsv"),
        de_summary=out("de/summary.tsv"),
    output:
        table=report(
            out("paper/findings.tsv"),
            caption="../report/paper_findings.rst",
            category="8. Paper figures",
        ),
        treatment_response=out("paper/treatment_response.tsv"),
    log:
        out("logs/paper_findings.log"),
    benchmark:
        out("benchmarks/paper_findings.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=lambda wc, input, attempt: max(1000, int(6 * input.size_mb)) * attempt,
        runtime=10,
    params:
        paper=config["paper"],
    script:
        "../scripts/paper_findings.py"


rule fig1:
    """Paper figure 1: cohort and sample flow, PCA of all sequenced samples."""
    input:
        summary=out("cohort/summary.tsv"),
        qc=out("qc/samples.tsv"),
        variance=out("qc/pca_variance.tsv"),
        obs=out("cohort/sample_metadata.tsv"),
    output:
        png=report(
            out("figures/paper/fig1_cohort.png"),
            caption="../report/fig1.rst",
            category="8. Paper figures",
        ),
        pdf=out("figures/paper/fig1_cohort.pdf"),
    log:
        out("logs/fig1.log"),
    benchmark:
        out("benchmarks/fig1.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        dpi=figure_dpi("fig1_cohort"),
        data_source=data_source(),
        endpoint=config["outcome"]["survival"]["endpoint"],
    script:
        "../scripts/plot_paper_figure.py"


use rule fig1 as fig2 with:
    """Paper figure 2, finding 1: baseline ERBB2 mRNA and ERBB signalling by group."""
    input:
        patients=out("outcome/patients.tsv"),
        associations=out("outcome/associations.tsv"),
        findings=out("paper/findings.tsv"),
    output:
        png=report(
            out("figures/paper/fig2_erbb2_by_group.png"),
            caption="../report/fig2.rst",
            category="8. Paper figures",
        ),
        pdf=out("figures/paper/fig2_erbb2_by_group.pdf"),
    log:
        out("logs/fig2.log"),
    benchmark:
        out("benchmarks/fig2.tsv")
    params:
        dpi=figure_dpi("fig2_erbb2_by_group"),
        data_source=data_source(),
        endpoint=config["outcome"]["survival"]["endpoint"],


use rule fig1 as fig3 with:
    """Paper figure 3, finding 2: pCR by HET, basal-like score, ERBB2 vs ERBB signalling."""
    input:
        patients=out("outcome/patients.tsv"),
        associations=out("outcome/associations.tsv"),
        findings=out("paper/findings.tsv"),
    output:
        png=report(
            out("figures/paper/fig3_het.png"),
            caption="../report/fig3.rst",
            category="8. Paper figures",
        ),
        pdf=out("figures/paper/fig3_het.pdf"),
    log:
        out("logs/fig3.log"),
    benchmark:
        out("benchmarks/fig3.tsv")
    params:
        dpi=figure_dpi("fig3_het"),
        data_source=data_source(),
        endpoint=config["outcome"]["survival"]["endpoint"],


use rule fig1 as fig4 with:
    """Paper figure 4, findings 3 and 4: residual vs baseline tumours, HET vs non-HET."""
    input:
        unpack(subtype_transitions),
        patients=out("outcome/patients.tsv"),
        associations=out("outcome/associations.tsv"),
        findings=out("paper/findings.tsv"),
        treatment_response=out("paper/treatment_response.tsv"),
    output:
        png=report(
            out("figures/paper/fig4_pre_post.png"),
            caption="../report/fig4.rst",
            category="8. Paper figures",
        ),
        pdf=out("figures/paper/fig4_pre_post.pdf"),
    log:
        out("logs/fig4.log"),
    benchmark:
        out("benchmarks/fig4.tsv")
    params:
        dpi=figure_dpi("fig4_pre_post"),
        data_source=data_source(),
        endpoint=config["outcome"]["survival"]["endpoint"],


use rule fig1 as fig5 with:
    """Paper figure 5, finding 5: immune scores by pCR and HET group."""
    input:
        patients=out("outcome/patients.tsv"),
        associations=out("outcome/associations.tsv"),
        findings=out("paper/findings.tsv"),
    output:
        png=report(
            out("figures/paper/fig5_immune.png"),
            caption="../report/fig5.rst",
            category="8. Paper figures",
        ),
        pdf=out("figures/paper/fig5_immune.pdf"),
    log:
        out("logs/fig5.log"),
    benchmark:
        out("benchmarks/fig5.tsv")
    params:
        dpi=figure_dpi("fig5_immune"),
        data_source=data_source(),
        endpoint=config["outcome"]["survival"]["endpoint"],


use rule fig1 as fig6 with:
    """Paper figure 6: forest plots of logistic ORs and Cox HRs, Kaplan-Meier by HET and pCR."""
    input:
        unpack(survival_inputs),
        logistic_terms=out("outcome/logistic_terms.tsv"),
    output:
        png=report(
            out("figures/paper/fig6_outcome.png"),
            caption="../report/fig6.rst",
            category="8. Paper figures",
        ),
        pdf=out("figures/paper/fig6_outcome.pdf"),
    log:
        out("logs/fig6.log"),
    benchmark:
        out("benchmarks/fig6.tsv")
    params:
        dpi=figure_dpi("fig6_outcome"),
        data_source=data_source(),
        endpoint=config["outcome"]["survival"]["endpoint"],


rule paper:
    """Target: paper figures fig1-fig6 and the findings table."""
    default_target: False
    input:
        paper_targets(),


TARGETS += paper_targets()
