"""Model formulas from the config, parsed by a grammar of our own and never evaluated as code.

A config file is data. statsmodels/patsy and lifelines/formulaic evaluate a formula string as
Python (every name is looked up in a Python namespace, every call is a Python call), so a
formula that reached them could run code: a regular-expression guard in front of them was
bypassed by an escaped quote and by Unicode identifiers that Python normalises to ASCII (NFKC).
Here a formula is tokenised and parsed into terms; the design matrix is then built from those
terms with patsy's :class:`patsy.LookupFactor`, which only *looks up* a column of the data (no
evaluation), and the few transforms are computed in numpy. Anything outside the grammar is a
``FormulaError`` (a ``ValueError``) naming what was not understood.

The grammar (a subset of the Wilkinson-Rogers notation patsy and R use)::

    formula   := [ NAME "~" ] rhs                 outcome ~ predictors; Cox: predictors only
    rhs       := term { ("+" | "-") term }
    term      := factor { (":" | "*") factor }    ":" interaction, "*" main effects + interaction
    factor    := column | "C(" column [ "," contrast ] ")" | FUNC "(" column ")" | "0" | "1"
               | "(" rhs ")"
    column    := NAME | "Q(" STRING ")"           Q('HLA-DRA') for a name that is no identifier
    contrast  := "Treatment(" [ "reference" "=" ] STRING ")"
    FUNC      := log | log2 | log10 | sqrt | exp | center | standardize
    NAME      := ASCII letter or "_", then ASCII letters, digits, "_"
    STRING    := '...' or "..." without backslashes or the other quote

``- 1`` / ``+ 0`` remove the intercept, ``- term`` removes a term. Column names must be columns
of the table. Column names of the design follow patsy's conventions (``HR[T.pos]``,
``C(subtype, Treatment('LumA'))[T.Basal]``, ``HET:ERBB2``), so tables and figures keep the
labels they had when the formula was handed to patsy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

TRANSFORMS: dict[str, object] = {
    "log": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "center": lambda v: v - np.nanmean(v),
    "standardize": lambda v: (v - np.nanmean(v)) / np.nanstd(v),  # ddof 0, as patsy
}
_MAX_LENGTH = 1000


class FormulaError(ValueError):
    """A formula outside the grammar, or naming a column the table lacks."""


@dataclass(frozen=True)
class Factor:
    """One factor of a term: a column, optionally categorical with a reference, or transformed."""

    column: str
    kind: str = "plain"  # plain | categorical | a TRANSFORMS key
    reference: str | None = None
    keyword: bool = False  # written Treatment(reference='x'), labelled as written

    @property
    def label(self) -> str:
        """The factor's name in design column labels (patsy's spelling of the same factor)."""
        col = self.column if _is_name(self.column) else f"Q({self.column!r})"
        if self.kind == "categorical":
            kw = "reference=" if self.keyword else ""
            ref = "" if self.reference is None else f", Treatment({kw}{self.reference!r})"
            return f"C({col}{ref})"
        if self.kind in TRANSFORMS:
            return f"{self.kind}({col})"
        return col


Term = tuple[Factor, ...]  # the empty term is the intercept


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the outcome column (or None) and the right-hand-side terms."""

    text: str
    outcome: str | None
    terms: tuple[Term, ...]

    @property
    def intercept(self) -> bool:
        return () in self.terms

    @property
    def columns(self) -> list[str]:
        """Every table column the formula uses, outcome first, in order of appearance."""
        cols = [self.outcome] if self.outcome else []
        cols += [f.column for t in self.terms for f in t]
        return list(dict.fromkeys(cols))


_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>[0-9]+)|(?P<string>'[^'\\\"]*'|\"[^\"\\']*\")"
    r"|(?P<op>[~+\-:*(),=]))"
)


