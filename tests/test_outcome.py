"""Patient table (biopsies aggregated per patient) and patient-level association tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from her2het import outcome, paper


def _sheets() -> tuple[pd.DataFrame, pd.DataFrame]:
    patients = pd.DataFrame(
        {
            "patient": ["001", "002", "003"],
            "pCR": [1, 0, 0],
            "HET": [0, 1, 0],
            "HR": ["pos", "neg", "pos"],
        }
    )
    samples = pd.DataFrame(
        {
            "sample": ["a1", "a2", "b1", "b2", "c1"],
            "patient": ["001", "001", "002", "002", "003"],
            "timepoint": ["pre", "pre", "pre", "post", "pre"],
        }
    )
    return patients, samples


def test_patient_table_averages_biopsies_and_keeps_patients_without_rna() -> None:
    patients, samples = _sheets()
    expr = pd.DataFrame({"ERBB2": [10.0, 12.0, 7.0, 6.0]}, index=["a1", "a2", "b1", "b2"])
    fish = pd.DataFrame(
        {
            "sample": ["a1", "a2", "b1", "b2", "c1"],
            "ratio": [6.0, 4.0, 2.5, 1.5, 5.0],
            "mean_erbb2": [12, 8, 5, 3, 10],
            "pct_amplified": [90, 80, 30, 10, 95],
            "het_trial": ["non-HET", "non-HET", "HET", "not evaluable", "non-HET"],
            "het_cap2009": ["non-HET"] * 5,
            "het_asco2013": ["non-HET", "HET", "HET", "non-HET", "non-HET"],
        }
    )
    subtypes = pd.DataFrame(
        {"patient": ["001", "002"], "subtype_pre": ["Her2", "Basal"], "subtype_post": ["", "LumB"]}
    )
    t = outcome.patient_table(patients, samples, expression=expr, subtypes=subtypes, fish=fish)
    t = t.set_index(["patient", "timepoint"])
    assert list(t.index) == [("001", "pre"), ("002", "pre"), ("003", "pre"), ("002", "post")]
    assert t.loc[("001", "pre"), "ERBB2"] == 11.0 and t.loc[("001", "pre"), "n_rna_samples"] == 2
    assert t.loc[("003", "pre"), "n_rna_samples"] == 0 and np.isnan(t.loc[("003", "pre"), "ERBB2"])
    assert t.loc[("001", "pre"), "fish_ratio"] == 5.0
    assert t.loc[("001", "pre"), "fish_het_asco2013"] == 1  # any biopsy HET
    assert t.loc[("001", "pre"), "fish_het_trial"] == 0
    assert pd.isna(t.loc[("002", "post"), "fish_het_trial"])  # not evaluable
    assert t.loc[("002", "post"), "subtype"] == "LumB" and pd.isna(t.loc[("003", "pre"), "subtype"])
    assert t.loc[("002", "post"), "group"] == "HET/no-pCR"
    assert t.loc[("002", "post"), "HR"] == "neg"  # clinical columns on every row


def _cohort(n: int = 60, seed: int = 1) -> pd.DataFrame:
    """A patient table with planted effects: pCR raises X, HET lowers it; no pCR in HET."""
    rng = np.random.default_rng(seed)
    het = (np.arange(n) < n // 5).astype(int)
    pcr = np.where(het == 1, 0, (rng.uniform(size=n) < 0.55).astype(int))
    x = rng.normal(size=n) + 1.5 * pcr - 1.0 * het
    pre = pd.DataFrame(
        {
            "patient": [f"P{i:02d}" for i in range(n)],
            "timepoint": "pre",
            "pCR": pcr,
            "HET": het,
            "HR": rng.choice(["pos", "neg"], n),
            "X": x,
            "NOISE": rng.normal(size=n),
            "subtype": np.where(het == 1, "Basal", rng.choice(["Her2", "LumB"], n)),
        }
    )
    pre["group"] = np.select(
        [pre["HET"] == 1, pre["pCR"] == 1], ["HET/no-pCR", "nonHET/pCR"], "nonHET/no-pCR"
    )
    post = pre[pre["pCR"] == 0].copy()
    post["timepoint"] = "post"
    post["X"] = post["X"] - 1.0 + rng.normal(scale=0.2, size=len(post))
    post["NOISE"] = rng.normal(size=len(post))
    return pd.concat([pre, post], ignore_index=True)


def test_associations_recover_planted_directions_with_one_fdr_family() -> None:
    t = _cohort()
    a = outcome.associations(t, ["X", "NOISE"], n_resamples=999)
    pre = t[t["timepoint"] == "pre"]
    fisher = a[(a["family"] == "HET vs pCR") & (a["test"] == "Fisher exact")].iloc[0]
    table = pd.crosstab(pre["HET"], pre["pCR"]).loc[[1, 0], [1, 0]].to_numpy()
    assert fisher["pvalue"] == pytest.approx(stats.fisher_exact(table)[1], rel=1e-6)
    assert fisher["estimate"] == 0 and fisher["median_a"] == 0  # no pCR in HET
    firth = a[(a["family"] == "HET vs pCR") & a["test"].str.startswith("Firth")]
    assert len(firth) == 2 and np.isfinite(firth["estimate"]).all()
    assert (firth["estimate"] < 1).all() and (firth["ci_high"] < np.inf).all()
    x_pcr = a[(a["family"] == "features vs pCR") & (a["feature"] == "X")].iloc[0]
    assert x_pcr["group_a"] == "pCR" and x_pcr["effect_size"] > 0.5 and x_pcr["qvalue"] < 0.01
    x_het = a[(a["family"] == "features vs HET") & (a["feature"] == "X")].iloc[0]
    assert x_het["group_a"] == "HET" and x_het["effect_size"] < 0
    pp = a[(a["family"] == "pre_post:all") & (a["feature"] == "X")].iloc[0]
    assert pp["effect_size"] < -0.9 and pp["n_a"] == (pre["pCR"] == 0).sum()
    sub = a[(a["family"] == "subtype vs HET")].iloc[0]
    assert sub["pvalue"] < 0.01 and sub["effect_size"] > 0.5
    ok = a["pvalue"].notna()
    bh = stats.false_discovery_control(a.loc[ok, "pvalue"], method="bh")
    np.testing.assert_allclose(a.loc[ok, "qvalue"], bh, atol=1e-6)


def test_feature_columns_and_outcome_config_checks() -> None:
    t = _cohort()
    assert outcome.feature_columns(t, ["patient", "pCR", "HET", "HR"]) == ["X", "NOISE"]
    cols = outcome.expected_columns(["patient", "pCR", "HET", "HR"], ["ERBB2"], ["S1"],
                                    subtype=False, fish=False)  # fmt: skip
    cfg = {
        "logistic": {"models": [{"id": "m", "formula": "pCR ~ HET + S2"}]},
        "survival": {"enabled": True, "time": "OS", "event": "OS_event", "km_by": ["subtype"],
                     "cox": [{"id": "c", "formula": "HET + ERBB2"}]},
    }  # fmt: skip
    problems = dict(outcome.check_outcome_config(cfg, cols))
    assert "no column 'S2'" in problems["outcome.logistic.models[0] (id m)"]
    assert "no column 'OS'" in problems["outcome.survival.time"]
    assert "outcome.survival.km_by[0]" not in problems  # subtype off: skipped, not an error
    assert "outcome.survival.cox[0] (id c)" not in problems


def test_findings_verdicts_follow_the_planted_directions_and_flip_when_reversed() -> None:
    t = _cohort()
    t = t.assign(ERBB2=t["X"], IMMUNE_T_CELLS=t["X"])
    a = outcome.associations(t, ["ERBB2", "IMMUNE_T_CELLS"], n_resamples=199)
    f = paper.findings(a, t)
    assert set(f["verdict"]) <= set(paper.VERDICTS)
    erbb2 = f[(f["feature"] == "ERBB2") & (f["finding"] == 1)]
    assert len(erbb2) == 2  # vs pCR (primary) and above every other group (supporting)
    assert erbb2.set_index("role").at["primary", "verdict"] == "agrees"
    assert f.loc[(f["feature"] == "HET") & (f["role"] == "primary"), "verdict"].eq("agrees").all()
    missing = f[f["note"].str.contains("not in this run's tables")]
    assert len(missing) and missing["verdict"].eq("not tested").all()
    flipped = t.assign(ERBB2=-t["X"])
    a2 = outcome.associations(flipped, ["ERBB2"], n_resamples=199)
    f2 = paper.findings(a2, flipped)
    assert (
        f2.loc[(f2["feature"] == "ERBB2") & (f2["finding"] == 1), "verdict"].eq("disagrees").all()
    )
    de = pd.DataFrame(
        {"contrast": ["post_vs_pre_HET", "post_vs_pre_nonHET"], "de_up": [1, 30],
         "de_down": [0, 12], "units_target": [4, 8], "status": ["ok", "ok"]}
    )  # fmt: skip
    f3 = paper.findings(a, t, de_summary=de)
    counts = f3[(f3["finding"] == 4) & (f3["role"] == "description")].iloc[0]
    assert counts["estimate"] == 1 - 42 and counts["verdict"] == "not tested"  # description only


def test_association_table_is_deterministic() -> None:
    t = _cohort(seed=4)
    a = outcome.associations(t, ["X", "NOISE"], seed=3, n_resamples=499)
    b = outcome.associations(t.sample(frac=1.0, random_state=1), ["X", "NOISE"], seed=3,
                             n_resamples=499)  # fmt: skip
    pd.testing.assert_frame_equal(a, b)  # row order of the input does not matter either


def test_untested_contrast_is_not_counted_as_zero_de_genes() -> None:
    t = _cohort()
    a = outcome.associations(t, ["X"], n_resamples=99)
    de = pd.DataFrame(
        {"contrast": ["post_vs_pre_HET", "post_vs_pre_nonHET"], "de_up": [0, 30],
         "de_down": [0, 12], "units_target": [1, 8],
         "status": ["not tested: fewer than 2 units per level", "ok"]}
    )  # fmt: skip
    rows = paper.findings(a, t, de_summary=de).query("finding == 4")
    assert rows["verdict"].eq("not tested").all()
    counts = rows[rows["role"] == "description"].iloc[0]
    assert pd.isna(counts["estimate"]) and "fewer than 2 units per level" in counts["note"]


def test_patients_with_unknown_het_are_not_a_patient_group_in_tests() -> None:
    t = _cohort()
    t.loc[t["patient"] == "P59", ["HET", "group"]] = [np.nan, "no-pCR"]
    a = outcome.associations(t, ["X"], n_resamples=99)
    assert not a["family"].str.contains("groups:no-pCR|vs no-pCR$", regex=True).any()
    kw = a[a["family"] == "groups:kruskal"].iloc[0]
    assert "no-pCR" not in kw["group_a"].split(" | ")
