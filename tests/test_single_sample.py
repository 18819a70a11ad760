"""Single-sample (gene-pair) subtypes against R: e1071's naive Bayes on a SIMULATED model, and
sspbc's own predictor on its example matrix when the sspbc package is at hand.

Reference files: ``tests/data/single_sample/`` (written by ``make_reference.R`` there).
"""

from __future__ import annotations

import os
import shutil
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2het import single_sample as ss
from her2het.io import read_table, sspmodel

from .conftest import run_snakemake, write_config

DATA = Path(__file__).parent / "data" / "single_sample"
#: Where the sspbc source package (sspbc_1.0.tar.gz, downloaded from its repository) is.
SSPBC_ENV = "HER2HET_SSPBC_PACKAGE"
CLASSES = ["Basal", "Her2", "Lum"]


@pytest.fixture(scope="module")
def simulated():
    model, ann = sspmodel.read_pair_model(DATA / "model.rda", "ssp.test")
    expr = sspmodel.read_expression_table(DATA / "expression.tsv")
    ref = read_table(DATA / "predictions_r.tsv", ids=["sample"]).set_index("sample")
    return model, ann, expr, ref


def _close(ours: pd.DataFrame, ref: pd.DataFrame, cols: list[str]) -> bool:
    return bool(np.allclose(ours[cols].to_numpy(), ref[cols].to_numpy(), rtol=1e-6, atol=1e-9))


def test_model_file_in_sspbc_layout(simulated):
    model, ann, _, _ = simulated
    assert model.classes == tuple(CLASSES)
    assert len(model.rules) == 12 and model.rules[0] == ("e2064", "e2886")
    assert model.mean.shape == model.sd.shape == (12, 3)
    assert list(model.prior) == [40, 30, 50]
    assert ann is not None and "EntrezGene" in ann.columns


def test_matches_e1071_on_simulated_model(simulated):
    """Posteriors, calls and rules used equal R's for samples with a tie, a tie at zero, a
    missing value, a gene the data lack (PGR) and a gene measured twice (BCL2)."""
    model, ann, expr, ref = simulated
    calls, method = ss.predict(expr, model, ann)
    calls = calls.loc[ref.index]
    probs = [f"prob_{c}" for c in CLASSES]
    assert _close(calls, ref, probs)
    assert calls["subtype"].tolist() == ref["subtype"].tolist()
    assert calls["rules_used"].tolist() == ref["rules_used"].tolist()
    assert method["gene_ids"] == "Gene.Name" and method["genes_missing"] == "e5241"


def test_reference_data_are_not_perfectly_separable(simulated):
    """A check of the committed SIMULATED reference, not of the code: R misses some of the
    simulated classes, so the comparison above covers uncertain posteriors too."""
    ref = simulated[3]
    assert 0 < (ref["subtype"] != ref["simulated_class"]).sum() < len(ref)
    assert ((ref[[f"prob_{c}" for c in CLASSES]] > 0.01).sum(axis=1) > 1).any()


def test_read_from_a_package_archive(simulated, tmp_path):
    """The same model packed as sspbc's source package reads the same; a download that is
    not one (an HTML page) or a file that is not R data is a one-line ValueError."""
    model, ann, expr, _ = simulated
    archive = tmp_path / "sspbc_1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(DATA / "model.rda", arcname=sspmodel.SSPBC_MODELS)
    packed, packed_ann = sspmodel.read_pair_model(archive, "ssp.test")
    assert packed.rules == model.rules and np.array_equal(packed.mean, model.mean)
    pd.testing.assert_frame_equal(packed_ann, ann)  # model.rda holds Gene.ID.ann too
    html = tmp_path / "page.tar.gz"
    html.write_text("<!DOCTYPE html><html>Not Found</html>")
    with pytest.raises(ValueError, match="not the sspbc source package"):
        sspmodel.read_pair_model(html, "ssp.pam50")
    text = tmp_path / "model.rda"
    text.write_text("gene\tcentre\n")
    with pytest.raises(ValueError, match="not the sspbc source package"):
        sspmodel.read_pair_model(text, "ssp.pam50")


