"""Patient-level table and response association tests (pCR, HET, pre vs post).

The unit of analysis is the patient, never the sample: two baseline biopsies of one tumour are
not two independent observations. :func:`patient_table` therefore aggregates the samples of a
patient at each timepoint (the mean of the baseline biopsies' VST expression, scores and FISH
measures; the patient's baseline subtype call from :mod:`her2het.subtype`), and every test
in :func:`associations` runs on that table.

``patient_table`` columns (one row per patient and timepoint; ``pre`` exists for every patient
of the patient sheet, ``post`` for patients with a residual-tumour sample):

* the patient sheet's columns (``patient``, ``pCR``, ``HET``, ``HR``, survival columns, ...)
  and ``group`` (patient group, :func:`her2het.cohort.patient_groups`), ``timepoint``;
* ``n_rna_samples`` - RNA-seq samples averaged into the row (0 without RNA);
* one column per configured gene (mean VST of the samples, e.g. ``ERBB2``);
* one column per gene set (mean score of one scoring method, e.g. ``ERBB_SIGNALLING``);
* ``subtype`` - the patient's baseline call (``subtype_pre``) or residual call;
* ``fish_n_evaluable``, ``fish_ratio``, ``fish_mean_erbb2``, ``fish_pct_amplified`` (means over
  the timepoint's *evaluable* FISH samples, their number first) and ``fish_het_trial``,
  ``fish_het_cap2009``, ``fish_het_asco2013`` (1 if any sample is HET by that definition, 0 if
  none, empty if none evaluable or a call needs IHC), when FISH was scored
  (:func:`her2het.fish.patient_fish_features`); ``biopsies_discordant_fish`` and
  ``biopsies_discordant_rna`` on baseline rows (the biopsies disagree by FISH / by ERBB2 mRNA;
  tested against pCR in :func:`associations`).
  ``fish_ihc_score`` (mean HER2 IHC score 0-3 of the evaluable FISH samples),
  ``her2_ihc_category`` (HER2 spectrum, the highest category over those samples) and
  ``her2_low`` (1 = IHC 1+ or 2+ ISH-negative) when the FISH table has IHC.

Two baseline biopsies of a patient are *averaged* here (VST and scores), and *summed* in the
DE stage (``level: patient``: a pseudo-bulk of the two biopsies, each weighted by its
sequencing depth). Both treat the tumour as one unit. The alternative is one pre-declared
biopsy per patient (a subset on the sample sheet's ``biopsy`` column, e.g.
``subset: {biopsy: [B1]}``); the biopsy-concordance tables say when the choice
matters: ``results/expression/biopsy_concordance_genes.tsv`` gives each gene's intraclass
correlation between a patient's biopsies (low = the biopsy chosen changes the value) and
``biopsy_concordance_patients.tsv`` each patient's between-biopsy correlation.

Residual cancer burden (RCB): when the patient sheet has an ``RCB`` column (``0``/``I``/``II``/
``III``, ``RCB-0`` ... ``RCB-III`` or ``0``-``3``; :func:`rcb_levels`), :func:`associations`
tests it against HET (proportional-odds logistic model) and against every baseline feature
(Kendall's tau-b, a Jonckheere-type trend test for an ordered outcome).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from her2het.cohort import GROUP_ORDER, baseline_rows, ordered_groups, patient_groups
from her2het.fish import FISH_DISCORDANCE, FISH_HET, FISH_NUMERIC, patient_fish_features
from her2het.stats import compare_groups, compare_pre_post, round_significant

if TYPE_CHECKING:
    import anndata as ad

ASSOCIATION_COLUMNS: tuple[str, ...] = (
    "family", "feature", "test", "group_a", "group_b", "n_a", "n_b", "median_a", "median_b",
    "estimate", "estimate_name", "ci_low", "ci_high", "effect_size", "effect_size_name",
    "statistic", "pvalue", "qvalue", "note",
)  # fmt: skip


def _mean_by_patient(values: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Mean of ``values`` (index = sample) per patient and timepoint."""
    m = meta.set_index("sample")[["patient", "timepoint"]]
    df = m.join(values, how="inner")
    return df.groupby(["patient", "timepoint"], sort=True).mean()


