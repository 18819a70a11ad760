"""What a cohort's columns allow: analyses that cannot be formed are skipped, each with a reason.

The trial's columns - ``pCR``, ``HET``, ``HR``, the follow-up (``EFS_months``/``EFS_event``),
a second timepoint - are optional. A configured DE contrast, pCR model or survival analysis
that needs a column the sheets lack (or a level the cohort does not have, e.g. a constant HET
or one timepoint) is skipped before any job runs instead of failing the run; the workflow
names each skip once on stderr (``Skipped: ...``) and in ``results/skipped.tsv`` (columns
``stage``, ``item``, ``reason``), which the report shows. A column that is not one of these
trial columns is still a config error (a typo must not be skipped quietly).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass

import pandas as pd

from her2het.de import Contrast, level_series, subset_meta

#: Columns a cohort may lack; analyses that need them are skipped, not refused.
TRIAL_COLUMNS: tuple[str, ...] = ("pCR", "HET", "HR", "EFS_months", "EFS_event")
SKIP_COLUMNS: tuple[str, ...] = ("stage", "item", "reason")
#: The values these columns can take: a level outside them is a typo (an error), not a skip.
VALID_LEVELS: dict[str, frozenset[str]] = {
    "pCR": frozenset({"0", "1"}),
    "HET": frozenset({"0", "1"}),
    "EFS_event": frozenset({"0", "1"}),
    "HR": frozenset({"pos", "neg"}),
    "timepoint": frozenset({"pre", "post"}),
}


@dataclass(frozen=True)
class Skip:
    """One analysis left out: its stage (``de``, ``outcome``), what it is, and why."""

    stage: str
    item: str
    reason: str

    def line(self) -> str:
        return f"Skipped: {self.stage} {self.item}: {self.reason}"


def _absent(columns: Sequence[str], present: set[str]) -> list[str]:
    return [c for c in dict.fromkeys(columns) if c in TRIAL_COLUMNS and c not in present]


def contrast_skip(contrast: Contrast, meta: pd.DataFrame) -> str | None:
    """Why this cohort cannot form ``contrast`` (None when it can, or when the spec is wrong).

    Skipped: a trial column it names is absent; a trial column or ``timepoint`` it subsets on
    leaves no sample; its variable (a trial column or ``timepoint``) lacks the reference or
    target level there although that level is a valid value (:data:`VALID_LEVELS`); its
    interaction column (a trial column) has fewer than two levels.
    """
    present = set(meta.columns)
    named = [*contrast.subset, contrast.variable, *contrast.blocking]
    named += [contrast.interaction] if contrast.interaction else []
    missing = _absent(named, present)
    if missing:
        return f"the sheets have no column {', '.join(map(repr, missing))}"
    valid = VALID_LEVELS.get(contrast.variable, frozenset())
    if any(k not in present for k in contrast.subset) or contrast.variable not in present:
        return None  # a typo: check_contrast names it
    if not {contrast.reference, contrast.target} <= valid:
        return None  # not a trial column, or a level it cannot take: check_contrast names it
    if all(k in VALID_LEVELS for k in contrast.subset):
        sub = subset_meta(contrast, meta)
        where = " in its subset" if contrast.subset else ""
        if sub.empty:
            kept = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in contrast.subset.items())
            return f"its subset ({kept}) leaves no sample with a {contrast.variable!r} value"
        levels = set(level_series(sub[contrast.variable]))
        for lv in (contrast.reference, contrast.target):
            if lv not in levels:
                return (
                    f"{contrast.variable!r} has no {lv!r} samples{where} "
                    f"(levels: {', '.join(sorted(levels))})"
                )
        col = contrast.interaction
        if col in TRIAL_COLUMNS and col in present:
            lv = sorted(set(level_series(sub[col])) - {""})
            if len(lv) < 2 and contrast.interaction_levels is None:
                return f"interaction column {col!r} has one level here ({', '.join(lv) or 'none'})"
    return None


def prune_contrasts(
    specs: Sequence[Mapping[str, object]], contrasts: Sequence[Contrast], meta: pd.DataFrame
) -> tuple[list[Mapping[str, object]], list[Contrast], list[Skip]]:
    """Keep the contrasts this cohort can form; the others become :class:`Skip` rows."""
    kept_specs, kept, skips = [], [], []
    for spec, c in zip(specs, contrasts, strict=True):
        why = contrast_skip(c, meta)
        if why:
            skips.append(Skip("de", f"contrast {c.id}", why))
        else:
            kept_specs.append(spec)
            kept.append(c)
    return kept_specs, kept, skips


def _missing_in_formula(formula: str, present: set[str]) -> list[str]:
    """Trial columns ``formula`` names that are absent (a typo is left to the config check)."""
    from her2het.models import formula_columns

    try:
        names = formula_columns(formula, [*present, *TRIAL_COLUMNS])
    except ValueError:
        return []
    return _absent(names, present)


def prune_outcome(
    cfg: Mapping[str, object], columns: Sequence[str]
) -> tuple[dict[str, object], list[Skip]]:
    """The ``outcome`` config without the models whose trial columns the cohort lacks.

    pCR models naming an absent trial column are dropped; survival is disabled when its time or
    event column is absent, and Kaplan-Meier groupings and Cox models naming an absent trial
    column are dropped. Returns a copy and the skips.
    """
    out: dict[str, object] = deepcopy(dict(cfg))
    present = set(columns)
    skips: list[Skip] = []
    out["logistic"]["models"] = _keep_models(out["logistic"]["models"], present, "logistic", skips)  # type: ignore[index]
    surv = out["survival"]
    if surv["enabled"]:  # type: ignore[index]
        missing = _absent([surv["time"], surv["event"]], present)  # type: ignore[index]
        if missing:
            surv["enabled"] = False  # type: ignore[index]
            why = f"no follow-up column {', '.join(map(repr, missing))} in the patient sheet"
            skips.append(Skip("outcome", "survival", why))
        else:
            for by in [b for b in surv["km_by"] if _absent([b], present)]:  # type: ignore[index]
                skips.append(Skip("outcome", f"Kaplan-Meier by {by}", f"no column {by!r}"))
            surv["km_by"] = [b for b in surv["km_by"] if not _absent([b], present)]  # type: ignore[index]
            surv["cox"] = _keep_models(surv["cox"], present, "Cox", skips)  # type: ignore[index]
    return out, skips


def _keep_models(
    models: Sequence[Mapping[str, str]], present: set[str], kind: str, skips: list[Skip]
) -> list[Mapping[str, str]]:
    """The models whose formulas name no absent trial column; the others are added to skips."""
    kept = []
    for m in models:
        missing = _missing_in_formula(m["formula"], present)
        if missing:
            why = f"{m['formula']!r} needs column {', '.join(map(repr, missing))}"
            skips.append(Skip("outcome", f"{kind} model {m['id']}", why))
        else:
            kept.append(m)
    return kept


def skip_table(skips: Sequence[Skip]) -> pd.DataFrame:
    """The skips as a table (``stage``, ``item``, ``reason``; header only when none)."""
    return pd.DataFrame([(s.stage, s.item, s.reason) for s in skips], columns=list(SKIP_COLUMNS))
