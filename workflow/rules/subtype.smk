# PAM50-like intrinsic subtypes (nearest centroid, Spearman) and pre -> post subtype shifts;
# with subtype.single_sample.model and raw expression also centring-free gene-pair calls.
SSP_MODEL = config["subtype"]["single_sample"]["model"]
SSP_EXPRESSION = preflight.single_sample_expression(config)
SINGLE_SAMPLE = bool(SSP_MODEL and SSP_EXPRESSION)


rule download_centroids:
    """Download the configured subtype centroid file and check its sha256."""
    output:
        csv=out("resources/centroids.csv"),
    log:
        out("logs/download_centroids.log"),
    benchmark:
        out("benchmarks/download_centroids.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        url=preflight.centroid_url(config),
        sha256=config["subtype"]["sha256"],
    script:
        "../scripts/download_centroids.py"


rule subtype_samples:
    """PAM50-like subtype of every sample and patient, and pre-post transitions."""
    input:
        unpack(centroid_inputs),
        h5ad=out("expression/expression.h5ad"),
    output:
        samples=report(
            out("subtypes/samples.tsv"),
            caption="../report/subtypes.rst",
            category="6. Subtypes",
        ),
        patients=out("subtypes/patients.tsv"),
        transitions=out("subtypes/transitions.tsv"),
        method=out("subtypes/method.tsv"),
        centres=out("subtypes/centres.tsv"),
    log:
        out("logs/subtype_samples.log"),
    benchmark:
        out("benchmarks/subtype_samples.tsv")
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
        transitions=out("subtypes/transitions.tsv"),
        method=out("subtypes/method.tsv"),
    output:
        png=report(
            out("figures/subtype_transitions.png"),
            caption="../report/subtype_transitions.rst",
            category="6. Subtypes",
        ),
        pdf=out("figures/subtype_transitions.pdf"),
    log:
        out("logs/plot_subtype_transitions.log"),
    benchmark:
        out("benchmarks/plot_subtype_transitions.tsv")
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


rule subtype_single_sample:
    """Centring-free single-sample subtypes (gene-pair rules on raw TPM) vs centroid calls."""
    input:
        model=SSP_MODEL or [],
        expression=SSP_EXPRESSION or [],
        centroid_calls=out("subtypes/samples.tsv"),  # also the samples' patient, timepoint, group
    output:
        samples=report(
            out("subtypes/single_sample/samples.tsv"),
            caption="../report/single_sample.rst",
            category="6. Subtypes",
        ),
        patients=out("subtypes/single_sample/patients.tsv"),
        transitions=out("subtypes/single_sample/transitions.tsv"),
        agreement=out("subtypes/single_sample/agreement.tsv"),
        method=out("subtypes/single_sample/method.tsv"),
    log:
        out("logs/subtype_single_sample.log"),
    benchmark:
        out("benchmarks/subtype_single_sample.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=lambda wc, input, attempt: max(2000, int(10 * input.size_mb)) * attempt,
        runtime=15,
    params:
        single_sample=config["subtype"]["single_sample"],
    script:
        "../scripts/subtype_single_sample.py"


if config["subtype"]["enabled"]:
    TARGETS += [
        rules.subtype_samples.output.samples,
        *rules.plot_subtype_transitions.output,
    ]
    if SINGLE_SAMPLE:
        TARGETS += [*rules.subtype_single_sample.output]
