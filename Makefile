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

.PHONY: run test setup system-tools lint report clean

run: setup
	$(BIN)/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed system-tools

$(VENV)/.installed: pyproject.toml envs/requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r envs/requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

system-tools:
	bash envs/install-system-tools.sh

lint: setup
	$(BIN)/ruff check src tests workflow/scripts
	$(BIN)/ruff format --check src tests workflow/scripts
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

report: setup
	$(BIN)/snakemake --cores $(CORES) --report results/report.html $(SNAKEMAKE_ARGS)

clean:
	rm -rf results/cohort results/demo results/figures results/logs .snakemake
