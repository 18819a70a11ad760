#!/usr/bin/env bash
# Installs this repository's her2het package into a conda environment that Snakemake has just
# created from the env file of the same name (snakemake --software-deployment-method conda).
# Snakemake runs a copy of this script from .snakemake/conda/, inside the new environment
# (its python and pip first on PATH), with the run's working directory as current directory.
# So the checkout is found from there upwards (docs/cluster.md runs snakemake from the checkout);
# from another working directory (snakemake -d DIR) set HER2HET_SOURCE=/path/to/checkout.
# The install is editable and without dependencies (the env file pins them): the environment
# always runs the checkout's current src/, as the .venv does.
# envs/python.post-deploy.sh and envs/salmon.post-deploy.sh are identical (tests check it).
set -euo pipefail
src="${HER2HET_SOURCE:-}"
if [ -z "$src" ]; then
  dir="$PWD"
  while :; do
    if [ -f "$dir/pyproject.toml" ] && [ -f "$dir/src/her2het/__init__.py" ]; then
      src="$dir"
      break
    fi
    [ "$dir" = / ] && break
    dir="$(dirname "$dir")"
  done
fi
if [ -z "$src" ] || [ ! -f "$src/src/her2het/__init__.py" ]; then
  echo "her2het post-deploy: no her2het checkout in or above $PWD;" \
    "set HER2HET_SOURCE to the repository's directory" >&2
  exit 1
fi
python -m pip install --no-deps -e "$src"
