"""PAM50-like intrinsic subtyping: nearest centroid by Spearman correlation, explicit centring.

Centroids
    * ``builtin`` - the project's **PAM50-like** profile: each of the 50 PAM50 genes takes the
      log2 offset of its module (proliferation, luminal, basal, HER2) for each subtype, from
      :data:`her2het.genes.SUBTYPE_MODULE_PROFILE`. It is *not* the Parker et al. (2009)
      centroid set and its calls must not be reported as PAM50 calls. It is the profile the
      demo simulator plants, so on the demo it is the right model; on real data use genefu's.
    * a file in genefu's ``pam50_model.csv`` layout (comment lines ``# centroid.<Class>: v1 v2
      ...`` in gene order, then a CSV with column ``probe``): the genuine Parker centroids.
      Outdated symbols are renamed (:data:`her2het.genes.PAM50_SYNONYMS`).

Centring (the centroids describe expression relative to a population centre; a cohort that is
all HER2-positive is not that population, so plain cohort median-centring shifts every sample
towards the HER2-enriched centroid):

    * ``mixture`` (default) - centre = mean of the baseline samples minus ``scale`` x the
      centroid average weighted by the cohort's subtype mix. The mix starts at ``expected_mix``
      (default: a rounded mix for clinically HER2-positive tumours, HER2-enriched about half,
      luminal about a third, basal-like about a tenth) and, with ``iterate``, is re-estimated
      from the calls until they no longer change (at most 20 rounds). ``scale`` converts
      centroid units to log2 expression: 1 for the built-in profile (log2 offsets), or
      ``auto`` = median gene SD of the data over median gene SD of the weighted centroids.
    * ``median`` - per-gene median of the baseline samples (standard PAM50 practice; biased
      here, kept for comparison).
    * ``reference`` - per-gene centres from a table (``gene``, ``centre``) measured on a
      reference population on the same platform and scale.
    * ``none`` - no centring.

Confidence: the share of ``n_bootstrap`` gene resamples (with replacement) that give the same
call; ``margin``: best minus second-best correlation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from her2het import genes as G

BUILTIN_NAME = "built-in PAM50-like profile (project-defined; not the Parker et al. 2009 centroids)"
DEFAULT_MIX: dict[str, float] = {
    "LumA": 0.15,
    "LumB": 0.2,
    "Her2": 0.5,
    "Basal": 0.1,
    "Normal": 0.05,
}
CENTRINGS = ("mixture", "median", "reference", "none")


@dataclass(frozen=True)
class Centroids:
    """Genes x subtypes centroid table, its name and its native scale (1.0 = log2)."""

    table: pd.DataFrame
    name: str
    scale: float | None = None


def builtin_centroids() -> Centroids:
    """The project's PAM50-like profile (see module docstring)."""
    tab = pd.DataFrame(
        {
            st: [G.SUBTYPE_MODULE_PROFILE[st][G.pam50_module_of(g)] for g in G.PAM50]
            for st in G.SUBTYPES
        },
        index=pd.Index(G.PAM50, name="gene"),
    )
    return Centroids(tab, BUILTIN_NAME, scale=1.0)


_CENTROID_LINE = re.compile(r"^#\s*centroid\.([A-Za-z0-9_]+)\s*:\s*(.*)$")


