"""Type-I error calibration of the workflow's tests on SIMULATED null cohorts.

Everything here runs on **simulated** data (:mod:`her2het.simulate`); nothing is trial data.
Each test of the workflow is run, through the workflow's own code, on many cohorts in which no
effect exists, and the share of rejections at ``alpha`` is compared with ``alpha``.

Differential expression (:func:`de_calibration`)
    Null cohort ``i`` is ``simulate_cohort(size, seed + i, effects=NULL_EFFECTS,
    null_design=True, n_genes=...)``: no planted expression effect, the same subtype mix in
    every patient group and no subtype shift after treatment, so neither pCR nor timepoint
    changes any gene. Its counts go through :func:`her2het.cohort.build_cohort`,
    :func:`her2het.de.cohort_tables`, :func:`her2het.de.fit` and :func:`her2het.de.test` (the
    two steps of :func:`her2het.de.run_design`; PyDESeq2, Wald t-test as configured by default)
    for the contrasts of :data:`DE_CONTRASTS` - a between-patient contrast and a paired
    post-vs-pre contrast, copies of the default config's entries. Four rows per contrast: genes
    with raw ``p < alpha`` (expected ``alpha``), the same with the normal Wald reference
    (``de.t_test: false``, same fit), genes with ``padj < alpha`` and cohorts with any
    ``padj < alpha`` (under the global null the Benjamini-Hochberg FDR equals the family-wise
    error, so the latter should be ``<= alpha``).

Association tests and models (:func:`model_calibration`)
    Replicate ``j`` is a null patient table drawn by :func:`null_patient_table` (seed
    ``seed + j``) with the patient count and HET count of the size's design; pCR, HR status
    and a continuous ``ERBB2`` value are independent of HET and of each other, and event-free
    survival comes from :func:`her2het.simulate.simulate_survival` with hazard ratios 1. The
    tests are those of :func:`her2het.outcome.associations` (Fisher HET vs pCR, Firth rows,
    Mann-Whitney), :func:`her2het.models.logistic_models` (default model, ``firth: auto``) and
    :func:`her2het.models.survival_analysis` (log-rank, default Cox model).

Result table (``calibration.tsv``, :data:`CALIBRATION_COLUMNS`), one row per test:

* ``test`` - what was rejected (test, contrast or model term, and the unit counted);
* ``size`` - simulator size of the null cohorts (``tiny``/``small``/``paper``);
* ``n_cohorts`` - simulated null cohorts (DE) or null patient tables (models);
* ``n_tests`` - p-values counted (genes over all cohorts, cohorts, or replicates; p-values
  that could not be computed are left out and counted in ``note``);
* ``alpha``, ``rejections`` (p < ``alpha``), ``rate`` = rejections / n_tests;
* ``ci_low``, ``ci_high`` - 95% interval of the rate; ``ci_method`` says how: Clopper-Pearson
  when the counted units are independent (cohorts, replicates), or, for genes pooled over
  cohorts (genes of one cohort share its design and are correlated), Clopper-Pearson on the
  effective sample size n / design effect (Korn and Graubard 1998), the design effect
  estimated from the spread of the per-cohort rates (never below 1);
* ``expected`` - ``alpha`` for a test that should reject at its nominal level, ``<= alpha`` for
  an error rate that a procedure bounds (FDR / family-wise rows);
* ``verdict`` - ``calibrated`` (the interval contains ``alpha``), ``conservative`` (entirely
  below) or ``anti-conservative`` (entirely above);
* ``note`` - what else a reader needs (estimators used, non-estimable replicates, events).

Companion tables: ``de_cohorts.tsv`` (one row per null cohort and contrast) and
``model_pvalues.tsv`` (one row per replicate and test), from which the rates are recomputable;
the command line also draws ``calibration.png`` (:mod:`her2het.plots`).

Run ``python -m her2het.calibration --help``; ``make validate`` runs the full size.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from her2het.io import write_tables

#: Number format of the calibration tables (six significant digits).
FLOAT_FORMAT = "%.6g"

CALIBRATION_COLUMNS: tuple[str, ...] = (
    "test", "size", "n_cohorts", "n_tests", "alpha", "rejections", "rate", "ci_low", "ci_high",
    "ci_method", "expected", "verdict", "note",
)  # fmt: skip

DE_COHORT_COLUMNS: tuple[str, ...] = (
    "cohort", "seed", "contrast", "status", "units_target", "units_reference", "genes_tested",
    "raw_rejections", "padj_tested", "padj_rejections", "raw_rejections_normal",
)  # fmt: skip

MODEL_PVALUE_COLUMNS: tuple[str, ...] = ("replicate", "seed", "test", "pvalue", "detail")

#: Copies of two default contrasts of ``config/config.yaml`` (a test keeps them equal).
DE_CONTRASTS: tuple[dict[str, Any], ...] = (
    {
        "id": "pre_pCR_vs_noPCR",
        "description": "Pretreatment tumours, pCR vs no pCR, adjusted for HR status",
        "subset": {"timepoint": ["pre"]},
        "variable": "pCR",
        "reference": 0,
        "target": 1,
        "blocking": ["HR"],
    },
    {
        "id": "post_vs_pre_nonHET",
        "description": "Residual vs pretreatment tumour, paired by patient, non-HET patients",
        "subset": {"HET": [0]},
        "variable": "timepoint",
        "reference": "pre",
        "target": "post",
        "paired": True,
    },
)

#: The default ``outcome.logistic`` and ``outcome.survival`` settings of the config schema
#: (a test keeps them equal); the cross-validated AUC is skipped, it has no p-value.
LOGISTIC_CONFIG: dict[str, Any] = {
    "firth": "auto",
    "cv_folds": 0,
    "cv_repeats": 1,
    "models": [{"id": "main", "formula": "pCR ~ HET + ERBB2 + HR"}],
}
SURVIVAL_CONFIG: dict[str, Any] = {
    "time": "EFS_months",
    "event": "EFS_event",
    "km_by": ["HET", "pCR"],
    "at_risk_times": [0, 12, 24, 36, 48, 60, 72],
    "min_epv": 10,
    "cox": [{"id": "main", "formula": "pCR + HET + HR"}],
}

#: Null tables: P(HR positive); ERBB2 is drawn N(10, 1) (a log2 expression-like scale).
_P_HR_POS = 0.6
_TABLE_STREAM = 7_301  # entropy added to a replicate's seed for its own draws


# --------------------------------------------------------------------------------------------
# Rates, intervals and verdicts
# --------------------------------------------------------------------------------------------


def clopper_pearson(rejections: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (exact binomial) interval; non-integer counts allowed (effective n).

    Uses the beta-quantile form, which equals ``scipy.stats.binomtest(k, n).proportion_ci()``
    for integer counts.
    """
    if n <= 0:
        return np.nan, np.nan
    a = (1.0 - confidence) / 2.0
    low = 0.0 if rejections <= 0 else float(stats.beta.ppf(a, rejections, n - rejections + 1))
    high = 1.0 if rejections >= n else float(stats.beta.ppf(1 - a, rejections + 1, n - rejections))
    return low, high


