"""The language server's incremental path must give exactly what a fresh analysis gives.

`DocumentChecker` re-parses only the edited top-level statements and replays the analysis of
functions whose inputs did not change; these tests drive it through random edit sequences
over every fixture and compare each version's findings with `check_source` on the same text.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from gradls.analysis.incremental import parse, reparse
from gradls.engine import DocumentChecker, check_source

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = sorted((ROOT / "fixtures").rglob("*.py"))

LINES = ["v = 1", "    v = 1", "", "# note", "        x = x.detach()", "    pass", "import numpy as np",
         "def helper(a):", "    return a.detach()", "model = nn.Linear(2, 2)", "opt.step()",
         "        loss.backward()", "    return model(x).detach()", "class Extra(nn.Module):"]
TAILS = [" ", "x", ".detach()", "  # hi", ".item()", "(", ")", ":"]


def mutate(rng: random.Random, source: str) -> str:
    lines = source.split("\n")
    k = rng.randrange(len(lines))
    operation = rng.choice(["insert", "delete", "append", "append"])
    if operation == "insert":
        lines.insert(k, rng.choice(LINES))
    elif operation == "delete" and len(lines) > 5:
        del lines[k]
    else:
        lines[k] += rng.choice(TAILS)
    return "\n".join(lines)


def generated_file(blocks: int = 20) -> str:
    parts = ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"]
    for i in range(blocks):
        cut = ".detach()" if i % 3 == 0 else ""
        parts.append(
            f"model_{i} = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))\n"
            f"opt_{i} = torch.optim.SGD(model_{i}.parameters(), lr=0.1)\n\n\n"
            f"def train_{i}(loader):\n"
            f"    for x, y in loader:\n"
            f"        opt_{i}.zero_grad()\n"
            f"        pred = model_{i}(x){cut}\n"
            f"        loss = F.mse_loss(pred, y)\n"
            f"        loss.backward()\n"
            f"        opt_{i}.step()\n\n\n")
    return "".join(parts)


def assert_same_as_fresh(path: str, source: str, steps: int, seed: int) -> None:
    rng = random.Random(seed)
    checker = DocumentChecker(path)
    for step in range(steps):
        if step:
            source = mutate(rng, source)
        assert checker.check(source) == check_source(source, path), f"{path}: step {step}\n{source}"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_random_edits_match_a_fresh_analysis(fixture):
    assert_same_as_fresh(str(fixture), fixture.read_text(), steps=12, seed=len(fixture.name))


def test_random_edits_of_a_long_file_match_a_fresh_analysis():
    assert_same_as_fresh("/project/train.py", generated_file(), steps=60, seed=3)


def test_reparse_gives_the_tree_a_full_parse_gives():
    rng = random.Random(11)
    source = generated_file()
    tree = parse(source)
    for _ in range(200):
        new = mutate(rng, source)
        try:
            expected = ast.dump(parse(new), include_attributes=True)
        except SyntaxError:
            with pytest.raises(SyntaxError):
                reparse(source, tree, new)
            continue
        tree = reparse(source, tree, new)
        assert ast.dump(tree, include_attributes=True) == expected
        source = new


def test_an_edit_inside_one_function_reuses_the_others():
    source = generated_file(blocks=20)
    checker = DocumentChecker("/project/train.py")
    first = checker.check(source)
    assert checker.reused == 0
    edited = source.replace("        loss = F.mse_loss(pred, y)\n", "        loss = F.mse_loss(pred, y)\n        v = 1\n", 1)
    second = checker.check(edited)
    assert checker.reused == 20  # the module scope and every train_i but the edited train_0
    assert [(f.code, f.line) for f in second] == [(f.code, f.line + (f.line > 14)) for f in first]


def test_a_callee_edited_to_detach_reaches_its_unchanged_caller():
    source = ("import torch\nimport torch.nn as nn\n\nmodel = nn.Linear(2, 1)\n"
              "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n\n\n"
              "def features(x):\n    return model(x)\n\n\n"
              "def train(x, y):\n    opt.zero_grad()\n    loss = ((features(x) - y) ** 2).mean()\n"
              "    loss.backward()\n    opt.step()\n")
    checker = DocumentChecker("/project/train.py")
    assert checker.check(source) == []
    broken = source.replace("return model(x)", "return model(x).detach()")
    assert [f.code for f in checker.check(broken)] == [f.code for f in check_source(broken, "/project/train.py")]
    assert [f.code for f in checker.check(broken)] != []


def test_the_servers_pool_remembers_a_closed_documents_findings(monkeypatch):
    from gradls.config import Settings
    from gradls.server.checkers import CheckerPool

    pool = CheckerPool()
    source = generated_file(blocks=3)
    first = pool.check(source, "/project/train.py", Settings())
    pool.close("/project/train.py")
    calls = []
    monkeypatch.setattr("gradls.engine.DocumentChecker.check", lambda *a, **k: calls.append(a) or [])
    assert pool.check(source, "/project/train.py", Settings()) == first  # reopened unchanged
    assert calls == []
    changed = source.replace("lr=0.1", "lr=0.2", 1)
    assert pool.check(changed, "/project/train.py", Settings()) == []  # analysed (by the stub)
    assert len(calls) == 1


def test_an_option_default_edited_at_top_level_reaches_the_unchanged_function_reading_it():
    path = ROOT / "fixtures" / "grd102" / "neg_loss_picked_by_an_option_default.py"
    source = path.read_text()
    checker = DocumentChecker(str(path))
    assert checker.check(source) == []
    picked = source.replace('default="squared"', 'default="smooth_gap"')
    assert [f.code for f in checker.check(picked)] == ["GRD102"]
    assert [f.code for f in checker.check(source)] == []


HOOKED = """import torch
import torch.nn as nn


class Store:
    def __init__(self, layer):
        self.feats = None
        layer.register_forward_hook(self.keep)

    def keep(self, module, inputs, output):
        self.feats = output.detach()


def train(x, y):
    model = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
    head = nn.Linear(4, 1)
    store = Store(model)
    optimizer = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.1)
    model(x)
    loss = ((head(store.feats) - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_an_edited_forward_hook_reaches_the_unchanged_function_that_runs_it():
    checker = DocumentChecker("/project/train.py")
    assert [f.code for f in checker.check(HOOKED)] == ["GRD101"]
    kept = HOOKED.replace("output.detach()", "output")
    assert checker.check(kept) == check_source(kept, "/project/train.py") == []
    assert checker.reused  # `train` itself was not interpreted again: its reads decided
    assert [f.code for f in checker.check(HOOKED)] == ["GRD101"]
