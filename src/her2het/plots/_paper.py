"""Paper figures ``fig1`` ... ``fig6``: each reads result tables and returns a Figure.

Every figure is tied to a finding of the reproduced study (:data:`her2het.paper.CLAIMS`) and
draws the quantities :func:`her2het.paper.findings` checks. A figure's title states what the
paper reports and, beside it, this run's verdict from the findings table in the table's words
(``agrees``, ``direction only``, ``disagrees``, ``not tested``) with the primary check's
adjusted p-value: no title claims the finding on its own. Panel p/q-values come from the
association table (patient level, Benjamini-Hochberg across the table). Two journal columns
wide (7 in), 7-pt text, PDF with embedded TrueType fonts.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from her2het.cohort import baseline_rows, het_side, ordered_groups
from her2het.paper import CLAIMS, finding_verdicts
from her2het.plots._style import COLUMN_WIDTH_IN, GROUP_COLOURS, data_note, subplots

WIDTH = 2 * COLUMN_WIDTH_IN
TIME_COLOURS = {"pre": "#1b9e77", "post": "#d95f02"}


def _q(assoc: pd.DataFrame, family: str, feature: str, col: str = "qvalue") -> str:
    r = assoc[(assoc["family"] == family) & (assoc["feature"] == feature)]
    if r.empty or pd.isna(r[col].iloc[0]):
        return "n/a"
    return f"{r[col].iloc[0]:.2g}"


def verdict_title(findings: pd.DataFrame | None, finding: int, *, width: int = 115) -> str:
    """``Finding n - the paper: <claim>. This run: <verdict> (<primary check>, adjusted p)``.

    Wrapped to ``width`` characters (two journal columns at 7 pt).
    """
    head = f"Finding {finding} - the paper: {CLAIMS[finding]}. This run: "
    if findings is None or findings.empty:
        return textwrap.fill(head + "not tested (no findings table)", width)
    verdict = finding_verdicts(findings)[finding]
    prim = findings[(findings["finding"] == finding) & (findings["role"] == "primary")]
    tail = verdict
    if not prim.empty:
        r = prim.iloc[0]
        p = f", adjusted p = {r['p_adjusted']:.2g}" if pd.notna(r["p_adjusted"]) else ""
        tail = f"{verdict} (primary check: {r['check']}{p})"
    return textwrap.fill(head + tail, width)


def _missing(ax: Axes, what: str) -> None:
    ax.text(
        0.5,
        0.5,
        f"{what}\nnot available in this run",
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=6,
    )
    ax.set_axis_off()


def box_by_group(
    ax: Axes, pre: pd.DataFrame, col: str, *, ylabel: str | None = None, seed: int = 0
) -> None:
    """Box + jittered points of ``col`` per patient group (one point per patient)."""
    if col not in pre or pre[col].isna().all():
        _missing(ax, col)
        return
    groups = ordered_groups(set(pre["group"].astype(str)))
    vals = [pre.loc[pre["group"] == g, col].dropna().to_numpy() for g in groups]
    ax.boxplot(vals, showfliers=False, widths=0.6, medianprops={"color": "k"})
    rng = np.random.default_rng(seed)
    for i, (g, v) in enumerate(zip(groups, vals, strict=True), start=1):
        ax.scatter(
            i + rng.uniform(-0.18, 0.18, len(v)), v, s=4, lw=0, c=GROUP_COLOURS.get(g, "0.4")
        )
    ax.set_xticks(
        range(1, len(groups) + 1),
        [f"{g.replace('/', chr(10))}\n(n={len(v)})" for g, v in zip(groups, vals, strict=True)],
        fontsize=5,
    )
    ax.set_ylabel(ylabel or col)


def paired_lines(ax: Axes, patients: pd.DataFrame, col: str, *, ylabel: str) -> None:
    """Baseline -> residual per patient with both, non-HET (left) and HET (right)."""
    if col not in patients or patients[col].isna().all():
        _missing(ax, col)
        return
    wide = patients.pivot_table(index=["patient", "group"], columns="timepoint", values=col)
    wide = wide.dropna(subset=[c for c in ("pre", "post") if c in wide]).reset_index()
    if not {"pre", "post"} <= set(wide.columns):
        _missing(ax, f"{col} pre/post")
        return
    side = het_side(wide["group"])
    wide = wide[side.notna()]  # patients with unknown HET are in neither panel
    side = side[side.notna()]
    for (_, r), is_het in zip(wide.iterrows(), side, strict=True):
        x0 = 2.5 if is_het else 0.0
        ax.plot(
            [x0, x0 + 1],
            [r["pre"], r["post"]],
            c=GROUP_COLOURS.get(r["group"], "0.5"),
            lw=0.5,
            alpha=0.7,
            marker="o",
            ms=1.5,
        )
    for x0, het in ((0.0, False), (2.5, True)):
        sub = wide[(side == het).to_numpy()]
        if len(sub):
            ax.plot([x0, x0 + 1], [sub["pre"].median(), sub["post"].median()], c="k", lw=1.8)
    n_het = int(side.sum())
    n_non = len(wide) - n_het
    ax.set_xticks([0, 1, 2.5, 3.5], ["pre", "post", "pre", "post"], fontsize=5)
    ax.set_xlabel(f"non-HET (n={n_non})      HET (n={n_het})", fontsize=5)
    ax.set_ylabel(ylabel)


def fig1_cohort(
    summary: pd.DataFrame, qc: pd.DataFrame, variance: pd.DataFrame, obs: pd.DataFrame
) -> Figure:
    """Cohort and sample flow, and PCA of all sequenced samples (outliers marked)."""
    fig, (ax1, ax2) = subplots(1, 2, figsize=(WIDTH, 2.6), layout="constrained")
    groups = summary[summary["group"] != "all"].reset_index(drop=True)
    y = np.arange(len(groups))
    colours = [GROUP_COLOURS.get(g, "0.5") for g in groups["group"]]
    h = 0.27
    for k, (col, label, alpha) in enumerate(
        (
            ("patients", "patients", 1.0),
            ("pre_samples", "baseline samples", 0.6),
            ("post_samples", "residual samples", 0.35),
        )
    ):
        vals = groups[col].to_numpy()
        ax1.barh(y + (k - 1) * h, vals, height=h, color=colours, alpha=alpha, label=label)
        for yi, v in zip(y, vals, strict=True):
            ax1.text(v, yi + (k - 1) * h, f" {v}", va="center", fontsize=5)
    ax1.set_yticks(y, groups["group"])
    ax1.invert_yaxis()
    ax1.set_xlabel("count")
    total = summary[summary["group"] == "all"].iloc[0]
    ax1.set_title(
        f"{total['patients']} patients, {total['pre_samples']} baseline and "
        f"{total['post_samples']} residual samples (bars: patients, baseline, residual)",
        fontsize=6,
    )
    df = qc.merge(obs[["sample", "timepoint", "group"]], on="sample", how="left")
    var = variance.set_index("pc")["variance_ratio"]
    for tp, sub in df.groupby(df["timepoint"].fillna("excluded")):
        ax2.scatter(
            sub["PC1"], sub["PC2"], s=6, lw=0, label=str(tp), c=TIME_COLOURS.get(str(tp), "0.6")
        )
    out = df[df["outlier"].astype(str) == "True"]
    if len(out):
        ax2.scatter(
            out["PC1"],
            out["PC2"],
            s=30,
            facecolors="none",
            edgecolors="r",
            lw=0.7,
            label=f"QC outlier ({len(out)})",
        )
    ax2.set_xlabel(f"PC1 ({100 * var.get('PC1', np.nan):.1f}%)")
    ax2.set_ylabel(f"PC2 ({100 * var.get('PC2', np.nan):.1f}%)")
    ax2.set_title("PCA of all sequenced samples (QC stage)", fontsize=6)
    ax2.legend(frameon=False, fontsize=5)
    fig.suptitle("Fig. 1  Cohort, sample flow and sample PCA", fontsize=8)
    data_note(fig, str(summary["data_source"].iloc[0]))
    panel_letters(fig)
    return fig


def fig2_erbb2_by_group(
    patients: pd.DataFrame,
    assoc: pd.DataFrame,
    *,
    data_source: str,
    findings: pd.DataFrame | None = None,
) -> Figure:
    """Finding 1: baseline ERBB2 mRNA and ERBB signalling by patient group."""
    fig, axes = subplots(1, 3, figsize=(WIDTH, 2.4), layout="constrained")
    pre = baseline_rows(patients)
    for ax, col, label in zip(
        axes,
        ("ERBB2", "ERBB_SIGNALLING", "ERBB_RECEPTORS_LIGANDS"),
        ("ERBB2 mRNA (VST)", "ERBB signalling score", "ERBB receptors/ligands score"),
        strict=True,
    ):
        box_by_group(ax, pre, col, ylabel=label)
        ax.set_title(
            f"{label}\npCR vs no pCR q={_q(assoc, 'features vs pCR', col)}; "
            f"groups q={_q(assoc, 'groups:kruskal', col)}",
            fontsize=6,
        )
    fig.suptitle(f"Fig. 2  {verdict_title(findings, 1)}", fontsize=7)
    data_note(fig, data_source)
    panel_letters(fig)
    return fig


def fig3_het(
    patients: pd.DataFrame,
    assoc: pd.DataFrame,
    *,
    data_source: str,
    findings: pd.DataFrame | None = None,
) -> Figure:
    """Finding 2: pCR by HET, basal-like score, ERBB2 vs ERBB signalling, downstream score."""
    fig, axes = subplots(1, 4, figsize=(WIDTH, 2.5), layout="constrained")
    pre = baseline_rows(patients)
    ax = axes[0]
    rate = pre.groupby("HET")["pCR"].agg(["mean", "size"]) if "HET" in pre else pd.DataFrame()
    if len(rate):
        labels = ["non-HET" if h == 0 else "HET" for h in rate.index]
        ax.bar(labels, 100 * rate["mean"], color=["#7570b3", "#d95f02"][: len(rate)])
        for i, (m, n) in enumerate(zip(rate["mean"], rate["size"], strict=True)):
            ax.text(i, 100 * m, f"{100 * m:.0f}%\n(n={n})", ha="center", va="bottom", fontsize=5)
        firth = assoc[(assoc["family"] == "HET vs pCR") & assoc["test"].str.startswith("Firth")]
        if len(firth):
            r = firth.iloc[0]
            ax.set_xlabel(
                f"Firth OR {r['estimate']:.2g} ({r['ci_low']:.2g}-{r['ci_high']:.2g})", fontsize=5
            )
        ax.set_ylim(0, 100)
    ax.set_ylabel("pCR rate (%)")
    ax.set_title(f"pCR by HET\nFisher p={_q(assoc, 'HET vs pCR', 'HET', 'pvalue')}", fontsize=6)
    box_by_group(axes[1], pre, "BASAL_LIKE", ylabel="basal-like score")
    axes[1].set_title(
        f"basal-like\nHET vs non-HET (no pCR)\nq="
        f"{_q(assoc, 'groups:HET/no-pCR vs nonHET/no-pCR', 'BASAL_LIKE')}",
        fontsize=6,
    )
    ax = axes[2]
    if {"ERBB2", "ERBB_DOWNSTREAM"} <= set(pre.columns):
        # the downstream set has no ERBB2: "low ERBB2 yet high signalling" is not circular
        for g, sub in pre.groupby("group"):
            ax.scatter(
                sub["ERBB2"],
                sub["ERBB_DOWNSTREAM"],
                s=5,
                lw=0,
                label=g,
                c=GROUP_COLOURS.get(str(g), "0.5"),
            )
        ax.set_xlabel("ERBB2 mRNA (VST)")
        ax.set_ylabel("ERBB downstream score (no ERBB2)")
        ax.legend(frameon=False, fontsize=4.5)
        ax.set_title("ERBB2 mRNA vs downstream signalling", fontsize=6)
    else:
        _missing(ax, "ERBB2 / ERBB_DOWNSTREAM")
    box_by_group(axes[3], pre, "ERBB_DOWNSTREAM", ylabel="ERBB downstream score")
    axes[3].set_title(
        f"downstream components\nHET vs non-HET (no pCR)\nq="
        f"{_q(assoc, 'groups:HET/no-pCR vs nonHET/no-pCR', 'ERBB_DOWNSTREAM')}",
        fontsize=6,
    )
    fig.suptitle(f"Fig. 3  {verdict_title(findings, 2)}", fontsize=7)
    data_note(fig, data_source)
    panel_letters(fig)
    return fig


def fig4_pre_post(
    patients: pd.DataFrame,
    assoc: pd.DataFrame,
    *,
    transitions: pd.DataFrame | None,
    data_source: str,
    treatment_response: pd.DataFrame | None = None,
    findings: pd.DataFrame | None = None,
) -> Figure:
    """Findings 3 and 4: residual vs baseline tumours, HET vs non-HET."""
    fig, axes = subplots(2, 3, figsize=(WIDTH, 4.4), layout="constrained")
    panels = (
        ("ERBB2", "ERBB2 mRNA (VST)"),
        ("fish_pct_amplified", "% ERBB2-amplified cells (FISH)"),
        ("PI3K_AKT_MTOR_CORE", "PI3K/AKT/mTOR score"),
        ("ESTROGEN_RESPONSE_LUMINAL", "luminal / oestrogen score"),
    )
    for ax, (col, label) in zip(axes.flat[:4], panels, strict=True):
        paired_lines(ax, patients, col, ylabel=label)
        ax.set_title(
            f"{label}\nnon-HET q={_q(assoc, 'pre_post:nonHET', col)}; "
            f"HET q={_q(assoc, 'pre_post:HET', col)}",
            fontsize=5.5,
        )
    ax = axes.flat[4]
    if transitions is not None and len(transitions):
        lum = {"LumA", "LumB"}
        rows = []
        for het, label in ((False, "non-HET"), (True, "HET")):
            t = transitions[(het_side(transitions["group"]) == het).fillna(False).to_numpy()]
            n = t["n"].sum()
            rows.append(
                (
                    label,
                    t.loc[t["subtype_pre"].isin(lum), "n"].sum() / max(n, 1),
                    t.loc[t["subtype_post"].isin(lum), "n"].sum() / max(n, 1),
                    n,
                )
            )
        x = np.arange(len(rows))
        ax.bar(x - 0.2, [100 * r[1] for r in rows], 0.4, color=TIME_COLOURS["pre"], label="pre")
        ax.bar(x + 0.2, [100 * r[2] for r in rows], 0.4, color=TIME_COLOURS["post"], label="post")
        ax.set_xticks(x, [f"{r[0]}\n(n={r[3]})" for r in rows], fontsize=5)
        ax.set_ylabel("luminal subtype (%)")
        ax.legend(frameon=False)
        ax.set_title("subtype shift to luminal\n(paired patients)", fontsize=6)
    else:
        _missing(ax, "subtype transitions")
    ax = axes.flat[5]
    if treatment_response is not None and len(treatment_response):
        resp = treatment_response.dropna(subset=["HET"])
        vals = [resp.loc[resp["HET"] == h, "response"].to_numpy() for h in (0, 1)]
        ax.boxplot(vals, showfliers=False, widths=0.6, medianprops={"color": "k"})
        rng = np.random.default_rng(0)
        for i, (v, c) in enumerate(zip(vals, ("#7570b3", "#d95f02"), strict=True), start=1):
            ax.scatter(i + rng.uniform(-0.18, 0.18, len(v)), v, s=5, lw=0, c=c)
        ax.axhline(0, c="0.5", lw=0.6, ls="--")
        ax.set_xticks(
            [1, 2], [f"non-HET\n(n={len(vals[0])})", f"HET\n(n={len(vals[1])})"], fontsize=5
        )
        ax.set_ylabel("treatment response per patient\n(mean signed change, VST)", fontsize=5.5)
        ax.set_title(
            f"finding 4: {finding_verdicts(findings)[4] if findings is not None else 'not tested'}"
            "\n(HET x treatment, permutation test)",
            fontsize=6,
        )
    else:
        _missing(ax, "per-patient treatment response")
    fig.suptitle(
        f"Fig. 4  {verdict_title(findings, 3, width=135)}\n{verdict_title(findings, 4, width=135)}",
        fontsize=6,
    )
    data_note(fig, data_source)
    panel_letters(fig)
    return fig


def fig5_immune(
    patients: pd.DataFrame,
    assoc: pd.DataFrame,
    *,
    data_source: str,
    sets: Sequence[str] | None = None,
    findings: pd.DataFrame | None = None,
) -> Figure:
    """Finding 5: immune scores by patient group (pCR and HET)."""
    pre = baseline_rows(patients)
    cols = list(sets) if sets else [c for c in pre.columns if c.startswith(("IMMUNE_", "IFNG"))]
    ncol = 4
    nrow = max(1, int(np.ceil(len(cols) / ncol)))
    fig, axes = subplots(
        nrow, ncol, figsize=(WIDTH, 2.0 * nrow + 0.4), layout="constrained", squeeze=False
    )
    for ax in axes.flat[len(cols) :]:
        ax.set_axis_off()
    if not cols:
        _missing(axes.flat[0], "immune gene sets")
    for ax, col in zip(axes.flat, cols, strict=False):
        box_by_group(ax, pre, col, ylabel="score")
        ax.set_title(
            f"{col}\npCR q={_q(assoc, 'features vs pCR', col)}; HET q="
            f"{_q(assoc, 'groups:HET/no-pCR vs nonHET/no-pCR', col)}",
            fontsize=5.5,
        )
    fig.suptitle(f"Fig. 5  {verdict_title(findings, 5)}", fontsize=7)
    data_note(fig, data_source)
    panel_letters(fig)
    return fig


_LEVEL_TERM = re.compile(
    r"^(?:C\((?P<c>[^,()]+)(?:,\s*Treatment\((?:reference=)?(?P<q>['\"])(?P<ref>.*?)(?P=q)\))?\)"
    r"|(?P<n>[^\[\]:]+))\[T\.(?P<lvl>[^\]]+)\]$"
)


def term_label(term: str) -> str:
    """A design column as a reader says it: ``HR[T.pos]`` -> ``HR pos``,
    ``C(HR, Treatment('pos'))[T.neg]`` -> ``HR neg vs pos``, ``HET:ERBB2`` -> ``HET x ERBB2``;
    a numeric column stays its name (per unit; a 0/1 column such as ``HET``: 1 vs 0)."""
    parts = []
    for factor in term.split(":"):
        m = _LEVEL_TERM.match(factor.strip())
        if m is None:
            parts.append(factor.strip())
            continue
        name = (m.group("c") or m.group("n")).strip()
        ref = m.group("ref")
        parts.append(f"{name} {m.group('lvl')}" + (f" vs {ref}" if ref else ""))
    return " x ".join(parts)


def panel_letters(fig: Figure) -> None:
    """Panel letters A, B, ... over the figure's visible panels (creation order), at the start
    of each panel's title (in the title itself, so a letter can never overlap a title, a label
    or another panel)."""
    for i, ax in enumerate(a for a in fig.axes if a.axison):
        title = ax.title
        title.set_text(f"{'ABCDEFGHIJKLMNOP'[i]}   {title.get_text()}".rstrip())


def forest(ax: Axes, terms: pd.DataFrame, *, label: str, estimate: str) -> None:
    """Forest plot of ratios (log scale) with 95% CIs; ``terms`` has ``term``, ``model``."""
    t = terms[terms["term"] != "Intercept"].reset_index(drop=True)
    y = np.arange(len(t))[::-1]
    lo = np.clip(t["ci_low"].to_numpy(float), 1e-3, None)
    hi = np.clip(t["ci_high"].to_numpy(float), None, 1e3)
    est = t[estimate].to_numpy(float)
    ax.hlines(y, lo, hi, color="k", lw=0.8)
    ax.scatter(est, y, s=14, c="k", zorder=3, marker="s")
    ax.axvline(1, c="0.5", lw=0.6, ls="--")
    ax.set_xscale("log")
    several = t["model"].nunique() > 1
    names = [
        (f"{r['model']}: " if several else "")
        + term_label(str(r["term"]))
        + (" (Firth)" if r.get("estimator") == "Firth" else "")
        for _, r in t.iterrows()
    ]
    ax.set_yticks(y, names, fontsize=5)
    ax.set_xlabel(f"{label} (95% CI, log scale)")


_LEVEL_WORDS = {("HET", "0"): "non-HET", ("HET", "1"): "HET", ("pCR", "0"): "no pCR",
                ("pCR", "1"): "pCR"}  # fmt: skip


def level_label(by: str, level: object) -> str:
    """A curve's group in words: HET 1 -> ``HET``, pCR 0 -> ``no pCR``, else ``by=level``."""
    key = str(level).removesuffix(".0")
    return _LEVEL_WORDS.get((by, key), f"{by}={level}")