def _is_name(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is not None


def _tokens(text: str) -> list[tuple[str, str]]:
    if not text.isascii():
        bad = next(c for c in text if not c.isascii())
        raise FormulaError(
            f"formula {text!r}: character {bad!r} (U+{ord(bad):04X}) is not allowed; formulas "
            "are ASCII (column names, + - : * ~ ( ) 0 1, C(), Q(), log() ...)"
        )
    if len(text) > _MAX_LENGTH:
        raise FormulaError(f"formula of {len(text)} characters (at most {_MAX_LENGTH})")
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FormulaError(
                f"formula {text!r}: cannot read {text[pos:].strip()[:20]!r} (allowed: column "
                "names, + - : * ~ ( ) 0 1, C(), Q('name'), Treatment('level'), "
                f"{', '.join(TRANSFORMS)})"
            )
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def error(self, what: str) -> FormulaError:
        at = self.toks[self.i][1] if self.i < len(self.toks) else "the end"
        return FormulaError(f"formula {self.text!r}: {what} at {at!r}")

    def peek(self, value: str | None = None, kind: str | None = None) -> bool:
        if self.i >= len(self.toks):
            return False
        k, v = self.toks[self.i]
        return (value is None or v == value) and (kind is None or k == kind)

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        if not self.peek(value, kind):
            raise self.error(f"expected {value or kind}")
        self.i += 1
        return self.toks[self.i - 1][1]

    def formula(self) -> Formula:
        outcome = None
        if any(v == "~" for _, v in self.toks):
            outcome = self.column()
            self.take("~")
        terms, intercept = self.rhs()
        if self.i != len(self.toks):
            raise self.error("unexpected input")
        return Formula(self.text, outcome, tuple([()] if intercept else []) + tuple(terms))

    def rhs(self) -> tuple[list[Term], bool]:
        """Terms joined by + and -, and whether the intercept stays (``+ 0``/``- 1`` drop it)."""
        terms: list[Term] = []
        intercept, sign = True, "+"
        while True:
            if self.peek(kind="number"):
                n = self.take()
                if n not in ("0", "1") or not (
                    self.i == len(self.toks) or self.peek("+") or self.peek("-") or self.peek(")")
                ):
                    self.i -= 1
                    raise self.error("a number other than the intercept (0 or 1)")
                intercept = (sign == "+") == (n == "1")
            else:
                for t in self.term():
                    if sign == "+" and t not in terms:
                        terms.append(t)
                    elif sign == "-" and t in terms:
                        terms.remove(t)
            if self.peek("+") or self.peek("-"):
                sign = self.take()
            else:
                return terms, intercept

    def term(self) -> list[Term]:
        """The terms one product expands to (a*b -> a, b, a:b; a:b -> a:b)."""
        out = self.factor()
        while self.peek(":") or self.peek("*"):
            op = self.take()
            right = self.factor()
            inter = [_merge(a, b) for a in out for b in right]
            out = inter if op == ":" else list(dict.fromkeys([*out, *right, *inter]))
        return out

    def factor(self) -> list[Term]:
        if self.peek("("):
            self.take("(")
            terms, _ = self.rhs()
            self.take(")")
            return terms
        if self.peek("C"):
            self.take("C")
            self.take("(")
            col = self.column()
            ref, keyword = None, False
            if self.peek(","):
                self.take(",")
                self.take("Treatment")
                self.take("(")
                if self.peek("reference"):
                    self.take("reference")
                    self.take("=")
                    keyword = True
                ref = self.take(kind="string")[1:-1]
                self.take(")")
            self.take(")")
            return [(Factor(col, "categorical", ref, keyword),)]
        if self.peek(kind="name") and self.toks[self.i][1] in TRANSFORMS and self._call_next():
            fn = self.take()
            self.take("(")
            col = self.column()
            self.take(")")
            return [(Factor(col, fn),)]
        return [(Factor(self.column()),)]

    def _call_next(self) -> bool:
        return self.i + 1 < len(self.toks) and self.toks[self.i + 1][1] == "("

    def column(self) -> str:
        if self.peek("Q") and self._call_next():
            self.take("Q")
            self.take("(")
            name = self.take(kind="string")[1:-1]
            self.take(")")
            return name
        if not self.peek(kind="name") or self._call_next():
            raise self.error("expected a column name")
        return self.take()


def _merge(a: Term, b: Term) -> Term:
    return tuple(dict.fromkeys([*a, *b]))


def parse(text: str) -> Formula:
    """Parse a formula (see the module docstring); raises :class:`FormulaError`."""
    if not isinstance(text, str):
        raise FormulaError(f"formula must be text, not {type(text).__name__}")
    return _Parser(text).formula()


def check_columns(formula: Formula, columns: Sequence[str]) -> None:
    """Raise :class:`FormulaError` naming the formula's columns that ``columns`` lacks."""
    unknown = [c for c in formula.columns if c not in columns]
    if unknown:
        raise FormulaError(
            f"formula {formula.text!r}: no column {', '.join(map(repr, unknown))} in the "
            f"patient table (columns: {', '.join(map(str, columns))})"
        )


def design_matrices(formula: Formula, table: pd.DataFrame) -> tuple[pd.Series | None, pd.DataFrame]:
    """Outcome and design matrix of ``formula`` on the complete rows of ``table``.

    Rows with a missing value in a used column must be dropped by the caller. The design is
    built by patsy from :class:`patsy.LookupFactor` terms (plain look-ups, no evaluation);
    categorical factors use treatment coding with the given reference (default: the first
    level in sorted order, as patsy).
    """
    import patsy

    check_columns(formula, list(table.columns))
    data: dict[str, object] = {}
    terms = []
    for term in formula.terms:
        factors = []
        for f in term:
            values = table[f.column]
            kwargs: dict[str, object] = {}
            if f.kind == "categorical":
                values = values.astype(str)
                kwargs["force_categorical"] = True
                if f.reference is not None:
                    if f.reference not in set(values):
                        raise FormulaError(
                            f"formula {formula.text!r}: reference level {f.reference!r} of "
                            f"{f.column!r} does not occur (levels: "
                            f"{', '.join(sorted(set(values)))})"
                        )
                    kwargs["contrast"] = patsy.Treatment(reference=f.reference)
            elif f.kind in TRANSFORMS:
                if not pd.api.types.is_numeric_dtype(values):
                    raise FormulaError(
                        f"formula {formula.text!r}: {f.kind}() of non-numeric {f.column!r}"
                    )
                with np.errstate(all="ignore"):
                    values = pd.Series(
                        TRANSFORMS[f.kind](values.to_numpy(dtype=float)),  # type: ignore[operator]
                        index=table.index,
                    )
                if not np.isfinite(values).all():
                    raise FormulaError(
                        f"formula {formula.text!r}: {f.label} is not finite for every patient"
                    )
            data[f.label] = values
            factors.append(patsy.LookupFactor(f.label, **kwargs))  # type: ignore[arg-type]
        terms.append(patsy.Term(factors))
    x = patsy.dmatrix(patsy.ModelDesc([], terms), data, return_type="dataframe", NA_action="raise")
    x.index = table.index
    y = table[formula.outcome] if formula.outcome else None
    return y, x
