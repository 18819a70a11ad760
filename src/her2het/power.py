"""Power and design calculator for HER2-heterogeneity correlative studies (SIMULATED cohorts).

The question a trial team asks before it spends the budget: *with N patients, two baseline
biopsies in some, a HET prevalence of 10%, residual tumour sequenced in some of the patients
without pCR and RNA-seq at a given depth, what is the chance of detecting each finding?*
Everything here runs on **simulated** cohorts; no number in the output is trial data.

Designs (:class:`PowerDesign`)
    One design = patients with RNA, true HET prevalence, pCR rate in non-HET and in HET
    patients, fraction with two baseline biopsies, fraction of the patients without pCR whose
    residual tumour is sequenced, effect sizes and sequencing depth. Effect sizes are design
    parameters; the defaults are the magnitudes of the trial this project models (Li et al.,
    JCI 2024; see ``docs/power.md`` for each source) so that the calculator does not depend on
    the demo simulator's settings.

Patient-level generator (:func:`simulate_replicate`)
    Each replicate draws patients independently: true HET ~ Bernoulli(prevalence); HET is
    *observed* when a baseline biopsy detects it (each biopsy with probability
    ``het_sensitivity``, so a second biopsy finds more of it); pCR ~ Bernoulli(rate of the true
    group). Baseline ERBB2 mRNA and the T-cell score are normal on the patient scale with a
    standardised pCR effect (Cohen's d; the T-cell d from its AUC as ``sqrt(2) Phi^-1(AUC)``),
    observed as the mean of the patient's biopsies (each with an extra within-tumour SD of
    ``biopsy_sd`` patient SDs). The residual-vs-baseline change of ERBB2 in non-HET patients is
    normal with standardised mean ``erbb2_change_d``. Counts of a gene panel (``n_genes``
    genes, ``n_treatment_genes`` of them changed by treatment by ``treatment_lfc`` log2 units in
    non-HET and ``het_response`` times that in HET patients) are negative binomial at
    ``depth_millions`` reads per library, for the patients with both timepoints.

Tests (the workflow's, on every replicate; :data:`TESTS`)
    * ``het_pcr_fisher`` - Fisher's exact test, observed HET vs pCR (``outcome.associations``;
      primary check of finding 2); ``het_pcr_firth`` - Firth logistic ``pCR ~ HET``, penalised
      likelihood-ratio p (:func:`firth_lrt_2x2`, the closed form of the model that
      :func:`her2het.models.fit_logistic` fits, checked against it in the tests).
    * ``erbb2_pcr`` / ``tcell_pcr`` - Mann-Whitney U of baseline ERBB2 / T-cell score, pCR vs
      no pCR (primary checks of findings 1 and 5).
    * ``erbb2_pre_post`` - Wilcoxon signed-rank of residual vs baseline ERBB2, non-HET patients
      (primary check of finding 3 when HER2 is measured by mRNA).
    * ``attenuation`` - the global test of the HET x treatment interaction (primary check of
      finding 4): a patient's treatment response is its mean signed change over the genes
      changed by treatment (chosen on all patients, labels unused: paired t, BH q < alpha),
      and HET - non-HET mean response is tested by permuting the HET labels over patients.
    * ``de_interaction`` / ``de_post_vs_pre_nonHET`` / ``de_post_vs_pre_HET`` - DESeq2-type
      Wald t-tests of the paired interaction design ``~ patient + timepoint:HET`` (the config's
      ``treatment_HET_vs_nonHET`` contrast) and of ``~ patient + timepoint`` within each group
      (``post_vs_pre_nonHET`` / ``_HET``, each fitted on its group, as the workflow does);
      "detected" = at least one gene at BH ``padj < alpha`` (``mean_detected``: the mean
      share of the truly changed genes found, of the interaction: of all treatment genes).
      Fitted with :class:`her2het.batched_inference.BatchedInference` directly (:func:`fit_de`;
      the approximations are listed there).
    * ``finding<k>`` - the finding's verdict ``agrees``: its primary check, Holm-adjusted over
      the primary checks estimable in the replicate, below alpha *and* in the paper's direction.

Power table (:func:`power_table`, :data:`POWER_COLUMNS`)
    One row per design and test: the design's parameters, ``test``, ``finding``, ``method``,
    ``alpha``, ``replicates``, ``estimable`` (replicates where the test could run),
    ``rejections``, ``power`` (= rejections / replicates: a replicate whose test cannot run
    detects nothing), ``ci_low``/``ci_high`` (Clopper-Pearson 95% Monte-Carlo interval),
    ``mean_detected`` and ``status`` (``ok``; ``not estimable: <why>`` when no replicate could
    run the test, e.g. no HET patient expected, with ``power`` empty).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields, replace
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from her2het.calibration import clopper_pearson

# the trial's design (Li et al. 2024; DOMAIN notes): 129 patients with RNA, 14 HET among them
TRIAL = {"n_patients": 129, "n_het": 14}


@dataclass(frozen=True)
class PowerDesign:
    """One study design and its assumed effects (see ``docs/power.md`` for each default).

    Parameters
    ----------
    n_patients
        Patients with RNA-seq (and FISH) at baseline.
    het_prevalence
        True HER2-heterogeneity prevalence (the trial: 14 of 129 with RNA, 0.109).
    pcr_nonhet, pcr_het
        pCR rates of non-HET and HET patients (the trial: 64/115 = 0.557 and 0/14).
    frac_two_biopsies
        Fraction of patients with two baseline biopsies (the trial: 113/129).
    frac_residual_sampled
        Fraction of the patients *without* pCR (residual tumour) whose residual tumour is
        sequenced (the trial: 43 of 65).
    het_sensitivity
        Chance that one biopsy shows a truly heterogeneous tumour as HET (1 = perfect).
    biopsy_sd
        Within-tumour SD between biopsies, in between-patient SDs, of ERBB2 and the T-cell score.
    erbb2_d
        Cohen's d of baseline ERBB2 mRNA, pCR vs no pCR (the trial: about 0.82, AUC 0.73).
    tcell_auc
        AUC of the T-cell (CD8) score for pCR (the trial: about 0.41, i.e. lower in pCR).
    erbb2_change_d
        Standardised mean residual-minus-baseline change of ERBB2 in non-HET patients (an
        assumption; negative = decrease).
    n_genes, n_treatment_genes
        Gene panel of the DE part and genes changed by treatment in it.
    treatment_lfc
        log2 fold change of a treatment gene in non-HET patients (half up, half down).
    het_response
        Share of the non-HET treatment effect seen in HET patients (finding 4: small).
    depth_millions
        Reads per library (millions).
    dispersion
        Negative binomial dispersion of a gene within a patient and timepoint.
    patient_sd
        Between-patient SD of a gene's log expression (natural log).
    """

    n_patients: int = TRIAL["n_patients"]
    het_prevalence: float = TRIAL["n_het"] / TRIAL["n_patients"]
    pcr_nonhet: float = 64 / 115
    pcr_het: float = 0.0
    frac_two_biopsies: float = 113 / 129
    frac_residual_sampled: float = 43 / 65
    het_sensitivity: float = 1.0
    biopsy_sd: float = 0.5
    erbb2_d: float = 0.82
    tcell_auc: float = 0.41
    erbb2_change_d: float = -0.5
    n_genes: int = 200
    n_treatment_genes: int = 20
    treatment_lfc: float = 1.0
    het_response: float = 0.25
    depth_millions: float = 30.0
    dispersion: float = 0.1
    patient_sd: float = 0.5

    def __post_init__(self) -> None:
        for name in ("het_prevalence", "pcr_nonhet", "pcr_het", "frac_two_biopsies"):
            _unit(name, getattr(self, name))
        _unit("frac_residual_sampled", self.frac_residual_sampled)
        _unit("het_sensitivity", self.het_sensitivity)
        if not 0.0 < self.tcell_auc < 1.0:
            raise ValueError(f"tcell_auc must be in (0, 1), not {self.tcell_auc}")
        if self.n_patients < 4:
            raise ValueError(f"n_patients must be at least 4, not {self.n_patients}")
        if not 0 <= self.n_treatment_genes <= self.n_genes or self.n_genes < 2:
            raise ValueError("need 2 <= n_genes and 0 <= n_treatment_genes <= n_genes")
        if self.depth_millions <= 0 or self.dispersion <= 0:
            raise ValueError("depth_millions and dispersion must be positive")

    @property
    def tcell_d(self) -> float:
        """The T-cell score's Cohen's d from its AUC (binormal, equal variances)."""
        return float(np.sqrt(2.0) * stats.norm.ppf(self.tcell_auc))

    @property
    def p_het_observed(self) -> float:
        """Chance that a patient is observed HET (true HET found by one of its biopsies)."""
        s = self.het_sensitivity
        found = self.frac_two_biopsies * (1 - (1 - s) ** 2) + (1 - self.frac_two_biopsies) * s
        return self.het_prevalence * found

    @property
    def expected_het(self) -> float:
        """Expected number of observed HET patients."""
        return self.n_patients * self.p_het_observed


def _unit(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], not {value}")


DESIGN_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(PowerDesign))

# test -> (finding whose primary check it is, or 0; the test, as the table's `method`)
TESTS: dict[str, tuple[int, str]] = {
    "het_pcr_fisher": (2, "Fisher exact, HET vs pCR (two-sided)"),
    "het_pcr_firth": (0, "Firth logistic pCR ~ HET, penalised LRT"),
    "erbb2_pcr": (1, "Mann-Whitney U, baseline ERBB2, pCR vs no pCR"),
    "tcell_pcr": (5, "Mann-Whitney U, baseline T-cell score, pCR vs no pCR"),
    "erbb2_pre_post": (3, "Wilcoxon signed-rank, ERBB2 residual vs baseline, non-HET"),
    "attenuation": (4, "permutation of HET labels, mean treatment response HET - non-HET"),
    "de_interaction": (0, "DESeq2-type Wald t, ~ patient + timepoint:HET, any gene padj < alpha"),
    "de_post_vs_pre_nonHET": (0, "DESeq2-type Wald t, post vs pre in non-HET, any gene padj"),
    "de_post_vs_pre_HET": (0, "DESeq2-type Wald t, post vs pre in HET, any gene padj"),
}
FINDING_TESTS: dict[int, str] = {f: t for t, (f, _) in TESTS.items() if f}
FINDING_METHOD = "verdict 'agrees': primary check Holm-adjusted < alpha, paper's direction"

POWER_COLUMNS: tuple[str, ...] = (
    "design", *DESIGN_FIELDS, "expected_het", "test", "finding", "method", "alpha",
    "replicates", "estimable", "rejections", "power", "ci_low", "ci_high", "mean_detected",
    "status",
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Simulation of one cohort
# --------------------------------------------------------------------------------------------


@dataclass
class Replicate:
    """One simulated cohort (patient-level arrays; counts of the paired patients)."""

    het_true: np.ndarray
    het: np.ndarray  # observed
    pcr: np.ndarray
    erbb2: np.ndarray
    tcell: np.ndarray
    erbb2_change: np.ndarray  # non-HET (observed) patients with a residual sample
    paired_het: np.ndarray  # observed HET of the patients with both timepoints
    counts_pre: np.ndarray  # paired patients x genes (biopsies summed)
    counts_post: np.ndarray
    lfc: np.ndarray  # true non-HET log2 treatment effect per gene


def _nb(rng: np.random.Generator, mu: np.ndarray, alpha: float) -> np.ndarray:
    """Negative binomial counts with mean ``mu`` and dispersion ``alpha`` (gamma-Poisson)."""
    return rng.poisson(rng.gamma(1.0 / alpha, mu * alpha))


def gene_panel(design: PowerDesign, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected reads per library (at ``depth_millions``) and log2 treatment effect per gene.

    Expression shares are log-uniform over 1e-7 .. 1e-4 of the library (3 to 3,000 reads at
    30 million); the treatment genes are the first ``n_treatment_genes``, alternately up and
    down. Fixed per design seed, like the genes of a real panel.
    """
    rng = np.random.default_rng([seed, 0])
    share = 10.0 ** rng.uniform(-7.0, -4.0, design.n_genes)
    lfc = np.zeros(design.n_genes)
    k = design.n_treatment_genes
    lfc[:k] = design.treatment_lfc * np.where(np.arange(k) % 2 == 0, 1.0, -1.0)
    return share * design.depth_millions * 1e6, lfc