def patient_table(
    patients: pd.DataFrame,
    samples: pd.DataFrame,
    *,
    expression: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
    subtypes: pd.DataFrame | None = None,
    fish: pd.DataFrame | None = None,
    fish_discordance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per patient and timepoint (see the module docstring for the columns).

    Parameters
    ----------
    patients
        The patient sheet (``patient``, ``pCR``, ``HET``, ...).
    samples
        The sample sheet (``sample``, ``patient``, ``timepoint``); it maps RNA and FISH
        samples to patients.
    expression
        Samples x genes (VST) for the genes to carry, index = sample.
    scores
        Samples x gene sets of one scoring method, index = sample.
    subtypes
        The patient subtype table (``patient``, ``subtype_pre``, ``subtype_post``).
    fish
        FISH sample scores (``sample``, ``ratio``, ``mean_erbb2``, ``pct_amplified``,
        ``het_trial``, ``het_cap2009``, ``het_asco2013``).
    fish_discordance
        Per-patient biopsy discordance by FISH and RNA (:func:`her2het.fish.biopsy_discordance`).
    """
    meta = samples[["sample", "patient", "timepoint"]].astype(str)
    clinical = patients.copy()
    clinical["patient"] = clinical["patient"].astype(str)
    clinical["group"] = patient_groups(clinical).to_numpy()
    post_patients = sorted(set(meta.loc[meta["timepoint"] == "post", "patient"]))
    keys = pd.MultiIndex.from_tuples(
        [(p, "pre") for p in clinical["patient"]]
        + [(p, "post") for p in post_patients if p in set(clinical["patient"])],
        names=["patient", "timepoint"],
    )
    out = pd.DataFrame(index=keys)
    rna: pd.Index = pd.Index([], dtype=str)
    for block in (expression, scores):
        if block is not None and len(block.columns):
            block = block.copy()
            block.index = block.index.astype(str)
            rna = rna.union(block.index)
            out = out.join(_mean_by_patient(block, meta))
    n_rna = meta[meta["sample"].isin(rna)].groupby(["patient", "timepoint"]).size()
    out.insert(0, "n_rna_samples", n_rna.reindex(out.index).fillna(0).astype(int))
    if subtypes is not None:
        sub = subtypes.astype({"patient": str}).set_index("patient")
        calls = {
            (p, tp): sub.at[p, f"subtype_{tp}"]
            for p, tp in out.index
            if p in sub.index and str(sub.at[p, f"subtype_{tp}"]) not in ("", "nan")
        }
        out["subtype"] = pd.Series(calls, dtype=object).reindex(out.index)
    if fish is not None:
        out = out.join(patient_fish_features(fish, meta, fish_discordance))
    text = ("subtype", "n_rna_samples", "fish_n_evaluable", "her2_ihc_category")
    num = [c for c in out.columns if c not in text]
    out[num] = round_significant(out[num].astype(float), 8)
    for col in [*FISH_HET.values(), *FISH_DISCORDANCE.values(), "her2_low"]:
        if col in out:
            out[col] = out[col].astype("Int64")
    out = out.reset_index()
    table = clinical.merge(out, on="patient", how="right", validate="one_to_many")
    first = ["patient", "timepoint", "group"]
    return table[first + [c for c in table.columns if c not in first]]


def build_patient_table(
    patients: pd.DataFrame,
    samples: pd.DataFrame,
    expression: ad.AnnData,
    scores: pd.DataFrame,
    *,
    genes: Sequence[str],
    score_method: str,
    subtypes: pd.DataFrame | None = None,
    fish: pd.DataFrame | None = None,
    fish_discordance: pd.DataFrame | None = None,
    source: str = "expression",
) -> pd.DataFrame:
    """:func:`patient_table` from the workflow's tables: the sheets, the expression object
    (VST layer; ``source`` names it in errors), the score table (``sample`` plus
    ``<method>:<set>`` columns) and the optional subtype and FISH tables."""
    present = [g for g in genes if g in expression.var_names]
    if len(present) < len(genes):
        missing = sorted(set(genes) - set(present))
        raise ValueError(f"{source}: outcome.genes not measured: {', '.join(missing)}")
    idx = [expression.var_names.get_loc(g) for g in present]
    vst = np.asarray(expression.layers["vst"][:, idx])
    expr = pd.DataFrame(vst, index=expression.obs_names.astype(str), columns=present)
    sc = scores.set_index("sample")
    prefix = f"{score_method}:"
    sc = sc[[c for c in sc.columns if c.startswith(prefix)]]
    sc.columns = [c[len(prefix) :] for c in sc.columns]
    return patient_table(
        patients,
        samples,
        expression=expr,
        scores=sc,
        subtypes=subtypes,
        fish=fish,
        fish_discordance=fish_discordance,
    )


def feature_columns(table: pd.DataFrame, patient_columns: Sequence[str]) -> list[str]:
    """The measured features of a patient table: genes, scores and FISH measures (numeric)."""
    skip = {"patient", "timepoint", "group", "n_rna_samples", "fish_n_evaluable", *patient_columns}
    skip |= set(FISH_HET.values()) | set(FISH_DISCORDANCE.values())
    return [c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(table[c])]


def _fisher_row(table: pd.DataFrame, exposure: str, outcome: str, family: str) -> dict:
    from scipy.stats.contingency import odds_ratio

    df = table[[exposure, outcome]].dropna().astype(int)
    ct = pd.crosstab(df[exposure], df[outcome]).reindex(index=[1, 0], columns=[1, 0], fill_value=0)
    res = odds_ratio(ct.to_numpy(), kind="conditional")
    ci = res.confidence_interval(0.95)
    _, p = stats.fisher_exact(ct.to_numpy(), alternative="two-sided")
    a, b, c, d = ct.to_numpy().ravel()
    return {
        "family": family, "feature": exposure, "test": "Fisher exact",
        "group_a": f"{exposure}=1", "group_b": f"{exposure}=0",
        "n_a": a + b, "n_b": c + d,
        "median_a": a / (a + b) if a + b else np.nan,  # rate of outcome=1
        "median_b": c / (c + d) if c + d else np.nan,
        "estimate": res.statistic, "estimate_name": f"odds_ratio({outcome})",
        "ci_low": ci.low, "ci_high": ci.high, "pvalue": p,
        "note": f"median_a/median_b: {outcome} rate; conditional MLE odds ratio, exact CI",
    }  # fmt: skip


def _firth_row(table: pd.DataFrame, formula: str, term: str, family: str) -> dict:
    from her2het.models import fit_logistic, formula_columns

    try:
        fit = fit_logistic(table, formula, firth="always", cv_folds=0)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return {"family": family, "feature": term, "test": f"Firth logistic: {formula}",
                "note": f"not estimable: {exc}"}  # fmt: skip
    t = fit.terms.set_index("term").loc[term]
    fit_rows = table[formula_columns(formula, list(table.columns))].dropna()
    return {
        "family": family, "feature": term, "test": f"Firth logistic: {formula}",
        "group_a": f"{term}=1", "group_b": f"{term}=0",
        "n_a": int((fit_rows[term] == 1).sum()), "n_b": int((fit_rows[term] == 0).sum()),
        "estimate": t["odds_ratio"], "estimate_name": "odds_ratio",
        "ci_low": t["ci_low"], "ci_high": t["ci_high"], "statistic": t["statistic"],
        "pvalue": t["pvalue"],
        "note": "Firth-penalised (finite under separation); profile-likelihood CI, LRT p",
    }  # fmt: skip


RCB_LEVELS: dict[str, int] = {"0": 0, "I": 1, "II": 2, "III": 3}


def rcb_levels(values: pd.Series) -> pd.Series:
    """RCB category as 0-3 (``0``/``I``/``II``/``III``, ``RCB-0`` ... ``RCB-III``, ``0``-``3``).

    Anything else (empty, ``NA``, unknown text) is missing.
    """
    text = values.astype(str).str.strip().str.upper().str.replace(r"^RCB[-_ ]?", "", regex=True)
    text = text.replace({"1": "I", "2": "II", "3": "III", "1.0": "I", "2.0": "II", "3.0": "III",
                         "0.0": "0"})  # fmt: skip
    return text.map(RCB_LEVELS).astype(float)


def _rcb_het_row(pre: pd.DataFrame) -> dict:
    """Proportional-odds (ordinal logistic) model RCB ~ HET: odds ratio of a higher RCB."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    df = pd.DataFrame({"rcb": rcb_levels(pre["RCB"]), "HET": pre["HET"]}).dropna()
    row = {
        "family": "RCB vs HET", "feature": "HET", "test": "proportional odds (ordinal logistic)",
        "group_a": "HET=1", "group_b": "HET=0", "n_a": int((df["HET"] == 1).sum()),
        "n_b": int((df["HET"] == 0).sum()),
        "median_a": df.loc[df["HET"] == 1, "rcb"].median(),
        "median_b": df.loc[df["HET"] == 0, "rcb"].median(),
        "estimate_name": "odds_ratio(higher RCB)", "effect_size_name": "log_odds_ratio",
    }  # fmt: skip
    if df["rcb"].nunique() < 2 or df["HET"].nunique() < 2:
        return {**row, "note": "not estimable: RCB or HET has a single level"}
    levels = sorted(df["rcb"].unique())
    y = pd.Categorical(df["rcb"], categories=levels, ordered=True)
    x = df[["HET"]].astype(float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = OrderedModel(y, x, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
        counts = df["rcb"].value_counts().to_numpy(float)
        ll0 = float(np.sum(counts * np.log(counts / counts.sum())))  # thresholds-only model
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {**row, "note": f"not estimable: {exc}"}
    b, se = float(res.params["HET"]), float(res.bse["HET"])
    lr = max(2.0 * (res.llf - ll0), 0.0)
    return {
        **row, "estimate": np.exp(b), "ci_low": np.exp(b - 1.96 * se),
        "ci_high": np.exp(b + 1.96 * se), "effect_size": b, "statistic": lr,
        "pvalue": float(stats.chi2.sf(lr, 1)),
        "note": (
            f"RCB levels {', '.join(str(int(v)) for v in levels)} (0 = pCR); likelihood-ratio "
            "p, Wald 95% CI; ordinal, so no separation when no HET patient has pCR"
        ),
    }  # fmt: skip


def _rcb_feature_rows(pre: pd.DataFrame, feats: Sequence[str]) -> list[dict]:
    """Kendall's tau-b of each baseline feature with RCB (0-3): a monotone trend test."""
    rcb = rcb_levels(pre["RCB"])
    rows = []
    for f in feats:
        ok = rcb.notna().to_numpy() & pre[f].notna().to_numpy()
        if ok.sum() < 4 or rcb[ok].nunique() < 2:
            continue
        res = stats.kendalltau(pre.loc[ok, f], rcb[ok], variant="b")
        rows.append(
            {
                "family": "features vs RCB", "feature": f, "test": "Kendall tau-b (trend)",
                "group_a": "RCB 0-III", "group_b": "", "n_a": int(ok.sum()),
                "effect_size": res.statistic, "effect_size_name": "kendall_tau_b",
                "statistic": res.statistic, "pvalue": res.pvalue,
                "note": "positive tau: higher values with higher residual cancer burden",
            }
        )  # fmt: skip
    return rows


def _relabel(table: pd.DataFrame, col: str, labels: Mapping[int, str]) -> pd.DataFrame:
    out = table.copy()
    out["group"] = out[col].map(labels)
    return out[out["group"].notna()]


def _subtype_row(pre: pd.DataFrame, by: str, seed: int, n_resamples: int) -> dict:
    df = pre[["subtype", by]].dropna()
    ct = pd.crosstab(df["subtype"], df[by])
    row = {
        "family": f"subtype vs {by}", "feature": "subtype", "group_a": f"{by}=1",
        "group_b": f"{by}=0", "n_a": int((df[by] == 1).sum()), "n_b": int((df[by] == 0).sum()),
        "effect_size_name": "cramers_v",
    }  # fmt: skip
    if ct.shape[0] < 2 or ct.shape[1] < 2:
        return {**row, "test": "chi-square (permutation)", "note": "fewer than 2 levels"}
    y = df[by].to_numpy().astype(int)
    x, levels = pd.factorize(df["subtype"], sort=True)
    k = len(levels)

    def chi2(xs: np.ndarray) -> float:  # Pearson chi-square of the k x 2 table
        obs = np.bincount(xs * 2 + y, minlength=2 * k).reshape(k, 2).astype(float)
        exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
        return float(np.sum((obs - exp) ** 2 / np.where(exp > 0, exp, 1.0)))

    res = stats.permutation_test(
        (x,), chi2, permutation_type="pairings", n_resamples=n_resamples,
        alternative="greater", rng=np.random.default_rng(seed),
    )  # fmt: skip
    v = stats.contingency.association(ct.to_numpy(), method="cramer")
    return {
        **row, "test": "chi-square (permutation)", "statistic": res.statistic,
        "pvalue": res.pvalue, "effect_size": v,
        "note": f"p from {n_resamples} label permutations (small expected counts)",
    }  # fmt: skip


def _from_scores(rows: list[dict[str, object]], family: str | None = None) -> list[dict]:
    """Rows of :mod:`her2het.scores` comparisons in this module's columns."""
    out = []
    for r in rows:
        r = dict(r)
        r["feature"] = r.pop("score")
        r.pop("padj", None)
        r["estimate"] = r.pop("effect")
        test = str(r["test"])
        r["estimate_name"] = (
            "median_paired_difference" if test.startswith("Wilcoxon")
            else "difference_of_medians" if test.startswith("Mann") else np.nan
        )  # fmt: skip
        if family is not None and str(r["family"]).startswith("groups:"):
            r["family"] = family
        out.append(r)
    return out


def associations(
    table: pd.DataFrame,
    features: Sequence[str],
    *,
    seed: int = 1,
    n_resamples: int = 9999,
) -> pd.DataFrame:
    """Every response / HET association test, at patient level, in one tidy table.

    Families (column ``family``):

    * ``HET vs pCR`` - Fisher's exact test of the recorded HET status (and each FISH HET
      definition present) against pCR: conditional-MLE odds ratio of pCR in HET vs non-HET
      with its exact 95% CI (0 when no HET patient had pCR), plus Firth-penalised logistic
      odds ratios ``pCR ~ HET`` and ``pCR ~ HET + HR``, finite under separation.
    * ``biopsy discordance vs pCR`` - the same Fisher test for baseline biopsies that disagree
      by FISH (``biopsies_discordant_fish``) and by ERBB2 mRNA (``biopsies_discordant_rna``).
    * ``features vs pCR`` / ``features vs HET`` - Mann-Whitney U of each baseline feature, pCR vs no
      pCR and HET vs non-HET: ``estimate`` = difference of medians (first - second group),
      ``effect_size`` = rank-biserial correlation (positive when the first group is higher).
    * ``groups:kruskal`` and ``groups:<A> vs <B>`` - across the patient groups.
    * ``subtype vs pCR`` / ``vs HET`` - chi-square statistic with a permutation p-value and
      Cramer's V.
    * ``pre_post:<stratum>`` - Wilcoxon signed-rank, residual vs baseline, patients with both.
    * ``RCB vs HET`` - proportional-odds model of the RCB category on HET (odds ratio of a
      higher RCB, LRT p); ``features vs RCB`` - Kendall's tau-b of each feature with RCB. Only
      when the patient table has an ``RCB`` column (:func:`rcb_levels`).

    ``qvalue``: Benjamini-Hochberg across every test of the table (one family for FDR).
    """
    pre = baseline_rows(table)
    feats = [f for f in features if f in table.columns and table[f].notna().any()]
    rows: list[dict] = []
    discordance = list(FISH_DISCORDANCE.values())
    for exposure in ["HET", *FISH_HET.values(), *discordance]:
        if exposure in pre and pre[exposure].notna().any() and "pCR" in pre:
            family = "biopsy discordance vs pCR" if exposure in discordance else "HET vs pCR"
            rows.append(_fisher_row(pre, exposure, "pCR", family))
    if {"HET", "pCR"} <= set(pre.columns):
        rows.append(_firth_row(pre, "pCR ~ HET", "HET", "HET vs pCR"))
        if "HR" in pre and pre["HR"].nunique() > 1:
            rows.append(_firth_row(pre, "pCR ~ HET + HR", "HET", "HET vs pCR"))
    for col, labels in (("pCR", {1: "pCR", 0: "no pCR"}), ("HET", {1: "HET", 0: "non-HET"})):
        if col in pre:
            sub = _relabel(pre, col, labels)
            rows += _from_scores(
                compare_groups(sub, feats, [labels[0], labels[1]]), f"features vs {col}"
            )
            if "subtype" in pre:
                rows.append(_subtype_row(pre, col, seed, n_resamples))
    # the HET x pCR groups; patients with unknown HET ("pCR" / "no-pCR") are not a group here
    if "RCB" in pre and rcb_levels(pre["RCB"]).notna().sum() >= 4:
        if "HET" in pre:
            rows.append(_rcb_het_row(pre))
        rows += _rcb_feature_rows(pre, feats)
    groups = [g for g in ordered_groups(set(pre["group"].astype(str))) if g in GROUP_ORDER]
    rows += _from_scores(compare_groups(pre, feats, groups))
    # "all" = every patient, also in a cohort without HET or pCR (groups there are not HET x pCR)
    strata = {
        "all": ordered_groups(set(table["group"].astype(str))),
        "nonHET": ["nonHET/no-pCR", "nonHET/pCR"],
    }
    strata["HET"] = ["HET/no-pCR", "HET/pCR"]
    rows += _from_scores(compare_pre_post(table, feats, strata))
    out = pd.DataFrame(rows).reindex(columns=list(ASSOCIATION_COLUMNS))
    ok = out["pvalue"].notna()
    out.loc[ok, "qvalue"] = stats.false_discovery_control(
        out.loc[ok, "pvalue"].astype(float), method="bh"
    )
    num = [c for c in out.columns if c not in ("family", "feature", "test", "group_a")]
    num = [c for c in num if c not in ("group_b", "estimate_name", "effect_size_name", "note")]
    out[num] = round_significant(out[num].astype(float))
    return out


def expected_columns(
    patient_columns: Sequence[str],
    genes: Sequence[str],
    gene_sets: Sequence[str],
    *,
    subtype: bool,
    fish: bool,
) -> list[str]:
    """The columns :func:`patient_table` will have (to check formulas before any job runs)."""
    cols = ["patient", "timepoint", "group", *patient_columns, "n_rna_samples", *genes]
    cols += list(gene_sets)
    cols += ["subtype"] if subtype else []
    cols += ["fish_n_evaluable", *FISH_NUMERIC.values(), *FISH_HET.values()] if fish else []
    cols += list(FISH_DISCORDANCE.values()) if fish else []
    return list(dict.fromkeys(cols))


def check_outcome_config(
    cfg: Mapping[str, object], columns: Sequence[str]
) -> list[tuple[str, str]]:
    """Problems with the ``outcome`` config section as (key, message) pairs; empty when fine."""
    from her2het.models import formula_columns

    problems: list[tuple[str, str]] = []
    for i, m in enumerate(cfg["logistic"]["models"]):  # type: ignore[index]
        try:
            if "~" not in m["formula"]:
                raise ValueError(f"formula {m['formula']!r}: expected 'outcome ~ predictors'")
            formula_columns(m["formula"], columns)
        except ValueError as exc:
            problems.append((f"outcome.logistic.models[{i}] (id {m['id']})", str(exc)))
    surv = cfg["survival"]
    if surv["enabled"]:  # type: ignore[index]
        for key in ("time", "event"):
            if surv[key] not in columns:  # type: ignore[index]
                problems.append(
                    (
                        f"outcome.survival.{key}",
                        f"no column {surv[key]!r} in the patient sheet; give the follow-up "  # type: ignore[index]
                        "columns or set outcome.survival.enabled: false",
                    )
                )
        for i, by in enumerate(surv["km_by"]):  # type: ignore[index]
            if by not in columns and by != "subtype":  # subtype: skipped when disabled
                problems.append((f"outcome.survival.km_by[{i}]", f"no column {by!r}"))
        for i, m in enumerate(surv["cox"]):  # type: ignore[index]
            try:
                formula_columns(m["formula"], columns)
            except ValueError as exc:
                problems.append((f"outcome.survival.cox[{i}] (id {m['id']})", str(exc)))
    return problems
