"""Differential expression: design encoding, collapsing, calibration and planted-effect recovery.

All data are SIMULATED (her2het.simulate).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from her2het import de, simulate


def _meta() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient": ["P1", "P1", "P1", "P2", "P2", "P3", "P4", "P4"],
            "timepoint": ["pre", "pre", "post", "pre", "post", "pre", "pre", "post"],
            "HET": [0, 0, 0, 1, 1, 0, 1, 1],
            "pCR": [0, 0, 0, 0, 0, 1, 0, 0],
            "HR": ["pos", "pos", "pos", "neg", "neg", "pos", "neg", "neg"],
        },
        index=[f"S{i}" for i in range(8)],
    )


def test_collapse_sums_a_patients_samples_at_one_timepoint() -> None:
    meta = _meta()
    counts = pd.DataFrame(np.arange(16).reshape(8, 2), index=meta.index, columns=["g1", "g2"])
    c, units = de.collapse(counts, meta, ["patient", "timepoint"])
    assert c.loc["P1:pre"].tolist() == [0 + 2, 1 + 3]
    assert units.loc["P1:pre", "n_samples"] == 2
    assert units.loc["P1:pre", "samples"] == "S0;S1"
    assert len(c) == 7 and c.to_numpy().sum() == counts.to_numpy().sum()


def test_paired_design_keeps_complete_patients_and_blocks_on_patient() -> None:
    meta = _meta()
    counts = pd.DataFrame(1, index=meta.index, columns=["g"])
    (c,) = de.parse_contrasts(
        [dict(id="t", variable="timepoint", reference="pre", target="post", paired=True)]
    )
    data = de.build_design(c, counts, meta)
    assert sorted(set(data.units["patient"])) == ["P1", "P2", "P4"]  # P3 has no post sample
    assert "P3" not in data.note and "1 patient" in data.note
    assert list(data.design.columns) == [
        "intercept", "patient[P2]", "patient[P4]", "timepoint[post]",
    ]  # fmt: skip
    assert data.contrast_vector(c).tolist() == [0, 0, 0, 1]


def test_interaction_contrast_is_the_difference_of_within_group_effects() -> None:
    meta = _meta()
    counts = pd.DataFrame(1, index=meta.index, columns=["g"])
    (c,) = de.parse_contrasts(
        [
            dict(
                id="i", variable="timepoint", reference="pre", target="post", paired=True,
                interaction="HET",
            )
        ]
    )  # fmt: skip
    data = de.build_design(c, counts, meta)
    cols = list(data.design.columns)
    assert cols[-2:] == ["timepoint[post]:HET[0]", "timepoint[post]:HET[1]"]
    vec = data.contrast_vector(c)
    assert vec[cols.index("timepoint[post]:HET[1]")] == 1
    assert vec[cols.index("timepoint[post]:HET[0]")] == -1
    # the design has no separate HET column: HET is constant within patient
    assert not any(col.startswith("HET") for col in cols)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (dict(variable="ER"), "variable 'ER' is not a sample or patient column"),
        (dict(target=2), "target level '2' of 'pCR' does not occur"),
        (dict(subset={"site": ["a"]}), "subset column 'site'"),
        (dict(interaction="HET"), "interaction needs paired: true"),
        (dict(level="sample"), "needs paired: true"),
        (dict(target=0), "reference and target are the same level"),
        (dict(subset={}), "patient P1 has samples at several timepoints"),
    ],
)
def test_contrast_errors_name_the_problem(spec: dict[str, object], message: str) -> None:
    base = dict(id="c", variable="pCR", reference=0, target=1)
    (c,) = de.parse_contrasts([{**base, **spec}])
    why = de.check_contrast(c, _meta().reset_index(drop=True))
    assert why is not None and message in why


def test_contrast_ids_must_be_unique_and_file_safe() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        de.parse_contrasts([dict(id="a", variable="v", reference=0, target=1)] * 2)
    with pytest.raises(ValueError, match="use letters"):
        de.parse_contrasts([dict(id="a b", variable="v", reference=0, target=1)])


def test_too_few_units_gives_an_empty_table_with_the_reason() -> None:
    meta = _meta()
    rng = np.random.default_rng(0)
    counts = pd.DataFrame(
        rng.poisson(50, (8, 30)), index=meta.index, columns=[f"g{i}" for i in range(30)]
    )
    (c,) = de.parse_contrasts(
        [dict(id="h", subset={"patient": ["P2"]}, variable="timepoint", reference="pre", target="post", paired=True)]
    )  # fmt: skip
    table, row = de.run_design(counts, meta, [c])[c.id]
    assert table.empty and list(table.columns)[:3] == ["gene", "baseMean", "log2FC"]
    assert row["status"] == "not tested: only 1 unit(s) at timepoint=pre (need 2)"
    # two patients: estimable (one residual degree of freedom)
    c2 = de.parse_contrasts([{**c.__dict__, "subset": {"HET": [1]}, "interaction": None}])[0]
    table2, row2 = de.run_design(counts, meta, [c2])[c2.id]
    assert row2["status"] == "ok" and len(table2) == 30


def test_contrasts_sharing_a_design_are_fitted_once_and_agree(small_cohort) -> None:  # type: ignore[no-untyped-def]
    _, adata = small_cohort
    counts, meta = de.cohort_tables(adata)
    specs = [
        dict(id="a", subset={"timepoint": ["pre"]}, variable="pCR", reference=0, target=1, blocking=["HR"]),
        dict(id="b", subset={"timepoint": ["pre"]}, variable="pCR", reference=1, target=0, blocking=["HR"]),
    ]  # fmt: skip
    a, b = de.parse_contrasts(specs)
    assert de.design_key(a) == de.design_key(b)
    res = de.run_design(counts, meta, [a, b], n_cpus=2)
    ta = res["a"][0].set_index("gene")
    tb = res["b"][0].set_index("gene").loc[ta.index]
    np.testing.assert_allclose(ta["log2FC"], -tb["log2FC"], atol=1e-8)
    np.testing.assert_allclose(ta["pvalue"], tb["pvalue"], rtol=1e-8)
    assert ta["log2FC_shrunk"].notna().all() and tb["log2FC_shrunk"].isna().all()


def test_design_encoding_matches_a_direct_pydeseq2_formula_fit(small_cohort) -> None:  # type: ignore[no-untyped-def]
    """Our hand-built design gives PyDESeq2's own result for '~ HR + pCR' on the same units."""
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.default_inference import DefaultInference
    from pydeseq2.ds import DeseqStats

    _, adata = small_cohort
    counts, meta = de.cohort_tables(adata)
    (c,) = de.parse_contrasts(
        [dict(id="a", subset={"timepoint": ["pre"]}, variable="pCR", reference=0, target=1, blocking=["HR"])]
    )  # fmt: skip
    # the same inference routines on both sides: this checks the design encoding (the batched
    # routines are compared with PyDESeq2's in test_batched_inference.py)
    ours = de.run_design(
        counts, meta, [c], n_cpus=2, shrink=False, t_test=False, inference="pydeseq2"
    )["a"][0]
    data = de.build_design(c, counts, meta)
    units = data.units.assign(pCR=data.units["pCR"].astype(str))
    dds = DeseqDataSet(
        counts=data.counts[ours["gene"]], metadata=units[["HR", "pCR"]], design="~ HR + pCR",
        inference=DefaultInference(n_cpus=2), quiet=True,
    )  # fmt: skip
    dds.deseq2()
    st = DeseqStats(dds, contrast=["pCR", "1", "0"], quiet=True)
    st.summary()
    ref = st.results_df.loc[ours["gene"]]
    # identical up to the optimiser's convergence: on the demo at real-data spread a few genes
    # of ~1500 differ (their dispersion by up to 8%: L-BFGS-B stops at slightly different points
    # of a flat likelihood, and where depends on the machine's floating-point kernels), every
    # other gene to < 1e-4. p-values are compared on the log10 scale: one machine here gave
    # p = 0.666 vs 0.677 for MELK (0.007 in log10 p), which an absolute tolerance of 1e-3 on p
    # counted as a third differing gene although nothing near a decision moved.
    log10p = {
        "pvalue": np.log10(ours["pvalue"].to_numpy()),
        "ref": np.log10(ref["pvalue"].to_numpy()),
    }
    for ours_col, ref_col, tol in (("log2FC", "log2FoldChange", 1e-4), ("pvalue", "pvalue", 1e-3)):
        if ours_col == "pvalue":
            diff = np.abs(log10p["pvalue"] - log10p["ref"])
        else:
            diff = np.abs(ours[ours_col].to_numpy() - ref[ref_col].to_numpy())
        assert np.median(diff) < 1e-9 and (diff > tol).sum() <= 2, (ours_col, diff.max())
        assert diff.max() < 10 * tol, (ours_col, diff.max())