def test_make_names_is_rs():
    assert sspmodel.make_names("e2064<e2886") == "e2064.e2886"
    assert sspmodel.make_names("2064<2886") == "X2064.2886"
    assert sspmodel.make_names("HLA-A<ERBB2") == "HLA.A.ERBB2"
    assert sspmodel.make_names(".5x") == "X.5x" and sspmodel.make_names(".x") == ".x"


def test_no_shared_gene_and_no_measured_rule(simulated):
    """Data sharing no gene with the model are an error; a sample with no rule measured gets
    no call (not the prior's) and is left out of the agreement."""
    model, ann, expr, _ = simulated
    with pytest.raises(ValueError, match="none of the 10 genes of model"):
        ss.predict(expr.add_prefix("x"), model, ann)
    blank = expr.copy()
    blank.loc["T5"] = np.nan
    calls, _ = ss.predict(blank, model, ann)
    assert calls.loc["T5", "subtype"] == "" and calls.loc["T5", "rules_used"] == 0
    assert calls.loc["T5", [f"prob_{c}" for c in CLASSES]].isna().all()
    meta = pd.DataFrame(
        {"sample": blank.index, "patient": blank.index, "timepoint": "pre", "group": "g"}
    )
    samples, patients, _ = ss.cohort_tables(calls, meta, model)
    assert patients.set_index("patient").loc["T5", "subtype_pre"] == ""
    centroid = samples[["sample", "subtype"]].assign(subtype="Her2")
    agreement = ss.agreement_table(samples, centroid)
    assert agreement.loc[agreement["timepoint"] == "all", "n"].item() == len(blank) - 1


def test_expression_table_with_a_text_column(tmp_path):
    table = tmp_path / "tpm.tsv"
    table.write_text("gene\tgene_name\tS1\nENSG1\tERBB2\t3.5\n")
    with pytest.raises(ValueError, match=r"tpm.tsv, row 2, column 'gene_name': 'ERBB2' is not"):
        sspmodel.read_expression_table(table)


def test_comparison_with_r_can_fail(simulated):
    """Controls: one rule reversed, ties counted as 'below', or the duplicate gene's lower
    value kept each make the comparison above fail."""
    model, ann, expr, ref = simulated
    probs = [f"prob_{c}" for c in CLASSES]
    flipped = replace(model, rules=((model.rules[0][1], model.rules[0][0]), *model.rules[1:]))
    assert not _close(ss.predict(expr, flipped, ann)[0].loc[ref.index], ref, probs)
    tie = expr.copy()
    tie.loc["T1", "ERBB2"] -= 1e-6  # the tie T1 has, broken the other way
    assert not _close(ss.predict(tie, model, ann)[0].loc[ref.index], ref, probs)
    first_bcl2 = int(np.flatnonzero(expr.columns == "BCL2")[0])  # the other one is it / 4
    low = expr.iloc[:, [i for i in range(expr.shape[1]) if i != first_bcl2]]
    assert not _close(ss.predict(low, model, ann)[0].loc[ref.index], ref, probs)


def test_call_depends_on_its_sample_alone(simulated):
    model, ann, expr, _ = simulated
    whole = ss.predict(expr, model, ann)[0]
    for sample in expr.index[:4]:
        alone = ss.predict(expr.loc[[sample]], model, ann)[0]
        pd.testing.assert_frame_equal(alone, whole.loc[[sample]])


def test_refuses_centred_data(simulated):
    model, ann, expr, _ = simulated
    centred = np.log2(expr + 1)
    centred = centred - centred.median()
    with pytest.raises(ValueError, match=r"sample T\d+: .* negative; .* raw expression"):
        ss.predict(centred, model, ann)


