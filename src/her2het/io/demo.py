"""Writing the SIMULATED demo cohort of :mod:`her2het.simulate` to files.

:func:`write_demo` writes the sheets, the count matrix and the FISH cells a user would bring,
and the simulator's ground truth in ``truth/`` beside them; with reads, also the synthetic
transcriptome (FASTA) and the transcript counts the reads are drawn from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from her2het.io.fastq import write_fasta

if TYPE_CHECKING:
    from her2het.simulate import DemoCohort


def write_demo(cohort: DemoCohort, outdir: str | Path) -> dict[str, Path]:
    """Write a demo cohort: sheets, counts and FISH cells, and ``truth/`` beside them.

    Tables are written so that the same cohort always gives byte-identical files.
    """
    out = Path(outdir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    paths = {
        "samples": out / "samples.tsv",
        "patients": out / "patients.tsv",
        "counts": out / "counts.tsv",
        "fish_cells": out / "fish_cells.parquet",
        "truth_samples": out / "truth" / "samples.tsv",
        "truth_patients": out / "truth" / "patients.tsv",
        "truth_effects": out / "truth" / "effects.tsv",
        "truth_fish_areas": out / "truth" / "fish_areas.tsv",
        "params": out / "truth" / "params.json",
    }
    tsv = {"sep": "\t", "index": False, "lineterminator": "\n"}
    cohort.samples.to_csv(paths["samples"], **tsv)
    cohort.patients.to_csv(paths["patients"], **tsv)
    cohort.counts.to_csv(paths["counts"], sep="\t", lineterminator="\n")
    cohort.fish_cells.to_parquet(paths["fish_cells"], index=False, compression="zstd")
    cohort.truth_samples.to_csv(paths["truth_samples"], **tsv)
    cohort.truth_patients.to_csv(paths["truth_patients"], **tsv)
    cohort.truth_effects.to_csv(paths["truth_effects"], **tsv)
    cohort.truth_fish_areas.to_csv(paths["truth_fish_areas"], **tsv)
    paths["params"].write_text(json.dumps(cohort.params, indent=2, sort_keys=True) + "\n")
    if cohort.transcriptome is not None and cohort.tx_counts is not None:
        paths["transcriptome"] = out / "transcriptome.fa"
        paths["truth_transcripts"] = out / "truth" / "transcripts.tsv"
        paths["truth_tx_counts"] = out / "truth" / "tx_counts.parquet"
        write_fasta(cohort.transcriptome, paths["transcriptome"])
        cohort.transcriptome.table.to_csv(paths["truth_transcripts"], **tsv)
        cohort.tx_counts.to_parquet(paths["truth_tx_counts"], compression="zstd")
    return paths
