"""The set-up's warm-up (``python -m her2het.precompile``) reaches every compiled kernel the DE
stage calls, so that no workflow job compiles one (docs/performance.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numba

from her2het import _nb_kernels, precompile

SRC = Path(__file__).resolve().parents[1] / "src" / "her2het"


def _entry_kernels() -> list[str]:
    """The kernels ``batched_inference`` calls by name (the others are called from these)."""
    text = (SRC / "batched_inference.py").read_text()
    names = sorted(set(re.findall(r"_nb_kernels\.(\w+)", text)))
    return [
        n for n in names if isinstance(getattr(_nb_kernels, n), numba.core.dispatcher.Dispatcher)
    ]


def test_a_fresh_process_has_no_kernel_compiled() -> None:
    """The control: without a call, a dispatcher holds no signature, so the check below can fail
    (it would, for a kernel that a new code path calls and the warm-up does not)."""
    names = _entry_kernels()
    code = (
        "from her2het import _nb_kernels as k; "
        f"print(sum(len(getattr(k, n).signatures) for n in {names!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_warm_up_compiles_every_kernel_the_de_stage_calls() -> None:
    names = _entry_kernels()
    assert {"nb_nll", "nb_dloss_sum", "dense_cox_reid", "apeglm_newton"} <= set(names)
    precompile.differential_expression()
    missing = [n for n in names if not getattr(_nb_kernels, n).signatures]
    assert not missing, f"kernels the warm-up does not reach: {missing}"


def test_warm_up_runs_the_firth_fits() -> None:
    from firthmodels._numba import cox, logistic

    precompile.firth_models()
    for module in (logistic, cox):
        compiled = [
            name
            for name, obj in vars(module).items()
            if isinstance(obj, numba.core.dispatcher.Dispatcher) and obj.signatures
        ]
        assert compiled, f"no Firth routine of {module.__name__} was compiled or loaded"
