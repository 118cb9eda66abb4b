"""`if self.flag:` in a method goes one way when every object the script builds shares a literal flag."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gradls.analysis.constants import decide_test, instance_constants
from gradls.analysis.program import FileAnalysis
from gradls.analysis.source import SourceFile
from gradls.engine import DocumentChecker

ROOT = Path(__file__).resolve().parents[1]
POSITIVE = ROOT / "fixtures" / "grd101" / "pos_data_under_constant_flag.py"

CLASS = """
class Model:
    def __init__(self, flag=True, mode="a", scale=None):
        self.flag = flag
        self.mode = mode
        self.scale = scale
        self.fixed = 3
"""


def _constants(source: str) -> dict:
    tree = ast.parse(source)
    analysis = FileAnalysis.build(tree, SourceFile(source, "x.py"))
    return instance_constants(tree, analysis.classes["Model"])


def test_defaults_and_agreeing_literals_are_constants():
    got = _constants(CLASS + "a = Model()\nb = Model(True, mode='a')\n")
    assert got == {"flag": True, "mode": "a", "scale": None, "fixed": 3}


@pytest.mark.parametrize("builds", [
    "a = Model()\nb = Model(flag=False)\n",          # two objects disagree
    "a = Model(flag=cfg.flag)\n",                     # not a literal
    "a = Model(**options)\n",                         # unknown keywords
    "a = Model(*args)\n",                             # unknown positions
    "",                                               # never built here: a library class
])
def test_flag_is_unknown_when_objects_may_differ(builds):
    assert "flag" not in _constants(CLASS + builds)


def test_an_attribute_written_outside_init_is_not_constant():
    source = CLASS + "    def train_mode(self):\n        self.flag = False\n" + "a = Model()\n"
    assert "flag" not in _constants(source)


def test_a_subclass_in_the_file_makes_everything_unknown():
    assert _constants(CLASS + "class Child(Model):\n    pass\na = Model()\n") == {}


@pytest.mark.parametrize("test, expected", [
    ("self.flag", True), ("not self.flag", False), ("self.scale is None", True),
    ("self.scale is not None", False), ("self.mode == 'a'", True), ("self.mode != 'a'", False),
    ("self.other", None), ("self.flag and x", None), ("self.mode < 'b'", None),
])
def test_decide_test(test, expected):
    constants = {"flag": True, "mode": "a", "scale": None}
    assert decide_test(ast.parse(test, mode="eval").body, constants) is expected


def test_an_edit_of_the_construction_changes_the_finding_of_the_unchanged_method():
    """The editor's incremental path reuses forward's analysis only while the constants hold."""
    text = POSITIVE.read_text()
    checker = DocumentChecker(str(POSITIVE))
    assert [f.code for f in checker.check(text)] == ["GRD101"]
    edited = text.replace("model = Regressor()", "model = Regressor(export_numpy_ready=False)")
    assert edited != text
    assert [f.code for f in checker.check(edited)] == []
    assert [f.code for f in checker.check(text)] == ["GRD101"]


def test_decide_test_reads_parameters_bound_to_literals():
    names = {"cutoff": 0.5, "mode": None}
    assert decide_test(ast.parse("cutoff is not None", mode="eval").body, {}, names) is True
    assert decide_test(ast.parse("mode", mode="eval").body, {}, names) is False
    assert decide_test(ast.parse("other is None", mode="eval").body, {}, names) is None


def test_tested_parameters_include_those_passed_on():
    from gradls.analysis.constants import tested_parameters

    function = ast.parse("def f(p, t, cutoff=None, scale=1.0):\n"
                         "    q = helper(p, cutoff=cutoff)\n"
                         "    return q * scale if t is not None else q\n").body[0]
    assert tested_parameters(function, ["p", "t", "cutoff", "scale"]) == {"p", "t", "cutoff"}


SPECIALIZED = ROOT / "fixtures" / "grd105" / "pos_loss_option_thresholds_prediction.py"


def test_a_literal_passed_down_through_helpers_decides_their_branches_and_follows_edits():
    text = SPECIALIZED.read_text()
    checker = DocumentChecker(str(SPECIALIZED))
    assert [f.code for f in checker.check(text)] == ["GRD105"]
    soft = text.replace("OverlapLoss(hard=0.5)", "OverlapLoss()")
    assert soft != text
    assert [f.code for f in checker.check(soft)] == []
    assert [f.code for f in checker.check(text)] == ["GRD105"]