def test_few_rules_flagged(simulated):
    model, ann, expr, _ = simulated
    calls, method = ss.predict(expr, model, ann, min_rules=0.9)
    assert method["min_rules"] == 11  # ceil(0.9 * 12)
    assert calls["few_rules"].all()  # PGR is absent: 10 of 12 rules at most
    calls, _ = ss.predict(expr, model, ann, min_rules=0.8)
    assert calls["few_rules"].tolist() == (calls["rules_used"] < 10).tolist()
    assert calls["few_rules"].sum() == 1  # T3's missing MKI67


def test_rule_floor_and_model_ids(simulated):
    """``min_rules`` 0.14 of 50 rules is 7 (0.14 * 50 is 7.000000000000001 in floating point,
    whose ceiling is 8); genes given as the model's own IDs are used as they are."""
    model, ann, expr, ref = simulated
    big = replace(
        model,
        rules=(model.rules * 5)[:50],
        mean=np.tile(model.mean, (5, 1))[:50],
        sd=np.tile(model.sd, (5, 1))[:50],
    )
    assert ss.predict(expr, big, ann, min_rules=0.14)[1]["min_rules"] == 7
    by_name = dict(zip(ann["Gene.Name"], "e" + ann["EntrezGene"], strict=True))
    as_ids = expr.rename(columns=by_name)
    calls, method = ss.predict(as_ids, model, ann)
    assert method["gene_ids"] == "model IDs"
    assert calls.loc[ref.index, "subtype"].tolist() == ref["subtype"].tolist()


def test_cohort_tables_patient_call_from_mean_posterior(simulated):
    model, ann, expr, _ = simulated
    calls, _ = ss.predict(expr, model, ann)
    meta = pd.DataFrame(
        {
            "sample": expr.index,
            "patient": ["P1", "P1", "P1", "P2", "P3", "P3"] + [f"Q{i}" for i in range(6)],
            "timepoint": ["pre", "pre", "post", "pre", "pre", "post"] + ["pre"] * 6,
            "group": "g",
        }
    )
    samples, patients, transitions = ss.cohort_tables(calls, meta, model)
    assert len(samples) == len(expr)
    p1 = patients.set_index("patient").loc["P1"]
    mean = calls.loc[["T1", "T2"], [f"prob_{c}" for c in CLASSES]].mean()
    assert p1["subtype_pre"] == CLASSES[int(np.argmax(mean.to_numpy()))]
    assert p1["subtype_post"] == calls.loc["T3", "subtype"]
    assert transitions["n"].sum() == 2  # P1 and P3 have both timepoints


def _sspbc_package() -> Path:
    path = os.environ.get(SSPBC_ENV)
    if not path or not Path(path).is_file():
        pytest.skip(f"{SSPBC_ENV} does not name the sspbc source package (sspbc_1.0.tar.gz)")
    return Path(path)


@pytest.mark.parametrize("name", ["ssp.pam50", "ssp.subtype"])
def test_matches_sspbc_on_its_example_matrix(name):
    """The genuine sspbc model and example matrix (9 samples, FPKM, GENCODE 27 gene IDs):
    calls identical and posteriors within 1e-6 of sspbc's applySSP() in R."""
    package = _sspbc_package()
    import io

    import rdata

    with tarfile.open(package, "r:gz") as tar:
        raw = tar.extractfile("sspbc/data/testmatrix.rda").read()  # type: ignore[union-attr]
    tm = rdata.read_rda(io.BytesIO(raw))["testmatrix"]
    expr = pd.DataFrame(
        tm.values.T, index=[str(s) for s in tm.coords["dim_1"].values],
        columns=[str(g) for g in tm.coords["dim_0"].values],
    )  # fmt: skip
    model, ann = sspmodel.read_pair_model(package, name)
    calls, method = ss.predict(expr, model, ann)
    ref = read_table(DATA / "sspbc_testmatrix_r.tsv", ids=["sample"])
    ref = ref[ref["model"] == name]
    r_calls = ref.drop_duplicates("sample").set_index("sample")["subtype"]
    assert calls.loc[r_calls.index, "subtype"].tolist() == r_calls.tolist()
    r_prob = ref.pivot(index="sample", columns="class", values="prob").loc[r_calls.index]
    ours = calls.loc[r_calls.index, [f"prob_{c}" for c in r_prob.columns]].to_numpy()
    assert np.allclose(ours, r_prob.to_numpy(), rtol=1e-6, atol=1e-9)
    assert method["gene_ids"] == "Gene.ID" and method["genes_missing"] == ""