def read_genefu_model(path: str | Path) -> Centroids:
    """Centroids from a file in genefu's ``pam50_model.csv`` layout (errors name the line)."""
    classes: dict[str, list[float]] = {}
    probes: list[str] = []
    header: list[str] | None = None
    with open(path, encoding="utf-8-sig") as fh:
        for i, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                m = _CENTROID_LINE.match(line)
                if m:
                    try:
                        classes[m.group(1)] = [
                            float(v) for v in m.group(2).replace(",", " ").split()
                        ]
                    except ValueError:
                        raise ValueError(
                            f"{path}, line {i}: centroid values must be numbers"
                        ) from None
                    bad = [v for v in classes[m.group(1)] if not np.isfinite(v)]
                    if bad:
                        raise ValueError(
                            f"{path}, line {i}: centroid.{m.group(1)} holds {bad[0]} "
                            "(centroid values must be finite numbers)"
                        )
                continue
            fields = [f.strip().strip('"') for f in line.split(",")]
            if header is None:
                header = fields
                if "probe" not in header:
                    raise ValueError(f"{path}, line {i}: expected a header with column 'probe'")
                continue
            if len(fields) != len(header):
                raise ValueError(
                    f"{path}, line {i}: has {len(fields)} comma-separated fields, header has "
                    f"{len(header)}"
                )
            probe = fields[header.index("probe")]
            if not probe:
                raise ValueError(f"{path}, line {i}, column 'probe': value is missing")
            probes.append(probe)
    if not classes:
        raise ValueError(f"{path}: no '# centroid.<Class>: ...' line found")
    for name, vals in classes.items():
        if len(vals) != len(probes):
            raise ValueError(
                f"{path}: centroid.{name} has {len(vals)} values for {len(probes)} probes"
            )
    genes = [G.PAM50_SYNONYMS.get(p, p) for p in probes]
    tab = pd.DataFrame(classes, index=pd.Index(genes, name="gene"))
    order = [s for s in G.SUBTYPES if s in tab.columns] + [
        s for s in tab.columns if s not in G.SUBTYPES
    ]
    return Centroids(tab[order], f"genefu pam50_model.csv layout: {Path(path).name}", scale=None)


def check_sha256(path: str | Path, expected: str | None) -> None:
    """Raise ``ValueError`` when the file's sha256 is not ``expected`` (no check when None)."""
    if not expected:
        return
    import hashlib

    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest.lower() != expected.strip().lower():
        raise ValueError(f"{path}: sha256 is {digest}, expected {expected} (subtype.sha256)")


