"""Gene-set scores and their comparisons. Data are SIMULATED (her2het.simulate)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2het import scores
from her2het.io import gmt

CORE = Path(__file__).resolve().parents[1] / "resources" / "gene_sets" / "her2het_core.gmt"


def test_shipped_gene_sets_each_name_a_source() -> None:
    sets = gmt.read_gmt(CORE)
    names = {s.name for s in sets}
    for wanted in ("HER2_AMPLICON_17Q12", "ERBB_SIGNALLING", "PI3K_AKT_MTOR_CORE",
                   "ESTROGEN_RESPONSE_LUMINAL", "BASAL_LIKE", "PROLIFERATION_PAM50", "IFNG_6_GENE"):  # fmt: skip
        assert wanted in names
    assert any(n.startswith("IMMUNE_") for n in names)
    for s in sets:
        assert any(ch.isdigit() for ch in s.description), s.name  # a citation with a year
        assert "KEGG" not in s.name


def test_gmt_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gmt"
    bad.write_text("SET_A\tdesc\tG1\tG2\nSET_B only-two-fields\n")
    with pytest.raises(ValueError, match=r"bad.gmt, line 2: a GMT line needs"):
        gmt.read_gmt(bad)
    dup = tmp_path / "dup.gmt"
    dup.write_text("S\td\tA\nS\td\tB\n")
    with pytest.raises(ValueError, match="line 2: gene set 'S' is defined twice"):
        gmt.read_gmt(dup)


def test_a_gene_set_file_without_overlap_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "ensembl.gmt"
    path.write_text("S\td\tENSG00000141736\tENSG00000141738\n")
    with pytest.raises(ValueError, match="ensembl.gmt: no gene of any set"):
        scores.check_gene_sets(gmt.read_gmt(path), ["ERBB2", "GRB7"], 2)


def test_small_sets_are_reported_not_scored() -> None:
    sets = [
        gmt.GeneSet("A", "d", ("X", "Y", "Z"), "f"),
        gmt.GeneSet("B", "d", ("X", "Q"), "f"),
    ]
    usable, report = scores.check_gene_sets(sets, ["X", "Y", "Z"], 2)
    assert list(usable) == ["A"]
    assert report.set_index("set").loc["B", "note"] == "fewer than 2 genes measured"


def test_ssgsea_score_of_a_sample_does_not_depend_on_the_others() -> None:
    rng = np.random.default_rng(3)
    expr = pd.DataFrame(rng.normal(5, 2, (300, 12)), index=[f"G{i}" for i in range(300)],
                        columns=[f"S{j}" for j in range(12)])  # fmt: skip
    sets = {"A": [f"G{i}" for i in range(10)], "B": [f"G{i}" for i in range(50, 80)]}
    full = scores.ssgsea(expr, sets)
    part = scores.ssgsea(expr.iloc[:, :4], sets)
    pd.testing.assert_frame_equal(full.iloc[:4], part)
    # and a set whose genes are the sample's highest scores higher than one of its lowest
    expr.loc[sets["A"], "S0"] = 100.0
    assert scores.ssgsea(expr, sets).loc["S0", "A"] > full.loc["S0", "A"]


def test_comparisons_effect_sizes_and_fdr_families() -> None:
    meta = pd.DataFrame(
        {
            "sample": [f"S{i}" for i in range(16)],
            "patient": [f"P{i}" for i in range(12)] + ["P0", "P1", "P2", "P3"],
            "timepoint": ["pre"] * 12 + ["post"] * 4,
            "group": ["nonHET/pCR"] * 4 + ["nonHET/no-pCR"] * 4 + ["HET/no-pCR"] * 4 + ["nonHET/pCR"] * 4,
        }
    )  # fmt: skip
    s = pd.DataFrame({"sample": meta["sample"], "x": np.r_[10, 11, 12, 13, 1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 22, 23],
                      "y": np.arange(16.0)})  # fmt: skip
    out = scores.compare_scores(s, meta)
    r = out[(out["family"] == "groups:nonHET/no-pCR vs nonHET/pCR") & (out["score"] == "x")].iloc[0]
    assert r["effect_size"] == -1.0 and r["effect"] == pytest.approx(2.5 - 11.5)
    pp = out[(out["family"] == "pre_post:all") & (out["score"] == "x")].iloc[0]
    assert pp["effect"] == 10 and pp["effect_size"] == 1.0 and pp["n_a"] == 4
    for _, fam in out.groupby("family"):
        p = fam["pvalue"].dropna()
        if len(p):
            assert (fam["padj"].dropna() >= p.min() - 1e-12).all()


PLANTED = [  # family, score, planted sign of (group_a - group_b); see her2het.simulate.Effects
    ("groups:nonHET/no-pCR vs nonHET/pCR", "HER2_AMPLICON_17Q12", -1),  # finding 1
    ("groups:nonHET/no-pCR vs nonHET/pCR", "ERBB_SIGNALLING", -1),  # finding 1
    # finding 5: planted from the trial's real CD8 T-cell score (AUC 0.41, lower with pCR)
    ("groups:nonHET/no-pCR vs nonHET/pCR", "IMMUNE_CYTOTOXIC", 1),
    ("groups:HET/no-pCR vs nonHET/no-pCR", "HER2_AMPLICON_17Q12", -1),  # finding 2
    ("groups:HET/no-pCR vs nonHET/no-pCR", "ERBB_DOWNSTREAM", 1),  # finding 2
    ("groups:HET/no-pCR vs nonHET/no-pCR", "BASAL_LIKE", 1),  # finding 2
    ("groups:HET/no-pCR vs nonHET/no-pCR", "IMMUNE_T_CELLS", -1),  # finding 5
    ("pre_post:nonHET", "HER2_AMPLICON_17Q12", -1),  # finding 3
    ("pre_post:nonHET", "PI3K_AKT_MTOR_CORE", 1),  # finding 3
    ("pre_post:nonHET", "ESTROGEN_RESPONSE_LUMINAL", 1),  # finding 3
]


def test_planted_score_differences_have_the_planted_sign(small_easy_cohort) -> None:  # type: ignore[no-untyped-def]
    """On the easy small demo (effects x 3); at real-data magnitudes 31 patients lack power."""
    _, adata = small_easy_cohort
    sets = gmt.read_gmt(CORE)
    usable, _ = scores.check_gene_sets(sets, adata.var_names, 2)
    expr = pd.DataFrame(adata.layers["vst"].T, index=adata.var_names, columns=adata.obs_names)
    table = scores.score_samples(expr, usable, ["ssgsea", "zscore"], threads=2)
    obs = adata.obs[["patient", "timepoint", "group"]].rename_axis("sample").reset_index()
    out = scores.compare_scores(table, obs).set_index(["family", "score"])
    for method in ("ssgsea", "zscore"):
        for family, name, sign in PLANTED:
            r = out.loc[(family, f"{method}:{name}")]
            assert np.sign(r["effect"]) == sign, (method, family, name, r["effect"])
            # significance only where 14 vs 17 patients give power; the HET comparison (6 vs
            # 11 patients) and the paired one (8 patients) are judged by sign alone
            if family == "groups:nonHET/no-pCR vs nonHET/pCR":
                assert r["pvalue"] < 0.05, (method, family, name, r["pvalue"])


def test_ssgsea_with_tied_counts_does_not_depend_on_gene_order() -> None:
    """Integer counts give a sample many tied values (as a VST does): average ranks, no order."""
    rng = np.random.default_rng(8)
    counts = rng.negative_binomial(2, 0.2, (2000, 6))  # a few dozen distinct values per sample
    expr = pd.DataFrame(np.log2(counts + 1.0), index=[f"G{i}" for i in range(2000)])
    assert expr.nunique().max() < 100
    sets = {"A": [f"G{i}" for i in range(0, 2000, 40)], "B": [f"G{i}" for i in range(300)]}
    a = scores.ssgsea(expr, sets)
    for seed in (1, 2):
        perm = np.random.default_rng(seed).permutation(2000)
        # equal up to floating-point summation order (relative 1e-12)
        np.testing.assert_allclose(scores.ssgsea(expr.iloc[perm], sets), a, rtol=1e-12, atol=0)
