"""The study's headline findings as directional checks on this run's result tables.

Each finding of the reproduced study (Li et al., JCI 2024; ``DOMAIN.md`` findings 1-5) is
turned into one or more checks read from the result tables: the direction the paper reports,
the estimate and p/q-value this run found, and whether the direction agrees. The figures
``fig2`` ... ``fig6`` draw the same quantities. On the simulated demo the expected directions
were planted, so agreement there checks the workflow, not the biology; on real data the table
says which findings the data reproduce.

:func:`findings` columns: ``finding`` (1-5), ``figure``, ``claim`` (the paper's statement),
``check`` (what is compared), ``source`` (table and family), ``feature``, ``expected``
(``higher``/``lower``/``fewer``/``more``), ``estimate`` (difference of medians, odds ratio,
or count), ``effect_size`` (rank-biserial; for counts the difference), ``pvalue``, ``qvalue``,
``agrees`` (the observed direction is the expected one; empty when the quantity is missing),
``note``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from her2het.cohort import baseline_rows, het_side

FINDINGS_COLUMNS: tuple[str, ...] = (
    "finding", "figure", "claim", "check", "source", "feature", "expected", "estimate",
    "effect_size", "pvalue", "qvalue", "agrees", "note",
)  # fmt: skip

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
# (finding, family, feature, expected sign of the effect size, what is compared)
FEATURE_CHECKS: tuple[tuple[int, str, str, int, str], ...] = (
    (1, VS_PCR, "ERBB2", 1, "baseline ERBB2 mRNA, pCR vs no pCR"),
    (1, VS_PCR, "ERBB_SIGNALLING", 1, "baseline ERBB signalling score, pCR vs no pCR"),
    (2, HET_NOPCR, "ERBB2", -1, "baseline ERBB2 mRNA, HET vs non-HET (no pCR)"),
    (2, HET_NOPCR, "BASAL_LIKE", 1, "baseline basal-like score, HET vs non-HET (no pCR)"),
    (2, HET_NOPCR, "ERBB_DOWNSTREAM", 1, "ERBB downstream score, HET vs non-HET (no pCR)"),
    (3, PRE_POST, "ERBB2", -1, "ERBB2 mRNA, residual vs baseline (non-HET, paired)"),
    (3, PRE_POST, "PI3K_AKT_MTOR_CORE", 1, "PI3K score, residual vs baseline (non-HET)"),
    (3, PRE_POST, "ESTROGEN_RESPONSE_LUMINAL", 1, "luminal score, residual vs baseline"),
    (3, PRE_POST, "fish_pct_amplified", -1, "% ERBB2-amplified cells, residual vs baseline"),
    (5, VS_PCR, "IMMUNE_T_CELLS", 1, "T-cell score, pCR vs no pCR"),
    (5, VS_PCR, "IMMUNE_CYTOTOXIC", 1, "cytotoxic-cell score, pCR vs no pCR"),
    (5, HET_NOPCR, "IMMUNE_T_CELLS", -1, "T-cell score, HET vs non-HET (no pCR)"),
)


def _row(finding: int, **kw: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(FINDINGS_COLUMNS, np.nan)
    row.update(finding=finding, figure=FIGURE_OF[finding], claim=CLAIMS[finding], note="")
    row.update(kw)
    return row


def _sign_agrees(value: float, expected: int) -> object:
    if pd.isna(value):
        return pd.NA
    return bool(np.sign(value) == expected)


def findings(
    associations: pd.DataFrame,
    patients: pd.DataFrame,
    de_summary: pd.DataFrame | None = None,
    fish_pre_post: pd.DataFrame | None = None,
    transitions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Directional checks of findings 1-5 (columns :data:`FINDINGS_COLUMNS`).

    ``associations`` is :func:`her2het.outcome.associations`'s table, ``patients`` the
    patient table; the DE summary, FISH pre/post table and subtype transitions add the
    checks of findings 3 and 4 when given.
    """
    rows: list[dict[str, object]] = []
    a = associations
    # finding 1: the pCR group has the highest baseline ERBB2 of the patient groups
    pre = baseline_rows(patients)
    if "ERBB2" in pre:
        med = pre.groupby("group")["ERBB2"].median().dropna()
        if "nonHET/pCR" in med.index and len(med) > 1:
            others = med.drop("nonHET/pCR")
            rows.append(
                _row(
                    1, check="median baseline ERBB2 mRNA: nonHET/pCR vs the highest other group",
                    source="outcome/patients.tsv", feature="ERBB2", expected="higher",
                    estimate=med["nonHET/pCR"] - others.max(),
                    agrees=bool(med["nonHET/pCR"] > others.max()),
                    note=f"next highest: {others.idxmax()}",
                )
            )  # fmt: skip
    # finding 2: HET vs pCR, the odds ratio of pCR in HET (Firth: finite under separation)
    het = a[(a["family"] == "HET vs pCR") & (a["feature"] == "HET")]
    for _, r in het.iterrows():
        rows.append(
            _row(
                2, check=f"odds ratio of pCR, HET vs non-HET ({r['test']})",
                source="outcome/associations.tsv: HET vs pCR", feature="HET", expected="lower",
                estimate=r["estimate"], pvalue=r["pvalue"], qvalue=r["qvalue"],
                agrees=bool(r["estimate"] < 1) if pd.notna(r["estimate"]) else pd.NA,
                note=f"95% CI {r['ci_low']:.3g}-{r['ci_high']:.3g}",
            )
        )  # fmt: skip
    for finding, family, feature, sign, check in FEATURE_CHECKS:
        r = a[(a["family"] == family) & (a["feature"] == feature)]
        base = {"check": check, "source": f"outcome/associations.tsv: {family}"}
        base |= {"feature": feature, "expected": "higher" if sign > 0 else "lower"}
        if r.empty:
            rows.append(_row(finding, **base, agrees=pd.NA, note="not in this run's tables"))
            continue
        r = r.iloc[0]
        rows.append(
            _row(
                finding, **base, estimate=r["estimate"], effect_size=r["effect_size"],
                pvalue=r["pvalue"], qvalue=r["qvalue"],
                agrees=_sign_agrees(r["effect_size"], sign),
            )
        )  # fmt: skip
    if fish_pre_post is not None and len(fish_pre_post):
        ch = fish_pre_post["het_change"].value_counts()
        gained, lost = int(ch.get("gained", 0)), int(ch.get("lost", 0))
        rows.append(
            _more_than(
                gained, lost, check="patients gaining vs losing FISH HET (trial definition), pre -> post",
                source="fish/pre_post.tsv", feature="het_trial",
                note=f"gained {gained}, lost {lost}; two-sided exact sign test",
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
            _more_than(
                to_lum, from_lum,
                check="non-HET patients shifting Her2/Basal -> luminal vs luminal -> Her2/Basal",
                source="subtypes/transitions.tsv", feature="subtype",
                note=f"to luminal {to_lum}, from luminal {from_lum}; exact sign test",
            )
        )  # fmt: skip
    if de_summary is not None:
        d = de_summary.set_index("contrast")
        tested = {c for c in d.index if str(d.at[c, "status"]).startswith("ok")}
        pair = {"post_vs_pre_HET", "post_vs_pre_nonHET"}
        if pair <= set(d.index) and not pair <= tested:
            rows.append(
                _row(
                    4, check="DE genes after treatment (padj < alpha): HET vs non-HET",
                    source="de/summary.tsv", feature="post_vs_pre", expected="fewer",
                    agrees=pd.NA, note="a post vs pre contrast was not tested: "
                    + "; ".join(f"{c}: {d.at[c, 'status']}" for c in sorted(pair - tested)),
                )
            )  # fmt: skip
        elif pair <= set(d.index):
            n_het = int(d.at["post_vs_pre_HET", "de_up"] + d.at["post_vs_pre_HET", "de_down"])
            n_non = int(d.at["post_vs_pre_nonHET", "de_up"] + d.at["post_vs_pre_nonHET", "de_down"])
            rows.append(
                _row(
                    4, check="DE genes after treatment (padj < alpha): HET vs non-HET",
                    source="de/summary.tsv", feature="post_vs_pre", expected="fewer",
                    estimate=n_het - n_non, effect_size=n_het - n_non, agrees=n_het < n_non,
                    note=(
                        f"HET {n_het} genes ({d.at['post_vs_pre_HET', 'units_target']} "
                        f"patients), non-HET {n_non} "
                        f"({d.at['post_vs_pre_nonHET', 'units_target']}); fewer HET patients "
                        "also means less power - see the interaction contrast"
                    ),
                )
            )  # fmt: skip
    out = pd.DataFrame(rows, columns=list(FINDINGS_COLUMNS))
    out["agrees"] = out["agrees"].astype("boolean")
    return out.sort_values("finding", kind="stable").reset_index(drop=True)


def _more_than(k: int, m: int, **kw: object) -> dict[str, object]:
    """Finding-3 check that ``k`` (expected direction) exceeds ``m``, with an exact sign test."""
    return _row(
        3, expected="more", estimate=k - m, effect_size=k - m, pvalue=_sign_test(k, m),
        agrees=k > m, **kw,
    )  # fmt: skip


def _sign_test(k: int, m: int) -> float:
    from scipy.stats import binomtest

    return float(binomtest(k, k + m).pvalue) if k + m else np.nan


def findings_from_files(
    associations: str,
    patients: str,
    de_summary: str,
    *,
    fish_pre_post: str | None = None,
    transitions: str | None = None,
) -> pd.DataFrame:
    """:func:`findings` from the workflow's result files (optional ones may be None)."""
    ids = {"sep": "\t", "dtype": {"patient": str}}
    return findings(
        pd.read_csv(associations, sep="\t"),
        pd.read_csv(patients, **ids),
        de_summary=pd.read_csv(de_summary, sep="\t"),
        fish_pre_post=pd.read_csv(fish_pre_post, **ids) if fish_pre_post else None,
        transitions=(
            pd.read_csv(transitions, sep="\t", keep_default_na=False) if transitions else None
        ),
    )
