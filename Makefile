# Two commands do everything on a fresh machine:
#   make run    create .venv, install the pinned Python stack, the package and the system tools,
#               then run the workflow on the embedded (simulated) demo cohort
#   make test   same set-up, then the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
SNAKEMAKE_ARGS ?=
PYTEST_ARGS ?=
# make validate VALIDATE_ARGS="--cohorts 20 --replicates 200" for a quick run
VALIDATE_ARGS ?=
# make bench BENCH_ARGS="--scales paper" for the paper scale only
BENCH_ARGS ?=

.PHONY: run test setup test-tools system-tools lint report clean validate bench unlock notebooks docs

run: setup
	$(BIN)/snakemake --cores $(CORES) --rerun-incomplete $(SNAKEMAKE_ARGS)

# After a killed run (SIGKILL, OOM killer, power loss): remove Snakemake's stale lock.
# Only when no other Snakemake is running in this directory.
unlock: setup
	$(BIN)/snakemake --unlock

test: setup test-tools
	$(BIN)/pytest $(PYTEST_ARGS)

# Notebooks for exploring a run's results/: JupyterLab (the optional `notebooks` extra of
# pyproject.toml, installed on first use; not part of run or test), opened on notebooks/
notebooks: setup
	$(BIN)/jupyter-lab --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet "jupyterlab>=4"
	$(BIN)/jupyter-lab notebooks/

setup: $(VENV)/.installed $(VENV)/.precompiled system-tools

$(VENV)/.installed: pyproject.toml envs/requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r envs/requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# numba kernels (her2het's dispersion/shrinkage sums, firthmodels' Firth fits) compiled once
# here and cached on disk, so that no workflow job spends its first seconds compiling
$(VENV)/.precompiled: $(VENV)/.installed src/her2het/_nb_kernels.py src/her2het/precompile.py
	$(BIN)/python -m her2het.precompile
	touch $@

system-tools:
	bash envs/install-system-tools.sh salmon

# chromium: the report test opens the Snakemake report in a real headless browser
test-tools:
	bash envs/install-system-tools.sh salmon chromium

lint: setup
	$(BIN)/ruff check src tests workflow/scripts
	$(BIN)/ruff format --check src tests workflow/scripts
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

# Type-I error of DE, association tests and models on SIMULATED null cohorts (full size:
# 200 null DE cohorts of the small design, 1000 null patient tables); writes results/validation/.
validate: setup
	$(BIN)/python -m her2het.calibration --cohorts 200 --replicates 1000 --size small --seed 1 --out results/validation $(VALIDATE_ARGS)

# Wall time, CPU and peak memory per stage, from the count-matrix entry at paper scale and 10x
# (SIMULATED, 20,000 genes); writes results/bench/workflow_*.tsv. Quantification separately:
# $(BIN)/python benchmarks/quant_benchmark.py
# make bench BENCH_ARGS="--r-reference --scales": only the DE fit + test per design against R
# DESeq2 (results/bench/de_vs_r.tsv); needs R with DESeq2, which the set-up never installs
bench: setup
	$(BIN)/python benchmarks/workflow_benchmark.py --cores 2 $(BENCH_ARGS)

# config/README.md (every config key) from workflow/schemas/config.schema.yaml; tests/test_docs.py
# fails when the committed file differs from what this writes
docs: setup
	$(BIN)/python -m her2het.configdoc > config/README.md

report: setup
	$(BIN)/snakemake --cores $(CORES) --report results/report.html $(SNAKEMAKE_ARGS)

clean:
	rm -rf results/cohort results/demo results/figures results/logs .snakemake
