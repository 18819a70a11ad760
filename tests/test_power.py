"""The power and design calculator (her2het.power) on tiny grids: SIMULATED cohorts only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from her2het import power as pw


def test_firth_closed_form_matches_fit_logistic() -> None:
    """The closed-form Firth LRT of a 2 x 2 table is what the workflow's Firth fit reports."""
    from her2het.models import fit_logistic

    for y_non, n_non, y_het, n_het in [(60, 110, 0, 14), (30, 50, 3, 12), (5, 40, 4, 6)]:
        table = pd.DataFrame(
            {
                "pCR": [1] * y_non + [0] * (n_non - y_non) + [1] * y_het + [0] * (n_het - y_het),
                "HET": [0] * n_non + [1] * n_het,
            }
        )
        fit = fit_logistic(table, "pCR ~ HET", firth="always", cv_folds=0)
        row = fit.terms.set_index("term").loc["HET"]
        odds, p = pw.firth_lrt_2x2([y_non, y_het], [n_non, n_het])
        assert odds == pytest.approx(row["odds_ratio"], rel=1e-4)
        assert p == pytest.approx(row["pvalue"], rel=1e-3, abs=1e-8)


def test_agrees_with_theory_within_monte_carlo_error() -> None:
    """Fisher (exact enumeration) and a normal score (statsmodels) within the 99% MC interval."""
    design = pw.PowerDesign(n_patients=30, het_prevalence=0.25, pcr_het=0.1, pcr_nonhet=0.6)
    t = pw.theory_checks(replicates=1000, seed=3, fisher_design=design)
    assert list(t.columns) == list(pw.THEORY_COLUMNS)
    assert set(t["check"]) == {"fisher_fixed", "fisher_design", "score_ttest", "score_normal"}
    assert t["agrees"].all(), t.to_string()
    # informative settings: the powers are neither 0 nor 1
    assert t["theory_power"].between(0.2, 0.95).all(), t.to_string()


def test_theory_check_can_fail() -> None:
    """A Monte-Carlo power that differs from theory by much more than its error is flagged."""
    row = pw._theory_row("x", "", "t", "theory", 0.5, 349, 500)  # MC 0.70 vs 0.50
    assert not row["agrees"]
    assert pw._theory_row("x", "", "t", "theory", 0.69, 349, 500)["agrees"]


def _fisher_power_by_scipy(n_a: int, n_b: int, p_a: float, p_b: float) -> float:
    from scipy import stats

    pa = stats.binom.pmf(np.arange(n_a + 1), n_a, p_a)
    pb = stats.binom.pmf(np.arange(n_b + 1), n_b, p_b)
    return sum(
        pa[a] * pb[b]
        for a in range(n_a + 1)
        for b in range(n_b + 1)
        if stats.fisher_exact([[a, n_a - a], [b, n_b - b]])[1] < 0.05
    )


@pytest.mark.parametrize("args", [(14, 30, 0.15, 0.55), (5, 30, 0.0, 0.5), (12, 7, 0.3, 0.9)])
def test_fisher_exact_power_is_scipys_test(args: tuple[int, int, float, float]) -> None:
    """The enumeration's p-values are scipy's fisher_exact's (the test the workflow runs)."""
    assert pw.fisher_power_exact(*args) == pytest.approx(_fisher_power_by_scipy(*args), abs=1e-12)


def test_fisher_exact_power_limits() -> None:
    """Size under the null is at most alpha; a huge effect gives power 1."""
    assert pw.fisher_power_exact(20, 20, 0.5, 0.5) <= 0.05
    assert pw.fisher_power_exact(40, 40, 0.05, 0.95) == pytest.approx(1.0, abs=1e-9)


