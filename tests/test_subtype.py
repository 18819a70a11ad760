"""PAM50-like subtyping: centroid files, centring, and recovery of planted subtypes (SIMULATED)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2het import genes as G
from her2het import subtype


def _genefu_layout(path: Path, rng: np.random.Generator) -> pd.DataFrame:
    """A file in genefu's pam50_model.csv layout with RANDOM values (not the real centroids)."""
    probes = [{v: k for k, v in G.PAM50_SYNONYMS.items()}.get(g, g) for g in G.PAM50]
    values = pd.DataFrame(
        rng.normal(0, 1, (50, 5)), index=probes, columns=["Basal", "Her2", "LumA", "LumB", "Normal"]
    )
    lines = ["# synthetic test file", "# method.cor: spearman"]
    for cls in values.columns:
        lines.append(f"# centroid.{cls}: " + " ".join(f"{v:.6f}" for v in values[cls]))
    lines.append('"probe","probe.centroids","EntrezGene.ID"')
    lines += [f'"{p}","{p}","{i}"' for i, p in enumerate(probes)]
    path.write_text("\n".join(lines) + "\n")
    return values


def test_genefu_layout_is_read_with_current_symbols(tmp_path: Path) -> None:
    f = tmp_path / "pam50_model.csv"
    values = _genefu_layout(f, np.random.default_rng(0))
    c = subtype.read_genefu_model(f)
    assert list(c.table.columns) == ["LumA", "LumB", "Her2", "Basal", "Normal"]
    assert {"NUF2", "NDC80", "ORC6"} <= set(c.table.index) and "CDCA1" not in c.table.index
    assert c.table.loc["NUF2", "Basal"] == pytest.approx(values.loc["CDCA1", "Basal"], abs=1e-6)
    subtype.check_sha256(f, hashlib.sha256(f.read_bytes()).hexdigest())
    with pytest.raises(ValueError, match="sha256 is"):
        subtype.check_sha256(f, "0" * 64)


def test_genefu_layout_errors(tmp_path: Path) -> None:
    f = tmp_path / "m.csv"
    f.write_text('# centroid.LumA: 1 2\n"probe"\n"ESR1"\n')
    with pytest.raises(ValueError, match="centroid.LumA has 2 values for 1 probes"):
        subtype.read_genefu_model(f)


def test_spearman_matches_scipy() -> None:
    from scipy import stats

    rng = np.random.default_rng(1)
    y, c = rng.normal(size=(4, 50)), rng.normal(size=(50, 3))
    r = subtype.spearman_to_centroids(y, c)
    assert r[2, 1] == pytest.approx(stats.spearmanr(y[2], c[:, 1]).statistic)


def _calls(small_cohort, centring: str):  # type: ignore[no-untyped-def]
    demo, adata = small_cohort
    expr = pd.DataFrame(adata.layers["vst"], index=adata.obs_names, columns=adata.var_names)
    meta = adata.obs[["patient", "timepoint", "group"]].rename_axis("sample").reset_index()
    out = subtype.subtype_cohort(
        expr, meta, subtype.builtin_centroids(), centring=centring, n_bootstrap=50
    )
    truth = demo.truth_samples.set_index("sample")["true_subtype"]
    samples = out[0]
    return out, float(
        (samples["subtype"].to_numpy() == truth.loc[samples["sample"]].to_numpy()).mean()
    )


def test_builtin_profile_recovers_planted_subtypes(small_cohort) -> None:  # type: ignore[no-untyped-def]
    (samples, patients, transitions, method), acc = _calls(small_cohort, "mixture")
    assert acc >= 0.85, acc
    assert method["centroids"].startswith("built-in PAM50-like")
    assert samples["confidence"].between(0, 1).all() and (samples["margin"] >= 0).all()
    # every patient with a residual tumour is in the transition table
    assert transitions["n"].sum() == (patients["subtype_post"] != "").sum()
    assert set(patients.loc[patients["shift"] != "", "shift"].str.split(">").str[0]) <= set(
        G.SUBTYPES
    )


def test_cohort_median_centring_is_biased_in_a_her2_rich_cohort(small_cohort) -> None:  # type: ignore[no-untyped-def]
    _, acc_mixture = _calls(small_cohort, "mixture")
    _, acc_median = _calls(small_cohort, "median")
    assert acc_median < acc_mixture


def test_reference_centring_needs_every_gene() -> None:
    x = pd.DataFrame(np.zeros((3, 2)), columns=["ESR1", "ERBB2"])
    c = subtype.Centroids(
        pd.DataFrame(1.0, index=["ESR1", "ERBB2"], columns=["LumA", "Her2"]), "t", 1.0
    )
    with pytest.raises(ValueError, match="lack 1 gene"):
        subtype.centre_genes(x, c, "reference", reference=pd.Series({"ESR1": 1.0}))


def test_download_checks_sha256_and_leaves_nothing_on_mismatch(tmp_path: Path) -> None:
    src = tmp_path / "model.csv"
    _genefu_layout(src, np.random.default_rng(2))
    good = hashlib.sha256(src.read_bytes()).hexdigest()
    dest = tmp_path / "out.csv"
    with pytest.raises(ValueError, match="sha256 is"):
        subtype.download(src.as_uri(), dest, "1" * 64)
    assert not dest.exists() and not list(tmp_path.glob("*.part"))
    subtype.download(src.as_uri(), dest, good)
    assert subtype.read_genefu_model(dest).table.shape == (50, 5)


def test_transition_figure_has_one_row_per_subtype() -> None:
    from her2het.plots_expression import plot_subtype_transitions

    t = pd.DataFrame(
        {"group": ["nonHET/no-pCR"] * 2, "subtype_pre": ["Her2", "LumA"], "subtype_post": ["LumA", "LumA"], "n": [3, 2]}
    )  # fmt: skip
    fig = plot_subtype_transitions(t, centroids="built-in", data_source="SIMULATED test")
    ax = fig.axes[0]
    assert [lab.get_text() for lab in ax.get_yticklabels()] == list(G.SUBTYPES)
    assert ax.images[0].get_array().sum() == 5
