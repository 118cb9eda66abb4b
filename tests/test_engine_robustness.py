"""The engine never raises on user input: half-typed code, truncations, odd characters."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gradls.engine import check_source

FIXTURES = sorted(Path(__file__).resolve().parent.parent.joinpath("fixtures").glob("*/*.py"))


def _mutations(text: str, rng: random.Random, count: int):
    for _ in range(count):
        cut = rng.randrange(len(text) + 1)
        choice = rng.randrange(4)
        if choice == 0:
            yield text[:cut]
        elif choice == 1:
            yield text[:cut] + rng.choice(["(", ")", ":", ".", "\n    ", "'", "\x00", "é", "\t"]) + text[cut:]
        elif choice == 2:
            end = min(len(text), cut + rng.randrange(1, 40))
            yield text[:cut] + text[end:]
        else:
            lines = text.splitlines(keepends=True)
            rng.shuffle(lines)
            yield "".join(lines)


def test_mutated_fixtures_never_raise():
    rng = random.Random(20261123)
    checked = 0
    for path in FIXTURES[::3]:
        text = path.read_text()
        for variant in _mutations(text, rng, 6):
            findings = check_source(variant, str(path))  # GRADLS_STRICT makes rule bugs raise here
            syntax = [f for f in findings if f.code == "GRD000"]
            assert len(syntax) <= 1
            if syntax:
                assert syntax == findings, "a file that does not parse gets only its syntax diagnostic"
            checked += 1
    assert checked > 200


@pytest.mark.parametrize("text", ["", "\n", "import torch\n", "def f(:\n", "x = (\n", "\ufeffimport torch\nloss.backward()\n",
                                  "loss.backward()\n" * 3, "class A(nn.Module):\n    def forward(self, x):\n        return\n"])
def test_odd_inputs(text):
    findings = check_source(text, "odd.py")
    assert all(f.line >= 1 and f.column >= 1 for f in findings)


def test_syntax_error_is_one_clear_finding():
    (finding,) = check_source("import torch\nloss = model(x\nloss.backward()\n", "broken.py")
    assert finding.code == "GRD000" and finding.severity == "error"
    assert finding.message.startswith("syntax error:")
    assert finding.line in (2, 3)


def test_deep_nesting_does_not_crash():
    text = "import torch\nloss = " + "(" * 90 + "x" + ")" * 90 + "\nloss.backward()\n"
    check_source(text, "deep.py")


def test_a_failing_setup_evaluation_keeps_the_rules_findings(monkeypatch, capsys):
    """A bug in the setup evaluation of root causes (`setup_findings`) must not take the CLI down
    or cost the file's other findings: it is said on stderr, as a rule's own failure is."""
    import gradls.engine as engine

    def broken(context, settings):
        raise ValueError("boom")

    monkeypatch.delenv("GRADLS_STRICT", raising=False)
    monkeypatch.setattr(engine, "setup_findings", broken)
    text = ("import torch\nmodel = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
            "loss = model(torch.randn(3, 2)).detach().sum()\nloss.backward()\n")
    findings = check_source(text, "train.py", resolver=_NoFiles())
    assert [f.code for f in findings] == ["GRD101"]
    assert "internal error in the setup evaluation on train.py: ValueError('boom')" in capsys.readouterr().err


class _NoFiles:
    """A resolver that knows no other file (what a lone script sees)."""

    def resolve(self, qualified, importer):
        return None