def km_panel(
    ax: Axes,
    curves: pd.DataFrame,
    at_risk: pd.DataFrame,
    logrank: pd.DataFrame,
    by: str,
    *,
    endpoint: str,
) -> None:
    """Kaplan-Meier step curves of one grouping with numbers at risk under the axis."""
    c = curves[curves["by"] == by]
    if c.empty:
        _missing(ax, f"Kaplan-Meier by {by}")
        return
    palette = ["#7570b3", "#d95f02", "#1b9e77", "#e7298a", "#66a61e", "#a6761d"]
    for i, (level, sub) in enumerate(c.groupby("level", sort=True)):
        ax.step(
            sub["time"],
            sub["survival"],
            where="post",
            c=palette[i % 6],
            lw=1,
            label=level_label(by, level),
        )
        ax.fill_between(
            sub["time"],
            sub["ci_low"],
            sub["ci_high"],
            step="post",
            color=palette[i % 6],
            alpha=0.12,
            lw=0,
        )
        if "censored" in sub:  # censor marks: a tick where a patient left follow-up event-free
            cens = sub[pd.to_numeric(sub["censored"], errors="coerce").fillna(0) > 0]
            ax.scatter(cens["time"], cens["survival"], marker="|", s=12, lw=0.6,
                       color=palette[i % 6], zorder=3)  # fmt: skip
    r = at_risk[at_risk["by"] == by].pivot(index="level", columns="time", values="n_at_risk")
    tr = ax.get_xaxis_transform()  # x in data units, y in axes units
    ax.text(0.0, -0.30, "at risk", transform=ax.transAxes, fontsize=5, ha="right")
    for i, (lvl, row) in enumerate(r.iterrows()):
        y = -0.38 - 0.08 * i
        ax.text(
            -0.02,
            y,
            level_label(by, lvl),
            transform=ax.transAxes,
            fontsize=4.5,
            ha="right",
            color=palette[i % 6],
        )
        for t, v in row.items():
            ax.text(float(t), y, str(int(v)), transform=tr, fontsize=4.5, ha="center")
    ax.set_xticks(list(r.columns))
    lr = logrank[logrank["by"] == by]
    p = f"{lr['pvalue'].iloc[0]:.2g}" if len(lr) else "n/a"
    ax.set_title(f"{endpoint} by {by} (log-rank p={p})", fontsize=6)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("months")
    ax.set_ylabel("event-free probability")
    ax.legend(frameon=False, fontsize=5, loc="lower left")