def observed_score(
    rng: np.random.Generator, group: np.ndarray, d: float, n_biopsies: np.ndarray, biopsy_sd: float
) -> np.ndarray:
    """A patient-level score: N(d x group, 1) per patient, observed as the mean of its one or
    two biopsies, each with extra N(0, biopsy_sd^2) within-tumour noise."""
    n = len(group)
    latent = rng.standard_normal(n) + d * np.asarray(group, dtype=float)
    noise = rng.standard_normal((n, 2)) * biopsy_sd
    return latent + np.where(np.asarray(n_biopsies) == 2, noise.mean(axis=1), noise[:, 0])


def simulate_replicate(
    design: PowerDesign, rng: np.random.Generator, *, with_counts: bool = True
) -> Replicate:
    """Draw one cohort of ``design`` (see the module docstring for the model)."""
    n = design.n_patients
    het_true = rng.random(n) < design.het_prevalence
    n_biopsies = 1 + (rng.random(n) < design.frac_two_biopsies)
    hits = rng.random((n, 2)) < design.het_sensitivity
    found = hits[:, 0] | (hits[:, 1] & (n_biopsies == 2))
    het = het_true & found
    pcr = rng.random(n) < np.where(het_true, design.pcr_het, design.pcr_nonhet)

    erbb2 = observed_score(rng, pcr, design.erbb2_d, n_biopsies, design.biopsy_sd)
    tcell = observed_score(rng, pcr, design.tcell_d, n_biopsies, design.biopsy_sd)
    residual = ~pcr & (rng.random(n) < design.frac_residual_sampled)
    change = rng.standard_normal(n) + design.erbb2_change_d
    paired = np.flatnonzero(residual)
    g = design.n_genes
    counts_pre = counts_post = np.zeros((len(paired), g), dtype=np.int64)
    base, lfc = gene_panel(design, 0)
    if with_counts and len(paired):
        m = len(paired)
        b = rng.standard_normal((m, g)) * design.patient_sd
        libs = np.exp(rng.normal(0.0, 0.2, (m, 3)))  # library-size variation per sample
        mu = base * np.exp(b)
        scale = np.where(het_true[paired], design.het_response, 1.0)[:, None]
        mu_post = mu * 2.0 ** (lfc * scale)
        counts_pre = _nb(rng, mu * libs[:, :1], design.dispersion)
        two = n_biopsies[paired] == 2
        counts_pre[two] += _nb(rng, mu[two] * libs[two, 1:2], design.dispersion)
        counts_post = _nb(rng, mu_post * libs[:, 2:3], design.dispersion)
    return Replicate(
        het_true=het_true, het=het, pcr=pcr, erbb2=erbb2, tcell=tcell,
        erbb2_change=change[residual & ~het], paired_het=het[paired],
        counts_pre=counts_pre, counts_post=counts_post, lfc=lfc,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def firth_lrt_2x2(events: Sequence[int], totals: Sequence[int]) -> tuple[float, float]:
    """Firth logistic ``y ~ x`` for a binary ``x``: odds ratio and penalised LRT p-value.

    With one binary covariate the model is saturated, and Firth's penalised likelihood
    ``l + 0.5 log det I`` (``det I = w0 w1``, ``w_h = n_h p_h (1 - p_h)``) has closed forms:
    the full fit is ``p_h = (y_h + 1/2) / (n_h + 1)`` (Haldane's +1/2 per cell) and the fit
    without ``x`` is ``p = (Y + 1) / (N + 2)``. The p-value is that of twice the difference on
    one degree of freedom (Heinze & Schemper 2002), as :func:`her2het.models.fit_logistic`
    reports. ``events``/``totals`` are per level ``x = 0, 1``.
    """
    y = np.asarray(events, dtype=float)
    t = np.asarray(totals, dtype=float)
    if (t < 1).any():
        raise ValueError("each level of x needs at least one patient")

    def pen_ll(p: np.ndarray) -> float:
        w = t * p * (1 - p)
        ll = float(np.sum(y * np.log(p) + (t - y) * np.log(1 - p)))
        return ll + 0.5 * float(np.log(w).sum())

    p_full = (y + 0.5) / (t + 1.0)
    p_null = np.full(2, (y.sum() + 1.0) / (t.sum() + 2.0))
    lr = max(0.0, 2.0 * (pen_ll(p_full) - pen_ll(p_null)))
    odds = p_full / (1 - p_full)
    return float(odds[1] / odds[0]), float(stats.chi2.sf(lr, 1))


def attenuation_test(
    delta: np.ndarray,
    het: np.ndarray,
    rng: np.random.Generator,
    *,
    alpha: float = 0.05,
    n_permutations: int = 999,
) -> tuple[float, float]:
    """Global HET x treatment test on residual-minus-baseline expression (patients x genes).

    Genes changed by treatment are chosen on all patients (paired t, BH q < ``alpha``; the 50
    smallest p-values when none pass), labels unused, each signed by its mean change; a
    patient's response is the mean signed change over them. Returns the statistic (mean
    response HET - non-HET; negative = smaller in HET) and the two-sided permutation p-value
    ``(1 + #|T*| >= |T|) / (1 + n_permutations)`` over random relabellings of the patients.
    """
    h = np.asarray(het, dtype=bool)
    if h.sum() < 2 or (~h).sum() < 2:
        raise ValueError(f"{int(h.sum())} HET and {int((~h).sum())} non-HET paired patients")
    with np.errstate(invalid="ignore", divide="ignore"):
        t, p = stats.ttest_1samp(delta, 0.0, axis=0)
    p = np.where(np.isfinite(p), p, 1.0)
    q = stats.false_discovery_control(p, method="bh")
    order = np.argsort(p, kind="stable")
    chosen = order[q[order] < alpha][:500]
    if len(chosen) == 0:
        chosen = order[:50]
    response = (delta[:, chosen] * np.sign(np.nan_to_num(t[chosen]))).mean(axis=1)
    n, k = len(h), int(h.sum())
    obs = response[h].mean() - response[~h].mean()
    perm = np.argsort(rng.random((n_permutations, n)), axis=1)[:, :k]
    s_het = response[perm].sum(axis=1)
    null = s_het / k - (response.sum() - s_het) / (n - k)
    pval = (1 + int(np.sum(np.abs(null) >= abs(obs) - 1e-12))) / (1 + n_permutations)
    return float(obs), float(pval)


def interaction_design(het: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Design matrix of ``~ patient + timepoint:HET`` on paired units and its contrasts.

    Units are the ``m`` paired patients' baseline rows then their residual rows. Columns as
    :func:`her2het.de.build_design` encodes the config's interaction contrast: intercept, one
    0/1 column per patient but the first, ``post`` in non-HET, ``post`` in HET. Contrasts:
    ``interaction`` (HET - non-HET treatment effect), ``post_vs_pre_nonHET``,
    ``post_vs_pre_HET``.
    """
    h = np.asarray(het, dtype=bool)
    m = len(h)
    patient = np.tile(np.eye(m), (2, 1))[:, 1:]
    post = np.r_[np.zeros(m), np.ones(m)]
    hh = np.r_[h, h]
    x = np.column_stack([np.ones(2 * m), patient, post * ~hh, post * hh])
    p = x.shape[1]
    c_non, c_het = np.zeros(p), np.zeros(p)
    c_non[p - 2], c_het[p - 1] = 1.0, 1.0
    return x, {
        "interaction": c_het - c_non,
        "post_vs_pre_nonHET": c_non,
        "post_vs_pre_HET": c_het,
    }


def paired_design(m: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Design ``~ patient + timepoint`` of ``m`` patients' baseline then residual rows, and its
    ``post_vs_pre`` contrast (the config's ``post_vs_pre_nonHET`` / ``_HET`` contrasts)."""
    x = interaction_design(np.zeros(m, dtype=bool))[0][:, :-1]
    c = np.zeros(x.shape[1])
    c[-1] = 1.0
    return x, {"post_vs_pre": c}


def size_factors(counts: np.ndarray) -> np.ndarray:
    """DESeq2's median-of-ratios size factors (units x genes counts; genes with a zero left out)."""
    with np.errstate(divide="ignore"):
        logs = np.log(counts.astype(float))
    keep = np.isfinite(logs).all(axis=0)
    if not keep.any():
        return np.ones(counts.shape[0])
    ref = logs[:, keep].mean(axis=0)
    return np.exp(np.median(logs[:, keep] - ref, axis=1))


def fit_de(
    counts: np.ndarray,
    x: np.ndarray,
    contrasts: Mapping[str, np.ndarray],
    *,
    min_count: int = 10,
    min_units: int = 2,
    map_dispersions: bool = True,
) -> dict[str, np.ndarray]:
    """Wald t p-values per contrast (one per gene, NaN for filtered genes), DESeq2's steps.

    PyDESeq2's ``deseq2()`` sequence on :class:`her2het.batched_inference.BatchedInference`
    directly, without ``DeseqDataSet``: median-of-ratios size factors, gene filter
    (``min_count`` reads in ``min_units`` units, as :func:`her2het.de.fit_design`),
    method-of-moments start (the smaller of PyDESeq2's rough and moments estimates), means
    from IRLS (or the linear fit when every design row is distinct per column), gene-wise
    dispersion MLE with the Cox-Reid term, with ``map_dispersions`` the parametric trend
    ``a0 + a1 / mean`` (PyDESeq2's gamma GLM and refit filter), the log-normal prior and MAP
    dispersions (gene-wise kept for outliers above the trend; the trend's gamma GLM by IRLS,
    :func:`_gamma_identity_glm`), IRLS coefficients, Wald
    statistic against t on n - p degrees of freedom (the workflow's ``t_test``).

    Not done (the approximation against :func:`her2het.de.run_design`): Cook's-distance
    outlier replacement and refit, independent filtering (BH here runs over every filtered
    gene), and the panel's size factors stand in for the transcriptome's.
    ``docs/power.md`` reports the check against ``run_design``.
    """
    from pydeseq2 import utils
    from scipy.special import polygamma

    from her2het.batched_inference import BatchedInference

    n, p = x.shape
    keep = (counts >= min_count).sum(axis=0) >= min_units
    out = {k: np.full(counts.shape[1], np.nan) for k in contrasts}
    if keep.sum() < 3 or n - p < 1:
        return out
    y = counts[:, keep].astype(float)
    sf = size_factors(counts)
    inf = BatchedInference(n_cpus=1)
    normed = y / sf[:, None]
    min_disp, max_disp, min_mu, beta_tol = 1e-8, max(10.0, n), 0.5, 1e-8
    q_, _ = np.linalg.qr(x)  # PyDESeq2's rough estimate (its least squares, via one QR)
    fitted = np.maximum(q_ @ (q_.T @ normed), 1.0)
    rough = np.maximum((((normed - fitted) ** 2 - fitted) / fitted**2).sum(axis=0) / (n - p), 0)
    moments = utils.fit_moments_dispersions(normed, sf)
    start = np.clip(np.minimum(rough, moments), min_disp, max_disp)
    if len(np.unique(x, axis=0)) == p:
        mu_hat = inf.lin_reg_mu(y, sf, x, min_mu)
    else:
        mu_hat = inf.irls(y, sf, x, start, min_mu, beta_tol, hat_diagonal=False)[1]
    disp, _ = inf.alpha_mle(y, x, mu_hat, start, min_disp, max_disp, cr_reg=True)
    disp = np.clip(disp, min_disp, max_disp)
    if map_dispersions:
        means = normed.mean(axis=0)
        trend = _dispersion_trend(disp, means)
        resid = np.log(disp) - np.log(trend)
        use = disp >= 100 * min_disp
        sq = utils.mean_absolute_deviation(resid[use]) ** 2 if use.any() else 0.0
        prior_var = max(sq - float(polygamma(1, (n - p) / 2)), 0.25)
        map_disp, _ = inf.alpha_mle(
            y, x, mu_hat, trend, min_disp, max_disp, prior_disp_var=prior_var,
            cr_reg=True, prior_reg=True,
        )  # fmt: skip
        outlier = np.log(disp) > np.log(trend) + 2 * np.sqrt(sq)
        disp = np.where(outlier, disp, np.clip(map_disp, min_disp, max_disp))
    beta, mu, _, _ = inf.irls(y, sf, x, disp, min_mu, beta_tol, hat_diagonal=False)
    ridge = np.diag(np.full(p, 1e-6))  # PyDESeq2's ridge factor (a matrix)
    for name, c in contrasts.items():
        _, stat, _ = inf.wald_test(x, disp, beta, mu, ridge, c, np.zeros(p))
        pv = 2.0 * stats.t.sf(np.abs(stat), n - p)
        out[name][keep] = np.where(np.isfinite(pv), pv, np.nan)
    return out


def _gamma_identity_glm(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Gamma GLM ``E y = a0 + a1 x`` (identity link) by IRLS: PyDESeq2's trend objective.

    ``dispersion_trend_gamma_glm`` minimises the same ``mean(y / mu + log mu)`` with
    L-BFGS-B (coefficients bounded at 1e-12); IRLS reaches the unconstrained minimum, and a
    coefficient at or below 1e-10 then means the same fall-back.
    """
    design = np.column_stack([np.ones_like(x), x])
    coef = np.array([1.0, 1.0])
    for _ in range(100):
        mu = design @ coef
        if (mu <= 0).any():
            return coef, mu, False
        w = 1.0 / mu**2
        new = np.linalg.solve(design.T @ (w[:, None] * design), design.T @ (w * y))
        if np.max(np.abs(new - coef) / np.maximum(np.abs(coef), 1e-12)) < 1e-10:
            return new, design @ new, True
        coef = new
    return coef, design @ coef, False


def _dispersion_trend(disp: np.ndarray, means: np.ndarray) -> np.ndarray:
    """PyDESeq2's dispersion trend: parametric ``a0 + a1 / mean`` (gamma GLM, refit without
    genes far from the curve), or like PyDESeq2 the trimmed mean when that fit fails."""
    idx = np.flatnonzero(np.isfinite(1 / means) & (means > 0))
    old, coeffs = np.array([0.1, 0.1]), np.array([1.0, 1.0])
    while (coeffs > 1e-10).all() and (np.log(np.abs(coeffs / old)) ** 2).sum() >= 1e-6:
        old = coeffs
        coeffs, pred, converged = _gamma_identity_glm(1 / means[idx], disp[idx])
        if not converged or not (coeffs > 1e-10).all():
            mean = stats.trim_mean(disp[disp > 10 * 1e-8], proportiontocut=0.001)
            return np.full(len(disp), float(mean))
        ratio = disp[idx] / pred
        idx = idx[(ratio >= 1e-4) & (ratio < 15)]
    return coeffs[0] + coeffs[1] / means


def _bh(p: np.ndarray) -> np.ndarray:
    out = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    m = len(p)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def het_pcr_fisher(rep: Replicate) -> tuple[float, float, tuple[int, int], tuple[int, int]] | str:
    """Fisher's exact test of observed HET vs pCR: p, odds ratio of pCR (HET vs non-HET),
    pCR counts and patients (non-HET, HET); the reason when a group is empty."""
    n_het, n_non = int(rep.het.sum()), int((~rep.het).sum())
    if n_het == 0 or n_non == 0:
        return f"{n_het} HET, {n_non} non-HET patients"
    y_het, y_non = int(rep.pcr[rep.het].sum()), int(rep.pcr[~rep.het].sum())
    odds, p = stats.fisher_exact([[y_het, n_het - y_het], [y_non, n_non - y_non]])
    return float(p), float(odds), (y_non, y_het), (n_non, n_het)


def replicate_tests(
    rep: Replicate, rng: np.random.Generator, *, alpha: float = 0.05,
    n_permutations: int = 999, de: bool = True, map_dispersions: bool = True,
) -> dict[str, tuple[bool, float] | str]:  # fmt: skip
    """Every test of :data:`TESTS` (and the finding verdicts) on one replicate.

    Returns test -> ``(detected, mean_detected)`` or the reason it could not run. "Detected"
    is two-sided ``p < alpha`` for a single test, any gene at ``padj < alpha`` for DE; the
    finding rows need the paper's direction, too.
    """
    out: dict[str, tuple[bool, float] | str] = {}
    pvals: dict[str, tuple[float, bool]] = {}  # primary p and whether its direction agrees
    fisher = het_pcr_fisher(rep)
    if isinstance(fisher, str):
        out["het_pcr_fisher"] = out["het_pcr_firth"] = fisher
    else:
        p, odds, (y_non, y_het), (n_non, n_het) = fisher
        pvals["het_pcr_fisher"] = (p, bool(odds < 1))
        out["het_pcr_fisher"] = (bool(p < alpha), np.nan)
        if y_het + y_non in (0, n_het + n_non):
            out["het_pcr_firth"] = "pCR constant"
        else:
            _, p_f = firth_lrt_2x2([y_non, y_het], [n_non, n_het])
            out["het_pcr_firth"] = (bool(p_f < alpha), np.nan)
    n_pcr = int(rep.pcr.sum())
    for test, score in (("erbb2_pcr", rep.erbb2), ("tcell_pcr", rep.tcell)):
        if n_pcr < 2 or len(rep.pcr) - n_pcr < 2:
            out[test] = f"{n_pcr} patients with pCR of {len(rep.pcr)}"
            continue
        _, p = stats.mannwhitneyu(score[rep.pcr], score[~rep.pcr], alternative="two-sided")
        higher = np.median(score[rep.pcr]) > np.median(score[~rep.pcr])
        pvals[test] = (float(p), bool(higher))
        out[test] = (bool(p < alpha), np.nan)
    d = rep.erbb2_change
    if len(d) < 2:
        out["erbb2_pre_post"] = f"{len(d)} non-HET patients with a residual sample"
    else:
        p = float(stats.wilcoxon(d).pvalue)
        pvals["erbb2_pre_post"] = (p, bool(np.median(d) < 0))
        out["erbb2_pre_post"] = (bool(p < alpha), np.nan)
    ph = rep.paired_het
    why = f"{int(ph.sum())} HET and {int((~ph).sum())} non-HET patients with both timepoints"
    if not de:
        out["attenuation"] = "not run: counts not simulated (de switched off)"
    elif ph.sum() < 2 or (~ph).sum() < 2:
        for test in ("attenuation", "de_interaction", "de_post_vs_pre_HET"):
            out[test] = why
    else:
        sf = size_factors(np.r_[rep.counts_pre, rep.counts_post])
        m = len(ph)
        logs = np.log2(np.r_[rep.counts_pre, rep.counts_post] / sf[:, None] + 1.0)
        stat, p = attenuation_test(
            logs[m:] - logs[:m], ph, rng, alpha=alpha, n_permutations=n_permutations
        )
        pvals["attenuation"] = (p, bool(stat < 0))
        out["attenuation"] = (bool(p < alpha), np.nan)
    if de:
        pre, post, true = rep.counts_pre, rep.counts_post, rep.lfc != 0

        def detect(pv: np.ndarray) -> tuple[bool, float]:
            sig = np.nan_to_num(_bh(pv), nan=1.0) < alpha
            return bool(sig.any()), float(sig[true].mean()) if true.any() else 0.0

        fits: list[tuple[str, np.ndarray, tuple[np.ndarray, dict[str, np.ndarray]]]] = []
        if ph.sum() >= 2 and (~ph).sum() >= 2:
            fits.append(("de_interaction", np.ones(len(ph), dtype=bool), interaction_design(ph)))
        else:
            out["de_interaction"] = why
        for test, rows in (("de_post_vs_pre_nonHET", ~ph), ("de_post_vs_pre_HET", ph)):
            if rows.sum() >= 2:  # the workflow's own fit of the group: ~ patient + timepoint
                fits.append((test, rows, paired_design(int(rows.sum()))))
            else:
                out[test] = f"{int(rows.sum())} patients of the group with both timepoints"
        for test, rows, (x, contrasts) in fits:
            c = contrasts["interaction"] if test == "de_interaction" else contrasts["post_vs_pre"]
            res = fit_de(np.r_[pre[rows], post[rows]], x, {"c": c}, map_dispersions=map_dispersions)
            out[test] = detect(res["c"])
    if pvals:
        names = [FINDING_TESTS[f] for f in sorted(FINDING_TESTS) if FINDING_TESTS[f] in pvals]
        adj = _holm(np.array([pvals[t][0] for t in names]))
        holm = dict(zip(names, adj, strict=True))
    for f, test in FINDING_TESTS.items():
        if test in pvals:
            out[f"finding{f}"] = (bool(holm[test] < alpha and pvals[test][1]), np.nan)
        else:
            out[f"finding{f}"] = str(out.get(test, "not run"))
    return out


# --------------------------------------------------------------------------------------------
# Grid, Monte-Carlo power and the table
# --------------------------------------------------------------------------------------------


def design_grid(
    grid: Mapping[str, Sequence[Any]], base: Mapping[str, Any] | None = None
) -> list[PowerDesign]:
    """Every combination of the ``grid`` values (key -> list), other fields from ``base``."""
    unknown = set(grid) | set(base or {})
    unknown -= set(DESIGN_FIELDS)
    if unknown:
        raise ValueError(f"unknown design parameter(s): {', '.join(sorted(unknown))}")
    start = PowerDesign(**dict(base or {}))
    keys = list(grid)
    return [replace(start, **dict(zip(keys, v, strict=True))) for v in product(*grid.values())]


def trial_design(base: Mapping[str, Any] | None = None) -> PowerDesign:
    """The trial's own design (129 patients with RNA, 14 HET) with ``base``'s other settings."""
    kw = dict(base or {}) | {
        "n_patients": TRIAL["n_patients"],
        "het_prevalence": TRIAL["n_het"] / TRIAL["n_patients"],
    }
    return PowerDesign(**kw)


def _not_estimable_reason(design: PowerDesign, test: str) -> str | None:
    """Why a test cannot run in any replicate of ``design`` (None when it can)."""
    het_tests = {"het_pcr_fisher", "het_pcr_firth", "attenuation", "de_interaction"}
    het_tests |= {"de_post_vs_pre_HET", "finding2", "finding4"}
    if test in het_tests and design.p_het_observed == 0:
        return "no HET patient expected (HET prevalence or detection is 0)"
    if test in het_tests and design.p_het_observed == 1:
        return "no non-HET patient expected"
    return None


def power_table(
    designs: Sequence[PowerDesign],
    *,
    replicates: int = 200,
    seed: int = 1,
    alpha: float = 0.05,
    n_permutations: int = 999,
    de: bool = True,
    map_dispersions: bool = True,
    cores: int = 1,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Monte-Carlo power of every test for every design (:data:`POWER_COLUMNS`).

    Replicate ``r`` of design ``i`` uses the random stream ``(seed, i, r)``, so a design's
    result does not depend on the other designs or on ``cores``. ``de=False`` skips the count
    simulation, the global interaction test and the DE tests (their rows say so);
    ``map_dispersions`` is :func:`fit_de`'s.
    """
    names = list(names) if names is not None else [f"d{i + 1:02d}" for i in range(len(designs))]
    chunk = max(1, min(25, replicates))  # replicates per job
    jobs, owner = [], []
    for i, d in enumerate(designs):
        for start in range(0, replicates, chunk):
            n_rep = min(chunk, replicates - start)
            jobs.append((d, seed, i, n_rep, alpha, n_permutations, (de, map_dispersions), start))
            owner.append(i)
    results = _map_jobs(jobs, cores)
    per_design: list[list[dict[str, Any]]] = [[] for _ in designs]
    for i, res in zip(owner, results, strict=True):
        per_design[i] += res
    tests = list(TESTS) if de else [t for t in TESTS if not t.startswith("de_")]
    tests += [f"finding{f}" for f in sorted(FINDING_TESTS)]
    rows = []
    for name, d, reps in zip(names, designs, per_design, strict=True):
        for test in tests:
            rows.append(_power_row(name, d, test, reps, alpha))
        if not de:
            for test in (t for t in TESTS if t.startswith("de_")):
                rows.append(_power_row(name, d, test, [], alpha, "not run: DE switched off"))
    return pd.DataFrame(rows, columns=list(POWER_COLUMNS))


def _run_chunk(args: tuple[Any, ...]) -> list[dict[str, Any]]:
    from threadpoolctl import threadpool_limits

    design, seed, index, n_rep, alpha, n_perm, de, start = args
    rows = []
    with threadpool_limits(1):  # small matrices: BLAS threads only contend with the processes
        for r in range(start, start + n_rep):
            rows.append(_one(design, seed, index, r, alpha, n_perm, de))
    return rows


def _one(
    design: PowerDesign, seed: int, index: int, r: int, alpha: float, n_perm: int,
    de: tuple[bool, bool],
) -> dict[str, Any]:  # fmt: skip
    """Replicate ``r`` of design ``index``: its own random stream ``(seed, index, r)``."""
    rng = np.random.default_rng([seed, index, r])
    rep = simulate_replicate(design, rng, with_counts=de[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return replicate_tests(
            rep, rng, alpha=alpha, n_permutations=n_perm, de=de[0],
            map_dispersions=de[1],
        )  # fmt: skip


def _map_jobs(jobs: Sequence[tuple[Any, ...]], cores: int) -> list[list[dict[str, Any]]]:
    step = max(1, len(jobs) // 10)
    out = []
    if cores > 1:
        with ProcessPoolExecutor(max_workers=cores) as pool:
            for i, r in enumerate(pool.map(_run_chunk, jobs), start=1):
                out.append(r)
                if i % step == 0 or i == len(jobs):
                    print(f"power: {i}/{len(jobs)} jobs", file=sys.stderr, flush=True)
    else:
        out = [_run_chunk(j) for j in jobs]
    return out


def _power_row(
    name: str,
    design: PowerDesign,
    test: str,
    reps: Sequence[Mapping[str, Any]],
    alpha: float,
    status: str | None = None,
) -> dict[str, Any]:
    if test.startswith("finding"):
        finding, method = int(test[len("finding") :]), FINDING_METHOD
    else:
        finding, method = TESTS[test]
    row: dict[str, Any] = {"design": name, **asdict(design), "expected_het": design.expected_het}
    row |= {"test": test, "finding": finding, "method": method, "alpha": alpha}
    runs = [r.get(test) for r in reps]
    ok = [v for v in runs if isinstance(v, tuple)]
    reason = status or _not_estimable_reason(design, test)
    if reason is None and not ok:
        reasons = pd.Series([str(v) for v in runs if isinstance(v, str)])
        reason = reasons.mode().iloc[0] if len(reasons) else "no replicate"
        reason = f"not estimable: no replicate could run it (most often: {reason})"
    elif reason is not None and not reason.startswith("not "):
        reason = f"not estimable: {reason}"
    n = len(reps)
    k = sum(v[0] for v in ok)
    row |= {"replicates": n, "estimable": len(ok), "rejections": k}
    if reason is not None or n == 0:
        row |= {"power": np.nan, "ci_low": np.nan, "ci_high": np.nan, "mean_detected": np.nan}
        row["status"] = reason or "no replicate"
        return row
    lo, hi = clopper_pearson(k, n)
    detected = [v[1] for v in ok if np.isfinite(v[1])]
    row |= {"power": k / n, "ci_low": lo, "ci_high": hi}
    row["mean_detected"] = float(np.mean(detected)) if detected else np.nan
    row["status"] = "ok" if len(ok) == n else f"ok; {n - len(ok)} replicate(s) not estimable"
    return row


# --------------------------------------------------------------------------------------------
# Theory: closed-form and exact power, and the Monte-Carlo check against it
# --------------------------------------------------------------------------------------------


def fisher_power_exact(n_a: int, n_b: int, p_a: float, p_b: float, alpha: float = 0.05) -> float:
    """Exact power of Fisher's two-sided test for two binomial groups (full enumeration).

    Sums ``Binom(a; n_a, p_a) Binom(b; n_b, p_b)`` over every 2 x 2 table whose Fisher
    p-value is below ``alpha``. The p-value is computed as scipy's ``fisher_exact`` does: given
    the total number of events ``t``, the hypergeometric probability of every table at most as
    probable as the observed one (relative tolerance 1e-7); tables with the same ``t`` are
    handled together.
    """
    pa = stats.binom.pmf(np.arange(n_a + 1), n_a, p_a)
    pb = stats.binom.pmf(np.arange(n_b + 1), n_b, p_b)
    total = 0.0
    for t in range(n_a + n_b + 1):
        a = np.arange(max(0, t - n_b), min(n_a, t) + 1)
        weight = pa[a] * pb[t - a]
        if weight.sum() < 1e-14:
            continue
        pmf = stats.hypergeom.pmf(a, n_a + n_b, n_a, t)
        pval = (pmf[None, :] <= pmf[:, None] * (1 + 1e-7)) @ pmf
        total += float(weight[pval < alpha].sum())
    return total


def fisher_power_design(design: PowerDesign, alpha: float = 0.05) -> float:
    """Exact power of the Fisher HET vs pCR test of ``design`` (het_sensitivity = 1).

    Averages :func:`fisher_power_exact` over the binomial number of HET patients; a cohort
    without HET or non-HET patients detects nothing.
    """
    if design.het_sensitivity != 1.0:
        raise ValueError("the exact Fisher power assumes het_sensitivity = 1")
    n, q = design.n_patients, design.het_prevalence
    total = 0.0
    for k in range(1, n):
        w = stats.binom.pmf(k, n, q)
        if w > 1e-10:
            total += w * fisher_power_exact(k, n - k, design.pcr_het, design.pcr_nonhet, alpha)
    return float(total)


# whole replicates for the Fisher check: HET counts vary, powers neither 0 nor 1
THEORY_DESIGN = PowerDesign(n_patients=60, het_prevalence=0.2, pcr_het=0.15, pcr_nonhet=0.6)

THEORY_COLUMNS: tuple[str, ...] = (
    "check", "settings", "test", "theory", "theory_power", "replicates", "rejections",
    "mc_power", "ci_low", "ci_high", "agrees",
)  # fmt: skip


def _theory_row(check: str, settings: str, test: str, theory: str, power: float, k: int,
                n: int) -> dict[str, Any]:  # fmt: skip
    lo, hi = clopper_pearson(k, n, confidence=0.99)
    return {
        "check": check, "settings": settings, "test": test, "theory": theory,
        "theory_power": power, "replicates": n, "rejections": k, "mc_power": k / n,
        "ci_low": lo, "ci_high": hi, "agrees": bool(lo <= power <= hi),
    }  # fmt: skip


def theory_checks(
    *,
    replicates: int = 2000,
    seed: int = 7,
    alpha: float = 0.05,
    fisher: tuple[int, int, float, float] = (14, 60, 0.15, 0.55),
    score: tuple[int, int, float] = (30, 40, 0.6),
    fisher_design: PowerDesign | None = None,
) -> pd.DataFrame:
    """Monte-Carlo power of the calculator's generator against theory (:data:`THEORY_COLUMNS`).

    * ``fisher_fixed`` - HET vs pCR with ``fisher = (n_het, n_nonhet, pcr_het, pcr_nonhet)``
      patients drawn by :func:`simulate_replicate`'s pCR model, Fisher's exact test, against
      :func:`fisher_power_exact` (exact enumeration).
    * ``fisher_design`` - the Fisher row of :func:`replicate_tests` on whole replicates of
      ``fisher_design`` (random HET counts), against :func:`fisher_power_design`.
    * ``score_ttest`` - a normally distributed score in two groups of ``score = (n_a, n_b, d)``
      patients (the generator's :func:`observed_score`, one biopsy, no biopsy noise),
      Student's two-sample t-test, against statsmodels' ``TTestIndPower`` (non-central t).
    * ``score_normal`` - the same data, a z-test with known SD 1, against statsmodels'
      ``NormalIndPower`` (closed form).

    ``agrees``: the theory value lies in the 99% Clopper-Pearson interval of the Monte-Carlo
    power (so about 1 in 100 correct checks fails by chance).
    """
    from statsmodels.stats.power import NormalIndPower, TTestIndPower

    rng = np.random.default_rng(seed)
    rows = []
    n_het, n_non, p_het, p_non = fisher
    k = 0
    for _ in range(replicates):
        a = int((rng.random(n_het) < p_het).sum())
        b = int((rng.random(n_non) < p_non).sum())
        k += stats.fisher_exact([[a, n_het - a], [b, n_non - b]])[1] < alpha
    settings = f"n_het={n_het}, n_nonhet={n_non}, pcr_het={p_het:.3g}, pcr_nonhet={p_non:.3g}"
    exact = fisher_power_exact(n_het, n_non, p_het, p_non, alpha)
    rows.append(_theory_row("fisher_fixed", settings, "Fisher exact", "exact enumeration",
                            exact, int(k), replicates))  # fmt: skip
    if fisher_design is not None:
        d = fisher_design
        k = 0
        for r in range(replicates):
            rep = simulate_replicate(d, np.random.default_rng([seed, r]), with_counts=False)
            res = het_pcr_fisher(rep)
            k += not isinstance(res, str) and res[0] < alpha
        settings = (
            f"n_patients={d.n_patients}, het_prevalence={d.het_prevalence:.3g}, "
            f"pcr_het={d.pcr_het:.3g}, pcr_nonhet={d.pcr_nonhet:.3g}"
        )
        rows.append(_theory_row("fisher_design", settings, "Fisher exact (het_pcr_fisher)",
                                "exact enumeration over binomial HET counts",
                                fisher_power_design(d, alpha), int(k), replicates))  # fmt: skip
    n_a, n_b, eff = score
    k_t = k_z = 0
    pcr = np.r_[np.ones(n_a, bool), np.zeros(n_b, bool)]
    for _ in range(replicates):
        x = observed_score(rng, pcr, eff, np.ones(n_a + n_b), 0.0)
        k_t += stats.ttest_ind(x[pcr], x[~pcr]).pvalue < alpha
        z = (x[pcr].mean() - x[~pcr].mean()) / np.sqrt(1 / n_a + 1 / n_b)
        k_z += 2 * stats.norm.sf(abs(z)) < alpha
    settings = f"n_a={n_a}, n_b={n_b}, d={eff:.3g}"
    t_pow = float(TTestIndPower().power(eff, nobs1=n_a, alpha=alpha, ratio=n_b / n_a))
    z_pow = float(NormalIndPower().power(eff, nobs1=n_a, alpha=alpha, ratio=n_b / n_a))
    rows.append(_theory_row("score_ttest", settings, "Student t", "statsmodels TTestIndPower",
                            t_pow, int(k_t), replicates))  # fmt: skip
    rows.append(_theory_row("score_normal", settings, "z (known SD)",
                            "statsmodels NormalIndPower", z_pow, int(k_z), replicates))  # fmt: skip
    return pd.DataFrame(rows, columns=list(THEORY_COLUMNS))


# --------------------------------------------------------------------------------------------
# The approximation of the DE part against the workflow's own DE (her2het.de.run_design)
# --------------------------------------------------------------------------------------------

WORKFLOW_CONTRASTS: tuple[dict[str, Any], ...] = (
    {
        "id": "post_vs_pre_nonHET",
        "subset": {"HET": [0]},
        "variable": "timepoint",
        "reference": "pre",
        "target": "post",
        "paired": True,
    },
    {
        "id": "treatment_HET_vs_nonHET",
        "variable": "timepoint",
        "reference": "pre",
        "target": "post",
        "paired": True,
        "interaction": "HET",
    },
)  # fmt: skip  (copies of the default config's entries)


def replicate_sheets(rep: Replicate) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paired patients' counts (samples x genes) and sample metadata of one replicate.

    One baseline row per patient (its biopsies already summed, as the workflow's
    ``level: patient`` collapses them) and one residual row, with ``patient``, ``timepoint``
    and ``HET`` - the input of :func:`her2het.de.run_design`.
    """
    m = len(rep.paired_het)
    ids = [f"P{i:03d}" for i in range(m)]
    samples = [f"{p}_pre" for p in ids] + [f"{p}_post" for p in ids]
    counts = pd.DataFrame(
        np.r_[rep.counts_pre, rep.counts_post],
        index=samples,
        columns=[f"G{j:04d}" for j in range(rep.counts_pre.shape[1])],
    )
    meta = pd.DataFrame(
        {
            "patient": ids * 2,
            "timepoint": ["pre"] * m + ["post"] * m,
            "HET": np.r_[rep.paired_het, rep.paired_het].astype(int),
        },
        index=samples,
    )
    return counts, meta


APPROXIMATION_COLUMNS: tuple[str, ...] = (
    "test", "replicates", "power_calculator", "power_workflow", "agreement",
    "both_detect", "calculator_only", "workflow_only",
)  # fmt: skip


def workflow_agreement(
    design: PowerDesign, *, replicates: int = 20, seed: int = 1, alpha: float = 0.05
) -> pd.DataFrame:
    """Detection by :func:`fit_de` vs the workflow's :func:`her2het.de.run_design`.

    The same replicates (streams ``(seed, 0, r)``, as design 0 of :func:`power_table`) go
    through both; a replicate "detects" when any gene has ``padj < alpha``. Columns
    :data:`APPROXIMATION_COLUMNS` (``agreement``: share of replicates with the same call).
    """
    from her2het import de

    contrasts = de.parse_contrasts(WORKFLOW_CONTRASTS)
    test_of = {"post_vs_pre_nonHET": "de_post_vs_pre_nonHET",
               "treatment_HET_vs_nonHET": "de_interaction"}  # fmt: skip
    calls: dict[str, list[tuple[bool, bool]]] = {t: [] for t in test_of.values()}
    for r in range(replicates):
        rng = np.random.default_rng([seed, 0, r])
        rep = simulate_replicate(design, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fast = replicate_tests(rep, rng, alpha=alpha)
            counts, meta = replicate_sheets(rep)
            for c in contrasts:
                test = test_of[c.id]
                mine = fast.get(test)
                if not isinstance(mine, tuple):
                    continue
                _, row = de.run_design(counts, meta, [c], alpha=alpha, shrink=False)[c.id]
                full = str(row["status"]).startswith("ok") and row["de_up"] + row["de_down"] > 0
                calls[test].append((mine[0], bool(full)))
    rows = []
    for test, pairs in calls.items():
        a = np.array(pairs, dtype=bool).reshape(-1, 2)
        n = len(a)
        rows.append({
            "test": test, "replicates": n,
            "power_calculator": a[:, 0].mean() if n else np.nan,
            "power_workflow": a[:, 1].mean() if n else np.nan,
            "agreement": (a[:, 0] == a[:, 1]).mean() if n else np.nan,
            "both_detect": int((a[:, 0] & a[:, 1]).sum()),
            "calculator_only": int((a[:, 0] & ~a[:, 1]).sum()),
            "workflow_only": int((~a[:, 0] & a[:, 1]).sum()),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(APPROXIMATION_COLUMNS))


# --------------------------------------------------------------------------------------------
# Config entry point
# --------------------------------------------------------------------------------------------


def run_power(cfg: Mapping[str, Any], *, cores: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Power table (the grid plus the trial's design, named ``trial``) and theory table.

    ``cfg`` is the config's ``power`` section: ``grid`` (design parameter -> values),
    ``base`` (the other parameters), ``replicates``, ``seed``, ``alpha``,
    ``n_permutations``, ``de``, ``de_dispersions`` (``map`` or ``genewise``) and
    ``theory_replicates``.
    """
    base = dict(cfg.get("base", {}))
    designs = design_grid(cfg.get("grid", {}), base) + [trial_design(base)]
    names = [f"d{i + 1:02d}" for i in range(len(designs) - 1)] + ["trial"]
    table = power_table(
        designs,
        replicates=int(cfg.get("replicates", 200)),
        seed=int(cfg.get("seed", 1)),
        alpha=float(cfg.get("alpha", 0.05)),
        n_permutations=int(cfg.get("n_permutations", 999)),
        de=bool(cfg.get("de", True)),
        map_dispersions=cfg.get("de_dispersions", "map") == "map",
        cores=cores,
        names=names,
    )
    theory = theory_checks(
        replicates=int(cfg.get("theory_replicates", 2000)),
        seed=int(cfg.get("seed", 1)),
        alpha=float(cfg.get("alpha", 0.05)),
        fisher_design=THEORY_DESIGN,
    )
    return table, theory
