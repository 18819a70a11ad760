"""PAM50-like intrinsic subtyping: nearest centroid by Spearman correlation, explicit centring.

Centroids
    * ``builtin`` - the project's **PAM50-like** profile: each of the 50 PAM50 genes takes the
      log2 offset of its module (proliferation, luminal, basal, HER2) for each subtype, from
      :data:`her2het.genes.SUBTYPE_MODULE_PROFILE`. It is *not* the Parker et al. (2009)
      centroid set and its calls must not be reported as PAM50 calls. It is the profile the
      demo simulator plants, so on the demo it is the right model; on real data use genefu's.
    * a file in genefu's ``pam50_model.csv`` layout (comment lines ``# centroid.<Class>: v1 v2
      ...`` in gene order, then a CSV with column ``probe``): the genuine Parker centroids.
      Outdated symbols are renamed (:data:`her2het.genes.PAM50_SYNONYMS`).

Centring (the centroids describe expression relative to the centre of the population they
were trained on; a cohort whose subtype mix differs from that population - a clinically
HER2-positive one, or a small one - has a different median, and plain median-centring then
pulls its tumours *away* from its over-represented subtypes):

    * ``mixture`` (default) - the cohort median, shifted by what the mix explains:
      ``centre = median - a * (C @ w - C @ p)``, where ``C`` are the centroids, ``w`` the
      cohort's subtype mix, ``p`` the mix of the centroids' own population
      (:data:`REFERENCE_SET_MIX` for genuine PAM50 centroids, none for the built-in profile,
      whose offsets are from a subtype-free centre) and ``a`` the scale (log2 units per
      centroid unit). ``a`` and ``w`` come from one EM fit of a Gaussian mixture
      (:func:`fit_mixture`): the scale by least squares against the expected centroid, so gene
      noise does not inflate it; the mix as a posterior mode under a Dirichlet prior centred on
      ``expected_mix`` with ``prior_weight`` pseudo-samples, so a small cohort stays near the
      prior. Nothing is re-estimated from the calls (no feedback loop). When ``w`` equals
      ``p`` this is plain median-centring. The mix and scale are checked
      (:func:`mix_checks`) and reported with their plausibility.
    * ``median`` - per-gene median of the baseline samples (standard PAM50 practice for a
      general breast cohort; biased when the mix is skewed or the cohort small).
    * ``reference`` - per-gene centres from a table (``gene``, ``centre``) measured once on a
      reference population on the same platform and scale, e.g. the ``centres.tsv`` of an
      earlier run; no cohort statistic is involved, so adding a sample changes no other call.
    * ``none`` - no centring.

Missing values: a sample is correlated over the genes it has (pairwise complete, as the
original classifier); ``genes_used`` reports how many.

Confidence: the share of ``n_bootstrap`` gene resamples (with replacement) that give the same
call; ``margin``: best minus second-best correlation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from her2het import genes as G

BUILTIN_NAME = "built-in PAM50-like profile (project-defined; not the Parker et al. 2009 centroids)"
DEFAULT_MIX: dict[str, float] = {
    "LumA": 0.15,
    "LumB": 0.2,
    "Her2": 0.5,
    "Basal": 0.1,
    "Normal": 0.05,
}
#: Subtype mix of the UNC bioclassifier's 200 example tumours (its own calls: Basal 49, Her2 30,
#: LumA 51, LumB 39, Normal 31), the population assumed for genuine PAM50 centroids.
REFERENCE_SET_MIX: dict[str, float] = {
    "LumA": 0.255,
    "LumB": 0.195,
    "Her2": 0.15,
    "Basal": 0.245,
    "Normal": 0.155,
}
CENTRINGS = ("mixture", "median", "reference", "none")
#: Plausibility limits reported in ``method.tsv`` (mixture centring).
MAX_SUBTYPE_SHARE = 0.8
MAX_MIX_DISTANCE = 0.5
#: A dominant subtype is not flagged when expected_mix already expects at least
#: MAX_SUBTYPE_SHARE - DECLARED_MARGIN of it (e.g. a cohort declared nearly all HER2-enriched).
DECLARED_MARGIN = 0.1
SCALE_RANGE = (0.2, 5.0)


@dataclass(frozen=True)
class Centroids:
    """Genes x subtypes centroid table, its name, native scale and population mix.

    ``scale`` is the centroids' unit in log2 expression (1.0 for the built-in profile, None =
    estimate it). ``population_mix`` is the subtype mix of the population the centroids are
    centred on (None: the centroids are offsets from a subtype-free centre, as the built-in
    profile is).
    """

    table: pd.DataFrame
    name: str
    scale: float | None = None
    population_mix: Mapping[str, float] | None = None


def builtin_centroids() -> Centroids:
    """The project's PAM50-like profile (see module docstring)."""
    tab = pd.DataFrame(
        {
            st: [G.SUBTYPE_MODULE_PROFILE[st][G.pam50_module_of(g)] for g in G.PAM50]
            for st in G.SUBTYPES
        },
        index=pd.Index(G.PAM50, name="gene"),
    )
    return Centroids(tab, BUILTIN_NAME, scale=1.0)