def test_run_power_adds_the_trial_design() -> None:
    cfg = {"replicates": 3, "seed": 1, "de": False, "theory_replicates": 100,
           "grid": {"n_patients": [30]}, "base": {"n_genes": 50}}  # fmt: skip
    table, theory = pw.run_power(cfg)
    assert list(table["design"].unique()) == ["d01", "trial"]
    trial = table[table["design"] == "trial"].iloc[0]
    assert trial["n_patients"] == 129 and round(trial["het_prevalence"] * 129) == 14
    assert "fisher_design" in set(theory["check"])


def test_type_one_error_without_effects() -> None:
    """Without effects the patient-level tests reject at about alpha (they can fail)."""
    design = pw.PowerDesign(
        n_patients=80, het_prevalence=0.3, pcr_het=0.5, pcr_nonhet=0.5, erbb2_d=0.0,
        tcell_auc=0.5, erbb2_change_d=0.0,
    )  # fmt: skip
    t = pw.power_table([design], replicates=300, de=False, seed=5).set_index("test")
    for test in ("het_pcr_fisher", "erbb2_pcr", "tcell_pcr", "erbb2_pre_post"):
        assert t.at[test, "ci_low"] <= 0.05 + 1e-9, test
        assert t.at[test, "power"] < 0.1, test


def test_power_table_grid_and_not_estimable() -> None:
    """Zero HET prevalence: HET tests are 'not estimable' (no crash); power grows with effect."""
    designs = pw.design_grid({"het_prevalence": [0.0, 0.2], "erbb2_d": [0.0, 1.5]},
                             {"n_patients": 60})  # fmt: skip
    t = pw.power_table(designs, replicates=40, seed=2, de=False)
    assert list(t.columns) == list(pw.POWER_COLUMNS)
    assert len(t) == 4 * len(set(t["test"]))
    zero = t[(t["het_prevalence"] == 0.0) & t["test"].isin(["het_pcr_fisher", "attenuation"])]
    assert zero["status"].str.startswith("not estimable").all()
    assert zero["power"].isna().all()
    de_rows = t[t["test"].str.startswith("de_")]
    assert de_rows["status"].str.startswith("not run").all()
    erbb2 = t[(t["test"] == "erbb2_pcr") & (t["het_prevalence"] == 0.2)].set_index("erbb2_d")
    assert erbb2.at[1.5, "power"] > 0.9 > 0.2 > erbb2.at[0.0, "power"]
    ok = t["power"].notna()
    assert (t.loc[ok, "ci_low"] <= t.loc[ok, "power"]).all()
    assert (t.loc[ok, "power"] <= t.loc[ok, "ci_high"]).all()


def test_reproducible_and_independent_of_other_designs() -> None:
    a = pw.PowerDesign(n_patients=40, het_prevalence=0.2, n_genes=60)
    b = pw.PowerDesign(n_patients=50, het_prevalence=0.1)
    one = pw.power_table([a], replicates=3, seed=9, n_permutations=99)
    two = pw.power_table([a, b], replicates=3, seed=9, n_permutations=99)
    pd.testing.assert_frame_equal(one, two[two["design"] == "d01"].reset_index(drop=True))


def test_interaction_design_is_the_workflows() -> None:
    """The calculator's DE design equals her2het.de.build_design's for the config contrast."""
    from her2het import de

    rng = np.random.default_rng(4)
    rep = pw.simulate_replicate(pw.PowerDesign(n_patients=40, het_prevalence=0.3), rng)
    counts, meta = pw.replicate_sheets(rep)
    contrast = de.parse_contrasts([pw.WORKFLOW_CONTRASTS[1]])[0]
    data = de.build_design(contrast, counts, meta)
    x, contrasts = pw.interaction_design(rep.paired_het)
    order = [f"{p}:{t}" for p, t in zip(meta["patient"], meta["timepoint"], strict=True)]
    assert np.array_equal(x, data.design.loc[order].to_numpy())
    assert np.array_equal(contrasts["interaction"], data.contrast_vector(contrast))


