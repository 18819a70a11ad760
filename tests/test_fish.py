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
    res = F.asco_cap_result(g, ihc)
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
    no_ihc = F.asco_cap_result(g, None)
    assert list(no_ihc[:2]) == ["positive", "equivocal (IHC needed)"] and no_ihc[-1] == "negative"


def test_ihc_area_score_needs_more_than_10_percent() -> None:
    # exactly 10% of cells 3+ (and none 1+/2+) is not enough for any score (guideline: > 10%)
    counts = np.array([[90, 0, 0, 10], [89, 0, 0, 11], [80, 0, 20, 0], [100, 0, 0, 0]])
    assert list(F.ihc_area_score(counts)) == [0, 3, 2, 0]


# ---------------------------------------------------------------------------------------------
# HET definitions at their boundaries
# ---------------------------------------------------------------------------------------------


def test_trial_het_boundaries() -> None:
    n = np.full(6, 100)
    n_amp = np.array([5, 6, 49, 50, 0, 100])
    negative = np.array([False, False, False, False, True, False])
    # exactly 5% -> not HET; exactly 50% -> not HET; a HER2-negative area -> HET
    assert list(F.het_trial(n_amp, n, negative)) == [False, True, True, False, True, False]


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
    amp = (cells.erbb2 >= 2 * cells.cep17) | (cells.erbb2 >= 6)
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
