# GEO entry point (input: geo): series matrix + raw-count file -> sample sheet, patient sheet and
# count matrix (her2het.io.geo). The mapping was validated at parse time (common.smk).


rule import_geo:
    """Import a GEO series: sample sheet, patient sheet and count matrix."""
    input:
        series_matrix=config["geo"].get("series_matrix", "missing"),
        counts=config["geo"].get("counts", "missing"),
        samples_schema=workflow.source_path("../schemas/samples.schema.yaml"),
    output:
        samples=out("geo/samples.tsv"),
        patients=out("geo/patients.tsv"),
        counts=out("geo/counts.tsv"),
    log:
        out("logs/import_geo.log"),
    benchmark:
        out("benchmarks/import_geo.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        spec=config["geo"],
    script:
        "../scripts/import_geo.py"
