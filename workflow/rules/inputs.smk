# Input functions and constants of the stage files (Snakemake's lint wants functions apart
# from rules): which files a rule reads depends on the input (demo, GEO, sheets), the counts'
# source and which stages run. Shared ones are in common.smk, which includes this file.


# demo.smk


def sample_index(wildcards):
    """Position of a sample in the sheet (seeds its simulated reads)."""
    return SAMPLE_IDS.index(wildcards.sample)


# quant.smk


def user_counts_inputs(wildcards=None):
    """The user's count matrix, sheets and optional gene-id -> symbol map."""
    s = config["sheets"]
    inputs = {"counts": s["counts"], "samples": s["samples"]}
    if s["gene_map"]:
        inputs["gene_map"] = s["gene_map"]
    return inputs


def annotation_input(wildcards=None):
    """tx2gene table, GTF or FASTA (headers) for the transcript -> gene table."""
    if config["quant"]["tx2gene"] and not IS_DEMO:
        return {"tx2gene": config["quant"]["tx2gene"]}
    if config["quant"]["gtf"] and not IS_DEMO:
        return {"gtf": config["quant"]["gtf"]}
    return {"fasta": INPUTS["transcriptome"]}


def index_inputs(wildcards=None):
    inputs = {"transcriptome": INPUTS["transcriptome"]}
    if config["quant"]["decoys"] and not IS_DEMO:
        inputs["decoys"] = config["quant"]["decoys"]
    return inputs


def decoys_arg(wildcards, input):
    """salmon index option for decoys (empty without decoys)."""
    return f"--decoys {shlex.quote(input.decoys)}" if "decoys" in input.keys() else ""


def salmon_outdir(wildcards):
    return out(f"quant/salmon/{wildcards.sample}")


def fastq_inputs(wildcards):
    """A sample's FASTQ files (the demo's come as one directory per sample)."""
    if IS_DEMO:
        return {"fastq": out(f"{simulate.FASTQ_SUBDIR}/{wildcards.sample}")}
    r1, r2 = FASTQ[wildcards.sample]
    return {"fastq": r1 + r2}


# qc.smk


def multiqc_salmon_inputs(wildcards=None):
    """salmon's per-sample metadata (MultiQC parses the salmon directories), when it ran."""
    if COUNTS_FROM != "salmon":
        return {}
    return {
        "salmon_meta": expand(
            out("quant/salmon/{sample}/aux_info/meta_info.json"), sample=SAMPLE_IDS
        )
    }


# fish.smk


FISH_FIGURES = ["ratio_distributions", "het_prevalence", "pre_post", "rna"] + (
    ["spatial_patterns"] if config["fish"]["spatial_pattern"]["enabled"] else []
)


# de.smk


def design_fit(wildcards):
    """The fitted design a contrast is tested on."""
    return out(f"de/fits/{de.design_key(CONTRASTS[wildcards.contrast])}.pkl")


def design_contrasts(wildcards):
    """Config specs of the contrasts sharing a design (the first one defines it)."""
    return [
        {k: v for k, v in s.items() if k != "description"}  # editing text never refits
        for s in config["de"]["contrasts"]
        if de.design_key(CONTRASTS[str(s["id"])]) == wildcards.design
    ]


def contrast_spec(wildcards):
    return next(
        s for s in config["de"]["contrasts"] if str(s["id"]) == wildcards.contrast
    )


# subtype.smk


def centroid_inputs(wildcards=None):
    """The centroid file (none for the built-in profile) and optional reference centres."""
    sub = config["subtype"]
    inputs = {}
    if preflight.centroid_url(config):
        inputs["centroids"] = out("resources/centroids.csv")
    elif sub["centroids"] != "builtin":
        inputs["centroids"] = sub["centroids"]
    if sub["centring"] == "reference":
        inputs["reference"] = sub["reference_centres"]
    return inputs


# outcome.smk


def patient_table_inputs(wildcards=None):
    """Sheets, plus subtype calls and FISH sample scores when those stages run."""
    inputs = dict(sheet_inputs())
    if config["subtype"]["enabled"]:
        inputs["subtypes"] = out("subtypes/patients.tsv")
    if HAS_FISH:
        inputs["fish"] = out("fish/samples.tsv")
        inputs["fish_discordance"] = out("fish/biopsy_discordance.tsv")
    return inputs


# paper.smk


def findings_inputs(wildcards=None):
    """Tables of the findings checks: expression and sheets (finding 4's per-patient test), the
    interaction contrast, FISH samples, subtype transitions and the gene sets (circularity).
    """
    inputs = {
        "expression": out("expression/expression.h5ad"),
        "samples": sheet_inputs()["samples"],
        "patient_sheet": sheet_inputs()["patients"],
        "gene_sets": [resource_path(p) for p in config["scores"]["gene_sets"]],
    }
    if "treatment_HET_vs_nonHET" in CONTRASTS:
        inputs["interaction"] = out("de/contrasts/treatment_HET_vs_nonHET.tsv")
    if HAS_FISH:
        inputs["fish_samples"] = out("fish/samples.tsv")
    return inputs | subtype_transitions()


def survival_inputs(wildcards=None):
    """Survival tables for fig6, when survival models run."""
    if not config["outcome"]["survival"]["enabled"]:
        return {}
    names = ("cox_terms", "km_curves", "km_at_risk", "logrank")
    return {n: out(f"outcome/{n}.tsv") for n in names}


def subtype_transitions(wildcards=None):
    """Subtype transitions (figure 4 and the findings), when subtyping runs."""
    if config["subtype"]["enabled"]:
        return {"transitions": out("subtypes/transitions.tsv")}
    return {}


def paper_targets():
    """fig1 ... fig6 (PNG and PDF, from the rules' outputs) and the findings table."""
    figs = [f for k in range(1, 7) for f in getattr(rules, f"fig{k}").output]
    return figs + [rules.paper_findings.output.table]