def _cohort_with_tpm(tiny_dir: Path, workdir: Path, single_sample: str) -> None:
    """The tiny SIMULATED cohort as user sheets and counts, with a raw-expression table
    (counts per million of the SIMULATED counts) for the single-sample predictor."""
    data = workdir / "data"
    data.mkdir(parents=True)
    for name in ("samples.tsv", "patients.tsv", "counts.tsv"):
        shutil.copy(tiny_dir / name, data / name)
    counts = pd.read_csv(data / "counts.tsv", sep="\t", index_col=0)
    (counts / counts.sum() * 1e6).round(3).to_csv(data / "tpm.tsv", sep="\t")
    write_config(
        workdir,
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        f"  counts: data/counts.tsv\nsubtype:\n  single_sample: {single_sample}\n",
    )


MODEL = f"model: {DATA / 'model.rda'}, name: ssp.test"


@pytest.mark.e2e
def test_workflow_single_sample_stage(tiny_dir: Path, tmp_path: Path) -> None:
    _cohort_with_tpm(tiny_dir, tmp_path, f"{{{MODEL}, expression: data/tpm.tsv}}")
    out = "results/subtypes/single_sample"
    r = run_snakemake(tmp_path, "--cores", "1", "-n")  # the stage is in the default target
    assert r.returncode == 0 and "subtype_single_sample" in r.stdout, r.stderr[-3000:]
    r = run_snakemake(tmp_path, "--cores", "2", f"{out}/agreement.tsv", f"{out}/patients.tsv")
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / out
    samples = read_table(res / "samples.tsv", ids=["sample"])
    n = len(pd.read_csv(tmp_path / "data" / "samples.tsv", sep="\t"))
    assert len(samples) == n and set(samples["subtype"]) <= set(CLASSES)
    assert np.allclose(samples[[f"prob_{c}" for c in CLASSES]].sum(axis=1), 1, atol=1e-5)
    assert (samples["rules_used"] == 12).all()  # every rule gene is in the demo
    agreement = read_table(res / "agreement.tsv")
    assert agreement.loc[agreement["timepoint"] == "all", "n"].item() == n
    method = dict(read_table(res / "method.tsv", keep_default_na=False).to_numpy())
    assert method["model"] == "ssp.test" and method["gene_ids"] == "Gene.Name"
    from her2het.results import load_results

    loaded = load_results(tmp_path / "results")
    assert loaded.single_sample["subtype"].tolist() == samples["subtype"].tolist()


@pytest.mark.e2e
def test_workflow_single_sample_skip_and_bad_model(tiny_dir: Path, tmp_path: Path) -> None:
    """A count matrix without raw expression: the predictor is skipped, named once. A model
    name the file lacks: a one-line error naming the key, before any job."""
    _cohort_with_tpm(tiny_dir, tmp_path, f"{{{MODEL}}}")
    r = run_snakemake(tmp_path, "--cores", "1", "-n")
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stderr.count("Skipped: subtype single-sample predictor ssp.test: needs raw") == 1
    assert "subtype_single_sample" not in r.stdout
    bad = MODEL.replace("ssp.test", "ssp.pam50")
    _cohort_with_tpm(tiny_dir, tmp_path / "bad", f"{{{bad}, expression: data/tpm.tsv}}")
    r = run_snakemake(tmp_path / "bad", "--cores", "1", "-n")
    assert r.returncode == 1
    line = [x for x in r.stderr.splitlines() if x.startswith("Invalid input:")]
    assert len(line) == 1 and "subtype.single_sample.model" in line[0], r.stderr[-2000:]
    assert "no model 'ssp.pam50'" in line[0] and not (tmp_path / "bad" / "results").exists()
