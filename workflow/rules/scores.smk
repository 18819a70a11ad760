# Gene-set scores (ssGSEA and friends) per sample, comparisons between groups and pre/post.


rule score_gene_sets:
    """Gene-set scores of every sample by the configured methods, ssGSEA by default."""
    input:
        h5ad="results/expression/expression.h5ad",
        gene_sets=[resource_path(g) for g in config["scores"]["gene_sets"]],
    output:
        scores=report(
            "results/scores/scores.tsv",
            caption="../report/scores.rst",
            category="5. Pathway scores",
        ),
        sets="results/scores/gene_sets.tsv",
    log:
        "results/logs/score_gene_sets.log",
    benchmark:
        "results/benchmarks/score_gene_sets.tsv"
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
        scores="results/scores/scores.tsv",
        obs="results/cohort/sample_metadata.tsv",
    output:
        table=report(
            "results/scores/comparisons.tsv",
            caption="../report/score_comparisons.rst",
            category="5. Pathway scores",
        ),
    log:
        "results/logs/compare_scores.log",
    benchmark:
        "results/benchmarks/compare_scores.tsv"
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
        scores="results/scores/scores.tsv",
        comparisons="results/scores/comparisons.tsv",
        obs="results/cohort/sample_metadata.tsv",
    output:
        groups_png=report(
            "results/figures/scores_groups.png",
            caption="../report/scores_groups.rst",
            category="5. Pathway scores",
        ),
        groups_pdf="results/figures/scores_groups.pdf",
        pre_post_png=report(
            "results/figures/scores_pre_post.png",
            caption="../report/scores_pre_post.rst",
            category="5. Pathway scores",
        ),
        pre_post_pdf="results/figures/scores_pre_post.pdf",
    log:
        "results/logs/plot_scores.log",
    benchmark:
        "results/benchmarks/plot_scores.tsv"
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
