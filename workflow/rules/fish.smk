# ERBB2 FISH heterogeneity: per-cell signals -> ASCO/CAP groups, HET calls, spatial patterns,
# patient-level and pre/post tables, and their figures (her2het.fish).


rule fish_score:
    """Score per-cell FISH: ASCO/CAP groups, HET calls, spatial patterns; area to patient tables."""
    input:
        unpack(fish_inputs),
        schema=workflow.source_path("../schemas/fish_cells.schema.yaml"),
    output:
        areas=report(
            out("fish/areas.tsv"),
            caption="../report/fish_areas.rst",
            category="2. ERBB2 FISH",
        ),
        samples=out("fish/samples.tsv"),
        patients=report(
            out("fish/patients.tsv"),
            caption="../report/fish_patients.rst",
            category="2. ERBB2 FISH",
        ),
        pre_post=out("fish/pre_post.tsv"),
        her2_spectrum=report(
            out("fish/her2_spectrum.tsv"),
            caption="../report/fish_her2_spectrum.rst",
            category="2. ERBB2 FISH",
        ),
        ratio_histogram=out("fish/ratio_histogram.tsv"),
        examples=out("fish/example_cells.tsv"),
    log:
        out("logs/fish_score.log"),
    benchmark:
        out("benchmarks/fish_score.tsv")
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
        samples=out("fish/samples.tsv"),
        expression=out("expression/expression.h5ad"),
        sheet=sheet_inputs()["samples"],
    output:
        per_biopsy=out("fish/rna_vs_fish.tsv"),
        patients=report(
            out("fish/biopsy_discordance.tsv"),
            caption="../report/fish_biopsy_discordance.rst",
            category="2. ERBB2 FISH",
        ),
    log:
        out("logs/fish_rna_concordance.log"),
    benchmark:
        out("benchmarks/fish_rna_concordance.tsv")
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
        areas=out("fish/areas.tsv"),
        samples=out("fish/samples.tsv"),
        truth=out("demo/truth/fish_areas.tsv"),
    output:
        confusion=report(
            out("fish/pattern_validation.tsv"),
            caption="../report/fish_pattern_validation.rst",
            category="2. ERBB2 FISH",
        ),
        recovery=report(
            out("fish/planted_recovery.tsv"),
            caption="../report/fish_planted_recovery.rst",
            category="2. ERBB2 FISH",
        ),
    log:
        out("logs/fish_validate_patterns.log"),
    benchmark:
        out("benchmarks/fish_validate_patterns.tsv")
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
        histogram=out("fish/ratio_histogram.tsv"),
        samples=out("fish/samples.tsv"),
        sheet=sheet_inputs()["samples"],
    output:
        png=report(
            out("figures/fish_ratio_distributions.png"),
            caption="../report/fish_ratio_distributions.rst",
            category="2. ERBB2 FISH",
        ),
        pdf=out("figures/fish_ratio_distributions.pdf"),
    log:
        out("logs/plot_fish_ratio_distributions.log"),
    benchmark:
        out("benchmarks/plot_fish_ratio_distributions.tsv")
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
        examples=out("fish/example_cells.tsv"),
    output:
        png=report(
            out("figures/fish_spatial_patterns.png"),
            caption="../report/fish_spatial_patterns.rst",
            category="2. ERBB2 FISH",
        ),
        pdf=out("figures/fish_spatial_patterns.pdf"),
    log:
        out("logs/plot_fish_spatial_patterns.log"),
    benchmark:
        out("benchmarks/plot_fish_spatial_patterns.tsv")
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
        patients=out("fish/patients.tsv"),
    output:
        png=report(
            out("figures/fish_het_prevalence.png"),
            caption="../report/fish_het_prevalence.rst",
            category="2. ERBB2 FISH",
        ),
        pdf=out("figures/fish_het_prevalence.pdf"),
    log:
        out("logs/plot_fish_het_prevalence.log"),
    benchmark:
        out("benchmarks/plot_fish_het_prevalence.tsv")
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
        pre_post=out("fish/pre_post.tsv"),
    output:
        png=report(
            out("figures/fish_pre_post.png"),
            caption="../report/fish_pre_post.rst",
            category="2. ERBB2 FISH",
        ),
        pdf=out("figures/fish_pre_post.pdf"),
    log:
        out("logs/plot_fish_pre_post.log"),
    benchmark:
        out("benchmarks/plot_fish_pre_post.tsv")
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
        per_biopsy=out("fish/rna_vs_fish.tsv"),
    output:
        png=report(
            out("figures/fish_rna.png"),
            caption="../report/fish_rna.rst",
            category="2. ERBB2 FISH",
        ),
        pdf=out("figures/fish_rna.pdf"),
    log:
        out("logs/plot_fish_rna.log"),
    benchmark:
        out("benchmarks/plot_fish_rna.tsv")
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


if HAS_FISH:
    TARGETS += [
        rules.fish_score.output.areas,
        rules.fish_score.output.patients,
        rules.fish_score.output.pre_post,
    ]
    for _fig in FISH_FIGURES:
        TARGETS += getattr(rules, f"plot_fish_{_fig}").output
    if IS_DEMO and config["fish"]["spatial_pattern"]["enabled"]:
        TARGETS += [rules.fish_validate_patterns.output.confusion]
