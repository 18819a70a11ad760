"""Logistic (MLE / Firth under separation) and survival models agree with direct library calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from her2het import models


def _patients(n: int = 120, seed: int = 3, separated: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    het = (rng.uniform(size=n) < 0.2).astype(int)
    hr = rng.choice(["pos", "neg"], n)
    erbb2 = rng.normal(10, 1.0, n) - 1.0 * het
    lin = -0.5 + 1.2 * (erbb2 - 10) - 1.0 * het + 0.4 * (hr == "neg")
    pcr = (rng.uniform(size=n) < 1 / (1 + np.exp(-lin))).astype(int)
    if separated:
        pcr[het == 1] = 0  # as in the trial: no pCR in HET
    t_event = rng.exponential(1 / (0.01 * np.exp(0.9 * het - 0.8 * pcr)))
    t_cens = rng.uniform(24, 84, n)
    return pd.DataFrame(
        {
            "patient": [f"P{i:03d}" for i in range(n)],
            "timepoint": "pre",
            "pCR": pcr,
            "HET": het,
            "HR": hr,
            "ERBB2": erbb2,
            "EFS_months": np.minimum(t_event, t_cens).round(1),
            "EFS_event": (t_event <= t_cens).astype(int),
        }
    )


def test_logistic_without_separation_is_statsmodels_mle() -> None:
    df = _patients()
    fit = models.fit_logistic(df, "pCR ~ ERBB2 + HR", cv_folds=0)
    direct = smf.logit("pCR ~ ERBB2 + HR", df).fit(disp=0)
    t = fit.terms.set_index("term")
    assert (t["estimator"] == "MLE").all() and not fit.summary["separation"]
    np.testing.assert_allclose(t["log_odds"], direct.params[t.index], rtol=1e-6)
    np.testing.assert_allclose(t["pvalue"], direct.pvalues[t.index], rtol=1e-5)
    ci = np.exp(direct.conf_int().loc[t.index])
    np.testing.assert_allclose(t["ci_low"], ci[0], rtol=1e-5)
    np.testing.assert_allclose(t["ci_high"], ci[1], rtol=1e-5)


def test_separation_is_detected_and_firth_gives_finite_odds_ratio() -> None:
    from firthmodels.adapters.statsmodels import FirthLogit

    df = _patients(separated=True)
    assert df.loc[df["HET"] == 1, "pCR"].sum() == 0
    fit = models.fit_logistic(df, "pCR ~ HET + ERBB2 + HR", cv_folds=0)
    t = fit.terms.set_index("term")
    assert fit.summary["separation"] and fit.summary["separated_terms"] == "HET"
    assert (t["estimator"] == "Firth").all() and t.loc["HET", "separated"]
    assert 0 < t.loc["HET", "odds_ratio"] < 1 and np.isfinite(t.loc["HET", "ci_low"])
    assert "separation detected (HET)" in fit.summary["note"]
    # the same numbers as a direct firthmodels call on the same design
    x = pd.DataFrame(
        {
            "Intercept": 1.0,
            "HR[T.pos]": (df["HR"] == "pos").astype(float),
            "HET": df["HET"].astype(float),
            "ERBB2": df["ERBB2"],
        }
    )
    direct = FirthLogit(df["pCR"].to_numpy(), x).fit()
    np.testing.assert_allclose(t.loc[x.columns, "log_odds"], direct.params, rtol=1e-6)
    np.testing.assert_allclose(t.loc[x.columns, "pvalue"], direct.pvalues, rtol=1e-6)
    np.testing.assert_allclose(
        t.loc[x.columns, "ci_low"], np.exp(direct.conf_int()[:, 0]), rtol=1e-5
    )
    # plain maximum likelihood is refused, with the reason
    with pytest.raises(ValueError, match="separated \\(HET\\)"):
        models.fit_logistic(df, "pCR ~ HET + ERBB2 + HR", firth="never", cv_folds=0)


def test_cross_validated_auc_is_less_optimistic_than_apparent() -> None:
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(8)})
    df["pCR"] = rng.integers(0, 2, n)
    formula = "pCR ~ " + " + ".join(f"x{i}" for i in range(8))
    s = models.fit_logistic(df, formula, cv_folds=5, cv_repeats=10).summary
    assert s["auc_apparent"] > 0.65  # noise fitted
    assert s["auc_cv"] < 0.6 and s["auc_cv"] < s["auc_apparent"] - 0.1
    real = models.fit_logistic(_patients(), "pCR ~ ERBB2", cv_folds=5, cv_repeats=5).summary
    assert real["auc_cv"] > 0.7 and real["auc_cv_min"] <= real["auc_cv"] <= real["auc_cv_max"]


def test_logistic_input_errors_name_the_problem() -> None:
    df = _patients()
    with pytest.raises(ValueError, match="no column 'Ki67'"):
        models.fit_logistic(df, "pCR ~ ERBB2 + Ki67", cv_folds=0)
    with pytest.raises(ValueError, match="must be coded 0/1"):
        models.fit_logistic(df, "EFS_months ~ ERBB2", cv_folds=0)
    df.loc[:4, "ERBB2"] = np.nan
    assert models.fit_logistic(df, "pCR ~ ERBB2", cv_folds=0).summary["n_dropped_missing"] == 5


def test_cox_agrees_with_lifelines_and_flags_low_events_per_variable() -> None:
    from lifelines import CoxPHFitter

    df = _patients(n=150)
    terms, summary = models.fit_cox(df, "EFS_months", "EFS_event", "pCR + HET + HR")
    cols = ["EFS_months", "EFS_event", "pCR", "HET", "HR"]
    cph = CoxPHFitter().fit(
        df[cols], duration_col="EFS_months", event_col="EFS_event", formula="pCR + HET + HR"
    )
    t = terms.set_index("term")
    s = cph.summary
    np.testing.assert_allclose(t["log_hr"], s.loc[t.index, "coef"], rtol=1e-6)
    np.testing.assert_allclose(t["ci_high"], s.loc[t.index, "exp(coef) upper 95%"], rtol=1e-6)
    np.testing.assert_allclose(t["pvalue"], s.loc[t.index, "p"], rtol=1e-6)
    # the PH test is cox.zph's (tested against R below), not lifelines' approximation
    x = df[["pCR", "HET"]].assign(**{"HR[T.pos]": (df["HR"] == "pos").astype(float)})
    zph, _ = models.cox_zph(
        x[list(t.index)].to_numpy(float), df["EFS_months"].to_numpy(), df["EFS_event"].to_numpy(),
        t["log_hr"].to_numpy(),
    )  # fmt: skip
    np.testing.assert_allclose(t["ph_statistic"], zph, rtol=1e-9)
    assert (t["estimator"] == "MLE").all() and not summary["monotone_likelihood"]
    assert summary["events"] == df["EFS_event"].sum() and summary["n_parameters"] == 3
    assert summary["low_epv"] == (summary["events"] / 3 < 10)
    few = df.copy()
    few.loc[few.index[12:], "EFS_event"] = 0  # at most 12 events for 3 coefficients
    _, s2 = models.fit_cox(few, "EFS_months", "EFS_event", "pCR + HET + HR")
    assert s2["low_epv"] and "EPV" in s2["note"]


def test_kaplan_meier_and_logrank_match_lifelines() -> None:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    df = _patients(n=80)
    curves, at_risk = models.kaplan_meier(
        df, "EFS_months", "EFS_event", "HET", at_risk_times=(0, 24, 48)
    )
    sub = df[df["HET"] == 1]
    km = KaplanMeierFitter().fit(sub["EFS_months"], sub["EFS_event"])
    c = curves[curves["level"] == "1"].set_index("time")["survival"]
    np.testing.assert_allclose(c.to_numpy(), km.survival_function_.iloc[:, 0].to_numpy())
    r = at_risk[(at_risk["level"] == "1") & (at_risk["time"] == 24)]["n_at_risk"].iloc[0]
    assert r == (sub["EFS_months"] >= 24).sum()
    lr = models.logrank(df, "EFS_months", "EFS_event", "HET")
    a, b = df[df["HET"] == 1], df[df["HET"] == 0]
    direct = logrank_test(a["EFS_months"], b["EFS_months"], a["EFS_event"], b["EFS_event"])
    assert lr["pvalue"] == pytest.approx(direct.p_value, rel=1e-8)


def test_survival_analysis_skips_groupings_that_are_absent() -> None:
    cfg = {
        "time": "EFS_months", "event": "EFS_event", "km_by": ["HET", "subtype"],
        "at_risk_times": [0, 12], "min_epv": 10, "cox": [{"id": "m", "formula": "HET"}],
    }  # fmt: skip
    out = models.survival_analysis(_patients(n=60), cfg)
    assert set(out["logrank"]["by"]) == {"HET"}
    assert list(out["cox_terms"]["term"]) == ["HET"]


def test_a_model_that_cannot_be_fitted_is_reported_not_raised() -> None:
    df = _patients(n=30)
    df["ERBB2_twice"] = 2 * df["ERBB2"]  # collinear with ERBB2
    cfg = {
        "firth": "auto", "cv_folds": 0, "cv_repeats": 1,
        "models": [{"id": "ok", "formula": "pCR ~ ERBB2"},
                   {"id": "dup", "formula": "pCR ~ ERBB2 + ERBB2_twice"}],
    }  # fmt: skip
    terms, summary = models.logistic_models(df, cfg)
    s = summary.set_index("model")
    assert s.loc["dup", "note"].startswith("not estimable") and pd.isna(s.loc["dup", "n"])
    assert set(terms["model"]) == {"ok"}


def test_cross_validated_auc_is_reproducible() -> None:
    df = _patients(n=80, seed=9)
    one = models.fit_logistic(df, "pCR ~ ERBB2 + HR", cv_folds=5, cv_repeats=5, seed=2)
    two = models.fit_logistic(df, "pCR ~ ERBB2 + HR", cv_folds=5, cv_repeats=5, seed=2)
    assert one.summary == two.summary


def test_cv_survives_a_rare_term_and_formula_literals_are_not_columns() -> None:
    df = _patients(n=40, seed=5, separated=True)
    df["HET"] = 0
    df.loc[df.index[:2], "HET"] = 1  # two HET patients: absent from some training folds
    df.loc[df["HET"] == 1, "pCR"] = 0
    fit = models.fit_logistic(df, "pCR ~ HET + ERBB2", cv_folds=5, cv_repeats=10)
    assert fit.summary["estimator"] == "Firth" and np.isfinite(fit.terms["odds_ratio"]).all()
    assert fit.summary["cv_repeats"] <= 10
    if fit.summary["cv_repeats"] < 10:
        assert "not estimable" in fit.summary["note"]
    assert models.formula_columns("pCR ~ C(HR, Treatment(reference='pos'))", list(df.columns)) == [
        "pCR",
        "HR",
    ]


# --------------------------------------------------------------------------------------------
# Against R (tests/data/make_r_reference.R; SIMULATED patients in outcome_reference_data.csv)
# and a hand-checked monotone likelihood
# --------------------------------------------------------------------------------------------

DATA = Path(__file__).parent / "data"


def test_firth_logistic_se_is_the_one_r_reports() -> None:
    """brglm2 (AS_mean = Firth for the logit link): coefficients and SE to 1e-5 relative.

    firthmodels' own ``bse`` (augmented-data information) is 3-6% smaller on these data.
    """
    d = pd.read_csv(DATA / "outcome_reference_data.csv")
    r = pd.read_csv(DATA / "firth_logistic_r.csv").set_index("term")
    t = models.fit_logistic(d, "pCR ~ HET + ERBB2 + HR", firth="always", cv_folds=0).terms
    t = t.set_index("term").loc[r.index]
    np.testing.assert_allclose(t["log_odds"], r["log_odds"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(t["se"], r["se"], rtol=1e-5)
    np.testing.assert_allclose(t["statistic"], r["z"], rtol=1e-4)
    assert (t["p_method"] == "penalised LRT").all()


@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
@pytest.mark.parametrize("ties", [False, True])
def test_ph_test_matches_r_cox_zph(transform: str, ties: bool) -> None:
    """survival 3.5 cox.zph, per term and global, without ties and with ties (Efron)."""
    d = pd.read_csv(DATA / "outcome_reference_data.csv")
    d["t"] = np.ceil(d["time"]) if ties else d["time"]
    r = pd.read_csv(DATA / "cox_zph_r.csv")
    r = r[(r["transform"] == transform) & (r["ties"] == ties)].set_index("term")
    rc = pd.read_csv(DATA / "coxph_r.csv")
    rc = rc[rc["ties"] == ties].set_index("term")
    terms, summary = models.fit_cox(d, "t", "event", "HET + pCR + ERBB2", ph_transform=transform)
    t = terms.set_index("term")
    np.testing.assert_allclose(t["log_hr"], rc.loc[t.index, "log_hr"], rtol=1e-5)
    np.testing.assert_allclose(t["ph_statistic"], r.loc[t.index, "chisq"], rtol=1e-6)
    np.testing.assert_allclose(summary["ph_global_statistic"], r.at["GLOBAL", "chisq"], rtol=1e-6)
    np.testing.assert_allclose(summary["ph_global_pvalue"], r.at["GLOBAL", "p"], rtol=1e-5)


def _hand_penalised_loglik(beta: float) -> float:
    """Firth log partial likelihood of the hand case, written out.

    Six patients, times 1..6; the three with x = 0 fail at times 1, 2, 3, the three with
    x = 1 are censored at 4, 5, 6. At the k-th death the risk set has 4 - k patients with
    x = 0 and all three with x = 1, so with e = 3 exp(beta) and k' = 3, 2, 1:
    l(beta) = -sum log(k' + e), I(beta) = sum k' e / (k' + e)^2, and Firth's penalised
    l*(beta) = l(beta) + log(I(beta)) / 2. l(beta) rises monotonically as beta -> -infinity.
    """
    e, k = 3 * np.exp(beta), np.array([3.0, 2.0, 1.0])
    return float(-np.sum(np.log(k + e)) + 0.5 * np.log(np.sum(k * e / (k + e) ** 2)))


def test_monotone_cox_likelihood_is_flagged_and_fitted_by_firth_as_by_hand() -> None:
    from scipy import optimize
    from scipy.stats import chi2

    d = pd.DataFrame(
        {"time": [1, 2, 3, 4, 5, 6.0], "event": [1, 1, 1, 0, 0, 0], "x": [0, 0, 0, 1, 1, 1]}
    )
    best = optimize.minimize_scalar(
        lambda b: -_hand_penalised_loglik(b), bounds=(-20, 5), method="bounded",
        options={"xatol": 1e-10},
    )  # fmt: skip
    b, top = best.x, -best.fun
    lrt = 2 * (top - _hand_penalised_loglik(0.0))
    gap = lambda v: 2 * (top - _hand_penalised_loglik(v)) - chi2.ppf(0.95, 1)  # noqa: E731
    lo, hi = optimize.brentq(gap, -30, b), optimize.brentq(gap, b, 10)
    assert abs(b - (-2.56524)) < 1e-4 and abs(lrt - 4.43229) < 1e-4  # the numbers by hand
    terms, summary = models.fit_cox(d, "time", "event", "x", min_epv=0)
    t = terms.iloc[0]
    assert t["monotone"] and t["estimator"] == "Firth" and summary["monotone_likelihood"]
    assert "monotone likelihood (x)" in summary["note"]
    np.testing.assert_allclose(t["log_hr"], b, atol=1e-5)
    np.testing.assert_allclose(t["pvalue"], chi2.sf(lrt, 1), rtol=1e-4)
    np.testing.assert_allclose(np.log([t["ci_low"], t["ci_high"]]), [lo, hi], atol=1e-3)


def test_no_events_after_pcr_gives_a_firth_hazard_ratio_not_1e_8() -> None:
    """The issue's case: ML gives HR ~1e-8 with p ~ 1 while the log-rank p is small."""
    d = pd.read_csv(DATA / "outcome_reference_data.csv")
    d["event_m"] = np.where(d["pCR"] == 1, 0, d["event"])
    ml, _ = models.fit_cox(d, "time", "event_m", "pCR + HET", firth="never")
    assert ml.set_index("term").at["pCR", "hazard_ratio"] < 1e-6
    assert ml.set_index("term").at["pCR", "pvalue"] > 0.9
    lr = models.logrank(d, "time", "event_m", "pCR")["pvalue"]
    terms, s = models.fit_cox(d, "time", "event_m", "pCR + HET")
    t = terms.set_index("term")
    assert s["monotone_terms"] == "pCR" and t.at["pCR", "monotone"] and not t.at["HET", "monotone"]
    assert 1e-3 < t.at["pCR", "hazard_ratio"] < 0.5 and t.at["pCR", "ci_high"] < 1
    assert t.at["pCR", "pvalue"] < 0.01 and lr < 0.01
