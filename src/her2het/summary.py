"""The few lines printed when a run ends: what was made, where, and what the findings say."""

from __future__ import annotations

from pathlib import Path

from her2het.io import read_table

# (path under the results directory, what it is), in the order a user opens them
_HEADLINE: tuple[tuple[str, str], ...] = (
    ("paper/findings.tsv", "findings table (the study's checks on this run's data)"),
    ("qc/multiqc_report.html", "MultiQC report"),
    ("qc/samples.tsv", "per-sample QC"),
    ("outcome/patients.tsv", "patient table (response, HET, scores, subtypes)"),
    ("software_versions.tsv", "software versions"),
)
_VERDICT_COLUMNS = ("verdict", "agrees")


def run_summary(results: Path, *, simulated: bool, report_hint: str) -> list[str]:
    """Lines that close a successful run: outputs present under ``results``, the findings'
    verdict counts (when the findings table exists) and how to build the HTML report.

    ``simulated`` marks the embedded demo: its findings were planted, so they are no finding.
    """
    lines = [f"Finished. Results in {results}/"]
    if simulated:
        lines.append("  The data are SIMULATED (embedded demo): nothing here is a finding.")
    for rel, what in _HEADLINE:
        if (results / rel).is_file():
            lines.append(f"  {what}: {results / rel}")
    findings = results / "paper" / "findings.tsv"
    if findings.is_file():
        table = read_table(findings, keep_default_na=False)
        col = next((c for c in _VERDICT_COLUMNS if c in table.columns), None)
        if col is not None and len(table):
            counts = table[col].astype(str).replace({"": "not tested"}).value_counts()
            text = ", ".join(f"{n} {v}" for v, n in counts.sort_index().items())
            lines.append(f"  findings checks: {text}")
    n_figures = len(list((results / "figures").rglob("*.png"))) if results.is_dir() else 0
    if n_figures:
        lines.append(f"  {n_figures} figures (PNG + PDF) in {results / 'figures'}/")
    lines.append(f"  HTML report: {report_hint}")
    return lines
