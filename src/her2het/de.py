"""Differential expression with PyDESeq2: contrasts declared in the config, designs built here.

A contrast (one entry of ``de.contrasts`` in the config, like a row of nf-core's contrasts
sheet) names:

* ``id`` - file-safe name; ``description`` - free text shown in the report.
* ``subset`` - mapping column -> list of allowed values (compared as strings; ``1``/``1.0``
  match ``"1"``), e.g. ``{timepoint: [pre], pCR: ["0"]}``.
* ``variable``, ``reference``, ``target`` - the sample/patient column tested and its two
  levels; the log2 fold change is target over reference.
* ``blocking`` - covariates adjusted for (e.g. ``[HR]``); categorical columns are
  treatment-coded against their first level in sorted order, numeric columns enter as is.
* ``paired`` - block on patient (``~ patient + variable``) and keep only patients with samples
  at both levels of ``variable``.
* ``interaction`` - a patient-level column with exactly two levels (its ``reference`` level is
  the first in sorted order, or ``interaction_levels: [ref, target]``): fits
  ``~ patient + variable:interaction`` (the treatment effect within each level, patients
  nested in their level, as in DESeq2's vignette) and tests the difference of the two
  within-level effects. Requires ``paired``.
* ``level`` - ``patient`` (default) sums the counts of a patient's samples at the same
  timepoint (DESeq2's ``collapseReplicates``: a patient's two baseline biopsies become one
  library, a pseudo-bulk of the two weighted by their sequencing depth - the deeper biopsy
  counts more) or ``sample`` (every sample a unit; only valid with ``paired``, otherwise the
  biopsies of one patient are pseudo-replicates). An unpaired contrast on a variable that
  takes both levels within one patient (e.g. a biopsy-site column) is a configuration error:
  that patient would sit in both arms. To use one pre-declared biopsy per patient instead of
  the pseudo-bulk, subset on the sample sheet's ``biopsy`` column (``subset: {biopsy: [B1]}``);
  the biopsy-concordance tables (``results/expression/biopsy_concordance_*.tsv``) show how
  much the two biopsies differ, i.e. when that choice matters.

Contrasts that share subset, level, pairing, blocking, variable and interaction share one
design and are fitted once (:func:`design_key`).

Results table (:func:`contrast_results`), one row per tested gene, sorted by p-value:

``gene``, ``baseMean`` (mean of normalised counts over the contrast's units), ``log2FC``
(maximum-likelihood estimate), ``log2FC_shrunk`` (apeGLM-type shrinkage, PyDESeq2's
``lfc_shrink``; NA for interaction contrasts, which are a difference of two coefficients),
``lfcSE``, ``stat`` (Wald statistic), ``pvalue``, ``padj`` (Benjamini-Hochberg after
DESeq2-style independent filtering; NA for genes filtered out or flagged by Cook's distance),
and for interaction contrasts ``log2FC_in_<ref>`` / ``log2FC_in_<target>`` (the two
within-level effects from the same fit).
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def as_level(value: Any) -> str:
    """A sheet value as the string used to compare levels (``1.0`` -> ``"1"``, NA -> ``""``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def level_series(col: pd.Series) -> pd.Series:
    """A column converted element-wise with :func:`as_level`."""
    return col.map(as_level).astype(str)


@dataclass(frozen=True)
class Contrast:
    """One declared contrast (see the module docstring)."""

    id: str
    variable: str
    reference: str
    target: str
    description: str = ""
    subset: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    blocking: tuple[str, ...] = ()
    paired: bool = False
    interaction: str | None = None
    interaction_levels: tuple[str, str] | None = None
    level: str = "patient"

    @classmethod
    def from_config(cls, spec: Mapping[str, Any]) -> Contrast:
        subset = {
            str(k): tuple(as_level(v) for v in _as_list(vals))
            for k, vals in (spec.get("subset") or {}).items()
        }
        levels = spec.get("interaction_levels")
        return cls(
            id=str(spec["id"]),
            variable=str(spec["variable"]),
            reference=as_level(spec["reference"]),
            target=as_level(spec["target"]),
            description=str(spec.get("description", "")),
            subset=subset,
            blocking=tuple(str(b) for b in spec.get("blocking") or ()),
            paired=bool(spec.get("paired", False)),
            interaction=spec.get("interaction") or None,
            interaction_levels=tuple(as_level(v) for v in levels) if levels else None,  # type: ignore[arg-type]
            level=str(spec.get("level", "patient")),
        )

    def design_spec(self) -> dict[str, Any]:
        """The parts of the contrast that define its fitted model."""
        return {
            "subset": {k: list(v) for k, v in sorted(self.subset.items())},
            "variable": self.variable,
            "blocking": list(self.blocking),
            "paired": self.paired,
            "interaction": self.interaction,
            "interaction_levels": list(self.interaction_levels or ()),
            "level": self.level,
        }


def _as_list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def design_key(contrast: Contrast) -> str:
    """Stable short name of a contrast's design; contrasts with the same key share a fit."""
    blob = json.dumps(contrast.design_spec(), sort_keys=True)
    return "design_" + hashlib.sha256(blob.encode()).hexdigest()[:10]


def parse_contrasts(specs: Sequence[Mapping[str, Any]]) -> list[Contrast]:
    """Contrasts from the config list (ids must be unique and file-safe)."""
    out = [Contrast.from_config(s) for s in specs]
    seen: set[str] = set()
    for c in out:
        if not ID_PATTERN.match(c.id):
            raise ValueError(f"contrast id {c.id!r}: use letters, digits, '_', '.', '-'")
        if c.id in seen:
            raise ValueError(f"contrast id {c.id!r} is declared twice")
        seen.add(c.id)
    return out


def check_contrast(contrast: Contrast, meta: pd.DataFrame) -> str | None:
    """Why a contrast cannot be set up on this metadata (None when it can).

    ``meta`` holds one row per sample with the sample and patient sheets' columns. The message
    names the field of the contrast that is wrong; it is meant for a one-line config error.
    """
    cols = set(meta.columns)
    for key in contrast.subset:
        if key not in cols:
            return f"subset column {key!r} is not a sample or patient column"
    for name, col in (
        ("variable", contrast.variable),
        *(("blocking", b) for b in contrast.blocking),
    ):
        if col not in cols:
            return f"{name} {col!r} is not a sample or patient column"
    if contrast.level not in ("patient", "sample"):
        return f"level must be 'patient' or 'sample', not {contrast.level!r}"
    if contrast.level == "sample" and not contrast.paired:
        return "level 'sample' needs paired: true (biopsies of one patient are not independent)"
    if contrast.reference == contrast.target:
        return "reference and target are the same level"
    sub = subset_meta(contrast, meta)
    present = set(level_series(sub[contrast.variable]))
    for which in ("reference", "target"):
        lv = getattr(contrast, which)
        if lv not in present:
            return (
                f"{which} level {lv!r} of {contrast.variable!r} does not occur "
                f"(levels here: {', '.join(sorted(present)) or 'none'})"
            )
    if contrast.interaction is not None:
        if not contrast.paired:
            return "interaction needs paired: true (patients nested in the interaction groups)"
        if contrast.interaction not in cols:
            return f"interaction {contrast.interaction!r} is not a sample or patient column"
        by_lv = level_series(sub[contrast.interaction])
        if (by_lv == "").any():
            return (
                f"interaction column {contrast.interaction!r} is missing for patient "
                f"{sub.loc[(by_lv == '').to_numpy(), 'patient'].iloc[0]} (restrict the subset)"
            )
        lv = sorted(set(by_lv))
        if contrast.interaction_levels is None:
            if len(lv) != 2:
                return f"interaction column {contrast.interaction!r} must have two levels, has {lv}"
        else:
            extra = [v for v in lv if v not in contrast.interaction_levels]
            absent = [v for v in contrast.interaction_levels if v not in lv]
            if extra:
                return (
                    f"interaction column {contrast.interaction!r} has level {extra[0]!r}, not in "
                    f"interaction_levels {list(contrast.interaction_levels)} (it would stay in "
                    "the fit; leave it out with subset)"
                )
            if absent:
                return f"interaction level {absent[0]!r} of {contrast.interaction!r} does not occur"
    within = _varies_within_patient(sub, contrast)
    if within is not None:
        return within
    if not contrast.paired and "timepoint" in sub.columns and contrast.variable != "timepoint":
        several = sub.groupby("patient")["timepoint"].nunique()
        if (several > 1).any():
            return (
                f"patient {several[several > 1].index[0]} has samples at several timepoints in "
                "this subset; restrict subset.timepoint or use paired: true"
            )
    if contrast.paired and "patient" in contrast.blocking:
        return "paired already blocks on patient; remove 'patient' from blocking"
    return None


def _varies_within_patient(sub: pd.DataFrame, contrast: Contrast) -> str | None:
    """Patient-level units need patient-level groups (None when the contrast is fine).

    An unpaired contrast compares patients: a variable that takes both the reference and the
    target level within one patient (e.g. the biopsy site) would put that patient in both
    arms as two "independent" units. The interaction column must be constant per patient
    (patients are nested in its levels).
    """
    if "patient" not in sub.columns:
        return None
    pid = sub["patient"].astype(str).to_numpy()
    if not contrast.paired:
        var = level_series(sub[contrast.variable])
        arms = var[var.isin([contrast.reference, contrast.target])]
        both = arms.groupby(
            pid[var.isin([contrast.reference, contrast.target]).to_numpy()]
        ).nunique()
        if (both > 1).any():
            return (
                f"variable {contrast.variable!r} varies within patient {both[both > 1].index[0]} "
                f"({int((both > 1).sum())} patient(s) at both {contrast.reference!r} and "
                f"{contrast.target!r}): at level '{contrast.level}' one patient would be in both "
                "arms; use paired: true, or subset one pre-declared biopsy per patient"
            )
    if contrast.interaction is not None and contrast.interaction in sub.columns:
        lv = level_series(sub[contrast.interaction])
        several = lv.groupby(pid).nunique()
        if (several > 1).any():
            return (
                f"interaction {contrast.interaction!r} varies within patient "
                f"{several[several > 1].index[0]}; it must be a patient-level column"
            )
    return None


def subset_meta(contrast: Contrast, meta: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``meta`` kept by the contrast's subset, with a known ``variable`` level."""
    keep = np.ones(len(meta), dtype=bool)
    for col, allowed in contrast.subset.items():
        keep &= level_series(meta[col]).isin(allowed).to_numpy()
    keep &= (level_series(meta[contrast.variable]) != "").to_numpy()
    return meta.loc[keep]


@dataclass
class DesignData:
    """Counts (units x genes), unit metadata and design matrix of one fitted design.

    ``baseline`` is the level of ``variable`` absorbed in the intercept (the reference of
    the first contrast of the design); every other level has a column ``variable[level]``
    (or ``variable[level]:interaction[group]`` per group for interactions).
    """

    counts: pd.DataFrame
    units: pd.DataFrame
    design: pd.DataFrame
    variable: str
    levels: list[str]
    baseline: str
    interaction: str | None = None
    groups: list[str] = field(default_factory=list)
    note: str = ""

    def column(self, level: str, group: str | None = None) -> str | None:
        """Design column of a level (None for the baseline level)."""
        if level == self.baseline:
            return None
        name = f"{self.variable}[{level}]"
        return name if group is None else f"{name}:{self.interaction}[{group}]"

    def effect_vector(self, target: str, reference: str, group: str | None = None) -> np.ndarray:
        """Contrast vector of target - reference (within ``group`` for interactions)."""
        cols = list(self.design.columns)
        vec = np.zeros(len(cols))
        for level, sign in ((target, 1.0), (reference, -1.0)):
            name = self.column(level, group)
            if name is not None:
                vec[cols.index(name)] += sign
        return vec

    def contrast_vector(self, contrast: Contrast) -> np.ndarray:
        """The tested vector: the effect, or the difference of the two within-group effects."""
        if self.interaction is None:
            return self.effect_vector(contrast.target, contrast.reference)
        g0, g1 = self.groups
        return self.effect_vector(contrast.target, contrast.reference, g1) - self.effect_vector(
            contrast.target, contrast.reference, g0
        )


def collapse(
    counts: pd.DataFrame, meta: pd.DataFrame, by: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum the counts of samples sharing ``by`` (DESeq2's ``collapseReplicates``).

    Parameters
    ----------
    counts
        Samples x genes integer counts (index: sample IDs, aligned with ``meta``).
    meta
        Sample metadata; the first sample of each unit provides the unit's metadata.

    Returns
    -------
    counts, meta
        Units x genes counts and unit metadata (index: ``unit`` = the ``by`` values joined by
        ``:``) with extra columns ``n_samples`` and ``samples`` (``;``-joined sample IDs).
    """
    key = meta[list(by)].astype(str).agg(":".join, axis=1).to_numpy()
    codes, uniques = pd.factorize(key, sort=False)
    summed = np.zeros((len(uniques), counts.shape[1]), dtype=np.int64)
    np.add.at(summed, codes, counts.to_numpy(dtype=np.int64))
    first_pos = np.unique(codes, return_index=True)[1]
    units = meta.iloc[first_pos].copy()
    units.index = pd.Index([str(u) for u in uniques], name="unit")
    ids = pd.Series(meta.index.astype(str), index=range(len(meta)))
    units["n_samples"] = np.bincount(codes)
    units["samples"] = ids.groupby(codes, sort=True).agg(";".join).to_numpy()
    return pd.DataFrame(summed, index=units.index, columns=counts.columns), units


def _dummies(values: pd.Series, name: str, levels: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {f"{name}[{lv}]": (values == lv).astype(float).to_numpy() for lv in levels},
        index=values.index,
    )


def _blocking_columns(meta: pd.DataFrame, col: str) -> pd.DataFrame:
    raw = meta[col]
    if pd.api.types.is_numeric_dtype(raw) and raw.nunique(dropna=True) > 2:
        if raw.isna().any():
            raise ValueError(f"blocking column {col!r} has missing values")
        x = raw.astype(float)
        return pd.DataFrame({col: (x - x.mean()).to_numpy()}, index=meta.index)
    lv = level_series(raw)
    if (lv == "").any():
        raise ValueError(f"blocking column {col!r} has missing values")
    return _dummies(lv, col, sorted(set(lv))[1:])


def build_design(contrast: Contrast, counts: pd.DataFrame, meta: pd.DataFrame) -> DesignData:
    """Select, collapse and encode the units of a contrast's design.

    ``counts`` is samples x genes and ``meta`` one row per sample (same index). The baseline
    level is the contrast's reference. Paired designs keep the patients seen at every level of
    ``variable`` present in the subset.
    """
    sub = subset_meta(contrast, meta)
    note = ""
    if contrast.paired:
        var = level_series(sub[contrast.variable])
        n_levels = var.nunique()
        complete = var.groupby(sub["patient"].to_numpy()).nunique() == n_levels
        dropped = int((~complete).sum())
        sub = sub[sub["patient"].map(complete).to_numpy(dtype=bool)]
        if dropped:
            note = f"{dropped} patient(s) not seen at every {contrast.variable} level left out"
    c = counts.loc[sub.index]
    if contrast.level == "patient":
        by = list(dict.fromkeys(["patient", "timepoint", contrast.variable]))
        by = [b for b in by if b in sub.columns]
        c, units = collapse(c, sub, by)
    else:
        units = sub.copy()
        units.index = pd.Index(units.index.astype(str), name="unit")
        units["n_samples"] = 1
        units["samples"] = units.index.to_numpy()
        c = c.set_axis(units.index, axis=0)
    var = level_series(units[contrast.variable])
    levels = [contrast.reference] + sorted(set(var) - {contrast.reference})
    parts = [pd.DataFrame({"intercept": np.ones(len(units))}, index=units.index)]
    if contrast.paired:
        patients = sorted(set(units["patient"].astype(str)))
        parts.append(_dummies(units["patient"].astype(str), "patient", patients[1:]))
    parts += [_blocking_columns(units, b) for b in contrast.blocking]
    groups: list[str] = []
    if contrast.interaction is None:
        parts.append(_dummies(var, contrast.variable, levels[1:]))
    else:
        by_lv = level_series(units[contrast.interaction])
        groups = list(contrast.interaction_levels or sorted(set(by_lv) - {""}))
        for g in groups:
            for lv in levels[1:]:
                name = f"{contrast.variable}[{lv}]:{contrast.interaction}[{g}]"
                parts.append(
                    pd.DataFrame(
                        {name: ((var == lv) & (by_lv == g)).astype(float)}, index=units.index
                    )
                )
    design = pd.concat(parts, axis=1)
    return DesignData(
        counts=c,
        units=units,
        design=design,
        variable=contrast.variable,
        levels=levels,
        baseline=contrast.reference,
        interaction=contrast.interaction,
        groups=groups,
        note=note,
    )


def estimability(data: DesignData, contrast: Contrast, min_units: int = 2) -> str | None:
    """Why the contrast cannot be tested on this design (None when it can)."""
    var = level_series(data.units[contrast.variable])
    cells = [("", var)]
    if data.interaction is not None:
        by_lv = level_series(data.units[data.interaction])
        cells = [(f" in {data.interaction}={g}", var[by_lv == g]) for g in data.groups]
    for where, v in cells:
        for lv in (contrast.reference, contrast.target):
            n = int((v == lv).sum())
            if n < min_units:
                return f"only {n} unit(s) at {contrast.variable}={lv}{where} (need {min_units})"
    x = data.design.to_numpy()
    if (x == 0).all(axis=0).any():
        return "a design column is empty"
    if np.linalg.matrix_rank(x) < x.shape[1]:
        return "design is not full rank (a blocking covariate is confounded with the contrast)"
    if x.shape[0] - x.shape[1] < 1:
        return "no residual degrees of freedom"
    return None


def filter_genes(counts: pd.DataFrame, min_count: int, min_units: int) -> pd.Index:
    """Genes with at least ``min_count`` counts in at least ``min_units`` units."""
    keep = (counts.to_numpy() >= min_count).sum(axis=0) >= min_units
    return counts.columns[keep]


INFERENCE_KINDS: tuple[str, ...] = ("batched", "pydeseq2")


def make_inference(kind: str = "batched", n_cpus: int = 1) -> Any:
    """PyDESeq2 inference routines: ``batched`` (:mod:`her2het.batched_inference`, the same
    estimates with the per-gene loops vectorised) or ``pydeseq2`` (``DefaultInference``)."""
    from pydeseq2.default_inference import DefaultInference

    from .batched_inference import BatchedInference

    if kind not in INFERENCE_KINDS:
        raise ValueError(f"inference must be one of {INFERENCE_KINDS}, not {kind!r}")
    return (BatchedInference if kind == "batched" else DefaultInference)(n_cpus=n_cpus)


def fit_design(
    data: DesignData, *, min_count: int = 10, n_cpus: int = 1, inference: str = "batched"
) -> Any:
    """Fit PyDESeq2 (``DeseqDataSet.deseq2()``) on one design, genes prefiltered.

    Genes are kept with >= ``min_count`` counts in at least as many units as the smallest level
    of the tested variable (the DESeq2 vignette's rule). ``inference`` selects the PyDESeq2
    inference routines (:func:`make_inference`). Returns the fitted ``DeseqDataSet``.
    """
    from pydeseq2.dds import DeseqDataSet

    smallest = int(level_series(data.units[data.variable]).value_counts().min())
    genes = filter_genes(data.counts, min_count, max(2, smallest))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        dds = DeseqDataSet(
            counts=data.counts[genes],
            metadata=pd.DataFrame(index=data.counts.index),
            design=data.design,
            inference=make_inference(inference, n_cpus),
            quiet=True,
        )
        dds.deseq2()
    return dds


def _stats_class(df_residual: int | None) -> Any:
    """PyDESeq2's ``DeseqStats``, with Wald p-values from a t distribution when ``df_residual``.

    DESeq2's ``nbinomWaldTest(useT=TRUE)``: the Wald statistic is compared with a t
    distribution on n - p degrees of freedom instead of the normal. With the few dozen units of
    a trial cohort the normal reference is anti-conservative (at p = 0.01 the t(28) tail is
    0.016); Cook's filtering, independent filtering and BH then run as usual.
    """
    from pydeseq2.ds import DeseqStats

    if df_residual is None:
        return DeseqStats

    class DeseqStatsT(DeseqStats):  # type: ignore[misc]
        def run_wald_test(self) -> None:
            super().run_wald_test()
            from scipy import stats as st

            z = self.statistics.to_numpy(dtype=float)
            p = 2.0 * st.t.sf(np.abs(z), df_residual)
            self.p_values = pd.Series(np.where(np.isnan(z), np.nan, p), index=self.p_values.index)

    return DeseqStatsT


def contrast_results(
    dds: Any,
    data: DesignData,
    contrast: Contrast,
    *,
    shrink: bool = True,
    alpha: float = 0.05,
    n_cpus: int = 1,
    t_test: bool = True,
) -> pd.DataFrame:
    """Wald test (and shrinkage) of one contrast on a fitted design; see module docstring.

    With ``t_test`` the Wald p-values use a t distribution on n - p degrees of freedom
    (DESeq2's ``useT``; see :func:`_stats_class`).
    """
    df_resid = data.design.shape[0] - data.design.shape[1] if t_test else None
    dds.inference.n_cpus = n_cpus  # the fitted design's inference kind, this job's threads
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        stats = _stats_class(df_resid)(
            dds,
            contrast=data.contrast_vector(contrast),
            alpha=alpha,
            quiet=True,
            inference=dds.inference,
        )
        stats.summary()
        res = stats.results_df.copy()
        lfc = stats.LFC.copy() / np.log(2)
        shrunk = pd.Series(np.nan, index=res.index)
        coef = data.column(contrast.target)
        if shrink and data.interaction is None and contrast.reference == data.baseline and coef:
            stats.lfc_shrink(coeff=coef)
            shrunk = stats.LFC[coef] / np.log(2)
    out = pd.DataFrame(
        {
            "gene": res.index.astype(str),
            "baseMean": res["baseMean"].to_numpy(),
            "log2FC": res["log2FoldChange"].to_numpy(),
            "log2FC_shrunk": shrunk.reindex(res.index).to_numpy(),
            "lfcSE": res["lfcSE"].to_numpy(),
            "stat": res["stat"].to_numpy(),
            "pvalue": res["pvalue"].to_numpy(),
            "padj": res["padj"].to_numpy(),
        }
    )
    if data.interaction is not None:
        for g in data.groups:
            vec = data.effect_vector(contrast.target, contrast.reference, g)
            out[f"log2FC_in_{g}"] = lfc.to_numpy() @ vec
    out = out.sort_values(["pvalue", "gene"], na_position="last", kind="stable")
    return out.reset_index(drop=True)


RESULT_COLUMNS: tuple[str, ...] = (
    "gene", "baseMean", "log2FC", "log2FC_shrunk", "lfcSE", "stat", "pvalue", "padj",
)  # fmt: skip

SUMMARY_COLUMNS: tuple[str, ...] = (
    "contrast", "description", "design", "variable", "target", "reference", "paired",
    "interaction", "units_target", "units_reference", "patients", "genes_tested", "de_up",
    "de_down", "alpha", "status",
)  # fmt: skip


def summarise(
    contrast: Contrast, data: DesignData | None, table: pd.DataFrame, *, alpha: float, status: str
) -> dict[str, Any]:
    """One row of ``results/de/summary.tsv`` (see :data:`SUMMARY_COLUMNS`).

    ``units_*`` count the units (patients, or samples with ``level: sample``) at each level;
    ``genes_tested`` the genes with an adjusted p-value; ``de_up``/``de_down`` those with
    ``padj < alpha`` and a positive/negative log2 fold change.
    """
    row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS, 0)
    row.update(
        contrast=contrast.id,
        description=contrast.description,
        design=design_key(contrast),
        variable=contrast.variable,
        target=contrast.target,
        reference=contrast.reference,
        paired=contrast.paired,
        interaction=contrast.interaction or "",
        alpha=alpha,
        status=status,
    )
    if data is not None:
        var = level_series(data.units[contrast.variable])
        row["units_target"] = int((var == contrast.target).sum())
        row["units_reference"] = int((var == contrast.reference).sum())
        row["patients"] = int(data.units["patient"].nunique())
    if len(table):
        sig = (table["padj"] < alpha).to_numpy()
        row["genes_tested"] = int(table["padj"].notna().sum())
        row["de_up"] = int((sig & (table["log2FC"] > 0).to_numpy()).sum())
        row["de_down"] = int((sig & (table["log2FC"] < 0).to_numpy()).sum())
    return row


def empty_results(data: DesignData | None) -> pd.DataFrame:
    """The results table of a contrast that could not be tested (header only)."""
    cols = list(RESULT_COLUMNS)
    if data is not None and data.interaction is not None:
        cols += [f"log2FC_in_{g}" for g in data.groups]
    return pd.DataFrame(columns=cols)


@dataclass
class DesignFit:
    """A design's data and fitted ``DeseqDataSet`` (None when no contrast can be tested)."""

    data: DesignData
    dds: Any
    reasons: dict[str, str | None]


def fit(
    counts: pd.DataFrame,
    meta: pd.DataFrame,
    contrasts: Sequence[Contrast],
    *,
    min_count: int = 10,
    n_cpus: int = 1,
    inference: str = "batched",
) -> DesignFit:
    """Build and fit the design shared by ``contrasts`` (all with the same :func:`design_key`).

    ``counts`` is samples x genes, ``meta`` one row per sample (same index).
    """
    if len({design_key(c) for c in contrasts}) != 1:
        raise ValueError("contrasts fitted together must share one design")
    data = build_design(contrasts[0], counts, meta)
    reasons = {c.id: estimability(data, c) for c in contrasts}
    dds = None
    if any(r is None for r in reasons.values()):
        dds = fit_design(data, min_count=min_count, n_cpus=n_cpus, inference=inference)
    return DesignFit(data, dds, reasons)


def test(
    fitted: DesignFit,
    contrast: Contrast,
    *,
    alpha: float = 0.05,
    shrink: bool = True,
    n_cpus: int = 1,
    t_test: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Results table and summary row of one contrast of a fitted design.

    A contrast that cannot be tested (too few units, no residual degrees of freedom) gets a
    header-only table and its reason in ``status``.
    """
    data = fitted.data
    reason = (
        fitted.reasons[contrast.id]
        if contrast.id in fitted.reasons
        else estimability(data, contrast)
    )
    if reason is not None or fitted.dds is None:
        t = empty_results(data)
        return t, summarise(contrast, data, t, alpha=alpha, status=f"not tested: {reason}")
    t = contrast_results(
        fitted.dds, data, contrast, shrink=shrink, alpha=alpha, n_cpus=n_cpus, t_test=t_test
    )
    status = "ok" + (f"; {data.note}" if data.note else "")
    return t, summarise(contrast, data, t, alpha=alpha, status=status)


def run_design(
    counts: pd.DataFrame,
    meta: pd.DataFrame,
    contrasts: Sequence[Contrast],
    *,
    min_count: int = 10,
    alpha: float = 0.05,
    shrink: bool = True,
    n_cpus: int = 1,
    t_test: bool = True,
    inference: str = "batched",
) -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    """Fit one design once and test each of its contrasts: id -> (table, summary row)."""
    fitted = fit(counts, meta, contrasts, min_count=min_count, n_cpus=n_cpus, inference=inference)
    return {
        c.id: test(fitted, c, alpha=alpha, shrink=shrink, n_cpus=n_cpus, t_test=t_test)
        for c in contrasts
    }


def cohort_tables(adata: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts (samples x genes, int64) and per-sample metadata from the cohort AnnData."""
    counts = pd.DataFrame(
        np.asarray(adata.layers["counts"], dtype=np.int64),
        index=adata.obs_names.astype(str),
        columns=adata.var_names.astype(str),
    )
    meta = adata.obs.copy()
    meta.index = counts.index
    return counts, meta