def download(
    url: str,
    dest: str | Path,
    sha256: str,
    timeout: float = 120.0,
    max_bytes: int = 10_000_000,
) -> None:
    """Fetch ``url`` to ``dest``, checking its sha256 first; nothing is left on failure.

    Bounded: the whole download (connection, headers, body) must end within ``timeout``
    seconds and the file must not exceed ``max_bytes`` (genefu's centroid file is ~20 kB);
    a server that trickles bytes or sends without end is cut off with a ``ValueError``.
    """
    from her2het.fetch import fetch_bounded

    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".part")
    try:
        fetch_bounded(url, tmp, timeout=timeout, max_bytes=max_bytes)
        check_sha256(tmp, sha256)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def spearman_to_centroids(y: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Spearman correlation of every row of ``y`` (samples x genes) with every column of ``c``."""
    ry = stats.rankdata(y, axis=1)
    rc = stats.rankdata(c, axis=0)
    ry = ry - ry.mean(axis=1, keepdims=True)
    rc = rc - rc.mean(axis=0, keepdims=True)
    den = np.sqrt((ry**2).sum(axis=1))[:, None] * np.sqrt((rc**2).sum(axis=0))[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ry @ rc) / den


@dataclass
class CentringResult:
    centre: pd.Series
    method: str
    scale: float = float("nan")
    mix: dict[str, float] = field(default_factory=dict)
    iterations: int = 0


def _calls(y: np.ndarray, c: np.ndarray) -> np.ndarray:
    r = spearman_to_centroids(y, c)
    return np.nanargmax(np.nan_to_num(r, nan=-2.0), axis=1)


def centre_genes(
    x_ref: pd.DataFrame,
    centroids: Centroids,
    method: str = "mixture",
    *,
    expected_mix: Mapping[str, float] | None = None,
    scale: float | str = "auto",
    iterate: bool = True,
    reference: pd.Series | None = None,
) -> CentringResult:
    """Per-gene centres from the reference samples ``x_ref`` (samples x genes, log2 scale)."""
    genes = list(x_ref.columns)
    c = centroids.table.loc[genes]
    if method == "none":
        return CentringResult(pd.Series(0.0, index=genes), method)
    if method == "median":
        return CentringResult(x_ref.median(axis=0), method)
    if method == "reference":
        if reference is None:
            raise ValueError("centring 'reference' needs a table of gene centres")
        missing = [g for g in genes if g not in reference.index]
        if missing:
            raise ValueError(f"reference centres lack {len(missing)} gene(s), e.g. {missing[0]}")
        return CentringResult(reference.loc[genes].astype(float), method)
    if method != "mixture":
        raise ValueError(f"unknown centring {method!r}; choose one of {CENTRINGS}")
    mix = dict(expected_mix or DEFAULT_MIX)
    w = np.array([mix.get(s, 0.0) for s in c.columns], dtype=float)
    if w.sum() <= 0:
        raise ValueError("expected_mix must give a positive weight to at least one subtype")
    w = w / w.sum()
    if scale == "auto":
        cbar = c.to_numpy() @ w
        c_sd = np.sqrt(((c.to_numpy() - cbar[:, None]) ** 2) @ w)
        s = float(np.median(x_ref.std(axis=0, ddof=1)) / np.median(c_sd))
    else:
        s = float(scale)
    mean = x_ref.mean(axis=0).to_numpy()
    centre = mean - s * (c.to_numpy() @ w)
    rounds = 0
    if iterate:
        prev = None
        while rounds < 20:
            rounds += 1
            calls = _calls(x_ref.to_numpy() - centre, c.to_numpy())
            if prev is not None and np.array_equal(calls, prev):
                break
            prev = calls
            w = np.bincount(calls, minlength=c.shape[1]) / len(calls)
            centre = mean - s * (c.to_numpy() @ w)
    return CentringResult(
        pd.Series(centre, index=genes),
        method,
        scale=s,
        mix={k: round(float(v), 4) for k, v in zip(c.columns, w, strict=True)},
        iterations=rounds,
    )


def classify(
    y: pd.DataFrame, centroids: Centroids, *, n_bootstrap: int = 200, seed: int = 1
) -> pd.DataFrame:
    """Nearest-centroid calls of centred profiles ``y`` (samples x genes).

    Columns: ``cor_<subtype>`` per subtype, ``subtype``, ``margin``, ``confidence``.
    """
    c = centroids.table.loc[list(y.columns)].to_numpy()
    names = list(centroids.table.columns)
    x = y.to_numpy(dtype=np.float64)
    r = spearman_to_centroids(x, c)
    best = np.nanargmax(np.nan_to_num(r, nan=-2.0), axis=1)
    srt = np.sort(np.nan_to_num(r, nan=-2.0), axis=1)
    out = pd.DataFrame(np.round(r, 5), index=y.index, columns=[f"cor_{n}" for n in names])
    out["subtype"] = [names[i] for i in best]
    out["margin"] = np.round(srt[:, -1] - srt[:, -2], 5)
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)
        agree = np.zeros(len(y))
        n_genes = x.shape[1]
        for _ in range(n_bootstrap):
            idx = rng.integers(0, n_genes, n_genes)
            agree += _calls(x[:, idx], c[idx]) == best
        out["confidence"] = np.round(agree / n_bootstrap, 4)
    else:
        out["confidence"] = np.nan
    return out


def subtype_cohort(
    expr: pd.DataFrame,
    meta: pd.DataFrame,
    centroids: Centroids,
    *,
    centring: str = "mixture",
    expected_mix: Mapping[str, float] | None = None,
    scale: float | str | None = None,
    iterate: bool = True,
    reference: pd.Series | None = None,
    n_bootstrap: int = 200,
    seed: int = 1,
    min_genes: int = 40,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, object]]:
    """Subtype every sample and every patient's baseline, and tabulate pre -> post shifts.

    ``expr`` is samples x genes on a log2 scale (VST); ``meta`` has ``sample``, ``patient``,
    ``timepoint`` and ``group``. Centres are computed on the pre-treatment samples and applied
    to all. A patient's baseline call uses the mean of the centred baseline profiles.

    Returns
    -------
    samples
        ``sample``, ``patient``, ``timepoint``, ``group``, ``cor_*``, ``subtype``, ``margin``,
        ``confidence``.
    patients
        ``patient``, ``group``, ``subtype_pre``, ``biopsy_calls`` (``;``-joined calls of the
        baseline biopsies), ``biopsies_concordant``, ``subtype_post`` ("" without a residual
        sample), ``shift`` (e.g. ``Her2>LumB``; "" when unchanged or without post).
    transitions
        ``group``, ``subtype_pre``, ``subtype_post``, ``n`` (patients with both).
    method
        What was used: centroids, centring, scale, mix, genes used and missing.
    """
    wanted = list(centroids.table.index)
    present = [g for g in wanted if g in expr.columns]
    missing = [g for g in wanted if g not in expr.columns]
    if len(present) < min_genes:
        raise ValueError(
            f"only {len(present)} of the {len(wanted)} centroid genes are in the expression data "
            f"(need {min_genes}); missing e.g. {', '.join(missing[:5])}. Are the genes symbols? "
            "Set subtype.enabled: false to skip subtyping"
        )
    m = meta.set_index("sample").loc[expr.index]
    x = expr[present]
    pre = (m["timepoint"].astype(str) == "pre").to_numpy()
    if scale is None:
        scale = centroids.scale if centroids.scale is not None else "auto"
    cr = centre_genes(
        x[pre] if pre.any() else x, centroids, centring,
        expected_mix=expected_mix, scale=scale, iterate=iterate, reference=reference,
    )  # fmt: skip
    y = x - cr.centre
    calls = classify(y, centroids, n_bootstrap=n_bootstrap, seed=seed)
    samples = pd.concat([m[["patient", "timepoint", "group"]], calls], axis=1)
    samples.index.name = "sample"
    samples = samples.reset_index()

    ypre = y[pre].groupby(m.loc[pre, "patient"].astype(str).to_numpy()).mean()
    pcalls = classify(ypre, centroids, n_bootstrap=0)
    rows = []
    for pt, s in samples.groupby("patient", sort=True, observed=True):
        pre_calls = s.loc[s["timepoint"] == "pre", "subtype"].tolist()
        post_calls = s.loc[s["timepoint"] == "post", "subtype"].tolist()
        sp = pcalls.loc[str(pt), "subtype"] if str(pt) in pcalls.index else ""
        spost = post_calls[0] if post_calls else ""
        rows.append(
            {
                "patient": pt,
                "group": s["group"].iloc[0],
                "subtype_pre": sp,
                "biopsy_calls": ";".join(pre_calls),
                "biopsies_concordant": len(set(pre_calls)) <= 1,
                "subtype_post": spost,
                "shift": f"{sp}>{spost}" if sp and spost and sp != spost else "",
            }
        )
    patients = pd.DataFrame(rows)
    both = patients[(patients["subtype_pre"] != "") & (patients["subtype_post"] != "")]
    transitions = (
        both.groupby(["group", "subtype_pre", "subtype_post"], sort=True)
        .size()
        .rename("n")
        .reset_index()
    )
    method: dict[str, object] = {
        "centroids": centroids.name,
        "centring": cr.method,
        "scale": cr.scale,
        "expected_mix": dict(expected_mix or DEFAULT_MIX) if cr.method == "mixture" else {},
        "estimated_mix": cr.mix,
        "iterations": cr.iterations,
        "genes_used": len(present),
        "genes_missing": ";".join(missing),
        "n_bootstrap": n_bootstrap,
    }
    return samples, patients, transitions, method


def method_table(method: Mapping[str, object]) -> pd.DataFrame:
    """The ``method`` mapping of :func:`subtype_cohort` as a two-column table."""

    def fmt(v: object) -> str:
        if isinstance(v, Mapping):
            return "; ".join(f"{k}={val}" for k, val in v.items())
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    return pd.DataFrame({"key": list(method), "value": [fmt(v) for v in method.values()]})
