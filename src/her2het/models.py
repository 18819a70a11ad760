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

Firth rows report the standard error R's logistf and brglm2 report (:func:`firth_se`, the
inverse Fisher information at the penalised estimate) and its Wald ``statistic``; their
``pvalue`` is the penalised likelihood-ratio test's and their CI the profile likelihood's.

Survival (:func:`kaplan_meier`, :func:`logrank`, :func:`fit_cox`): lifelines for Kaplan-Meier,
log-rank and the maximum-likelihood Cox fit. A monotone partial likelihood (a group without
events, e.g. no relapse after pCR) is detected and flagged, and the model refitted with
Firth's penalised partial likelihood (``firthmodels.FirthCoxPH``, as R's coxphf) with
profile-likelihood CIs and penalised LRT p-values. The Cox table carries the
proportional-hazards test of R survival 3.x ``cox.zph`` (:func:`cox_zph`: score test, Kaplan-
Meier time transform by default, per term and global) and events per variable (EPV); a model
with fewer than ``min_epv`` events per estimated coefficient is flagged, since its hazard
ratios are unstable (Peduzzi et al. 1995).
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


def firth_se(x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Standard errors of Firth logistic coefficients as R's logistf and brglm2 report them.

    The square roots of the diagonal of the inverse Fisher information ``(X' W X)^-1`` at the
    penalised estimate (``W = p (1 - p)``). ``firthmodels`` reports the inverse of the
    information of its augmented-data fit instead, 1.5-6% smaller on the trial-like data of
    ``tests/data/firth_logistic_r.csv``; the profile CIs and penalised LRT p-values, which
    are what the tables use for inference, are the same in both.
    """
    p = 1.0 / (1.0 + np.exp(-(x @ params)))
    info = x.T @ (x * (p * (1 - p))[:, None])
    return np.sqrt(np.diag(np.linalg.inv(info)))


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
    se = firth_se(x.to_numpy(float), params) if use_firth else np.asarray(res.bse)
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
    "model", "term", "estimator", "log_hr", "se", "hazard_ratio", "ci_low", "ci_high", "z",
    "pvalue", "p_method", "monotone", "ph_statistic", "ph_pvalue",
)  # fmt: skip
COX_MODEL_COLUMNS: tuple[str, ...] = (
    "model", "formula", "estimator", "n", "events", "n_parameters", "events_per_variable",
    "low_epv", "monotone_likelihood", "monotone_terms", "concordance", "ph_test",
    "ph_global_statistic", "ph_global_pvalue", "ph_min_pvalue", "note",
)  # fmt: skip
PH_TRANSFORMS = ("km", "rank", "identity", "log")


def _left_km(time: np.ndarray, event: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Kaplan-Meier survival just before each time in ``at`` (left-continuous)."""
    ts = np.unique(time[event == 1])
    d = np.array([np.sum((time == t) & (event == 1)) for t in ts], dtype=float)
    n = np.array([np.sum(time >= t) for t in ts], dtype=float)
    surv = np.cumprod(1.0 - d / n)
    idx = np.searchsorted(ts, at, side="left")  # event times strictly before ``at``
    return np.concatenate([[1.0], surv])[idx]


def cox_zph(
    x: np.ndarray, time: np.ndarray, event: np.ndarray, beta: np.ndarray, *,
    transform: str = "km",
) -> tuple[np.ndarray, float]:  # fmt: skip
    """Proportional-hazards score test of R ``survival`` 3.x ``cox.zph`` (Efron ties).

    For each covariate column j, the score test of adding ``g(t) * x_j`` (a log hazard ratio
    that changes linearly in the transformed time ``g``) to the model at the fitted ``beta``,
    with every coefficient of the model as a nuisance parameter (full information matrix, not
    the Grambsch-Therneau approximation of scaled Schoenfeld residuals); and the global test
    of all columns together (``p`` degrees of freedom). ``transform``: ``km`` (R's default,
    one minus the left-continuous Kaplan-Meier estimate), ``rank``, ``identity`` or ``log``.
    Returns the per-column chi-square statistics (1 df each) and the global one.

    ``cox.zph`` groups the columns of one multi-column term (a factor with three levels) into
    one test; here every column is its own (they coincide for binary and numeric terms).
    lifelines' ``proportional_hazard_test`` differs: it divides each scaled-Schoenfeld score
    by an approximate variance, which gave 7.07 where ``cox.zph`` gives 10.27 on one test
    data set; this function matches ``cox.zph`` (``tests/data/cox_zph_r.csv``).
    """
    x = np.asarray(x, float)
    time, event = np.asarray(time, float), np.asarray(event).astype(int)
    if transform == "km":
        g_all = 1.0 - _left_km(time, event, time)
    elif transform == "rank":
        from scipy.stats import rankdata

        g_all = rankdata(time)
    elif transform == "identity":
        g_all = time.copy()
    elif transform == "log":
        g_all = np.log(time)
    else:
        raise ValueError(f"PH test transform must be one of {', '.join(PH_TRANSFORMS)}")
    g_all = g_all - g_all[event == 1].mean()
    p = x.shape[1]
    eta = x @ beta
    w = np.exp(eta - eta.max())
    u = np.zeros(p)
    i_bb, i_bg, i_gg = np.zeros((p, p)), np.zeros((p, p)), np.zeros((p, p))
    for t in np.unique(time[event == 1]):
        risk = time >= t
        dead = risk & (time == t) & (event == 1)
        d = int(dead.sum())
        g = g_all[dead][0]
        wr, xr = w[risk], x[risk]
        wd, xd = w[dead], x[dead]
        s0r, s1r = wr.sum(), wr @ xr
        s2r = (xr * wr[:, None]).T @ xr
        s0d, s1d = wd.sum(), wd @ xd
        s2d = (xd * wd[:, None]).T @ xd
        xsum = xd.sum(axis=0)
        for j in range(d):
            f = j / d
            s0, s1, s2 = s0r - f * s0d, s1r - f * s1d, s2r - f * s2d
            xbar = s1 / s0
            v = s2 / s0 - np.outer(xbar, xbar)
            xsum = xsum - xbar
            i_bb += v
            i_bg += g * v
            i_gg += g * g * v
        u += g * xsum  # sum over the tied deaths of x minus the Efron risk-set means
    per_term = np.empty(p)
    for j in range(p):
        imat = np.block([[i_bb, i_bg[:, [j]]], [i_bg[[j], :], i_gg[[j]][:, [j]]]])
        uu = np.concatenate([np.zeros(p), u[[j]]])
        per_term[j] = float(uu @ np.linalg.solve(imat, uu))
    imat = np.block([[i_bb, i_bg], [i_bg.T, i_gg]])
    uu = np.concatenate([np.zeros(p), u])
    return per_term, float(uu @ np.linalg.solve(imat, uu))


def monotone_terms(x: pd.DataFrame, time: np.ndarray, event: np.ndarray) -> list[str]:
    """Columns whose partial likelihood is monotone: the log hazard ratio runs to +-infinity.

    A column is monotone when at every event time the failing patients have the largest (or
    at every event time the smallest) value of the risk set - for a binary covariate, one
    group has no events while at risk, e.g. no relapse after pCR (Heinze & Schemper 2001).
    Combinations of columns can also be monotone; :func:`fit_cox` catches those from the
    fit (a log hazard ratio beyond +-8, i.e. a hazard ratio below 0.0003 or above 3000).
    """
    time, event = np.asarray(time, float), np.asarray(event).astype(int)
    out = []
    for col in x.columns:
        v = x[col].to_numpy(float)
        at_max, at_min = True, True
        for t in np.unique(time[event == 1]):
            risk = time >= t
            dead = risk & (time == t) & (event == 1)
            at_max &= bool(v[dead].min() >= v[risk].max())
            at_min &= bool(v[dead].max() <= v[risk].min())
            if not (at_max or at_min):
                break
        if (at_max or at_min) and np.ptp(v) > 0:
            out.append(str(col))
    return out


def _firth_cox(x: pd.DataFrame, time: np.ndarray, event: np.ndarray) -> dict[str, np.ndarray]:
    from firthmodels import FirthCoxPH

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = FirthCoxPH().fit(x.to_numpy(float), (event.astype(bool), time.astype(float)))
        m.lrt()
        ci = m.conf_int(method="pl")
    if not m.converged_:
        raise ArithmeticError("the Firth-penalised Cox fit did not converge")
    return {"coef": m.coef_, "se": m.bse_, "ci": ci, "p": m.lrt_pvalues_}


def fit_cox(
    table: pd.DataFrame,
    time: str,
    event: str,
    formula: str,
    *,
    name: str = "model",
    min_epv: float = 10.0,
    firth: str = "auto",
    ph_transform: str = "km",
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Cox proportional-hazards model with its PH test, EPV and monotone-likelihood check.

    ``formula`` is the right-hand side (e.g. ``"pCR + HET + HR"``). Maximum partial
    likelihood (lifelines ``CoxPHFitter``, Efron ties, Wald CIs and p) unless the likelihood
    is monotone (:func:`monotone_terms`, or a fitted log hazard ratio beyond +-8): then - or
    always with ``firth="always"`` - Firth's penalised partial likelihood
    (``firthmodels.FirthCoxPH``, as R's coxphf; Heinze & Schemper 2001) gives finite hazard
    ratios with profile-likelihood CIs and penalised likelihood-ratio p-values. Under a
    monotone likelihood the Wald p of the maximum-likelihood fit is meaningless (a group
    without events gives HR ~1e-8 with p ~ 1 while the log-rank p is small); the row says
    ``monotone`` and ``estimator``. ``firth="never"`` keeps the ML fit and flags it.

    The PH test is :func:`cox_zph` (``cox.zph`` of R survival 3.x, ``ph_transform``), per
    term and global, at the reported estimate. Returns the term table
    (:data:`COX_TERM_COLUMNS`) and the model summary (:data:`COX_MODEL_COLUMNS`);
    ``low_epv`` is true, and ``note`` says so, when events per coefficient < ``min_epv``.
    """
    from lifelines import CoxPHFitter
    from lifelines.utils import concordance_index

    if firth not in ("auto", "always", "never"):
        raise ValueError(f"firth must be auto, always or never, not {firth!r}")
    parsed = parse_formula(formula)
    if parsed.outcome is not None:
        raise ValueError(f"formula {formula!r}: a Cox formula is the right-hand side only")
    df = _survival_frame(table, time, event, formula_columns(formula, list(table.columns)))
    _, x = design_matrices(parsed, df)
    x = x.drop(columns="Intercept", errors="ignore")  # the baseline hazard absorbs it
    if time in x.columns or event in x.columns:
        raise ValueError(f"formula {formula!r}: the follow-up columns cannot be covariates")
    tv, ev = df[time].to_numpy(float), df[event].to_numpy().astype(int)
    mono = monotone_terms(x, tv, ev)
    design = pd.concat([x, df[[time, event]]], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns on monotone likelihoods: handled
        cph = CoxPHFitter().fit(design, duration_col=time, event_col=event)
    s = cph.summary
    runaway = [str(t) for t, b in zip(s.index, s["coef"], strict=True) if abs(b) > 8]
    mono += [t for t in runaway if t not in mono]
    use_firth = firth == "always" or (firth == "auto" and bool(mono))
    if use_firth:
        f = _firth_cox(x, tv, ev)
        beta, se, ci, pv = f["coef"], f["se"], f["ci"], f["p"]
        p_method, estimator = "penalised LRT", "Firth"
    else:
        beta, se = s["coef"].to_numpy(), s["se(coef)"].to_numpy()
        with np.errstate(divide="ignore"):  # a monotone term kept by firth: never
            ci = np.log(s[["exp(coef) lower 95%", "exp(coef) upper 95%"]].to_numpy())
        pv, p_method, estimator = s["p"].to_numpy(), "Wald", "MLE"
    ph_terms, ph_global = cox_zph(x.to_numpy(float), tv, ev, beta, transform=ph_transform)
    k = x.shape[1]
    from scipy.stats import chi2

    terms = pd.DataFrame(
        {
            "model": name,
            "term": [str(c) for c in x.columns],
            "estimator": estimator,
            "log_hr": beta,
            "se": se,
            "hazard_ratio": np.exp(beta),
            "ci_low": np.exp(ci[:, 0]),
            "ci_high": np.exp(ci[:, 1]),
            "z": beta / se,
            "pvalue": pv,
            "p_method": p_method,
            "monotone": [str(c) in mono for c in x.columns],
            "ph_statistic": ph_terms,
            "ph_pvalue": chi2.sf(ph_terms, 1),
        }
    )
    events = int(ev.sum())
    epv = events / k if k else np.nan
    notes = []
    if mono:
        notes.append(
            f"monotone likelihood ({', '.join(mono)}): maximum-likelihood hazard ratios run to "
            "0 or infinity and their Wald p-values are meaningless; "
            + ("Firth-penalised estimates, profile CIs, penalised LRT p reported"
               if use_firth else "firth: never - the maximum-likelihood fit is kept, do not use it")
        )  # fmt: skip
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
        "estimator": estimator,
        "n": len(df),
        "events": events,
        "n_parameters": k,
        "events_per_variable": epv,
        "low_epv": bool(epv < min_epv),
        "monotone_likelihood": bool(mono),
        "monotone_terms": ";".join(mono),
        "concordance": float(concordance_index(tv, -(x.to_numpy(float) @ beta), ev)),
        "ph_test": f"cox.zph score test (survival 3.x), transform {ph_transform}, Efron ties",
        "ph_global_statistic": ph_global,
        "ph_global_pvalue": float(chi2.sf(ph_global, k)) if k else np.nan,
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
    return t, pd.DataFrame(summaries, columns=list(LOGISTIC_MODEL_COLUMNS))  # none: header


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
            t, s = fit_cox(
                pre, time, event, m["formula"], name=m["id"], min_epv=cfg["min_epv"],
                firth=cfg.get("firth", "auto"), ph_transform=cfg.get("ph_transform", "km"),
            )  # fmt: skip
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
        "cox_models": pd.DataFrame(summaries, columns=list(COX_MODEL_COLUMNS)),
    }
