"""Every fixture through the shadow pass (static findings from gradls.engine).

A positive fixture (its label comes from executing it) must get at least one confirmed
finding or one cut/raise seen only at run time; a negative fixture must get no confirmed
finding. One warm worker runs them all, a forked child per fixture.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from gradls.shadow.client import ShadowClient, confirm

_spec = importlib.util.spec_from_file_location(
    "execution_label", Path(__file__).with_name("execution_label.py"))
execution_label = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("execution_label", execution_label)
_spec.loader.exec_module(execution_label)

FIXTURES = [p for p in execution_label.all_fixtures()
            if execution_label.parse_header(p.read_text()).get("label") in ("positive", "negative")]


@pytest.fixture(scope="module")
def client():
    c = ShadowClient(memory_mb=2048)
    c.start()
    yield c
    c.close()


@pytest.mark.skipif(not FIXTURES, reason="no labelled fixtures yet")
@pytest.mark.parametrize("path", FIXTURES, ids=execution_label.fixture_id)
def test_fixture_shadow_verdict(path: Path, client):
    label = execution_label.parse_header(path.read_text())["label"]
    report = confirm(str(path), client=client, timeout=30)
    assert report.outcome not in ("timeout", "error", "crashed", "killed"), report.result.get("message")
    summary = [(f.code, f.span.line, s["status"], s["evidence"]) for f, s in report.items]
    confirmed = [s for s in summary if s[2] == "confirmed"]
    runtime = [s for s in summary if s[2] == "runtime_only"]
    if label == "positive":
        assert confirmed or runtime, (report.result.get("message"), summary)
    else:
        assert not confirmed, summary
