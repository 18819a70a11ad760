# Embedded demo cohort: SIMULATED data in the design of the NCT02326974 study (input: demo).


DEMO_OUTPUTS = {
    "samples": out("demo/samples.tsv"),
    "patients": out("demo/patients.tsv"),
    "counts": out("demo/counts.tsv"),
    "fish_cells": out("demo/fish_cells.parquet"),
    "truth_samples": out("demo/truth/samples.tsv"),
    "truth_patients": out("demo/truth/patients.tsv"),
    "truth_effects": out("demo/truth/effects.tsv"),
    "truth_fish_areas": out("demo/truth/fish_areas.tsv"),
    "params": out("demo/truth/params.json"),
}
if COUNTS_FROM == "salmon":
    DEMO_OUTPUTS |= {
        "transcriptome": out("demo/transcriptome.fa"),
        "truth_transcripts": out("demo/truth/transcripts.tsv"),
        "truth_tx_counts": out("demo/truth/tx_counts.parquet"),
    }


rule simulate_demo:
    """Simulate the demo cohort: SIMULATED sheets, counts, FISH cells and ground truth."""
    output:
        **DEMO_OUTPUTS,
    log:
        out("logs/simulate_demo.log"),
    benchmark:
        out("benchmarks/simulate_demo.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        demo=config["demo"],
        fastq_dir=out(simulate.FASTQ_SUBDIR),
    script:
        "../scripts/simulate_demo.py"


rule simulate_reads:
    """Write one demo sample's SIMULATED FASTQ files from its transcript counts."""
    input:
        transcriptome=out("demo/transcriptome.fa"),
        tx_counts=out("demo/truth/tx_counts.parquet"),
    output:
        fastq=temp(directory(out(f"{simulate.FASTQ_SUBDIR}/{{sample}}"))),
    log:
        out("logs/simulate_reads/{sample}.log"),
    benchmark:
        out("benchmarks/simulate_reads/{sample}.tsv")
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
