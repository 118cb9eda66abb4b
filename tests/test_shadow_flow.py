"""The per-tensor gradient flow of a shadow run (`flow` in `gradls confirm --output-format json`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).with_name("shadow_cases")
KEYS = {"name", "module", "shape", "held_by_optimizer", "requires_grad", "grad", "grad_norm",
        "changed_by_step", "cut_line", "cut_reason"}


@pytest.fixture(scope="module")
def flow():
    p = subprocess.run([sys.executable, "-m", "gradls", "confirm", "--device", "cpu",
                        "--output-format", "json", str(CASES / "flow_states.py")],
                       capture_output=True, text=True, timeout=300)
    data = json.loads(p.stdout)
    assert data["outcome"] == "backward", data
    return data


def by_name(data):
    return {e["name"]: e for e in data["flow"]}


def test_every_entry_has_the_documented_keys(flow):
    assert flow["flow"]
    for e in flow["flow"]:
        assert set(e) == KEYS, e
        assert e["grad"] in ("none", "zero", "tiny", "normal")


def test_detached_layer_has_no_gradient_and_names_the_detach(flow):
    got = by_name(flow)
    for name in ("frozen_in.weight", "frozen_in.bias"):
        e = got[f"model.{name}"]
        assert e["module"] == "model.frozen_in" and e["held_by_optimizer"] and e["requires_grad"]
        assert e["grad"] == "none" and e["grad_norm"] is None
        assert e["changed_by_step"] is False
        assert e["cut_line"] == 19 and "detach" in e["cut_reason"]  # h = self.frozen_in(x).detach()


def test_trained_layer_is_normal_and_changes(flow):
    got = by_name(flow)
    for name in ("model.body.weight", "model.head.weight", "model.head.bias"):
        e = got[name]
        assert e["grad"] == "normal" and e["grad_norm"] > 1e-4, e
        assert e["changed_by_step"] is True and e["cut_line"] is None
    assert got["model.body.weight"]["shape"] == [8, 8]


def test_zero_and_tiny_gradients(flow):
    got = by_name(flow)
    # round() has a zero gradient everywhere: the layer before it gets all-zero gradients
    e = got["model.rounded.weight"]
    assert e["grad"] == "zero" and e["grad_norm"] == 0.0 and e["changed_by_step"] is False
    assert e["cut_line"] == 21 and "round" in e["cut_reason"]
    # scaled by 1e-30: a gradient that exists but is negligible next to the weight
    e = got["model.faint.bias"]
    assert e["grad"] == "tiny" and 0 < e["grad_norm"] < 1e-20, e


def test_frozen_copy_is_not_held_and_not_trained(flow):
    got = by_name(flow)
    e = got["target.body.weight"]  # a deep copy, frozen: followed, not trained
    assert e["module"] == "target.body"
    assert e["held_by_optimizer"] is False and e["requires_grad"] is False
    assert e["grad"] == "none" and e["changed_by_step"] is None and e["cut_line"] is None
