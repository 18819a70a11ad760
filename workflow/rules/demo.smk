# Embedded demo cohort: SIMULATED data in the design of the NCT02326974 study (input: demo).

DEMO_OUTPUTS = {
    "samples": "results/demo/samples.tsv",
    "patients": "results/demo/patients.tsv",
    "counts": "results/demo/counts.tsv",
    "fish_cells": "results/demo/fish_cells.parquet",
    "truth_samples": "results/demo/truth/samples.tsv",
    "truth_patients": "results/demo/truth/patients.tsv",
    "truth_effects": "results/demo/truth/effects.tsv",
    "truth_fish_areas": "results/demo/truth/fish_areas.tsv",
    "params": "results/demo/truth/params.json",
}
if COUNTS_FROM == "salmon":
    DEMO_OUTPUTS |= {
        "transcriptome": "results/demo/transcriptome.fa",
        "truth_transcripts": "results/demo/truth/transcripts.tsv",
        "truth_tx_counts": "results/demo/truth/tx_counts.parquet",
    }


rule simulate_demo:
    """Simulate the demo cohort: SIMULATED sheets, counts, FISH cells and ground truth."""
    output:
        **DEMO_OUTPUTS,
    log:
        "results/logs/simulate_demo.log",
    benchmark:
        "results/benchmarks/simulate_demo.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        demo=config["demo"],
    script:
        "../scripts/simulate_demo.py"


rule simulate_reads:
    """Write one demo sample's SIMULATED FASTQ files from its transcript counts."""
    input:
        transcriptome="results/demo/transcriptome.fa",
        tx_counts="results/demo/truth/tx_counts.parquet",
    output:
        fastq=temp(directory(f"{simulate.FASTQ_DIR}/{{sample}}")),
    log:
        "results/logs/simulate_reads/{sample}.log",
    benchmark:
        "results/benchmarks/simulate_reads/{sample}.tsv"
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        r1=fastq_r1,
        r2=fastq_r2,
        seed=config["demo"]["seed"],
        index=sample_index,
    script:
        "../scripts/simulate_reads.py"
