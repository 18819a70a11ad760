# Gene-set scores (ssGSEA and friends) per sample, comparisons between groups and pre/post.


rule score_gene_sets:
    """Gene-set scores of every sample by the configured methods, ssGSEA by default."""
    input:
        h5ad=out("expression/expression.h5ad"),
        gene_sets=[resource_path(g) for g in config["scores"]["gene_sets"]],
    output:
        scores=report(
            out("scores/scores.tsv"),
            caption="../report/scores.rst",
            category="5. Pathway scores",
        ),
        sets=out("scores/gene_sets.tsv"),
    log:
        out("logs/score_gene_sets.log"),
    benchmark:
        out("benchmarks/score_gene_sets.tsv")
    conda:
        ENV_PYTHON
    threads: 2
    resources:
        mem_mb=lambda wc, input, attempt: max(2000, int(30 * input.size_mb)) * attempt,
        runtime=30,
    params:
        scores=config["scores"],
    script:
        "../scripts/score_gene_sets.py"


rule compare_scores:
    """Compare gene-set scores between patient groups and pre vs post treatment."""
    input:
        scores=out("scores/scores.tsv"),
        obs=out("cohort/sample_metadata.tsv"),
    output:
        table=report(
            out("scores/comparisons.tsv"),
            caption="../report/score_comparisons.rst",
            category="5. Pathway scores",
        ),
    log:
        out("logs/compare_scores.log"),
    benchmark:
        out("benchmarks/compare_scores.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/compare_scores.py"


rule plot_scores:
    """Score figures: baseline patient groups and pre vs post treatment."""
    input:
        scores=out("scores/scores.tsv"),
        comparisons=out("scores/comparisons.tsv"),
        obs=out("cohort/sample_metadata.tsv"),
    output:
        groups_png=report(
            out("figures/scores_groups.png"),
            caption="../report/scores_groups.rst",
            category="5. Pathway scores",
        ),
        groups_pdf=out("figures/scores_groups.pdf"),
        pre_post_png=report(
            out("figures/scores_pre_post.png"),
            caption="../report/scores_pre_post.rst",
            category="5. Pathway scores",
        ),
        pre_post_pdf=out("figures/scores_pre_post.pdf"),
    log:
        out("logs/plot_scores.log"),
    benchmark:
        out("benchmarks/plot_scores.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        dpi=figure_dpi("scores_groups", "scores_pre_post"),
        data_source=data_source(),
    script:
        "../scripts/plot_scores.py"


TARGETS += [
    rules.score_gene_sets.output.scores,
    rules.compare_scores.output.table,
    *rules.plot_scores.output,
]
