"""The study's headline findings as pre-declared, significance-based checks on this run's tables.

Each finding of the reproduced study (Li et al., JCI 2024; findings 1-5) is turned into checks
read from the result tables. Every check is declared before the data are seen, with

* a **role**: one ``primary`` check per finding (the test that decides the finding), further
  ``supporting`` checks, and ``description`` rows (numbers shown for context, never tested);
* an **expected direction** (``higher``/``lower``/``smaller``/``more``) and a **test** (the
  association table's patient-level test, or one computed here).

Verdict (column ``verdict``), at the configured ``alpha`` on the multiplicity-adjusted p-value:

* ``agrees`` - the direction is the expected one *and* the adjusted p-value is below alpha;
* ``direction only`` - the expected direction, not significant;
* ``disagrees`` - the opposite direction (the ``note`` says whether significantly so);
* ``not tested`` - not estimable in this run; the ``note`` gives the reason.

Multiplicity. The primary checks (at most five, one per finding) are one family under Holm's
step-down procedure, which controls the family-wise error rate at ``alpha``: on data with no
effect at all, the chance that *any* finding ``agrees`` is at most alpha (each test is
two-sided, so a finding ``agrees`` by chance with probability at most alpha / 2 per direction).
Supporting checks are one second family under Benjamini-Hochberg (false-discovery rate
``alpha``): they are corroboration, where a few false positives among many are tolerable, and
their verdicts never change a primary verdict. ``p_adjusted`` and ``adjustment`` say which was
applied.

Power (column ``power``) is the chance the check's test reaches significance at its sample
sizes for a pre-declared effect (``power_effect``: a standardised difference for location
tests, ``power_odds_ratio`` for the pCR odds ratio), at alpha / (number of primary checks) for
primary rows (Holm's first step, conservative). It is what decides whether ``direction only``
is weak evidence against the finding (high power) or an underpowered check (e.g. 14 HET
patients). It is a design quantity, never the "observed power" of the estimate.

The pre-declared checks (:data:`CHECKS`; ``*`` = primary):

1. ``*`` baseline ERBB2 mRNA, pCR vs no pCR (Mann-Whitney); ERBB signalling score vs pCR;
   non-HET/pCR higher than every other patient group (intersection-union test: the largest of
   the pairwise Mann-Whitney p-values).
2. ``*`` pCR by HET (Fisher's exact test, odds ratio < 1); Firth odds ratios ``pCR ~ HET`` and
   ``pCR ~ HET + HR``; HET vs non-HET among patients without pCR: ERBB2 lower, basal-like and
   ERBB downstream scores higher (the downstream set must not contain ERBB2, else
   "low ERBB2 yet high signalling" would be circular - see :func:`circularity`); residual
   cancer burden higher in HET (proportional odds; RCB is ordinal, so unlike pCR it does not
   separate when no HET patient has pCR).
3. ``*`` decreased HER2 in residual tumours (non-HET patients, paired Wilcoxon), measured by
   the first of FISH ERBB2/CEP17 ratio, HER2 IHC score (protein), ERBB2 mRNA that the tables
   have (a choice made on which columns exist, never on their values) - the row's
   ``measures`` says which; the others, % amplified cells, PI3K and luminal scores are
   supporting; FISH HET gained vs lost (one pre-declared baseline biopsy per patient against
   the residual sample, a residual turned HER2-negative counted apart:
   :func:`fish_het_change`); subtype shift to luminal.
4. ``*`` the HET x treatment interaction: the treatment effect is smaller in HET
   (:func:`treatment_attenuation`, permutation over patients); genes with a significant
   interaction (the DE interaction contrast); DE-gene counts per group as description only.
5. ``*`` T-cell score, pCR vs no pCR; cytotoxic score vs pCR; T-cell score lower in HET.

:func:`findings` columns (:data:`FINDINGS_COLUMNS`): ``finding``, ``figure``, ``claim``,
``role``, ``check``, ``measures``, ``source``, ``feature``, ``expected``, ``test``, ``n``
(patients per compared group), ``estimate`` (difference of medians, odds ratio, count or
ratio; see ``note``), ``effect_size``, ``pvalue``, ``p_adjusted``, ``adjustment``, ``alpha``,
``verdict``, ``power``, ``note``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from her2het.cohort import het_side

FINDINGS_COLUMNS: tuple[str, ...] = (
    "finding", "figure", "claim", "role", "check", "measures", "source", "feature", "expected",
    "test", "n", "estimate", "effect_size", "pvalue", "p_adjusted", "adjustment", "alpha",
    "verdict", "power", "note",
)  # fmt: skip
VERDICTS: tuple[str, ...] = ("agrees", "direction only", "disagrees", "not tested")

CLAIMS: dict[int, str] = {
    1: "Pretreatment tumours of patients with pCR had the highest ERBB2 mRNA and ERBB signalling",
    2: "HET: no pCR, basal-like features, low ERBB2 yet ERBB signalling sustained downstream",
    3: "Residual tumours: decreased HER2, more ERBB2 heterogeneity, more PI3K and luminal",
    4: "HET tumours changed less with treatment than non-HET tumours",
    5: "Immune infiltration correlated with pCR and with HET status",
}
FIGURE_OF = {1: "fig2", 2: "fig3", 3: "fig4", 4: "fig4", 5: "fig5"}

VS_PCR = "features vs pCR"
HET_NOPCR = "groups:HET/no-pCR vs nonHET/no-pCR"
PRE_POST = "pre_post:nonHET"
RCB_HET = "RCB vs HET"
INTERACTION_CONTRAST = "treatment_HET_vs_nonHET"
# what "decreased HER2" is measured by: the primary check uses the first of these the tables
# have (FISH ratio: the trial's HER2 assay, quantitative; IHC: protein, but an area score
# that saturates at 3+; mRNA last), the others are supporting
HER2_MEASURES: tuple[tuple[str, str], ...] = (
    ("fish_ratio", "ERBB2 gene amplification (FISH ERBB2/CEP17 ratio)"),
    ("fish_ihc_score", "HER2 protein (IHC score 0-3 of the FISH areas)"),
    ("ERBB2", "ERBB2 mRNA (VST)"),
)


@dataclass(frozen=True)
class Check:
    """A pre-declared check of an association-table row (``family``, ``feature``)."""

    finding: int
    role: str
    family: str
    feature: str
    sign: int
    check: str
    measures: str = ""


CHECKS: tuple[Check, ...] = (
    Check(1, "primary", VS_PCR, "ERBB2", 1, "baseline ERBB2 mRNA, pCR vs no pCR", "ERBB2 mRNA (VST)"),
    Check(1, "supporting", VS_PCR, "ERBB_SIGNALLING", 1, "baseline ERBB signalling score, pCR vs no pCR"),
    Check(2, "primary", "HET vs pCR", "HET", -1, "odds ratio of pCR, HET vs non-HET"),
    Check(2, "supporting", HET_NOPCR, "ERBB2", -1, "baseline ERBB2 mRNA, HET vs non-HET (no pCR)", "ERBB2 mRNA (VST)"),
    Check(2, "supporting", HET_NOPCR, "BASAL_LIKE", 1, "baseline basal-like score, HET vs non-HET (no pCR)"),
    Check(2, "supporting", HET_NOPCR, "ERBB_DOWNSTREAM", 1, "ERBB downstream score (no ERBB2 in the set), HET vs non-HET (no pCR)"),
    Check(2, "supporting", RCB_HET, "HET", 1, "residual cancer burden (RCB 0-III), HET vs non-HET"),
    Check(3, "supporting", PRE_POST, "fish_pct_amplified", -1, "% ERBB2-amplified cells, residual vs baseline (non-HET, paired)", "FISH % amplified cells"),
    Check(3, "supporting", PRE_POST, "PI3K_AKT_MTOR_CORE", 1, "PI3K score, residual vs baseline (non-HET, paired)"),
    Check(3, "supporting", PRE_POST, "ESTROGEN_RESPONSE_LUMINAL", 1, "luminal score, residual vs baseline (non-HET, paired)"),
    Check(5, "primary", VS_PCR, "IMMUNE_T_CELLS", 1, "T-cell score, pCR vs no pCR"),
    Check(5, "supporting", VS_PCR, "IMMUNE_CYTOTOXIC", 1, "cytotoxic-cell score, pCR vs no pCR"),
    Check(5, "supporting", HET_NOPCR, "IMMUNE_T_CELLS", -1, "T-cell score, HET vs non-HET (no pCR)"),
)  # fmt: skip
# the gene-set scores whose genes a finding's claim is about (checked for circularity)
NO_ERBB2_SETS: tuple[str, ...] = ("ERBB_DOWNSTREAM",)


def _row(finding: int, **kw: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(FINDINGS_COLUMNS, np.nan)
    row.update(finding=finding, figure=FIGURE_OF[finding], claim=CLAIMS[finding], note="")
    row.update(measures="", role="supporting")
    row.update(kw)
    return row


def _direction(value: float, sign: int) -> object:
    """True when ``value`` has the expected ``sign``, False when not, NA when missing."""
    if value is None or pd.isna(value):
        return pd.NA
    return bool(np.sign(value) == sign)


# --------------------------------------------------------------------------------------------
# Power (design quantities at the observed group sizes)
# --------------------------------------------------------------------------------------------


def power_two_sample(n_a: float, n_b: float, effect: float, alpha: float) -> float:
    """Power of a two-sided two-sample location test for a standardised difference ``effect``.

    Non-central t at the Mann-Whitney test's asymptotic relative efficiency 3/pi against the
    t-test (normal data), i.e. the t-test's power with 95.5% of the patients.
    """
    if not (n_a >= 2 and n_b >= 2):
        return np.nan
    are = 3.0 / np.pi
    n_a, n_b = are * n_a, are * n_b
    df = n_a + n_b - 2
    nc = effect * np.sqrt(n_a * n_b / (n_a + n_b))
    t = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(t, df, nc) + stats.nct.cdf(-t, df, nc))


def power_paired(n: float, effect: float, alpha: float) -> float:
    """Power of a two-sided signed-rank test for a standardised paired difference ``effect``."""
    if not n >= 3:
        return np.nan
    n = 3.0 / np.pi * n
    df = n - 1
    t = stats.t.ppf(1 - alpha / 2, df)
    nc = effect * np.sqrt(n)
    return float(stats.nct.sf(t, df, nc) + stats.nct.cdf(-t, df, nc))


def power_fisher(n_a: int, n_b: int, p_b: float, odds_ratio: float, alpha: float) -> float:
    """Exact power of Fisher's two-sided test: group a's rate has ``odds_ratio`` vs rate ``p_b``.

    Sums the binomial probabilities of every 2 x 2 table whose Fisher p-value (two-sided, as
    scipy: the tables no more likely than the observed one under the hypergeometric null)
    is below alpha.
    """
    if not (n_a >= 1 and n_b >= 1) or not 0 < p_b < 1:
        return np.nan
    odds = odds_ratio * p_b / (1 - p_b)
    p_a = odds / (1 + odds)
    a = np.arange(n_a + 1)
    pa = stats.binom.pmf(a, n_a, p_a)
    pb = stats.binom.pmf(np.arange(n_b + 1), n_b, p_b)
    total = 0.0
    for m in range(n_a + n_b + 1):  # the total number of responders (Fisher's margin)
        lo, hi = max(0, m - n_b), min(n_a, m)
        k = np.arange(lo, hi + 1)
        null = stats.hypergeom.pmf(k, n_a + n_b, n_a, m)
        pval = np.array([null[null <= v * (1 + 1e-7)].sum() for v in null])
        reject = k[pval < alpha]
        total += float(np.sum(pa[reject] * pb[m - reject]))
    return total


# --------------------------------------------------------------------------------------------
# Finding 3: FISH HET gained / lost, like with like
# --------------------------------------------------------------------------------------------

FISH_CHANGE_COLUMNS: tuple[str, ...] = (
    "patient", "baseline_sample", "residual_sample", "baseline_het", "residual_het",
    "residual_result", "change",
)  # fmt: skip


def fish_het_change(
    fish_samples: pd.DataFrame, sample_sheet: pd.DataFrame, *, baseline_biopsy: str = "first"
) -> pd.DataFrame:
    """Trial-definition FISH HET of one baseline biopsy vs the residual sample, per patient.

    Like with like: a patient's baseline is *one* pre-declared biopsy, never "HET in any of
    two biopsies" (which, against a single residual sample, is more often HET by construction
    and so favours "lost"). ``baseline_biopsy``: ``first`` = the patient's baseline sample with
    the smallest ``biopsy`` label (sample ID when the sheet has no biopsy column), or a biopsy
    label (e.g. ``B1``); patients without that biopsy are left out. A residual tumour that is
    HER2-negative by ASCO/CAP (``asco_cap_result``) is its own category,
    ``turned HER2-negative``, not "gained HET" (the trial's per-area definition calls a
    HER2-negative area HET).

    Returns :data:`FISH_CHANGE_COLUMNS`; ``change`` is ``gained``, ``lost``, ``unchanged`` or
    ``turned HER2-negative``.
    """
    sheet = sample_sheet.astype({"sample": str, "patient": str})
    cols = ["sample", "patient", "timepoint"] + (["biopsy"] if "biopsy" in sheet else [])
    f = fish_samples.astype({"sample": str}).merge(sheet[cols], on="sample")
    f = f[f["het_trial"].isin(["HET", "non-HET"])]
    if "biopsy" not in f:
        f["biopsy"] = f["sample"]
    pre = f[f["timepoint"] == "pre"].sort_values(["patient", "biopsy", "sample"], kind="stable")
    if baseline_biopsy != "first":
        pre = pre[pre["biopsy"].astype(str) == str(baseline_biopsy)]
    pre = pre.drop_duplicates("patient").set_index("patient")
    post = f[f["timepoint"] == "post"].sort_values(["patient", "sample"], kind="stable")
    post = post.drop_duplicates("patient").set_index("patient")
    both = pre.index.intersection(post.index).sort_values()
    if not len(both):
        return pd.DataFrame(columns=list(FISH_CHANGE_COLUMNS))
    result = post["asco_cap_result"] if "asco_cap_result" in post else pd.Series("", post.index)
    out = pd.DataFrame(
        {
            "patient": both,
            "baseline_sample": pre.loc[both, "sample"].to_numpy(),
            "residual_sample": post.loc[both, "sample"].to_numpy(),
            "baseline_het": pre.loc[both, "het_trial"].to_numpy(),
            "residual_het": post.loc[both, "het_trial"].to_numpy(),
            "residual_result": result.reindex(both).astype(str).to_numpy(),
        }
    )
    change = np.where(
        out["baseline_het"] == out["residual_het"],
        "unchanged",
        np.where(out["residual_het"] == "HET", "gained", "lost"),
    ).astype(object)
    change[(out["residual_result"] == "negative").to_numpy()] = "turned HER2-negative"
    out["change"] = change
    return out


# --------------------------------------------------------------------------------------------
# Finding 4: is the treatment effect smaller in HET? (patient-level permutation test)
# --------------------------------------------------------------------------------------------


@dataclass
class Attenuation:
    """Result of :func:`treatment_attenuation`."""

    n_het: int
    n_nonhet: int
    n_genes: int
    response_het: float
    response_nonhet: float
    ratio: float
    statistic: float
    pvalue: float
    n_permutations: int
    selection: str
    response: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per patient: ``patient``, ``HET``, ``response`` (mean signed change, VST)."""


