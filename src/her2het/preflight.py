"""Pre-flight: every check that runs before any job, as plain functions over config and tables.

``workflow/rules/common.smk`` calls :func:`run` once, at parse time. Each check raises
:class:`her2het.io.sheets.InputError` with one line naming the file (or the config file / the
command line and the key), the row and the column; ``common.smk`` prints it as
``Invalid input: ...`` and exits before any job, so a bad input leaves no partial output.
Accepted inputs worth telling about go to ``warn`` (``Warning: ...`` lines). Analyses the
cohort's columns cannot form (no HET, pCR, follow-up or second timepoint) are dropped from the
config and returned as :class:`her2het.skips.Skip` records (``Skipped: ...`` lines and
``results/skipped.tsv``).

The checks, in the order :func:`run` applies them:

* :func:`check_config` - ``--config`` values coerced by the schema's types, then the whole
  config validated against ``workflow/schemas/config.schema.yaml`` (defaults filled in).
* :func:`load_cohort` - the sample and patient sheets and the count matrix's genes, from the
  demo (:func:`her2het.simulate.demo_sheets`), GEO (:func:`her2het.io.geo.load_geo`) or the
  user's sheets (:func:`check_quant_inputs` for FASTQ input, else
  :func:`her2het.io.sheets.load_user_inputs`).
* :func:`check_contrasts` - DE contrasts parsed, unformable ones skipped, the rest checked
  against the sample table (:func:`her2het.de.check_contrast`).
* :func:`check_gene_sets`, :func:`check_subtype`, :func:`check_single_sample`,
  :func:`check_outcome` - gene-set files, centroids and centring, the single-sample model and
  its raw-expression table (skipped without one), outcome models against the columns the
  patient table will have.
* :func:`check_figure_options` - per-figure resolutions name figures the run draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from her2het import de, outcome, simulate, skips
from her2het.io import centroids as centroids_io
from her2het.io import gmt, quant, read_table, sheets

Warn = Callable[[str], None]


@dataclass
class Context:
    """What the checks need besides the config: where keys came from, the schemas, how to
    find files shipped with the workflow, and where warnings go."""

    config: dict[str, Any]
    source: sheets.ConfigSources
    schemas: Path
    resolve: Callable[[str], str] = str
    warn: Warn = print

    def error(self, key: str, message: object) -> sheets.InputError:
        """A one-line error naming where ``key`` was set."""
        return sheets.InputError(f"{self.source(key)}, key '{key}': {message}")


@dataclass
class Checked:
    """What the pre-flight found: the cohort's sheets, the count matrix's genes (``None`` when
    the counts come from a job: the demo or salmon), the contrasts to run and the skips."""

    samples: pd.DataFrame
    patients: pd.DataFrame
    count_genes: list[str] | None
    contrasts: dict[str, de.Contrast]
    skips: list[skips.Skip] = field(default_factory=list)


def output_path(cfg: Mapping[str, Any], path: str) -> str:
    """``path`` under the output directory (setting ``outdir``, default ``results``)."""
    return f"{str(cfg['outdir']).rstrip('/')}/{path}"


def input_files(cfg: Mapping[str, Any]) -> dict[str, str | None]:
    """The files the analysis starts from: ``samples``, ``patients``, ``counts`` (the genes x
    samples matrix), ``fish_cells`` and ``transcriptome`` (None where the input has none).

    The one place where the demo / GEO / user-sheet switch is made: the demo's and GEO's files
    are rule outputs under the output directory, the user's are the paths of the config.
    """
    source = cfg["input"]
    s, q = cfg["sheets"], cfg["quant"]
    if source in ("demo", "geo"):
        files: dict[str, str | None] = {
            "samples": output_path(cfg, f"{source}/samples.tsv"),
            "patients": output_path(cfg, f"{source}/patients.tsv"),
            "counts": output_path(cfg, f"{source}/counts.tsv"),
            "fish_cells": output_path(cfg, "demo/fish_cells.parquet") if source == "demo" else None,
            "transcriptome": output_path(cfg, "demo/transcriptome.fa")
            if source == "demo"
            else None,
        }
    else:
        files = {
            "samples": s["samples"],
            "patients": s["patients"],
            "counts": output_path(cfg, "counts/counts.tsv"),
            "fish_cells": s["fish_cells"] or None,
            "transcriptome": q["transcriptome"],
        }
    if counts_from(cfg) == "salmon":
        files["counts"] = output_path(cfg, "quant/counts.tsv")
    return files


def counts_from(cfg: Mapping[str, Any]) -> str:
    """'salmon' (FASTQ input) or 'matrix' (a count matrix: the user's, GEO's or the demo's)."""
    if cfg["input"] == "demo":
        return "salmon" if cfg["demo"]["reads"]["enabled"] else "matrix"
    if cfg["input"] == "sheets":
        return "matrix" if cfg["sheets"]["counts"] else "salmon"
    return "matrix"


def has_fish(cfg: Mapping[str, Any]) -> bool:
    """Per-cell FISH data: the demo's, or the user's ``sheets.fish_cells``."""
    return cfg["input"] == "demo" or (
        cfg["input"] == "sheets" and bool(cfg["sheets"]["fish_cells"])
    )


def counts_path(cfg: Mapping[str, Any]) -> str | None:
    """The count matrix as the user named it (for messages)."""
    if cfg["input"] == "geo":
        return cfg["geo"]["counts"]
    return cfg["sheets"]["counts"]


def centroid_url(cfg: Mapping[str, Any]) -> str | None:
    """The configured centroid URL (None for the built-in profile or a local file)."""
    c = cfg["subtype"]["centroids"]
    return c if c.split("://", 1)[0] in ("http", "https", "file") else None


def check_config(ctx: Context, overrides: Mapping[str, Any]) -> None:
    """``--config`` values coerced by the schema's types; the config validated (defaults set)."""
    schema = ctx.schemas / "config.schema.yaml"
    sheets.coerce_overrides(ctx.config, overrides, schema)
    sheets.validate_config(ctx.config, schema, ctx.source)


def _demo_cohort(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, None]:
    d = ctx.config["demo"]
    try:
        simulate.resolve_design(
            d["size"], d["n_genes"], d["cells_per_area"], d["reads"]["read_pairs"]
        )
    except ValueError as exc:
        raise ctx.error("demo", exc) from None
    patients, samples = simulate.demo_sheets(
        d["size"],
        d["seed"],
        reads=d["reads"]["enabled"],
        paired=d["reads"]["paired"],
        fastq_dir=output_path(ctx.config, simulate.FASTQ_SUBDIR),
    )
    return samples, patients, None


def check_quant_inputs(ctx: Context) -> None:
    """FASTQ input: the transcriptome and its annotation exist and fit together."""
    q = ctx.config["quant"]
    if not q["transcriptome"]:
        raise ctx.error(
            "quant.transcriptome", "FASTQ input needs a transcript FASTA (or give sheets.counts)"
        )
    for key in ("transcriptome", "gtf", "tx2gene", "decoys"):
        if q[key] and not Path(q[key]).is_file():
            raise ctx.error(f"quant.{key}", f"{sheets.not_a_file(q[key])}: {q[key]}")
    if q["tx2gene"] and q["gtf"]:
        raise ctx.error("quant.tx2gene", "give quant.tx2gene or quant.gtf, not both")
    if q["tx2gene"]:
        quant.read_tx2gene(q["tx2gene"])
    elif not q["gtf"] and not quant.fasta_has_gene_names(q["transcriptome"]):
        ctx.warn(
            f"{q['transcriptome']}: transcript headers carry no gene names and neither "
            "quant.tx2gene nor quant.gtf is given; counts will be per transcript "
            "(each transcript its own gene, named by its ID), so gene-set scores, "
            "subtypes and gene names will not match. Give quant.tx2gene for "
            "gene-level counts."
        )


def _fastq_cohort(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, None]:
    cfg, s = ctx.config, ctx.config["sheets"]
    check_quant_inputs(ctx)
    samples = sheets.load_samples(s["samples"], ctx.schemas / "samples.schema.yaml")
    patients = sheets.load_patients(s["patients"], ctx.schemas / "patients.schema.yaml")
    sheets.check_cohort(samples, patients, s["samples"], s["patients"])
    sheets.check_fastq(samples, s["samples"])
    if s["fish_cells"]:
        sheets.read_fish_cells(
            s["fish_cells"],
            ctx.schemas / "fish_cells.schema.yaml",
            samples["sample"],
            require_xy=cfg["fish"]["spatial_pattern"]["enabled"],
        )
    return samples, patients, None


def load_cohort(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, list[str] | None]:
    """The sample and patient sheets, and the count matrix's genes (``None`` when the counts
    come from a job: the demo or salmon). User tables are read and checked in full."""
    cfg = ctx.config
    if cfg["input"] == "demo":
        return _demo_cohort(ctx)
    if cfg["input"] == "geo":
        from her2het.io import geo

        samples, patients, counts = geo.load_geo(cfg["geo"], ctx.schemas, source=ctx.source("geo"))
        return samples, patients, list(counts.index)
    if counts_from(cfg) == "salmon":
        return _fastq_cohort(ctx)
    s = cfg["sheets"]
    samples, patients, counts = sheets.load_user_inputs(
        s["samples"],
        s["patients"],
        s["counts"],
        ctx.schemas,
        s["fish_cells"],
        require_xy=cfg["fish"]["spatial_pattern"]["enabled"],
        gene_map_path=s["gene_map"],
        warn=ctx.warn,
    )
    return samples, patients, list(counts.index)


def _warn_unused_subset(ctx: Context, key: str, contrast: de.Contrast, meta: pd.DataFrame) -> None:
    """A subset value that no sample has selects nothing: a typo more often than not."""
    for col, allowed in contrast.subset.items():
        present = set(de.level_series(meta[col]))
        for value in allowed:
            if value not in present:
                ctx.warn(
                    f"{ctx.source(key)}, key '{key}.subset.{col}' (id {contrast.id}): "
                    f"value {value!r} never occurs in column {col!r} (values: "
                    f"{', '.join(sorted(present - {''}))})"
                )


def check_contrasts(
    ctx: Context, samples: pd.DataFrame, patients: pd.DataFrame
) -> tuple[dict[str, de.Contrast], list[skips.Skip]]:
    """Parse ``de.contrasts``, drop (and name) those the cohort cannot form, check the rest.

    The dropped contrasts are also removed from ``config['de']['contrasts']``.
    """
    cfg = ctx.config
    try:
        contrasts = de.parse_contrasts(cfg["de"]["contrasts"])
    except ValueError as exc:
        raise ctx.error("de.contrasts", exc) from None
    meta = samples.merge(patients, on="patient", how="left")
    index = {str(s["id"]): i for i, s in enumerate(cfg["de"]["contrasts"])}
    specs, kept, found = skips.prune_contrasts(cfg["de"]["contrasts"], contrasts, meta)
    cfg["de"]["contrasts"] = specs
    for c in kept:
        why = de.check_contrast(c, meta)
        if why:
            raise ctx.error(f"de.contrasts[{index[c.id]}] (id {c.id})", why)
        _warn_unused_subset(ctx, f"de.contrasts[{index[c.id]}]", c, meta)
    return {c.id: c for c in kept}, found


def warn_duplicate_models(ctx: Context) -> None:
    """Two outcome models with one id: their rows cannot be told apart in the output tables."""
    out = ctx.config["outcome"]
    for key, models in (
        ("outcome.logistic.models", out["logistic"]["models"]),
        ("outcome.survival.cox", out["survival"]["cox"]),
    ):
        seen = set()
        for i, m in enumerate(models):
            if m["id"] in seen:
                ctx.warn(
                    f"{ctx.source(key)}, key '{key}[{i}]': model id {m['id']!r} is used "
                    "twice; their rows share the id in the output tables"
                )
            seen.add(m["id"])


def check_gene_sets(ctx: Context, count_genes: Sequence[str] | None) -> list[str]:
    """Every GMT file exists, parses, defines new set names and overlaps the count matrix.

    Returns the names of all sets, in file order.
    """
    defined_in: dict[str, str] = {}
    for i, path in enumerate(ctx.config["scores"]["gene_sets"]):
        where = ctx.resolve(path)
        if not Path(where).is_file():
            raise ctx.error(f"scores.gene_sets[{i}]", f"{sheets.not_a_file(where)}: {path}")
        try:
            gene_sets = gmt.read_gmt(where)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ctx.error(f"scores.gene_sets[{i}]", exc) from None
        for gs in gene_sets:
            if gs.name in defined_in:
                raise ctx.error(
                    f"scores.gene_sets[{i}]",
                    f"gene set {gs.name!r} of {path} is already defined in "
                    f"{defined_in[gs.name]} (set names must be unique across files)",
                )
            defined_in[gs.name] = path
        why = sheets.check_gene_overlap(
            [g for s in gene_sets for g in s.genes], count_genes, path, counts_path(ctx.config)
        )
        if why:
            raise ctx.error(f"scores.gene_sets[{i}]", why)
    return list(defined_in)


def _check_centroid_genes(ctx: Context, count_genes: Sequence[str] | None) -> None:
    """Enough centroid genes in the count matrix (local centroids; a URL is fetched by a job)."""
    from her2het import subtype

    sub = ctx.config["subtype"]
    try:
        centroids = (
            subtype.builtin_centroids()
            if sub["centroids"] == "builtin"
            else subtype.genefu_centroids(
                centroids_io.read_genefu_table(sub["centroids"]), Path(sub["centroids"]).name
            )
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise ctx.error("subtype.centroids", exc) from None
    why = sheets.check_gene_overlap(
        list(centroids.table.index),
        count_genes,
        "centroids {!r}".format(sub["centroids"]),
        counts_path(ctx.config),
        need=sub["min_genes"],
    )
    if why:
        raise ctx.error("subtype.min_genes", f"{why}; set subtype.enabled: false to skip subtyping")


def check_subtype(ctx: Context, count_genes: Sequence[str] | None) -> None:
    """Centroids: a pinned URL, an existing file or the built-in profile, with enough genes in
    the count matrix; reference centring has its table."""
    sub = ctx.config["subtype"]
    url = centroid_url(ctx.config)
    if url:
        if not sub["sha256"]:
            raise ctx.error(
                "subtype.sha256", "a centroid URL needs the file's sha256 (pinned download)"
            )
    elif sub["centroids"] != "builtin" and not Path(sub["centroids"]).is_file():
        raise ctx.error(
            "subtype.centroids", f"{sheets.not_a_file(sub['centroids'])}: {sub['centroids']}"
        )
    if sub["enabled"] and not url:
        _check_centroid_genes(ctx, count_genes)
    if sub["centring"] == "reference" and not sub["reference_centres"]:
        raise ctx.error("subtype.reference_centres", "centring 'reference' needs this table")


def single_sample_expression(cfg: Mapping[str, Any]) -> str | None:
    """The raw-expression table the single-sample predictor reads: the configured one, else
    salmon's gene TPM (``quant/tpm.tsv``) when the counts come from salmon; None without."""
    ssp = cfg["subtype"]["single_sample"]
    if ssp["expression"]:
        return str(ssp["expression"])
    if counts_from(cfg) == "salmon":
        return output_path(cfg, "quant/tpm.tsv")
    return None


def check_single_sample(ctx: Context, samples: pd.DataFrame) -> list[skips.Skip]:
    """``subtype.single_sample``: the model file holds the named model; the expression table
    (when given) has every sample. Without raw expression (a count matrix and no
    ``expression``) the predictor is skipped, named once."""
    cfg = ctx.config
    ssp = cfg["subtype"]["single_sample"]
    if not ssp["model"] or not cfg["subtype"]["enabled"]:
        return []
    key = "subtype.single_sample.model"
    if not Path(ssp["model"]).is_file():
        raise ctx.error(key, f"{sheets.not_a_file(ssp['model'])}: {ssp['model']}")
    from her2het.io import sspmodel

    try:
        sspmodel.read_pair_model(ssp["model"], ssp["name"], annotation=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ctx.error(key, exc) from None
    if ssp["expression"]:
        path = Path(ssp["expression"])
        ekey = "subtype.single_sample.expression"
        if not path.is_file():
            raise ctx.error(ekey, f"{sheets.not_a_file(path)}: {path}")
        head = read_table(path, index_col=0, nrows=200)
        try:
            sspmodel.check_numeric(head, path)
        except ValueError as exc:
            raise ctx.error(ekey, exc) from None
        header = head.columns.astype(str)
        lacking = [s for s in samples["sample"].astype(str) if s not in set(header)]
        if lacking:
            raise ctx.error(
                ekey,
                f"{path}, header row: no column for sample {lacking[0]}"
                + (f" (and {len(lacking) - 1} more)" if len(lacking) > 1 else ""),
            )
    if single_sample_expression(cfg) is None:
        return [
            skips.Skip(
                "subtype",
                f"single-sample predictor {ssp['name']}",
                "needs raw expression (TPM/FPKM): the counts are a matrix; set "
                "subtype.single_sample.expression",
            )
        ]
    return []


def check_outcome(
    ctx: Context, patients: pd.DataFrame, set_names: Sequence[str]
) -> list[skips.Skip]:
    """Outcome models against the columns the patient table will have; models whose trial
    columns are absent are dropped from the config and returned as skips."""
    cfg = ctx.config
    if cfg["outcome"]["score_method"] not in cfg["scores"]["methods"]:
        raise ctx.error(
            "outcome.score_method", f"{cfg['outcome']['score_method']!r} is not in scores.methods"
        )
    columns = outcome.expected_columns(
        list(patients.columns),
        cfg["outcome"]["genes"],
        list(set_names),
        subtype=cfg["subtype"]["enabled"],
        fish=has_fish(cfg),
    )
    cfg["outcome"], found = skips.prune_outcome(cfg["outcome"], columns)
    for key, message in outcome.check_outcome_config(cfg["outcome"], columns):
        raise ctx.error(key, message)
    return found


def check_figure_options(ctx: Context, figure_stems: Iterable[str]) -> None:
    """``report.figure_dpi_by_figure`` keys must name figures this run draws (a typo is an
    error, not a silently ignored setting)."""
    stems = sorted(set(figure_stems))
    for key in ctx.config["report"]["figure_dpi_by_figure"]:
        if key not in stems:
            raise ctx.error(
                f"report.figure_dpi_by_figure.{key}", f"no such figure; figures: {', '.join(stems)}"
            )


def run(ctx: Context, overrides: Mapping[str, Any]) -> Checked:
    """Every pre-flight check, in order (see the module docstring). Raises ``InputError``."""
    check_config(ctx, overrides)
    samples, patients, genes = load_cohort(ctx)
    contrasts, found = check_contrasts(ctx, samples, patients)
    warn_duplicate_models(ctx)
    set_names = check_gene_sets(ctx, genes)
    check_subtype(ctx, genes)
    found += check_single_sample(ctx, samples)
    found += check_outcome(ctx, patients, set_names)
    return Checked(samples, patients, genes, contrasts, found)
