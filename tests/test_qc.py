"""Per-sample RNA-seq QC: library size, detected genes, mapping rate, PCA outliers, figure."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from her2het import qc as Q
from her2het.plots import plot_qc

N_SAMPLES, N_GENES, OUTLIER = 40, 600, "S05"


def _nb_counts(seed: int, shift_sample: str | None = None) -> pd.DataFrame:
    """NB counts (dispersion 0.1); optionally the first 200 genes 8-fold up in one sample."""
    rng = np.random.default_rng(seed)
    mu = np.broadcast_to(rng.lognormal(3.0, 1.5, N_GENES)[:, None], (N_GENES, N_SAMPLES)).copy()
    samples = [f"S{j:02d}" for j in range(N_SAMPLES)]
    if shift_sample is not None:
        mu[:200, samples.index(shift_sample)] *= 8.0
    size = 10.0
    counts = rng.negative_binomial(size, size / (size + mu))
    return pd.DataFrame(counts, index=[f"G{i:03d}" for i in range(N_GENES)], columns=samples)


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return _nb_counts(3, shift_sample=OUTLIER)


@pytest.fixture(scope="module")
def planted_pca(planted: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return Q.pca_outliers(planted)


def _salmon(samples: list[str]) -> pd.DataFrame:
    n = len(samples)
    processed = 1_000_000 + 1000 * np.arange(n)
    mapped = processed * 8 // 10
    return pd.DataFrame(
        {
            "sample": samples,
            "num_processed": processed,
            "num_mapped": mapped,
            "percent_mapped": np.round(100 * mapped / processed, 3),
            "library_type": "IU",
        }
    )


# ---------------------------------------------------------------------------------------------
# sample_qc
# ---------------------------------------------------------------------------------------------


def test_library_size_and_detected_genes_hand_made() -> None:
    counts = pd.DataFrame(
        [[0, 5, 1], [2, 0, 1], [3, 0, 0]], index=["g1", "g2", "g3"], columns=["A", "B", "C"]
    )
    out = Q.sample_qc(counts)
    assert list(out.columns) == list(Q.QC_COLUMNS)
    assert out["sample"].tolist() == ["A", "B", "C"]
    assert out["library_size"].tolist() == [5, 5, 2]
    assert out["detected_genes"].tolist() == [2, 1, 2]
    assert Q.sample_qc(counts, min_count=2)["detected_genes"].tolist() == [2, 1, 0]
    assert Q.sample_qc(counts, min_count=6)["detected_genes"].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="min_count"):
        Q.sample_qc(counts, min_count=0)


def test_mapping_columns_merge_from_salmon_stats() -> None:
    counts = pd.DataFrame([[1, 2, 3]], index=["g1"], columns=["A", "B", "C"])
    # shuffled order, an extra sample and no row for C
    stats = pd.DataFrame(
        {
            "sample": ["B", "X", "A"],
            "num_processed": [2000, 5, 1000],
            "num_mapped": [1500, 1, 900],
            "percent_mapped": [75.0, 20.0, 90.0],
        }
    )
    out = Q.sample_qc(counts, stats)
    assert out["sample"].tolist() == ["A", "B", "C"]
    assert out["reads_processed"].tolist()[:2] == [1000, 2000]
    assert out["reads_mapped"].tolist()[:2] == [900, 1500]
    assert out["mapping_rate"].tolist()[:2] == [90.0, 75.0]
    assert out.loc[2, ["reads_processed", "reads_mapped", "mapping_rate"]].isna().all()
    assert str(out["reads_processed"].dtype) == "Int64"
    assert str(out["mapping_rate"].dtype) == "Float64"


def test_mapping_columns_na_without_salmon_stats() -> None:
    counts = pd.DataFrame([[1, 2]], index=["g1"], columns=["A", "B"])
    out = Q.sample_qc(counts, None)
    for col in ("reads_processed", "reads_mapped", "mapping_rate"):
        assert out[col].isna().tolist() == [True, True]


def test_salmon_stats_problems_are_named() -> None:
    counts = pd.DataFrame([[1, 2]], index=["g1"], columns=["A", "B"])
    with pytest.raises(ValueError, match="missing column 'num_mapped'"):
        Q.sample_qc(counts, pd.DataFrame({"sample": ["A"], "num_processed": [1]}))
    dup = _salmon(["A", "A"])
    with pytest.raises(ValueError, match="duplicated sample 'A'"):
        Q.sample_qc(counts, dup)


# ---------------------------------------------------------------------------------------------
# pca_outliers
# ---------------------------------------------------------------------------------------------


def test_planted_outlier_is_flagged_and_only_it(
    planted_pca: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    scores, variance = planted_pca
    assert list(scores.columns) == ["sample", *[f"PC{i}" for i in range(1, 11)], "outlier",
                                    "outlier_reason"]  # fmt: skip
    assert scores.loc[scores["outlier"], "sample"].tolist() == [OUTLIER]
    clean = scores[scores["sample"] != OUTLIER]
    assert not clean["outlier"].any()
    assert (clean["outlier_reason"] == "").all()

    reason = scores.set_index("sample").at[OUTLIER, "outlier_reason"]
    m = re.fullmatch(r"PC1 = (-?\d+\.\d) outside mean ± 5 SD \[(-?\d+\.\d), (-?\d+\.\d)\]", reason)
    assert m is not None, reason
    pc1 = scores["PC1"]
    lo, hi = pc1.mean() - 5 * pc1.std(ddof=1), pc1.mean() + 5 * pc1.std(ddof=1)
    value = scores.set_index("sample").at[OUTLIER, "PC1"]
    assert float(m.group(1)) == pytest.approx(value, abs=0.05)
    assert float(m.group(2)) == pytest.approx(lo, abs=0.05)
    assert float(m.group(3)) == pytest.approx(hi, abs=0.05)
    assert not lo <= value <= hi

    assert variance["pc"].tolist() == [f"PC{i}" for i in range(1, 11)]
    ratio = variance["variance_ratio"].to_numpy()
    assert np.all(np.diff(ratio) <= 0)
    assert 0 < ratio.sum() <= 1
    assert ratio[0] > 1.3 * ratio[1]  # the planted shift drives PC1


def test_clean_cohort_has_no_outlier() -> None:
    scores, _ = Q.pca_outliers(_nb_counts(12))
    assert scores["outlier"].sum() == 0
    assert set(scores["outlier_reason"]) == {""}


def test_huge_sd_flags_nothing(planted: pd.DataFrame) -> None:
    scores, _ = Q.pca_outliers(planted, sd=1e6)
    assert scores["outlier"].sum() == 0
    assert set(scores["outlier_reason"]) == {""}


def test_small_sd_flags_many_and_outlier_pcs_limits_the_check(planted: pd.DataFrame) -> None:
    one, _ = Q.pca_outliers(planted, sd=0.5, outlier_pcs=1)
    two, _ = Q.pca_outliers(planted, sd=0.5, outlier_pcs=2)
    # PC1 is driven by the planted sample, so few others leave mean ± 0.5 SD on PC1 alone
    assert 2 <= one["outlier"].sum() <= 6
    assert one.set_index("sample").at[OUTLIER, "outlier"]
    assert two["outlier"].sum() >= one["outlier"].sum() + 15
    assert not one["outlier_reason"].str.contains("PC2").any()
    assert two["outlier_reason"].str.contains("PC2").any()


def test_pca_matches_independent_numpy_computation(
    planted: pd.DataFrame, planted_pca: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """log-CPM, stable top-variance selection, centred SVD and the documented sign rule."""
    scores, variance = planted_pca
    x = planted.to_numpy(dtype=float).T
    logcpm = np.log1p(x / x.sum(axis=1, keepdims=True) * 1e6)
    v = logcpm.var(axis=0, ddof=1)
    keep = np.sort(np.argsort(-v, kind="stable")[:500])
    centred = logcpm[:, keep] - logcpm[:, keep].mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    ref = u[:, :10] * s[:10]
    loadings = vt[:10].T
    sign = np.sign(loadings[np.argmax(np.abs(loadings), axis=0), np.arange(10)])
    ref *= sign
    got = scores[[f"PC{i}" for i in range(1, 11)]].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)
    total = (s**2).sum()
    np.testing.assert_allclose(variance["variance_ratio"], s[:10] ** 2 / total, rtol=1e-6)


def test_deterministic_and_sign_fixed(
    planted: pd.DataFrame, planted_pca: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    again, var_again = Q.pca_outliers(planted)
    pd.testing.assert_frame_equal(again, planted_pca[0], check_exact=True)
    pd.testing.assert_frame_equal(var_again, planted_pca[1], check_exact=True)
    # reversed sample order: same scores per sample (no sign flips)
    rev, _ = Q.pca_outliers(planted[planted.columns[::-1]])
    rev = rev.set_index("sample").loc[planted_pca[0]["sample"]].reset_index()
    pcs = [f"PC{i}" for i in range(1, 11)]
    np.testing.assert_allclose(rev[pcs], planted_pca[0][pcs], rtol=1e-6, atol=1e-6)
    assert rev["outlier"].tolist() == planted_pca[0]["outlier"].tolist()


def test_fewer_than_three_samples_skip_pca() -> None:
    counts = pd.DataFrame([[1, 2], [3, 4], [5, 0]], index=["g1", "g2", "g3"], columns=["A", "B"])
    scores, variance = Q.pca_outliers(counts)
    assert list(scores.columns) == ["sample", "outlier", "outlier_reason"]
    assert scores["sample"].tolist() == ["A", "B"]
    assert scores["outlier"].tolist() == [False, False]
    assert scores["outlier_reason"].tolist() == ["too few samples for PCA"] * 2
    assert list(variance.columns) == ["pc", "variance_ratio"]
    assert len(variance) == 0
    table = Q.qc_table(counts, None)
    assert list(table.columns) == [*Q.QC_COLUMNS, "outlier", "outlier_reason"]
    assert table["library_size"].tolist() == [9, 6]


def test_three_samples_give_two_pcs() -> None:
    counts = pd.DataFrame(
        [[10, 20, 30], [30, 20, 10], [5, 50, 5], [7, 7, 70]],
        index=["g1", "g2", "g3", "g4"],
        columns=["A", "B", "C"],
    )
    scores, variance = Q.pca_outliers(counts)
    assert [c for c in scores.columns if c.startswith("PC")] == ["PC1", "PC2"]
    assert variance["variance_ratio"].sum() == pytest.approx(1.0)
    assert scores["outlier"].tolist() == [False, False, False]  # 3 samples: |z| <= 1.16


# ---------------------------------------------------------------------------------------------
# qc_table and apply_exclusion
# ---------------------------------------------------------------------------------------------


def test_qc_table_merges_both(planted: pd.DataFrame) -> None:
    stats = _salmon(planted.columns.tolist())
    table = Q.qc_table(planted, stats, n_pcs=3, min_count=5)
    assert list(table.columns) == [*Q.QC_COLUMNS, "PC1", "PC2", "PC3", "outlier", "outlier_reason"]
    assert table["sample"].tolist() == planted.columns.tolist()
    assert table["library_size"].tolist() == planted.sum().tolist()
    assert table["detected_genes"].tolist() == (planted >= 5).sum().tolist()
    assert table["reads_processed"].tolist() == stats["num_processed"].tolist()
    assert table.loc[table["outlier"], "sample"].tolist() == [OUTLIER]
    with pytest.raises(TypeError, match="'n_comps'"):
        Q.qc_table(planted, None, n_comps=3)


def _sheet_and_qc() -> tuple[pd.DataFrame, pd.DataFrame]:
    samples = pd.DataFrame(
        {"sample": ["A", "B", "C", "D"], "patient": ["P1", "P1", "P2", "P3"]}, index=[7, 8, 9, 10]
    )
    qc = pd.DataFrame(
        {
            "sample": ["D", "C", "B", "A"],
            "outlier": [True, False, True, False],
            "outlier_reason": ["PC1 = 9.0 outside mean ± 5 SD [-1.0, 1.0]", "", "PC2 = x", ""],
        }
    )
    return samples, qc


def test_apply_exclusion_excludes_outliers() -> None:
    samples, qc = _sheet_and_qc()
    kept, excluded = Q.apply_exclusion(samples, qc, exclude=True)
    assert kept["sample"].tolist() == ["A", "C"]
    assert kept.index.tolist() == [0, 1]
    assert list(kept.columns) == ["sample", "patient"]
    assert excluded["sample"].tolist() == ["B", "D"]
    assert excluded["patient"].tolist() == ["P1", "P3"]
    assert excluded["reason"].tolist() == ["PC2 = x", "PC1 = 9.0 outside mean ± 5 SD [-1.0, 1.0]"]


def test_apply_exclusion_off_keeps_everything() -> None:
    samples, qc = _sheet_and_qc()
    kept, excluded = Q.apply_exclusion(samples, qc, exclude=False)
    assert kept["sample"].tolist() == ["A", "B", "C", "D"]
    assert len(excluded) == 0
    assert list(excluded.columns) == ["sample", "patient", "reason"]


def test_apply_exclusion_needs_every_sample_in_qc() -> None:
    samples, qc = _sheet_and_qc()
    with pytest.raises(ValueError, match="no row for sample 'C'"):
        Q.apply_exclusion(samples, qc[qc["sample"] != "C"], exclude=True)


# ---------------------------------------------------------------------------------------------
# plot_qc
# ---------------------------------------------------------------------------------------------


def test_plot_qc_without_mapping_rate(
    planted: pd.DataFrame, planted_pca: tuple[pd.DataFrame, pd.DataFrame], tmp_path
) -> None:
    table = Q.qc_table(planted, None)
    tp = pd.Series(["pre", "post"] * (len(table) // 2) + ["pre"] * (len(table) % 2))
    timepoint = tp.set_axis(table["sample"].astype(str).to_numpy())
    fig = plot_qc(
        table, planted_pca[1], title="RNA-seq QC", note="SIMULATED demo data", timepoint=timepoint
    )
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    ax_lib, ax_map, ax_pca = fig.axes
    assert len(ax_lib.patches) == N_SAMPLES
    heights = [p.get_height() for p in ax_lib.patches]
    assert heights == sorted(heights)
    # count input has no mapping rate: detected genes per sample instead of an empty panel
    assert ax_map.get_ylabel() == "detected genes" and len(ax_map.patches) == N_SAMPLES
    detected = sorted(table["detected_genes"].astype(float))
    assert [p.get_height() for p in ax_map.patches] == detected
    assert [t.get_text() for t in ax_pca.texts] == [OUTLIER]
    # bars coloured by timepoint (pre and post colours both used)
    from matplotlib.colors import to_hex

    from her2het.plots import TIMEPOINT_COLOURS

    used = {to_hex(p.get_facecolor()) for p in ax_lib.patches}
    assert used == set(TIMEPOINT_COLOURS.values())
    pct = 100 * planted_pca[1]["variance_ratio"].iloc[0]
    assert ax_pca.get_xlabel() == f"PC1 ({pct:.1f}% variance)"
    assert ax_pca.get_ylabel().startswith("PC2 (")
    assert "SIMULATED demo data" in [t.get_text() for t in fig.texts]
    out = tmp_path / "qc.png"
    fig.savefig(out, dpi=60)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_qc_with_mapping_rate_and_without_pca(tmp_path) -> None:
    counts = pd.DataFrame([[10, 20], [30, 40]], index=["g1", "g2"], columns=["A", "B"])
    table = Q.qc_table(counts, _salmon(["A", "B"]))
    scores, variance = Q.pca_outliers(counts)
    fig = plot_qc(table, variance, title="t", note="real data")
    assert len(fig.axes) == 3
    assert len(fig.axes[1].patches) == 2
    assert fig.axes[1].get_ylim() == (0.0, 100.0)
    assert [t.get_text() for t in fig.axes[2].texts] == ["PCA not run: too few samples for PCA"]
    fig.savefig(tmp_path / "qc2.png", dpi=60)
    assert (tmp_path / "qc2.png").stat().st_size > 0
