"""Power curves of the design calculator (:mod:`her2het.power`), from its power table.

One panel per test: Monte-Carlo power (95% Clopper-Pearson interval) against the number of
patients, one line per HET prevalence, the trial's own design (129 patients, 14 HET) as a
marked point. Designs whose test is not estimable (no HET patient expected) are left out of
the lines and listed in the panel. Takes the table in, returns a figure; no table changes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from her2het.plots._style import data_note

TEST_TITLES: dict[str, str] = {
    "het_pcr_fisher": "HET vs pCR (Fisher)",
    "het_pcr_firth": "HET vs pCR (Firth)",
    "erbb2_pcr": "ERBB2 vs pCR (Mann-Whitney)",
    "tcell_pcr": "T-cell score vs pCR (Mann-Whitney)",
    "erbb2_pre_post": "ERBB2 residual vs baseline (Wilcoxon)",
    "attenuation": "HET x treatment, global (permutation)",
    "de_interaction": "HET x treatment, any gene at FDR",
    "de_post_vs_pre_nonHET": "post vs pre non-HET, any gene at FDR",
    "de_post_vs_pre_HET": "post vs pre HET, any gene at FDR",
    "finding1": "finding 1 agrees (Holm)",
    "finding2": "finding 2 agrees (Holm)",
    "finding3": "finding 3 agrees (Holm)",
    "finding4": "finding 4 agrees (Holm)",
    "finding5": "finding 5 agrees (Holm)",
}


def prevalence_colours(table: pd.DataFrame, *, trial: str = "trial") -> dict[float, object]:
    """One colour per HET prevalence of the grid (the same in every panel)."""
    from matplotlib import colormaps

    prevs = sorted(set(table.loc[table["design"] != trial, "het_prevalence"].astype(float)))
    cmap = colormaps["viridis"]
    return {p: cmap(0.85 * i / max(1, len(prevs) - 1)) for i, p in enumerate(prevs)}


def draw_power_curve(
    ax: Axes,
    table: pd.DataFrame,
    test: str,
    *,
    trial: str = "trial",
    colours: Mapping[float, object] | None = None,
) -> None:
    """Power of one ``test`` vs ``n_patients``, a line per ``het_prevalence``; ``trial`` marked."""
    colours = colours if colours is not None else prevalence_colours(table, trial=trial)
    t = table[table["test"] == test]
    grid, point = t[t["design"] != trial], t[t["design"] == trial]
    ok = grid["power"].notna()
    for prev, d in grid[ok].groupby("het_prevalence", sort=True):
        d = d.sort_values("n_patients")
        x, y = d["n_patients"].to_numpy(float), d["power"].to_numpy(float)
        err = np.vstack([y - d["ci_low"].to_numpy(float), d["ci_high"].to_numpy(float) - y])
        ax.errorbar(x, y, yerr=err, marker="o", ms=2.5, lw=1, capsize=1.5,
                    color=colours.get(float(prev)), label=f"HET {prev:.0%}")  # fmt: skip
    for r in point.itertuples():
        if pd.notna(r.power):
            ax.errorbar([r.n_patients], [r.power], yerr=[[r.power - r.ci_low], [r.ci_high - r.power]],
                        marker="*", ms=9, color="black", lw=1, zorder=5,
                        label=f"trial ({r.n_patients} pts, {r.het_prevalence:.1%} HET)")  # fmt: skip
    skipped = sorted(set(grid.loc[~ok, "het_prevalence"]))
    if skipped:
        ax.text(0.02, 0.02, "not estimable: HET " + ", ".join(f"{p:.0%}" for p in skipped),
                transform=ax.transAxes, fontsize=5, color="0.4")  # fmt: skip
    ax.axhline(0.8, color="0.6", ls=":", lw=0.8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(TEST_TITLES.get(test, test), fontsize=7)
    ax.tick_params(labelsize=6)


def power_figure(table: pd.DataFrame, *, replicates_note: bool = True) -> Figure:
    """Every test of the power table as one panel (:func:`draw_power_curve`)."""
    tests = list(dict.fromkeys(table["test"]))
    cols = 4
    rows = int(np.ceil(len(tests) / cols))
    fig = Figure(figsize=(2.3 * cols, 1.9 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    colours = prevalence_colours(table)
    for ax, test in zip(axes.ravel(), tests, strict=False):
        draw_power_curve(ax, table, test, colours=colours)
    for ax in axes.ravel()[len(tests) :]:
        ax.set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel("patients with RNA-seq", fontsize=6)
    for ax in axes[:, 0]:
        ax.set_ylabel("power (95% CI)", fontsize=6)
    entries: dict[str, object] = {}
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(lab, h)

    def order(lab: str) -> tuple[bool, float]:
        het = lab.startswith("HET ")
        return (not het, float(lab[4:].rstrip("%")) if het else 0.0)

    labels = sorted(entries, key=order)
    handles = [entries[lab] for lab in labels]
    fig.legend(handles, labels, loc="outside upper center", ncol=6, fontsize=6, frameon=False)
    reps = int(table["replicates"].max()) if replicates_note and len(table) else 0
    note = "SIMULATED cohorts (her2het.power): power of the workflow's tests by design"
    data_note(fig, note + (f"; {reps} replicates per design" if reps else ""))
    return fig
