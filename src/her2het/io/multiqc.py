"""MultiQC custom content from the workflow's own QC tables, and the software-versions table.

MultiQC (https://multiqc.info) is the QC report users of nf-core and snakemake-workflows
pipelines expect; it parses salmon's output directories itself. The workflow adds two
sections as *custom content* (MultiQC's documented ``*_mqc.tsv`` / ``*_mqc.yaml`` files): the
per-sample QC table (library size, detected genes, mapping rate, PCA outlier flag) and the PCA
of the outlier rule (PC1 vs PC2), so that count-matrix runs, which have no salmon output, still
get a MultiQC report.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
from collections.abc import Mapping, Sequence

import pandas as pd

QC_COLUMNS: dict[str, str] = {
    "library_size": "Library size (counts)",
    "detected_genes": "Detected genes",
    "reads_processed": "Reads processed (salmon)",
    "mapping_rate": "Mapping rate % (salmon)",
    "outlier": "PCA outlier",
}


def qc_table_mqc(qc: pd.DataFrame) -> str:
    """The per-sample QC table as MultiQC custom content (a ``*_mqc.tsv`` file's text)."""
    cols = [c for c in QC_COLUMNS if c in qc.columns and qc[c].notna().any()]
    table = qc.set_index("sample")[cols].rename(columns=QC_COLUMNS)
    if "PCA outlier" in table:
        table["PCA outlier"] = table["PCA outlier"].map({True: "yes", False: "no"})
    header = (
        "# id: 'her2het_sample_qc'\n"
        "# section_name: 'Sample QC (her2het)'\n"
        "# description: 'Per-sample QC of the workflow (results/qc/samples.tsv): library size, "
        "detected genes, salmon mapping statistics where reads were quantified, and the PCA "
        "outlier rule (mean +/- SD on the first PCs).'\n"
        "# plot_type: 'table'\n"
    )
    return header + table.to_csv(sep="\t", lineterminator="\n")


def pca_mqc(qc: pd.DataFrame, variance: pd.DataFrame) -> dict[str, object] | None:
    """PC1 vs PC2 of the outlier rule as MultiQC scatter custom content (``*_mqc.yaml``).

    None when no PCA was run (fewer than 3 samples).
    """
    if not {"PC1", "PC2"} <= set(qc.columns):
        return None
    ratio = dict(zip(variance["pc"], variance["variance_ratio"], strict=True))
    data = {
        str(r["sample"]): {"x": float(r["PC1"]), "y": float(r["PC2"])} for _, r in qc.iterrows()
    }
    return {
        "id": "her2het_pca",
        "section_name": "PCA of log-CPM expression (her2het)",
        "description": "PC1 vs PC2 of the sample QC's PCA (results/qc/samples.tsv); outliers "
        "are flagged in the Sample QC table.",
        "plot_type": "scatter",
        "pconfig": {
            "id": "her2het_pca_plot",
            "title": "her2het: PCA of samples",
            "xlab": f"PC1 ({100 * ratio.get('PC1', float('nan')):.1f}% of variance)",
            "ylab": f"PC2 ({100 * ratio.get('PC2', float('nan')):.1f}% of variance)",
        },
        "data": data,
    }


def _tool_version(command: Sequence[str]) -> str:
    try:
        r = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    out = (r.stdout or r.stderr).strip().splitlines()
    return out[0].strip() if r.returncode == 0 and out else ""


def software_versions(tools: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Every installed Python distribution and each system tool with its version.

    ``tools`` maps a tool name to the command that prints its version (e.g. ``salmon
    --version``); a tool that is not installed or fails gets an empty version. Returns a table
    with columns ``kind`` (``python package`` or ``system tool``), ``name`` and ``version``,
    sorted by kind and name.
    """
    rows = {
        (d.metadata["Name"] or "").lower(): d.version
        for d in importlib.metadata.distributions()
        if d.metadata["Name"]
    }
    table = [("python package", name, version) for name, version in rows.items()]
    table += [("system tool", name, _tool_version(cmd)) for name, cmd in tools.items()]
    out = pd.DataFrame(table, columns=["kind", "name", "version"])
    return out.sort_values(["kind", "name"], ignore_index=True)
