# Embedded demo cohort: SIMULATED data in the design of the NCT02326974 study (input: demo).


rule simulate_demo:
    output:
        samples="results/demo/samples.tsv",
        patients="results/demo/patients.tsv",
        counts="results/demo/counts.tsv",
        fish_cells="results/demo/fish_cells.parquet",
        truth_samples="results/demo/truth/samples.tsv",
        truth_patients="results/demo/truth/patients.tsv",
        truth_effects="results/demo/truth/effects.tsv",
        truth_fish_areas="results/demo/truth/fish_areas.tsv",
        params="results/demo/truth/params.json",
    log:
        "results/logs/simulate_demo.log",
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
