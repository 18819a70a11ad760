"""Import a public GEO series: sample annotations of the series matrix -> sample and patient sheets.

A GEO series matrix (``GSExxxxx_series_matrix.txt[.gz]``) holds one tab-separated line per sample
attribute, each value double-quoted, one value per sample::

    !Sample_title                 "P01_pre"           "P01_post"          ...
    !Sample_geo_accession         "GSM0000001"        "GSM0000002"        ...
    !Sample_characteristics_ch1   "patient id: P01"   "patient id: P01"   ...
    !Sample_characteristics_ch1   "pcr: no"           "pcr: no"           ...

:func:`parse_series_matrix` turns it into one row per sample (GSM) with the fields ``title``,
``geo_accession``, ``source_name_ch1``, ``description`` and one field per characteristics key
(``key: value``; the key lower-cased). A characteristics line may mix keys, and a sample may lack
a key (its value is then empty). The expression table after ``!series_matrix_table_begin`` is
ignored (for RNA-seq it is empty; the counts come from a supplementary file).

The config's ``geo`` section says how fields become sheet columns (:func:`check_spec` documents
every key)::

    geo:
      series_matrix: GSE243375_series_matrix.txt.gz
      counts: GSE243375_raw_counts.csv.gz
      count_column_field: title       # field whose value names each sample's count-file column
      exclude: []                     # GSM accessions to leave out (optional)
      samples:                        # one row per GSM
        sample: {field: geo_accession}
        patient: {field: "patient id"}
        timepoint: {field: timepoint, map: {"pre-treatment": pre, "surgery": post}}
        biopsy: {field: biopsy, default: B1}
      patients:                       # one row per patient; must agree across its samples
        pCR: {field: pcr, map: {"yes": 1, "no": 0}}
        HR: {field: "hr status", map: {positive: pos, negative: neg}}

Each column is ``{field, map, default}``: ``field`` names a series-matrix field (case-insensitive);
``map`` translates its values (matched case-insensitively after stripping; a value missing from
the map is an error); ``default`` is the sheet value used when the value is empty or the field is
absent from the series matrix altogether (``default: null`` = leave it missing). A column may be a
constant (``{default: B1}``). Every error names the series-matrix file, its line and the GSM, e.g.::

    GSE243375_series_matrix.txt.gz, line 37, column 'GSM7790123': field 'pcr' value 'maybe' is
    not in geo.patients.pCR.map (yes, no)

Run ``python -m her2het.io.geo inspect FILE`` to list the fields of a series matrix, the line each
comes from and example values before writing the mapping.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import warnings
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .sheets import InputError, load_schema, read_counts, validate_sheet

#: ``!Sample_*`` fields kept besides the characteristics (in this order).
FIXED_FIELDS: tuple[str, ...] = ("title", "geo_accession", "source_name_ch1", "description")
#: Columns each sheet must have (the schemas' ``required``) when no schema is given.
DEFAULT_REQUIRED: dict[str, tuple[str, ...]] = {
    "samples": ("sample", "patient", "timepoint", "biopsy"),
    "patients": ("patient", "pCR", "HR"),
}
#: Keys of the ``geo`` config section.
SPEC_KEYS: tuple[str, ...] = (
    "series_matrix",
    "counts",
    "count_column_field",
    "exclude",
    "samples",
    "patients",
)
#: Keys of one column mapping.
ENTRY_KEYS: tuple[str, ...] = ("field", "map", "default")

_TABLE_BEGIN = "!series_matrix_table_begin"
_CHARACTERISTICS = "characteristics_ch1"
# PyYAML (YAML 1.1) reads unquoted yes/no/on/off/true/false as booleans.
_BOOL_WORDS = {True: ("yes", "true", "on"), False: ("no", "false", "off")}
_SHEETS = ("samples", "patients")


# --------------------------------------------------------------------------------------------
# Series matrix
# --------------------------------------------------------------------------------------------


def _unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        v = v[1:-1]
    return v.strip()


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, text) of a plain or gzip-compressed file, up to the table."""
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    with opener(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("latin-1")  # older GEO submissions
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            line = line.rstrip("\r\n")
            if line.lower().startswith(_TABLE_BEGIN):
                return
            yield lineno, line


def _sample_rows(path: Path) -> list[tuple[int, str, list[str]]]:
    """The ``!Sample_*`` lines: (line number, key without the prefix, unquoted values)."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    rows: list[tuple[int, str, list[str]]] = []
    try:
        for lineno, line in _lines(path):
            if line.startswith("!Sample_"):
                fields = line.split("\t")
                key = fields[0].removeprefix("!Sample_").strip()
                rows.append((lineno, key, [_unquote(v) for v in fields[1:]]))
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    return rows


def _split_characteristic(value: str) -> tuple[str, str] | None:
    """``"Key: value"`` -> ``("key", "value")``; ``"key:"`` has an empty value; else None."""
    if ": " in value:
        key, _, val = value.partition(": ")
    elif value.endswith(":"):
        key, val = value[:-1], ""
    else:
        return None
    key = key.strip().lower()
    return (key, val.strip()) if key else None


def parse_series_matrix(path: str | Path) -> pd.DataFrame:
    """Read the sample annotations of a GEO series matrix (plain or ``.gz``).

    Parameters
    ----------
    path
        The ``GSExxxxx_series_matrix.txt`` or ``.txt.gz`` file.

    Returns
    -------
    pandas.DataFrame
        One row per sample, indexed by GSM accession, all values strings (``""`` when a sample
        has no value). Columns: ``title``, ``geo_accession``, ``source_name_ch1`` and
        ``description`` when present, then one column per characteristics key (lower-cased,
        stripped; a key that clashes with one of those fields gets the suffix
        ``" (characteristics)"``). Repeated ``!Sample_description`` lines are joined with
        ``" | "``. ``attrs["lines"]`` maps each column to the 1-based line it first comes from,
        ``attrs["cell_lines"]`` maps column -> GSM -> line (a characteristics key may sit on
        different lines for different samples) and ``attrs["path"]`` is the file.

    Raises
    ------
    InputError
        If the file is not a series matrix (no ``!Sample_geo_accession`` line), a line has a
        different number of values than there are samples, an accession is empty or repeated,
        a characteristics value is not ``key: value``, or a sample has the same key twice with
        different values. The message names the file, the line and the GSM.
    """
    p = Path(path)
    rows = _sample_rows(p)
    acc = [r for r in rows if r[1] == "geo_accession"]
    if not acc:
        raise InputError(
            f"{p}: not a GEO series matrix (no '!Sample_geo_accession' line before "
            f"'{_TABLE_BEGIN}')"
        )
    acc_line, _, gsms = acc[0]
    gsms = list(gsms)
    for i, gsm in enumerate(gsms):
        if not gsm:
            raise InputError(f"{p}, line {acc_line}: sample {i + 1} has an empty GEO accession")
        if gsm in gsms[:i]:
            raise InputError(f"{p}, line {acc_line}, column '{gsm}': duplicated GEO accession")
    n = len(gsms)

    fixed: dict[str, list[str]] = {}
    chars: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    cell_lines: dict[str, dict[str, int]] = {}
    char_lines: dict[str, dict[str, int]] = {}
    char_first: dict[str, int] = {}
    for lineno, key, values in rows:
        if len(values) > n and not any(values[n:]):
            values = values[:n]  # trailing tabs
        if len(values) != n:
            raise InputError(
                f"{p}, line {lineno}: '!Sample_{key}' has {len(values)} values but the series has "
                f"{n} samples ('!Sample_geo_accession', line {acc_line})"
            )
        if key in FIXED_FIELDS:
            if key not in fixed:
                fixed[key] = list(values)
                lines[key] = lineno
                cell_lines[key] = dict.fromkeys(gsms, lineno)
            else:  # e.g. several !Sample_description lines
                col = fixed[key]
                for i, v in enumerate(values):
                    if v:
                        col[i] = f"{col[i]} | {v}" if col[i] else v
        elif key == _CHARACTERISTICS:
            for i, (gsm, v) in enumerate(zip(gsms, values, strict=True)):
                if not v:
                    continue
                kv = _split_characteristic(v)
                if kv is None:
                    raise InputError(
                        f"{p}, line {lineno}, column '{gsm}': characteristics value {v!r} is not "
                        f"of the form 'key: value'"
                    )
                name, val = kv
                if name not in chars:
                    chars[name] = [""] * n
                    char_lines[name] = {}
                    char_first[name] = lineno
                old = chars[name][i]
                if old and val and old != val:
                    raise InputError(
                        f"{p}, line {lineno}, column '{gsm}': characteristics key {name!r} appears "
                        f"twice for this sample with different values ({old!r} on line "
                        f"{char_lines[name][gsm]}, {val!r} here)"
                    )
                if val and not old:
                    chars[name][i] = val
                    char_lines[name][gsm] = lineno
                char_lines[name].setdefault(gsm, lineno)

    data: dict[str, list[str]] = {k: fixed[k] for k in FIXED_FIELDS if k in fixed}
    for name, values in chars.items():
        col = f"{name} (characteristics)" if name in data else name
        data[col] = values
        lines[col] = char_first[name]
        cell_lines[col] = {g: char_lines[name].get(g, char_first[name]) for g in gsms}
    df = pd.DataFrame(data, index=pd.Index(gsms), dtype=str)
    df.attrs["path"] = str(p)
    df.attrs["lines"] = {c: lines[c] for c in df.columns}
    df.attrs["cell_lines"] = cell_lines
    return df


# --------------------------------------------------------------------------------------------
# Mapping spec
# --------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A YAML scalar as sheet text: None -> "", booleans -> yes/no, 1.0 -> "1"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_spec(spec: Any, source: str = "config") -> None:
    """Check the structure of the config's ``geo`` section.

    Keys: ``series_matrix`` (path, required), ``counts`` (path of the genes x samples raw-count
    table, CSV if the name ends ``.csv``/``.csv.gz``, else TSV; required), ``count_column_field``
    (series-matrix field whose value names each sample's column in the count table; default
    ``geo_accession``), ``exclude`` (list of GSM accessions to leave out; default none),
    ``samples`` and ``patients`` (mappings of sheet column -> ``{field, map, default}``).
    ``samples`` cannot map ``count_column`` or ``geo_accession`` (both are set by the import)
    and ``patients`` cannot map ``patient`` (it comes from ``samples.patient``); a column cannot
    be in both sheets.

    Parameters
    ----------
    spec
        The ``geo`` section as read from YAML.
    source
        Names the config file(s) in messages.

    Raises
    ------
    InputError
        Naming the offending key, e.g. ``config, key 'geo.samples.biopsy': ...``.
    """

    def err(key: str, msg: str) -> InputError:
        return InputError(f"{source}, key '{key}': {msg}")

    if not isinstance(spec, Mapping):
        raise err("geo", "must be a mapping (series_matrix, counts, samples, patients, ...)")
    for k in spec:
        if k not in SPEC_KEYS:
            raise err(f"geo.{k}", f"unknown key (allowed here: {', '.join(SPEC_KEYS)})")
    for k in ("series_matrix", "counts"):
        if not isinstance(spec.get(k), str) or not spec[k].strip():
            raise err(f"geo.{k}", "a file path is required")
    ccf = spec.get("count_column_field", "geo_accession")
    if not isinstance(ccf, str) or not ccf.strip():
        raise err("geo.count_column_field", "must be the name of a series-matrix field")
    exclude = spec.get("exclude", [])
    if exclude is None:
        exclude = []
    if not isinstance(exclude, list) or not all(isinstance(g, str) for g in exclude):
        raise err("geo.exclude", "must be a list of GSM accessions")
    for section in _SHEETS:
        cols = spec.get(section)
        if not isinstance(cols, Mapping) or not cols:
            raise err(f"geo.{section}", "a mapping of sheet column -> {field, map, default}")
        for target, entry in cols.items():
            key = f"geo.{section}.{target}"
            if not isinstance(target, str) or not target.strip():
                raise err(key, "column names must be non-empty strings")
            if section == "samples" and target in ("count_column", "geo_accession"):
                why = "set geo.count_column_field instead" if target == "count_column" else ""
                raise err(key, f"set by the import, cannot be mapped{'; ' + why if why else ''}")
            if section == "patients" and target == "patient":
                raise err(key, "the patient ID comes from geo.samples.patient")
            if section == "patients" and target in spec.get("samples", {}):
                raise err(key, f"'{target}' is also mapped in geo.samples")
            if not isinstance(entry, Mapping):
                raise err(key, "must be a mapping {field, map, default}")
            for k in entry:
                if k not in ENTRY_KEYS:
                    raise err(f"{key}.{k}", f"unknown key (allowed here: {', '.join(ENTRY_KEYS)})")
            if "field" not in entry and "default" not in entry:
                raise err(key, "needs a 'field' (series-matrix field) or a 'default' (constant)")
            if "field" in entry and (not isinstance(entry["field"], str) or not entry["field"]):
                raise err(f"{key}.field", "must be the name of a series-matrix field")
            if "map" in entry:
                m = entry["map"]
                if not isinstance(m, Mapping) or not m:
                    raise err(f"{key}.map", "must be a mapping of series-matrix value -> value")
                if "field" not in entry:
                    raise err(f"{key}.map", "a map needs a 'field'")
                bad = [v for v in m.values() if isinstance(v, Mapping | list)]
                if bad:
                    raise err(f"{key}.map", f"values must be scalars, got {bad[0]!r}")


def _norm_map(m: Mapping[Any, Any]) -> tuple[dict[str, str], list[str]]:
    """Lower-cased lookup table of a ``map`` and the keys to show in messages."""
    table: dict[str, str] = {}
    shown: list[str] = []
    for k, v in m.items():
        words = _BOOL_WORDS[k] if isinstance(k, bool) else (_text(k).lower(),)
        for w in words:
            table.setdefault(w, _text(v))
        shown.append(words[0] if isinstance(k, bool) else _text(k))
    return table, shown


@dataclass
class _Built:
    """Sheets plus where each value came from (for messages after schema validation)."""

    samples: pd.DataFrame
    patients: pd.DataFrame
    matrix: pd.DataFrame  # the series-matrix rows included
    path: str
    source: str
    gsm: list[str]  # GSM of each sample row
    patient_gsm: list[str]  # first GSM of each patient row
    patient_src: dict[str, list[str]] = field(default_factory=dict)  # col -> GSM of each value
    fields: dict[str, dict[str, str | None]] = field(default_factory=dict)  # sheet->col->field
    cell_lines: dict[str, dict[str, int]] = field(default_factory=dict)

    def where(self, section: str, col: str, gsm: str) -> str:
        """``path, line L, column 'GSM'`` for a matrix value, or the config key of a default."""
        f = self.fields[section].get(col)
        if f is None or f not in self.cell_lines:
            return f"{self.source}, key 'geo.{section}.{col}.default' (used for {gsm})"
        return f"{self.path}, line {self.cell_lines[f][gsm]}, column '{gsm}'"

    def gsm_of(self, section: str, col: str | None, i: int) -> str:
        """GSM of row ``i`` (0-based); for patients, the sample the column's value came from."""
        if section == "samples":
            return self.gsm[i]
        return self.patient_src.get(col or "", self.patient_gsm)[i]

    def what(self, section: str, col: str) -> str:
        f = self.fields[section].get(col)
        return f"geo.{section}.{col}" + (
            f" (field '{f}')" if f is not None and f in self.cell_lines else ""
        )


def _build(
    matrix: pd.DataFrame,
    spec: Mapping[str, Any],
    matrix_path: str | Path,
    required: Mapping[str, Sequence[str]] | None,
    source: str,
) -> _Built:
    """The sample and patient sheets of a series matrix mapped by a ``geo`` spec."""
    check_spec(spec, source)
    b = _Builder(matrix, spec, str(matrix_path), required, source)
    b.check_mapped()
    b.build_samples()
    b.build_patients()
    return b.built


class _Builder:
    """Builds :class:`_Built` step by step; each step names the file, line and GSM column of
    a value it rejects (or the config key of a default)."""

    def __init__(
        self,
        matrix: pd.DataFrame,
        spec: Mapping[str, Any],
        path: str,
        required: Mapping[str, Sequence[str]] | None,
        source: str,
    ) -> None:
        self.spec, self.path, self.source = spec, path, source
        self.req = {k: tuple(v) for k, v in (required or DEFAULT_REQUIRED).items()}
        cell_lines: dict[str, dict[str, int]] = matrix.attrs.get("cell_lines", {})
        first_line: dict[str, int] = matrix.attrs.get("lines", {})
        self.cell_lines = {
            c: cell_lines.get(c, dict.fromkeys(matrix.index, first_line.get(c, 0)))
            for c in matrix.columns
        }
        self.lookup = {c.strip().lower(): c for c in matrix.columns}
        self.available = ", ".join(matrix.columns)
        exclude = list(spec.get("exclude") or [])
        unknown = [g for g in exclude if g not in matrix.index]
        if unknown:
            raise InputError(
                f"{source}, key 'geo.exclude': {unknown[0]!r} is not a sample of {path}"
            )
        m = matrix.loc[[g for g in matrix.index if g not in set(exclude)]].fillna("").astype(str)
        if m.empty:
            raise InputError(f"{source}, key 'geo.exclude': every sample of {path} is excluded")
        self.m = m
        self.gsms = [str(g) for g in m.index]
        self.built = _Built(
            samples=pd.DataFrame(),
            patients=pd.DataFrame(),
            matrix=m,
            path=path,
            source=source,
            gsm=self.gsms,
            patient_gsm=[],
            fields={"samples": {}, "patients": {}},
            cell_lines=self.cell_lines,
        )
        self.sample_values: dict[str, list[str]] = {}

    def line(self, col: str, gsm: str) -> int:
        return self.cell_lines[col][gsm]

    def resolve(self, section: str, target: str, entry: Mapping[str, Any]) -> str | None:
        """The matrix column of an entry; None for a constant (default only)."""
        if "field" not in entry:
            return None
        name = self.lookup.get(entry["field"].strip().lower())
        if name is None and "default" not in entry:
            raise InputError(
                f"{self.path}: field {entry['field']!r} ({self.source}, key "
                f"'geo.{section}.{target}.field') is not in the series matrix; available "
                f"fields: {self.available}"
            )
        if name is None:  # a typo would otherwise fall back to the default silently
            warnings.warn(
                f"{self.path}: field {entry['field']!r} (key 'geo.{section}.{target}.field') is "
                f"not in the series matrix; every sample gets the default {entry['default']!r}",
                stacklevel=2,
            )
        return name

    def column(self, section: str, target: str, entry: Mapping[str, Any]) -> tuple[list[str], bool]:
        """Mapped values per sample (empty where missing) and whether the column is required."""
        col = self.resolve(section, target, entry)
        self.built.fields[section][target] = col
        is_required = target in self.req.get(section, ())
        if col is None:
            return [""] * len(self.m), is_required
        raw = self.m[col].tolist()
        if "map" in entry:
            table, shown = _norm_map(entry["map"])
            out: list[str] = []
            for gsm, v in zip(self.gsms, raw, strict=True):
                if v and v.lower() not in table:
                    raise InputError(
                        f"{self.path}, line {self.line(col, gsm)}, column '{gsm}': field '{col}' "
                        f"value '{v}' is not in geo.{section}.{target}.map ({', '.join(shown)})"
                    )
                out.append(table[v.lower()] if v else "")
            raw = out
        return raw, is_required

    def missing(
        self, section: str, target: str, entry: Mapping[str, Any], gsm: str, pid: str = ""
    ) -> InputError:
        col = self.built.fields[section][target]
        sheet = f"{section}.schema.yaml"
        if col is None:
            return InputError(
                f"{self.source}, key 'geo.{section}.{target}.default': is null, but '{target}' "
                f"is required by {sheet}"
            )
        how = "has no default" if "default" not in entry else "has default null"
        empty = "this sample" if section == "samples" else f"every sample of patient {pid!r}"
        return InputError(
            f"{self.path}, line {self.line(col, gsm)}, column '{gsm}': field '{col}' is empty "
            f"for {empty} and geo.{section}.{target} {how}, but '{target}' is required by {sheet}"
        )

    def check_mapped(self) -> None:
        """Every column the sheet schemas require is mapped (or given a constant)."""
        for section in ("samples", "patients"):
            cols = self.spec[section]
            for target in self.req.get(section, ()):
                if target not in cols and not (section == "patients" and target == "patient"):
                    raise InputError(
                        f"{self.source}, key 'geo.{section}.{target}': '{target}' is required by "
                        f"{section}.schema.yaml but not mapped; map it to a series-matrix field "
                        f"({target}: {{field: ..., map: {{...}}}}) or give a constant "
                        f"({target}: {{default: ...}}); `python -m her2het.io.geo inspect "
                        f"{self.path}` lists the fields"
                    )

    def _ordered(self, section: str) -> list[str]:
        cols = self.spec[section]
        order = [c for c in self.req.get(section, ()) if c in cols]
        return order + [c for c in cols if c not in order]

    def build_samples(self) -> None:
        """One row per GSM: the mapped columns, ``count_column`` and ``geo_accession``."""
        s_spec: Mapping[str, Any] = self.spec["samples"]
        samples = self.sample_values
        for target in self._ordered("samples"):
            entry = s_spec[target]
            values, is_required = self.column("samples", target, entry)
            default = _text(entry.get("default"))
            values = [v or default for v in values]
            if is_required:
                for gsm, v in zip(self.gsms, values, strict=True):
                    if not v:
                        raise self.missing("samples", target, entry, gsm)
            samples[target] = values
        ccf = self.spec.get("count_column_field", "geo_accession")
        ccol = self.lookup.get(ccf.strip().lower())
        if ccol is None:
            raise InputError(
                f"{self.path}: field {ccf!r} ({self.source}, key 'geo.count_column_field') is not "
                f"in the series matrix; available fields: {self.available}"
            )
        for gsm, v in zip(self.gsms, self.m[ccol], strict=True):
            if not v:
                raise InputError(
                    f"{self.path}, line {self.line(ccol, gsm)}, column '{gsm}': field '{ccol}' "
                    f"(geo.count_column_field) is empty, so this sample's count column is unknown"
                )
        samples["count_column"] = self.m[ccol].tolist()
        samples["geo_accession"] = self.gsms
        fields = self.built.fields["samples"]
        fields["count_column"] = ccol
        fields["geo_accession"] = self.lookup.get("geo_accession")
        index = pd.RangeIndex(1, len(self.gsms) + 1)
        self.built.samples = pd.DataFrame(samples, index=index, dtype=str)

    def build_patients(self) -> None:
        """One row per patient; a patient column must agree across the patient's samples."""
        p_spec: Mapping[str, Any] = self.spec["patients"]
        gsms, built = self.gsms, self.built
        pids = self.sample_values.get("patient", [""] * len(gsms))
        first: dict[str, int] = {}
        for i, pid in enumerate(pids):
            first.setdefault(pid, i)
        built.patient_gsm = [gsms[i] for i in first.values()]
        built.fields["patients"]["patient"] = built.fields["samples"].get("patient")
        patients: dict[str, list[str]] = {"patient": list(first)}
        for target in self._ordered("patients"):
            entry = p_spec[target]
            values, is_required = self.column("patients", target, entry)
            agreed = self._agreed(target, pids, values)
            default = _text(entry.get("default"))
            out = []
            for pid, i in first.items():
                v = values[agreed[pid]] if pid in agreed else default
                if not v and is_required:
                    raise self.missing("patients", target, entry, gsms[i], pid)
                out.append(v)
            patients[target] = out
            built.patient_src[target] = [gsms[agreed.get(pid, i)] for pid, i in first.items()]
        index = pd.RangeIndex(1, len(first) + 1)
        built.patients = pd.DataFrame(patients, index=index, dtype=str)

    def _agreed(self, target: str, pids: Sequence[str], values: Sequence[str]) -> dict[str, int]:
        """Patient -> sample index of its first non-empty value; raises where two disagree."""
        col = self.built.fields["patients"][target]
        gsms = self.gsms
        raw = self.m[col].tolist() if col is not None else values
        agreed: dict[str, int] = {}
        for i, (pid, v) in enumerate(zip(pids, values, strict=True)):
            if not v:
                continue
            j = agreed.setdefault(pid, i)
            if values[j] != v:
                assert col is not None  # constants cannot disagree
                raise InputError(
                    f"{self.path}, line {self.line(col, gsms[i])}, column '{gsms[i]}': field "
                    f"'{col}' is {raw[i]!r} here but {raw[j]!r} for {gsms[j]} (line "
                    f"{self.line(col, gsms[j])}); both are samples of patient {pid!r} and "
                    f"geo.patients.{target} must agree across a patient's samples"
                )
        return agreed


def build_sheets(
    matrix: pd.DataFrame,
    spec: Mapping[str, Any],
    matrix_path: str | Path,
    *,
    required: Mapping[str, Sequence[str]] | None = None,
    source: str = "config",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map series-matrix fields to a sample sheet and a patient sheet (strings, not yet validated).

    Parameters
    ----------
    matrix
        The result of :func:`parse_series_matrix` (its ``attrs`` give the line numbers).
    spec
        The config's ``geo`` section (see :func:`check_spec` and the module docstring).
    matrix_path
        The series-matrix file, named in messages.
    required
        Required columns per sheet (``{"samples": [...], "patients": [...]}``); default
        :data:`DEFAULT_REQUIRED` (:func:`load_geo` passes the schemas' ``required``).
    source
        Names the config file(s) in messages about config keys.

    Returns
    -------
    samples, patients : pandas.DataFrame
        String frames indexed 1..n (``""`` = missing), ready for
        :func:`her2het.io.sheets.validate_sheet`. ``samples`` has the mapped columns (required ones
        first), ``count_column`` (the ``count_column_field`` value) and ``geo_accession``; one
        row per GSM not excluded, in series order. ``patients`` has ``patient`` and the mapped
        patient-level columns, one row per patient in order of first sample. A patient-level
        value is the one its samples agree on (samples with an empty value are skipped); the
        default applies when all of them are empty.

    Raises
    ------
    InputError
        Unknown field (the message lists the available ones), a value missing from a ``map``,
        a patient-level value that differs between a patient's samples, a required column that
        is not mapped or is empty without a default. Messages name the series-matrix file, the
        line of the field and the GSM, or the config key.
    """
    built = _build(matrix, spec, matrix_path, required, source)
    return built.samples, built.patients


# --------------------------------------------------------------------------------------------
# Validation, counts, output
# --------------------------------------------------------------------------------------------

_ROW_ERROR = re.compile(r"^.*?, row (\d+) \(line \d+\)(?:, column '([^']*)')?: (.*)$")


def _validate(built: _Built, section: str, schema: Mapping[str, Any]) -> pd.DataFrame:
    """:func:`validate_sheet` with messages relocated to the series matrix line and GSM."""
    df = built.samples if section == "samples" else built.patients
    try:
        return validate_sheet(df, schema, built.path)
    except InputError as exc:
        match = _ROW_ERROR.match(str(exc))
        if match is None:
            raise
        row, col, msg = int(match.group(1)), match.group(2), match.group(3)
        gsm = built.gsm_of(section, col, row - 1)
        if col is None:
            raise InputError(f"{built.path}, column '{gsm}': geo.{section}: {msg}") from None
        raise InputError(
            f"{built.where(section, col, gsm)}: {built.what(section, col)}: {msg}"
        ) from None


def _check_cohort(built: _Built, samples: pd.DataFrame, patients: pd.DataFrame) -> None:
    """Unique IDs, biopsies and count columns; post needs pre; EFS time goes with event."""
    for cols, what in (
        (["sample"], "sample ID"),
        (["patient", "timepoint", "biopsy"], "biopsy"),
        (["count_column"], "count column"),
    ):
        key = samples[cols].astype(str).agg("\t".join, axis=1)
        dup = key.duplicated().to_numpy()
        if dup.any():
            i = int(dup.argmax())
            j = int((key == key.iloc[i]).to_numpy().argmax())
            col = cols[-1]
            gsm, other = built.gsm[i], built.gsm[j]
            if what == "sample ID":
                raise InputError(
                    f"{built.where('samples', col, gsm)}: {built.what('samples', col)}: "
                    f"duplicated sample ID {samples[col].iloc[i]!r} (also {other}); map "
                    f"geo.samples.sample to a unique field such as geo_accession"
                )
            if what == "count column":
                raise InputError(
                    f"{built.where('samples', col, gsm)}: count column {samples[col].iloc[i]!r} "
                    f"is also that of {other}; set geo.count_column_field to a field whose "
                    f"value differs between samples"
                )
            raise InputError(
                f"{built.where('samples', col, gsm)}: {built.what('samples', col)}: biopsy "
                f"{samples['biopsy'].iloc[i]!r} appears twice for patient "
                f"{samples['patient'].iloc[i]!r} at timepoint {samples['timepoint'].iloc[i]!r} "
                f"(also {other}); map geo.samples.biopsy to a field that tells the biopsies "
                f"apart (e.g. {{field: geo_accession}})"
            )
    with_pre = set(samples.loc[samples["timepoint"] == "pre", "patient"])
    orphan = ((samples["timepoint"] == "post") & ~samples["patient"].isin(with_pre)).to_numpy()
    if orphan.any():
        i = int(orphan.argmax())
        gsm = built.gsm[i]
        raise InputError(
            f"{built.where('samples', 'timepoint', gsm)}: post-treatment sample of patient "
            f"{samples['patient'].iloc[i]!r} has no pre-treatment sample (leave it out with "
            f"geo.exclude: [{gsm}])"
        )
    efs = [c for c in ("EFS_months", "EFS_event") if c in patients]
    if len(efs) == 1:
        other = "EFS_event" if efs[0] == "EFS_months" else "EFS_months"
        raise InputError(
            f"{built.source}, key 'geo.patients.{other}': required when '{efs[0]}' is mapped"
        )
    if efs:
        partial = (patients["EFS_months"].isna() != patients["EFS_event"].isna()).to_numpy()
        if partial.any():
            i = int(partial.argmax())
            col = "EFS_months" if pd.isna(patients["EFS_months"].iloc[i]) else "EFS_event"
            gsm = built.gsm_of("patients", col, i)
            raise InputError(
                f"{built.where('patients', col, gsm)}: {built.what('patients', col)}: value is "
                f"missing for patient {patients['patient'].iloc[i]!r} (EFS time and event go "
                f"together)"
            )


def _count_header(path: Path) -> list[str]:
    sep = "," if path.name.lower().removesuffix(".gz").endswith(".csv") else "\t"
    try:
        return [str(c) for c in pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig").columns]
    except (ValueError, OSError):
        return []


def _read_counts(built: _Built, samples: pd.DataFrame, counts_path: str | Path) -> pd.DataFrame:
    """:func:`read_counts`, explaining a missing column with the series matrix's fields."""
    try:
        return read_counts(counts_path, samples)
    except InputError as exc:
        match = re.search(r", line 1, column '(.*)': sample column listed", str(exc))
        if match is None:
            raise
        name = match.group(1)
        i = samples["count_column"].tolist().index(name)
        gsm, ccf = built.gsm[i], built.fields["samples"]["count_column"]
        header = _count_header(Path(counts_path))
        cols = set(header)
        fits = [f for f in built.matrix.columns if cols and built.matrix[f].isin(cols).all()]
        hint = (
            f"fields whose values are all count columns: {', '.join(fits)}"
            if fits
            else f"its columns start {', '.join(header[1:6]) or '(none)'}"
        )
        raise InputError(
            f"{counts_path}, line 1, column '{name}': no such column; the name is field '{ccf}' "
            f"(geo.count_column_field) of {gsm} ({built.path}, line "
            f"{built.cell_lines[str(ccf)][gsm]}); {hint}"
        ) from None


def load_geo(
    spec: Mapping[str, Any],
    schema_dir: str | Path,
    *,
    source: str = "config",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Import a GEO series: parse, map, validate against the sheet schemas, read the counts.

    Parameters
    ----------
    spec
        The config's ``geo`` section (paths relative to the working directory).
    schema_dir
        Folder holding ``samples.schema.yaml`` and ``patients.schema.yaml``.
    source
        Names the config file(s) in messages about config keys.

    Returns
    -------
    samples, patients, counts : pandas.DataFrame
        Validated, typed sheets as :func:`her2het.io.sheets.load_samples` / ``load_patients``
        return them (index = row 1..n; ``samples`` keeps ``count_column`` = the count table's
        column name and adds ``geo_accession``), and the integer genes x samples counts with the
        sample IDs as columns, in sample order.

    Raises
    ------
    InputError
        The first problem, naming the series-matrix file, line and GSM where possible (schema
        violations included), else the config key or the count table's line and column.
    """
    check_spec(spec, source)
    schema_dir = Path(schema_dir)
    s_schema = load_schema(schema_dir / "samples.schema.yaml")
    p_schema = load_schema(schema_dir / "patients.schema.yaml")
    required = {
        "samples": list(s_schema.get("required", [])),
        "patients": list(p_schema.get("required", [])),
    }
    path = spec["series_matrix"]
    matrix = parse_series_matrix(path)
    built = _build(matrix, spec, path, required, source)
    samples = _validate(built, "samples", s_schema)
    patients = _validate(built, "patients", p_schema)
    _check_cohort(built, samples, patients)
    if "HET" in patients and "pCR" in patients:
        for col in ("pCR", "HET"):
            patients[col] = patients[col].astype("Int64")
    counts = _read_counts(built, samples, spec["counts"])
    return samples, patients, counts


def write_sheets(
    samples: pd.DataFrame,
    patients: pd.DataFrame,
    counts: pd.DataFrame,
    outdir: str | Path,
) -> dict[str, Path]:
    """Write ``samples.tsv``, ``patients.tsv`` and ``counts.tsv`` (the ``sheets`` input format).

    Parameters
    ----------
    samples, patients, counts
        As returned by :func:`load_geo`; ``counts`` columns must be the sample IDs.
    outdir
        Output folder (created if needed).

    Returns
    -------
    dict
        ``{"samples": path, "patients": path, "counts": path}``. In the written sample sheet
        ``count_column`` equals ``sample`` (the count table's columns are the sample IDs).
    """
    if list(counts.columns) != list(samples["sample"]):
        raise ValueError("counts columns must be the sample IDs in sample-sheet order")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    s = samples.copy()
    s["count_column"] = s["sample"]
    paths = {k: out / f"{k}.tsv" for k in ("samples", "patients", "counts")}
    opts: dict[str, Any] = {"sep": "\t", "lineterminator": "\n", "na_rep": ""}
    s.to_csv(paths["samples"], index=False, **opts)
    patients.to_csv(paths["patients"], index=False, **opts)
    c = counts.copy()
    c.index.name = counts.index.name or "gene"
    c.to_csv(paths["counts"], **opts)
    return paths


# --------------------------------------------------------------------------------------------
# Inspection (command line)
# --------------------------------------------------------------------------------------------


def _short(value: str, width: int = 32) -> str:
    return repr(value if len(value) <= width else value[: width - 3] + "...")


def inspect(path: str | Path) -> str:
    """Describe the fields of a series matrix, to help write the ``geo`` mapping.

    Parameters
    ----------
    path
        The series matrix (plain or ``.gz``).

    Returns
    -------
    str
        One line per field: name, line(s) it comes from, number of distinct non-empty values,
        number of samples without a value, and up to 5 example values.
    """
    df = parse_series_matrix(path)
    cell_lines: dict[str, dict[str, int]] = df.attrs["cell_lines"]
    rows = [("field", "line", "distinct", "empty", "examples")]
    for col in df.columns:
        lines = sorted(set(cell_lines[col].values()))
        values = [v for v in df[col] if v]
        distinct = list(dict.fromkeys(values))
        examples = ", ".join(_short(v) for v in distinct[:5]) + (
            ", ..." if len(distinct) > 5 else ""
        )
        shown = ",".join(map(str, lines[:4])) + (",..." if len(lines) > 4 else "")
        rows.append(
            (col, shown, str(len(distinct)), str(len(df) - len(values)), examples or "(none)")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    body = [
        f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}  {r[4]}"
        for r in rows
    ]
    head = f"{path}: {len(df)} samples; {len(df.columns)} fields (characteristics keys lower-cased)"
    foot = (
        "Map fields in the config's geo: section, e.g. "
        'pCR: {field: "pcr", map: {"yes": 1, "no": 0}} (see her2het.io.geo)'
    )
    return "\n".join([head, *body, foot])


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m her2het.io.geo inspect FILE``."""
    parser = argparse.ArgumentParser(
        prog="python -m her2het.io.geo", description="Import a GEO series (see her2het.io.geo)."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_inspect = sub.add_parser("inspect", help="list the fields of a series matrix")
    p_inspect.add_argument("file", help="GSExxxxx_series_matrix.txt[.gz]")
    args = parser.parse_args(argv)
    try:
        print(inspect(args.file))
    except InputError as exc:
        print(f"Invalid input: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
