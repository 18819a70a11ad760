"""MultiQC report: salmon's output (when reads were quantified) plus the workflow's QC table and
PCA as custom content (her2het.io.multiqc)."""

import subprocess
import sys
from pathlib import Path

import yaml

from her2het.io import multiqc, read_table

log = open(snakemake.log[0], "w")
sys.stderr = log
inp, out, p = snakemake.input, snakemake.output, snakemake.params
qc = read_table(inp.table, ids=("sample",))
custom = Path(out.custom)
custom.mkdir(parents=True, exist_ok=True)
(custom / "her2het_sample_qc_mqc.tsv").write_text(multiqc.qc_table_mqc(qc))
pca = multiqc.pca_mqc(qc, read_table(inp.variance))
if pca is not None:
    (custom / "her2het_pca_mqc.yaml").write_text(yaml.safe_dump(pca, sort_keys=False))
dirs = [str(custom)] + ([p.salmon_dir] if "salmon_meta" in inp.keys() else [])
html = Path(out.html)
cmd = [sys.executable, "-m", "multiqc", "--force", "--no-version-check", "--no-ansi",
       "--title", p.title, "--outdir", str(html.parent), "--filename", html.name,
       "--data-dir", *dirs]  # fmt: skip
log.flush()
subprocess.run(cmd, check=True, stdout=log, stderr=log)