def fig6_outcome(
    logistic_terms: pd.DataFrame,
    *,
    cox_terms: pd.DataFrame | None,
    km_curves: pd.DataFrame | None,
    km_at_risk: pd.DataFrame | None,
    logrank: pd.DataFrame | None,
    endpoint: str,
    data_source: str,
) -> Figure:
    """Outcome models: forest plots (logistic ORs for pCR, Cox HRs) and KM by HET and pCR."""
    fig, axes = subplots(2, 2, figsize=(WIDTH, 5.0), layout="constrained")
    forest(axes[0, 0], logistic_terms, label="odds ratio of pCR", estimate="odds_ratio")
    axes[0, 0].set_title("Logistic models for pCR", fontsize=6)
    if cox_terms is not None and len(cox_terms):
        forest(axes[0, 1], cox_terms, label="hazard ratio", estimate="hazard_ratio")
        axes[0, 1].set_title(f"Cox models, {endpoint}", fontsize=6)
    else:
        _missing(axes[0, 1], "survival models")
    for ax, by in zip(axes[1], ("HET", "pCR"), strict=True):
        if km_curves is None or km_at_risk is None or logrank is None or km_curves.empty:
            _missing(ax, f"Kaplan-Meier by {by}")
        else:
            km_panel(ax, km_curves, km_at_risk, logrank, by, endpoint=endpoint)
    fig.suptitle(
        "Fig. 6  Response and outcome models (findings 1, 2: HET, ERBB2 and pCR)", fontsize=7
    )
    data_note(fig, data_source)
    panel_letters(fig)
    return fig


