"""Compiled (numba) per-gene sums of the dispersion objective of :mod:`her2het.batched_inference`.

Each kernel loops over genes in parallel (``prange``) and over the units of one gene in one
pass, so a dispersion evaluation reads the counts once instead of building a dozen
units x genes temporaries, and uses every core (scipy's special functions run on one). The
arrays are genes x units (C order). The numpy expressions they replace stay in
``batched_inference`` as the reference; ``tests/test_batched_inference.py`` checks that both
agree to rounding.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_JIT = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}


@numba.njit(**_JIT)
def digamma(x: float) -> float:
    """psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series (error < 1e-15)."""
    acc = 0.0
    while x < 10.0:
        acc -= 1.0 / x
        x += 1.0
    r = 1.0 / (x * x)
    series = r * (
        1.0 / 12
        - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r * (1.0 / 132 - r * 691.0 / 32760))))
    )
    return acc + math.log(x) - 0.5 / x - series


@numba.njit(parallel=True, **_JIT)
def nb_nll(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray, lgy1: np.ndarray) -> np.ndarray:
    """``batched_inference.nb_nll`` per gene; ``lgy1`` is ``gammaln(y + 1)``."""
    g_n, n = y.shape
    out = np.empty(g_n)
    for g in numba.prange(g_n):
        a = alpha[g]
        inv = 1.0 / a
        lg_inv = math.lgamma(inv)
        s = n * inv * math.log(a)
        for i in range(n):
            yi, mi = y[g, i], mu[g, i]
            s += (
                -(math.lgamma(yi + inv) - lgy1[g, i] - lg_inv)
                + (yi + inv) * math.log(inv + mi)
                - yi * math.log(mi)
            )
        out[g] = s
    return out


@numba.njit(parallel=True, **_JIT)
def nb_dloss_sum(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Per gene: sum over units of ``digamma(1/a) - digamma(y + 1/a) + log1p(mu a)
    + (y - mu) / (mu + 1/a)`` (the bracket of ``DispersionProblem.grad``)."""
    g_n, n = y.shape
    out = np.empty(g_n)
    for g in numba.prange(g_n):
        a = alpha[g]
        inv = 1.0 / a
        psi_inv = digamma(inv)
        s = 0.0
        for i in range(n):
            yi, mi = y[g, i], mu[g, i]
            if yi == 0.0:
                d = 0.0
            elif yi < 8.0 and yi == math.floor(yi):  # psi(y + r) - psi(r) = sum 1/(r + j)
                d = 0.0
                for j in range(int(yi)):
                    d += 1.0 / (inv + j)
            else:
                d = digamma(yi + inv) - psi_inv
            s += -d + math.log1p(mi * a) + (yi - mi) / (mi + inv)
        out[g] = s
    return out


@numba.njit(parallel=True, **_JIT)
def dense_cox_reid(
    x: np.ndarray, mu: np.ndarray, alpha: np.ndarray, want_logdet: bool
) -> np.ndarray:
    """Per gene, with ``w = mu / (1 + mu a)`` and ``A = X'WX`` (no ridge): ``log det A`` when
    ``want_logdet``, else ``sum_i w_i^2 x_i' A^-1 x_i`` (the Cox-Reid term of the gradient).

    For designs of a few dense columns (``x`` units x p, p small): a Cholesky factor per gene.
    NaN where ``A`` is not positive definite.
    """
    g_n, n = mu.shape
    p = x.shape[1]
    out = np.empty(g_n)
    for g in numba.prange(g_n):
        a = alpha[g]
        w = np.empty(n)
        for i in range(n):
            w[i] = mu[g, i] / (1.0 + mu[g, i] * a)
        m = np.zeros((p, p))
        for i in range(n):
            wi = w[i]
            for r in range(p):
                xr = wi * x[i, r]
                for c in range(r + 1):
                    m[r, c] += xr * x[i, c]
        # Cholesky, lower triangle in place
        ok = True
        logdet = 0.0
        for j in range(p):
            d = m[j, j]
            for k in range(j):
                d -= m[j, k] * m[j, k]
            if not d > 0.0:
                ok = False
                break
            d = math.sqrt(d)
            m[j, j] = d
            logdet += 2.0 * math.log(d)
            for r in range(j + 1, p):
                v = m[r, j]
                for k in range(j):
                    v -= m[r, k] * m[j, k]
                m[r, j] = v / d
        if not ok:
            out[g] = np.nan
            continue
        if want_logdet:
            out[g] = logdet
            continue
        s = 0.0
        z = np.empty(p)
        for i in range(n):
            # h_i = |L^-1 x_i|^2
            h = 0.0
            for r in range(p):
                v = x[i, r]
                for k in range(r):
                    v -= m[r, k] * z[k]
                z[r] = v / m[r, r]
                h += z[r] * z[r]
            s += w[i] * w[i] * h
        out[g] = s
    return out


def set_threads(n: int | None) -> None:
    """Use at most ``n`` threads in the kernels (None: numba's maximum, one per core)."""
    top = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(top if n is None else max(1, min(int(n), top)))