def test_t_based_wald_p_values_are_more_conservative(small_cohort) -> None:  # type: ignore[no-untyped-def]
    _, adata = small_cohort
    counts, meta = de.cohort_tables(adata)
    (c,) = de.parse_contrasts(
        [dict(id="a", subset={"timepoint": ["pre"], "pCR": [0]}, variable="HET", reference=0, target=1)]
    )  # fmt: skip
    fitted = de.fit(counts, meta, [c], n_cpus=2)
    t, _ = de.test(fitted, c, shrink=False, t_test=True)
    z, _ = de.test(fitted, c, shrink=False, t_test=False)
    z = z.set_index("gene").loc[t["gene"]]
    df = fitted.data.design.shape[0] - fitted.data.design.shape[1]
    # Cook's-distance outliers have no p-value (as in DESeq2); the demo's spread gives a few
    tested = t["pvalue"].notna().to_numpy()
    assert tested.mean() > 0.99
    expected = 2 * stats.t.sf(np.abs(t["stat"]), df)
    np.testing.assert_allclose(t["pvalue"][tested], expected[tested], rtol=1e-9)
    assert (t["pvalue"].to_numpy() >= z["pvalue"].to_numpy() - 1e-12)[tested].all()


# The planted components that make a gene truly different in each default contrast (besides the
# PAM50 genes, whose subtype mix differs between the compared groups by design).
_TRUTH = {
    "pre_pCR_vs_noPCR": ["pcr", "het"],
    "pre_HET_vs_nonHET_noPCR": ["het"],
    "post_vs_pre_nonHET": ["treatment", "amp_level"],
    "post_vs_pre_HET": ["treatment_in_het", "amp_level"],
    "treatment_HET_vs_nonHET": ["treatment"],
}


