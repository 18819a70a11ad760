"""Response and outcome models: logistic regression for pCR, Kaplan-Meier and Cox for survival.

Formulas come from the config and are data: :mod:`her2het.formula` parses them with a grammar
of its own (column names, ``+ - : *``, ``0``/``1``, ``C()``, ``Q()``, a few transforms) and
builds the design from the parsed terms; no formula string ever reaches patsy's, formulaic's or
Python's evaluation.

Logistic (:func:`fit_logistic`): the design of the formula is fitted by
maximum likelihood with statsmodels unless the data are separated - some combination of
predictors predicts the outcome perfectly, as HET does for no pCR in the trial (0% pCR in
HET). Separation is detected before fitting with the linear-programming check of Konis (2007)
(``firthmodels.detect_separation``, as R's detectseparation); then, or always with
``firth="always"``, Firth's penalised likelihood (``firthmodels.FirthLogit``, as R's logistf:
profile-likelihood CIs, penalised likelihood-ratio p-values) gives finite odds ratios. The
table says which estimator produced each row and which terms were separated.

Discrimination: the apparent AUC (on the data the model was fitted to, optimistic) and a
repeated stratified k-fold cross-validated AUC (the model refitted in each training fold,
out-of-fold predicted probabilities pooled per repeat; median and range over repeats).

Survival (:func:`kaplan_meier`, :func:`logrank`, :func:`fit_cox`): lifelines. The Cox table
carries the proportional-hazards test (scaled Schoenfeld residuals, rank time transform) and
events per variable (EPV); a model with fewer than ``min_epv`` events per estimated coefficient
is flagged, since its hazard ratios are unstable (Peduzzi et al. 1995).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from her2het.cohort import baseline_rows
from her2het.formula import check_columns, design_matrices
from her2het.formula import parse as parse_formula

LOGISTIC_TERM_COLUMNS: tuple[str, ...] = (
    "model", "term", "estimator", "log_odds", "se", "odds_ratio", "ci_low", "ci_high",
    "statistic", "pvalue", "p_method", "separated",
)  # fmt: skip
LOGISTIC_MODEL_COLUMNS: tuple[str, ...] = (
    "model", "formula", "estimator", "n", "n_events", "n_dropped_missing", "separation",
    "separated_terms", "auc_apparent", "auc_cv", "auc_cv_min", "auc_cv_max", "cv_folds",
    "cv_repeats", "note",
)  # fmt: skip


@dataclass
class LogisticFit:
    """``terms`` (one row per coefficient) and ``summary`` (model-level values)."""

    terms: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)


def formula_columns(formula: str, columns: Sequence[str]) -> list[str]:
    """Columns named in ``formula``; a formula outside the grammar of :mod:`her2het.formula`,
    or naming a column not in ``columns``, raises a ``ValueError`` saying which.

    Formulas are parsed, never evaluated: ``Treatment('LumA')`` is a level, not a name.
    """
    parsed = parse_formula(formula)
    check_columns(parsed, columns)
    return parsed.columns


def _design(table: pd.DataFrame, formula: str) -> tuple[pd.Series, pd.DataFrame, int]:
    parsed = parse_formula(formula)
    if parsed.outcome is None:
        raise ValueError(f"formula {formula!r}: expected 'outcome ~ predictors'")
    check_columns(parsed, list(table.columns))
    df = table[parsed.columns].dropna()
    n_dropped = len(table) - len(df)
    yv, x = design_matrices(parsed, df)
    assert yv is not None
    if not pd.api.types.is_numeric_dtype(yv) or set(np.unique(yv)) - {0.0, 1.0}:
        raise ValueError(f"formula {formula!r}: the outcome {parsed.outcome!r} must be coded 0/1")
    return yv.astype(int), x, n_dropped


def _fit_once(y: pd.Series, x: pd.DataFrame, firth: bool, pl: bool) -> tuple[np.ndarray, object]:
    if firth:
        from firthmodels.adapters.statsmodels import FirthLogit

        res = FirthLogit(y.to_numpy(), x).fit(pl=pl)
        return np.asarray(res.params), res
    import statsmodels.api as sm

    res = sm.Logit(y, x).fit(disp=0)
    return np.asarray(res.params), res


def _predict(params: np.ndarray, x: pd.DataFrame) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x.to_numpy() @ params)))


def _cv_auc(
    y: pd.Series, x: pd.DataFrame, firth: bool, folds: int, repeats: int, seed: int
) -> list[float]:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    aucs = []
    for r in range(repeats):
        pred = np.full(len(y), np.nan)
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + r)
        try:
            for train, test in skf.split(x, y):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    params, _ = _fit_once(y.iloc[train], x.iloc[train], firth, pl=False)
                pred[test] = _predict(params, x.iloc[test])
        except _NOT_ESTIMABLE:  # e.g. a rare predictor constant in a training fold
            continue
        aucs.append(float(roc_auc_score(y, pred)))
    return aucs


def fit_logistic(
    table: pd.DataFrame,
    formula: str,
    *,
    name: str = "model",
    firth: str = "auto",
    cv_folds: int = 5,
    cv_repeats: int = 20,
    seed: int = 1,
) -> LogisticFit:
    """Fit ``formula`` to ``table`` (one row per patient); Firth when separated.

    ``firth``: ``auto`` (Firth if separation is detected), ``always`` or ``never`` (plain
    maximum likelihood; a separated model then raises). ``cv_folds=0`` skips the
    cross-validated AUC. Returns :class:`LogisticFit` with columns
    :data:`LOGISTIC_TERM_COLUMNS` and keys :data:`LOGISTIC_MODEL_COLUMNS`.
    """
    from firthmodels import detect_separation
    from sklearn.metrics import roc_auc_score

    if firth not in ("auto", "always", "never"):
        raise ValueError(f"firth must be auto, always or never, not {firth!r}")
    y, x, n_dropped = _design(table, formula)
    if y.nunique() < 2:
        raise ValueError(f"formula {formula!r}: the outcome has a single value in the data")
    sep = detect_separation(x.to_numpy(), y.to_numpy(), fit_intercept=False)
    separated = [t for t, fin in zip(x.columns, sep.is_finite, strict=True) if not fin]
    if sep.separation and firth == "never":
        raise ValueError(
            f"formula {formula!r}: the data are separated ({', '.join(separated)}); maximum "
            "likelihood estimates are infinite. Use firth: auto or always."
        )
    use_firth = firth == "always" or (firth == "auto" and sep.separation)
    params, res = _fit_once(y, x, use_firth, pl=True)
    ci = np.asarray(res.conf_int())
    se = np.asarray(res.bse)
    terms = pd.DataFrame(
        {
            "model": name,
            "term": list(x.columns),
            "estimator": "Firth" if use_firth else "MLE",
            "log_odds": params,
            "se": se,
            "odds_ratio": np.exp(params),
            "ci_low": np.exp(ci[:, 0]),
            "ci_high": np.exp(ci[:, 1]),
            "statistic": params / se,
            "pvalue": np.asarray(res.pvalues),
            "p_method": "penalised LRT" if use_firth else "Wald",
            "separated": [t in separated for t in x.columns],
        }
    )
    note = ""
    if sep.separation:
        note = (
            f"separation detected ({', '.join(separated)}): maximum likelihood estimates are "
            "infinite; Firth-penalised estimates reported"
        )
    summary: dict[str, object] = {
        "model": name,
        "formula": formula,
        "estimator": "Firth" if use_firth else "MLE",
        "n": len(y),
        "n_events": int(y.sum()),
        "n_dropped_missing": n_dropped,
        "separation": bool(sep.separation),
        "separated_terms": ";".join(separated),
        "auc_apparent": float(roc_auc_score(y, _predict(params, x))),
        "auc_cv": np.nan,
        "auc_cv_min": np.nan,
        "auc_cv_max": np.nan,
        "cv_folds": cv_folds,
        "cv_repeats": cv_repeats if cv_folds else 0,
        "note": note,
    }
    if cv_folds:
        folds = min(cv_folds, int(y.sum()), int((1 - y).sum()))
        if folds >= 2:
            aucs = _cv_auc(y, x, use_firth, folds, cv_repeats, seed)
            summary.update(cv_folds=folds, cv_repeats=len(aucs))
            if aucs:
                summary.update(
                    auc_cv=float(np.median(aucs)), auc_cv_min=min(aucs), auc_cv_max=max(aucs)
                )
            if len(aucs) < cv_repeats:
                lost = (
                    f"{cv_repeats - len(aucs)} of {cv_repeats} cross-validation repeats not "
                    "estimable (a term constant in a training fold)"
                )
                summary["note"] = "; ".join(n for n in (note, lost) if n)
    return LogisticFit(terms, summary)


# --------------------------------------------------------------------------------------------
# Survival
# --------------------------------------------------------------------------------------------


def _survival_frame(
    table: pd.DataFrame, time: str, event: str, columns: Sequence[str]
) -> pd.DataFrame:
    missing = [c for c in (time, event, *columns) if c not in table.columns]
    if missing:
        raise ValueError(
            f"survival: no column {', '.join(map(repr, missing))} in the patient table"
        )
    return table[[time, event, *columns]].dropna()


def kaplan_meier(
    table: pd.DataFrame,
    time: str,
    event: str,
    by: str,
    *,
    at_risk_times: Sequence[float] = (0, 12, 24, 36, 48, 60, 72),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier curves per level of ``by`` and numbers at risk.

    Returns ``curves`` (``by``, ``level``, ``time``, ``survival``, ``ci_low``, ``ci_high``,
    ``n_at_risk``, ``events``, ``censored``; one row per distinct time of each curve) and
    ``at_risk`` (``by``, ``level``, ``time``, ``n_at_risk``) at ``at_risk_times``.
    """
    from lifelines import KaplanMeierFitter

    df = _survival_frame(table, time, event, [by])
    curves, risk = [], []
    for level, sub in df.groupby(by, sort=True):
        km = KaplanMeierFitter().fit(sub[time], sub[event], label=str(level))
        sf = km.survival_function_.iloc[:, 0]
        ci = km.confidence_interval_survival_function_
        ev = km.event_table
        curves.append(
            pd.DataFrame(
                {
                    "by": by,
                    "level": str(level),
                    "time": sf.index.to_numpy(),
                    "survival": sf.to_numpy(),
                    "ci_low": ci.iloc[:, 0].to_numpy(),
                    "ci_high": ci.iloc[:, 1].to_numpy(),
                    "n_at_risk": ev["at_risk"].reindex(sf.index).to_numpy(),
                    "events": ev["observed"].reindex(sf.index).to_numpy(),
                    "censored": ev["censored"].reindex(sf.index).to_numpy(),
                }
            )
        )
        t = sub[time].to_numpy()
        risk += [
            {"by": by, "level": str(level), "time": float(s), "n_at_risk": int((t >= s).sum())}
            for s in at_risk_times
        ]
    return pd.concat(curves, ignore_index=True), pd.DataFrame(risk)


