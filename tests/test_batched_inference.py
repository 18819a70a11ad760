"""Gene-batched PyDESeq2 inference: the same linear algebra as dense numpy, the same estimates as
PyDESeq2's DefaultInference (on SIMULATED data), and PyDESeq2's own solver for diverging genes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydeseq2 import utils
from pydeseq2.default_inference import DefaultInference

from her2het import de
from her2het.batched_inference import BatchedInference, Blocks, nb_nll


def _paired_design(n_patients: int = 7, rng: np.random.Generator | None = None) -> np.ndarray:
    """intercept, patient dummies (first patient the reference), post, post:HET, HR (dense)."""
    rng = rng or np.random.default_rng(0)
    rows = []
    het = rng.integers(0, 2, n_patients)
    for p in range(n_patients):
        for post in (0, 1):
            dummies = [1.0 if p == j else 0.0 for j in range(1, n_patients)]
            rows.append([1.0, *dummies, post, post * het[p]])
    x = np.array(rows)
    return np.column_stack([x, rng.normal(size=len(x))])  # a numeric covariate


@pytest.mark.parametrize("design", ["paired", "dense"])
def test_blocks_match_dense_linear_algebra(design: str) -> None:
    rng = np.random.default_rng(1)
    x = _paired_design(rng=rng) if design == "paired" else rng.normal(size=(15, 4))
    blocks = Blocks.of(x)
    assert (blocks.k > 0) == (design == "paired")
    n, p = x.shape
    w = rng.uniform(0.1, 5.0, size=(n, 6))
    ridge = np.full(p, 1e-3)
    b, c, e = blocks.gram(w, ridge)
    s = Blocks.schur(b, c, e)
    rhs = rng.normal(size=(n, 6))
    beta = blocks.solve(b, c, s, *blocks.split(rhs))
    lev = blocks.leverage(b, c, s)
    logdet = blocks.logdet(w)
    for g in range(6):
        a = (x.T * w[:, g]) @ x
        ar = a + np.diag(ridge)
        np.testing.assert_allclose(beta[g], np.linalg.solve(ar, x.T @ rhs[:, g]), rtol=1e-8)
        np.testing.assert_allclose(
            lev[:, g], np.einsum("ij,jk,ik->i", x, np.linalg.inv(ar), x), rtol=1e-8
        )
        np.testing.assert_allclose(logdet[g], np.linalg.slogdet(a)[1], rtol=1e-10)


def test_nb_nll_matches_pydeseq2() -> None:
    rng = np.random.default_rng(2)
    y = rng.poisson(20, size=(12, 5)).astype(float)
    mu = rng.uniform(5, 40, size=(12, 5))
    alpha = rng.uniform(0.01, 1.0, size=5)
    ours = nb_nll(y, mu, alpha)
    for g in range(5):
        assert ours[g] == pytest.approx(utils.nb_nll(y[:, g], mu[:, g], alpha[g]), rel=1e-12)


@pytest.fixture(scope="module")
def both_fits(small_cohort):  # type: ignore[no-untyped-def]
    """A paired and an unpaired contrast of the SIMULATED small demo, fitted both ways."""
    _, adata = small_cohort
    counts, meta = de.cohort_tables(adata)
    counts = counts.iloc[:, :400]
    contrasts = de.parse_contrasts(
        [
            {"id": "pcr", "subset": {"timepoint": ["pre"]}, "variable": "pCR", "reference": 0,
             "target": 1, "blocking": ["HR"]},
            {"id": "paired", "variable": "timepoint", "reference": "pre", "target": "post",
             "paired": True},
        ]
    )  # fmt: skip
    out = {}
    for c in contrasts:
        for kind in de.INFERENCE_KINDS:
            fitted = de.fit(counts, meta, [c], n_cpus=1, inference=kind)
            table, _ = de.test(fitted, c, shrink=False, n_cpus=1)
            out[c.id, kind] = (fitted.dds, table.set_index("gene"))
    return out


@pytest.mark.parametrize("contrast", ["pcr", "paired"])
def test_batched_fit_agrees_with_pydeseq2_default(both_fits, contrast: str) -> None:  # type: ignore[no-untyped-def]
    dds_b, tab_b = both_fits[contrast, "batched"]
    dds_d, tab_d = both_fits[contrast, "pydeseq2"]
    for col in ("genewise_dispersions", "MAP_dispersions", "dispersions"):
        diff = np.abs(np.log(dds_b.var[col]) - np.log(dds_d.var[col])).dropna()
        assert len(diff) > 300
        # L-BFGS-B stops at its own tolerance, the batched search is finer; a gene moved
        # by that shifts the dispersion trend, and so every MAP dispersion, a little
        assert diff.quantile(0.99) < 2e-2, (col, diff.describe())
    tab_b = tab_b.loc[tab_d.index]
    np.testing.assert_allclose(tab_b["log2FC"], tab_d["log2FC"], atol=2e-3)
    lp = np.abs(np.log10(tab_b["pvalue"]) - np.log10(tab_d["pvalue"]))
    assert (lp < 0.02).mean() > 0.99
    assert (tab_b["padj"].isna() == tab_d["padj"].isna()).all()
    sig_b, sig_d = tab_b["padj"] < 0.05, tab_d["padj"] < 0.05
    assert sig_d.sum() > 0 and (sig_b == sig_d).mean() > 0.99


def test_diverging_gene_is_refitted_by_pydeseq2_solver() -> None:
    """A gene with no counts in one group has an infinite MLE: IRLS diverges, and the batched
    routine must hand that gene to PyDESeq2's per-gene solver, giving its exact answer."""
    rng = np.random.default_rng(3)
    x = np.column_stack([np.ones(12), np.repeat([0.0, 1.0], 6)])
    sf = rng.uniform(0.8, 1.2, 12)
    counts = rng.poisson(50, size=(12, 3)).astype(float)
    counts[:6, 1] = 0.0  # group 0 silent: the log fold change runs off to +infinity
    disp = np.array([0.1, 0.1, 0.1])
    ours = BatchedInference(n_cpus=1).irls(counts, sf, x, disp, min_mu=0.5, beta_tol=1e-8)
    ref = utils.irls_solver(counts[:, 1], sf, x, 0.1, min_mu=0.5, beta_tol=1e-8)
    np.testing.assert_allclose(ours[0][1], ref[0])
    np.testing.assert_allclose(ours[2][:, 1], ref[2])
    default = DefaultInference(n_cpus=1).irls(counts, sf, x, disp, min_mu=0.5, beta_tol=1e-8)
    np.testing.assert_allclose(ours[0], default[0], rtol=1e-5, atol=1e-6)


