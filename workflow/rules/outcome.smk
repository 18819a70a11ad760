# Response and outcome at patient level: the patient table, association tests, logistic models
# for pCR and survival models.


rule build_patient_table:
    """Patient table, one row per patient and timepoint: sheets, expression, scores, FISH."""
    input:
        unpack(patient_table_inputs),
        expression=out("expression/expression.h5ad"),
        scores=out("scores/scores.tsv"),
    output:
        table=report(
            out("outcome/patients.tsv"),
            caption="../report/outcome_patients.rst",
            category="7. Response and outcome",
        ),
    log:
        out("logs/build_patient_table.log"),
    benchmark:
        out("benchmarks/build_patient_table.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=lambda wc, input, attempt: max(1000, int(4 * input.size_mb)) * attempt,
        runtime=10,
    params:
        genes=config["outcome"]["genes"],
        score_method=config["outcome"]["score_method"],
    script:
        "../scripts/build_patient_table.py"


rule association_tests:
    """Patient-level association tests of pCR, HET and pre-post changes."""
    input:
        table=out("outcome/patients.tsv"),
        patients=sheet_inputs()["patients"],
    output:
        table=report(
            out("outcome/associations.tsv"),
            caption="../report/outcome_associations.rst",
            category="7. Response and outcome",
        ),
    log:
        out("logs/association_tests.log"),
    benchmark:
        out("benchmarks/association_tests.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        n_permutations=config["outcome"]["n_permutations"],
    script:
        "../scripts/association_tests.py"


rule logistic_models:
    """Logistic models for pCR, Firth-penalised under separation."""
    input:
        table=out("outcome/patients.tsv"),
    output:
        terms=report(
            out("outcome/logistic_terms.tsv"),
            caption="../report/outcome_logistic.rst",
            category="7. Response and outcome",
        ),
        models=out("outcome/logistic_models.tsv"),
    log:
        out("logs/logistic_models.log"),
    benchmark:
        out("benchmarks/logistic_models.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        logistic=config["outcome"]["logistic"],
    script:
        "../scripts/logistic_models.py"


rule survival_models:
    """Survival: Kaplan-Meier curves, log-rank tests and Cox models."""
    input:
        table=out("outcome/patients.tsv"),
    output:
        km_curves=out("outcome/km_curves.tsv"),
        km_at_risk=out("outcome/km_at_risk.tsv"),
        logrank=report(
            out("outcome/logrank.tsv"),
            caption="../report/outcome_logrank.rst",
            category="7. Response and outcome",
        ),
        cox_terms=report(
            out("outcome/cox_terms.tsv"),
            caption="../report/outcome_cox.rst",
            category="7. Response and outcome",
        ),
        cox_models=out("outcome/cox_models.tsv"),
    log:
        out("logs/survival_models.log"),
    benchmark:
        out("benchmarks/survival_models.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        survival=config["outcome"]["survival"],
    script:
        "../scripts/survival_models.py"


TARGETS += [
    rules.build_patient_table.output.table,
    rules.association_tests.output.table,
    rules.logistic_models.output.terms,
]
if config["outcome"]["survival"]["enabled"]:
    TARGETS += [rules.survival_models.output.cox_terms]