def design_effect(rejections: Sequence[float], tests: Sequence[float]) -> float:
    """Variance inflation of a rate pooled over clusters (cohorts) relative to the binomial.

    The cluster-robust (ratio-estimator) variance of ``sum(rejections) / sum(tests)`` over the
    clusters, divided by the binomial variance of the same pooled rate; at least 1, and 1 when
    it cannot be estimated (fewer than two clusters, rate 0 or 1).
    """
    x = np.asarray(rejections, dtype=float)
    n = np.asarray(tests, dtype=float)
    keep = n > 0
    x, n = x[keep], n[keep]
    k, total = len(n), float(n.sum())
    if k < 2 or total <= 0:
        return 1.0
    p = float(x.sum()) / total
    if p <= 0.0 or p >= 1.0:
        return 1.0
    var_cluster = k / (k - 1) * float(np.sum((x - p * n) ** 2)) / total**2
    return max(1.0, var_cluster / (p * (1.0 - p) / total))


def verdict(ci_low: float, ci_high: float, alpha: float) -> str:
    """``calibrated`` if the interval contains ``alpha``, else ``conservative`` (below) or
    ``anti-conservative`` (above); ``not estimable`` without an interval."""
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "not estimable"
    if ci_low > alpha:
        return "anti-conservative"
    if ci_high < alpha:
        return "conservative"
    return "calibrated"


