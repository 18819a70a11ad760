"""Lazy, cached access to the workflow's result tables (for notebooks and ad-hoc analysis).

:func:`load_results` opens a ``results/`` directory written by the workflow and returns a
:class:`Results` object. Nothing is read when it is created: each table is read from its TSV
file the first time its attribute is used and kept in memory afterwards::

    import her2het

    res = her2het.load_results("results")
    res.data_source            # says SIMULATED for the demo cohort
    res.available()            # names of the tables present on disk
    res.patients               # outcome/patients.tsv: one row per patient and timepoint
    res.de("pre_pCR_vs_noPCR") # one DE contrast
    adata = res.expression()   # AnnData: VST in X, layers 'vst', 'log2cpm', 'counts'

Every table attribute returns a fresh copy of the cached ``pandas.DataFrame``, so a notebook
can add columns without changing what the next cell sees. Reading conventions:

* ``sample``, ``patient`` and other identifier columns are read as ``str`` (patient ``"001"``
  stays ``"001"``);
* the subtype tables are read with ``keep_default_na=False`` (an empty ``subtype_post`` means
  "no residual sample", not missing data), and their numeric columns are converted back to
  numbers; free-text columns of the other tables (``note``, ``outlier_reason``, ...) hold ``""``
  rather than NaN when empty;
* a table that does not exist raises :class:`FileNotFoundError` naming the file, the workflow
  rule that writes it and, for optional stages (FISH, subtypes, survival), when it is absent.

Column meanings are documented where the tables are computed: :mod:`her2het.qc`,
:mod:`her2het.cohort`, :mod:`her2het.de`, :mod:`her2het.scores`, :mod:`her2het.subtype`,
:mod:`her2het.fish`, :mod:`her2het.outcome` and :mod:`her2het.models`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, overload

import pandas as pd

from her2het.io import ID_COLUMNS, read_anndata, read_table

if TYPE_CHECKING:
    import anndata as ad

__all__ = ["Results", "load_results", "ID_COLUMNS"]


_FISH = "there are no FISH data (FISH is scored for the demo and when sheets.fish_cells is set)"
_SUBTYPE = "subtyping is disabled (config subtype.enabled: false)"
_SINGLE = (
    "no single-sample predictor ran (config subtype.single_sample.model, with salmon's TPM or "
    "subtype.single_sample.expression)"
)
_SURVIVAL = "survival analysis is disabled (config outcome.survival.enabled: false)"


class _Table:
    """Descriptor for one result table: reads ``path`` lazily through :meth:`Results.table`."""

    name: str

    def __init__(
        self,
        path: str,
        rule: str,
        doc: str,
        *,
        absent_when: str = "",
        text: tuple[str, ...] = (),
        keep_empty: bool = False,
    ) -> None:
        self.path = path
        self.rule = rule
        self.doc = doc
        self.absent_when = absent_when
        self.text = text
        self.keep_empty = keep_empty
        self.__doc__ = f"{doc} (``results/{path}``, rule ``{rule}``)."

    def __set_name__(self, owner: type[Results], name: str) -> None:
        self.name = name
        owner._tables[name] = self

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Table: ...

    @overload
    def __get__(self, obj: Results, objtype: type | None = None) -> pd.DataFrame: ...

    def __get__(self, obj: Results | None, objtype: type | None = None) -> _Table | pd.DataFrame:
        if obj is None:
            return self
        return obj.table(self.name)

    def read(self, file: Path) -> pd.DataFrame:
        """Read the TSV ``file`` with this table's conventions."""
        df = read_table(
            file,
            ids=ID_COLUMNS,
            keep_default_na=not self.keep_empty,
        )
        if self.keep_empty:
            _numeric_columns(df)
        for col in self.text:
            if col in df.columns:
                df[col] = df[col].astype(object).where(df[col].notna(), "").astype(str)
        return df


def _numeric_columns(df: pd.DataFrame) -> None:
    """Turn text columns whose non-empty values are all numbers into numeric columns (in place).

    Used with ``keep_default_na=False``: empty strings stay ``""`` in text columns but become
    NaN in numeric ones. Identifier columns and columns with no non-empty value are left alone.
    """
    for col in df.columns:
        if col in ID_COLUMNS or df[col].dtype != object:
            continue
        values = df[col].mask(df[col] == "")
        if values.isna().all():
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() == values.notna().sum():
            df[col] = numbers


