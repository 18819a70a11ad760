# PAM50-like intrinsic subtypes (nearest centroid, Spearman) and pre -> post subtype shifts.


rule download_centroids:
    """Download the configured subtype centroid file and check its sha256."""
    output:
        csv="results/resources/centroids.csv",
    log:
        "results/logs/download_centroids.log",
    benchmark:
        "results/benchmarks/download_centroids.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        url=subtype_url(),
        sha256=config["subtype"]["sha256"],
    script:
        "../scripts/download_centroids.py"


rule subtype_samples:
    """PAM50-like subtype of every sample and patient, and pre-post transitions."""
    input:
        unpack(centroid_inputs),
        h5ad="results/expression/expression.h5ad",
    output:
        samples=report(
            "results/subtypes/samples.tsv",
            caption="../report/subtypes.rst",
            category="6. Subtypes",
        ),
        patients="results/subtypes/patients.tsv",
        transitions="results/subtypes/transitions.tsv",
        method="results/subtypes/method.tsv",
        centres="results/subtypes/centres.tsv",
    log:
        "results/logs/subtype_samples.log",
    benchmark:
        "results/benchmarks/subtype_samples.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=lambda wc, input, attempt: max(2000, int(20 * input.size_mb)) * attempt,
        runtime=15,
    params:
        subtype=config["subtype"],
    script:
        "../scripts/subtype_samples.py"


rule plot_subtype_transitions:
    """Figure: pre-post subtype transitions by patient group."""
    input:
        transitions="results/subtypes/transitions.tsv",
        method="results/subtypes/method.tsv",
    output:
        png=report(
            "results/figures/subtype_transitions.png",
            caption="../report/subtype_transitions.rst",
            category="6. Subtypes",
        ),
        pdf="results/figures/subtype_transitions.pdf",
    log:
        "results/logs/plot_subtype_transitions.log",
    benchmark:
        "results/benchmarks/plot_subtype_transitions.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        dpi=figure_dpi("subtype_transitions"),
        data_source=data_source(),
    script:
        "../scripts/plot_subtype_transitions.py"
