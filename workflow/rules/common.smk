# Shared set-up: validate the config and the input sheets before any job runs, define wildcard
# constraints and the input functions used by the stage files.
from pathlib import Path

import re
import shlex
import sys

from her2het import de, outcome, quant, scores, sheets, simulate

SCHEMAS = Path(workflow.current_basedir).parent / "schemas"
ENV_PYTHON = "../../envs/python.yaml"


def _python():
    """Interpreter for shell rules: the conda env's with --use-conda, else Snakemake's own."""
    try:
        from snakemake.settings.types import DeploymentMethod

        if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
            return "python"
    except (ImportError, AttributeError):
        pass
    return shlex.quote(sys.executable)


PYTHON = _python()


def _config_overrides():
    """The --config values (Snakemake passes nested ones as strings)."""
    settings = getattr(workflow, "config_settings", None)
    return dict(getattr(settings, "config", None) or {})


CONFIG_SOURCES = sheets.ConfigSources(
    [str(f) for f in workflow.configfiles], _config_overrides()
)


def _config_source(key=None):
    """Where ``key`` was set: the command line or the config file (all files without a key)."""
    return CONFIG_SOURCES(key)


def _config_error(key, message):
    return sheets.InputError(f"{_config_source(key)}, key '{key}': {message}")


def _counts_from(cfg):
    """'salmon' (FASTQ input) or 'matrix' (a count matrix: the user's, GEO's or the demo's)."""
    if cfg["input"] == "demo":
        return "salmon" if cfg["demo"]["reads"]["enabled"] else "matrix"
    if cfg["input"] == "sheets":
        return "matrix" if cfg["sheets"]["counts"] else "salmon"
    return "matrix"


def _warn(message):
    """An accepted input worth telling about: one line on stderr."""
    print(f"Warning: {message}", file=sys.stderr)