def rate_row(
    test: str,
    rejections: Sequence[float],
    tests: Sequence[float],
    *,
    alpha: float,
    size: str,
    clustered: bool = False,
    bound: bool = False,
    note: str = "",
) -> dict[str, Any]:
    """One row of :data:`CALIBRATION_COLUMNS` from per-cohort (or per-replicate) counts.

    Parameters
    ----------
    rejections, tests
        Rejections and counted tests of each cohort (for a replicate-level test, 0/1 and 1).
    clustered
        The units counted within a cohort are correlated (genes of one cohort): the interval
        uses the effective sample size (:func:`design_effect`).
    bound
        The procedure bounds the rate by ``alpha`` (FDR, family-wise error) instead of
        targeting it: ``expected`` reads ``<= alpha``.
    """
    x = float(np.sum(rejections))
    n = float(np.sum(tests))
    rate = x / n if n else np.nan
    if clustered:
        deff = design_effect(rejections, tests)
        n_eff = n / deff
        low, high = clopper_pearson(rate * n_eff, n_eff) if n else (np.nan, np.nan)
        method = "Clopper-Pearson on effective n (Korn-Graubard)"
        note = "; ".join(s for s in (f"design effect {deff:.2f} over cohorts", note) if s)
    else:
        low, high = clopper_pearson(x, n) if n else (np.nan, np.nan)
        method = "Clopper-Pearson"
    return {
        "test": test,
        "size": size,
        "n_cohorts": len(tests),
        "n_tests": int(n),
        "alpha": alpha,
        "rejections": int(x),
        "rate": rate,
        "ci_low": low,
        "ci_high": high,
        "ci_method": method,
        "expected": f"<= {alpha:g}" if bound else f"{alpha:g}",
        "verdict": verdict(low, high, alpha),
        "note": note,
    }


def pvalue_row(
    test: str, pvalues: Iterable[float], *, alpha: float, size: str, note: str = ""
) -> dict[str, Any]:
    """A replicate-level row: one p-value per null replicate; missing p-values left out."""
    p = np.asarray(list(pvalues), dtype=float)
    ok = np.isfinite(p)
    missing = int((~ok).sum())
    extra = f"{missing} replicate(s) without a p-value (not estimable)" if missing else ""
    row = rate_row(
        test,
        (p[ok] < alpha).astype(float),
        np.ones(int(ok.sum())),
        alpha=alpha,
        size=size,
        note="; ".join(s for s in (note, extra) if s),
    )
    row["n_cohorts"] = len(p)
    return row