#: How each input table of a paper figure is read (identifier columns as text; the subtype
#: transitions keep empty strings): keyword arguments of :func:`her2het.io.read_table`.
PAPER_TABLE_READS: dict[str, dict[str, object]] = {
    "qc": {"ids": ("sample", "patient")},
    "obs": {"ids": ("sample", "patient")},
    "patients": {"ids": ("sample", "patient")},
    "treatment_response": {"ids": ("sample", "patient")},
    "km_curves": {"ids": ("level",)},
    "km_at_risk": {"ids": ("level",)},
    "transitions": {"keep_default_na": False},
}


def paper_figure(
    name: str,
    tables: Mapping[str, pd.DataFrame | None],
    *,
    data_source: str,
    endpoint: str = "Event-free survival",
) -> Figure:
    """Draw figure ``name`` (``fig1`` ... ``fig6``, the rule's name) from its input tables
    (read as :data:`PAPER_TABLE_READS` says; an absent optional table is missing or None).

    Keys of ``tables``: ``summary``, ``qc``, ``variance``, ``obs`` (fig1); ``patients``,
    ``associations``, ``findings`` (fig2-5); ``transitions``, ``treatment_response`` (fig4,
    optional); ``logistic_terms``, ``cox_terms``, ``km_curves``, ``km_at_risk``, ``logrank``
    (fig6; survival optional).
    """
    get = tables.get
    if name == "fig1":
        return fig1_cohort(tables["summary"], tables["qc"], tables["variance"], tables["obs"])
    if name == "fig6":
        return fig6_outcome(
            tables["logistic_terms"],
            cox_terms=get("cox_terms"),
            km_curves=get("km_curves"),
            km_at_risk=get("km_at_risk"),
            logrank=get("logrank"),
            endpoint=endpoint,
            data_source=data_source,
        )
    patients, assoc, found = tables["patients"], tables["associations"], get("findings")
    if name == "fig2":
        return fig2_erbb2_by_group(patients, assoc, data_source=data_source, findings=found)
    if name == "fig3":
        return fig3_het(patients, assoc, data_source=data_source, findings=found)
    if name == "fig4":
        return fig4_pre_post(
            patients,
            assoc,
            transitions=get("transitions"),
            treatment_response=get("treatment_response"),
            findings=found,
            data_source=data_source,
        )
    if name == "fig5":
        return fig5_immune(patients, assoc, data_source=data_source, findings=found)
    raise ValueError(f"unknown paper figure {name!r} (fig1 ... fig6)")