def treatment_attenuation(
    delta: pd.DataFrame,
    het: pd.Series,
    *,
    alpha: float = 0.05,
    max_genes: int = 500,
    n_permutations: int = 9999,
    seed: int = 1,
) -> Attenuation:
    """Global test that the treatment effect is smaller in HET than in non-HET patients.

    Parameters
    ----------
    delta
        Patients x genes: residual minus baseline expression (VST; the baseline is the mean of
        the patient's baseline biopsies), patients with both timepoints only.
    het
        1 = HET, 0 = non-HET, indexed like ``delta``.

    Method. The genes changed by treatment are chosen *without the HET labels*: a paired t-test
    of ``delta`` over all patients (Benjamini-Hochberg q < ``alpha``, at most ``max_genes``
    by p-value; the 50 smallest p-values when none pass), each with the sign of its mean
    change. Choosing them among non-HET patients only would make non-HET look more responsive
    by selection alone (the winner's curse), a bias towards "HET changed less": on simulated
    cohorts with equal effects (115 + 14 patients, 43 paired, 200 seeds) that choice gave
    "smaller in HET" at p < 0.05 in 12.0% of seeds, this one in 3.0% (nominal 2.5%). Each patient's
    treatment response is the mean signed change over those genes; the statistic is the mean
    response of HET minus non-HET patients (negative = smaller in HET) and ``ratio`` is HET's
    mean response as a fraction of non-HET's (the share of the non-HET treatment effect seen in
    HET). Because the gene choice does not use the labels, permuting the HET labels over
    patients gives an exact two-sided p-value: over every relabelling when there are at most
    ``n_permutations`` of them, else (1 + #|T*| >= |T|) / (1 + n_permutations) over random ones.
    """
    het = het.reindex(delta.index)
    ok = het.notna().to_numpy() & delta.notna().all(axis=1).to_numpy()
    d, h = delta.loc[ok].to_numpy(float), het[ok].to_numpy().astype(int)
    n_het, n_non = int(h.sum()), int((1 - h).sum())
    if n_het < 2 or n_non < 2:
        raise ValueError(f"{n_het} HET and {n_non} non-HET patients with both timepoints")
    t, p = stats.ttest_1samp(d, 0.0, axis=0)
    p = np.where(np.isfinite(p), p, 1.0)
    q = stats.false_discovery_control(p, method="bh")
    order = np.argsort(p, kind="stable")
    chosen = order[q[order] < alpha][:max_genes]
    selection = f"{len(chosen)} genes with paired q < {alpha:g} (all patients, labels unused)"
    if len(chosen) == 0:
        chosen = order[:50]
        selection = "no gene at paired q < alpha: the 50 smallest paired p-values (all patients)"
    signs = np.sign(np.nan_to_num(t[chosen]))
    response = (d[:, chosen] * signs).mean(axis=1)

    def diff(labels: np.ndarray) -> float:
        return float(response[labels == 1].mean() - response[labels == 0].mean())

    obs = diff(h)
    n = len(h)
    if math.comb(n, n_het) <= n_permutations:  # few patients: every relabelling, exact
        perm = np.empty(math.comb(n, n_het))
        for i, idx in enumerate(itertools.combinations(range(n), n_het)):
            lab = np.zeros(n, dtype=int)
            lab[list(idx)] = 1
            perm[i] = diff(lab)
        pval = float(np.mean(np.abs(perm) >= abs(obs) - 1e-12))
        n_permutations = len(perm)
    else:
        rng = np.random.default_rng(seed)
        perm = np.array([diff(rng.permutation(h)) for _ in range(n_permutations)])
        pval = (1 + int(np.sum(np.abs(perm) >= abs(obs) - 1e-12))) / (1 + n_permutations)
    r_het, r_non = float(response[h == 1].mean()), float(response[h == 0].mean())
    return Attenuation(
        n_het=n_het, n_nonhet=n_non, n_genes=len(chosen), response_het=r_het,
        response_nonhet=r_non, ratio=r_het / r_non if r_non else np.nan, statistic=obs,
        pvalue=pval, n_permutations=n_permutations, selection=selection,
        response=pd.DataFrame(
            {"patient": delta.index[ok].astype(str), "HET": h, "response": response}
        ),
    )  # fmt: skip


