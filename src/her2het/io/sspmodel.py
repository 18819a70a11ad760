"""Read a gene-pair single-sample predictor (AIMS / sspbc layout) from R data files.

The models are not shipped with the project (sspbc's licence fields disagree: GPL-3 in its
repository, CC0 in its DESCRIPTION); the user downloads them, as with genefu's centroids:

* the sspbc source package as published, ``sspbc_1.0.tar.gz`` (Staaf et al. 2022,
  https://github.com/StaafLab/sspbc, folder ``package/``): its ``data/sspbc.models.rda`` (a
  named list of models) and ``data/Gene.ID.ann.rda`` (GENCODE 27 gene IDs, names, HGNC
  symbols and Entrez IDs) are read from the archive in memory;
* or an ``.rda`` / ``.RData`` file holding a named list ``sspbc.models`` (or one model
  ``aims.gs``, the AIMS package's name) and optionally ``Gene.ID.ann``.

A model is AIMS's (Paquet & Hallett 2015, J Natl Cancer Inst 107:357): ``all.pairs``
(rules ``"a<b"``), ``k`` and ``one.vs.all.tsp[[k]]``, an ``e1071::naiveBayes`` fitted on the
rules as numeric 0/1 features (per class the mean and SD of each rule, and the class counts).
R objects are decoded with the PyPI package ``rdata`` (pure Python; no R needed).
"""

from __future__ import annotations

import io
import re
import tarfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from her2het.io import read_table
from her2het.single_sample import PairModel

#: Members of the sspbc source package that hold the models and the gene annotation.
SSPBC_MODELS = "sspbc/data/sspbc.models.rda"
SSPBC_ANNOTATION = "sspbc/data/Gene.ID.ann.rda"
#: Annotation columns that can identify a gene (sspbc's ``translate_id2entrez`` id types).
ID_COLUMNS: tuple[str, ...] = ("Gene.ID", "Gene.Name", "HGNC", "EntrezGene")


def _read_rda(data: bytes) -> dict[str, Any]:
    import rdata

    def raw(obj: Any, attrs: Any) -> Any:  # naiveBayes lists and R tables, undecorated
        return obj

    classes = {**rdata.conversion.DEFAULT_CLASS_MAP, "naiveBayes": raw, "table": raw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return rdata.read_rda(io.BytesIO(data), constructor_dict=classes)


def make_names(name: str) -> str:
    """R's ``make.names``: invalid characters become ``.``; a name not starting with a letter
    (or a dot not followed by a digit) gets the prefix ``X`` (``"2064<2886"`` -> ``X2064.2886``)."""
    out = re.sub(r"[^A-Za-z0-9._]", ".", name)
    return out if re.match(r"[A-Za-z]|\.(?![0-9])", out) else f"X{out}"


def _values(x: Any) -> np.ndarray:
    return np.asarray(getattr(x, "values", x))


def _model(obj: dict[str, Any], name: str, source: str) -> PairModel:
    try:
        pairs = [str(p) for p in _values(obj["all.pairs"])]
        k = int(_values(obj["k"]).ravel()[0])
        nb = obj["one.vs.all.tsp"][k - 1]
        tables = nb["tables"]
        prior = nb["apriori"]
        classes = tuple(str(c) for c in _values(prior.coords[prior.dims[0]]))
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"{source}: model {name!r} is not in the AIMS layout (all.pairs, k, "
            f"one.vs.all.tsp[[k]] a naiveBayes): {exc}"
        ) from None
    rules, means, sds = [], [], []
    by_name = {str(key): tab for key, tab in tables.items()}
    for pair in pairs:
        a, _, b = pair.partition("<")
        tab = by_name.get(make_names(pair))  # R's data.frame name for the rule "a<b"
        if tab is None:
            continue  # a rule of a smaller k, not in this naiveBayes
        v = _values(tab)
        if v.shape != (len(classes), 2):
            raise ValueError(f"{source}: rule {pair} of model {name!r} is not numeric (mean, sd)")
        rules.append((a, b))
        means.append(v[:, 0])
        sds.append(v[:, 1])
    if len(rules) != len(by_name):
        raise ValueError(
            f"{source}: model {name!r} has {len(by_name)} rules in its naiveBayes but "
            f"{len(rules)} of them in all.pairs"
        )
    return PairModel(
        name=name,
        source=source,
        rules=tuple(rules),
        classes=classes,
        prior=_values(prior).astype(np.float64),
        mean=np.vstack(means).astype(np.float64),
        sd=np.vstack(sds).astype(np.float64),
    )


def _read_objects(path: Path, annotation: bool) -> dict[str, Any]:
    if path.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path, "r:gz") as tar:
            names = tar.getnames()
            if SSPBC_MODELS not in names:
                raise ValueError(f"{path}: no {SSPBC_MODELS} (is this the sspbc source package?)")
            objects = _read_rda(tar.extractfile(SSPBC_MODELS).read())  # type: ignore[union-attr]
            if annotation and SSPBC_ANNOTATION in names:
                ann_bytes = tar.extractfile(SSPBC_ANNOTATION).read()  # type: ignore[union-attr]
                objects.update(_read_rda(ann_bytes))
        return objects
    return _read_rda(path.read_bytes())


def read_pair_model(
    path: str | Path, name: str, *, annotation: bool = True
) -> tuple[PairModel, pd.DataFrame | None]:
    """The model ``name`` and the gene annotation (None without one, or when ``annotation``
    is false: the pre-flight's quicker check) from ``path`` (see module doc)."""
    path = Path(path)
    try:
        objects = _read_objects(path, annotation)
    except (tarfile.TarError, NotImplementedError, EOFError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{path}: not the sspbc source package (.tar.gz) or an R data file (.rda): {exc}"
        ) from None
    if "sspbc.models" in objects:
        models = {str(k): v for k, v in objects["sspbc.models"].items()}
    elif "aims.gs" in objects:
        models = {name: objects["aims.gs"]}
    else:
        raise ValueError(f"{path}: neither a list 'sspbc.models' nor a model 'aims.gs'")
    if name not in models:
        raise ValueError(f"{path}: no model {name!r}; it has {', '.join(models)}")
    ann = objects.get("Gene.ID.ann") if annotation else None
    if ann is not None:
        ann = pd.DataFrame(ann).reset_index(drop=True)
        ann = ann[[c for c in ID_COLUMNS if c in ann.columns]].astype(str)
        if "EntrezGene" in ann.columns:  # a numeric column reads as 2064.0
            ann["EntrezGene"] = ann["EntrezGene"].str.replace(r"\.0$", "", regex=True)
    return _model(models[name], name, f"{path.name}:{name}"), ann


def read_expression_table(path: str | Path) -> pd.DataFrame:
    """A tab-separated genes x samples table of TPM or FPKM (first column the gene, e.g. the
    workflow's ``quant/tpm.tsv``), as samples x genes."""
    table = read_table(path, index_col=0)
    table.index = table.index.astype(str)
    table.columns = table.columns.astype(str)
    check_numeric(table, path)
    return table.T.astype(np.float64)


def check_numeric(table: pd.DataFrame, path: str | Path) -> None:
    """Every column after the first (the gene) holds numbers; else one line naming the
    first text column and a row where it is not a number."""
    for col in table.columns:
        values = pd.to_numeric(table[col], errors="coerce")
        bad = values.isna() & table[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # 1-based, after the header
            raise ValueError(
                f"{path}, row {row}, column {col!r}: {table[col].iloc[row - 2]!r} is not a "
                "number (one gene column, then one numeric column per sample)"
            )
