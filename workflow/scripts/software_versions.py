"""Software versions: every Python package of the environment and the system tools that ran."""

import sys

from her2het.io import multiqc, write_table

sys.stderr = open(snakemake.log[0], "w")
tools = {"python": [sys.executable, "--version"]}  # snakemake, multiqc: Python packages
if snakemake.params.salmon:
    tools["salmon"] = ["salmon", "--version"]
table = multiqc.software_versions(tools)
write_table(table, snakemake.output.table)
