"""Directional checks of the study's findings 1-5 on this run (her2het.paper.findings)."""

import sys

import pandas as pd

from her2het.paper import findings

sys.stderr = open(snakemake.log[0], "w")
read = {"sep": "\t", "dtype": {"patient": str}}
optional = snakemake.input.get
table = findings(
    pd.read_csv(snakemake.input.associations, sep="\t"),
    pd.read_csv(snakemake.input.patients, **read),
    de_summary=pd.read_csv(snakemake.input.de_summary, sep="\t"),
    fish_pre_post=pd.read_csv(optional("fish_pre_post"), **read) if optional("fish_pre_post") else None,
    transitions=pd.read_csv(optional("transitions"), sep="\t", keep_default_na=False)
    if optional("transitions")
    else None,
)
table.to_csv(snakemake.output.table, sep="\t", index=False, lineterminator="\n")
