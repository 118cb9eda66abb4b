"""An analysis must be freed by reference counting the moment it is replaced or dropped.

A reference cycle inside an analysis (an event pointing back at the scope that lists it) makes
every replaced version garbage for the cyclic collector, holding its whole syntax tree; in the
language server that showed as a 50 ms collection pause every few documents. These tests drop
analyses of every fixture and require the collector to find nothing left behind.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from gradls.engine import DocumentChecker, check_source

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = sorted((ROOT / "fixtures").rglob("*.py"))


def _garbage_after(action) -> list:
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        action()
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_fixtures_exist():
    assert len(FIXTURES) > 100


@pytest.mark.parametrize("path", FIXTURES[::3], ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_a_dropped_document_leaves_no_cycles(path):
    text = path.read_text(encoding="utf-8")

    def edit_and_drop():
        checker = DocumentChecker(str(path))
        checker.check(text)
        checker.check(text + "\nv = 1\n")  # the first version's analysis is replaced here
        checker.check(text)

    garbage = _garbage_after(edit_and_drop)
    assert not garbage, sorted({type(o).__name__ for o in garbage})


def test_a_fresh_check_leaves_no_cycles():
    text = (ROOT / "fixtures" / "grd101").joinpath(sorted(p.name for p in (ROOT / "fixtures" / "grd101").glob("pos_*.py"))[0]).read_text()
    garbage = _garbage_after(lambda: check_source(text, "x.py"))
    assert not garbage, sorted({type(o).__name__ for o in garbage})


def test_the_collector_is_running_again_after_a_check():
    assert gc.isenabled()
    check_source("import torch\nloss = torch.zeros(1)\nloss.backward()\n", "x.py")
    assert gc.isenabled()


def test_a_project_check_gives_the_collector_back_running_and_unfrozen(tmp_path, capsys):
    from gradls import cli

    (tmp_path / "model.py").write_text("import torch.nn as nn\nnet = nn.Linear(2, 2)\n")
    (tmp_path / "train.py").write_text("import torch\nfrom model import net\nnet(torch.ones(2)).sum().backward()\n")
    assert gc.isenabled()
    cli.main(["check", str(tmp_path), "--no-cache", "--exit-zero"])
    capsys.readouterr()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
