"""Single-sample intrinsic subtypes: gene-pair rules, no centring (``subtype.single_sample``).

A centroid call depends on the cohort through its gene centres; a gene-pair predictor
depends on one sample alone. Each rule asks whether gene ``a`` is below gene ``b`` *within* a
sample's raw expression (TPM or FPKM, never centred or log-ratio data), so adding a patient
changes no other patient's call, and a pre/post pair is compared on the same footing whatever
the cohort's mix. The model is the AIMS method's (Paquet & Hallett 2015, J Natl Cancer Inst
107:357): a naive Bayes classifier over the rules as numeric 0/1 features; the models used are
the sspbc predictors (Staaf et al. 2022, medRxiv 2021.12.03.21267116; trained on RNA-seq FPKM
of the SCAN-B cohort, e.g. ``ssp.pam50``, 5 classes, 120 rules), downloaded by the user and
read by :func:`her2het.io.sspmodel.read_pair_model`.

:func:`predict` reproduces sspbc's ``applySSP`` (AIMS's ``applyAIMS``) and
``e1071::predict.naiveBayes`` 1.7 (``type = "raw"``, ``threshold = 0.001``, ``eps = 0``):

* genes are translated to the model's IDs with the model's annotation (GENCODE 27 gene ID with
  or without version, gene name, HGNC symbol or Entrez ID, whichever matches most columns);
  several columns on one model gene keep the highest value per sample;
* rule ``a<b`` is ``1`` when ``x[a] < x[b]`` (strict: a tie is ``0``) and missing when either
  gene is absent or NaN; a missing rule contributes nothing (e1071's probability 1);
* per class ``log(n_class) + sum_rules log(dnorm(rule, mean, sd))`` with an SD <= 0 and a
  density <= 0 replaced by 0.001; the posterior is the normalised exponential, the call the
  first class with the highest posterior.

Input that is not raw expression (5% or more negative values in a sample, as sspbc refuses) is
an error, and so are data that share no gene with the model. ``rules_used`` says how many rules
a call rests on; below ``min_rules`` (a fraction of the model's rules) the call is flagged
``few_rules``; a sample with no rule measured gets no call (empty ``subtype``, NaN posteriors),
not the prior's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from her2het.subtype import agreement, transition_counts

#: e1071's ``threshold``: the density (and SD) that replaces one <= ``eps`` (0).
THRESHOLD = 0.001


@dataclass(frozen=True)
class PairModel:
    """A gene-pair naive Bayes predictor: rule ``i`` is ``x[rules[i][0]] < x[rules[i][1]]``;
    ``mean`` / ``sd`` are rules x classes, ``prior`` the training class counts."""

    name: str
    source: str
    rules: tuple[tuple[str, str], ...]
    classes: tuple[str, ...]
    prior: np.ndarray
    mean: np.ndarray
    sd: np.ndarray

    @property
    def genes(self) -> list[str]:
        return list(dict.fromkeys(g for pair in self.rules for g in pair))


def _strip_version(ids: pd.Index | pd.Series) -> pd.Series:
    return pd.Series(ids, dtype=str).str.replace(r"\.\d+$", "", regex=True)


def translate(
    genes: pd.Index, model: PairModel, annotation: pd.DataFrame | None
) -> tuple[pd.Series, str]:
    """Each input gene's model ID (NaN where none) and the ID type that matched.

    The genes as they are (the model's own IDs) or the annotation column that matches the
    most input genes (``Gene.ID`` also without its version) is used; sspbc's Entrez IDs carry
    the prefix ``e``.
    """
    wanted = set(model.genes)
    direct = pd.Series(genes, index=genes, dtype=object)
    direct = direct.where(direct.isin(wanted))
    best = (int(direct.notna().sum()), "model IDs", direct)
    if annotation is None or "EntrezGene" not in annotation.columns:
        return best[2], best[1]
    entrez = "e" + annotation["EntrezGene"].astype(str)
    for col in annotation.columns:
        keys = annotation[col].astype(str)
        query = pd.Series(genes, dtype=str)
        if col == "Gene.ID":
            keys, query = _strip_version(keys), _strip_version(query)
        lookup = pd.Series(entrez.to_numpy(), index=keys.to_numpy())
        lookup = lookup[~lookup.index.duplicated()]  # R's match(): the first row
        mapped = pd.Series(lookup.reindex(query.to_numpy()).to_numpy(), index=genes)
        mapped = mapped.where(mapped.isin(wanted))
        n = int(mapped.notna().sum())
        if n > best[0]:
            best = (n, str(col), mapped)
    return best[2], best[1]


def rule_matrix(expr: pd.DataFrame, model: PairModel) -> np.ndarray:
    """Samples x rules: 1.0 where ``a < b``, 0.0 where not, NaN where a gene is missing.
    ``expr`` is samples x model gene IDs."""
    x = expr.reindex(columns=model.genes).to_numpy(dtype=np.float64)
    col = {g: i for i, g in enumerate(model.genes)}
    a = x[:, [col[r[0]] for r in model.rules]]
    b = x[:, [col[r[1]] for r in model.rules]]
    out = (a < b).astype(np.float64)
    out[np.isnan(a) | np.isnan(b)] = np.nan
    return out


def posteriors(rules: np.ndarray, model: PairModel) -> np.ndarray:
    """Samples x classes posterior probabilities (e1071's ``predict(type = "raw")``)."""
    sd = np.where(model.sd <= 0, THRESHOLD, model.sd)
    z = (rules[:, :, None] - model.mean[None]) / sd[None]
    dens = np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * sd[None])
    dens = np.where(dens <= 0, THRESHOLD, dens)
    logp = np.where(np.isnan(rules)[:, :, None], 0.0, np.log(dens))
    loglik = np.log(model.prior)[None] + logp.sum(axis=1)
    return np.exp(loglik - logsumexp(loglik, axis=1, keepdims=True))


def predict(
    expr: pd.DataFrame,
    model: PairModel,
    annotation: pd.DataFrame | None = None,
    *,
    min_rules: float = 0.9,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Calls of ``expr`` (samples x genes, raw TPM/FPKM) and what was used.

    Returns ``calls`` (index: samples; ``subtype``, ``prob_<class>``, ``rules_used``,
    ``few_rules``) and ``method`` (model, source, ID type, genes and rules found).
    """
    values = expr.to_numpy(dtype=np.float64)
    negative = (values < 0).sum(axis=1) / max(values.shape[1], 1)
    bad = np.flatnonzero(negative >= 0.05)
    if len(bad):
        raise ValueError(
            f"sample {expr.index[bad[0]]}: {negative[bad[0]]:.0%} of its values are "
            "negative; single-sample rules need raw expression (TPM or FPKM), not centred or "
            "log-ratio data"
        )
    ids, id_type = translate(expr.columns, model, annotation)
    keep = ids.notna().to_numpy()
    if not keep.any():
        raise ValueError(
            f"none of the {len(model.genes)} genes of model {model.source} is among the "
            f"{expr.shape[1]} genes of the data (e.g. {', '.join(map(str, expr.columns[:3]))}); "
            "give gene names, HGNC symbols, Ensembl gene IDs or the model's own IDs"
        )
    by_id = expr.loc[:, keep].T.groupby(ids[keep].to_numpy()).max().T  # highest per model gene
    rules = rule_matrix(by_id, model)
    prob = posteriors(rules, model)
    used = (~np.isnan(rules)).sum(axis=1)
    floor = int(np.ceil(round(min_rules * len(model.rules), 9)))  # 0.14 x 50 is 7, not 8
    prob[used == 0] = np.nan  # no rule measured: the prior alone is no call
    calls = pd.DataFrame(index=expr.index)
    calls["subtype"] = [
        model.classes[int(np.argmax(p))] if n else "" for p, n in zip(prob, used, strict=True)
    ]
    for j, cls in enumerate(model.classes):
        calls[f"prob_{cls}"] = prob[:, j]
    calls["rules_used"] = used
    calls["few_rules"] = used < floor
    missing = [g for g in model.genes if g not in by_id.columns]
    method: dict[str, object] = {
        "model": model.name,
        "source": model.source,
        "classes": ";".join(model.classes),
        "rules": len(model.rules),
        "min_rules": floor,
        "gene_ids": id_type,
        "genes_found": len(model.genes) - len(missing),
        "genes_missing": ";".join(missing),
        "samples_few_rules": int(calls["few_rules"].sum()),
    }
    return calls, method


def cohort_tables(
    calls: pd.DataFrame, meta: pd.DataFrame, model: PairModel
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per-sample, per-patient and transition tables of single-sample calls.

    ``meta`` has ``sample``, ``patient``, ``timepoint``, ``group``. A patient's baseline call
    is the class with the highest mean posterior over the baseline biopsies (one biopsy: its
    call); ``subtype_post`` the residual sample's call; ``shift`` e.g. ``Her2>LumA``.
    """
    m = meta.set_index("sample").loc[calls.index, ["patient", "timepoint", "group"]]
    samples = pd.concat([m, calls], axis=1).rename_axis("sample").reset_index()
    probs = [f"prob_{c}" for c in model.classes]
    rows = []
    for pt, s in samples.groupby("patient", sort=True, observed=True):
        pre = s[s["timepoint"].astype(str) == "pre"]
        post = s[s["timepoint"].astype(str) == "post"]
        mean = pre[probs].mean().to_numpy()  # skips biopsies without a call
        sp = model.classes[int(np.argmax(mean))] if np.isfinite(mean).all() else ""
        spost = str(post["subtype"].iloc[0]) if len(post) else ""
        rows.append(
            {
                "patient": pt,
                "group": s["group"].iloc[0],
                "subtype_pre": sp,
                "biopsy_calls": ";".join(pre["subtype"].astype(str)),
                "subtype_post": spost,
                "shift": f"{sp}>{spost}" if sp and spost and sp != spost else "",
            }
        )
    patients = pd.DataFrame(rows)
    return samples, patients, transition_counts(patients)


def agreement_table(single: pd.DataFrame, centroid: pd.DataFrame) -> pd.DataFrame:
    """Single-sample vs centroid calls of the same samples, per timepoint and overall:
    ``n``, ``accuracy`` and Cohen's ``kappa`` (classes compared by name; samples without a
    single-sample call left out)."""
    called = single[single["subtype"].astype(str) != ""]
    both = called[["sample", "timepoint", "subtype"]].merge(
        centroid[["sample", "subtype"]], on="sample", suffixes=("_single", "_centroid")
    )
    rows = []
    for label, part in [("all", both), *both.groupby("timepoint", sort=True, observed=True)]:
        if len(part):
            acc, kappa = agreement(part["subtype_single"], part["subtype_centroid"])
            rows.append(
                {
                    "timepoint": label,
                    "n": len(part),
                    "accuracy": round(acc, 4),
                    "kappa": round(kappa, 4),
                }
            )
    return pd.DataFrame(rows, columns=["timepoint", "n", "accuracy", "kappa"])