def finish_table(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The calibration table in :data:`CALIBRATION_COLUMNS`, numbers rounded for stable text."""
    out = pd.DataFrame(list(rows)).reindex(columns=list(CALIBRATION_COLUMNS))
    for col in ("rate", "ci_low", "ci_high"):
        out[col] = out[col].astype(float).round(6)
    return out


# --------------------------------------------------------------------------------------------
# Differential expression on null cohorts
# --------------------------------------------------------------------------------------------


def null_de_cohort(
    size: str,
    seed: int,
    *,
    n_genes: int,
    contrasts: Sequence[dict[str, Any]] = DE_CONTRASTS,
    alpha: float = 0.05,
    cohort_index: int = 0,
) -> list[dict[str, Any]]:
    """Simulate one null cohort and test each contrast with the workflow's DE code.

    Returns one row of :data:`DE_COHORT_COLUMNS` per contrast. FISH cells are simulated at 20
    per area only because nothing here uses them (the counts do not depend on that number).
    """
    from threadpoolctl import threadpool_limits

    from her2het import cohort, de, simulate

    demo = simulate.simulate_cohort(
        size,
        seed,
        n_genes=n_genes,
        cells_per_area=20,
        effects=simulate.NULL_EFFECTS,
        null_design=True,
    )
    adata = cohort.build_cohort(demo.samples, demo.patients, demo.counts, "simulated", True)
    counts, meta = de.cohort_tables(adata)
    rows = []
    # one BLAS thread: deterministic sums, and no thread oversubscription across workers
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c in de.parse_contrasts(contrasts):
            fitted = de.fit(counts, meta, [c])  # run_design = fit, then test
            table, summary = de.test(fitted, c, alpha=alpha, shrink=False)
            normal, _ = de.test(fitted, c, alpha=alpha, shrink=False, t_test=False)
            p = table["pvalue"].astype(float)
            q = table["padj"].astype(float)
            rows.append(
                {
                    "cohort": cohort_index,
                    "seed": seed,
                    "contrast": c.id,
                    "status": summary["status"],
                    "units_target": summary["units_target"],
                    "units_reference": summary["units_reference"],
                    "genes_tested": int(p.notna().sum()),
                    "raw_rejections": int((p < alpha).sum()),
                    "padj_tested": int(q.notna().sum()),
                    "padj_rejections": int((q < alpha).sum()),
                    "raw_rejections_normal": int((normal["pvalue"].astype(float) < alpha).sum()),
                }
            )
    return rows


def _de_job(args: tuple[str, int, int, int, float]) -> list[dict[str, Any]]:
    size, seed, index, n_genes, alpha = args
    return null_de_cohort(size, seed, n_genes=n_genes, alpha=alpha, cohort_index=index)


def _map(func: Callable[[Any], Any], jobs: Sequence[Any], cores: int, label: str) -> list[Any]:
    """``func`` over ``jobs`` in order, in ``cores`` processes (in this process when 1).

    Progress goes to stderr at every tenth of the jobs.
    """
    step = max(1, len(jobs) // 10)
    out = []
    with ProcessPoolExecutor(max_workers=cores) if cores > 1 else nullcontext() as pool:
        results = (
            pool.map(func, jobs, chunksize=max(1, len(jobs) // (8 * cores)))
            if pool is not None
            else map(func, jobs)
        )
        for i, r in enumerate(results, start=1):
            out.append(r)
            if i % step == 0 or i == len(jobs):
                print(f"{label}: {i}/{len(jobs)}", file=sys.stderr, flush=True)
    return out


def de_cohort_table(
    size: str, seed: int, n_cohorts: int, *, n_genes: int, alpha: float = 0.05, cores: int = 1
) -> pd.DataFrame:
    """Per-cohort DE counts (:data:`DE_COHORT_COLUMNS`) of ``n_cohorts`` null cohorts."""
    jobs = [(size, seed + i, i, n_genes, alpha) for i in range(n_cohorts)]
    rows = [r for rs in _map(_de_job, jobs, cores, "null DE cohorts") for r in rs]
    return pd.DataFrame(rows).reindex(columns=list(DE_COHORT_COLUMNS))


def de_rows(cohorts: pd.DataFrame, *, alpha: float, size: str) -> list[dict[str, Any]]:
    """Calibration rows of each contrast from :func:`de_cohort_table` output."""
    rows = []
    for cid, d in cohorts.groupby("contrast", sort=False):
        tested = d[d["status"].str.startswith("ok")]
        skipped = len(d) - len(tested)
        units = (
            f"{tested['units_target'].median():g} vs {tested['units_reference'].median():g} "
            "units (median)"
        )
        base = "; ".join(
            s for s in (units, f"{skipped} cohort(s) not testable" if skipped else "") if s
        )
        genes = f"median {tested['genes_tested'].median():g} genes tested per cohort"
        q = tested["padj_rejections"]
        one_per_cohort = np.ones(len(tested))
        specs = (  # name, rejections, tests, clustered (genes of a cohort), bound, note
            ("genes with raw p < alpha", tested["raw_rejections"], tested["genes_tested"], True,
             False, f"{genes}; PyDESeq2 Wald t-test on n - p df (de.t_test: true, default)"),
            ("genes with raw p < alpha, normal Wald (t_test: false)",
             tested["raw_rejections_normal"], tested["genes_tested"], True, False,
             "same fits, Wald statistic against the normal distribution"),
            ("genes with padj < alpha", q, tested["padj_tested"], True, True,
             "Benjamini-Hochberg after independent filtering"),
            ("cohorts with any padj < alpha", (q > 0).astype(float), one_per_cohort, False, True,
             "under the global null the BH FDR is the family-wise error"),
        )  # fmt: skip
        for name, rej, n, clustered, bound, note in specs:
            rows.append(
                rate_row(
                    f"DE {cid}: {name}",
                    rej,
                    n,
                    alpha=alpha,
                    size=size,
                    clustered=clustered,
                    bound=bound,
                    note=f"{base}; {note}",
                )
            )
    return rows


def de_calibration(
    size: str,
    seed: int,
    n_cohorts: int,
    *,
    n_genes: int,
    alpha: float = 0.05,
    cores: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """DE calibration rows and the per-cohort table they come from."""
    cohorts = de_cohort_table(size, seed, n_cohorts, n_genes=n_genes, alpha=alpha, cores=cores)
    return finish_table(de_rows(cohorts, alpha=alpha, size=size)), cohorts


# --------------------------------------------------------------------------------------------
# Association tests and outcome models on null patient tables
# --------------------------------------------------------------------------------------------


def null_patient_table(size: str, seed: int) -> pd.DataFrame:
    """A null baseline patient table with the patient and HET counts of a simulator size.

    HET is fixed for ``n_het`` random patients (as the trial's prevalence is fixed by design);
    pCR ~ Bernoulli(share of pCR patients of the design), HR positive ~ Bernoulli(0.6) and
    ``ERBB2`` ~ N(10, 1) are drawn independently of HET and of each other; event-free survival
    comes from :func:`her2het.simulate.simulate_survival` with :data:`NULL_EFFECTS` (no hazard
    ratio). Columns as the workflow's patient table (``patient``, ``timepoint``, ``group``,
    ``pCR``, ``HET``, ``HR``, ``EFS_months``, ``EFS_event``, ``ERBB2``).
    """
    from her2het import cohort, simulate

    design = simulate.resolve_design(size)
    rng = np.random.default_rng([_TABLE_STREAM, seed])
    n = design.n_patients
    het = np.zeros(n, dtype=int)
    het[rng.choice(n, design.n_het, replace=False)] = 1
    pcr = (rng.random(n) < design.n_nonhet_pcr / n).astype(int)
    hr = np.where(rng.random(n) < _P_HR_POS, "pos", "neg")
    erbb2 = np.round(rng.normal(10.0, 1.0, n), 6)
    patients = pd.DataFrame(
        {"patient": [f"N{i + 1:03d}" for i in range(n)], "pCR": pcr, "HET": het, "HR": hr}
    )
    patients = simulate.simulate_survival(patients, seed, simulate.NULL_EFFECTS)
    patients.insert(1, "timepoint", "pre")
    patients.insert(2, "group", cohort.patient_groups(patients).to_numpy())
    patients["ERBB2"] = erbb2
    return patients


def _association_pvalues(table: pd.DataFrame) -> list[tuple[str, float, str]]:
    from her2het import outcome

    res = outcome.associations(table, ["ERBB2"], n_resamples=99)
    picks = (
        ("Fisher exact: HET vs pCR", "HET vs pCR", "Fisher exact"),
        ("Firth logistic (always): pCR ~ HET, HET term", "HET vs pCR", "Firth logistic: pCR ~ HET"),
        (
            "Firth logistic (always): pCR ~ HET + HR, HET term",
            "HET vs pCR",
            "Firth logistic: pCR ~ HET + HR",
        ),
        ("Mann-Whitney U: ERBB2, pCR vs no pCR", "features vs pCR", "Mann-Whitney U"),
        ("Mann-Whitney U: ERBB2, HET vs non-HET", "features vs HET", "Mann-Whitney U"),
    )
    out = []
    for name, family, test in picks:
        hit = res[(res["family"] == family) & (res["test"] == test)]
        p = float(hit["pvalue"].iloc[0]) if len(hit) else np.nan
        note = str(hit["note"].iloc[0]) if len(hit) and pd.notna(hit["note"].iloc[0]) else ""
        out.append((name, p, "not estimable" if note.startswith("not estimable") else ""))
    return out


def _model_pvalues(table: pd.DataFrame) -> list[tuple[str, float, str]]:
    from her2het import models

    out = []
    terms, summary = models.logistic_models(table, LOGISTIC_CONFIG)
    formula = LOGISTIC_CONFIG["models"][0]["formula"]
    est = str(summary["estimator"].iloc[0]) if summary["estimator"].notna().any() else ""
    for term in ("HET", "ERBB2"):
        hit = terms[terms["term"] == term]
        p = float(hit["pvalue"].iloc[0]) if len(hit) else np.nan
        out.append((f"logistic (firth: auto): {formula}, {term} term", p, est))
    time_col, event_col = SURVIVAL_CONFIG["time"], SURVIVAL_CONFIG["event"]
    for by in SURVIVAL_CONFIG["km_by"]:
        p = models.logrank(table, time_col, event_col, by)["pvalue"]
        out.append((f"log-rank: EFS by {by}", float(p), ""))  # type: ignore[arg-type]
    cox_formula = SURVIVAL_CONFIG["cox"][0]["formula"]
    try:
        cox, _ = models.fit_cox(table, time_col, event_col, cox_formula)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError):  # as survival_analysis
        cox = pd.DataFrame({"term": [], "pvalue": []})
    events = str(int(table[event_col].sum()))
    for term in ("HET", "pCR"):
        hit = cox[cox["term"] == term]
        p = float(hit["pvalue"].iloc[0]) if len(hit) else np.nan
        out.append((f"Cox: {cox_formula}, {term} term", p, events))
    return out


def null_model_pvalues(size: str, seed: int, replicate: int = 0) -> list[dict[str, Any]]:
    """P-values of every association and model test on one null patient table.

    Returns rows of :data:`MODEL_PVALUE_COLUMNS`; ``detail`` holds the logistic estimator
    (``MLE``/``Firth``) or the number of events (Cox).
    """
    from threadpoolctl import threadpool_limits

    table = null_patient_table(size, seed)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = _association_pvalues(table) + _model_pvalues(table)
    return [
        {"replicate": replicate, "seed": seed, "test": t, "pvalue": p, "detail": d}
        for t, p, d in found
    ]


def _model_job(args: tuple[str, int, int]) -> list[dict[str, Any]]:
    size, seed, index = args
    return null_model_pvalues(size, seed, index)


def model_pvalue_table(size: str, seed: int, n_replicates: int, *, cores: int = 1) -> pd.DataFrame:
    """Long table (:data:`MODEL_PVALUE_COLUMNS`) of ``n_replicates`` null patient tables."""
    jobs = [(size, seed + j, j) for j in range(n_replicates)]
    rows = [r for rs in _map(_model_job, jobs, cores, "null patient tables") for r in rs]
    return pd.DataFrame(rows).reindex(columns=list(MODEL_PVALUE_COLUMNS))


_MODEL_NOTES: dict[str, str] = {
    "Fisher exact": "exact test conditional on both margins: conservative by construction",
    "Firth logistic (always)": "outcome.associations row: Firth fit, penalised likelihood-ratio p",
    "Mann-Whitney U": "scipy mannwhitneyu (exact for small samples without ties)",
    "log-rank": "lifelines multivariate_logrank_test",
}


def model_rows(pvalues: pd.DataFrame, *, alpha: float, size: str) -> list[dict[str, Any]]:
    """Calibration rows of :func:`model_pvalue_table` output, one per test."""
    rows = []
    for test, d in pvalues.groupby("test", sort=False):
        note = next((v for k, v in _MODEL_NOTES.items() if str(test).startswith(k)), "")
        if str(test).startswith("logistic"):
            firth = int((d["detail"] == "Firth").sum())
            note = (
                f"models.fit_logistic: Firth (penalised LRT) in {firth} replicate(s) with "
                f"separation, else MLE Wald"
            )
        elif str(test).startswith("Cox"):
            ev = pd.to_numeric(d["detail"], errors="coerce")
            k = len(SURVIVAL_CONFIG["cox"][0]["formula"].split("+"))
            note = (
                f"lifelines CoxPHFitter Wald; events per table median {ev.median():g} "
                f"(range {ev.min():g}-{ev.max():g}) for {k} coefficients"
            )
        rows.append(pvalue_row(str(test), d["pvalue"], alpha=alpha, size=size, note=note))
    return rows


def model_calibration(
    size: str, seed: int, n_replicates: int, *, alpha: float = 0.05, cores: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Association and model calibration rows and the p-value table they come from."""
    pvalues = model_pvalue_table(size, seed, n_replicates, cores=cores)
    return finish_table(model_rows(pvalues, alpha=alpha, size=size)), pvalues


# --------------------------------------------------------------------------------------------
# Whole run and command line
# --------------------------------------------------------------------------------------------


def calibrate(
    *,
    size: str = "small",
    seed: int = 1,
    n_cohorts: int = 200,
    n_replicates: int = 1000,
    n_genes: int = 500,
    alpha: float = 0.05,
    cores: int = 1,
) -> dict[str, pd.DataFrame]:
    """Run the DE and model calibrations; returns ``calibration``, ``de_cohorts`` and
    ``model_pvalues`` tables. ``n_cohorts=0`` or ``n_replicates=0`` skips that part."""
    parts, out = [], {}
    if n_cohorts:
        de_table, out["de_cohorts"] = de_calibration(
            size, seed, n_cohorts, n_genes=n_genes, alpha=alpha, cores=cores
        )
        parts.append(de_table)
    if n_replicates:
        model_table, out["model_pvalues"] = model_calibration(
            size, seed, n_replicates, alpha=alpha, cores=cores
        )
        parts.append(model_table)
    if not parts:
        raise ValueError("nothing to calibrate: n_cohorts and n_replicates are both 0")
    out["calibration"] = pd.concat(parts, ignore_index=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m her2het.calibration [options]`` (see ``--help``)."""
    ap = argparse.ArgumentParser(
        prog="python -m her2het.calibration",
        description="Type-I error of the workflow's tests on SIMULATED null cohorts.",
    )
    ap.add_argument("--cohorts", type=int, default=200, help="null cohorts for DE (default 200)")
    ap.add_argument(
        "--replicates",
        type=int,
        default=1000,
        help="null patient tables for association tests and models (default 1000)",
    )
    ap.add_argument("--size", choices=["tiny", "small", "paper"], default="small")
    ap.add_argument("--genes", type=int, default=500, help="genes per null cohort (default 500)")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1, help="cohort/replicate i uses seed + i")
    ap.add_argument("--cores", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--out", default="results/validation", help="output directory")
    ap.add_argument("--no-figure", action="store_true", help="skip calibration.png")
    a = ap.parse_args(argv)
    start = time.perf_counter()
    tables = calibrate(
        size=a.size,
        seed=a.seed,
        n_cohorts=a.cohorts,
        n_replicates=a.replicates,
        n_genes=a.genes,
        alpha=a.alpha,
        cores=a.cores,
    )
    paths = write_tables(tables, a.out, float_format=FLOAT_FORMAT)
    if not a.no_figure:
        from her2het.plots import calibration_figure, save_figure

        paths["figure"] = Path(a.out) / "calibration.png"
        save_figure(
            calibration_figure(tables["calibration"], tables.get("model_pvalues")),
            paths["figure"],
        )
    with pd.option_context("display.width", 250, "display.max_colwidth", 60):
        print(tables["calibration"].drop(columns=["ci_method", "note"]).to_string(index=False))
    print(f"SIMULATED null cohorts; tables in {paths['calibration'].parent} "
          f"({time.perf_counter() - start:.0f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
