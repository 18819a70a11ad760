# Power and design calculator (her2het.power): SIMULATED cohorts for a grid of designs, the
# workflow's tests on each, Monte-Carlo power with intervals, power curves. Needs no data:
# `snakemake power` runs it on its own.


rule power_simulation:
    """SIMULATED power study: Monte-Carlo power of the tests over a design grid."""
    output:
        table=report(
            out("power/power.tsv"),
            caption="../report/power_table.rst",
            category="9. Power and design",
        ),
        theory=report(
            out("power/theory.tsv"),
            caption="../report/power_theory.rst",
            category="9. Power and design",
        ),
    log:
        out("logs/power_simulation.log"),
    benchmark:
        out("benchmarks/power_simulation.tsv")
    conda:
        ENV_PYTHON
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        cfg=config["power"],
    script:
        "../scripts/power_simulation.py"


rule plot_power:
    """Figure: power curves per test, one line per HET prevalence."""
    input:
        table=out("power/power.tsv"),
    output:
        png=report(
            out("figures/power/power_curves.png"),
            caption="../report/power_curves.rst",
            category="9. Power and design",
        ),
        pdf=out("figures/power/power_curves.pdf"),
    log:
        out("logs/plot_power.log"),
    benchmark:
        out("benchmarks/plot_power.tsv")
    conda:
        ENV_PYTHON
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        dpi=config["report"]["figure_dpi"],
    script:
        "../scripts/plot_power.py"


rule power:
    """Target: the power and design calculator's tables and figure; needs no data."""
    default_target: False
    input:
        out("power/power.tsv"),
        out("power/theory.tsv"),
        out("figures/power/power_curves.png"),
        out("figures/power/power_curves.pdf"),
