# RNA-seq quantification: salmon index and quant per sample, transcript -> gene table,
# gene-level counts with pytximport, and (demo) agreement with the simulated truth; or the
# user's count matrix, with columns renamed to sample IDs and optional gene IDs -> symbols.


rule salmon_index:
    """Build the salmon index of the transcriptome, decoy-aware if decoys are configured."""
    input:
        unpack(index_inputs),
    output:
        index=directory(out("quant/salmon_index")),
    log:
        out("logs/salmon_index.log"),
    benchmark:
        out("benchmarks/salmon_index.tsv")
    conda:
        "../../envs/salmon.yaml"
    threads: 4
    resources:
        # salmon index: ~6 MB per MB of FASTA (more with a decoy genome), 16 GB floor
        mem_mb=lambda wc, input, attempt: max(16000, 6 * int(input.size_mb)) * attempt,
        runtime=lambda wc, input, attempt: max(120, int(input.size_mb / 20)) * attempt,
    params:
        python=PYTHON,
        kmer=config["quant"]["kmer"],
        decoys=decoys_arg,
    shell:
        "{params.python} -m her2het.io.salmon index --transcriptome {input.transcriptome:q} {params.decoys} "
        "--kmer {params.kmer} --threads {threads} --out {output.index:q} --log {log:q}"


rule salmon_quant:
    """Check one sample's FASTQ files and quantify them with salmon, selective alignment."""
    input:
        unpack(fastq_inputs),
        index=out("quant/salmon_index"),
    output:
        quant=out("quant/salmon/{sample}/quant.sf"),
        meta=out("quant/salmon/{sample}/aux_info/meta_info.json"),
        lib=out("quant/salmon/{sample}/lib_format_counts.json"),
    log:
        out("logs/salmon_quant/{sample}.log"),
    benchmark:
        out("benchmarks/salmon_quant/{sample}.tsv")
    conda:
        "../../envs/salmon.yaml"
    threads: 4
    resources:
        # memory: the index; time: ~1 min per 50 MB of gzipped FASTQ, 1 h floor
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime=lambda wc, input, attempt: max(60, int(input.size_mb / 50)) * attempt,
    params:
        python=PYTHON,
        r1=fastq_r1,
        r2=fastq_r2,
        outdir=salmon_outdir,
        libtype=config["quant"]["libtype"],
        extra=config["quant"]["extra"],
    shell:
        "{params.python} -m her2het.io.salmon quant --index {input.index:q} --r1 {params.r1:q} "
        "--r2 {params.r2:q} --libtype {params.libtype} --extra={params.extra:q} "
        "--threads {threads} --out {params.outdir:q} --log {log:q}"


rule build_tx2gene:
    """Transcript-to-gene table from the given tx2gene table, a GTF or the FASTA headers."""
    input:
        unpack(annotation_input),
    output:
        tx2gene=out("quant/tx2gene.tsv"),
    log:
        out("logs/build_tx2gene.log"),
    benchmark:
        out("benchmarks/build_tx2gene.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    script:
        "../scripts/build_tx2gene.py"


rule tximport_counts:
    """Gene-level counts and TPM from salmon with pytximport, and salmon's statistics."""
    input:
        quant=expand(out("quant/salmon/{sample}/quant.sf"), sample=SAMPLE_IDS),
        meta=expand(
            out("quant/salmon/{sample}/aux_info/meta_info.json"), sample=SAMPLE_IDS
        ),
        lib=expand(
            out("quant/salmon/{sample}/lib_format_counts.json"), sample=SAMPLE_IDS
        ),
        tx2gene=out("quant/tx2gene.tsv"),
    output:
        counts=out("quant/counts.tsv"),
        estimated=out("quant/estimated_counts.tsv"),
        tpm=out("quant/tpm.tsv"),
        stats=report(
            out("quant/salmon_stats.tsv"),
            caption="../report/salmon_stats.rst",
            category="1. Cohort",
        ),
    log:
        out("logs/tximport_counts.log"),
    benchmark:
        out("benchmarks/tximport_counts.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime=30,
    params:
        samples=SAMPLE_IDS,
        gene_level=config["quant"]["gene_level"],
    script:
        "../scripts/tximport_counts.py"


rule quant_truth_comparison:
    """Demo only: compare salmon's gene estimates with the SIMULATED true counts."""
    input:
        estimated=out("quant/estimated_counts.tsv"),
        truth=out("demo/counts.tsv"),
    output:
        table=report(
            out("quant/truth_comparison.tsv"),
            caption="../report/truth_comparison.rst",
            category="1. Cohort",
        ),
    log:
        out("logs/quant_truth_comparison.log"),
    benchmark:
        out("benchmarks/quant_truth_comparison.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    script:
        "../scripts/quant_truth_comparison.py"


rule import_counts:
    """The user's count matrix with sample-ID columns; gene IDs mapped if a map is given."""
    input:
        unpack(user_counts_inputs),
        samples_schema=workflow.source_path("../schemas/samples.schema.yaml"),
    output:
        counts=out("counts/counts.tsv"),
    log:
        out("logs/import_counts.log"),
    benchmark:
        out("benchmarks/import_counts.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    script:
        "../scripts/import_counts.py"


if IS_DEMO and COUNTS_FROM == "salmon":
    TARGETS += [rules.quant_truth_comparison.output.table]
