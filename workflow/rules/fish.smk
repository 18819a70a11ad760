# ERBB2 FISH heterogeneity: per-cell signals -> ASCO/CAP groups, HET calls, spatial patterns,
# patient-level and pre/post tables, and their figures (her2het.fish).


rule fish_score:
    """Score per-cell FISH: ASCO/CAP groups, HET calls, spatial patterns; area to patient tables."""
    input:
        unpack(fish_inputs),
        schema=workflow.source_path("../schemas/fish_cells.schema.yaml"),
    output:
        areas=report(
            "results/fish/areas.tsv",
            caption="../report/fish_areas.rst",
            category="2. ERBB2 FISH",
        ),
        samples="results/fish/samples.tsv",
        patients=report(
            "results/fish/patients.tsv",
            caption="../report/fish_patients.rst",
            category="2. ERBB2 FISH",
        ),
        pre_post="results/fish/pre_post.tsv",
        her2_spectrum=report(
            "results/fish/her2_spectrum.tsv",
            caption="../report/fish_her2_spectrum.rst",
            category="2. ERBB2 FISH",
        ),
        ratio_histogram="results/fish/ratio_histogram.tsv",
        examples="results/fish/example_cells.tsv",
    log:
        "results/logs/fish_score.log",
    benchmark:
        "results/benchmarks/fish_score.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        # about 60 bytes per cell in memory; 1 GB floor
        mem_mb=lambda wc, input, attempt: max(1000, int(input.size_mb * 30)) * attempt,
        runtime=30,
    params:
        fish=config["fish"],
    script:
        "../scripts/fish_score.py"


rule fish_rna_concordance:
    """ERBB2 mRNA vs FISH per biopsy, and biopsy discordance per patient."""
    input:
        samples="results/fish/samples.tsv",
        expression="results/expression/expression.h5ad",
        sheet=sheet_inputs()["samples"],
    output:
        per_biopsy="results/fish/rna_vs_fish.tsv",
        patients=report(
            "results/fish/biopsy_discordance.tsv",
            caption="../report/fish_biopsy_discordance.rst",
            category="2. ERBB2 FISH",
        ),
    log:
        "results/logs/fish_rna_concordance.log",
    benchmark:
        "results/benchmarks/fish_rna_concordance.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=lambda wc, input, attempt: max(1000, int(4 * input.size_mb)) * attempt,
        runtime=5,
    params:
        rna_log2=config["fish"]["rna_discordance_log2"],
    script:
        "../scripts/fish_rna_concordance.py"


rule fish_validate_patterns:
    """Demo only: called vs planted FISH spatial patterns and recovery per class."""
    input:
        areas="results/fish/areas.tsv",
        samples="results/fish/samples.tsv",
        truth="results/demo/truth/fish_areas.tsv",
    output:
        confusion=report(
            "results/fish/pattern_validation.tsv",
            caption="../report/fish_pattern_validation.rst",
            category="2. ERBB2 FISH",
        ),
        recovery=report(
            "results/fish/planted_recovery.tsv",
            caption="../report/fish_planted_recovery.rst",
            category="2. ERBB2 FISH",
        ),
    log:
        "results/logs/fish_validate_patterns.log",
    benchmark:
        "results/benchmarks/fish_validate_patterns.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/fish_validate_patterns.py"


rule plot_fish_ratio_distributions:
    """Figure: per-cell ERBB2/CEP17 ratio distribution of every sample."""
    input:
        histogram="results/fish/ratio_histogram.tsv",
        samples="results/fish/samples.tsv",
        sheet=sheet_inputs()["samples"],
    output:
        png=report(
            "results/figures/fish_ratio_distributions.png",
            caption="../report/fish_ratio_distributions.rst",
            category="2. ERBB2 FISH",
        ),
        pdf="results/figures/fish_ratio_distributions.pdf",
    log:
        "results/logs/plot_fish_ratio_distributions.log",
    benchmark:
        "results/benchmarks/plot_fish_ratio_distributions.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        data_source=data_source(),
        dpi=figure_dpi("fish_ratio_distributions"),
        cell_ratio=config["fish"]["cell_ratio"],
    script:
        "../scripts/plot_fish_ratio_distributions.py"


rule plot_fish_spatial_patterns:
    """Figure: spatial map of one example area per called FISH pattern."""
    input:
        examples="results/fish/example_cells.tsv",
    output:
        png=report(
            "results/figures/fish_spatial_patterns.png",
            caption="../report/fish_spatial_patterns.rst",
            category="2. ERBB2 FISH",
        ),
        pdf="results/figures/fish_spatial_patterns.pdf",
    log:
        "results/logs/plot_fish_spatial_patterns.log",
    benchmark:
        "results/benchmarks/plot_fish_spatial_patterns.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        data_source=data_source(),
        dpi=figure_dpi("fish_spatial_patterns"),
    script:
        "../scripts/plot_fish_spatial_patterns.py"


rule plot_fish_het_prevalence:
    """Figure: patient-level HER2 heterogeneity prevalence by definition."""
    input:
        patients="results/fish/patients.tsv",
    output:
        png=report(
            "results/figures/fish_het_prevalence.png",
            caption="../report/fish_het_prevalence.rst",
            category="2. ERBB2 FISH",
        ),
        pdf="results/figures/fish_het_prevalence.pdf",
    log:
        "results/logs/plot_fish_het_prevalence.log",
    benchmark:
        "results/benchmarks/plot_fish_het_prevalence.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        data_source=data_source(),
        dpi=figure_dpi("fish_het_prevalence"),
    script:
        "../scripts/plot_fish_het_prevalence.py"


rule plot_fish_pre_post:
    """Figure: FISH pre vs post treatment in patients with residual tumour."""
    input:
        pre_post="results/fish/pre_post.tsv",
    output:
        png=report(
            "results/figures/fish_pre_post.png",
            caption="../report/fish_pre_post.rst",
            category="2. ERBB2 FISH",
        ),
        pdf="results/figures/fish_pre_post.pdf",
    log:
        "results/logs/plot_fish_pre_post.log",
    benchmark:
        "results/benchmarks/plot_fish_pre_post.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        data_source=data_source(),
        dpi=figure_dpi("fish_pre_post"),
    script:
        "../scripts/plot_fish_pre_post.py"


rule plot_fish_rna:
    """Figure: ERBB2 mRNA against the FISH ratio and ASCO/CAP group, per biopsy."""
    input:
        per_biopsy="results/fish/rna_vs_fish.tsv",
    output:
        png=report(
            "results/figures/fish_rna.png",
            caption="../report/fish_rna.rst",
            category="2. ERBB2 FISH",
        ),
        pdf="results/figures/fish_rna.pdf",
    log:
        "results/logs/plot_fish_rna.log",
    benchmark:
        "results/benchmarks/plot_fish_rna.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        data_source=data_source(),
        dpi=figure_dpi("fish_rna"),
    script:
        "../scripts/plot_fish_rna.py"
