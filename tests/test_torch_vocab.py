"""The committed torch vocabulary (gradls/analysis/torch_vocab.py) is what the installed torch generates."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_torch_vocab.py"


def _vocab():
    from gradls.analysis import torch_vocab

    return torch_vocab


@pytest.mark.skipif(importlib.util.find_spec("torch") is None or importlib.util.find_spec("torchgen") is None,
                    reason="torch is not installed: the generated vocabulary cannot be regenerated here")
def test_committed_vocabulary_matches_generator():
    import torch

    vocab = _vocab()
    if torch.__version__.split("+")[0] != vocab.TORCH_VERSION:
        pytest.skip(f"vocabulary generated from torch {vocab.TORCH_VERSION}, installed {torch.__version__}")
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_vocabulary_facts_the_engine_relies_on():
    vocab = _vocab()
    # integer results and zero derivatives
    assert {"argmax", "argsort", "gt", "histc", "bucketize", "round", "sign"} <= vocab.NONDIFF_OPS
    assert "torch.histc" in vocab.NONDIFF_FUNCTIONS and "torch.where" not in vocab.NONDIFF_FUNCTIONS
    # values of max(dim)/topk/sort carry gradient, their indices do not
    assert vocab.INDEX_OUTPUTS["max"] == (1,) and vocab.INDEX_OUTPUTS["topk"] == (1,)
    assert vocab.INDEX_FIELDS["topk"] == ("indices",)
    assert "max" in vocab.INDEX_OUTPUTS_NEED_DIM and "topk" not in vocab.INDEX_OUTPUTS_NEED_DIM
    # backward reads the output of sigmoid/exp, and the input of mm/log
    assert {"sigmoid", "exp", "tanh"} <= vocab.SAVES_OUTPUT_OPS
    assert {"mm", "log"} <= vocab.SAVES_INPUT_OPS
    assert vocab.INPLACE_VARIANTS["mul_"] == "mul"


def test_checker_does_not_import_torch():
    code = ("import sys; import gradls.analysis.names, gradls.analysis.calls, gradls.analysis.torch_vocab; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
