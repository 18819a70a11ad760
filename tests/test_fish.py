"""ERBB2 FISH scoring: guideline boundaries, HET definitions, spatial patterns, aggregation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from her2het import fish as F
from her2het.fish import NOT_EVALUABLE, FishParams
from her2het.simulate import simulate_cohort


def _cells(sample: str, area: str, erbb2: list[int], cep17: list[int], **extra) -> pd.DataFrame:
    n = len(erbb2)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "sample": sample,
            "area": area,
            "cell": np.arange(1, n + 1),
            "x": rng.uniform(0, 100, n),
            "y": rng.uniform(0, 100, n),
            "erbb2": erbb2,
            "cep17": cep17,
        }
    )
    for k, v in extra.items():
        df[k] = v
    return df


# ---------------------------------------------------------------------------------------------
# ASCO/CAP 2018 groups at their boundaries
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sum_e", "sum_c", "n", "group"),
    [
        (40, 20, 10, 1),  # ratio exactly 2.0, mean exactly 4.0 -> group 1
        (39, 19, 10, 2),  # ratio 2.05, mean 3.9 -> group 2
        (38, 19, 10, 2),  # ratio exactly 2.0, mean 3.8 -> group 2
        (60, 31, 10, 3),  # ratio 1.94, mean exactly 6.0 -> group 3
        (59, 30, 10, 4),  # ratio 1.97, mean 5.9 -> group 4
        (40, 21, 10, 4),  # ratio 1.90, mean exactly 4.0 -> group 4
        (39, 20, 10, 5),  # ratio 1.95, mean 3.9 -> group 5
        (20, 20, 10, 5),  # ratio 1, mean 2 -> group 5
        (0, 0, 0, 0),  # no cells -> 0 (not evaluable)
    ],
)
def test_asco_cap_group_boundaries(sum_e: int, sum_c: int, n: int, group: int) -> None:
    assert F.asco_cap_group(np.array([sum_e]), np.array([sum_c]), np.array([n]))[0] == group


def test_group_boundaries_hold_through_per_cell_scoring() -> None:
    # 30 cells with 4 ERBB2 and 2 CEP17 each: ratio exactly 2.0 and mean exactly 4.0.
    a = _cells("S1", "A1", [4] * 30, [2] * 30)
    # 30 cells alternating (6, 4) ERBB2 over 3 CEP17: mean exactly 5 over... use exact 6.0 mean
    b = _cells("S2", "A1", [6] * 30, [4] * 15 + [3] * 15)  # ratio 6/3.5 < 2, mean exactly 6
    c = _cells("S3", "A1", [4] * 30, [3] * 30)  # ratio 1.33, mean exactly 4 -> group 4
    s = F.score_cells(pd.concat([a, b, c], ignore_index=True), FishParams(spatial=False)).samples
    assert s.set_index("sample")["asco_cap_group"].to_dict() == {"S1": 1, "S2": 3, "S3": 4}
    assert s.set_index("sample").loc["S1", "ratio"] == 2.0


def test_result_uses_concurrent_ihc_when_present() -> None:
    g = np.array([1, 2, 2, 3, 3, 4, 4, 5])
    ihc = np.array([0, 3, 2, 2, 1, 3, 2, 3])
    res = F.asco_cap_result(g, ihc, 2018)
    assert list(res) == [
        "positive",
        "positive",
        "negative",
        "positive",
        "negative",
        "positive",
        "negative",
        "negative",
    ]
    no_ihc = F.asco_cap_result(g, None, 2018)
    assert list(no_ihc[:2]) == ["positive", "equivocal (IHC needed)"] and no_ihc[-1] == "negative"


def test_ihc_area_score_needs_more_than_10_percent() -> None:
    # 3+ needs > 10% of cells; exactly 10% of cells 3+ is intense complete staining in <= 10%:
    # 2+ (ASCO/CAP 2013 2+ definition, 2018 Figure 1 note). 1 cell of 100 at 3+ -> 2+ as well.
    counts = np.array(
        [[90, 0, 0, 10], [89, 0, 0, 11], [80, 0, 20, 0], [100, 0, 0, 0], [99, 0, 0, 1]]
    )
    assert list(F.ihc_area_score(counts)) == [2, 3, 2, 0, 2]
    # 1+ and 2+ keep the > 10% rule: exactly 10% of cells 2+ (rest 0) is 0; 11% is 2+
    counts = np.array([[90, 0, 10, 0], [89, 0, 11, 0], [90, 10, 0, 0], [89, 11, 0, 0]])
    assert list(F.ihc_area_score(counts)) == [0, 2, 0, 1]


# ---------------------------------------------------------------------------------------------
# HET definitions at their boundaries
# ---------------------------------------------------------------------------------------------


def test_trial_het_boundaries() -> None:
    n = np.full(7, 100)
    n_amp = np.array([5, 6, 49, 50, 0, 100, 0])
    result = np.array(["positive"] * 4 + ["negative", "positive", F.IHC_NEEDED])
    # exactly 5% -> not HET; exactly 50% -> not HET; a HER2-negative area -> HET; an area
    # whose result waits for IHC and has no HET fraction -> undetermined, never non-HET
    assert list(F.het_trial(n_amp, n, result)) == [
        "non-HET",
        "HET",
        "HET",
        "non-HET",
        "HET",
        "non-HET",
        F.UNDETERMINED,
    ]


def test_cap2009_boundaries_and_strict_cell_ratio() -> None:
    assert list(F.het_cap2009(np.array([5, 6, 49, 50]), np.full(4, 100))) == [
        False,
        True,
        True,
        False,
    ]
    # a cell with ratio exactly 2.2 (11/5) does not count as amplified under CAP 2009 (> 2.2)
    cells = _cells("S1", "A1", [11] * 10 + [12] * 10 + [2] * 80, [5] * 100)
    s = F.score_cells(cells, FishParams(spatial=False)).samples.iloc[0]
    assert s["pct_amplified_cap2009"] == 10.0


def test_asco2013_boundaries() -> None:
    res = F.het_asco2013(np.array([20, 19, 180, 10, 9]), np.array([200, 200, 200, 100, 100]))
    # 10% of 200 = 20 cells -> HET; 9.5% -> non-HET; 10% minority of non-amplified -> HET;
    # 10% of 100 = 10 cells: second population too small to count -> not evaluable; 9% -> non-HET
    assert list(res) == ["HET", "non-HET", "HET", NOT_EVALUABLE, "non-HET"]


def test_too_few_cells_are_not_evaluable() -> None:
    cells = _cells("S1", "A1", [12] * 15 + [2] * 4, [2] * 19)
    scores = F.score_cells(cells, FishParams(min_cells=20))
    row = scores.areas.iloc[0]
    for col in ("het_trial", "het_cap2009", "het_asco2013", "asco_cap_result", "spatial_pattern"):
        assert row[col] == NOT_EVALUABLE
    assert row["asco_cap_group"] == 0
    assert scores.samples.iloc[0]["het_trial"] == NOT_EVALUABLE
    # no area has a pattern: the spatial-map example table is empty, not an error
    examples = F.example_cells(cells.assign(x=0.0, y=0.0), scores.areas, FishParams(min_cells=20))
    assert examples.empty and "spatial_pattern" in examples.columns


def test_cep17_zero_cells_are_excluded_and_counted() -> None:
    cells = _cells("S1", "A1", [12] * 30 + [3] * 3, [2] * 30 + [0] * 3)
    s = F.score_cells(cells, FishParams(spatial=False))
    assert s.areas.iloc[0]["n_cells"] == 30 and s.areas.iloc[0]["n_excluded_cep17_zero"] == 3
    assert s.samples.iloc[0]["n_excluded_cep17_zero"] == 3


def test_cell_rule_is_configurable() -> None:
    e, c = np.array([4, 5, 6, 9]), np.array([2, 3, 4, 4])
    assert list(F.amplified_cells(e, c)) == [True, False, True, True]
    assert list(F.amplified_cells(e, c, FishParams(cell_ratio=2.2, cell_copies=10))) == [
        False,
        False,
        False,
        True,
    ]


# ---------------------------------------------------------------------------------------------
# Spatial statistic and patterns
# ---------------------------------------------------------------------------------------------


def test_morans_i_separates_blocks_from_random_labels() -> None:
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 100, (400, 2))
    block = xy[:, 0] < 30
    random = rng.random(400) < 0.3
    assert F.morans_i(xy, block, 8) > 0.5
    assert abs(F.morans_i(xy, random, 8)) < 0.1
    assert np.isnan(F.morans_i(xy, np.ones(400, bool), 8))


def test_classify_pattern_thresholds() -> None:
    p = FishParams()
    frac = np.array([0.95, 0.9, 0.05, 0.1, 0.3, 0.3, 0.19])
    moran = np.array([np.nan, 0.0, 0.0, 0.0, 0.5, 0.05, 0.3])
    out = F.classify_pattern(frac, moran, p)
    assert list(out) == [
        "homogeneous",
        "homogeneous",
        "her2_negative",
        "scattered",
        "clustered",
        "mosaic",
        "clustered",
    ]


def test_pattern_recovery_on_small_demo_at_least_90_percent() -> None:
    c = simulate_cohort("small", 2024)
    scores = F.score_cells(c.fish_cells)
    cm, acc = F.pattern_confusion(scores.areas, c.truth_fish_areas)
    print(
        "\nspatial pattern confusion (small demo, SIMULATED):\n",
        cm.to_string(),
        f"\naccuracy {acc:.3f}",
    )
    assert acc >= 0.9
    assert cm.to_numpy().sum() == len(c.truth_fish_areas)


def test_missing_coordinates_are_an_error_when_patterns_are_asked() -> None:
    cells = _cells("S1", "A1", [12] * 30, [2] * 30).drop(columns=["x", "y"])
    with pytest.raises(ValueError, match="need x and y"):
        F.score_cells(cells, FishParams(spatial=True))
    assert "spatial_pattern" not in F.score_cells(cells, FishParams(spatial=False)).areas


# ---------------------------------------------------------------------------------------------
# Whole-table scoring against a direct pandas computation; ITH; aggregation
# ---------------------------------------------------------------------------------------------


def test_score_cells_matches_direct_computation() -> None:
    c = simulate_cohort("tiny", 3)
    cells = c.fish_cells
    areas = F.score_cells(cells).areas.set_index(["sample", "area"])
    amp = ((cells.erbb2 >= 2 * cells.cep17) & (cells.erbb2 >= 4)) | (cells.erbb2 >= 6)
    g = cells.assign(amp=amp).groupby(["sample", "area"])
    direct = pd.DataFrame(
        {
            "n_cells": g.size(),
            "ratio": (g.erbb2.sum() / g.cep17.sum()).round(4),
            "mean_erbb2": g.erbb2.mean().round(4),
            "pct_amplified": (100 * g.amp.mean()).round(4),
        }
    )
    pd.testing.assert_frame_equal(
        areas[direct.columns].astype(float), direct.astype(float), check_names=False
    )


def test_ith_type_genetic_and_non_genetic() -> None:
    n = 100
    # genetic: 30% non-amplified cells with IHC 0, amplified cells IHC 3
    gen = _cells("S1", "A1", [12] * 70 + [2] * 30, [2] * n, ihc=[3] * 70 + [0] * 30)
    # non-genetic: all amplified, 30% of them without protein overexpression
    non = _cells("S2", "A1", [12] * n, [2] * n, ihc=[3] * 70 + [1] * 30)
    none = _cells("S3", "A1", [12] * n, [2] * n, ihc=[3] * n)
    areas = F.score_cells(pd.concat([gen, non, none], ignore_index=True)).areas
    assert list(areas["ith_type"]) == ["genetic", "non_genetic", "none"]


def test_patient_any_biopsy_het_discordance_and_pre_post() -> None:
    sheet = pd.DataFrame(
        {
            "sample": ["P1_B1", "P1_B2", "P1_S", "P2_B1"],
            "patient": ["P1", "P1", "P1", "P2"],
            "timepoint": ["pre", "pre", "post", "pre"],
        }
    )
    scores = pd.DataFrame(
        {
            "sample": ["P1_B1", "P1_B2", "P1_S", "P2_B1"],
            "het_trial": ["non-HET", "HET", "HET", "non-HET"],
            "het_cap2009": ["non-HET", "HET", "HET", "non-HET"],
            "het_asco2013": ["non-HET", NOT_EVALUABLE, "HET", "non-HET"],
            "pct_amplified": [95.0, 30.0, 40.0, 99.0],
            "ratio": [6.0, 3.0, 2.5, 7.0],
            "mean_erbb2": [12.0, 7.0, 5.0, 14.0],
        }
    )
    pts = pd.DataFrame({"patient": ["P1", "P2"], "HET": [1, 0]})
    pf = F.patient_fish(scores, sheet, pts).set_index("patient")
    assert pf.loc["P1", "het_trial"] == "HET" and pf.loc["P2", "het_trial"] == "non-HET"
    assert bool(pf.loc["P1", "biopsies_discordant"]) and pd.isna(
        pf.loc["P2", "biopsies_discordant"]
    )
    assert pf.loc["P1", "pct_amplified_range"] == 65.0
    assert pf["het_trial_agrees"].all()
    pp = F.pre_post_fish(scores, sheet).set_index("patient")
    assert list(pp.index) == ["P1"]
    assert pp.loc["P1", "pre_ratio"] == 4.5 and pp.loc["P1", "delta_ratio"] == -2.0
    assert pp.loc["P1", "pre_het_trial"] == "HET" and pp.loc["P1", "het_change"] == "unchanged"


def test_demo_patient_calls_agree_with_planted_het() -> None:
    c = simulate_cohort("small", 9)
    s = F.score_cells(c.fish_cells)
    pf = F.patient_fish(s.samples, c.samples, c.patients)
    assert pf["het_trial_agrees"].all()
    pp = F.pre_post_fish(s.samples, c.samples)
    # residual tumours were simulated with lower copy number (finding 3)
    assert pp["delta_mean_erbb2"].median() < 0


# ---------------------------------------------------------------------------------------------
# Issue 16: calls a pathologist would sign (hand-built tables, answers worked out by hand)
# ---------------------------------------------------------------------------------------------


def test_truncated_nuclei_are_not_amplified_by_default() -> None:
    # 2/1 and 3/1 (a CEP17 signal lost to sectioning): ratio >= 2 but < 4 ERBB2 copies
    e, c = np.array([2, 3, 4, 4, 5, 6, 6]), np.array([1, 1, 2, 1, 3, 4, 3])
    # 4/2: ratio exactly 2.0 with exactly 4 copies -> amplified; 5/3: ratio 1.67, 5 copies: no;
    # 6/4: 6 copies at ratio 1.5 -> amplified by the copy rule; 6/3 amplified
    assert list(F.amplified_cells(e, c)) == [False, False, True, True, False, True, True]
    legacy = FishParams(cell_rule="ratio_or_copies")
    assert list(F.amplified_cells(e, c, legacy)) == [True, True, True, True, False, True, True]
    with pytest.raises(ValueError, match="cell_rule"):
        FishParams(cell_rule="ratio")


def test_truncation_artefacts_do_not_make_a_diploid_tumour_het() -> None:
    # 200 diploid nuclei (2/2), 30 of them truncated: 16 to 2/1, 14 to 3/1. Sums: ERBB2
    # 340 + 32 + 42 = 414, CEP17 340 + 30 = 370 -> ratio 1.12, mean 2.07 -> group 5.
    # Default rule: 0 amplified cells. Old rule: 30/200 = 15%, a >= 10% second population of
    # >= 20 cells -> HET by ASCO/CAP 2013.
    erbb2 = [2] * 170 + [2] * 16 + [3] * 14
    cep17 = [2] * 170 + [1] * 30
    cells = _cells("S1", "A1", erbb2, cep17, ihc=[0] * 200)
    new = F.score_cells(cells, FishParams(spatial=False)).samples.iloc[0]
    old = F.score_cells(cells, FishParams(spatial=False, cell_rule="ratio_or_copies")).samples
    assert new["pct_amplified"] == 0.0 and old.iloc[0]["pct_amplified"] == 15.0
    assert new["het_asco2013"] == "non-HET" and old.iloc[0]["het_asco2013"] == "HET"
    # CAP 2009 keeps the criterion its source states (cell ratio > 2.2): 3/1 counts (14 cells),
    # 2/1 (ratio exactly 2.0) does not -> 7% amplified -> HET by CAP 2009 as its source says
    assert new["pct_amplified_cap2009"] == 7.0 and new["het_cap2009"] == "HET"
    # the trial call: a HER2-negative area (group 5) is HET by the trial definition anyway
    assert new["asco_cap_group"] == 5 and new["het_trial"] == "HET"


def test_limited_intense_ihc_is_2plus_and_not_a_negative_area_by_itself() -> None:
    # Group 3 area (ratio < 2, mean >= 6): 100 cells 6/4 -> ratio 1.5, mean exactly 6.
    # IHC: 8 cells 3+ (intense complete, <= 10%), 92 cells 0 -> 2+ (not 0), so under 2018
    # group 3 + IHC 2+ is positive: no HER2-negative area and, with 100% amplified cells
    # (6 copies), non-HET. The old score (0) made it negative and the tumour HET.
    cells = _cells("S1", "A1", [6] * 100, [4] * 100, ihc=[3] * 8 + [0] * 92)
    a = F.score_cells(cells, FishParams(spatial=False, guideline=2018)).areas.iloc[0]
    assert a["asco_cap_group"] == 3 and a["ihc_score"] == 2
    assert a["asco_cap_result"] == "positive" and a["het_trial"] == "non-HET"
    assert a["pct_ihc3"] == 8.0
    # group 3 with IHC 2+ is the 2018 recount case (flagged); 2013 has no recount step
    assert a["recount_2018"]
    a13 = F.score_cells(cells, FishParams(spatial=False, guideline=2013)).areas.iloc[0]
    assert not a13["recount_2018"] and a13["asco_cap_result"] == "positive"


def test_missing_ihc_is_undetermined_not_non_het() -> None:
    # Group 4 area with 0% amplified cells: 100 cells 5/3 (ratio 1.67, mean exactly 5.0;
    # 5 copies < 6 and ratio < 2 -> no cell amplified). Both guidelines need IHC for group 4.
    g4 = _cells("S1", "A1", [5] * 100, [3] * 100)
    # Group 2 area: 100 cells 3/1 (ratio 3, mean 3 < 4): 2013 positive (ratio >= 2), 2018 needs
    # IHC. No cell amplified under the default rule (3 copies < 4).
    g2 = _cells("S2", "A1", [3] * 100, [1] * 100)
    # Group 5 area without IHC: negative whatever the IHC -> HET (a HER2-negative area)
    g5 = _cells("S3", "A1", [2] * 100, [2] * 100)
    cells = pd.concat([g4, g2, g5], ignore_index=True)
    for guideline, expected in (
        (2013, [F.UNDETERMINED, "non-HET", "HET"]),
        (2018, [F.UNDETERMINED, F.UNDETERMINED, "HET"]),
    ):
        s = F.score_cells(cells, FishParams(spatial=False, guideline=guideline)).samples
        assert list(s["asco_cap_group"]) == [4, 2, 5]
        assert list(s["het_trial"]) == expected, guideline
    s13 = F.score_cells(cells, FishParams(spatial=False)).samples
    assert list(s13["asco_cap_result"]) == [F.IHC_NEEDED, "positive", "negative"]
    # with IHC 0 on every cell both work-ups call groups 2 and 4 negative -> HET areas
    with_ihc = cells.assign(ihc=0)
    s18 = F.score_cells(with_ihc, FishParams(spatial=False, guideline=2018)).samples
    assert (
        list(s18["asco_cap_result"]) == ["negative"] * 3 and list(s18["het_trial"]) == ["HET"] * 3
    )


@pytest.mark.parametrize(
    ("group", "ihc", "r2013", "r2018"),
    [
        (1, 0, "positive", "positive"),
        (2, 0, "positive", "negative"),
        (2, 2, "positive", "negative"),  # 2018: recount confirms group 2 -> negative
        (2, 3, "positive", "positive"),
        (3, 1, "positive", "negative"),
        (3, 2, "positive", "positive"),
        (4, 1, "negative", "negative"),
        (4, 2, "equivocal", "negative"),  # 2013 double equivocal
        (4, 3, "positive", "positive"),
        (5, 3, "negative", "negative"),
    ],
)
def test_ihc_work_up_by_guideline(group: int, ihc: int, r2013: str, r2018: str) -> None:
    g, i = np.array([group]), np.array([ihc])
    assert F.asco_cap_result(g, i, 2013)[0] == r2013
    assert F.asco_cap_result(g, i, 2018)[0] == r2018


def test_sample_with_every_cep17_zero_is_not_evaluable_with_reason() -> None:
    ok = _cells("S1", "A1", [12] * 30, [2] * 30)
    lost = _cells("S2", "A1", [3] * 30, [0] * 30)
    scores = F.score_cells(pd.concat([ok, lost], ignore_index=True))
    s = scores.samples.set_index("sample")
    assert s.loc["S2", "het_trial"] == NOT_EVALUABLE and s.loc["S2", "n_cells"] == 0
    assert not s.loc["S2", "evaluable"] and s.loc["S1", "evaluable"]
    assert s.loc["S2", "not_evaluable_reason"] == "no cell with CEP17 >= 1 (30 excluded)"
    a = scores.areas.set_index("sample")
    assert a.loc["S2", "spatial_pattern"] == NOT_EVALUABLE
    assert a.loc["S2", "n_excluded_cep17_zero"] == 30
    few = F.score_cells(_cells("S1", "A1", [12] * 19, [2] * 19)).areas.iloc[0]
    assert few["not_evaluable_reason"] == "19 counted cells, fewer than 20"
    exactly = F.score_cells(_cells("S1", "A1", [12] * 20, [2] * 20)).areas.iloc[0]
    assert exactly["evaluable"] and exactly["not_evaluable_reason"] == ""


def test_patient_means_use_evaluable_biopsies_only() -> None:
    sheet = pd.DataFrame(
        {"sample": ["B1", "B2", "C1"], "patient": ["P1", "P1", "P2"], "timepoint": "pre"}
    )
    # B1: 30 cells 12/2 (ratio 6); B2: 5 cells 2/2 (not evaluable, ratio 1); C1: 30 cells 4/2
    cells = pd.concat(
        [
            _cells("B1", "A1", [12] * 30, [2] * 30),
            _cells("B2", "A1", [2] * 5, [2] * 5),
            _cells("C1", "A1", [4] * 30, [2] * 30),
        ],
        ignore_index=True,
    )
    s = F.score_cells(cells, FishParams(spatial=False)).samples
    feats = F.patient_fish_features(s, sheet).loc[("P1", "pre")]
    assert feats["fish_n_evaluable"] == 1 and feats["fish_ratio"] == 6.0  # not (6 + 1) / 2
    assert feats["fish_het_trial"] == 0
    pf = F.patient_fish(s, sheet).set_index("patient")
    assert pf.loc["P1", "n_baseline_samples"] == 2 and pf.loc["P1", "n_baseline_evaluable"] == 1
    assert pf.loc["P1", "baseline_ratio"] == 6.0 and pd.isna(pf.loc["P1", "biopsies_discordant"])
    # an undetermined call is empty in the patient table, never 0
    s2 = s.assign(het_trial=["non-HET", NOT_EVALUABLE, F.UNDETERMINED])
    assert pd.isna(F.patient_fish_features(s2, sheet).loc[("P2", "pre"), "fish_het_trial"])


def test_clustered_ith_is_called_across_areas_and_biopsies() -> None:
    # S1: A1 all amplified (12/2: ratio 6, group 1), A2 not amplified (2/2: group 5)
    amp, non = ([12] * 100, [2] * 100), ([2] * 100, [2] * 100)
    # S2: two amplified areas; S3: one amplified area; S4: amplified + ISH-equivocal (5/3:
    # ratio 1.67, mean 5.0 -> group 4 under ASCO/CAP 2013); S5: one area, not amplified
    cells = pd.concat(
        [
            _cells("S1", "A1", *amp),
            _cells("S1", "A2", *non),
            _cells("S2", "A1", *amp),
            _cells("S2", "A2", *amp),
            _cells("S3", "A1", *amp),
            _cells("S4", "A1", *amp),
            _cells("S4", "A2", [5] * 100, [3] * 100),
            _cells("S5", "A1", *non),
        ],
        ignore_index=True,
    )
    scores = F.score_cells(cells)
    s = scores.samples.set_index("sample")
    assert s["across_area_pattern"].to_dict() == {
        "S1": "clustered",
        "S2": "concordant",
        "S3": "single area",
        "S4": "undetermined (equivocal area)",
        "S5": "single area",
    }
    # within-area patterns are reported beside it: S1's areas are homogeneous / HER2-negative
    assert s.loc["S1", "area_patterns"] == "homogeneous;her2_negative"
    assert s.loc["S1", "within_area_pattern"] == "her2_negative"
    assert s.loc["S1", "spatial_pattern"] == "clustered"  # was her2_negative before issue 16
    assert s.loc["S2", "spatial_pattern"] == "homogeneous"
    # across the biopsies of one tumour: P1 = S3 (amplified) + S5 (not amplified)
    sheet = pd.DataFrame(
        {
            "sample": ["S1", "S2", "S3", "S4", "S5"],
            "patient": ["P0", "P2", "P1", "P3", "P1"],
            "timepoint": "pre",
        }
    )
    pf = F.patient_fish(scores.samples, sheet, areas=scores.areas).set_index("patient")
    assert pf.loc["P1", "across_biopsy_pattern"] == "clustered"
    assert pf.loc["P1", "across_area_pattern"] == "clustered"
    assert pf.loc["P2", "across_biopsy_pattern"] == "single biopsy"
    assert pf.loc["P0", "across_area_pattern"] == "clustered"


def test_her2_low_spectrum_per_area_sample_and_patient() -> None:
    # every area but the last is group 5 (2/2, not amplified): the IHC decides the category
    def area(name: str, ihc: list[int], e: int = 2) -> pd.DataFrame:
        return _cells("S1" if name < "A5" else "S2", name, [e] * 100, [2] * 100, ihc=ihc)

    cells = pd.concat(
        [
            area("A1", [0] * 100),  # no staining: IHC 0 (null)
            area("A2", [1] * 10 + [0] * 90),  # faint incomplete in exactly 10%: ultralow
            area("A3", [1] * 11 + [0] * 89),  # > 10%: 1+ (HER2-low)
            area("A4", [2] * 11 + [0] * 89),  # 2+, group 5: ISH-negative (HER2-low)
            area("A5", [3] * 5 + [0] * 95),  # limited intense: 2+, ISH-negative (HER2-low)
            area("A6", [3] * 11 + [0] * 89),  # 3+ with group 5: discordant
            area("A7", [3] * 100, e=12),  # amplified, 3+: HER2-positive
        ],
        ignore_index=True,
    )
    scores = F.score_cells(cells, FishParams(spatial=False))
    assert list(scores.areas["her2_ihc_category"]) == [
        "IHC 0 (null)",
        "IHC 0 (ultralow)",
        "IHC 1+ (HER2-low)",
        "IHC 2+ ISH-negative (HER2-low)",
        "IHC 2+ ISH-negative (HER2-low)",
        "IHC 3+ ISH-negative (discordant)",
        "HER2-positive",
    ]
    # S1 pooled (A1-A4, 400 cells): 21 cells 1+ and 11 cells 2+, so 32 of 400 = 8% score >= 1+
    # (not > 10%) and none 3+ -> score 0 with some staining -> ultralow
    s = scores.samples.set_index("sample")
    assert s.loc["S1", "ihc_score"] == 0 and s.loc["S1", "her2_ihc_category"] == "IHC 0 (ultralow)"
    # S2 pooled (300 cells, A5-A7): ratio (200 + 200 + 1200) / 600 = 2.67, mean 5.33 -> group 1
    assert (
        s.loc["S2", "asco_cap_group"] == 1 and s.loc["S2", "her2_ihc_category"] == "HER2-positive"
    )
    sheet = pd.DataFrame({"sample": ["S1", "S2"], "patient": ["P1", "P1"], "timepoint": "pre"})
    pf = F.patient_fish(scores.samples, sheet, areas=scores.areas).iloc[0]
    assert pf["her2_ihc_category"] == "HER2-positive"  # the highest over the biopsies
    assert pf["n_areas_ihc_0__null"] == 1 and pf["n_areas_ihc_0__ultralow"] == 1
    assert pf["n_areas_ihc_2__ish_negative__her2_low"] == 2 and pf["n_areas_her2_positive"] == 1
    spectrum = F.her2_spectrum(scores.areas, scores.samples, pf.to_frame().T)
    spectrum = spectrum.set_index("her2_ihc_category")
    assert spectrum["n_areas"].sum() == 7 and spectrum.loc["HER2-positive", "n_samples"] == 1
    assert spectrum.loc["IHC 2+ ISH-negative (HER2-low)", "n_areas"] == 2
    assert spectrum.loc["HER2-positive", "n_patients"] == 1 and spectrum["n_patients"].sum() == 1
    no_ihc = F.score_cells(cells.drop(columns="ihc"), FishParams(spatial=False))
    assert F.her2_spectrum(no_ihc.areas, no_ihc.samples, pf.to_frame().T).empty


def test_gene_protein_concordance_fractions_and_ith_type() -> None:
    # 40 classic (12/2, 3+), 30 amplified without protein (12/2, 1+), 20 protein without
    # amplification (2/2, 3+), 10 negative (2/2, 0)
    e = [12] * 70 + [2] * 30
    ihc = [3] * 40 + [1] * 30 + [3] * 20 + [0] * 10
    both = _cells("S1", "A1", e, [2] * 100, ihc=ihc)
    # same, but 9 negative cells (9%, below ith_min_fraction 0.1) and 21 protein-only
    ihc9 = [3] * 40 + [1] * 30 + [3] * 21 + [0] * 9
    non = _cells("S2", "A1", e, [2] * 100, ihc=ihc9)
    a = F.score_cells(pd.concat([both, non], ignore_index=True), FishParams(spatial=False)).areas
    row = a.iloc[0]
    assert (row["frac_classic"], row["frac_amp_no_protein"]) == (0.4, 0.3)
    assert (row["frac_protein_no_amp"], row["frac_gpa_negative"]) == (0.2, 0.1)
    # genetic (classic + 10% exactly HER2-negative cells) and non-genetic (amplified, no protein)
    assert list(a["ith_type"]) == ["genetic+non_genetic", "non_genetic"]


def test_rna_vs_fish_and_biopsy_discordance() -> None:
    sheet = pd.DataFrame(
        {
            "sample": ["A1", "A2", "B1", "B2", "C1", "C2", "D1", "D2", "E1"],
            "patient": ["PA", "PA", "PB", "PB", "PC", "PC", "PD", "PD", "PE"],
            "timepoint": ["pre"] * 9,
        }
    )
    scores = pd.DataFrame(
        {
            "sample": ["A1", "A2", "B1", "B2", "C1", "C2", "D1", "D2", "E1"],
            "evaluable": [True] * 8 + [True],
            "ratio": [6.0, 1.0, 6.0, 5.0, 6.0, 6.0, 6.0, 1.2, 6.0],
            "asco_cap_group": [1, 5, 1, 1, 1, 1, 1, 5, 1],
            "ish_status": ["amplified", "not amplified"]
            + ["amplified"] * 5
            + ["not amplified", "amplified"],
            "het_trial": ["non-HET", "HET", "non-HET", "non-HET", "non-HET", "HET"]
            + ["non-HET", "HET", "non-HET"],
        }
    )
    # PA: FISH discordant, ERBB2 VST 12.0 vs 11.5 (0.5 < 1): FISH only.
    # PB: FISH concordant, VST 12.0 vs 11.0 (exactly 1.0 log2): RNA only.
    # PC: trial call differs (HET vs non-HET) and VST 13 vs 10: both.
    # PD: FISH discordant, but only one biopsy has RNA -> RNA unknown -> no category.
    # PE: one biopsy -> nothing known.
    vst = pd.Series(
        [12.0, 11.5, 12.0, 11.0, 13.0, 10.0, 12.0, 11.0],
        index=["A1", "A2", "B1", "B2", "C1", "C2", "D1", "E1"],
    )
    per = F.rna_vs_fish(scores, vst, sheet)
    assert len(per) == 9 and np.isnan(per.set_index("sample").loc["D2", "erbb2_vst"])
    assert per.set_index("sample").loc["A2", "ratio"] == 1.0
    d = F.biopsy_discordance(per, rna_log2=1.0).set_index("patient")
    assert d.loc["PA", "biopsy_discordance"] == "FISH only"
    assert d.loc["PB", "biopsy_discordance"] == "RNA only" and d.loc["PB", "erbb2_vst_range"] == 1.0
    assert d.loc["PC", "biopsy_discordance"] == "both"
    assert d.loc["PD", "fish_discordant"] == 1 and pd.isna(d.loc["PD", "rna_discordant"])
    assert pd.isna(d.loc["PD", "biopsy_discordance"]) and pd.isna(d.loc["PE", "fish_discordant"])
    # a slightly larger threshold makes PB concordant by RNA
    assert (
        F.biopsy_discordance(per, rna_log2=1.01).set_index("patient").loc["PB", "rna_discordant"]
        == 0
    )
    # the patient table carries both flags on the baseline row
    full = scores.assign(mean_erbb2=8.0, pct_amplified=90.0, het_cap2009="non-HET")
    full["het_asco2013"] = "non-HET"
    feats = F.patient_fish_features(full, sheet, d.reset_index())
    assert feats.loc[("PA", "pre"), "biopsies_discordant_fish"] == 1
    assert feats.loc[("PB", "pre"), "biopsies_discordant_rna"] == 1
    assert pd.isna(feats.loc[("PE", "pre"), "biopsies_discordant_fish"])


def test_biopsy_discordance_enters_the_association_table() -> None:
    from her2het import outcome

    n = 8
    pts = [f"P{i}" for i in range(n)]
    patients = pd.DataFrame({"patient": pts, "pCR": [1, 1, 1, 1, 0, 0, 0, 0], "HET": [0] * n})
    sheet = pd.DataFrame(
        {"sample": [f"{p}_B{b}" for p in pts for b in (1, 2)], "patient": np.repeat(pts, 2)}
    ).assign(timepoint="pre")
    fish = pd.DataFrame({"sample": sheet["sample"], "evaluable": True, "ratio": 6.0})
    fish = fish.assign(mean_erbb2=12.0, pct_amplified=95.0, het_trial="non-HET")
    fish = fish.assign(het_cap2009="non-HET", het_asco2013="non-HET")
    # discordant by FISH: the four patients without pCR; by RNA: P0 and P4
    disc = pd.DataFrame({"patient": pts, "fish_discordant": [0, 0, 0, 0, 1, 1, 1, 1]}).assign(
        rna_discordant=[1, 0, 0, 0, 1, 0, 0, 0]
    )
    table = outcome.patient_table(patients, sheet, fish=fish, fish_discordance=disc)
    assert list(table["biopsies_discordant_fish"]) == [0, 0, 0, 0, 1, 1, 1, 1]
    feats = outcome.feature_columns(table, list(patients.columns))
    assert "biopsies_discordant_fish" not in feats and "fish_n_evaluable" not in feats
    a = outcome.associations(table, feats, n_resamples=99)
    rows = a[a["family"] == "biopsy discordance vs pCR"].set_index("feature")
    # 2 x 2 table [[0, 4], [4, 0]] (discordant: 0 pCR / 4; concordant: 4 pCR / 0): p = 2/70
    assert rows.loc["biopsies_discordant_fish", "pvalue"] == pytest.approx(2 / 70, rel=1e-3)
    assert rows.loc["biopsies_discordant_fish", "median_a"] == 0.0
    assert rows.loc["biopsies_discordant_rna", "n_a"] == 2


def test_protein_threshold_of_the_gene_protein_fractions() -> None:
    # 50 amplified cells at IHC 2+, 50 at 3+: with protein_min_ihc 2 all are classic; with 3
    # half are amplified without protein (and the area becomes non-genetic ITH)
    cells = _cells("S1", "A1", [12] * 100, [2] * 100, ihc=[2] * 50 + [3] * 50)
    two = F.score_cells(cells, FishParams(spatial=False)).areas.iloc[0]
    three = F.score_cells(cells, FishParams(spatial=False, protein_min_ihc=3)).areas.iloc[0]
    assert (two["frac_classic"], two["frac_amp_no_protein"], two["ith_type"]) == (1.0, 0.0, "none")
    assert (three["frac_classic"], three["frac_amp_no_protein"]) == (0.5, 0.5)
    assert three["ith_type"] == "non_genetic"


def test_simulator_plants_issue_16_cases_and_they_are_recovered() -> None:
    c = simulate_cohort("small", 2024)
    truth, cells = c.truth_fish_areas, c.fish_cells
    # truncation artefacts: exactly the planted number of 2/1 nuclei in those areas
    t = truth[truth["truncated_cells"] > 0].iloc[0]
    area = cells[(cells["sample"] == t["sample"]) & (cells["area"] == t["area"])]
    assert ((area["erbb2"] == 2) & (area["cep17"] == 1)).sum() >= t["truncated_cells"] > 0
    assert set(truth.loc[truth["truncated_cells"] > 0, "pattern"]) == {"her2_negative"}
    scores = F.score_cells(cells)
    rec = F.planted_recovery(scores.areas, scores.samples, truth)
    print("\nplanted-case recovery (small demo, SIMULATED):\n", rec.to_string())
    assert set(rec["check"]) == {
        "spatial pattern",
        "two-area clustered",
        "truncation artefacts",
        "HER2 spectrum",
    }
    assert (rec["recovery"] == 1.0).all() and (rec["n"] > 0).all()
    # the same truncated areas under the old per-cell rule: counted, so not recovered
    old = F.score_cells(cells, FishParams(cell_rule="ratio_or_copies"))
    rec_old = F.planted_recovery(old.areas, old.samples, truth).set_index("check")
    assert rec_old.loc["truncation artefacts", "recovery"] == 0.0


def test_rna_figure_reports_spearman_on_evaluable_biopsies() -> None:
    from her2het.plots import plot_fish_rna

    per = pd.DataFrame(
        {
            "erbb2_vst": [8.0, 9.0, 10.0, 11.0, 12.0, np.nan],
            "evaluable": [True, True, True, True, False, True],
            "ratio": [1.0, 2.0, 4.0, 3.0, 9.0, 5.0],
            "asco_cap_group": [5, 1, 1, 1, 0, 1],
            "ish_status": ["not amplified"] + ["amplified"] * 3 + [NOT_EVALUABLE, "amplified"],
        }
    )
    fig = plot_fish_rna(per, data_source="SIMULATED test")
    # 4 biopsies with RNA and evaluable FISH: ranks (1, 2, 4, 3) vs (1, 2, 3, 4) -> rho 0.8
    assert fig.axes[0].get_title() == "4 biopsies, Spearman rho = 0.80"
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["group 1", "group 5"]


def test_patient_table_carries_the_her2_spectrum_and_her2_low() -> None:
    """Hand-built: P1's evaluable biopsies are IHC 0 (ultralow) and IHC 1+ (HER2-low), so its
    category is the higher, HER2-low (her2_low 1); P2's only evaluable biopsy is HER2-positive
    (her2_low 0; its unevaluable 5-cell biopsy, scored 2+ ISH-negative, is not counted); P3 has
    no evaluable biopsy (both empty)."""
    from her2het import outcome

    sheet = pd.DataFrame(
        {"sample": ["P1_B1", "P1_B2", "P2_B1", "P2_B2", "P3_B1"],
         "patient": ["P1", "P1", "P2", "P2", "P3"]}
    ).assign(timepoint="pre")  # fmt: skip
    fish = pd.DataFrame(
        {"sample": sheet["sample"], "evaluable": [True, True, True, False, False],
         "ratio": [1.2, 1.4, 6.0, 1.1, np.nan], "ihc_score": [0, 1, 3, 2, -1],
         "her2_ihc_category": ["IHC 0 (ultralow)", "IHC 1+ (HER2-low)", "HER2-positive",
                               "IHC 2+ ISH-negative (HER2-low)", F.NOT_EVALUABLE]}
    ).assign(mean_erbb2=4.0, pct_amplified=0.0, het_trial="non-HET", het_cap2009="non-HET",
             het_asco2013="non-HET")  # fmt: skip
    feats = F.patient_fish_features(fish, sheet)
    assert feats.loc[("P1", "pre"), "her2_ihc_category"] == "IHC 1+ (HER2-low)"
    assert feats.loc[("P1", "pre"), "her2_low"] == 1
    assert feats.loc[("P2", "pre"), "her2_ihc_category"] == "HER2-positive"
    assert feats.loc[("P2", "pre"), "her2_low"] == 0
    assert ("P3", "pre") not in feats.index or pd.isna(feats.loc[("P3", "pre"), "her2_low"])
    patients = pd.DataFrame({"patient": ["P1", "P2", "P3"], "pCR": [0, 1, 0], "HET": [0, 0, 0]})
    table = outcome.patient_table(patients, sheet, fish=fish).set_index("patient")
    assert table.loc["P1", "her2_ihc_category"] == "IHC 1+ (HER2-low)"
    assert table["her2_low"].tolist()[:2] == [1, 0] and pd.isna(table.loc["P3", "her2_low"])