def genefu_centroids(table: pd.DataFrame, name: str) -> Centroids:
    """Centroids from the table of a file in genefu's ``pam50_model.csv`` layout (read by
    :func:`her2het.io.centroids.read_genefu_table`; ``name`` is the file's name)."""
    return Centroids(
        table,
        f"genefu pam50_model.csv layout: {name}",
        scale=None,
        population_mix=REFERENCE_SET_MIX,
    )


def _spearman_complete(y: np.ndarray, c: np.ndarray) -> np.ndarray:
    ry = stats.rankdata(y, axis=1)
    rc = stats.rankdata(c, axis=0)
    ry = ry - ry.mean(axis=1, keepdims=True)
    rc = rc - rc.mean(axis=0, keepdims=True)
    den = np.sqrt((ry**2).sum(axis=1))[:, None] * np.sqrt((rc**2).sum(axis=0))[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ry @ rc) / den


def spearman_to_centroids(y: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Spearman correlation of every row of ``y`` (samples x genes) with every column of ``c``.

    Missing values (NaN in ``y``) are handled pairwise-complete, as R's
    ``cor(..., method = "spearman", use = "pairwise.complete.obs")`` in the original PAM50
    classifier: a sample is correlated over the genes it has, and the centroid ranks are
    recomputed over those genes. A sample with fewer than 3 genes gets NaN.
    """
    y = np.asarray(y, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    ok = ~np.isnan(y)
    if ok.all():
        return _spearman_complete(y, c)
    out = np.full((y.shape[0], c.shape[1]), np.nan)
    patterns, inverse = np.unique(ok, axis=0, return_inverse=True)
    for k, keep in enumerate(patterns):
        rows = np.flatnonzero(inverse.ravel() == k)
        if keep.sum() >= 3:
            out[rows] = _spearman_complete(y[np.ix_(rows, keep)], c[keep])
    return out


@dataclass
class CentringResult:
    """Per-gene centres and what the centring estimated (see :func:`centre_genes`).

    ``mix`` and ``scale`` are set by ``mixture`` centring (empty / NaN otherwise);
    ``iterations`` counts EM rounds and ``converged`` says whether the fit settled.
    """

    centre: pd.Series
    method: str
    scale: float = float("nan")
    mix: dict[str, float] = field(default_factory=dict)
    iterations: int = 0
    converged: bool = True


def _calls(y: np.ndarray, c: np.ndarray) -> np.ndarray:
    r = spearman_to_centroids(y, c)
    return np.nanargmax(np.nan_to_num(r, nan=-2.0), axis=1)


def fit_mixture(
    x: np.ndarray,
    c: np.ndarray,
    prior: np.ndarray,
    *,
    prior_weight: float = 10.0,
    scale: float | None = None,
    estimate_mix: bool = True,
    max_iter: int = 200,
    tol: float = 1e-6,
) -> tuple[np.ndarray, float, np.ndarray, int, bool]:
    """Fit ``x[s, g] = b[g] + a * c[g, k(s)] + e[s, g]`` by EM, once; return the centre ``b``.

    A Gaussian mixture with one component per centroid: component ``k`` has mean
    ``b + a * c[:, k]`` and a shared diagonal covariance (per-gene ``sigma[g]^2``); ``k`` has
    prior probability ``w[k]``. The centre ``b`` is where a tumour with no subtype signal
    sits, i.e. the population centre the centroids are relative to; the scale ``a``
    (expression units per centroid unit) is fitted by least squares against the expected
    centroid, so gene noise does not inflate it. The mix ``w`` is a posterior mode under a
    Dirichlet prior centred on ``prior`` with ``prior_weight`` pseudo-samples, so a small
    cohort stays near the prior and a large one follows its data. Missing values (NaN) are
    left out of every sum.

    Parameters
    ----------
    x
        Samples x genes, log2-like scale.
    c
        Genes x subtypes centroids.
    prior
        Prior subtype mix (sums to 1), the starting mix and the Dirichlet centre.
    prior_weight
        Pseudo-samples of the prior (0 = maximum likelihood).
    scale
        Fixed ``a``; ``None`` estimates it.
    estimate_mix
        ``False`` keeps ``w`` at ``prior``.
    max_iter, tol
        EM stops after ``max_iter`` rounds or when the log-likelihood gains less than
        ``tol`` per sample.

    Returns
    -------
    centre, scale, mix, iterations, converged
    """
    ok = ~np.isnan(x)
    x0 = np.where(ok, x, 0.0)
    n, n_genes = x.shape
    n_obs = ok.sum(axis=0).clip(min=1)
    w = prior / prior.sum()
    # start: median centre, scale by least squares of the centred data on the nearest centroid
    b = np.nanmedian(x, axis=0)
    start = _calls(x - b, c)
    m = c[:, start].T
    a = (
        float(scale)
        if scale is not None
        else max(float(np.nansum((x - b) * m) / np.sum(np.where(ok, m**2, 0.0))), 1e-3)
    )
    sigma2 = np.nanvar(x - b - a * m, axis=0).clip(min=1e-4)
    last = -np.inf
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - it is returned
        # E-step: responsibilities r[s, k]
        resid = x0[:, :, None] - b[None, :, None] - a * c[None, :, :]
        ll_k = -0.5 * np.einsum("sgk,sg,g->sk", resid**2, ok, 1.0 / sigma2)
        ll_k -= 0.5 * (ok * np.log(2 * np.pi * sigma2)[None, :]).sum(axis=1, keepdims=True)
        ll_k += np.log(np.clip(w, 1e-12, None))[None, :]
        top = ll_k.max(axis=1, keepdims=True)
        lik = top[:, 0] + np.log(np.exp(ll_k - top).sum(axis=1))
        r = np.exp(ll_k - lik[:, None])
        # M-step: mix, centre, scale, gene variances
        if estimate_mix:
            w = (r.sum(axis=0) + prior_weight * prior) / (n + prior_weight)
        m = r @ c.T  # expected centroid per sample (samples x genes)
        b = np.where(ok, x0 - a * m, 0.0).sum(axis=0) / n_obs
        if scale is None:
            num = np.sum(np.where(ok, (x0 - b) * m, 0.0) / sigma2)
            den = np.sum(np.where(ok, r @ (c**2).T, 0.0) / sigma2)
            a = max(float(num / den), 1e-3)
            b = np.where(ok, x0 - a * m, 0.0).sum(axis=0) / n_obs
        resid = x0[:, :, None] - b[None, :, None] - a * c[None, :, :]
        sigma2 = (np.einsum("sgk,sk,sg->g", resid**2, r, ok) / n_obs).clip(min=1e-4)
        total = float(lik.sum())
        if total - last < tol * n:
            converged = True
            break
        last = total
    return b, a, w, it, converged


def centre_genes(
    x_ref: pd.DataFrame,
    centroids: Centroids,
    method: str = "mixture",
    *,
    expected_mix: Mapping[str, float] | None = None,
    scale: float | str = "auto",
    iterate: bool = True,
    prior_weight: float = 10.0,
    population_mix: Mapping[str, float] | None = None,
    reference: pd.Series | None = None,
) -> CentringResult:
    """Per-gene centres from the reference samples ``x_ref`` (samples x genes, log2 scale).

    ``mixture`` fits :func:`fit_mixture` once (``iterate`` = estimate the mix; ``scale`` =
    ``"auto"`` to estimate it or a number); ``median`` takes the per-gene median (NaN
    skipped); ``reference`` takes ``reference`` (a ``gene -> centre`` series); ``none`` is 0.
    """
    genes = list(x_ref.columns)
    c = centroids.table.loc[genes]
    if method == "none":
        return CentringResult(pd.Series(0.0, index=genes), method)
    if method == "median":
        return CentringResult(x_ref.median(axis=0), method)
    if method == "reference":
        if reference is None:
            raise ValueError("centring 'reference' needs a table of gene centres")
        missing = [g for g in genes if g not in reference.index]
        if missing:
            raise ValueError(f"reference centres lack {len(missing)} gene(s), e.g. {missing[0]}")
        return CentringResult(reference.loc[genes].astype(float), method)
    if method != "mixture":
        raise ValueError(f"unknown centring {method!r}; choose one of {CENTRINGS}")
    prior = _mix_vector(expected_mix or DEFAULT_MIX, c.columns, "expected_mix")
    cm = c.to_numpy(dtype=np.float64)
    _, a, w, rounds, converged = fit_mixture(
        x_ref.to_numpy(dtype=np.float64),
        cm,
        prior,
        prior_weight=prior_weight,
        scale=None if scale == "auto" else float(scale),
        estimate_mix=iterate,
    )
    pop = population_mix if population_mix is not None else centroids.population_mix
    c_pop = cm @ _mix_vector(pop, c.columns, "population_mix") if pop else 0.0
    centre = x_ref.median(axis=0).to_numpy() - a * (cm @ w - c_pop)
    return CentringResult(
        pd.Series(centre, index=genes),
        method,
        scale=a,
        mix={k: round(float(v), 4) for k, v in zip(c.columns, w, strict=True)},
        iterations=rounds,
        converged=converged,
    )


def _mix_vector(mix: Mapping[str, float], names: pd.Index, key: str) -> np.ndarray:
    w = np.array([float(mix.get(s, 0.0)) for s in names])
    if w.sum() <= 0:
        raise ValueError(f"{key} must give a positive weight to at least one subtype")
    return w / w.sum()


def mix_checks(result: CentringResult, prior: Mapping[str, float]) -> tuple[bool, bool, list[str]]:
    """Is the estimated mix plausible, is the scale, and one warning line per problem.

    A mix is implausible when one subtype takes more than :data:`MAX_SUBTYPE_SHARE` of the
    baseline samples although ``prior`` expects less than ``MAX_SUBTYPE_SHARE -
    DECLARED_MARGIN`` of it (a cohort declared nearly all HER2-enriched is not warned for being
    so), or when its total-variation distance from ``prior`` exceeds :data:`MAX_MIX_DISTANCE`;
    a scale outside :data:`SCALE_RANGE` is implausible.
    """
    if result.method != "mixture":
        return True, True, []
    names = list(result.mix)
    w = np.array([result.mix[k] for k in names])
    p = _mix_vector(prior, pd.Index(names), "expected_mix")
    i_top = int(np.argmax(w))
    top = names[i_top]
    dist = 0.5 * float(np.abs(w - p).sum())
    dominant = w[i_top] > MAX_SUBTYPE_SHARE and p[i_top] < MAX_SUBTYPE_SHARE - DECLARED_MARGIN
    warn = []
    if dominant:
        warn.append(
            f"subtype mix implausible: {top} takes {w.max():.0%} of the baseline samples "
            f"(limit {MAX_SUBTYPE_SHARE:.0%}); check the centroids, the gene identifiers and "
            "subtype.expected_mix, or compare with subtype.centring: median"
        )
    if dist > MAX_MIX_DISTANCE:
        warn.append(
            f"subtype mix implausible: {dist:.2f} from subtype.expected_mix "
            f"(total-variation distance, limit {MAX_MIX_DISTANCE}); estimated "
            + ", ".join(f"{k} {v:.2f}" for k, v in result.mix.items())
        )
    lo, hi = SCALE_RANGE
    scale_ok = lo <= result.scale <= hi
    if not scale_ok:
        warn.append(
            f"centroid scale implausible: {result.scale:.3g} log2 units per centroid unit "
            f"(expected {lo}-{hi}); is the expression on a log2 scale?"
        )
    if not result.converged:
        warn.append(f"subtype mixture did not converge in {result.iterations} EM rounds")
    return not (dominant or dist > MAX_MIX_DISTANCE), scale_ok, warn


def classify(
    y: pd.DataFrame, centroids: Centroids, *, n_bootstrap: int = 200, seed: int = 1
) -> pd.DataFrame:
    """Nearest-centroid calls of centred profiles ``y`` (samples x genes).

    Columns: ``cor_<subtype>`` per subtype, ``subtype``, ``margin``, ``confidence``,
    ``genes_used`` (genes with a value in the sample; NaN genes are left out of its
    correlations).
    """
    c = centroids.table.loc[list(y.columns)].to_numpy()
    names = list(centroids.table.columns)
    x = y.to_numpy(dtype=np.float64)
    r = spearman_to_centroids(x, c)
    best = np.nanargmax(np.nan_to_num(r, nan=-2.0), axis=1)
    srt = np.sort(np.nan_to_num(r, nan=-2.0), axis=1)
    out = pd.DataFrame(np.round(r, 5), index=y.index, columns=[f"cor_{n}" for n in names])
    out["subtype"] = [names[i] for i in best]
    out["margin"] = np.round(srt[:, -1] - srt[:, -2], 5)
    out["genes_used"] = (~np.isnan(x)).sum(axis=1)
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)
        agree = np.zeros(len(y))
        n_genes = x.shape[1]
        for _ in range(n_bootstrap):
            idx = rng.integers(0, n_genes, n_genes)
            agree += _calls(x[:, idx], c[idx]) == best
        out["confidence"] = np.round(agree / n_bootstrap, 4)
    else:
        out["confidence"] = np.nan
    return out


def subtype_cohort(
    expr: pd.DataFrame,
    meta: pd.DataFrame,
    centroids: Centroids,
    *,
    centring: str = "mixture",
    expected_mix: Mapping[str, float] | None = None,
    scale: float | str | None = None,
    iterate: bool = True,
    prior_weight: float = 10.0,
    population_mix: Mapping[str, float] | None = None,
    reference: pd.Series | None = None,
    n_bootstrap: int = 200,
    seed: int = 1,
    min_genes: int = 40,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, object], pd.DataFrame]:
    """Subtype every sample and every patient's baseline, and tabulate pre -> post shifts.

    ``expr`` is samples x genes on a log2 scale (VST); ``meta`` has ``sample``, ``patient``,
    ``timepoint`` and ``group``. Centres are computed on the pre-treatment samples and applied
    to all (post-treatment samples never move the centre); with ``reference`` centring they
    are fixed, so a sample's call depends on that sample alone. A patient's baseline call uses
    the mean of the centred baseline profiles.

    Returns
    -------
    samples
        ``sample``, ``patient``, ``timepoint``, ``group``, ``cor_*``, ``subtype``, ``margin``,
        ``confidence``, ``genes_used``, ``few_genes`` (``genes_used`` < ``min_genes``: the
        call rests on too few genes).
    patients
        ``patient``, ``group``, ``subtype_pre``, ``biopsy_calls`` (``;``-joined calls of the
        baseline biopsies), ``biopsies_concordant``, ``subtype_post`` ("" without a residual
        sample), ``shift`` (e.g. ``Her2>LumB``; "" when unchanged or without post).
    transitions
        ``group``, ``subtype_pre``, ``subtype_post``, ``n`` (patients with both).
    method
        What was used and whether it is plausible: centroids, centring, scale, expected and
        estimated mix, ``mix_plausible``, ``scale_plausible``, EM rounds, genes used and
        missing, samples with too few genes, and ``warnings`` (one line each, also for the
        log; see :func:`mix_checks`).
    centres
        The gene centres used (:func:`centre_table`), to freeze for reference centring.
    """
    wanted = list(centroids.table.index)
    present = [g for g in wanted if g in expr.columns]
    missing = [g for g in wanted if g not in expr.columns]
    if len(present) < min_genes:
        raise ValueError(
            f"only {len(present)} of the {len(wanted)} centroid genes are in the expression data "
            f"(need {min_genes}); missing e.g. {', '.join(missing[:5])}. Are the genes symbols? "
            "Set subtype.enabled: false to skip subtyping"
        )
    m = meta.set_index("sample").loc[expr.index]
    x = expr[present]
    pre = (m["timepoint"].astype(str) == "pre").to_numpy()
    if scale is None:
        scale = centroids.scale if centroids.scale is not None else "auto"
    cr = centre_genes(
        x[pre] if pre.any() else x, centroids, centring,
        expected_mix=expected_mix, scale=scale, iterate=iterate, prior_weight=prior_weight,
        population_mix=population_mix, reference=reference,
    )  # fmt: skip
    y = x - cr.centre
    calls = classify(y, centroids, n_bootstrap=n_bootstrap, seed=seed)
    calls["few_genes"] = calls["genes_used"] < min_genes
    samples = pd.concat([m[["patient", "timepoint", "group"]], calls], axis=1)
    samples.index.name = "sample"
    samples = samples.reset_index()

    ypre = y[pre].groupby(m.loc[pre, "patient"].astype(str).to_numpy()).mean()
    pcalls = classify(ypre, centroids, n_bootstrap=0)
    rows = []
    for pt, s in samples.groupby("patient", sort=True, observed=True):
        pre_calls = s.loc[s["timepoint"] == "pre", "subtype"].tolist()
        post_calls = s.loc[s["timepoint"] == "post", "subtype"].tolist()
        sp = pcalls.loc[str(pt), "subtype"] if str(pt) in pcalls.index else ""
        spost = post_calls[0] if post_calls else ""
        rows.append(
            {
                "patient": pt,
                "group": s["group"].iloc[0],
                "subtype_pre": sp,
                "biopsy_calls": ";".join(pre_calls),
                "biopsies_concordant": len(set(pre_calls)) <= 1,
                "subtype_post": spost,
                "shift": f"{sp}>{spost}" if sp and spost and sp != spost else "",
            }
        )
    patients = pd.DataFrame(rows)
    transitions = transition_counts(patients)
    prior = dict(expected_mix or DEFAULT_MIX)
    mix_ok, scale_ok, warnings = mix_checks(cr, prior)
    few = samples.loc[samples["few_genes"], "sample"].astype(str).tolist()
    if few:
        warnings.append(
            f"{len(few)} sample(s) have fewer than {min_genes} centroid genes with a value "
            f"(subtype.min_genes), e.g. {', '.join(few[:3])}: flagged few_genes"
        )
    method: dict[str, object] = {
        "centroids": centroids.name,
        "centring": cr.method,
        "scale": cr.scale,
        "scale_plausible": scale_ok,
        "expected_mix": prior if cr.method == "mixture" else {},
        "estimated_mix": cr.mix,
        "mix_plausible": mix_ok,
        "iterations": cr.iterations,
        "converged": cr.converged,
        "genes_used": len(present),
        "genes_missing": ";".join(missing),
        "samples_few_genes": len(few),
        "n_bootstrap": n_bootstrap,
        "warnings": warnings,
    }
    centres = centre_table(x[pre] if pre.any() else x, cr.centre)
    return samples, patients, transitions, method, centres


def transition_counts(patients: pd.DataFrame) -> pd.DataFrame:
    """Patients per ``group``, ``subtype_pre`` and ``subtype_post`` (those with both calls)."""
    both = patients[(patients["subtype_pre"] != "") & (patients["subtype_post"] != "")]
    return (
        both.groupby(["group", "subtype_pre", "subtype_post"], sort=True)
        .size()
        .rename("n")
        .reset_index()
    )


def warning_lines(method: Mapping[str, object]) -> list[str]:
    """The ``Warning: ...`` lines the subtype job writes to its log (one per warning)."""
    return [f"Warning: {w}" for w in method.get("warnings", [])]  # type: ignore[attr-defined]


def centre_table(x_ref: pd.DataFrame, centre: pd.Series) -> pd.DataFrame:
    """Gene centres as a table to freeze (``gene``, ``centre``, ``n_samples``).

    Give it back as ``subtype.reference_centres`` with ``centring: reference`` to call later
    samples against the same centres (a new patient then changes no other patient's call).
    """
    return pd.DataFrame(
        {"gene": centre.index, "centre": centre.round(6).to_numpy(), "n_samples": len(x_ref)}
    )


def agreement(calls: pd.Series | np.ndarray, truth: pd.Series | np.ndarray) -> tuple[float, float]:
    """Accuracy and Cohen's kappa of two call vectors of the same samples."""
    a, b = np.asarray(calls, dtype=str), np.asarray(truth, dtype=str)
    acc = float((a == b).mean())
    labels = np.union1d(a, b)
    pa = np.array([(a == lab).mean() for lab in labels])
    pb = np.array([(b == lab).mean() for lab in labels])
    pe = float(pa @ pb)
    return acc, (acc - pe) / (1 - pe) if pe < 1 else 1.0


def reference_set(
    x: pd.DataFrame, calls: pd.Series, centroid_table: pd.DataFrame
) -> tuple[pd.DataFrame, pd.Series, Centroids]:
    """The UNC bioclassifier's example set, as read by
    :func:`her2het.io.centroids.read_reference_set`: its expression on the centroid genes, its
    own calls and genefu's centroids."""
    centroids = genefu_centroids(centroid_table, "genefu_pam50_model.csv")
    return x[list(centroids.table.index)], calls.loc[x.index], centroids


def subtype_from_config(
    expr: pd.DataFrame,
    meta: pd.DataFrame,
    cfg: Mapping[str, object],
    centroids: Centroids | None = None,
    reference: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, object], pd.DataFrame]:
    """:func:`subtype_cohort` with the options of the config's ``subtype`` section;
    ``centroids`` None is the built-in profile, ``reference`` the gene centres of
    ``subtype.reference_centres`` (read by :func:`her2het.io.centroids.read_reference_centres`)."""
    keys = ("expected_mix", "scale", "iterate", "prior_weight", "population_mix")
    return subtype_cohort(
        expr,
        meta,
        builtin_centroids() if centroids is None else centroids,
        centring=str(cfg["centring"]),
        reference=reference,
        n_bootstrap=int(cfg["n_bootstrap"]),  # type: ignore[call-overload]
        seed=int(cfg["seed"]),  # type: ignore[call-overload]
        min_genes=int(cfg["min_genes"]),  # type: ignore[call-overload]
        **{k: cfg[k] for k in keys},  # type: ignore[arg-type]
    )


def method_table(method: Mapping[str, object]) -> pd.DataFrame:
    """The ``method`` mapping of :func:`subtype_cohort` as a two-column table."""

    def fmt(v: object) -> str:
        if isinstance(v, Mapping):
            return "; ".join(f"{k}={val}" for k, val in v.items())
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, list):
            return " | ".join(str(x) for x in v)
        return str(v)

    return pd.DataFrame({"key": list(method), "value": [fmt(v) for v in method.values()]})