@numba.njit(**_JIT)
def _apeglm_f(
    x: np.ndarray,
    beta: np.ndarray,
    y: np.ndarray,
    r: float,
    offset: np.ndarray,
    inv_2s2: float,
    scale: float,
    idx: int,
) -> float:
    """``batched_inference._apeglm_objective`` of one gene (``y`` its counts)."""
    n, p = x.shape
    prior = 0.0
    for j in range(p):
        if j != idx:
            prior += beta[j] * beta[j] * inv_2s2
    prior += math.log1p((beta[idx] / scale) ** 2)
    log_r = math.log(r)
    ll = 0.0
    for i in range(n):
        eta = 0.0
        for j in range(p):
            eta += x[i, j] * beta[j]
        a = eta + offset[i]
        big = max(a, log_r)
        lae = big + math.log1p(math.exp(-abs(a - log_r)))
        ll += y[i] * eta - (y[i] + r) * lae
    return prior - ll


@numba.njit(**_JIT)
def _solve_small(a: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``a^-1 rhs`` for a small dense system (Gaussian elimination, partial pivoting)."""
    p = a.shape[0]
    m = a.copy()
    v = rhs.copy()
    for k in range(p):
        piv = k
        for r in range(k + 1, p):
            if abs(m[r, k]) > abs(m[piv, k]):
                piv = r
        if piv != k:
            for c in range(p):
                m[k, c], m[piv, c] = m[piv, c], m[k, c]
            v[k], v[piv] = v[piv], v[k]
        for r in range(k + 1, p):
            f = m[r, k] / m[k, k]
            for c in range(k, p):
                m[r, c] -= f * m[k, c]
            v[r] -= f * v[k]
    out = np.empty(p)
    for k in range(p - 1, -1, -1):
        s = v[k]
        for c in range(k + 1, p):
            s -= m[k, c] * out[c]
        out[k] = s / m[k, k]
    return out


@numba.njit(parallel=True, **_JIT)
def apeglm_newton(
    x: np.ndarray,
    y: np.ndarray,
    size: np.ndarray,
    offset: np.ndarray,
    beta0: np.ndarray,
    sd_other: float,
    scale: float,
    idx: int,
    max_steps: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The Newton iterations of ``BatchedInference.lfc_shrink_nbinom_glm`` gene by gene, for a
    dense design ``x`` (units x p) and counts ``y`` (genes x units): the same steps (Hessian
    with the Cauchy prior's curvature floored at 0, Armijo backtracking of at most 40 halvings)
    and the same convergence rule. Returns (beta, converged)."""
    g_n = y.shape[0]
    n, p = x.shape
    tau2, inv_s2 = scale * scale, 1.0 / (sd_other * sd_other)
    inv_2s2 = 0.5 * inv_s2
    beta_out = beta0.copy()
    done = np.zeros(g_n, dtype=np.bool_)
    for g in numba.prange(g_n):
        r = size[g]
        yg = y[g]
        beta = beta0[g].copy()
        f = _apeglm_f(x, beta, yg, r, offset, inv_2s2, scale, idx)
        hess = np.empty((p, p))
        grad = np.empty(p)
        for _ in range(max_steps):
            for j in range(p):
                grad[j] = beta[j] * inv_s2
                for k in range(p):
                    hess[j, k] = 0.0
            grad[idx] = 2.0 * beta[idx] / (tau2 + beta[idx] ** 2)
            for i in range(n):
                eta = offset[i]
                for j in range(p):
                    eta += x[i, j] * beta[j]
                mu = math.exp(eta)
                w = (yg[i] + r) * r * mu / (r + mu) ** 2
                resid = yg[i] - (yg[i] + r) * mu / (r + mu)
                for j in range(p):
                    grad[j] -= x[i, j] * resid
                    wx = w * x[i, j]
                    for k in range(p):
                        hess[j, k] += wx * x[i, k]
            for j in range(p):
                hess[j, j] += inv_s2
            bs2 = beta[idx] ** 2
            h_s = 2.0 * (tau2 - bs2) / (tau2 + bs2) ** 2
            hess[idx, idx] += max(h_s, 0.0) - inv_s2
            step = _solve_small(hess, grad)
            slope = 0.0
            for j in range(p):
                slope -= grad[j] * step[j]
            t = 1.0
            accepted = False
            new_beta = beta.copy()
            new_f = f
            for _ls in range(40):
                trial = beta - t * step
                f_t = _apeglm_f(x, trial, yg, r, offset, inv_2s2, scale, idx)
                if math.isfinite(f_t) and f_t <= f + 1e-4 * t * slope:
                    new_beta, new_f, accepted = trial, f_t, True
                    break
                t /= 2.0
            moved = 0.0
            for j in range(p):
                moved = max(moved, abs(new_beta[j] - beta[j]))
            f_old = f
            beta, f = new_beta, new_f
            flat = -slope <= 1e-10 * max(1.0, abs(f_old))
            if flat or (accepted and t >= 1.0 and moved < tol):
                done[g] = True
                break
            if not accepted:
                break
        beta_out[g] = beta
    return beta_out, done
