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


@pytest.mark.parametrize("design", ["paired", "dense", "wide"])
def test_blocks_match_dense_linear_algebra(design: str) -> None:
    """Both leverage paths: entry by entry (q <= 6 dense columns) and the einsum ("wide")."""
    rng = np.random.default_rng(1)
    width = {"dense": 4, "wide": 8}
    x = _paired_design(rng=rng) if design == "paired" else rng.normal(size=(15, width[design]))
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
def both_fits(small_easy_cohort):  # type: ignore[no-untyped-def]
    """A paired and an unpaired contrast of the SIMULATED small demo, fitted both ways; the easy
    demo (planted effects scaled up), so that both contrasts have significant genes whose calls
    can be compared (at real magnitudes the small demo's paired contrast has none in 400 genes)."""
    _, adata = small_easy_cohort
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
    # calls at padj < 0.1: the small demo has 12 post-treatment samples, so its paired contrast
    # has no gene at 0.05 (measured minimum 0.054) and 5 at 0.1
    sig_b, sig_d = tab_b["padj"] < 0.1, tab_d["padj"] < 0.1
    assert sig_d.sum() > 0 and (sig_b == sig_d).mean() > 0.99


def test_unconverged_irls_genes_are_refitted_by_pydeseq2_solver(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """IRLS that stops early (here ``maxiter=2``) hands the gene to PyDESeq2's per-gene solver,
    which gives its exact answer; converging genes never reach it."""
    rng = np.random.default_rng(3)
    x = np.column_stack([np.ones(12), np.repeat([0.0, 1.0], 6)])
    sf = rng.uniform(0.8, 1.2, 12)
    counts = rng.poisson(50, size=(12, 3)).astype(float)
    counts[:6, 1] = 0.0
    disp = np.array([0.1, 0.1, 0.1])
    calls: list[int] = []
    real = utils.irls_solver

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(utils, "irls_solver", counting)
    inf = BatchedInference(n_cpus=1)
    converged = inf.irls(counts, sf, x, disp, min_mu=0.5, beta_tol=1e-8)
    assert not calls and converged[3].all()
    ours = inf.irls(counts, sf, x, disp, min_mu=0.5, beta_tol=1e-8, maxiter=2)
    assert len(calls) == 3  # every gene: two steps are not enough
    for g in range(3):
        ref = real(counts[:, g], sf, x, 0.1, min_mu=0.5, beta_tol=1e-8, maxiter=2)
        np.testing.assert_array_equal(ours[0][g], ref[0])
        np.testing.assert_array_equal(ours[2][:, g], ref[2])
        assert ours[3][g] == ref[3]
    # ordinary genes: L-BFGS-B reaches IRLS's answer (gene 1, with a silent group, need not:
    # PyDESeq2's two solvers floor mu differently)
    np.testing.assert_allclose(converged[0][[0, 2]], ours[0][[0, 2]], rtol=1e-3, atol=1e-3)


def test_unconverged_shrinkage_genes_use_pydeseq2_nbinomglm(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import her2het.batched_inference as bi

    rng = np.random.default_rng(7)
    x = np.column_stack([np.ones(10), np.repeat([0.0, 1.0], 5)])
    counts = rng.poisson(40, size=(10, 4)).astype(float)
    args = dict(
        design_matrix=x, counts=counts, size=np.full(4, 8.0), offset=np.zeros(10),
        prior_no_shrink_scale=15, prior_scale=0.5, optimizer="L-BFGS-B", shrink_index=1,
    )  # fmt: skip
    monkeypatch.setattr(bi, "SHRINK_MAX_STEPS", 1)  # one Newton step: nobody converges
    ours, var, conv = BatchedInference(n_cpus=1).lfc_shrink_nbinom_glm(**args)
    ref, inv_h, ref_conv = DefaultInference(n_cpus=1).lfc_shrink_nbinom_glm(**args)
    np.testing.assert_array_equal(ours, np.asarray(ref))
    np.testing.assert_array_equal(conv, ref_conv)
    assert [v[1, 1] for v in var] == [h[1, 1] for h in inv_h]


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


def test_apeglm_shrinkage_reaches_pydeseq2_optimum_or_better(both_fits) -> None:  # type: ignore[no-untyped-def]
    """Same objective (pydeseq2.utils.nbinomFn) from the same start: the batched Newton result
    is never worse than PyDESeq2's L-BFGS-B (which stops at its tolerance), and close to it."""
    from her2het.batched_inference import _apeglm_objective

    dds, _ = both_fits["paired", "batched"]
    x = dds.obsm["design_matrix"].to_numpy(float)
    idx = x.shape[1] - 1  # timepoint_post, the last column of the paired design
    assert dds.obsm["design_matrix"].columns[idx].startswith("timepoint")
    y = dds.X[:, dds.non_zero_idx].astype(float)
    args = dict(
        design_matrix=x, counts=y, size=1.0 / dds.var["dispersions"].to_numpy()[dds.non_zero_idx],
        offset=np.log(dds.obs["size_factors"].to_numpy()), prior_no_shrink_scale=15,
        prior_scale=0.3, optimizer="L-BFGS-B", shrink_index=idx,
    )  # fmt: skip
    ours, var, conv = BatchedInference(n_cpus=1).lfc_shrink_nbinom_glm(**args)
    ref, inv_h, _ = DefaultInference(n_cpus=1).lfc_shrink_nbinom_glm(**args)
    ref = np.asarray(ref)
    f = [
        _apeglm_objective(b, x, y, args["size"], args["offset"], 15, 0.3, idx) for b in (ours, ref)
    ]
    assert conv.all()
    assert (f[0] <= f[1] + 1e-9 * np.abs(f[1])).all()
    diff = np.abs(ours[:, idx] - ref[:, idx])
    assert diff.max() < 0.02 and np.quantile(diff, 0.95) < 1e-3
    # the variance is that of the exact Hessian at our optimum. (PyDESeq2 0.5.4's ``ddf`` adds
    # ``np.diag(h)`` - the prior's diagonal as a vector - to every row of X'WX, so its inverse
    # Hessian differs; DeseqStats reports it as the shrunk lfcSE, which our tables do not use.)
    ours_var = np.array([v[idx, idx] for v in var])
    size, offset = args["size"], args["offset"]
    for g in range(0, len(ours), 25):
        mu = np.exp(x @ ours[g] + offset)
        w = (y[:, g] + size[g]) * size[g] * mu / (size[g] + mu) ** 2
        prior = np.full(x.shape[1], 1 / 15**2)
        prior[idx] = 2 * (0.3**2 - ours[g, idx] ** 2) / (0.3**2 + ours[g, idx] ** 2) ** 2
        hess = (x.T * w) @ x + np.diag(prior)
        assert ours_var[g] == pytest.approx(np.linalg.inv(hess)[idx, idx], rel=1e-8)
    assert len(inv_h) == len(ours)
    with pytest.raises(KeyError):
        var[0][0, 0]  # only the shrunk coefficient's variance is kept


@pytest.mark.parametrize("prior", [None, 0.5])
def test_dispersion_gradient_matches_finite_differences(prior: float | None) -> None:
    from her2het.batched_inference import DispersionProblem

    rng = np.random.default_rng(6)
    x = _paired_design(rng=rng)
    y = rng.negative_binomial(5, 0.1, size=(len(x), 4)).astype(float)
    mu = rng.uniform(20, 80, size=y.shape)
    prob = DispersionProblem(y, mu, np.log(np.full(4, 0.2)), Blocks.of(x), prior_var=prior)
    at = np.log(np.array([0.01, 0.1, 0.5, 2.0]))
    h = 1e-6
    numeric = (prob.loss(at + h) - prob.loss(at - h)) / (2 * h)
    np.testing.assert_allclose(prob.grad(at), numeric, rtol=1e-5, atol=1e-6)


def _dense_problem_data(
    n: int = 40, genes: int = 300, seed: int = 8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 3-column dense design (intercept, two 0/1 covariates) and NB counts with their means."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.integers(0, 2, n)]).astype(float)
    mu = np.exp(rng.normal(3.0, 2.0, genes))[None, :] * rng.uniform(0.5, 2.0, (n, 1))
    disp = np.exp(rng.normal(np.log(0.2), 0.7, genes))
    y = rng.negative_binomial(1 / disp, 1 / (1 + mu * disp)).astype(float)
    return x, y, mu


def test_digamma_kernel_matches_scipy() -> None:
    from scipy.special import digamma

    from her2het import _nb_kernels

    xs = np.concatenate([np.geomspace(1e-6, 1e8, 400), np.linspace(0.5, 30.0, 200)])
    ours = np.array([_nb_kernels.digamma(v) for v in xs])
    np.testing.assert_allclose(ours, digamma(xs), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("prior", [None, 0.5])
def test_compiled_dispersion_objective_matches_numpy(prior: float | None) -> None:
    """The compiled kernels evaluate the numpy expressions of DispersionProblem (dense design:
    the Cox-Reid terms too), for all genes and for a selection."""
    from her2het.batched_inference import DispersionProblem

    x, y, mu = _dense_problem_data()
    blocks = Blocks.of(x)
    assert blocks.k == 0  # two 0/1 columns: too few blocks, all dense
    start = np.log(np.full(y.shape[1], 0.2))
    fast = DispersionProblem(y, mu, start, blocks, prior_var=prior)
    ref = DispersionProblem(y, mu, start, blocks, prior_var=prior, compiled=False)
    at = np.random.default_rng(9).uniform(np.log(1e-4), np.log(10.0), y.shape[1])
    sel = np.arange(0, y.shape[1], 3)
    for f in ("loss", "grad"):  # atol: the gradient is a difference of O(100) sums
        np.testing.assert_allclose(getattr(fast, f)(at), getattr(ref, f)(at), rtol=1e-10, atol=1e-8)
        np.testing.assert_allclose(
            getattr(fast, f)(at[sel], sel), getattr(ref, f)(at[sel], sel), rtol=1e-10, atol=1e-8
        )


def test_compiled_paths_give_the_numpy_estimates() -> None:
    """Dispersion MLE and the shrinkage Newton iterations, compiled vs numpy: the same
    estimates (dispersions to 1e-8 in log; shrunk coefficients at the same objective value)."""
    from her2het.batched_inference import _apeglm_objective

    x, y, mu = _dense_problem_data()
    fast, ref = BatchedInference(n_cpus=1), BatchedInference(n_cpus=1, compiled=False)
    mom = np.full(y.shape[1], 0.3)
    a_fast, _ = fast.alpha_mle(y, x, mu, mom, 1e-8, 10.0)
    a_ref, _ = ref.alpha_mle(y, x, mu, mom, 1e-8, 10.0)
    # in the flat near-Poisson region (alpha -> min_disp) numpy's digamma(y + 1/a) - digamma(1/a)
    # cancels to noise, so the two may stop at different points of the flat profile: there the
    # objective agrees instead, to its own rounding there (gammaln(y + 1/a) - gammaln(1/a) with
    # 1/a ~ 1e8: terms of ~2e9, eps 2e-16 each, summed over 40 units: ~1e-5)
    away = a_ref > 1e-6
    assert away.mean() > 0.9
    np.testing.assert_allclose(np.log(a_fast[away]), np.log(a_ref[away]), atol=1e-8)
    from her2het.batched_inference import DispersionProblem

    prob = DispersionProblem(y, mu, np.log(mom), Blocks.of(x), compiled=False)
    np.testing.assert_allclose(prob.loss(np.log(a_fast)), prob.loss(np.log(a_ref)), atol=1e-4)
    args = dict(
        design_matrix=x, counts=y, size=1.0 / a_ref, offset=np.zeros(len(x)),
        prior_no_shrink_scale=15, prior_scale=0.3, optimizer="L-BFGS-B", shrink_index=2,
    )  # fmt: skip
    b_fast, v_fast, c_fast = fast.lfc_shrink_nbinom_glm(**args)
    b_ref, v_ref, c_ref = ref.lfc_shrink_nbinom_glm(**args)
    np.testing.assert_array_equal(c_fast, c_ref)
    f = [
        _apeglm_objective(b, x, y, 1.0 / a_ref, np.zeros(len(x)), 15, 0.3, 2)
        for b in (b_fast, b_ref)
    ]
    np.testing.assert_allclose(f[0], f[1], rtol=1e-11)
    np.testing.assert_allclose(b_fast, b_ref, atol=1e-5)
    np.testing.assert_allclose([v[2, 2] for v in v_fast], [v[2, 2] for v in v_ref], rtol=1e-4)