def test_wald_test_matches_default_including_ridge() -> None:
    rng = np.random.default_rng(4)
    x = _paired_design(rng=rng)
    n, p = x.shape
    lfc = rng.normal(size=(5, p))
    mu = rng.uniform(2, 50, size=(n, 5))
    disp = rng.uniform(0.05, 0.5, size=5)
    contrast = np.zeros(p)
    contrast[-3] = 1.0
    contrast[-2] = 0.5
    ridge = np.diag(np.full(p, 1e-2))  # larger than the default to make the sandwich visible
    ours = BatchedInference(n_cpus=1).wald_test(x, disp, lfc, mu, ridge, contrast, 0.0)
    ref = DefaultInference(n_cpus=1).wald_test(x, disp, lfc, mu, ridge, contrast, 0.0)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8)


def test_unknown_inference_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="inference must be one of"):
        de.make_inference("fast")


def test_lin_reg_mu_matches_default() -> None:
    rng = np.random.default_rng(5)
    x = pd.get_dummies(pd.Series(list("aabbcc"))).to_numpy(float)
    counts = rng.poisson(30, size=(6, 4)).astype(float)
    sf = rng.uniform(0.5, 1.5, 6)
    ours = BatchedInference(n_cpus=1).lin_reg_mu(counts, sf, x, 0.5)
    ref = DefaultInference(n_cpus=1).lin_reg_mu(counts, sf, x, 0.5)
    np.testing.assert_allclose(ours, ref, rtol=1e-8)