def _validate_inputs():
    """Validate config and, for user data, every sheet and table. Raise one-line errors.

    Returns the sample and patient sheets and the count matrix's genes (None when the counts
    come from a job: the demo or salmon).
    """
    try:
        sheets.coerce_overrides(
            config, _config_overrides(), SCHEMAS / "config.schema.yaml"
        )
        sheets.validate_config(config, SCHEMAS / "config.schema.yaml", _config_source)
        if config["input"] == "demo":
            d = config["demo"]
            try:
                simulate.resolve_design(
                    d["size"],
                    d["n_genes"],
                    d["cells_per_area"],
                    d["reads"]["read_pairs"],
                )
            except ValueError as exc:
                raise _config_error("demo", exc) from None
            patients, samples = simulate.demo_sheets(
                d["size"],
                d["seed"],
                reads=d["reads"]["enabled"],
                paired=d["reads"]["paired"],
            )
            return samples, patients, None
        if config["input"] == "geo":
            from her2het import geo

            samples, patients, counts = geo.load_geo(
                config["geo"], SCHEMAS, source=_config_source("geo")
            )
            return samples, patients, list(counts.index)
        s = config["sheets"]
        if _counts_from(config) == "salmon":
            q = config["quant"]
            if not q["transcriptome"]:
                raise _config_error(
                    "quant.transcriptome",
                    "FASTQ input needs a transcript FASTA (or give sheets.counts)",
                )
            for key in ("transcriptome", "gtf", "tx2gene", "decoys"):
                if q[key] and not Path(q[key]).is_file():
                    raise _config_error(
                        f"quant.{key}", f"{sheets.not_a_file(q[key])}: {q[key]}"
                    )
            if q["tx2gene"] and q["gtf"]:
                raise _config_error(
                    "quant.tx2gene", "give quant.tx2gene or quant.gtf, not both"
                )
            if q["tx2gene"]:
                quant.read_tx2gene(q["tx2gene"])
            elif not q["gtf"] and not quant.fasta_has_gene_names(q["transcriptome"]):
                _warn(
                    f"{q['transcriptome']}: transcript headers carry no gene names and neither "
                    "quant.tx2gene nor quant.gtf is given; counts will be per transcript "
                    "(each transcript its own gene, named by its ID), so gene-set scores, "
                    "subtypes and gene names will not match. Give quant.tx2gene for "
                    "gene-level counts."
                )
            samples = sheets.load_samples(s["samples"], SCHEMAS / "samples.schema.yaml")
            patients = sheets.load_patients(
                s["patients"], SCHEMAS / "patients.schema.yaml"
            )
            sheets.check_cohort(samples, patients, s["samples"], s["patients"])
            sheets.check_fastq(samples, s["samples"])
            if s["fish_cells"]:
                sheets.read_fish_cells(
                    s["fish_cells"],
                    SCHEMAS / "fish_cells.schema.yaml",
                    samples["sample"],
                    require_xy=config["fish"]["spatial_pattern"]["enabled"],
                )
            return samples, patients, None
        samples, patients, counts = sheets.load_user_inputs(
            s["samples"],
            s["patients"],
            s["counts"],
            SCHEMAS,
            s["fish_cells"],
            require_xy=config["fish"]["spatial_pattern"]["enabled"],
            gene_map_path=s["gene_map"],
            warn=_warn,
        )
        return samples, patients, list(counts.index)
    except sheets.InputError as exc:
        # One line, no traceback: the message names file, row and column.
        print(f"Invalid input: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


SAMPLES, PATIENTS, COUNT_GENES = _validate_inputs()


REPO = Path(workflow.basedir)


def resource_path(path):
    """A relative path from the working directory, else from the workflow's own directory
    (so that ``resources/...`` shipped with the workflow is found from any working directory).
    """
    p = Path(path)
    if p.is_absolute() or p.exists() or not (REPO / p).exists():
        return str(path)
    return str(REPO / p)


def subtype_url():
    """The configured centroid URL (None for builtin or a local file)."""
    c = config["subtype"]["centroids"]
    return c if c.split("://", 1)[0] in ("http", "https", "file") else None


def _has_fish():
    return config["input"] == "demo" or (
        config["input"] == "sheets" and bool(config["sheets"]["fish_cells"])
    )


def _counts_path():
    """The count matrix as the user named it (for messages)."""
    if config["input"] == "geo":
        return config["geo"]["counts"]
    return config["sheets"]["counts"]


def _check_centroid_genes(sub):
    """Enough centroid genes in the count matrix (local centroids; a URL is fetched by a job)."""
    from her2het import subtype

    try:
        centroids = (
            subtype.builtin_centroids()
            if sub["centroids"] == "builtin"
            else subtype.read_genefu_model(sub["centroids"])
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise _config_error("subtype.centroids", exc) from None
    why = sheets.check_gene_overlap(
        list(centroids.table.index),
        COUNT_GENES,
        "centroids {!r}".format(sub["centroids"]),
        _counts_path(),
        need=sub["min_genes"],
    )
    if why:
        raise _config_error(
            "subtype.min_genes", f"{why}; set subtype.enabled: false to skip subtyping"
        )


# Analyses the cohort's columns cannot form (no HET, pCR, follow-up or second timepoint) are
# skipped before any job, each named once: "Skipped: ..." on stderr and results/skipped.tsv.
SKIPS = []


def _skip_unformable_contrasts(contrasts, meta):
    """Drop the DE contrasts this cohort cannot form (her2het.skips.contrast_skip)."""
    from her2het import skips

    specs, kept, found = skips.prune_contrasts(
        config["de"]["contrasts"], contrasts, meta
    )
    config["de"]["contrasts"] = specs
    SKIPS.extend(found)
    return kept


def _skip_unformable_outcome(columns):
    """Drop the pCR/survival models whose trial columns are absent (her2het.skips)."""
    from her2het import skips

    config["outcome"], found = skips.prune_outcome(config["outcome"], columns)
    SKIPS.extend(found)


def _warn_unused_subset(key, contrast, meta):
    """A subset value that no sample has selects nothing: a typo more often than not."""
    for col, allowed in contrast.subset.items():
        present = set(de.level_series(meta[col]))
        for value in allowed:
            if value not in present:
                _warn(
                    f"{_config_source(key)}, key '{key}.subset.{col}' (id {contrast.id}): "
                    f"value {value!r} never occurs in column {col!r} (values: "
                    f"{', '.join(sorted(present - {''}))})"
                )


def _warn_duplicate_models(out):
    """Two outcome models with one id: their rows cannot be told apart in the output tables."""
    for key, models in (
        ("outcome.logistic.models", out["logistic"]["models"]),
        ("outcome.survival.cox", out["survival"]["cox"]),
    ):
        seen = set()
        for i, m in enumerate(models):
            if m["id"] in seen:
                _warn(
                    f"{_config_source(key)}, key '{key}[{i}]': model id {m['id']!r} is used "
                    "twice; their rows share the id in the output tables"
                )
            seen.add(m["id"])


def _validate_analysis():
    """Contrasts, gene-set files and centroids: checked against the sheets before any job."""
    try:
        try:
            contrasts = de.parse_contrasts(config["de"]["contrasts"])
        except ValueError as exc:
            raise _config_error("de.contrasts", exc) from None
        meta = SAMPLES.merge(PATIENTS, on="patient", how="left")
        index = {str(s["id"]): i for i, s in enumerate(config["de"]["contrasts"])}
        contrasts = _skip_unformable_contrasts(contrasts, meta)
        for c in contrasts:
            why = de.check_contrast(c, meta)
            if why:
                raise _config_error(f"de.contrasts[{index[c.id]}] (id {c.id})", why)
            _warn_unused_subset(f"de.contrasts[{index[c.id]}]", c, meta)
        _warn_duplicate_models(config["outcome"])
        defined_in = {}
        for i, path in enumerate(config["scores"]["gene_sets"]):
            if not Path(resource_path(path)).is_file():
                raise _config_error(
                    f"scores.gene_sets[{i}]",
                    f"{sheets.not_a_file(resource_path(path))}: {path}",
                )
            try:
                gene_sets = scores.read_gmt(resource_path(path))
            except (ValueError, UnicodeDecodeError) as exc:
                raise _config_error(f"scores.gene_sets[{i}]", exc) from None
            for gs in gene_sets:
                if gs.name in defined_in:
                    raise _config_error(
                        f"scores.gene_sets[{i}]",
                        f"gene set {gs.name!r} of {path} is already defined in "
                        f"{defined_in[gs.name]} (set names must be unique across files)",
                    )
                defined_in[gs.name] = path
            why = sheets.check_gene_overlap(
                [g for s in gene_sets for g in s.genes],
                COUNT_GENES,
                path,
                _counts_path(),
            )
            if why:
                raise _config_error(f"scores.gene_sets[{i}]", why)
        sub = config["subtype"]
        if subtype_url():
            if not sub["sha256"]:
                raise _config_error(
                    "subtype.sha256",
                    "a centroid URL needs the file's sha256 (pinned download)",
                )
        elif sub["centroids"] != "builtin" and not Path(sub["centroids"]).is_file():
            raise _config_error(
                "subtype.centroids",
                f"{sheets.not_a_file(sub['centroids'])}: {sub['centroids']}",
            )
        if sub["enabled"] and not subtype_url():
            _check_centroid_genes(sub)
        if sub["centring"] == "reference" and not sub["reference_centres"]:
            raise _config_error(
                "subtype.reference_centres", "centring 'reference' needs this table"
            )
        if config["outcome"]["score_method"] not in config["scores"]["methods"]:
            raise _config_error(
                "outcome.score_method",
                f"{config['outcome']['score_method']!r} is not in scores.methods",
            )
        set_names = [
            s.name
            for path in config["scores"]["gene_sets"]
            for s in scores.read_gmt(resource_path(path))
        ]
        columns = outcome.expected_columns(
            list(PATIENTS.columns),
            config["outcome"]["genes"],
            set_names,
            subtype=config["subtype"]["enabled"],
            fish=_has_fish(),
        )
        _skip_unformable_outcome(columns)
        for key, message in outcome.check_outcome_config(config["outcome"], columns):
            raise _config_error(key, message)
        return contrasts
    except sheets.InputError as exc:
        print(f"Invalid input: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


CONTRASTS = {c.id: c for c in _validate_analysis()}
for _skip in SKIPS:
    print(_skip.line(), file=sys.stderr)
IS_DEMO = config["input"] == "demo"
COUNTS_FROM = _counts_from(config)
SAMPLE_IDS = SAMPLES["sample"].tolist()
FASTQ = sheets.fastq_lanes(SAMPLES) if COUNTS_FROM == "salmon" else {}


wildcard_constraints:
    sample=sheets.SAFE_ID,
    patient=sheets.SAFE_ID,
    contrast="|".join(re.escape(c) for c in CONTRASTS) or "no-contrast",
    design="design_[0-9a-f]+",


def design_fit(wildcards):
    """The fitted design a contrast is tested on."""
    return f"results/de/fits/{de.design_key(CONTRASTS[wildcards.contrast])}.pkl"


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


def centroid_inputs(wildcards=None):
    """The centroid file (none for the built-in profile) and optional reference centres."""
    sub = config["subtype"]
    inputs = {}
    if subtype_url():
        inputs["centroids"] = "results/resources/centroids.csv"
    elif sub["centroids"] != "builtin":
        inputs["centroids"] = sub["centroids"]
    if sub["centring"] == "reference":
        inputs["reference"] = sub["reference_centres"]
    return inputs


def figure_dpi(*stems):
    """Params function giving a figure job's PNG resolution.

    ``report.figure_dpi_by_figure[<file stem>]`` (stems may hold wildcards, e.g.
    ``volcano_{contrast}``; the first one set wins), else ``report.figure_dpi``. A function of
    wildcards only, so Snakemake records its value: changing one figure's entry re-runs that
    figure's job and nothing else.
    """

    def dpi(wildcards):
        by_figure = config["report"]["figure_dpi_by_figure"]
        for stem in stems:
            name = stem.format(**wildcards)
            if name in by_figure:
                return by_figure[name]
        return config["report"]["figure_dpi"]

    return dpi


def data_source():
    """One-line provenance shown on every figure and in the cohort object."""
    if IS_DEMO:
        d = config["demo"]
        return (
            f"{simulate.SIMULATED_NOTE}; size={d['size']}, seed={d['seed']}, "
            f"effect_scale={d['effect_scale']:g}"
        )
    if config["input"] == "geo":
        return f"GEO import: {config['geo']['series_matrix']}"
    return f"user data: {config['sheets']['samples']}"


def sheet_inputs(wildcards=None):
    """Sample and patient sheets: simulated (demo), imported (GEO) or the user's."""
    if IS_DEMO:
        return {
            "samples": "results/demo/samples.tsv",
            "patients": "results/demo/patients.tsv",
        }
    if config["input"] == "geo":
        return {
            "samples": "results/geo/samples.tsv",
            "patients": "results/geo/patients.tsv",
        }
    s = config["sheets"]
    return {"samples": s["samples"], "patients": s["patients"]}


def count_matrix(wildcards=None):
    """The genes x samples count matrix that drives the analysis (columns: sample IDs)."""
    if COUNTS_FROM == "salmon":
        return "results/quant/counts.tsv"
    if IS_DEMO:
        return "results/demo/counts.tsv"
    if config["input"] == "geo":
        return "results/geo/counts.tsv"
    return "results/counts/counts.tsv"


def user_counts_inputs(wildcards=None):
    """The user's count matrix, sheets and optional gene-id -> symbol map."""
    s = config["sheets"]
    inputs = {"counts": s["counts"], "samples": s["samples"]}
    if s["gene_map"]:
        inputs["gene_map"] = s["gene_map"]
    return inputs


def multiqc_salmon_inputs(wildcards=None):
    """salmon's per-sample metadata (MultiQC parses the salmon directories), when it ran."""
    if COUNTS_FROM != "salmon":
        return {}
    return {
        "salmon_meta": expand(
            "results/quant/salmon/{sample}/aux_info/meta_info.json", sample=SAMPLE_IDS
        )
    }


def salmon_stats_input(wildcards=None):
    """salmon's per-sample statistics, when the counts come from salmon."""
    return (
        {"salmon_stats": "results/quant/salmon_stats.tsv"}
        if COUNTS_FROM == "salmon"
        else {}
    )


def transcriptome():
    return (
        "results/demo/transcriptome.fa" if IS_DEMO else config["quant"]["transcriptome"]
    )


def annotation_input(wildcards=None):
    """tx2gene table, GTF or FASTA (headers) for the transcript -> gene table."""
    if config["quant"]["tx2gene"] and not IS_DEMO:
        return {"tx2gene": config["quant"]["tx2gene"]}
    if config["quant"]["gtf"] and not IS_DEMO:
        return {"gtf": config["quant"]["gtf"]}
    return {"fasta": transcriptome()}


def index_inputs(wildcards=None):
    inputs = {"transcriptome": transcriptome()}
    if config["quant"]["decoys"] and not IS_DEMO:
        inputs["decoys"] = config["quant"]["decoys"]
    return inputs


def decoys_arg(wildcards, input):
    """salmon index option for decoys (empty without decoys)."""
    return f"--decoys {shlex.quote(input.decoys)}" if "decoys" in input.keys() else ""


def salmon_outdir(wildcards):
    return f"results/quant/salmon/{wildcards.sample}"


def fastq_inputs(wildcards):
    """A sample's FASTQ files (the demo's come as one directory per sample)."""
    if IS_DEMO:
        return {"fastq": f"{simulate.FASTQ_DIR}/{wildcards.sample}"}
    r1, r2 = FASTQ[wildcards.sample]
    return {"fastq": r1 + r2}


def sample_index(wildcards):
    """Position of a sample in the sheet (seeds its simulated reads)."""
    return SAMPLE_IDS.index(wildcards.sample)


def fastq_r1(wildcards):
    return FASTQ[wildcards.sample][0]


def fastq_r2(wildcards):
    return FASTQ[wildcards.sample][1]


def fish_inputs(wildcards=None):
    """Per-cell FISH table and the sheets it refers to."""
    cells = (
        "results/demo/fish_cells.parquet" if IS_DEMO else config["sheets"]["fish_cells"]
    )
    return {"cells": cells, **sheet_inputs()}


HAS_FISH = _has_fish()


def patient_table_inputs(wildcards=None):
    """Sheets, plus subtype calls and FISH sample scores when those stages run."""
    inputs = dict(sheet_inputs())
    if config["subtype"]["enabled"]:
        inputs["subtypes"] = "results/subtypes/patients.tsv"
    if HAS_FISH:
        inputs["fish"] = "results/fish/samples.tsv"
        inputs["fish_discordance"] = "results/fish/biopsy_discordance.tsv"
    return inputs


# Paper figure rule -> what it shows (file results/figures/paper/<rule>_<what>.png)
PAPER_FIGURES = {
    "fig1": "cohort",
    "fig2": "erbb2_by_group",
    "fig3": "het",
    "fig4": "pre_post",
    "fig5": "immune",
    "fig6": "outcome",
}


def findings_inputs(wildcards=None):
    """Tables of the findings checks: expression and sheets (finding 4's per-patient test), the
    interaction contrast, FISH samples, subtype transitions and the gene sets (circularity).
    """
    inputs = {
        "expression": "results/expression/expression.h5ad",
        "samples": sheet_inputs()["samples"],
        "patient_sheet": sheet_inputs()["patients"],
        "gene_sets": [resource_path(p) for p in config["scores"]["gene_sets"]],
    }
    if "treatment_HET_vs_nonHET" in CONTRASTS:
        inputs["interaction"] = "results/de/contrasts/treatment_HET_vs_nonHET.tsv"
    if HAS_FISH:
        inputs["fish_samples"] = "results/fish/samples.tsv"
    if config["subtype"]["enabled"]:
        inputs["transitions"] = "results/subtypes/transitions.tsv"
    return inputs


def fig4_inputs(wildcards=None):
    """Subtype transitions for fig4, when subtyping runs."""
    if config["subtype"]["enabled"]:
        return {"transitions": "results/subtypes/transitions.tsv"}
    return {}


def survival_inputs(wildcards=None):
    """Survival tables for fig6, when survival models run."""
    if not config["outcome"]["survival"]["enabled"]:
        return {}
    names = ("cox_terms", "km_curves", "km_at_risk", "logrank")
    return {n: f"results/outcome/{n}.tsv" for n in names}


def paper_targets():
    """fig1 ... fig6 (PNG and PDF) and the findings table."""
    figs = [
        f"results/figures/paper/{k}_{v}.{ext}"
        for k, v in PAPER_FIGURES.items()
        for ext in ("png", "pdf")
    ]
    return figs + ["results/paper/findings.tsv"]


def outcome_targets():
    """Tables of the response and outcome stage."""
    targets = [
        "results/outcome/patients.tsv",
        "results/outcome/associations.tsv",
        "results/outcome/logistic_terms.tsv",
    ]
    if config["outcome"]["survival"]["enabled"]:
        targets.append("results/outcome/cox_terms.tsv")
    return targets


FISH_FIGURES = ["ratio_distributions", "het_prevalence", "pre_post", "rna"] + (
    ["spatial_patterns"] if config["fish"]["spatial_pattern"]["enabled"] else []
)


def all_targets():
    targets = [
        "results/qc/multiqc_report.html",
        "results/software_versions.tsv",
        "results/skipped.tsv",
        "results/qc/samples.tsv",
        "results/figures/qc.png",
        "results/cohort/cohort.h5ad",
        "results/cohort/summary.tsv",
        "results/figures/sample_flow.png",
        "results/figures/sample_flow.pdf",
    ]
    if HAS_FISH:
        targets += [
            "results/fish/areas.tsv",
            "results/fish/patients.tsv",
            "results/fish/pre_post.tsv",
        ]
        targets += expand(
            "results/figures/fish_{fig}.{ext}", fig=FISH_FIGURES, ext=("png", "pdf")
        )
    targets += [
        "results/expression/expression.h5ad",
        "results/expression/biopsy_concordance_genes.tsv",
        "results/de/summary.tsv",
        "results/scores/scores.tsv",
        "results/scores/comparisons.tsv",
    ]
    if config["subtype"]["enabled"]:
        targets.append("results/subtypes/samples.tsv")
    targets += expand(
        "results/figures/de/volcano_{contrast}.{ext}",
        contrast=list(CONTRASTS),
        ext=("png", "pdf"),
    )
    targets += expand(
        "results/figures/{fig}.{ext}",
        fig=["scores_groups", "scores_pre_post"]
        + (["subtype_transitions"] if config["subtype"]["enabled"] else []),
        ext=("png", "pdf"),
    )
    targets += outcome_targets() + paper_targets()
    if IS_DEMO and COUNTS_FROM == "salmon":
        targets.append("results/quant/truth_comparison.tsv")
    if IS_DEMO and config["fish"]["spatial_pattern"]["enabled"]:
        targets.append("results/fish/pattern_validation.tsv")
    return targets


def _check_figure_options():
    """report.figure_dpi_by_figure keys must name figures this run draws (a typo is an error)."""
    stems = sorted({Path(t).stem for t in all_targets() if t.endswith(".png")})
    for key in config["report"]["figure_dpi_by_figure"]:
        if key not in stems:
            print(
                f"Invalid input: {_config_source(f'report.figure_dpi_by_figure.{key}')}, "
                f"key 'report.figure_dpi_by_figure.{key}': "
                f"no such figure; figures: {', '.join(stems)}",
                file=sys.stderr,
            )
            raise SystemExit(1)


_check_figure_options()