def logrank(table: pd.DataFrame, time: str, event: str, by: str) -> dict[str, object]:
    """Log-rank test across the levels of ``by`` (lifelines ``multivariate_logrank_test``)."""
    from lifelines.statistics import multivariate_logrank_test

    df = _survival_frame(table, time, event, [by])
    res = multivariate_logrank_test(df[time], df[by].astype(str), df[event])
    counts = df.groupby(by)[event].agg(["size", "sum"])
    return {
        "by": by,
        "levels": ";".join(map(str, counts.index)),
        "n": ";".join(map(str, counts["size"])),
        "events": ";".join(str(int(e)) for e in counts["sum"]),
        "statistic": float(res.test_statistic),
        "df": int(len(counts) - 1),
        "pvalue": float(res.p_value),
    }


COX_TERM_COLUMNS: tuple[str, ...] = (
    "model", "term", "log_hr", "se", "hazard_ratio", "ci_low", "ci_high", "z", "pvalue",
    "ph_statistic", "ph_pvalue",
)  # fmt: skip
COX_MODEL_COLUMNS: tuple[str, ...] = (
    "model", "formula", "n", "events", "n_parameters", "events_per_variable", "low_epv",
    "concordance", "ph_min_pvalue", "note",
)  # fmt: skip


def fit_cox(
    table: pd.DataFrame,
    time: str,
    event: str,
    formula: str,
    *,
    name: str = "model",
    min_epv: float = 10.0,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Cox proportional-hazards model (lifelines ``CoxPHFitter``) with its PH check and EPV.

    ``formula`` is the right-hand side (e.g. ``"pCR + HET + HR"``). Returns the term table
    (:data:`COX_TERM_COLUMNS`) and the model summary (:data:`COX_MODEL_COLUMNS`);
    ``low_epv`` is true, and ``note`` says so, when events per coefficient < ``min_epv``.
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    parsed = parse_formula(formula)
    if parsed.outcome is not None:
        raise ValueError(f"formula {formula!r}: a Cox formula is the right-hand side only")
    df = _survival_frame(table, time, event, formula_columns(formula, list(table.columns)))
    _, x = design_matrices(parsed, df)
    x = x.drop(columns="Intercept", errors="ignore")  # the baseline hazard absorbs it
    if time in x.columns or event in x.columns:
        raise ValueError(f"formula {formula!r}: the follow-up columns cannot be covariates")
    design = pd.concat([x, df[[time, event]]], axis=1)
    cph = CoxPHFitter()
    cph.fit(design, duration_col=time, event_col=event)
    s = cph.summary
    ph = proportional_hazard_test(cph, design, time_transform="rank").summary
    terms = pd.DataFrame(
        {
            "model": name,
            "term": s.index.astype(str),
            "log_hr": s["coef"].to_numpy(),
            "se": s["se(coef)"].to_numpy(),
            "hazard_ratio": s["exp(coef)"].to_numpy(),
            "ci_low": s["exp(coef) lower 95%"].to_numpy(),
            "ci_high": s["exp(coef) upper 95%"].to_numpy(),
            "z": s["z"].to_numpy(),
            "pvalue": s["p"].to_numpy(),
            "ph_statistic": ph["test_statistic"].reindex(s.index).to_numpy(),
            "ph_pvalue": ph["p"].reindex(s.index).to_numpy(),
        }
    )
    events = int(df[event].sum())
    k = len(s)
    epv = events / k if k else np.nan
    notes = []
    if epv < min_epv:
        notes.append(
            f"only {events} events for {k} coefficients (EPV {epv:.1f} < {min_epv:g}): "
            "hazard ratios are unstable; treat as exploratory"
        )
    ph_min = float(np.nanmin(terms["ph_pvalue"])) if k else np.nan
    if ph_min < 0.05:
        notes.append("proportional-hazards assumption questionable (PH test p < 0.05)")
    summary: dict[str, object] = {
        "model": name,
        "formula": formula,
        "n": len(df),
        "events": events,
        "n_parameters": k,
        "events_per_variable": epv,
        "low_epv": bool(epv < min_epv),
        "concordance": float(cph.concordance_index_),
        "ph_min_pvalue": ph_min,
        "note": "; ".join(notes),
    }
    return terms, summary


_NOT_ESTIMABLE = (ValueError, ArithmeticError, np.linalg.LinAlgError)


def _not_estimable(model: dict, exc: Exception, columns: Sequence[str]) -> dict[str, object]:
    """A model-table row for a model that could not be fitted, with the reason."""
    row: dict[str, object] = dict.fromkeys(columns, np.nan)
    row.update(model=model["id"], formula=model["formula"], note=f"not estimable: {exc}")
    return row


def logistic_models(
    table: pd.DataFrame, cfg: dict, *, seed: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every configured logistic model (``outcome.logistic``) on the baseline patient rows.

    Returns the term table (:data:`LOGISTIC_TERM_COLUMNS`) and the model table
    (:data:`LOGISTIC_MODEL_COLUMNS`).
    """
    pre = baseline_rows(table)
    terms, summaries = [], []
    for m in cfg["models"]:
        try:
            fit = fit_logistic(
                pre, m["formula"], name=m["id"], firth=cfg["firth"], cv_folds=cfg["cv_folds"],
                cv_repeats=cfg["cv_repeats"], seed=seed,
            )  # fmt: skip
        except _NOT_ESTIMABLE as exc:  # too few patients, a constant outcome, collinearity
            summaries.append(_not_estimable(m, exc, LOGISTIC_MODEL_COLUMNS))
            continue
        terms.append(fit.terms)
        summaries.append(fit.summary)
    t = pd.concat(terms, ignore_index=True) if terms else pd.DataFrame()
    t = t.reindex(columns=list(LOGISTIC_TERM_COLUMNS))
    return t, pd.DataFrame(summaries)[list(LOGISTIC_MODEL_COLUMNS)]


def survival_analysis(table: pd.DataFrame, cfg: dict) -> dict[str, pd.DataFrame]:
    """Kaplan-Meier, log-rank and Cox models of ``outcome.survival`` on the baseline rows.

    Returns tables ``km_curves``, ``km_at_risk``, ``logrank``, ``cox_terms``, ``cox_models``.
    ``km_by`` columns absent from the table (``subtype`` when subtyping is off) are skipped.
    """
    pre = baseline_rows(table)
    time, event = cfg["time"], cfg["event"]
    curves, risk, tests = [], [], []
    for by in cfg["km_by"]:
        if by not in pre or pre[by].dropna().nunique() < 2:
            continue
        c, r = kaplan_meier(pre, time, event, by, at_risk_times=cfg["at_risk_times"])
        curves.append(c)
        risk.append(r)
        tests.append(logrank(pre, time, event, by))
    terms, summaries = [], []
    for m in cfg["cox"]:
        try:
            t, s = fit_cox(pre, time, event, m["formula"], name=m["id"], min_epv=cfg["min_epv"])
        except _NOT_ESTIMABLE as exc:
            summaries.append(_not_estimable(m, exc, COX_MODEL_COLUMNS))
            continue
        terms.append(t)
        summaries.append(s)
    return {
        "km_curves": pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(),
        "km_at_risk": pd.concat(risk, ignore_index=True) if risk else pd.DataFrame(),
        "logrank": pd.DataFrame(tests),
        "cox_terms": (pd.concat(terms, ignore_index=True) if terms else pd.DataFrame()).reindex(
            columns=list(COX_TERM_COLUMNS)
        ),
        "cox_models": pd.DataFrame(summaries)[list(COX_MODEL_COLUMNS)],
    }