def pre_post_delta(
    expression: pd.DataFrame, samples: pd.DataFrame, patients: pd.DataFrame
) -> tuple[pd.DataFrame, pd.Series]:
    """Residual minus baseline expression per patient (mean of baseline biopsies) and HET.

    ``expression`` is samples x genes (VST, index = sample). Returns ``delta`` (patients with
    both timepoints x genes) and their ``HET`` (NaN when unknown).
    """
    meta = samples[["sample", "patient", "timepoint"]].astype(str).set_index("sample")
    df = meta.join(expression.set_axis(expression.index.astype(str)), how="inner")
    means = df.groupby(["patient", "timepoint"]).mean(numeric_only=True)
    tps = means.index.get_level_values("timepoint")
    pre = means[tps == "pre"].droplevel("timepoint")
    post = means[tps == "post"].droplevel("timepoint")
    both = pre.index.intersection(post.index).sort_values()
    delta = post.loc[both] - pre.loc[both]
    het = patients.astype({"patient": str}).set_index("patient")["HET"]
    return delta, het.reindex(both).astype(float)


# --------------------------------------------------------------------------------------------
# Circularity
# --------------------------------------------------------------------------------------------


def circularity(gene_sets: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Problems with the sets a finding's claim needs free of ERBB2 (set -> message).

    Finding 2 says HET tumours have *low ERBB2 yet high signalling*: a signalling score that
    contains ERBB2 is pulled down with ERBB2 and cannot show signalling independent of it.
    """
    return {
        name: f"gene set {name} contains ERBB2; finding 2 needs a signalling set without it"
        for name in NO_ERBB2_SETS
        if name in gene_sets and "ERBB2" in set(gene_sets[name])
    }


# --------------------------------------------------------------------------------------------
# The findings table
# --------------------------------------------------------------------------------------------


def _assoc_check(
    a: pd.DataFrame, c: Check, *, role: str | None = None, measures: str | None = None
) -> dict[str, object]:
    expected = {1: "higher", -1: "lower"}[c.sign]
    base = {
        "role": role or c.role, "check": c.check, "measures": measures or c.measures,
        "source": f"outcome/associations.tsv: {c.family}", "feature": c.feature,
        "expected": expected,
    }  # fmt: skip
    r = a[(a["family"] == c.family) & (a["feature"] == c.feature)]
    if c.family == "HET vs pCR":
        r = r[r["test"] == "Fisher exact"]
    if r.empty:
        why = "not in this run's tables"
        if c.family == RCB_HET:
            why = "the patient sheet has no RCB column (residual cancer burden 0-III)"
        return _row(c.finding, **base, _dir=pd.NA, note=why)
    r = r.iloc[0]
    n = f"{int(r['n_a'])} vs {int(r['n_b'])}" if pd.notna(r.get("n_a")) else ""
    if c.family == "HET vs pCR":  # odds ratio: direction from log OR
        est = r["estimate"]
        lo = np.log(est) if pd.notna(est) and est > 0 else (-np.inf if est == 0 else np.nan)
        return _row(
            c.finding, **base, test="Fisher exact", n=n, estimate=est, effect_size=lo,
            pvalue=r["pvalue"], _dir=_direction(lo, c.sign), _power=("fisher", r),
            note=f"odds ratio of pCR (HET vs non-HET), exact 95% CI {r['ci_low']:.3g}-{r['ci_high']:.3g}",
        )  # fmt: skip
    if pd.isna(r["pvalue"]):
        why = r.get("note", "")
        if not isinstance(why, str) or not why:
            why = "too few patients, or no patient's value differs"
        return _row(
            c.finding, **base, test=r["test"], n=n, _dir=pd.NA, note=f"not estimable: {why}"
        )  # fmt: skip
    kind = "paired" if str(r["test"]).startswith("Wilcoxon") else "two"
    return _row(
        c.finding, **base, test=r["test"], n=n, estimate=r["estimate"],
        effect_size=r["effect_size"], pvalue=r["pvalue"], _dir=_direction(r["effect_size"], c.sign),
        _power=(kind, r), note=f"estimate: {r.get('estimate_name', '')}; effect size: {r.get('effect_size_name', '')}",
    )  # fmt: skip


def _highest_group(a: pd.DataFrame) -> dict[str, object]:
    """Finding 1: non-HET/pCR above every other group (intersection-union test)."""
    base = {
        "check": "baseline ERBB2 mRNA: non-HET/pCR higher than every other patient group",
        "measures": "ERBB2 mRNA (VST)", "source": "outcome/associations.tsv: groups:*",
        "feature": "ERBB2", "expected": "higher",
        "test": "Mann-Whitney U per pair; intersection-union (largest p)",
    }  # fmt: skip
    fam = a["family"].astype(str)
    pairs = a[fam.str.startswith("groups:") & fam.str.contains("nonHET/pCR", regex=False)]
    pairs = pairs[(pairs["feature"] == "ERBB2") & pairs["pvalue"].notna()]
    if pairs.empty:
        return _row(1, **base, _dir=pd.NA, note="no pairwise group comparison in this run")
    # effect_size is positive when group_a is higher; orient to "non-HET/pCR higher"
    oriented = np.where(pairs["group_a"] == "nonHET/pCR", 1, -1) * pairs["effect_size"]
    others = np.where(pairs["group_a"] == "nonHET/pCR", pairs["group_b"], pairs["group_a"])
    worst = int(np.argmin(oriented.to_numpy()))
    return _row(
        1, **base, effect_size=float(oriented.min()), pvalue=float(pairs["pvalue"].max()),
        _dir=bool((oriented > 0).all()),
        note="smallest rank-biserial vs " + str(others[worst]) + "; groups: " + ", ".join(others),
    )  # fmt: skip


def _counts_check(
    finding: int, k: int, m: int, *, expected: str, check: str, source: str, feature: str,
    note: str,
) -> dict[str, object]:  # fmt: skip
    """``k`` (expected direction) vs ``m`` with an exact two-sided sign test."""
    p = float(stats.binomtest(k, k + m).pvalue) if k + m else np.nan
    return _row(
        finding, check=check, source=source, feature=feature, expected=expected,
        test="exact sign test", n=f"{k} vs {m}", estimate=k - m, effect_size=k - m, pvalue=p,
        _dir=_direction(k - m, 1) if k + m else pd.NA,
        note=note if k + m else note + "; no patient changed",
    )  # fmt: skip


def _interaction_rows(
    interaction: pd.DataFrame | None, de: pd.DataFrame | None, alpha: float
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    base = {
        "check": "genes with a significant HET x treatment interaction, smaller effect in HET",
        "source": f"de/contrasts/{INTERACTION_CONTRAST}.tsv", "feature": INTERACTION_CONTRAST,
        "expected": "smaller", "test": "Wald (DESeq2 interaction); Simes global p = min padj",
    }  # fmt: skip
    status = ""
    if de is not None and INTERACTION_CONTRAST in set(de["contrast"]):
        status = str(de.set_index("contrast").at[INTERACTION_CONTRAST, "status"])
    if interaction is None or not status.startswith("ok"):
        why = status or "the interaction contrast is not configured"
        rows.append(_row(4, **base, _dir=pd.NA, note=f"not tested: {why}"))
    else:
        t = interaction.dropna(subset=["padj"])
        effect_cols = [c for c in t.columns if c.startswith("log2FC_in_")]
        het_col = next((c for c in effect_cols if c.endswith("_1")), None)
        non_col = next((c for c in effect_cols if c.endswith("_0")), None)
        if t.empty or het_col is None or non_col is None:
            rows.append(_row(4, **base, _dir=pd.NA, note="not tested: no gene tested"))
        else:
            sig = t[t["padj"] < alpha]
            pool = sig if len(sig) else t.nsmallest(50, "pvalue")
            smaller = int((pool[het_col].abs() < pool[non_col].abs()).sum())
            larger = len(pool) - smaller
            rows.append(
                _row(
                    4,
                    **base,
                    n=f"{len(sig)} of {len(t)} genes",
                    estimate=len(sig),
                    effect_size=smaller - larger,
                    pvalue=float(t["padj"].min()),
                    _dir=_direction(smaller - larger, 1),
                    note=(
                        f"{len(sig)} genes at padj < {alpha:g}; of "
                        + ("them" if len(sig) else "the 50 smallest p-values")
                        + f", {smaller} change less in HET, {larger} more"
                    ),
                )
            )
    if de is not None:
        d = de.set_index("contrast")
        pair = ("post_vs_pre_HET", "post_vs_pre_nonHET")
        if set(pair) <= set(d.index):
            ok = [str(d.at[c, "status"]).startswith("ok") for c in pair]
            n = [
                int(d.at[c, "de_up"] + d.at[c, "de_down"]) if o else None
                for c, o in zip(pair, ok, strict=True)
            ]
            units = [d.at[c, "units_target"] for c in pair]
            note = "description only (more patients = more power, so counts are not a test); "
            note += "; ".join(
                f"{c}: {k} genes, {u} patients" if k is not None else f"{c}: {d.at[c, 'status']}"
                for c, k, u in zip(pair, n, units, strict=True)
            )  # fmt: skip
            rows.append(
                _row(
                    4, role="description", check="DE genes after treatment (padj < alpha): HET vs non-HET",
                    source="de/summary.tsv", feature="post_vs_pre", expected="fewer",
                    test="none (description)",
                    estimate=(n[0] - n[1]) if None not in n else np.nan, _dir=pd.NA,
                    note="not tested: " + note,
                )
            )  # fmt: skip
    return rows


def _attenuation_row(att: Attenuation | str | None) -> dict[str, object]:
    base = {
        "role": "primary", "check": "treatment effect (post vs pre) smaller in HET than in non-HET",
        "measures": "mean signed change over treatment-changed genes, per patient (VST)",
        "source": "expression + sheets (paired patients)", "feature": "HET x treatment",
        "expected": "smaller", "test": "permutation of HET labels over patients",
    }  # fmt: skip
    if att is None or isinstance(att, str):
        return _row(4, **base, _dir=pd.NA, note=f"not tested: {att or 'no paired patients'}")
    return _row(
        4, **base, n=f"{att.n_het} vs {att.n_nonhet}", estimate=att.ratio,
        effect_size=att.statistic, pvalue=att.pvalue, _dir=_direction(att.statistic, -1),
        _power=("two_n", (att.n_het, att.n_nonhet)),
        note=(
            f"estimate: HET response as a fraction of non-HET's ({att.response_het:.3g} / "
            f"{att.response_nonhet:.3g}); effect size: HET minus non-HET mean response; "
            f"{att.selection}; {att.n_permutations} permutations"
        ),
    )  # fmt: skip


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p, kind="stable")
    m = len(p)
    adj = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def _verdict(direction: object, p_adj: float, alpha: float) -> tuple[str, str]:
    if direction is pd.NA or direction is None or pd.isna(p_adj):
        return "not tested", ""
    if direction:
        return ("agrees", "") if p_adj < alpha else ("direction only", "")
    if p_adj < alpha:
        return "disagrees", "significant in the opposite direction"
    return "disagrees", "opposite direction, not significant"


def _power(spec: object, alpha: float, effect: float, odds_ratio: float) -> float:
    if spec is None or (isinstance(spec, float) and np.isnan(spec)):
        return np.nan
    kind, r = spec  # type: ignore[misc]
    if kind == "two_n":
        return power_two_sample(r[0], r[1], effect, alpha)
    if kind == "two":
        return power_two_sample(r["n_a"], r["n_b"], effect, alpha)
    if kind == "paired":
        return power_paired(r["n_a"], effect, alpha)
    if kind == "fisher":
        return power_fisher(int(r["n_a"]), int(r["n_b"]), float(r["median_b"]), odds_ratio, alpha)
    return np.nan


def findings(
    associations: pd.DataFrame,
    patients: pd.DataFrame,
    de_summary: pd.DataFrame | None = None,
    *,
    interaction: pd.DataFrame | None = None,
    attenuation: Attenuation | str | None = None,
    fish_change: pd.DataFrame | None = None,
    transitions: pd.DataFrame | None = None,
    gene_sets: Mapping[str, Sequence[str]] | None = None,
    alpha: float = 0.05,
    power_effect: float = 0.8,
    power_odds_ratio: float = 0.2,
) -> pd.DataFrame:
    """Pre-declared checks of findings 1-5 with verdicts (columns :data:`FINDINGS_COLUMNS`).

    Parameters
    ----------
    associations
        :func:`her2het.outcome.associations`'s table.
    patients
        The patient table (:func:`her2het.outcome.patient_table`); every number checked comes
        from the association table built from it, so it is not read again here.
    de_summary, interaction
        The DE summary and the interaction contrast's gene table (finding 4).
    attenuation
        :func:`treatment_attenuation`'s result, or the reason it was not computed.
    fish_change, transitions
        :func:`fish_het_change`'s table and the subtype transitions (finding 3).
    gene_sets
        Set name -> genes of the scored sets (checks finding 2's circularity).
    alpha, power_effect, power_odds_ratio
        Significance level after multiplicity control; the effects power is computed for.
    """
    a = associations
    del patients  # the association table carries the patient-level numbers
    rows: list[dict[str, object]] = []
    for c in CHECKS:
        rows.append(_assoc_check(a, c))
        if c.finding == 1 and c.role == "primary":
            rows.append(_highest_group(a))
    # finding 2: Firth odds ratios (finite under separation), supporting
    firth = a[(a["family"] == "HET vs pCR") & a["test"].astype(str).str.startswith("Firth")]
    for _, r in firth.iterrows():
        est = r["estimate"]
        rows.append(
            _row(
                2, check=f"odds ratio of pCR, HET vs non-HET ({r['test']})",
                source="outcome/associations.tsv: HET vs pCR", feature="HET", expected="lower",
                test=r["test"], estimate=est, effect_size=np.log(est) if est > 0 else np.nan,
                pvalue=r["pvalue"], _dir=_direction(np.log(est) if est > 0 else np.nan, -1),
                note=f"penalised LRT p; profile 95% CI {r['ci_low']:.3g}-{r['ci_high']:.3g}",
            )
        )  # fmt: skip
    # finding 2: circularity of the downstream-signalling score
    for name, msg in circularity(gene_sets or {}).items():
        for r in rows:
            if r["finding"] == 2 and r["feature"] == name:
                r.update(_dir=pd.NA, note=f"not tested: {msg}")
    # finding 3: "decreased HER2" by the best measure present (pre-declared order)
    measured = [
        (col, what) for col, what in HER2_MEASURES
        if not a[(a["family"] == PRE_POST) & (a["feature"] == col)].empty
    ]  # fmt: skip
    if not measured:
        measured = [HER2_MEASURES[-1]]
    for i, (col, what) in enumerate(measured):
        c = Check(3, "primary" if i == 0 else "supporting", PRE_POST, col, -1,
                  f"decreased HER2 in residual tumours (non-HET, paired): {what}", what)  # fmt: skip
        rows.append(_assoc_check(a, c))
    if fish_change is not None and not len(fish_change):
        rows.append(
            _row(
                3, check="FISH HET (trial definition) gained vs lost: one baseline biopsy vs residual",
                source="fish/samples.tsv", feature="het_trial", expected="more", _dir=pd.NA,
                note="not tested: no patient with an evaluable FISH sample at the pre-declared "
                "baseline biopsy (paper.baseline_biopsy) and at residual tumour",
            )
        )  # fmt: skip
    if fish_change is not None and len(fish_change):
        ch = fish_change["change"].value_counts()
        g, lo, neg = (int(ch.get(k, 0)) for k in ("gained", "lost", "turned HER2-negative"))
        rows.append(
            _counts_check(
                3, g, lo, expected="more", feature="het_trial", source="fish/samples.tsv",
                check="FISH HET (trial definition) gained vs lost: one baseline biopsy vs residual",
                note=(
                    f"gained {g}, lost {lo}, unchanged {int(ch.get('unchanged', 0))}; "
                    f"{neg} residual tumours turned HER2-negative (counted apart)"
                ),
            )
        )  # fmt: skip
    if transitions is not None and len(transitions):
        t = transitions[het_side(transitions["group"]).eq(False).fillna(False).to_numpy()]
        lum, nonlum = {"LumA", "LumB"}, {"Her2", "Basal"}
        to_lum = int(t.loc[t["subtype_pre"].isin(nonlum) & t["subtype_post"].isin(lum), "n"].sum())
        from_lum = int(
            t.loc[t["subtype_pre"].isin(lum) & t["subtype_post"].isin(nonlum), "n"].sum()
        )
        rows.append(
            _counts_check(
                3, to_lum, from_lum, expected="more", feature="subtype",
                check="non-HET patients shifting Her2/Basal -> luminal vs luminal -> Her2/Basal",
                source="subtypes/transitions.tsv",
                note=f"to luminal {to_lum}, from luminal {from_lum}",
            )
        )  # fmt: skip
    rows.append(_attenuation_row(attenuation))
    rows += _interaction_rows(interaction, de_summary, alpha)
    return _decide(rows, alpha, power_effect, power_odds_ratio)


def _decide(
    rows: list[dict[str, object]], alpha: float, effect: float, odds_ratio: float
) -> pd.DataFrame:
    """Adjust the p-values (Holm: primary; BH: supporting) and write verdict and power."""
    df = pd.DataFrame(rows)
    for col in ("_dir", "_power"):
        if col not in df:
            df[col] = np.nan
    p = df["pvalue"].astype(float)
    df["p_adjusted"] = np.nan
    df["adjustment"] = ""
    prim = (df["role"] == "primary") & p.notna()
    sup = (df["role"] == "supporting") & p.notna()
    n_primary = max(int(prim.sum()), 1)
    if prim.any():
        df.loc[prim, "p_adjusted"] = _holm(p[prim].to_numpy())
        df.loc[prim, "adjustment"] = f"Holm across {int(prim.sum())} primary checks"
    if sup.any():
        df.loc[sup, "p_adjusted"] = stats.false_discovery_control(p[sup].to_numpy(), method="bh")
        df.loc[sup, "adjustment"] = f"Benjamini-Hochberg across {int(sup.sum())} supporting checks"
    df["alpha"] = alpha
    verdicts, notes, power = [], [], []
    for _, r in df.iterrows():
        v, why = _verdict(r["_dir"], r["p_adjusted"], alpha)
        note = str(r["note"])
        if v == "not tested" and not note.startswith("not tested") and r["role"] != "description":
            note = "not tested: " + (note or "no estimate")
        a_ = alpha / n_primary if r["role"] == "primary" else alpha
        pw = _power(r["_power"], a_, effect, odds_ratio)
        if v == "direction only" and pd.notna(pw):
            note += (
                f"; power {pw:.2f} for the pre-declared effect: "
                + ("not significant with high power is evidence against a large effect"
                   if pw >= 0.8 else "underpowered, a non-significant result is inconclusive")
            )  # fmt: skip
        verdicts.append(v)
        notes.append("; ".join(x for x in (note, why) if x))
        power.append(pw)
    df["verdict"] = verdicts
    df["note"] = notes
    df["power"] = power
    out = df.reindex(columns=list(FINDINGS_COLUMNS))
    role_order = out["role"].map({"primary": 0, "supporting": 1, "description": 2})
    out = out.assign(_r=role_order).sort_values(["finding", "_r"], kind="stable")
    return out.drop(columns="_r").reset_index(drop=True)


def finding_verdicts(table: pd.DataFrame) -> dict[int, str]:
    """Each finding's verdict: that of its primary check (``not tested`` without one)."""
    prim = table[table["role"] == "primary"].drop_duplicates("finding").set_index("finding")
    return {f: str(prim["verdict"].get(f, "not tested")) for f in range(1, 6)}


@dataclass
class PaperTables:
    """The findings table and the per-patient treatment response behind finding 4."""

    findings: pd.DataFrame
    treatment_response: pd.DataFrame


def findings_from_tables(
    associations: pd.DataFrame,
    patients: pd.DataFrame,
    de_summary: pd.DataFrame,
    *,
    interaction: pd.DataFrame | None = None,
    vst: pd.DataFrame | None = None,
    samples: pd.DataFrame | None = None,
    patient_sheet: pd.DataFrame | None = None,
    fish_samples: pd.DataFrame | None = None,
    transitions: pd.DataFrame | None = None,
    gene_sets: Mapping[str, Sequence[str]] | None = None,
    cfg: Mapping[str, object] | None = None,
) -> PaperTables:
    """:func:`findings` from the workflow's result tables (optional ones may be None).

    ``vst`` is the samples x genes VST matrix (finding 4's per-patient test, with ``samples``
    and ``patient_sheet``); ``gene_sets`` maps set names to genes (circularity checks). ``cfg``
    is the ``paper`` config section (``alpha``, ``n_permutations``, ``seed``,
    ``baseline_biopsy``, ``power_effect``, ``power_odds_ratio``).
    """
    cfg = dict(cfg or {})
    alpha = float(cfg.get("alpha", 0.05))  # type: ignore[arg-type]
    attenuation: Attenuation | str | None = None
    if vst is not None and samples is not None and patient_sheet is not None:
        delta, het = pre_post_delta(vst, samples, patient_sheet)
        try:
            attenuation = treatment_attenuation(
                delta, het, alpha=alpha, n_permutations=int(cfg.get("n_permutations", 9999)),  # type: ignore[call-overload]
                seed=int(cfg.get("seed", 1)),  # type: ignore[call-overload]
            )  # fmt: skip
        except ValueError as exc:
            attenuation = str(exc)
    fish_change = None
    if fish_samples is not None and samples is not None:
        fish_change = fish_het_change(
            fish_samples, samples, baseline_biopsy=str(cfg.get("baseline_biopsy", "first"))
        )
    table = findings(
        associations,
        patients,
        de_summary=de_summary,
        interaction=interaction,
        attenuation=attenuation,
        fish_change=fish_change,
        transitions=transitions,
        gene_sets={k: list(v) for k, v in (gene_sets or {}).items()},
        alpha=alpha,
        power_effect=float(cfg.get("power_effect", 0.8)),  # type: ignore[arg-type]
        power_odds_ratio=float(cfg.get("power_odds_ratio", 0.2)),  # type: ignore[arg-type]
    )
    response = (
        attenuation.response
        if isinstance(attenuation, Attenuation)
        else pd.DataFrame(columns=["patient", "HET", "response"])
    )
    return PaperTables(table, response)