def test_fast_de_close_to_workflow_de() -> None:
    """fit_de's p-values track her2het.de.run_design's (full PyDESeq2) on one replicate."""
    from scipy import stats

    from her2het import de

    design = pw.PowerDesign(n_patients=60, het_prevalence=0.3, n_genes=120)
    rng = np.random.default_rng(11)
    rep = pw.simulate_replicate(design, rng)
    counts, meta = pw.replicate_sheets(rep)
    contrast = de.parse_contrasts([pw.WORKFLOW_CONTRASTS[1]])[0]
    table, _ = de.run_design(counts, meta, [contrast], shrink=False)[contrast.id]
    x, contrasts = pw.interaction_design(rep.paired_het)
    fast = pw.fit_de(counts.to_numpy(), x, {"interaction": contrasts["interaction"]})
    mine = pd.Series(fast["interaction"], index=counts.columns)
    both = table.set_index("gene")["pvalue"].dropna().to_frame("full").join(mine.rename("fast"))
    both = both.dropna()
    assert len(both) > 50
    rho = stats.spearmanr(both["full"], both["fast"]).statistic
    assert rho > 0.98, rho


def test_power_figure_marks_the_trial() -> None:
    from her2het.plots import power_figure

    designs = pw.design_grid({"n_patients": [30, 50], "het_prevalence": [0.0, 0.2]})
    t = pw.power_table([*designs, pw.trial_design()], replicates=3, de=False,
                       names=["a", "b", "c", "d", "trial"])  # fmt: skip
    fig = power_figure(t)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == t["test"].nunique()
    labels = {text.get_text() for legend in fig.legends for text in legend.get_texts()}
    assert any(lab.startswith("trial (129 pts") for lab in labels)


def test_trend_glm_matches_pydeseq2() -> None:
    """The dispersion trend's gamma GLM by IRLS reaches PyDESeq2's L-BFGS-B fit."""
    from her2het.batched_inference import BatchedInference

    rng = np.random.default_rng(3)
    means = 10 ** rng.uniform(0, 4, 300)
    disp = (0.1 + 2.0 / means) * rng.gamma(4, 0.25, 300)
    theirs, _, ok = BatchedInference().dispersion_trend_gamma_glm(
        pd.Series(1 / means), pd.Series(disp)
    )
    mine, _, converged = pw._gamma_identity_glm(1 / means, disp)
    assert ok and converged
    assert mine == pytest.approx(np.asarray(theirs), rel=1e-4)


def test_power_config_schema() -> None:
    """The `power:` section: defaults filled; unknown design parameters are config errors."""
    from pathlib import Path

    from her2het.io import sheets

    schema = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"
    cfg = sheets.validate_config({}, schema, "c.yaml")["power"]
    assert cfg["replicates"] == 200 and cfg["de_dispersions"] == "map"
    assert len(pw.design_grid(cfg["grid"], cfg["base"])) == 20
    assert set(cfg["base"]) == set(pw.DESIGN_FIELDS)
    for bad in ({"grid": {"n_patiens": [50]}}, {"base": {"het_prevalance": 0.1}}):
        with pytest.raises(sheets.InputError):
            sheets.validate_config({"power": bad}, schema, "c.yaml")


def test_paired_design_is_the_workflows() -> None:
    """``~ patient + timepoint`` of one group equals her2het.de.build_design's."""
    from her2het import de

    rep = pw.simulate_replicate(pw.PowerDesign(n_patients=40), np.random.default_rng(5))
    counts, meta = pw.replicate_sheets(rep)
    contrast = de.parse_contrasts([pw.WORKFLOW_CONTRASTS[0]])[0]
    data = de.build_design(contrast, counts, meta)
    keep = meta["HET"].to_numpy() == 0
    order = [
        f"{p}:{t}" for p, t in zip(meta["patient"][keep], meta["timepoint"][keep], strict=True)
    ]
    x, c = pw.paired_design(int(keep.sum()) // 2)
    assert np.array_equal(x, data.design.loc[order].to_numpy())
    assert np.array_equal(c["post_vs_pre"], data.contrast_vector(contrast))
