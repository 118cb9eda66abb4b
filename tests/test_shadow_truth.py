"""The shadow pass's verdict is the execution truth: a problem is a tensor an optimizer holds
that gets no (or only zero) gradient or does not change at the step, or an error torch
raised. Correct idioms whose runs show no such problem (checked here through the run's own
per-tensor flow) must get no claim."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradls.shadow.client import ShadowClient, confirm

CASES = Path(__file__).with_name("shadow_cases")
CLAIMS = ("confirmed", "runtime_only")


@pytest.fixture(scope="module")
def client():
    c = ShadowClient(memory_mb=1024)
    c.start()
    yield c
    c.close()


def run(client, name):
    report = confirm(str(CASES / name), client=client, timeout=30, device="cpu")
    assert report.outcome == "backward", report.result.get("message")
    return report


def claims(report):
    return [(f.code, f.span.line, s["status"], s["evidence"]) for f, s in report.items
            if s["status"] in CLAIMS]


@pytest.mark.parametrize("name", ["warmup_from_zero.py", "partial_freeze_rows.py"])
def test_correct_idioms_get_no_claim(client, name):
    report = run(client, name)
    held = [e for e in report.flow if e["held_by_optimizer"]]
    assert held
    # the run itself shows every trained tensor gets gradient and changes (the label) ...
    assert all(e["grad"] == "normal" and e["changed_by_step"] for e in held), report.flow
    # ... so the shadow pass claims nothing
    assert claims(report) == []


def test_a_deep_copy_is_no_cut(client):
    # `target = copy.deepcopy(model)` reads `.data` of every parameter: no gradient cut
    report = run(client, "flow_states.py")
    lines = {line for _, line, _, _ in claims(report)}
    assert 26 not in lines, claims(report)
    assert 19 in lines  # the real detach of the same run is still seen


def test_an_error_after_the_first_step_is_a_claim(client):
    # labelled by running it plainly: the second iteration's backward raises
    import subprocess
    import sys
    plain = subprocess.run([sys.executable, str(CASES / "backward_twice.py")], capture_output=True,
                           text=True, timeout=120)
    assert plain.returncode != 0 and "second time" in plain.stderr
    report = run(client, "backward_twice.py")
    got = claims(report)
    assert [(code, line) for code, line, _, _ in got] == [("GRD112", 10)], got
    assert "second time" in got[0][3]
