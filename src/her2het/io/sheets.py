"""Loading and validation of the config, the sample and patient sheets, counts and FISH cells.

Every problem is reported as one :class:`InputError` whose message names the file, the data row
(1-based, header excluded), the line in the file where that applies, and the column, e.g.::

    config/patients.tsv, row 4 (line 5), column 'pCR': 'maybe' is not one of 0, 1, yes, no

Sheets are validated row by row against the JSON schemas in ``workflow/schemas/`` with
:mod:`jsonschema` (after typing each cell as the schema says). Large tables (counts, FISH cells)
are checked column-wise with vectorised pandas operations instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import yaml

_BINARY = {"0": 0, "1": 1, "no": 0, "yes": 1, "false": 0, "true": 1}


class InputError(ValueError):
    """A user input (config, sheet or table) is invalid. The message is one line."""


def location(
    path: str | Path, row: int | None = None, column: str | None = None, line: bool | int = True
) -> str:
    """``file, row N (line L), column 'X'``; ``line`` is the physical line (True: ``row + 1``,
    right when no blank line precedes the row; False: not shown, e.g. for Parquet)."""
    parts = [str(path)]
    if row is not None:
        if line is True:
            line = row + 1
        parts.append(f"row {row}" + (f" (line {line})" if line is not False else ""))
    if column is not None:
        parts.append(f"column '{column}'")
    return ", ".join(parts)


def not_a_file(path: str | Path) -> str:
    """Why ``path`` cannot be read as an input file (for a message)."""
    p = Path(path)
    if p.is_dir():
        return "is a directory, expected a file"
    if p.exists():
        return "is not a regular file"
    return "file not found"


def load_schema(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------


def _with_defaults(
    cls: type[jsonschema.protocols.Validator],
) -> type[jsonschema.protocols.Validator]:
    """Extend a validator class to fill in ``default`` values (jsonschema FAQ recipe)."""
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):  # type: ignore[no-untyped-def]
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if "default" in sub and prop not in instance:
                    instance[prop] = _copy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(cls, {"properties": set_defaults})


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _config_key(path: Iterable[str | int]) -> str:
    """``de.contrasts[0].reference`` from a JSON path (list positions in brackets)."""
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def validate_config(
    config: dict[str, Any],
    schema_path: str | Path,
    source: str | Callable[[str], str] = "config",
) -> dict[str, Any]:
    """Validate ``config`` in place against the schema, filling defaults; raise :class:`InputError`.

    ``source`` names where the value came from in the message: a string, or a function of the
    key (e.g. :class:`ConfigSources`: the command line or the config file that set it).
    """
    schema = load_schema(schema_path)
    cls = _with_defaults(jsonschema.validators.validator_for(schema))
    errors = sorted(cls(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    name = source if callable(source) else (lambda key: source)
    if errors:
        err = errors[0]
        key = _config_key(err.absolute_path)
        if err.validator == "additionalProperties":
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            allowed = ", ".join(sorted(err.schema.get("properties", {})))
            full = f"{key + '.' if key else ''}{extra[0]}"
            raise InputError(f"{name(full)}, key '{full}': unknown key (allowed here: {allowed})")
        raise InputError(f"{name(key)}, key '{key or '<top>'}': {_message(err)}")
    return config


def _key_path(key: str) -> list[str | int]:
    """``['de', 'contrasts', 0, 'id']`` from ``de.contrasts[0].id`` (a trailing note dropped)."""
    return [
        int(t[1:-1]) if t.startswith("[") else t
        for t in re.findall(r"\[\d+\]|[^.\[\]]+", key.split(" ")[0])
    ]


def _lookup(tree: Any, path: Sequence[str | int]) -> bool:
    """Whether ``tree`` sets ``path`` (or a prefix of it to a non-mapping value)."""
    node = tree
    for part in path:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
        if not isinstance(node, (Mapping, list)):
            return True
    return True


class ConfigSources:
    """Where each config key came from: the command line (``--config``) or which config file.

    Parameters
    ----------
    files
        The config files in the order Snakemake applied them (later ones win).
    overrides
        The ``--config`` values (applied last).
    """

    COMMAND_LINE = "command line (--config)"

    def __init__(self, files: Sequence[str | Path], overrides: Mapping[str, Any] | None) -> None:
        self.files = [_shown_path(f) for f in files]
        self.overrides = dict(overrides or {})
        self._trees: list[tuple[str, Any]] = []
        for f in self.files:
            try:
                with open(f, encoding="utf-8") as fh:
                    self._trees.append((f, yaml.safe_load(fh)))
            except (OSError, yaml.YAMLError, UnicodeDecodeError):
                self._trees.append((f, None))

    def __call__(self, key: str | None = None) -> str:
        everything = " + ".join(self.files) if self.files else "config"
        if not key:
            return everything
        path = _key_path(key)
        if _lookup(self.overrides, path):
            return self.COMMAND_LINE
        for name, tree in reversed(self._trees):
            if _lookup(tree, path):
                return name
        return everything


def _shown_path(path: str | Path) -> str:
    """A path as the user would write it: relative when inside the working directory."""
    p = Path(path)
    if p.is_absolute():
        try:
            return str(p.relative_to(Path.cwd()))
        except ValueError:
            return str(p)
    return str(p)


def _schema_types(schema: Mapping[str, Any]) -> set[str]:
    """The JSON types a (sub)schema allows, through ``anyOf``/``oneOf`` branches."""
    t = schema.get("type")
    types = set([t] if isinstance(t, str) else (t or []))
    for branch in (*schema.get("anyOf", ()), *schema.get("oneOf", ())):
        types |= _schema_types(branch)
    if "enum" in schema:
        types |= {
            "boolean" if isinstance(v, bool) else "integer" if isinstance(v, int) else
            "number" if isinstance(v, float) else "null" if v is None else "string"
            for v in schema["enum"]
        }  # fmt: skip
    return types


def _coerce_text(value: str, types: set[str]) -> Any:
    """A command-line string as the schema's type (unchanged when strings are allowed or no
    type fits, so the validator reports it)."""
    if "string" in types or not types:
        return value
    text = value.strip()
    if "boolean" in types and text.lower() in ("true", "false", "yes", "no"):
        return text.lower() in ("true", "yes")
    if "integer" in types and re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if "number" in types:
        try:
            f = float(text)
        except ValueError:
            f = float("nan")
        if np.isfinite(f):
            return int(f) if re.fullmatch(r"[+-]?\d+", text) else f
    if "null" in types and text.lower() in ("", "~", "null", "none"):
        return None
    return value


def coerce_overrides(
    config: dict[str, Any], overrides: Mapping[str, Any] | None, schema_path: str | Path
) -> None:
    """Type the ``--config`` values in ``config`` (in place) as the schema says.

    Snakemake passes a nested command-line value (``--config de='{alpha: 0.1}'``) as strings;
    a string where the schema wants a number, an integer or a boolean is converted (``'0.1'``
    -> 0.1, ``'true'`` -> True). Values from config files are left as written.
    """
    if not overrides:
        return
    schema = load_schema(schema_path)

    def sub_schema(node: Mapping[str, Any], part: str | int) -> Mapping[str, Any]:
        if isinstance(part, int):
            items = node.get("items")
            return items if isinstance(items, Mapping) else {}
        props = node.get("properties", {})
        if part in props:
            return props[part]
        extra = node.get("additionalProperties")
        return extra if isinstance(extra, Mapping) else {}

    def walk(over: Any, target: Any, node: Mapping[str, Any]) -> Any:
        if isinstance(over, Mapping) and isinstance(target, dict):
            for k, v in over.items():
                if k in target:
                    target[k] = walk(v, target[k], sub_schema(node, k))
            return target
        if isinstance(over, list) and isinstance(target, list) and len(over) == len(target):
            return [
                walk(o, t, sub_schema(node, i))
                for i, (o, t) in enumerate(zip(over, target, strict=True))
            ]
        if isinstance(target, str):
            return _coerce_text(target, _schema_types(node))
        return target

    walk(overrides, config, schema)


# --------------------------------------------------------------------------------------------
# Sheets
# --------------------------------------------------------------------------------------------


def read_sheet(path: str | Path) -> pd.DataFrame:
    """Read a tab-separated sheet as strings, checking the header and the delimiter.

    A UTF-8 byte-order mark and Windows line endings are accepted. Blank lines are ignored; the
    frame's index holds each row's 1-based data-row number (line number minus one).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {not_a_file(p)}")
    raw = p.read_bytes()
    if not raw.strip():
        raise InputError(f"{p}: file is empty (expected a tab-separated header line)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    lines = text.splitlines()
    header = lines[0].split("\t")
    if len(header) == 1:
        for sep, name in ((",", "comma"), (";", "semicolon"), (" ", "space")):
            if sep in lines[0]:
                raise InputError(
                    f"{p}, line 1: header is {name}-separated; sheets must be tab-separated"
                )
    dup = [c for i, c in enumerate(header) if c in header[:i]]
    if dup:
        raise InputError(f"{p}, line 1, column '{dup[0]}': duplicated column name")
    if any(not c.strip() for c in header):
        raise InputError(
            f"{p}, line 1: empty column name at position {[c.strip() for c in header].index('') + 1}"
        )
    rows: dict[int, list[str]] = {}
    line_of: dict[int, int] = {}
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        row = len(rows) + 1
        fields = line.split("\t")
        if len(fields) != len(header):
            raise InputError(
                f"{location(p, row, line=lineno)}: has {len(fields)} tab-separated fields, "
                f"header has {len(header)}"
            )
        rows[row] = [f.strip() for f in fields]
        line_of[row] = lineno
    if not rows:
        raise InputError(f"{p}: header only, no data rows")
    df = pd.DataFrame.from_dict(
        rows, orient="index", columns=[c.strip() for c in header], dtype=str
    )
    _LINES[str(p)] = line_of
    return df


#: Physical line of each data row of the sheets read by :func:`read_sheet` (by path): a blank
#: line does not count as a row but moves every later line down.
_LINES: dict[str, dict[int, int]] = {}


def sheet_line(path: str | Path, row: int) -> int:
    """The line in ``path`` of data row ``row`` of a sheet read by :func:`read_sheet`."""
    return _LINES.get(str(path), {}).get(row, row + 1)


def _here(path: str | Path, row: int | None = None, column: str | None = None) -> str:
    """:func:`location` for a sheet row, with its physical line."""
    if row is None:
        return location(path, None, column)
    return location(path, row, column, sheet_line(path, row))


#: Words that R (``NA``) or pandas (``NA``, ``NaN``, ``NULL``, ``None``, ...) read as a missing
#: value by default, compared in lower case: not allowed as IDs (schema ``x-id: true``).
MISSING_WORDS = frozenset({"na", "nan", "null", "none", "nat", "n/a", "<na>", "#n/a"})


def _coerce(value: str, prop: Mapping[str, Any]) -> Any:
    """Type one cell as the schema property says; return the string unchanged if it can't."""
    if prop.get("x-binary"):
        return _BINARY.get(value.lower(), value)
    t = prop.get("type")
    try:
        if t == "integer":
            f = float(value)
            return int(f) if f.is_integer() else value
        if t == "number":
            f = float(value)
            return f if np.isfinite(f) else value
    except ValueError:
        return value
    return value


def _message(err: jsonschema.ValidationError) -> str:
    v, s = err.instance, err.schema
    if s.get("x-binary") and err.validator in ("enum", "type"):
        return f"{v!r} is not one of 0, 1, yes, no"
    if err.validator == "enum":
        allowed = ", ".join(str(x) for x in s["enum"])
        return f"{v!r} is not one of {allowed}"
    if err.validator == "pattern":
        return f"{v!r} is not allowed: {s.get('description', 'must match ' + s['pattern'])}"
    if err.validator == "type":
        return f"{v!r} is not of type {s['type']}"
    if err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{v!r} violates {err.validator} {s[err.validator]}"
    if err.validator == "required":
        return err.message
    return err.message


def validate_sheet(df: pd.DataFrame, schema: Mapping[str, Any], path: str | Path) -> pd.DataFrame:
    """Validate every row of a sheet read by :func:`read_sheet`; return it with typed columns."""
    props: Mapping[str, Any] = schema.get("properties", {})
    missing = [c for c in schema.get("required", []) if c not in df.columns]
    if missing:
        raise InputError(f"{path}, line 1, column '{missing[0]}': required column is missing")
    validator = jsonschema.validators.validator_for(schema)(schema)
    # x-complete: an optional column that, when given, needs a value in every row
    complete = set(schema.get("required", [])) | {
        c for c, p in props.items() if p.get("x-complete")
    }
    typed: dict[str, list[Any]] = {c: [] for c in df.columns}
    for row, values in zip(df.index, df.itertuples(index=False, name=None), strict=True):
        instance: dict[str, Any] = {}
        for col, val in zip(df.columns, values, strict=True):
            if val == "":
                typed[col].append(None)
                if col in complete:
                    raise InputError(f"{_here(path, row, col)}: value is missing")
                continue
            if props.get(col, {}).get("x-id") and val.lower() in MISSING_WORDS:
                raise InputError(
                    f"{_here(path, row, col)}: {val!r} is not allowed as an ID: R and pandas "
                    "read it as a missing value"
                )
            v = _coerce(val, props[col]) if col in props else val
            typed[col].append(v)
            if col in props:
                instance[col] = v
        err = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if err is not None:
            col = str(err.absolute_path[0]) if err.absolute_path else None
            raise InputError(f"{_here(path, row, col)}: {_message(err)}")
    out = pd.DataFrame(typed, index=df.index)
    for col, prop in props.items():
        if col in out and prop.get("type") in ("integer", "number"):
            out[col] = pd.to_numeric(out[col])  # None -> NaN where optional values are missing
    return out


def _show(value: Any) -> str:
    """Quote strings, print numbers plainly (no numpy type names)."""
    return repr(value) if isinstance(value, str) else str(value)


def _first_duplicate(values: pd.Series) -> int | None:
    dup = values.duplicated()
    return int(values.index[dup.to_numpy()][0]) if dup.any() else None


def load_samples(path: str | Path, schema_path: str | Path) -> pd.DataFrame:
    """Read and validate the sample sheet (rows must have unique sample IDs)."""
    df = validate_sheet(read_sheet(path), load_schema(schema_path), path)
    row = _first_duplicate(df["sample"])
    if row is not None:
        raise InputError(
            f"{_here(path, row, 'sample')}: duplicated sample ID {df.at[row, 'sample']!r}"
        )
    if "biopsy" not in df:  # optional: one label per sample is unique within patient
        df["biopsy"] = df["sample"]
    df["biopsy"] = df["biopsy"].fillna(df["sample"])
    row = _first_duplicate(df["patient"] + "\t" + df["timepoint"] + "\t" + df["biopsy"])
    if row is not None:
        raise InputError(
            f"{_here(path, row, 'biopsy')}: biopsy {df.at[row, 'biopsy']!r} appears twice for patient "
            f"{df.at[row, 'patient']!r} at timepoint {df.at[row, 'timepoint']!r}"
        )
    if "count_column" not in df:
        df["count_column"] = df["sample"]
    df["count_column"] = df["count_column"].fillna(df["sample"])
    row = _first_duplicate(df["count_column"])
    if row is not None:
        column = df.at[row, "count_column"]
        first = df.loc[df["count_column"] == column, "sample"].iloc[0]
        raise InputError(
            f"{_here(path, row, 'count_column')}: count column {column!r} is already used by "
            f"sample {first!r}"
        )
    return df


def load_patients(path: str | Path, schema_path: str | Path) -> pd.DataFrame:
    """Read and validate the patient sheet (rows must have unique patient IDs)."""
    df = validate_sheet(read_sheet(path), load_schema(schema_path), path)
    row = _first_duplicate(df["patient"])
    if row is not None:
        raise InputError(
            f"{_here(path, row, 'patient')}: duplicated patient ID {df.at[row, 'patient']!r}"
        )
    if ("EFS_months" in df) != ("EFS_event" in df):
        have = "EFS_months" if "EFS_months" in df else "EFS_event"
        other = "EFS_event" if have == "EFS_months" else "EFS_months"
        raise InputError(f"{path}, line 1, column '{other}': required when '{have}' is given")
    if "EFS_months" in df:
        partial = df["EFS_months"].isna() != df["EFS_event"].isna()
        if partial.any():
            row = int(df.index[partial.to_numpy()][0])
            col = "EFS_months" if pd.isna(df.at[row, "EFS_months"]) else "EFS_event"
            raise InputError(
                f"{_here(path, row, col)}: value is missing (EFS time and event go together)"
            )
    if "HET" in df and "pCR" in df:
        for col in ("pCR", "HET"):
            df[col] = df[col].astype("Int64")
    return df


def check_cohort(
    samples: pd.DataFrame,
    patients: pd.DataFrame,
    samples_path: str | Path,
    patients_path: str | Path,
) -> None:
    """Cross-sheet checks: every sample's patient exists; every post sample has a pre sample."""
    known = set(patients["patient"])
    unknown = ~samples["patient"].isin(known)
    if unknown.any():
        row = int(samples.index[unknown.to_numpy()][0])
        raise InputError(
            f"{_here(samples_path, row, 'patient')}: patient {samples.at[row, 'patient']!r} "
            f"is not in the patient sheet {patients_path}"
        )
    with_pre = set(samples.loc[samples["timepoint"] == "pre", "patient"])
    orphan = (samples["timepoint"] == "post") & ~samples["patient"].isin(with_pre)
    if orphan.any():
        row = int(samples.index[orphan.to_numpy()][0])
        raise InputError(
            f"{_here(samples_path, row, 'timepoint')}: post-treatment sample of patient "
            f"{samples.at[row, 'patient']!r} has no pre-treatment sample"
        )
    unused = sorted(known - set(samples["patient"]))
    if unused:
        row = int(patients.index[patients["patient"] == unused[0]][0])
        raise InputError(
            f"{_here(patients_path, row, 'patient')}: patient {unused[0]!r} has no sample in {samples_path}"
        )


# --------------------------------------------------------------------------------------------
# Large tables: counts and FISH cells (vectorised checks)
# --------------------------------------------------------------------------------------------


_SEPARATOR_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _separator(path: Path) -> str:
    """Comma for names ending ``.csv`` (optionally ``.gz``), else tab."""
    return "," if path.name.lower().removesuffix(".gz").endswith(".csv") else "\t"


def _open_text_lines(path: Path) -> Iterable[bytes]:
    """The raw lines of a (possibly gzip-compressed) text table."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:  # type: ignore[operator]
        yield from fh


def table_line(path: str | Path, row: int) -> int | bool:
    """Physical line of data row ``row`` (1-based, header and empty lines not counted) of a text
    table read with pandas (which skips empty lines). Only called for an error message."""
    try:
        n = 0
        for lineno, raw in enumerate(_open_text_lines(Path(path)), start=1):
            if lineno == 1 or not raw.rstrip(b"\r\n"):
                continue
            n += 1
            if n == row:
                return lineno
    except (OSError, EOFError):
        pass
    return row + 1


def table_row(path: str | Path, line: int) -> int:
    """Data-row number of physical line ``line`` (the inverse of :func:`table_line`)."""
    n = 0
    try:
        for lineno, raw in enumerate(_open_text_lines(Path(path)), start=1):
            if lineno > line:
                break
            if lineno > 1 and raw.rstrip(b"\r\n"):
                n += 1
    except (OSError, EOFError):
        return line - 1
    return n


def _at(path: str | Path, row: int, column: str | None = None, text: bool = True) -> str:
    """:func:`location` for a row of a table read by pandas (the line found in the file)."""
    return location(path, row, column, table_line(path, row) if text else False)


#: Errors of reading a damaged file (a truncated gzip stream ends in EOFError or zlib.error).
def _read_errors() -> tuple[type[BaseException], ...]:
    import zlib

    return (UnicodeDecodeError, OSError, ValueError, EOFError, zlib.error)


def _unreadable(path: Path, sep: str, exc: BaseException) -> InputError:
    return InputError(
        f"{path}: cannot be read as a {_SEPARATOR_NAMES[sep]}-separated table ({_one_line(exc)})"
    )


def _check_header(path: Path, sep: str) -> None:
    """Line 1 of a delimited table: present, split by ``sep``, no duplicated column names."""
    kind = _SEPARATOR_NAMES[sep]
    try:
        first = pd.read_csv(
            path, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False,
            encoding="utf-8-sig",
        )  # fmt: skip
    except pd.errors.EmptyDataError:
        raise InputError(
            f"{path}: file is empty (expected a {kind}-separated header line)"
        ) from None
    except _read_errors() as exc:
        raise _unreadable(path, sep, exc) from None
    header = [str(c).strip() for c in first.iloc[0]]
    others = [
        name for other, name in _SEPARATOR_NAMES.items() if other != sep and other in header[0]
    ]
    if len(header) == 1 and others:
        hint = (
            "a name ending .csv[.gz] means comma-separated"
            if sep == ","
            else "only names ending .csv[.gz] are read as comma-separated"
        )
        raise InputError(
            f"{path}, line 1: header is {others[0]}-separated, expected {kind}-separated ({hint})"
        )
    named = [c for c in header if c]
    dup = [c for i, c in enumerate(named) if c in named[:i]]
    if dup:
        raise InputError(f"{path}, line 1, column '{dup[0]}': duplicated column name")


def _read_delimited(path: Path, sep: str, **read_csv: Any) -> pd.DataFrame:
    """Read a delimited text table with :func:`pandas.read_csv`; every problem is one line.

    The header is checked first (:func:`_check_header`): pandas would silently rename duplicated
    column names and read a wrongly delimited file as one column. A data row with more fields
    than the header is an error naming its line.
    """
    _check_header(path, sep)
    try:
        return pd.read_csv(path, sep=sep, encoding="utf-8-sig", **read_csv)
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if not m:
            raise _unreadable(path, sep, exc) from None
        want, line, saw = (int(g) for g in m.groups())
        raise InputError(
            f"{location(path, table_row(path, line), line=line)}: has {saw} "
            f"{_SEPARATOR_NAMES[sep]}-separated fields, header has {want}"
        ) from None
    except _read_errors() as exc:
        raise _unreadable(path, sep, exc) from None


def read_counts(
    path: str | Path,
    samples: pd.DataFrame,
    *,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Read a genes x samples count matrix (TSV/CSV, first column gene) for the sheet's samples.

    Parameters
    ----------
    path
        The matrix: tab-separated, or comma-separated when the name ends ``.csv[.gz]``.
    samples
        The validated sample sheet; its ``count_column`` names each sample's column.
    warn
        Called with a one-line message when the matrix has columns that no sample uses (they
        are ignored: a public matrix often holds more samples than the analysed sheet).

    Returns
    -------
    pandas.DataFrame
        Integer counts with the sample IDs as columns, in sample-sheet order.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {not_a_file(p)}")
    sep = _separator(p)
    df = _read_delimited(p, sep, index_col=0, dtype=str, keep_default_na=False, na_values=[""])
    missing_id = df.index.isna()
    if missing_id.any():
        r = int(np.argmax(missing_id)) + 1
        raise InputError(f"{_at(p, r, df.index.name or 'gene')}: value is missing")
    df.index = df.index.astype(str)
    rowno = pd.Series(np.arange(1, len(df) + 1), index=range(len(df)))
    dup = pd.Series(df.index).duplicated()
    if dup.any():
        r = int(rowno[dup.to_numpy()].iloc[0])
        raise InputError(
            f"{_at(p, r, df.index.name or 'gene')}: duplicated gene {df.index[r - 1]!r}"
        )
    cols = samples["count_column"].tolist()
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(
            f"{p}, line 1, column '{missing[0]}': sample column listed in the sample sheet is absent"
        )
    extra = [c for c in df.columns if c not in set(cols)]
    if extra and warn is not None:
        warn(
            f"{p}, line 1, column '{extra[0]}': not in the sample sheet; {len(extra)} count "
            "column(s) not listed there are ignored"
        )
    sub = df[cols]
    num = sub.apply(pd.to_numeric, errors="coerce")
    # float64 view for the checks; every accepted value (<= MAX_COUNT) is exact in it
    vals = num.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(vals) | (vals < 0) | (vals != np.floor(vals)) | (vals > MAX_COUNT)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        value = sub.iat[r, c]
        if pd.isna(value):
            why = "value is missing"
        elif (
            np.isfinite(vals[r, c])
            and vals[r, c] > MAX_COUNT
            and vals[r, c] == np.floor(vals[r, c])
        ):
            why = (
                f"{value!r} is above the largest accepted count {MAX_COUNT} (2^53 - 1, "
                "the largest integer the analysis holds exactly)"
            )
        else:
            why = f"{value!r} is not a non-negative integer count"
        raise InputError(f"{_at(p, int(r) + 1, cols[c])}: {why}")
    totals = vals.sum(axis=0)
    big = totals > MAX_COUNT
    if big.any():
        raise InputError(
            f"{p}, column '{cols[int(np.argmax(big))]}': the sample's counts add up to "
            f"{totals[big][0]:.3g}, above {MAX_COUNT} (2^53 - 1, the largest total the "
            "analysis holds exactly)"
        )
    out = pd.DataFrame(vals.astype(np.int64), index=num.index, columns=cols)
    zero = out.sum(axis=0) == 0
    if zero.any():
        raise InputError(
            f"{p}, column '{zero.index[zero.to_numpy()][0]}': sample has no counts (all zero)"
        )
    if warn is not None:
        for message in suspicious_counts(out, p):
            warn(message)
    out.columns = samples["sample"].tolist()
    out.index.name = "gene"
    return out


#: Largest count (and per-sample total) accepted: 2^53 - 1, the largest integer float64 (the
#: arithmetic of normalisation and DESeq2) holds exactly; int64 sums of such counts cannot wrap.
MAX_COUNT = 2**53 - 1


def suspicious_counts(counts: pd.DataFrame, path: str | Path) -> list[str]:
    """One-line warnings for a count matrix that is accepted but looks wrong.

    * every library adds up to about 1,000,000 (within 2%): rounded TPM or CPM, not counts;
    * at least 1,000 non-zero values and not one 1 or 2: scaled and rounded values (FPKM,
      TPM x a factor), since raw counts of lowly expressed genes are always partly 1 and 2;
    * a library with almost no reads: below 1,000 counts or below 1% of the median library.
    """
    out = []
    x = counts.to_numpy()
    totals = x.sum(axis=0).astype(np.float64)
    if len(totals) >= 2 and np.all(np.abs(totals - 1e6) <= 0.02e6):
        out.append(
            f"{path}: every sample's counts add up to about 1,000,000 (rounded TPM or CPM?); "
            "DESeq2 needs raw read counts"
        )
    nonzero = x[x > 0]
    if nonzero.size >= 1000 and not np.isin(nonzero, (1, 2)).any():
        out.append(
            f"{path}: no count is 1 or 2 among {nonzero.size} non-zero values (rounded "
            "TPM/FPKM or scaled values?); DESeq2 needs raw read counts"
        )
    median = float(np.median(totals))
    low = (totals < 1000) | (totals < 0.01 * median)
    if low.any():
        i = int(np.argmax(low))
        out.append(
            f"{path}, column '{counts.columns[i]}': library has almost no reads "
            f"({int(totals[i])} counts; median library {median:.0f})"
        )
    return out


FISH_NUMERIC = {
    "cell": "integer",
    "x": "number",
    "y": "number",
    "erbb2": "integer",
    "cep17": "integer",
    "ihc": "integer",
}


def read_fish_cells(
    path: str | Path,
    schema_path: str | Path,
    samples: Iterable[str],
    *,
    require_xy: bool = False,
) -> pd.DataFrame:
    """Read and validate a per-cell FISH table (Parquet, CSV or TSV), vectorised.

    ``sample`` and ``area`` become categoricals (no per-cell Python strings), numeric columns
    int64/float64. Rows are numbered from 1 in file order; for text files the line is the row
    plus one. Cells with ``cep17 == 0`` are kept here (scoring excludes and counts them).
    ``require_xy`` makes the coordinates mandatory (spatial patterns).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {not_a_file(p)}")
    schema = load_schema(schema_path)
    props = schema["properties"]
    name = p.name.lower().removesuffix(".gz")
    text = not name.endswith(".parquet")
    if text:
        df = _read_delimited(
            p, _separator(p), dtype={"sample": "category", "area": "category"}, low_memory=False
        )
    else:
        import pyarrow.parquet as pq

        try:
            # split_blocks + self_destruct free Arrow memory while converting (lower peak RSS)
            df = pq.read_table(p).to_pandas(split_blocks=True, self_destruct=True)
        except (OSError, ValueError) as exc:
            raise InputError(f"{p}: cannot be read as a Parquet table ({_one_line(exc)})") from None
    required = list(schema["required"]) + (["x", "y"] if require_xy else [])
    missing = [c for c in required if c not in df.columns]
    if missing:
        why = " (needed for spatial patterns)" if missing[0] in ("x", "y") else ""
        raise InputError(f"{p}, line 1, column '{missing[0]}': required column is missing{why}")
    df = df[[c for c in props if c in df.columns]]
    df.index = pd.RangeIndex(1, len(df) + 1)
    for col in ("sample", "area"):
        cat = df[col].astype("category").cat
        # labels are compared without surrounding whitespace (as in the sheets): ' A1' is 'A1'
        names = pd.Index([str(c).strip() for c in cat.categories])
        uniq = pd.Index(pd.unique(names))
        codes = cat.codes.to_numpy()
        codes = np.where(codes < 0, -1, uniq.get_indexer(names)[codes])
        blank = [i for i, c in enumerate(uniq) if c == ""]
        bad = (codes < 0) | np.isin(codes, blank)
        if bad.any():
            raise InputError(f"{_at(p, int(np.argmax(bad)) + 1, col, text)}: value is missing")
        df[col] = pd.Categorical.from_codes(codes, categories=uniq)
    for col in [c for c in df.columns if c in FISH_NUMERIC]:
        s = df[col]
        kind = FISH_NUMERIC[col]
        lo, hi = props[col].get("minimum"), props[col].get("maximum")
        if pd.api.types.is_bool_dtype(s) or pd.api.types.infer_dtype(s, skipna=True) == "boolean":
            r = int(np.argmax(s.notna().to_numpy())) + 1
            rng = f" in [{lo}, {hi}]" if hi is not None else ""
            raise InputError(
                f"{_at(p, r, col, text)}: {s.loc[r]} is a boolean (True/False), not "
                f"{'an integer' if kind == 'integer' else 'a number'}{rng}"
            )
        num = pd.to_numeric(s, errors="coerce") if s.dtype == object else s.astype(np.float64)
        vals = num.to_numpy(np.float64)
        bad = ~np.isfinite(vals)
        if kind == "integer":
            bad |= vals != np.floor(vals)
        if lo is not None:
            bad |= vals < lo
        if hi is not None:
            bad |= vals > hi
        if bad.any():
            r = int(np.argmax(bad)) + 1
            rule = {"integer": "an integer", "number": "a number"}[kind]
            rng = f" in [{lo}, {hi}]" if hi is not None else (f" >= {lo}" if lo is not None else "")
            shown = "missing" if pd.isna(s.loc[r]) else _show(s.loc[r])
            raise InputError(f"{_at(p, r, col, text)}: {shown} is not {rule}{rng}")
        df[col] = vals.astype(np.int64) if kind == "integer" else vals
    known = set(samples)
    cats = df["sample"].cat.categories
    unknown_codes = [i for i, c in enumerate(cats) if c not in known]
    if unknown_codes:
        bad = np.isin(df["sample"].cat.codes.to_numpy(), unknown_codes)
        r = int(np.argmax(bad)) + 1
        raise InputError(
            f"{_at(p, r, 'sample', text)}: sample {df.at[r, 'sample']!r} is not in the sample sheet"
        )
    dup = df.duplicated(["sample", "area", "cell"]).to_numpy()
    if dup.any():
        r = int(np.argmax(dup)) + 1
        raise InputError(
            f"{_at(p, r, 'cell', text)}: cell {df.at[r, 'cell']} appears twice in sample "
            f"{df.at[r, 'sample']!r}, area {df.at[r, 'area']!r}"
        )
    return df


def load_user_inputs(
    samples_path: str | Path,
    patients_path: str | Path,
    counts_path: str | Path,
    schema_dir: str | Path,
    fish_path: str | Path | None = None,
    *,
    require_xy: bool = False,
    gene_map_path: str | Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read and validate the sheets, the count matrix and (optionally) the FISH cells.

    This is the whole pre-flight check the workflow runs before any job; it raises
    :class:`InputError` on the first problem and calls ``warn`` with a one-line message for
    what is accepted but worth telling (count-matrix columns no sample uses). Returns samples,
    patients and counts (columns renamed to the sample IDs; gene IDs renamed to symbols when a
    gene map is given).
    """
    schema_dir = Path(schema_dir)
    samples = load_samples(samples_path, schema_dir / "samples.schema.yaml")
    patients = load_patients(patients_path, schema_dir / "patients.schema.yaml")
    check_cohort(samples, patients, samples_path, patients_path)
    counts = read_counts(counts_path, samples, warn=warn)
    if gene_map_path:
        counts = map_gene_ids(
            counts,
            read_gene_map(gene_map_path),
            counts_path=counts_path,
            map_path=gene_map_path,
        )
    if fish_path:
        read_fish_cells(
            fish_path,
            schema_dir / "fish_cells.schema.yaml",
            samples["sample"],
            require_xy=require_xy,
        )
    return samples, patients, counts


def check_gene_overlap(
    genes: Sequence[str],
    measured: Iterable[str] | None,
    source: str | Path,
    counts_path: str | Path,
    *,
    need: int = 1,
) -> str | None:
    """Why a gene list (a gene-set file's, the subtype centroids') does not fit the count matrix.

    Parameters
    ----------
    genes
        The genes the file uses.
    measured
        The count matrix's genes (after any gene map); None when the matrix is made by a job
        (demo, salmon) and cannot be checked before it runs.
    source, counts_path
        Name the gene list and the matrix in the message.
    need
        Fewest genes that must be in the matrix.

    Returns
    -------
    str or None
        A one-line reason, or None when enough genes are measured (or nothing can be checked).
        No overlap at all usually means different identifiers (Ensembl IDs vs symbols).
    """
    if measured is None:
        return None
    wanted = list(dict.fromkeys(genes))
    if not wanted:
        return f"{source}: lists no genes"
    have = set(measured)
    missing = [g for g in wanted if g not in have]
    n = len(wanted) - len(missing)
    if n == 0:
        return (
            f"{source}: none of its {len(wanted)} genes is in the count matrix {counts_path} "
            f"(e.g. {wanted[0]!r}; are both gene symbols? sheets.gene_map maps IDs to symbols)"
        )
    if n < need:
        return (
            f"{source}: only {n} of its {len(wanted)} genes are in the count matrix "
            f"{counts_path} (need {need}; missing e.g. {', '.join(missing[:3])})"
        )
    return None


#: IDs that are safe in file names and shell arguments (also used for wildcard constraints).
SAFE_ID = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


def fastq_lanes(samples: pd.DataFrame) -> dict[str, tuple[list[str], list[str]]]:
    """Read-1 and read-2 FASTQ files per sample from the sheet's ``fq1``/``fq2`` (``;``-separated)."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    has_fq2 = "fq2" in samples
    for _, r in samples.iterrows():
        fq1 = [f.strip() for f in str(r.get("fq1") or "").split(";") if f.strip()]
        fq2 = [f.strip() for f in str(r["fq2"] or "").split(";") if f.strip()] if has_fq2 else []
        out[str(r["sample"])] = (fq1, fq2)
    return out


def check_fastq(samples: pd.DataFrame, path: str | Path, *, must_exist: bool = True) -> None:
    """Pre-flight check of the FASTQ columns: present, files exist, read-2 lanes match read-1."""
    if "fq1" not in samples:
        raise InputError(
            f"{path}, line 1, column 'fq1': FASTQ input needs an fq1 column "
            "(or give a count matrix in sheets.counts)"
        )
    lanes = fastq_lanes(samples)
    for row, sample in zip(samples.index, samples["sample"], strict=True):
        fq1, fq2 = lanes[str(sample)]
        if not fq1:
            raise InputError(f"{_here(path, row, 'fq1')}: no FASTQ file for sample {sample!r}")
        if fq2 and len(fq2) != len(fq1):
            raise InputError(
                f"{_here(path, row, 'fq2')}: {len(fq2)} read-2 files for {len(fq1)} read-1 "
                "files (lanes must match, separated by ';')"
            )
        for col, files in (("fq1", fq1), ("fq2", fq2)):
            for f in files:
                if "\n" in f or "\t" in f:
                    raise InputError(f"{_here(path, row, col)}: file name with a control character")
                if must_exist and not Path(f).is_file():
                    raise InputError(f"{_here(path, row, col)}: file not found: {f}")


def strip_version(ids: pd.Series) -> pd.Series:
    """IDs without their version suffix (``ENST1.4`` -> ``ENST1``; ``_PAR_Y`` kept)."""
    return ids.astype(str).str.replace(r"\.\d+(?=$|_PAR_Y$)", "", regex=True)


def read_gene_map(path: str | Path) -> pd.DataFrame:
    """Read a gene-id -> symbol table (TSV, columns ``gene_id`` and ``gene_name``).

    Returns the table with a ``key`` column (the ID without its version suffix). An ID listed
    twice with different symbols is an error naming the row.
    """
    df = read_sheet(path)
    for col in ("gene_id", "gene_name"):
        if col not in df:
            raise InputError(f"{path}, line 1, column '{col}': required column is missing")
        empty = df[col] == ""
        if empty.any():
            raise InputError(f"{_here(path, int(df.index[empty][0]), col)}: value is missing")
    df = df[["gene_id", "gene_name"]].copy()
    df["key"] = strip_version(df["gene_id"])
    pairs = df.drop_duplicates(["key", "gene_name"])
    row = _first_duplicate(pairs["key"])
    if row is not None:
        raise InputError(
            f"{_here(path, row, 'gene_id')}: gene {df.at[row, 'gene_id']!r} is mapped to "
            "more than one gene_name"
        )
    return df


def map_gene_ids(
    counts: pd.DataFrame, gene_map: pd.DataFrame, *, counts_path: str | Path, map_path: str | Path
) -> pd.DataFrame:
    """Rename count-matrix gene IDs to symbols (versions ignored) and sum IDs sharing a symbol.

    IDs absent from the map keep their ID. Fewer than half of the genes mapped is an error
    (the map and the matrix most likely use different identifiers).
    """
    key = strip_version(pd.Series(counts.index, index=counts.index))
    lookup = gene_map.drop_duplicates("key").set_index("key")["gene_name"]
    symbol = key.map(lookup)
    mapped = int(symbol.notna().sum())
    if mapped * 2 < len(counts):
        raise InputError(
            f"{counts_path}: only {mapped} of {len(counts)} genes are in the gene map {map_path} "
            f"(first unmapped: {counts.index[symbol.isna().to_numpy()][0]!r})"
        )
    names = symbol.where(symbol.notna(), pd.Series(counts.index, index=counts.index))
    out = counts.groupby(names.to_numpy(), sort=False).sum()
    out.index.name = "gene"
    return out
