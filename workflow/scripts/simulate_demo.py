"""Simulate the embedded demo cohort (SIMULATED data) and write it with its ground truth."""

import sys
from pathlib import Path

from her2het.io.demo import write_demo
from her2het.simulate import simulate_cohort

sys.stderr = open(snakemake.log[0], "w")
d = snakemake.params.demo
cohort = simulate_cohort(
    d["size"],
    d["seed"],
    n_genes=d["n_genes"],
    cells_per_area=d["cells_per_area"],
    with_ihc=d["ihc"],
    reads=d["reads"]["enabled"],
    read_pairs=d["reads"]["read_pairs"],
    paired=d["reads"]["paired"],
    effect_scale=d["effect_scale"],
    fastq_dir=snakemake.params.fastq_dir,
)
written = write_demo(cohort, Path(snakemake.output.samples).parent)
expected = {Path(p) for p in snakemake.output}
assert expected == set(written.values()), "rule outputs and write_demo() disagree"
print(f"simulated {len(cohort.patients)} patients, {len(cohort.samples)} samples", file=sys.stderr)
