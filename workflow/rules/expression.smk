# Normalised expression (VST, log2-CPM) for scores, subtypes and notebooks; biopsy concordance.


rule normalise_expression:
    """Add VST and log2-CPM layers to the cohort AnnData."""
    input:
        h5ad=out("cohort/cohort.h5ad"),
    output:
        h5ad=out("expression/expression.h5ad"),
    log:
        out("logs/normalise_expression.log"),
    benchmark:
        out("benchmarks/normalise_expression.tsv")
    conda:
        ENV_PYTHON
    threads: 2
    resources:
        mem_mb=lambda wc, input, attempt: max(2000, int(60 * input.size_mb)) * attempt,
        runtime=30,
    script:
        "../scripts/normalise_expression.py"


rule biopsy_concordance:
    """Spread between each patient's baseline biopsies, per gene and per patient."""
    input:
        h5ad=out("expression/expression.h5ad"),
    output:
        genes=report(
            out("expression/biopsy_concordance_genes.tsv"),
            caption="../report/biopsy_concordance.rst",
            category="3. Expression",
        ),
        patients=out("expression/biopsy_concordance_patients.tsv"),
    log:
        out("logs/biopsy_concordance.log"),
    benchmark:
        out("benchmarks/biopsy_concordance.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=lambda wc, input, attempt: max(2000, int(30 * input.size_mb)) * attempt,
        runtime=15,
    script:
        "../scripts/biopsy_concordance.py"


TARGETS += [
    rules.normalise_expression.output.h5ad,
    rules.biopsy_concordance.output.genes,
]