def _calls_against_truth(demo, results):  # type: ignore[no-untyped-def]
    """Per contrast: significant, truly planted (or PAM50) genes, and planted effects."""
    eff = demo.truth_effects.set_index("gene")
    pam50 = eff.filter(like="subtype_").abs().sum(axis=1) > 0
    for cid, (table, row) in results.items():
        assert row["status"].startswith("ok"), (cid, row["status"])
        true_de = (eff[_TRUTH[cid]].abs().sum(axis=1) > 0) | pam50
        t = table.dropna(subset=["padj"])
        sig = (t["padj"] < 0.05).to_numpy()
        yield cid, t, sig, true_de.loc[t["gene"]].to_numpy(), eff


def test_planted_effects_are_recovered_with_fdr_at_most_10_percent(
    small_easy_cohort, small_easy_de
) -> None:  # type: ignore[no-untyped-def]
    """On the easy small demo (effects x 3): at the default, real-data magnitudes 31 patients
    give almost no calls (next test), as a real trial of that size would."""
    called = false = 0
    for cid, t, sig, truth, eff in _calls_against_truth(small_easy_cohort[0], small_easy_de):
        called += int(sig.sum())
        false += int((sig & ~truth).sum())
        if sig.sum() >= 10:  # enough calls to judge (the pCR contrast)
            # true DE genes are enriched among the calls
            odds, p = stats.fisher_exact(
                [
                    [(sig & truth).sum(), (sig & ~truth).sum()],
                    [(~sig & truth).sum(), (~sig & ~truth).sum()],
                ]
            )
            assert odds > 5 and p < 1e-6, (cid, odds, p)
            # and the planted direction is right for the planted programme genes
            planted = eff.loc[t["gene"][sig], _TRUTH[cid][0]]
            hits = planted[planted != 0]
            lfc = t.set_index("gene").loc[hits.index, "log2FC"]
            assert (np.sign(lfc) == np.sign(hits)).mean() >= 0.9, cid
    assert called >= 10
    assert false / called <= 0.10, (false, called)


def test_realistic_small_demo_has_few_calls_and_no_false_ones(small_cohort, small_de) -> None:  # type: ignore[no-untyped-def]
    """Effects at real-data magnitudes, 31 patients: little power, and the calls are planted."""
    called = false = 0
    for _, _, sig, truth, _ in _calls_against_truth(small_cohort[0], small_de):
        called += int(sig.sum())
        false += int((sig & ~truth).sum())
    assert called < 50 and false <= max(1, 0.1 * called), (called, false)


def test_null_simulation_calls_at_most_1_percent_of_genes() -> None:
    import yaml

    from her2het import cohort

    from .conftest import REPO

    demo = simulate.simulate_cohort("small", 11, effects=simulate.NULL_EFFECTS, null_design=True)
    adata = cohort.build_cohort(demo.samples, demo.patients, demo.counts, "test", True)
    counts, meta = de.cohort_tables(adata)
    specs = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["de"]["contrasts"]
    for c in de.parse_contrasts(specs):
        table, row = de.run_design(counts, meta, [c], n_cpus=2, shrink=False)[c.id]
        frac = float((table["padj"] < 0.05).sum()) / max(len(table), 1)
        assert frac <= 0.01, (c.id, frac)


def test_config_contrasts_repeat_the_schema_default() -> None:
    """config/config.yaml shows the paper's contrasts; the schema default must be the same set."""
    import yaml

    from .conftest import REPO, SCHEMAS

    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["de"]["contrasts"]
    schema = yaml.safe_load((SCHEMAS / "config.schema.yaml").read_text())
    default = schema["properties"]["de"]["properties"]["contrasts"]["default"]
    assert de.parse_contrasts(cfg) == de.parse_contrasts(default)
