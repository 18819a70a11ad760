"""MultiQC report (salmon + the workflow's QC as custom content) and the software-versions table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from her2het.io import multiqc

from .conftest import REPO


def _qc() -> tuple[pd.DataFrame, pd.DataFrame]:
    qc = pd.DataFrame(
        {
            "sample": ["S1", "S2", "S3"],
            "library_size": [1000, 2000, 3000],
            "detected_genes": [10, 12, 11],
            "reads_processed": [None, None, None],
            "mapping_rate": [None, None, None],
            "PC1": [-1.0, 0.0, 1.0],
            "PC2": [0.5, -0.5, 0.0],
            "outlier": [False, True, False],
        }
    )
    return qc, pd.DataFrame({"pc": ["PC1", "PC2"], "variance_ratio": [0.6, 0.3]})


def test_custom_content_has_every_sample_and_no_empty_column() -> None:
    qc, variance = _qc()
    text = multiqc.qc_table_mqc(qc)
    assert "# plot_type: 'table'" in text
    body = pd.read_csv(pd.io.common.StringIO(text), sep="\t", comment="#", index_col=0)
    assert list(body.index) == ["S1", "S2", "S3"]
    assert "Mapping rate % (salmon)" not in body.columns  # count input: no salmon columns
    assert list(body["PCA outlier"]) == ["no", "yes", "no"]
    pca = multiqc.pca_mqc(qc, variance)
    assert pca is not None and pca["plot_type"] == "scatter"
    assert pca["data"]["S3"] == {"x": 1.0, "y": 0.0}
    assert pca["pconfig"]["xlab"] == "PC1 (60.0% of variance)"
    assert multiqc.pca_mqc(qc.drop(columns=["PC1", "PC2"]), variance) is None


def test_software_versions_lists_packages_and_tools() -> None:
    t = multiqc.software_versions({"python": ["python3", "--version"], "absent": ["no-such-x"]})
    v = t.set_index("name")["version"]
    assert v["pydeseq2"] and v["pandas"] == pd.__version__
    assert v["python"].startswith("Python 3") and v["absent"] == ""


def test_small_demo_run_has_a_parsed_multiqc_report(small_run: Path) -> None:
    """The small demo (salmon): MultiQC found every sample's salmon output and our QC table."""
    res = small_run / "results"
    qc = pd.read_csv(res / "qc" / "samples.tsv", sep="\t")
    html = (res / "qc" / "multiqc_report.html").read_text()
    assert "Sample QC (her2het)" in html and "PCA of log-CPM expression" in html
    data = res / "qc" / "multiqc_report_data"
    salmon = pd.read_csv(data / "multiqc_salmon.txt", sep="\t")
    assert sorted(salmon["Sample"]) == sorted(qc["sample"])
    assert (
        salmon["library_types"].str.contains("IU").all() and (salmon["percent_mapped"] > 80).all()
    )
    ours = pd.read_csv(data / "multiqc_her2het_sample_qc.txt", sep="\t")
    assert sorted(ours["Sample"]) == sorted(qc["sample"])
    versions = pd.read_csv(res / "software_versions.tsv", sep="\t").set_index("name")
    assert versions.loc["salmon", "version"].startswith("salmon 1.")
    assert versions.loc["pydeseq2", "kind"] == "python package"


def test_cohort_anndata_has_the_scanpy_layout(small_run: Path) -> None:
    """Exact integer counts, the QC PCA in obsm, gene-set membership in var (small demo)."""
    import anndata as ad
    import numpy as np

    res = small_run / "results"
    adata = ad.read_h5ad(res / "cohort" / "cohort.h5ad")
    counts = pd.read_csv(res / "quant" / "counts.tsv", sep="\t", index_col=0)
    assert adata.layers["counts"].dtype == np.int64
    np.testing.assert_array_equal(
        adata.layers["counts"], counts.loc[adata.var_names, adata.obs_names].T.to_numpy()
    )
    qc = pd.read_csv(res / "qc" / "samples.tsv", sep="\t").set_index("sample")
    pcs = [c for c in qc.columns if c.startswith("PC")]
    assert adata.obsm["X_pca"].shape == (adata.n_obs, len(pcs)) and len(pcs) >= 2
    np.testing.assert_allclose(adata.obsm["X_pca"], qc.loc[adata.obs_names, pcs].to_numpy())
    assert not any(c.startswith("qc_PC") for c in adata.obs.columns)
    assert "qc_library_size" in adata.obs and len(adata.uns["pca"]["variance_ratio"]) == len(pcs)
    from her2het.io.gmt import read_gmt

    shipped = read_gmt(REPO / "resources" / "gene_sets" / "her2het_core.gmt")
    expected = ";".join(s.name for s in shipped if "ERBB2" in s.genes)
    assert expected and adata.var.loc["ERBB2", "gene_sets"] == expected
    assert adata.var.loc["ERBB2", "n_gene_sets"] == expected.count(";") + 1
