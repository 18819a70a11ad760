#!/usr/bin/env bash
# Install the command-line tools named on the command line, from the distribution's registry.
#   salmon:   RNA-seq quantifier for the FASTQ entry point and the embedded demo (make run).
#   chromium: headless browser; the test suite opens the HTML report in it (make test only).
# Usage: bash envs/install-system-tools.sh salmon [chromium]
# As root (or with passwordless sudo) on Debian/Ubuntu the packages are installed with apt-get.
# Without root, install them into a conda environment instead: conda env create -f envs/salmon.yaml
# and put its bin/ on PATH (or run snakemake with --software-deployment-method conda).
set -euo pipefail
TOOLS=("$@")
[ ${#TOOLS[@]} -gt 0 ] || TOOLS=(salmon)
missing=()
for t in "${TOOLS[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system tools present: ${TOOLS[*]}"
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" != none ]; then
    echo "installing with apt-get: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
    exit 0
  fi
fi
echo "WARNING: missing system tools: ${missing[*]} (no root/apt-get here)." >&2
echo "  Install them with conda: conda env create -f envs/salmon.yaml, then add its bin/ to PATH," >&2
echo "  or run snakemake with --software-deployment-method conda. The demo and the FASTQ entry" >&2
echo "  need salmon (the count-matrix and GEO entries do not); only the tests need chromium." >&2
