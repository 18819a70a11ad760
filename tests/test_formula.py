"""Formulas are parsed by the project's grammar and never evaluated (her2het.formula)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import patsy
import pytest

from her2het import formula, models

# Each of these ran code, or would, if the string reached patsy/formulaic/Python evaluation.
# The first two are the bypasses of the old regular-expression guard: an escaped quote that
# ended the guard's string early, and identifiers in Unicode letters that Python normalises
# (NFKC) to ASCII ("ｏｐｅｎ" is open).
INJECTIONS = [
    "pCR ~ HET + I('\\'' and __import__(\"os\").system(\"touch pwned\") and '')",
    "pCR ~ HET + I(\uff4f\uff50\uff45\uff4e('pwned', 'w') == 0)",
    "pCR ~ HET.__class__.__base__",
    "pCR ~ (lambda: open('pwned', 'w'))()",
    "pCR ~ HET + [open('pwned', 'w') for _ in [1]]",
    "pCR ~ I(open('pwned', 'w'))",
    "pCR ~ np.log(HET) + np.os.system('touch pwned')",
    "pCR ~ Q(open('pwned', 'w').name)",
    "pCR ~ C(HR, Treatment(open('pwned', 'w')))",
    "pCR ~ C(HR, Treatment(f'{open(chr(112), chr(119))}'))",
    "pCR ~ HET\n__import__('os').system('touch pwned')",
    "pCR ~ HET; import os",
    "HET + __import__('os').system('touch pwned')",
    "pCR ~ C(HR, Treatment('pos' + open('pwned', 'w').name))",
    "pCR ~ HET + {'a': open('pwned', 'w')}",
    "pCR ~ HET @ HET",
    "pCR ~ HET + 2",
]


def _table(n: int = 40, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "pCR": rng.integers(0, 2, n),
            "HET": rng.integers(0, 2, n),
            "HR": rng.choice(["neg", "pos"], n),
            "subtype": rng.choice(["Basal", "Her2", "LumA"], n),
            "ERBB2": rng.normal(10, 1, n),
            "HLA-DRA": rng.normal(5, 1, n),
            "EFS_months": rng.uniform(1, 60, n),
            "EFS_event": rng.integers(0, 2, n),
        }
    )


@pytest.mark.parametrize("text", INJECTIONS)
def test_code_in_a_formula_is_rejected_and_never_runs(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    df = _table()
    with pytest.raises(formula.FormulaError):
        formula.design_matrices(formula.parse(text), df)
    with pytest.raises(ValueError):
        models.fit_logistic(df, text, cv_folds=0)
    with pytest.raises(ValueError):
        models.fit_cox(df, "EFS_months", "EFS_event", text.split("~")[-1])
    assert os.listdir(tmp_path) == []


def test_a_non_ascii_character_is_named() -> None:
    with pytest.raises(formula.FormulaError, match=r"U\+FF28"):
        formula.parse("pCR ~ \uff28ET")  # fullwidth H, NFKC-equal to "HET"


@pytest.mark.parametrize(
    "text",
    [
        "pCR ~ HET + ERBB2 + HR",
        "pCR ~ HET * ERBB2",
        "pCR ~ HET:ERBB2 + HR - 1",
        "pCR ~ ERBB2 + 0",
        "pCR ~ C(HR, Treatment('pos')) + C(subtype, Treatment(reference='LumA'))",
        "pCR ~ C(HET) + log2(ERBB2) + sqrt(ERBB2)",
        "pCR ~ (HET + HR):ERBB2",
        "pCR ~ HET + ERBB2 - ERBB2",
        "pCR ~ standardize(ERBB2) + center(ERBB2)",
    ],
)
def test_design_equals_patsy_on_the_formulas_patsy_shares(text: str) -> None:
    """The same design matrix, column names included, as patsy evaluating the same text."""
    df = _table()
    y, x = formula.design_matrices(formula.parse(text), df)
    env = patsy.EvalEnvironment([{k: getattr(np, k) for k in ("log", "log2", "sqrt")}])
    py, px = patsy.dmatrices(text, df, eval_env=env, return_type="dataframe")
    assert list(x.columns) == list(px.columns)
    np.testing.assert_allclose(x.to_numpy(), px.to_numpy(), rtol=1e-12)
    assert y is not None and (y.to_numpy() == py.iloc[:, 0].to_numpy()).all()


def test_quoted_names_levels_and_columns() -> None:
    df = _table()
    f = formula.parse("pCR ~ Q('HLA-DRA') + C(subtype, Treatment('Her2'))")
    assert f.outcome == "pCR" and f.columns == ["pCR", "HLA-DRA", "subtype"]
    _, x = formula.design_matrices(f, df)
    assert list(x.columns) == [
        "Intercept",
        "C(subtype, Treatment('Her2'))[T.Basal]",
        "C(subtype, Treatment('Her2'))[T.LumA]",
        "Q('HLA-DRA')",
    ]
    with pytest.raises(formula.FormulaError, match="reference level 'LumB'"):
        formula.design_matrices(formula.parse("pCR ~ C(subtype, Treatment('LumB'))"), df)
    with pytest.raises(formula.FormulaError, match="no column 'Ki67'"):
        formula.design_matrices(formula.parse("pCR ~ Ki67"), df)
    with pytest.raises(formula.FormulaError, match="not finite"):
        formula.design_matrices(formula.parse("pCR ~ log(HET)"), df)


def test_cox_design_has_no_intercept_and_matches_lifelines_formula() -> None:
    """Cox from the parsed design equals lifelines fitting the same formula itself."""
    from lifelines import CoxPHFitter

    df = _table(n=120, seed=4)
    terms, _ = models.fit_cox(df, "EFS_months", "EFS_event", "HET + C(HR, Treatment('pos'))")
    cols = ["EFS_months", "EFS_event", "HET", "HR"]
    direct = CoxPHFitter().fit(
        df[cols],
        duration_col="EFS_months",
        event_col="EFS_event",
        formula="HET + C(HR, contr.treatment('pos'))",
    )
    assert "Intercept" not in set(terms["term"])
    ours = terms.set_index("term")["log_hr"].sort_values()
    np.testing.assert_allclose(ours.to_numpy(), np.sort(direct.params_.to_numpy()), rtol=1e-6)
    assert set(ours.index) == {"HET", "C(HR, Treatment('pos'))[T.neg]"}
    with pytest.raises(ValueError, match="right-hand side only"):
        models.fit_cox(df, "EFS_months", "EFS_event", "EFS_event ~ HET")
