"""Single-sample subtypes of every sample and patient (her2het.single_sample), and their
agreement with the centroid calls."""

import sys

from her2het import single_sample as ss
from her2het import subtype
from her2het.io import read_table, sspmodel, write_table

sys.stderr = open(snakemake.log[0], "w")
inp, out = snakemake.input, snakemake.output
cfg = snakemake.params.single_sample
model, annotation = sspmodel.read_pair_model(inp.model, cfg["name"])
centroid = read_table(inp.centroid_calls, ids=["sample", "patient"])
meta = centroid[["sample", "patient", "timepoint", "group"]]
expr = sspmodel.read_expression_table(inp.expression).loc[meta["sample"]]
calls, method = ss.predict(expr, model, annotation, min_rules=float(cfg["min_rules"]))
samples, patients, transitions = ss.cohort_tables(calls, meta, model)
probs = [c for c in samples.columns if c.startswith("prob_")]
samples[probs] = samples[probs].round(6)
agreement = ss.agreement_table(samples, centroid)
for name, table in zip(
    ("samples", "patients", "transitions", "agreement"),
    (samples, patients, transitions, agreement),
    strict=True,
):
    write_table(table, out[name])
write_table(subtype.method_table(method), out.method)
if method["samples_few_rules"]:
    print(
        f"Warning: {method['samples_few_rules']} sample(s) have fewer than "
        f"{method['min_rules']} of the model's {method['rules']} rules measured "
        "(subtype.single_sample.min_rules): flagged few_rules",
        file=sys.stderr,
    )
print(f"single-sample predictor {model.source}:", file=sys.stderr)
print(subtype.method_table(method).to_string(index=False), file=sys.stderr)
print(agreement.to_string(index=False), file=sys.stderr)