class Results:
    """The tables of one workflow ``results/`` directory, read lazily and cached.

    Create it with :func:`load_results`. Each table attribute (listed by :meth:`catalogue`)
    returns a ``pandas.DataFrame``; a table that does not exist raises
    :class:`FileNotFoundError` naming the file and the rule that writes it.

    Parameters
    ----------
    root
        The ``results`` directory.

    Attributes
    ----------
    root : pathlib.Path
        The ``results`` directory.
    """

    _tables: ClassVar[dict[str, _Table]] = {}

    # -- cohort and QC -------------------------------------------------------------------------
    cohort_summary = _Table(
        "cohort/summary.tsv",
        "summarise_cohort",
        "Patients and samples per patient group, with a row 'all' and column data_source",
    )
    sample_metadata = _Table(
        "cohort/sample_metadata.tsv",
        "build_cohort",
        "One row per sample of the cohort: sheet columns, group, qc_* columns",
        text=("qc_outlier_reason",),
    )
    excluded_samples = _Table(
        "cohort/excluded_samples.tsv",
        "build_cohort",
        "Samples left out of the cohort, with the reason",
        text=("reason",),
    )
    qc = _Table(
        "qc/samples.tsv",
        "qc_samples",
        "Per-sample RNA-seq QC: library size, detected genes, mapping, PC1..PCk, outliers",
        text=("outlier_reason",),
    )
    pca_variance = _Table(
        "qc/pca_variance.tsv", "qc_samples", "Variance ratio of each QC principal component"
    )
    quant_truth_comparison = _Table(
        "quant/truth_comparison.tsv",
        "quant_truth_comparison",
        "Salmon estimates against the simulated truth",
        absent_when="the input is not the demo with simulated reads",
    )
    # -- expression, DE, scores ----------------------------------------------------------------
    biopsy_concordance_genes = _Table(
        "expression/biopsy_concordance_genes.tsv",
        "biopsy_concordance",
        "Per gene: between-patient and within-patient SD of VST expression and ICC",
    )
    biopsy_concordance_patients = _Table(
        "expression/biopsy_concordance_patients.tsv",
        "biopsy_concordance",
        "Per patient with two baseline biopsies: Spearman correlation of their profiles",
    )
    de_summary = _Table(
        "de/summary.tsv",
        "de_summary",
        "One row per DE contrast: design, units, genes tested, DE up/down, status",
        keep_empty=True,
    )
    scores = _Table(
        "scores/scores.tsv",
        "score_gene_sets",
        "Gene-set scores per sample, columns '<method>:<set>' (e.g. 'ssgsea:ERBB_SIGNALLING')",
    )
    score_comparisons = _Table(
        "scores/comparisons.tsv",
        "compare_scores",
        "Patient-level comparisons of scores between groups and pre vs post",
    )
    gene_sets = _Table(
        "scores/gene_sets.tsv",
        "score_gene_sets",
        "Gene sets scored: source, description, genes present, used",
        text=("note",),
    )
    # -- subtypes ------------------------------------------------------------------------------
    subtypes = _Table(
        "subtypes/samples.tsv",
        "subtype_samples",
        "PAM50-like subtype call per sample, with correlations, margin and confidence",
        absent_when=_SUBTYPE,
        keep_empty=True,
    )
    subtype_patients = _Table(
        "subtypes/patients.tsv",
        "subtype_samples",
        "Per patient: baseline call, biopsy concordance, residual call and shift",
        absent_when=_SUBTYPE,
        keep_empty=True,
    )
    subtype_transitions = _Table(
        "subtypes/transitions.tsv",
        "subtype_samples",
        "Counts of pre -> post subtype pairs per patient group",
        absent_when=_SUBTYPE,
        keep_empty=True,
    )
    subtype_method = _Table(
        "subtypes/method.tsv",
        "subtype_samples",
        "Key/value description of the subtyping method (centroids, centring, mix, plausibility)",
        absent_when=_SUBTYPE,
        keep_empty=True,
    )
    subtype_centres = _Table(
        "subtypes/centres.tsv",
        "subtype_samples",
        "Gene centres used for subtyping (gene, centre, n_samples): freeze for reference centring",
        absent_when=_SUBTYPE,
    )
    single_sample = _Table(
        "subtypes/single_sample/samples.tsv",
        "subtype_single_sample",
        "Centring-free gene-pair subtype per sample: call, posteriors, rules used",
        absent_when=_SINGLE,
    )
    single_sample_agreement = _Table(
        "subtypes/single_sample/agreement.tsv",
        "subtype_single_sample",
        "Single-sample vs centroid calls per timepoint: n, accuracy, kappa",
        absent_when=_SINGLE,
    )
    # -- FISH ----------------------------------------------------------------------------------
    fish_samples = _Table(
        "fish/samples.tsv",
        "fish_score",
        "FISH per sample: ratio, ASCO/CAP group, % amplified, HET by each definition, pattern",
        absent_when=_FISH,
    )
    fish_areas = _Table(
        "fish/areas.tsv",
        "fish_score",
        "FISH per scored area: the sample columns plus Moran's I and spatial pattern",
        absent_when=_FISH,
    )
    fish_patients = _Table(
        "fish/patients.tsv",
        "fish_score",
        "FISH per patient at baseline: HET by each definition, biopsy discordance",
        absent_when=_FISH,
    )
    fish_pre_post = _Table(
        "fish/pre_post.tsv",
        "fish_score",
        "FISH baseline vs residual tumour per patient with a post-treatment sample",
        absent_when=_FISH,
    )
    fish_ratio_histogram = _Table(
        "fish/ratio_histogram.tsv",
        "fish_score",
        "Per-sample histogram of cell ERBB2/CEP17 ratios",
        absent_when=_FISH,
    )
    fish_example_cells = _Table(
        "fish/example_cells.tsv",
        "fish_score",
        "Cells (x, y, amplified) of one example area per spatial pattern",
        absent_when=_FISH,
    )
    fish_pattern_validation = _Table(
        "fish/pattern_validation.tsv",
        "fish_validate_patterns",
        "Called vs planted spatial patterns (demo only)",
        absent_when="the input is not the demo or spatial patterns are disabled",
    )
    fish_planted_recovery = _Table(
        "fish/planted_recovery.tsv",
        "fish_validate_patterns",
        "Per-class recovery of the planted FISH/IHC situations (demo only)",
        absent_when="the input is not the demo or spatial patterns are disabled",
    )
    fish_her2_spectrum = _Table(
        "fish/her2_spectrum.tsv",
        "fish_score",
        "HER2 IHC spectrum (null, ultralow, 1+, 2+ ISH-negative, positive) per area, sample, patient",
        absent_when=_FISH,
    )
    fish_rna_vs_fish = _Table(
        "fish/rna_vs_fish.tsv",
        "fish_rna_concordance",
        "Per biopsy: ERBB2 mRNA (VST) against FISH ratio and ASCO/CAP group",
        absent_when=_FISH,
    )
    fish_biopsy_discordance = _Table(
        "fish/biopsy_discordance.tsv",
        "fish_rna_concordance",
        "Per patient: do the two baseline biopsies disagree by FISH, by RNA, or both",
        absent_when=_FISH,
    )
    # -- response and outcome ------------------------------------------------------------------
    patients = _Table(
        "outcome/patients.tsv",
        "build_patient_table",
        "Patient table, one row per patient and timepoint: clinical, genes, scores, FISH",
    )
    associations = _Table(
        "outcome/associations.tsv",
        "association_tests",
        "Patient-level association tests (HET vs pCR, features vs pCR/HET, groups, pre/post)",
        text=("note",),
    )
    logistic_terms = _Table(
        "outcome/logistic_terms.tsv",
        "logistic_models",
        "Logistic models for pCR, one row per term: estimator (Firth/MLE), OR, CI, p",
    )
    logistic_models = _Table(
        "outcome/logistic_models.tsv",
        "logistic_models",
        "Logistic models for pCR, one row per model: separation, AUC (apparent, CV)",
        text=("separated_terms", "note"),
    )
    km_curves = _Table(
        "outcome/km_curves.tsv",
        "survival_models",
        "Kaplan-Meier step functions (by, level, time, survival, CI, at risk, events)",
        absent_when=_SURVIVAL,
    )
    km_at_risk = _Table(
        "outcome/km_at_risk.tsv",
        "survival_models",
        "Numbers at risk at regular times, per curve",
        absent_when=_SURVIVAL,
    )
    logrank = _Table(
        "outcome/logrank.tsv",
        "survival_models",
        "Log-rank tests between the levels of each grouping",
        absent_when=_SURVIVAL,
    )
    cox_terms = _Table(
        "outcome/cox_terms.tsv",
        "survival_models",
        "Cox models, one row per term: hazard ratio, CI, p, proportional-hazards test",
        absent_when=_SURVIVAL,
    )
    cox_models = _Table(
        "outcome/cox_models.tsv",
        "survival_models",
        "Cox models, one row per model: events, events per variable (EPV), concordance",
        absent_when=_SURVIVAL,
        text=("note",),
    )

    def __init__(self, root: str | Path = "results") -> None:
        self.root = Path(root)
        self._cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        n = len(self.available())
        return f"Results({str(self.root)!r}: {n} of {len(self._tables)} tables present)"

    # -- tables --------------------------------------------------------------------------------
    @classmethod
    def table_names(cls) -> list[str]:
        """Names of every table attribute, present on disk or not."""
        return list(cls._tables)

    def path(self, name: str) -> Path:
        """The file of table ``name`` (whether it exists or not).

        Raises
        ------
        KeyError
            If ``name`` is not a table of :class:`Results`.
        """
        return self.root / self._spec(name).path

    def has(self, name: str) -> bool:
        """Whether the file of table ``name`` exists."""
        return self.path(name).is_file()

    def available(self) -> list[str]:
        """Names of the tables whose files exist, in catalogue order."""
        return [name for name in self._tables if self.has(name)]

    def catalogue(self) -> pd.DataFrame:
        """Every table: ``name``, ``path``, ``exists``, ``rule`` and ``description``."""
        rows = [
            {
                "name": name,
                "path": str(self.root / spec.path),
                "exists": (self.root / spec.path).is_file(),
                "rule": spec.rule,
                "description": spec.doc,
            }
            for name, spec in self._tables.items()
        ]
        return pd.DataFrame(rows)

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` (read on first use, then cached); a copy, free to modify.

        Raises
        ------
        KeyError
            If ``name`` is not a table of :class:`Results`.
        FileNotFoundError
            If the table's file does not exist; the message names the file and its rule.
        """
        spec = self._spec(name)
        if name not in self._cache:
            file = self.root / spec.path
            self._require(file, spec.rule, spec.absent_when)
            self._cache[name] = spec.read(file)
        return self._cache[name].copy()

    def clear_cache(self) -> None:
        """Forget every table read so far (to pick up a re-run of the workflow)."""
        self._cache.clear()

    # -- derived values ------------------------------------------------------------------------
    @property
    def data_source(self) -> str:
        """Where the data came from (``data_source`` of ``cohort/summary.tsv``).

        For the demo cohort it starts with ``SIMULATED``; results of simulated data must never
        be reported as trial results.
        """
        summary = self.cohort_summary
        if "data_source" not in summary.columns:
            raise ValueError(f"{self.path('cohort_summary')} has no column 'data_source'")
        values = [str(v) for v in summary["data_source"].dropna().unique() if str(v)]
        return "; ".join(values)

    @property
    def simulated(self) -> bool:
        """True when :attr:`data_source` says the data are SIMULATED."""
        return "SIMULATED" in self.data_source.upper()

    @property
    def contrasts(self) -> list[str]:
        """Ids of the DE contrasts (column ``contrast`` of :attr:`de_summary`)."""
        return [str(c) for c in self.de_summary["contrast"]]

    def de(self, contrast: str) -> pd.DataFrame:
        """DE results of one contrast (``de/contrasts/<contrast>.tsv``), one row per gene.

        Raises
        ------
        FileNotFoundError
            If the contrast's table does not exist; the message lists the known contrasts
            when ``de/summary.tsv`` exists.
        """
        key = f"de:{contrast}"
        if key not in self._cache:
            file = self.root / "de" / "contrasts" / f"{contrast}.tsv"
            if not file.is_file() and self.has("de_summary") and contrast not in self.contrasts:
                raise FileNotFoundError(
                    f"{file} not found: {contrast!r} is not a contrast of "
                    f"{self.path('de_summary')} (contrasts: {', '.join(self.contrasts)}); "
                    "contrasts are declared in the config under de.contrasts"
                )
            self._require(file, "deseq2_contrast", "")
            self._cache[key] = read_table(file, ids=("gene",))
        return self._cache[key].copy()

    def de_tables(self) -> dict[str, pd.DataFrame]:
        """Every contrast's DE table, keyed by contrast id (as :func:`her2het.load_de`)."""
        return {c: self.de(c) for c in self.contrasts}

    def score_matrix(self, method: str = "ssgsea") -> pd.DataFrame:
        """Scores of one method (``ssgsea`` or ``zscore``), samples x gene sets.

        The index is the sample id and the columns are the set names without the
        ``<method>:`` prefix.
        """
        scores = self.scores.set_index("sample")
        prefix = f"{method}:"
        cols = [c for c in scores.columns if c.startswith(prefix)]
        if not cols:
            methods = sorted({c.split(":", 1)[0] for c in scores.columns if ":" in c})
            raise KeyError(f"no {method!r} scores in {self.path('scores')} (methods: {methods})")
        return scores[cols].rename(columns=lambda c: c[len(prefix) :])

    def expression(self) -> ad.AnnData:
        """The normalised cohort ``expression/expression.h5ad`` (cached; not a copy).

        Samples x genes: VST in ``X`` and ``layers['vst']``, ``layers['log2cpm']`` and raw
        ``layers['counts']``; sample metadata in ``obs``.
        """
        return self._anndata("expression/expression.h5ad", "normalise_expression")

    def cohort(self) -> ad.AnnData:
        """The validated cohort ``cohort/cohort.h5ad`` (raw counts; cached, not a copy)."""
        return self._anndata("cohort/cohort.h5ad", "build_cohort")

    # -- helpers -------------------------------------------------------------------------------
    def _anndata(self, rel: str, rule: str) -> ad.AnnData:
        if rel not in self._cache:
            file = self.root / rel
            self._require(file, rule, "")
            self._cache[rel] = read_anndata(file)
        return self._cache[rel]

    def _spec(self, name: str) -> _Table:
        try:
            return self._tables[name]
        except KeyError:
            raise KeyError(
                f"{name!r} is not a results table; known tables: {', '.join(self._tables)}"
            ) from None

    def _require(self, file: Path, rule: str, absent_when: str) -> None:
        if file.is_file():
            return
        msg = (
            f"{file} not found: it is written by the workflow rule '{rule}' "
            f"(target: snakemake {file.as_posix()})"
        )
        if absent_when:
            msg += f"; the table is absent when {absent_when}"
        if not self.root.is_dir():
            msg += f"; the results directory {self.root} does not exist"
        raise FileNotFoundError(msg)


def load_results(results: str | Path = "results") -> Results:
    """Open a workflow ``results`` directory for lazy, cached access to its tables.

    Parameters
    ----------
    results
        The ``results`` directory of a workflow run (default: ``results`` in the current
        directory). It is not read until a table is used.

    Returns
    -------
    Results
        Table attributes (e.g. ``res.patients``, ``res.associations``, ``res.cox_terms``),
        :meth:`Results.de`, :meth:`Results.expression`, :meth:`Results.available` and
        :attr:`Results.data_source`.

    Examples
    --------
    >>> res = load_results("results")  # doctest: +SKIP
    >>> res.data_source  # doctest: +SKIP
    'SIMULATED demo data (her2het.simulate) - not trial data; size=small, seed=2024'
    >>> res.associations.query("family == 'HET vs pCR'")  # doctest: +SKIP
    """
    return Results(results)
