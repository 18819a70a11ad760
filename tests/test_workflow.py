"""The Snakemake workflow: lint, formatting, dry-run of the full DAG, end-to-end runs."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from her2het.paper import VERDICTS, finding_verdicts

from .conftest import REPO, run_snakemake, write_config

BIN = Path(sys.executable).parent
SMALL = "input: demo\ndemo:\n  size: small\n  seed: 2024\n"


def _digests(root: Path) -> dict[str, str]:
    return {
        str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(root.rglob("*"))
        if f.is_file()
    }


def test_snakemake_lint_is_clean(tmp_path: Path) -> None:
    write_config(tmp_path, SMALL)
    r = run_snakemake(tmp_path, "--lint")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Congratulations, your workflow is in a good condition!" in r.stdout + r.stderr


def test_code_is_formatted_and_lint_free() -> None:
    for cmd in (
        [BIN / "ruff", "check", "src", "tests", "workflow/scripts"],
        [BIN / "ruff", "format", "--check", "src", "tests", "workflow/scripts"],
        [BIN / "snakefmt", "--check", "Snakefile", "workflow/rules"],
    ):
        r = subprocess.run([str(c) for c in cmd], cwd=REPO, capture_output=True, text=True)
        assert r.returncode == 0, f"{cmd}: {r.stdout}{r.stderr}"


def test_dry_run_of_full_dag_at_paper_scale(tmp_path: Path) -> None:
    write_config(tmp_path, (REPO / "config" / "config.yaml").read_text())
    r = run_snakemake(tmp_path, "-n", "--quiet", "rules")
    assert r.returncode == 0, r.stderr
    for rule in (
        "simulate_demo",
        "simulate_reads",
        "salmon_index",
        "salmon_quant",
        "tximport_counts",
        "qc_samples",
        "build_cohort",
        "plot_sample_flow",
        "all",
    ):
        assert rule in r.stdout
    assert not (tmp_path / "results").exists()


@pytest.mark.e2e
def test_end_to_end_small_demo(small_run: Path, tmp_path: Path) -> None:
    res = small_run / "results"
    adata = ad.read_h5ad(res / "cohort" / "cohort.h5ad")
    assert adata.shape == (70, 1500)
    assert adata.uns["her2het"]["simulated"]
    assert "SIMULATED" in adata.uns["her2het"]["data_source"]
    # the demo went FASTQ -> salmon -> pytximport, and those counts drive the cohort
    counts = pd.read_csv(res / "quant" / "counts.tsv", sep="\t", index_col=0)
    assert (
        adata.layers["counts"] == counts.loc[adata.var_names, adata.obs_names].T.to_numpy()
    ).all()
    truth = pd.read_csv(res / "demo" / "counts.tsv", sep="\t", index_col=0)
    stats = pd.read_csv(res / "quant" / "salmon_stats.tsv", sep="\t").set_index("sample")
    assert (stats["library_type"] == "IU").all()  # detected: unstranded paired-end
    # every fragment of every lane was read: simulated fragments plus 3% unmappable ones
    n = truth.sum(axis=0).loc[stats.index]
    assert (stats["num_processed"] == n + (n * 0.03).round().astype(int)).all()
    two_lanes = pd.read_csv(res / "demo" / "samples.tsv", sep="\t")["fq1"].str.contains(";")
    assert two_lanes.sum() >= 20
    assert stats["percent_mapped"].between(90, 100).all()
    agreement = pd.read_csv(res / "quant" / "truth_comparison.tsv", sep="\t").set_index("sample")
    assert (agreement["pearson_log"] > 0.95).all(), agreement["pearson_log"].min()
    assert not any((res / "demo" / "fastq").glob("*/*.fastq.gz"))  # temporary FASTQ removed
    qc = pd.read_csv(res / "qc" / "samples.tsv", sep="\t")
    assert len(qc) == 70 and (qc["mapping_rate"] > 90).all()
    assert (
        adata.obs["qc_library_size"] == qc.set_index("sample").loc[adata.obs_names, "library_size"]
    ).all()
    assert {"group", "pCR", "HET", "HR", "timepoint", "n_baseline_biopsies"} <= set(
        adata.obs.columns
    )
    summary = pd.read_csv(res / "cohort" / "summary.tsv", sep="\t").set_index("group")
    assert summary.loc["all", "patients"] == 31
    assert summary.loc["all", "pre_samples"] + summary.loc["all", "post_samples"] == 70
    assert summary.loc["nonHET/pCR", "post_samples"] == 0
    assert summary.loc[["nonHET/pCR", "nonHET/no-pCR", "HET/no-pCR"], "patients"].tolist() == [
        14,
        11,
        6,
    ]
    for fig in (
        "sample_flow",
        "qc",
        "fish_ratio_distributions",
        "fish_spatial_patterns",
        "fish_het_prevalence",
        "fish_pre_post",
    ):
        for ext in ("png", "pdf"):
            assert (res / "figures" / f"{fig}.{ext}").stat().st_size > 10_000, fig
    # FISH: patient calls agree with the planted HET status; planted spatial patterns recovered
    fish_pts = pd.read_csv(res / "fish" / "patients.tsv", sep="\t")
    assert len(fish_pts) == 31 and fish_pts["het_trial_agrees"].all()
    validation = pd.read_csv(res / "fish" / "pattern_validation.tsv", sep="\t")
    assert validation["accuracy_overall"].iloc[0] >= 0.9
    assert validation["n_areas"].sum() == 140
    # expression stage: every default contrast, scores and subtypes (salmon counts)
    de_summary = pd.read_csv(res / "de" / "summary.tsv", sep="\t").set_index("contrast")
    assert len(de_summary) == 5 and de_summary["status"].str.startswith("ok").all()
    assert de_summary.loc["pre_pCR_vs_noPCR", ["units_target", "units_reference"]].tolist() == [
        14,
        17,
    ]
    # effects at real-data magnitudes: 31 patients give few or no DE calls, so only the
    # direction of the strongest planted effect (ERBB2, d about 0.8) is asserted
    pcr_de = pd.read_csv(res / "de" / "contrasts" / "pre_pCR_vs_noPCR.tsv", sep="\t")
    assert pcr_de.set_index("gene").at["ERBB2", "log2FC"] > 0
    for cid in de_summary.index:
        assert (res / "figures" / "de" / f"volcano_{cid}.png").stat().st_size > 10_000
    expr = ad.read_h5ad(res / "expression" / "expression.h5ad")
    assert {"vst", "log2cpm", "counts"} <= set(expr.layers)
    scores_tab = pd.read_csv(res / "scores" / "scores.tsv", sep="\t")
    assert len(scores_tab) == 70 and "ssgsea:HER2_AMPLICON_17Q12" in scores_tab
    calls = pd.read_csv(res / "subtypes" / "samples.tsv", sep="\t").set_index("sample")
    true_sub = pd.read_csv(res / "demo" / "truth" / "samples.tsv", sep="\t").set_index("sample")
    agree = (calls["subtype"] == true_sub.loc[calls.index, "true_subtype"]).mean()
    assert agree >= 0.85, agree
    for fig in ("scores_groups", "scores_pre_post", "subtype_transitions"):
        assert (res / "figures" / f"{fig}.png").stat().st_size > 10_000, fig
    # response and outcome, paper figures: patient level, Firth under separation
    pts = pd.read_csv(res / "outcome" / "patients.tsv", sep="\t")
    assert (pts["timepoint"] == "pre").sum() == 31 and (pts["timepoint"] == "post").sum() == 12
    logit = pd.read_csv(res / "outcome" / "logistic_models.tsv", sep="\t").iloc[0]
    assert logit["separation"] and logit["estimator"] == "Firth" and logit["n"] == 31
    cox = pd.read_csv(res / "outcome" / "cox_models.tsv", sep="\t").iloc[0]
    assert cox["low_epv"]  # 8 events for 3 coefficients: flagged
    found = pd.read_csv(res / "paper" / "findings.tsv", sep="\t")
    assert set(found["finding"]) == {1, 2, 3, 4, 5}
    assert set(found["verdict"]) <= set(VERDICTS)
    # The demo's effects are at real-data magnitudes (docs/demo.md): at 31 patients (6 HET) most
    # checks have little power and may go either way, so only what the design fixes is asserted:
    # no HET patient reaches pCR, so finding 2's primary check (pCR less frequent in HET) has the
    # planted direction; every primary check got a verdict. The paper-scale test asserts more.
    verdicts = finding_verdicts(found)
    assert set(verdicts) == {1, 2, 3, 4, 5}, verdicts
    assert verdicts[2] in ("agrees", "direction only"), verdicts
    for png in (res / "figures" / "paper").glob("fig*.png"):
        assert png.stat().st_size > 20_000, png
    assert len(list((res / "figures" / "paper").glob("fig*.p*"))) == 12
    # a second run has nothing to do
    r2 = run_snakemake(small_run, "--cores", "2", "-n")
    assert r2.returncode == 0 and "Nothing to be done" in r2.stdout + r2.stderr
    # changing one figure's option re-runs that figure's job only (dry run: nothing is written)
    one = tmp_path / "one_figure.yaml"
    one.write_text(
        "report:\n  figure_dpi_by_figure: {fig6_outcome: 200, volcano_post_vs_pre_HET: 100}\n"
    )
    cfg = small_run / "config" / "config.yaml"
    r5 = run_snakemake(small_run, "--cores", "2", "-n", "--configfile", str(cfg), str(one))
    assert r5.returncode == 0, r5.stderr[-3000:]
    stats = r5.stdout[r5.stdout.index("Job stats") :].split("\n\n")[0]
    rows = [ln.split() for ln in stats.splitlines()[3:]]
    assert {job: int(n) for job, n in rows} == {
        "fig6": 1, "plot_volcano": 1, "all": 1, "total": 3,
    }, stats  # fmt: skip

    # the same seed in another directory gives byte-identical demo and cohort tables
    other = tmp_path / "again"
    write_config(other, SMALL)
    r3 = run_snakemake(other, "--cores", "2", "results/demo/samples.tsv")
    assert r3.returncode == 0, r3.stderr[-3000:]
    assert _digests(res / "demo") == _digests(other / "results" / "demo")

    # the HTML report builds and says the data are simulated
    r4 = run_snakemake(small_run, "--report", "results/report.html")
    assert r4.returncode == 0, r4.stderr[-3000:]
    html = (res / "report.html").read_text(errors="replace")
    assert "SIMULATED" in html
    for name in ("fig1_cohort.png", "fig6_outcome.png", "associations.tsv", "findings.tsv"):
        assert name in html, name


@pytest.mark.e2e
def test_sheets_entry_runs_on_user_files(tiny_dir: Path, tmp_path: Path) -> None:
    data = shutil.copytree(tiny_dir, tmp_path / "data")
    # a CSV matrix keyed by versioned gene IDs, with sample columns named differently, and a map
    truth = pd.read_csv(data / "truth" / "effects.tsv", sep="\t")
    counts = pd.read_csv(data / "counts.tsv", sep="\t", index_col=0)
    counts.index = truth.set_index("gene").loc[counts.index, "gene_id"] + ".7"
    counts.columns = [f"lib_{c}" for c in counts.columns]
    counts.to_csv(data / "counts.csv")
    truth.rename(columns={"gene": "gene_name"})[["gene_id", "gene_name"]].to_csv(
        data / "genes.tsv", sep="\t", index=False
    )
    s = pd.read_csv(data / "samples.tsv", sep="\t")
    s["count_column"] = "lib_" + s["sample"]
    s.to_csv(data / "samples.tsv", sep="\t", index=False)
    # centroids in genefu's layout fetched from a URL pinned by sha256 (random values, plumbing)
    from .test_subtype import _genefu_layout

    model = tmp_path / "pam50_model.csv"
    _genefu_layout(model, np.random.default_rng(4))
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    write_config(
        tmp_path,
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        "  counts: data/counts.csv\n  gene_map: data/genes.tsv\n"
        "  fish_cells: data/fish_cells.parquet\n"
        f"subtype:\n  centroids: {model.as_uri()}\n  sha256: {digest}\n",
    )
    r = run_snakemake(tmp_path, "--cores", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    adata = ad.read_h5ad(tmp_path / "results" / "cohort" / "cohort.h5ad")
    assert not adata.uns["her2het"]["simulated"]
    assert "ERBB2" in adata.var_names and adata.n_vars == len(counts)
    original = pd.read_csv(tiny_dir / "counts.tsv", sep="\t", index_col=0)
    erbb2 = adata[:, "ERBB2"].layers["counts"].ravel()
    assert (erbb2 == original.loc["ERBB2", adata.obs_names].to_numpy()).all()
    assert not (tmp_path / "results" / "quant").exists()  # the matrix entry never runs salmon
    assert adata.n_obs == len(pd.read_csv(data / "samples.tsv", sep="\t"))
    assert not (tmp_path / "results" / "demo").exists()
    areas = pd.read_csv(tmp_path / "results" / "fish" / "areas.tsv", sep="\t")
    assert len(areas) == 2 * adata.n_obs
    assert not (tmp_path / "results" / "fish" / "pattern_validation.tsv").exists()  # no truth
    method = pd.read_csv(tmp_path / "results" / "subtypes" / "method.tsv", sep="\t")
    assert "genefu pam50_model.csv layout" in method.set_index("key").loc["centroids", "value"]
    # the tiny cohort has 1 HET patient with a residual tumour: that contrast is reported, not run
    de_summary = pd.read_csv(tmp_path / "results" / "de" / "summary.tsv", sep="\t")
    status = de_summary.set_index("contrast")["status"]
    assert status["pre_pCR_vs_noPCR"].startswith("ok")
    assert status["post_vs_pre_HET"].startswith("not tested: only 1 unit")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: (d / "patients.tsv").write_text(
                (d / "patients.tsv").read_text().replace("\tpos\t", "\tpositive\t", 1)
            ),
            "column 'HR': 'positive' is not one of pos, neg",
        ),
        (
            lambda d: (d / "samples.tsv").write_text(
                (d / "samples.tsv").read_text().replace("P001_B1", "P001_B1;ls", 1)
            ),
            "row 1 (line 2), column 'sample': 'P001_B1;ls' is not allowed",
        ),
        (
            lambda d: (
                pd.read_parquet(d / "fish_cells.parquet")
                .assign(cep17=lambda f: f["cep17"].where(f.index != 4, -2))
                .to_parquet(d / "fish_cells.parquet", index=False)
            ),
            "fish_cells.parquet, row 5, column 'cep17': -2 is not an integer in [0, 1000]",
        ),
    ],
    ids=["bad-patient-sheet", "unsafe-sample-id", "negative-fish-count"],
)
def test_bad_input_stops_before_any_job_with_one_line(
    tiny_dir: Path, tmp_path: Path, edit, expected: str
) -> None:
    data = shutil.copytree(tiny_dir, tmp_path / "data")
    edit(data)
    write_config(
        tmp_path,
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        "  counts: data/counts.tsv\n  fish_cells: data/fish_cells.parquet\n",
    )
    r = run_snakemake(tmp_path, "--cores", "1")
    assert r.returncode != 0
    lines = [x for x in r.stderr.strip().splitlines() if x.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("Invalid input: data/") and expected in lines[0]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "de:\n  contrasts:\n    - {id: x, variable: HET, reference: 0, target: 2}\n",
            "key 'de.contrasts[0] (id x)': target level '2' of 'HET' does not occur",
        ),
        (
            "de:\n  contrasts:\n    - {id: x, variable: ER, reference: neg, target: pos}\n",
            "key 'de.contrasts[0] (id x)': variable 'ER' is not a sample or patient column",
        ),
        (
            "scores:\n  gene_sets: [bad.gmt]\n",
            "key 'scores.gene_sets[0]': bad.gmt, line 2: a GMT line needs a name",
        ),
        (
            "subtype:\n  centroids: https://example.org/pam50_model.csv\n",
            "key 'subtype.sha256': a centroid URL needs the file's sha256",
        ),
        (
            "outcome:\n  logistic:\n    models:\n      - {id: m, formula: 'pCR ~ HET + Ki67'}\n",
            "key 'outcome.logistic.models[0] (id m)': formula 'pCR ~ HET + Ki67': no column 'Ki67'",
        ),
        (
            "outcome:\n  survival:\n    time: OS_months\n",
            "key 'outcome.survival.time': no column 'OS_months' in the patient sheet",
        ),
        (
            "outcome:\n  score_method: zscore\n",
            "key 'outcome.score_method': 'zscore' is not in scores.methods",
        ),
    ],
    ids=[
        "contrast-missing-level",
        "contrast-missing-column",
        "bad-gmt",
        "url-without-sha256",
        "formula-unknown-column",
        "survival-column-missing",
        "score-method-not-computed",
    ],
)
def test_analysis_config_errors_stop_before_any_job(
    tmp_path: Path, extra: str, expected: str
) -> None:
    (tmp_path / "bad.gmt").write_text("A\tdesc\tERBB2\tGRB7\nB only\n")
    write_config(tmp_path, "input: demo\ndemo:\n  size: tiny\n" + extra)
    r = run_snakemake(tmp_path, "--cores", "1")
    assert r.returncode != 0
    lines = [x for x in r.stderr.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and expected in lines[0], r.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.e2e
def test_single_end_demo_through_salmon(tmp_path: Path) -> None:
    write_config(
        tmp_path, "input: demo\ndemo:\n  size: tiny\n  seed: 5\n  reads:\n    paired: false\n"
    )
    targets = ("results/cohort/cohort.h5ad", "results/quant/truth_comparison.tsv")
    r = run_snakemake(tmp_path, "--cores", "2", *targets)
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / "results"
    assert "fq2" not in pd.read_csv(res / "demo" / "samples.tsv", sep="\t")
    stats = pd.read_csv(res / "quant" / "salmon_stats.tsv", sep="\t")
    assert (stats["library_type"] == "U").all() and len(stats) == 17
    agreement = pd.read_csv(res / "quant" / "truth_comparison.tsv", sep="\t")
    assert agreement["pearson_log"].min() > 0.95
    assert ad.read_h5ad(res / "cohort" / "cohort.h5ad").n_obs == 17


@pytest.mark.e2e
def test_user_fastq_entry_and_corrupt_fastq_fails_that_sample(tmp_path: Path) -> None:
    """Sheets with FASTQ files and a transcript FASTA: one truncated file fails its job only."""
    from her2het import reads
    from her2het.io import fastq
    from her2het.io.demo import write_demo
    from her2het.simulate import simulate_cohort

    data = tmp_path / "data"
    cohort = simulate_cohort("tiny", 8, reads=True)
    paths = write_demo(cohort, data)
    samples = cohort.samples.copy()
    tx = fastq.read_fasta(paths["transcriptome"])
    for i, s in enumerate(samples["sample"]):
        fq1 = [f"data/fastq/{s} R1.fq.gz"]  # a space in the path: quoted for the shell
        fq2 = [f"data/fastq/{s} R2.fq.gz"]
        (tmp_path / "data" / "fastq").mkdir(exist_ok=True)
        counts = cohort.tx_counts[s].reindex(tx.table["transcript_id"]).to_numpy()
        fastq.write_sample_fastq(
            tx,
            counts,
            s,
            [tmp_path / f for f in fq1],
            [tmp_path / f for f in fq2],
            reads.sample_rng(8, i),
        )
        samples.loc[i, ["fq1", "fq2"]] = [fq1[0], fq2[0]]
    samples.to_csv(data / "samples.tsv", sep="\t", index=False)
    bad_sample = samples["sample"].iloc[3]
    bad = tmp_path / "data" / "fastq" / f"{bad_sample} R2.fq.gz"
    bad.write_bytes(bad.read_bytes()[:5000])
    write_config(
        tmp_path,
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        "quant:\n  transcriptome: data/transcriptome.fa\n",
    )
    r = run_snakemake(tmp_path, "--cores", "2", "--keep-going", "results/quant/counts.tsv")
    assert r.returncode != 0
    assert f"Error: data/fastq/{bad_sample} R2.fq.gz: truncated gzip file" in r.stderr
    quant_dir = tmp_path / "results" / "quant" / "salmon"
    done = {p.parent.name for p in quant_dir.glob("*/quant.sf")}
    assert done == set(samples["sample"]) - {bad_sample}  # the other samples were quantified
    assert not (quant_dir / bad_sample / "quant.sf").exists()

    # fix the file and resume: only the failed sample and the aggregation run
    fastq.write_sample_fastq(
        tx,
        cohort.tx_counts[bad_sample].reindex(tx.table["transcript_id"]).to_numpy(),
        bad_sample,
        [tmp_path / "data" / "fastq" / f"{bad_sample} R1.fq.gz"],
        [bad],
        reads.sample_rng(8, 3),
    )
    r2 = run_snakemake(tmp_path, "--cores", "2", "results/cohort/cohort.h5ad")
    assert r2.returncode == 0, r2.stderr[-3000:]
    assert r2.stderr.count("rule salmon_quant:") == 1
    adata = ad.read_h5ad(tmp_path / "results" / "cohort" / "cohort.h5ad")
    assert adata.n_obs == len(samples) and not adata.uns["her2het"]["simulated"]


def test_fastq_sheet_errors_stop_before_any_job(tiny_dir: Path, tmp_path: Path) -> None:
    data = shutil.copytree(tiny_dir, tmp_path / "data")
    s = pd.read_csv(data / "samples.tsv", sep="\t")
    s["fq1"] = "data/missing_R1.fq.gz"
    s.to_csv(data / "samples.tsv", sep="\t", index=False)
    (data / "tx.fa").write_text(">T1|G1|-|-|A-201|A|4|pc|\nACGT\n")
    write_config(
        tmp_path,
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        "quant:\n  transcriptome: data/tx.fa\n",
    )
    r = run_snakemake(tmp_path, "--cores", "1")
    assert r.returncode != 0 and not (tmp_path / "results").exists()
    assert r.stderr.strip() == (
        "Invalid input: data/samples.tsv, row 1 (line 2), column 'fq1': "
        "file not found: data/missing_R1.fq.gz"
    )


@pytest.mark.e2e
def test_geo_entry_builds_the_cohort(tmp_path: Path) -> None:
    import yaml

    from .test_geo import make_spec, write_counts, write_matrix

    spec = make_spec(tmp_path)
    write_matrix(Path(spec["series_matrix"]))
    write_counts(Path(spec["counts"]))
    # the test matrix has 5 of the 50 PAM50 genes: subtyping is switched off
    write_config(
        tmp_path,
        yaml.safe_dump(
            {
                "input": "geo",
                "geo": spec,
                "subtype": {"enabled": False},
                "outcome": {"survival": {"enabled": False}},  # GEO has no follow-up
            }
        ),
    )
    r = run_snakemake(tmp_path, "--cores", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / "results"
    adata = ad.read_h5ad(res / "cohort" / "cohort.h5ad")
    assert adata.n_obs == 7 and "GEO import" in adata.uns["her2het"]["data_source"]
    assert set(pd.read_csv(res / "geo" / "samples.tsv", sep="\t")["timepoint"]) == {"pre", "post"}
    assert (res / "qc" / "samples.tsv").exists() and not (res / "fish").exists()
    # 4 patients: the outcome stage runs and says what could not be estimated
    logit = pd.read_csv(res / "outcome" / "logistic_models.tsv", sep="\t")
    assert len(logit) == 1
    assert (res / "figures" / "paper" / "fig6_outcome.png").exists()


@pytest.mark.e2e
def test_paper_scale_demo_recovers_what_its_power_allows(tmp_path: Path) -> None:
    """The `paper` target on the paper-scale SIMULATED cohort (129 patients, 285 samples).

    2,000 genes instead of 20,000 keep it inside CI; the findings are about the planted
    programmes, which are always simulated. The planted effects are at the magnitudes of the
    trial's real data (docs/demo.md), so only the checks with the power to be recovered at 129
    patients are asserted to be; the others are asserted to be computed and short of separation.
    """
    write_config(
        tmp_path,
        "input: demo\ndemo:\n  size: paper\n  seed: 2024\n  n_genes: 2000\n"
        "  reads:\n    enabled: false\n",
    )
    r = run_snakemake(tmp_path, "--cores", "2", "paper", timeout=2400)
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / "results"
    found = pd.read_csv(res / "paper" / "findings.tsv", sep="\t")
    assert set(found["finding"]) == {1, 2, 3, 4, 5} and len(found) >= 19
    feats = found[found["source"].str.startswith("outcome/associations.tsv: ")]
    feats = feats[feats["feature"] != "HET"]  # the odds ratios of HET vs pCR: below
    assert feats["pvalue"].notna().all() and feats["effect_size"].notna().all()
    # recovered at this power (docs/demo.md: p < 0.05 in >= 80% of simulated cohorts):
    # ERBB2 higher with pCR (real AUC 0.73) and lower in residual tumours
    for finding, sign in ((1, 1), (3, -1)):
        rows = feats[(feats["finding"] == finding) & (feats["feature"] == "ERBB2")]
        # finding 1 also has the intersection-union check over the patient groups
        (row,) = rows[~rows["source"].str.endswith(": groups:*")].itertuples()
        assert np.sign(row.effect_size) == sign and row.pvalue < 0.05, row
    # no expression check comes near the old demo's separations (rank-biserial 0.99-1.00)
    expr = feats[~feats["feature"].str.startswith("fish_")]
    assert (expr["effect_size"].abs() < 0.8).all(), expr[["check", "effect_size"]]
    assert (expr["pvalue"] > 1e-12).all(), expr[["check", "pvalue"]]
    # the planted HET-pCR association (the design: no pCR in HET), a finite Firth odds ratio
    a = pd.read_csv(res / "outcome" / "associations.tsv", sep="\t")
    firth = a[(a["family"] == "HET vs pCR") & a["test"].str.startswith("Firth")]
    assert len(firth) == 2
    assert np.isfinite(firth[["estimate", "ci_low", "ci_high"]].to_numpy()).all()
    assert (firth["ci_high"] < 1).all() and (firth["pvalue"] < 0.001).all()
    logit = pd.read_csv(res / "outcome" / "logistic_models.tsv", sep="\t").iloc[0]
    assert logit["n"] == 129 and logit["separation"] and logit["estimator"] == "Firth"
    for png in (res / "figures" / "paper").glob("fig*.png"):
        assert png.stat().st_size > 20_000, png
    assert len(list((res / "figures" / "paper").glob("fig*.pdf"))) == 6
