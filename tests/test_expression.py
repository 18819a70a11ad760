"""Normalised expression and between-biopsy concordance (SIMULATED data)."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

from her2het import expression


def test_log2cpm_depends_on_the_sample_alone() -> None:
    c = np.array([[0, 10, 90], [5, 5, 0]])
    out = expression.log2cpm(c)
    assert out[0, 2] == np.log2(1e6 * 90.5 / 101)
    np.testing.assert_array_equal(expression.log2cpm(c[:1]), out[:1])


def test_vst_layer_is_log2_like_and_monotone_within_a_sample(small_cohort) -> None:  # type: ignore[no-untyped-def]
    _, adata = small_cohort
    v = adata.layers["vst"]
    assert np.isfinite(v).all() and adata.X is not None
    counts = adata.layers["counts"][0]
    order = np.argsort(counts, kind="stable")
    assert (np.diff(v[0, order]) >= -1e-4).all()
    assert "VST" in adata.uns["her2het"]["normalisation"]


def test_biopsy_concordance_separates_patient_and_biopsy_variance() -> None:
    rng = np.random.default_rng(0)
    n_pat, n_gene = 40, 3
    patient_sd = np.array([1.0, 0.0, 1.0])
    biopsy_sd = np.array([0.1, 1.0, 1.0])
    pat = rng.normal(0, 1, (n_pat, n_gene)) * patient_sd
    x = np.repeat(pat, 2, axis=0) + rng.normal(0, 1, (2 * n_pat, n_gene)) * biopsy_sd
    obs = pd.DataFrame(
        {"patient": np.repeat([f"P{i}" for i in range(n_pat)], 2), "timepoint": "pre"},
        index=[f"S{i}" for i in range(2 * n_pat)],
    )
    a = ad.AnnData(X=x.astype(np.float32), obs=obs, var=pd.DataFrame(index=["a", "b", "c"]))
    a.layers["vst"] = a.X.copy()
    genes, patients = expression.biopsy_concordance(a)
    icc = genes.set_index("gene")["icc"]
    assert icc["a"] > 0.9 and icc["b"] < 0.15 and 0.3 < icc["c"] < 0.7
    assert len(patients) == n_pat and (patients["n_biopsies"] == 2).all()


def test_load_de_reads_every_contrast(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import her2het

    (tmp_path / "de" / "contrasts").mkdir(parents=True)
    pd.DataFrame({"contrast": ["a"], "status": ["ok"]}).to_csv(
        tmp_path / "de" / "summary.tsv", sep="\t", index=False
    )
    pd.DataFrame({"gene": ["ERBB2"], "padj": [0.01]}).to_csv(
        tmp_path / "de" / "contrasts" / "a.tsv", sep="\t", index=False
    )
    tables, summary = her2het.load_de(str(tmp_path))
    assert list(tables) == ["a"] and tables["a"].loc[0, "gene"] == "ERBB2"


def test_volcano_legend_sits_outside_the_axes() -> None:
    """The legend never covers a point or a gene label: it is drawn outside the axes box (a
    legend inside, as before, overlapped the top gene of a one-hit contrast)."""
    import numpy as np
    import pandas as pd

    from her2het.plots import plot_volcano

    rng = np.random.default_rng(1)
    n = 400
    table = pd.DataFrame(
        {"gene": [f"G{i}" for i in range(n)], "log2FC": rng.normal(0, 0.3, n),
         "pvalue": rng.uniform(0, 1, n), "padj": np.ones(n)}
    )  # fmt: skip
    table.loc[0, ["log2FC", "pvalue", "padj"]] = (-1.0, 1e-6, 0.001)  # the one hit, top left
    summary = pd.Series(
        {"contrast": "c", "target": "1", "reference": "0", "variable": "pCR",
         "units_target": 10, "units_reference": 12, "status": "ok"}
    )  # fmt: skip
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = plot_volcano(table, summary, data_source="SIMULATED test")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    (ax,) = fig.axes
    legend = fig.legends[0].get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))
    assert not legend.overlaps(ax.title.get_window_extent(renderer))
