"""Software versions: every Python package of the environment and the system tools that ran."""

import sys

from her2het import multiqc

sys.stderr = open(snakemake.log[0], "w")
tools = {"python": [sys.executable, "--version"]}  # snakemake, multiqc: Python packages
if snakemake.params.salmon:
    tools["salmon"] = ["salmon", "--version"]
table = multiqc.software_versions(tools)
table.to_csv(snakemake.output.table, sep="\t", index=False, lineterminator="\n")
