"""The FASTQ entry on real reads: GEUVADIS HG00096, chromosome 21, with real salmon.

The data are read in place from ``../shared/data/rnaseq_chr21/`` (relative to the repository;
never copied into the project): two samples of Illumina 75 bp read pairs (unstranded library)
and the Ensembl cDNA of chromosome 21 (2,457 transcripts, bare transcript IDs). The workflow
runs once (index, quant, transcript -> gene, tximport) without a gene table, which must fall
back to transcript-level genes with a warning; a second run in the same directory gives a
``quant.tx2gene`` table and re-runs only the aggregation.

Measured (salmon 1.10.1, k = 31, ``-l A``, selective alignment against the cDNA alone):
library type ``IU`` for both samples; fragments 4,857 (a) and 4,898 (b), the files' record
counts (the data's README says 4,857 for both; b holds 4,898); mapped 1,154 (23.76 %) and
1,128 (23.03 %). Only about a quarter maps because the reads were sampled from a genome
alignment of chromosome 21 (intronic and intergenic reads too) and the index holds the
chromosome's transcripts only, without decoys. Asserted: the library type and the fragment
counts exactly; the mapping rate within 1.5 percentage points of the measurement (about 70
fragments: selective alignment is deterministic for one salmon version, the band allows
other versions without admitting a wrong library type or index, which map far fewer).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from .conftest import run_snakemake, write_config

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "rnaseq_chr21"
FILES = [
    "a.chr21.1.fq.gz", "a.chr21.2.fq.gz", "b.chr21.1.fq.gz", "b.chr21.2.fq.gz",
    "transcriptome.chr21.fa.gz",
]  # fmt: skip
PAIRS = {"a": 4857, "b": 4898}  # read pairs per sample (record counts of the files)
MAPPED_PCT = {"a": 23.76, "b": 23.03}  # measured with salmon 1.10.1
MAPPED_TOL = 1.5  # percentage points

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not all((DATA / f).is_file() for f in FILES),
        reason=f"real chr21 reads not present at {DATA}",
    ),
    pytest.mark.skipif(shutil.which("salmon") is None, reason="salmon not installed"),
]


def _setup(workdir: Path, tx2gene: Path | None = None) -> None:
    (workdir / "data").mkdir(exist_ok=True)
    rows = ["sample\tpatient\ttimepoint\tbiopsy\tfq1\tfq2"]
    for s, patient in (("a", "P1"), ("b", "P2")):
        rows.append(
            f"{s}\t{patient}\tpre\tB1\t{DATA / f'{s}.chr21.1.fq.gz'}\t{DATA / f'{s}.chr21.2.fq.gz'}"
        )
    (workdir / "data" / "samples.tsv").write_text("\n".join(rows) + "\n")
    (workdir / "data" / "patients.tsv").write_text(
        "patient\tpCR\tHET\tHR\tEFS_months\tEFS_event\nP1\t0\t0\tpos\t40.0\t0\n"
        "P2\t1\t1\tneg\t30.0\t1\n"
    )
    quant = f"quant:\n  transcriptome: {DATA / 'transcriptome.chr21.fa.gz'}\n"
    if tx2gene is not None:
        quant += f"  tx2gene: {tx2gene}\n"
    write_config(
        workdir,
        "input: sheets\nsheets:\n  samples: data/samples.tsv\n  patients: data/patients.tsv\n"
        "  counts: null\n  fish_cells: null\n" + quant + "de:\n  contrasts: []\n",
    )


TARGETS = ("results/quant/salmon_stats.tsv", "results/quant/counts.tsv")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    workdir = tmp_path_factory.mktemp("chr21")
    _setup(workdir)
    r = run_snakemake(workdir, "--cores", "2", *TARGETS)
    assert r.returncode == 0, r.stderr[-3000:]
    return workdir, r.stderr


def test_real_reads_salmon_detects_iu_and_maps_most_fragments(real_run) -> None:  # type: ignore[no-untyped-def]
    workdir, _ = real_run
    stats = pd.read_csv(workdir / "results/quant/salmon_stats.tsv", sep="\t")
    assert stats["sample"].tolist() == ["a", "b"]
    assert (stats["library_type"] == "IU").all()
    stats = stats.set_index("sample")
    for s in ("a", "b"):
        assert stats.loc[s, "num_processed"] == PAIRS[s]
        assert abs(stats.loc[s, "percent_mapped"] - MAPPED_PCT[s]) < MAPPED_TOL, stats.loc[s]
        assert stats.loc[s, "num_mapped"] == round(stats.loc[s, "percent_mapped"] / 100 * PAIRS[s])


def test_real_reads_without_gene_table_fall_back_to_transcripts(real_run) -> None:  # type: ignore[no-untyped-def]
    workdir, stderr = real_run
    counts = pd.read_csv(workdir / "results/quant/counts.tsv", sep="\t", index_col=0)
    warnings = [ln for ln in stderr.splitlines() if ln.startswith("Warning:")]
    assert any("carry no gene names" in w and "quant.tx2gene" in w for w in warnings), stderr[
        -2000:
    ]
    tx2gene = pd.read_csv(workdir / "results/quant/tx2gene.tsv", sep="\t")
    assert len(tx2gene) == 2457 and (tx2gene["gene_id"] == tx2gene["transcript_id"]).all()
    # one row per transcript salmon quantified: the index drops 46 duplicate sequences
    # (listed in its duplicate_clusters.tsv), so 2,411 of the 2,457
    quant_sf = pd.read_csv(workdir / "results/quant/salmon/a/quant.sf", sep="\t")
    dups = pd.read_csv(workdir / "results/quant/salmon_index/duplicate_clusters.tsv", sep="\t")
    assert len(quant_sf) + len(dups) == 2457
    assert sorted(counts.index) == sorted(quant_sf["Name"])
    est = pd.read_csv(workdir / "results/quant/estimated_counts.tsv", sep="\t", index_col=0)
    stats = pd.read_csv(workdir / "results/quant/salmon_stats.tsv", sep="\t", index_col=0)
    # salmon's estimated counts add up to the fragments it mapped
    for s in ("a", "b"):
        assert est[s].sum() == pytest.approx(stats.loc[s, "num_mapped"], rel=1e-3)


def test_real_reads_with_a_tx2gene_table(real_run) -> None:  # type: ignore[no-untyped-def]
    """A tximport-style CSV (TXNAME, GENEID): only the aggregation re-runs; counts sum per gene.

    The grouping is synthetic (no gene annotation ships with the data): transcripts in FASTA
    order, three per "gene". It checks the mechanism, not biology.
    """
    workdir, _ = real_run
    tx = pd.read_csv(workdir / "results/quant/tx2gene.tsv", sep="\t")["transcript_id"]
    table = pd.DataFrame({"TXNAME": tx, "GENEID": [f"GROUP{i // 3:04d}" for i in range(len(tx))]})
    path = workdir / "data" / "tx2gene.csv"
    table.to_csv(path, index=False)
    before = pd.read_csv(workdir / "results/quant/estimated_counts.tsv", sep="\t", index_col=0)
    quant_sf = workdir / "results/quant/salmon/a/quant.sf"
    mtime = quant_sf.stat().st_mtime_ns
    _setup(workdir, tx2gene=path)
    r = run_snakemake(workdir, "--cores", "2", *TARGETS)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "carry no gene names" not in r.stderr
    assert quant_sf.stat().st_mtime_ns == mtime  # salmon did not run again
    est = pd.read_csv(workdir / "results/quant/estimated_counts.tsv", sep="\t", index_col=0)
    assert len(est) == table["GENEID"].nunique()
    expected = before.groupby(table.set_index("TXNAME")["GENEID"].reindex(before.index)).sum()
    pd.testing.assert_frame_equal(
        est.sort_index(), expected.sort_index(), check_names=False, atol=0.01
    )
