"""The shadow pass: run code under instrumentation and confirm or refute findings.

One warm worker serves the whole module (each run is a forked child of it), so a run
costs ~0.1 s after the worker's one-time torch import.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from gradls.model import Finding, Span
from gradls.shadow.client import ShadowClient, confirm
from gradls.shadow.compare import compare, watch_for

CASES = Path(__file__).with_name("shadow_cases")


def finding(code: str, line: int, col: int = 1, path: str = "x.py") -> Finding:
    return Finding(code=code, message=f"{code} here", span=Span(line, col, line, col + 5),
                   severity="warning", path=path)


@pytest.fixture(scope="module")
def client():
    c = ShadowClient(memory_mb=1024)
    c.start()
    yield c
    c.close()


def run_case(client, name: str, findings=None, function=None, timeout=20.0, **kw):
    path = CASES / name
    return confirm(str(path), function=function, findings=findings or [], client=client,
                   timeout=timeout, **kw)


def statuses(report) -> dict:
    return {(f.code, f.span.line): s["status"] for f, s in report.items}


# --- verdicts on small scripts ------------------------------------------------------------


def test_real_detach_is_confirmed_with_parameter_evidence(client):
    report = run_case(client, "detach_real.py", [finding("GRD101", 11)])
    (f, shadow), = report.items
    assert shadow["status"] == "confirmed"
    assert "`0.weight`.grad is None" in shadow["evidence"]
    assert "line 15" in shadow["evidence"]  # the backward
    assert report.outcome == "backward"
    data = report.to_json()
    assert data["params_without_grad"] == ["0.weight", "0.bias"]
    assert data["findings"][0]["shadow"]["status"] == "confirmed"
    # the run went on past the optimizer step to the next iteration's backward
    obs = report.result["observation"]
    assert obs["stop_reason"] == "the backward after the optimizer step ran"
    assert obs["steps"][0]["changed"] == 2 and obs["steps"][0]["unchanged"] == ["0.weight", "0.bias"]
    assert obs["lines"]["11"] == 2 and obs["lines"]["16"] == 1
    training = obs["training"]
    assert training["backward_calls"] == 2 and training["steps_after_backward"] == 1
    assert sorted(p["name"] for p in training["problems"]) == ["0.bias", "0.weight"]
    assert all(p["grad"] == "none" and p["unchanged"] for p in training["problems"])


def test_logging_detach_is_refuted(client):
    report = run_case(client, "detach_logging.py",
                      [finding("GRD101", 20), finding("GRD102", 24), finding("GRD101", 14)])
    got = statuses(report)
    assert got[("GRD101", 20)] == "refuted"
    assert got[("GRD102", 24)] == "refuted"  # loss.item() after the step, before the loop back-edge
    assert got[("GRD101", 14)] == "not_reached"  # a helper never called
    ev = {f.span.line: s["evidence"] for f, s in report.items}
    assert "does not reach the loss" in ev[20] and "every parameter received gradient" in ev[20]
    assert not [s for _, s in report.items if s["status"] == "runtime_only"]


def test_runtime_only_cut_when_static_pass_is_silent(client):
    report = run_case(client, "detach_real.py", [])
    (f, shadow), = report.items
    assert shadow["status"] == "runtime_only" and f.code == "GRD101" and f.span.line == 11
    assert f.severity == "warning"
    assert f.span.column == report_col("detach_real.py", 11, "detach")


def report_col(name, line, word):
    return (CASES / name).read_text().splitlines()[line - 1].index(word) + 1


def test_no_grad_block_is_confirmed_through_the_with_statement(client):
    report = run_case(client, "no_grad_encoder.py", [finding("GRD106", 9)])
    (f, shadow), = report.items
    assert shadow["status"] == "confirmed"
    assert "encoder.0.weight" in shadow["evidence"]


def test_argmax_then_float_loss_raises_at_backward(client):
    report = run_case(client, "argmax_loss.py", [finding("GRD105", 5)])
    (f, shadow), = report.items
    assert shadow["status"] == "confirmed"
    assert "does not require grad" in shadow["evidence"]
    assert report.outcome == "backward_error"


def test_argmax_crash_is_traced_to_the_cut(client):
    report = run_case(client, "argmax_crash.py", [])
    (f, shadow), = report.items
    assert shadow["status"] == "runtime_only" and f.code == "GRD105" and f.line == 4
    assert "made `mean` fail at line 5" in shadow["evidence"]
    assert report.outcome == "exception"


def test_numpy_round_trip_is_found_even_through_numpy_math(client):
    report = run_case(client, "numpy_roundtrip.py", [])
    (f, shadow), = report.items
    assert f.code == "GRD102" and f.line == 9
    assert "`weight`.grad is None" in shadow["evidence"]


def test_nonleaf_parameter_watch(client):
    findings = [finding("GRD107", 3), finding("GRD107", 4)]
    source = (CASES / "nonleaf_param.py").read_text()
    assert watch_for(findings, source) == {"3": {"names": ["w"], "end": 3}, "4": {"names": ["v"], "end": 4}}
    got = statuses(run_case(client, "nonleaf_param.py", findings))
    assert got == {("GRD107", 3): "confirmed", ("GRD107", 4): "refuted"}


def test_loss_accumulation_watch(client):
    report = run_case(client, "accumulate.py", [finding("GRD112", 14), finding("GRD112", 15)])
    got = statuses(report)
    assert got == {("GRD112", 14): "confirmed", ("GRD112", 15): "refuted"}


def test_leaf_inplace_and_nonscalar_backward(client):
    assert statuses(run_case(client, "leaf_inplace.py", [finding("GRD108", 4)])) == {
        ("GRD108", 4): "confirmed"}
    report = run_case(client, "leaf_inplace.py", [])
    assert [(f.code, s["status"]) for f, s in report.items] == [("GRD108", "runtime_only")]
    assert statuses(run_case(client, "nonscalar.py", [finding("GRD113", 5)])) == {
        ("GRD113", 5): "confirmed"}


def test_optimizer_over_the_wrong_parameters(client):
    report = run_case(client, "wrong_optimizer.py", [finding("GRD110", 7)])
    (f, shadow), = report.items
    assert shadow["status"] == "confirmed"
    assert "`model.weight`, `model.bias` got gradient but no optimizer steps them" in shadow["evidence"] or \
        "changed none of its 2 parameters" in shadow["evidence"], shadow["evidence"]


def test_rule_without_runtime_check_is_unverified(client):
    report = run_case(client, "detach_real.py", [finding("GRD111", 13)])
    assert statuses(report)[("GRD111", 13)] == "unverified"


# --- function mode ----------------------------------------------------------------------------


def test_function_mode_runs_only_the_function(client):
    report = run_case(client, "function_case.py", [finding("GRD101", 11)], function="train_step")
    assert statuses(report) == {("GRD101", 11): "confirmed"}
    assert "encoder.weight" in report.items[0][1]["evidence"]


def test_function_returning_a_loss_gets_backward_from_the_worker(client):
    report = run_case(client, "function_case.py", [finding("GRD101", 11)], function="make_loss")
    assert statuses(report) == {("GRD101", 11): "confirmed"}
    assert "worker called backward" in report.result["message"]


def test_function_mode_errors(client):
    report = run_case(client, "function_case.py", [], function="missing")
    assert report.outcome == "not_found" and "no function 'missing'" in report.result["message"]
    report = run_case(client, "function_case.py", [], function="takes_args")
    assert report.outcome == "exception" and "missing 1 required positional" in report.result["message"]


# --- safety: never a hang, clear reports ------------------------------------------------------


def test_timeout_kills_an_infinite_loop(client):
    start = time.monotonic()
    # the line comes from the line tracer or, when that recorded nothing (seen on a loaded CI
    # machine), from the Python stack the child dumps just before the timeout
    report = run_case(client, "infinite_loop.py", [finding("GRD101", 3)], timeout=5.0)
    assert time.monotonic() - start < 30
    assert report.outcome == "timeout"
    message = report.result["message"]
    assert "at line 6" in message or "at line 5" in message, (message, report.result.get("stack"))
    assert statuses(report) == {("GRD101", 3): "not_reached"}
    # the warm worker survives a timed-out run
    assert client.ping()["ok"]


def test_exception_before_backward(client):
    report = run_case(client, "crash.py", [finding("GRD101", 12)])
    assert report.outcome == "exception"
    assert report.result["error"]["line"] == 8
    assert "ValueError: dataset not found" in report.result["message"]
    assert statuses(report) == {("GRD101", 12): "not_reached"}


def test_sys_exit_before_backward(client):
    report = run_case(client, "sys_exit.py", [])
    assert report.outcome == "exit"
    assert "sys.exit(3)" in report.result["message"] and "line 7" in report.result["message"]


def test_no_backward_reached(client):
    report = run_case(client, "no_backward.py", [])
    assert report.outcome == "finished_without_backward"
    assert "torch.Size([4, 1])" in report.result["output_tail"]


def test_memory_limit(client):
    report = run_case(client, "memory_hog.py", [], memory_mb=512, timeout=30)
    assert report.outcome in ("memory", "killed"), report.result["message"]


def test_threads_do_not_keep_the_run_alive(client):
    start = time.monotonic()
    report = run_case(client, "threads.py", [])
    assert time.monotonic() - start < 10
    assert report.outcome == "backward"
    assert any("thread" in n for n in report.result["observation"]["notes"])


def test_subprocesses_are_killed(client):
    report = run_case(client, "subprocess_case.py", [])
    assert report.outcome == "backward"
    pid = int(report.result["output_tail"].split("CHILD_PID")[1].split()[0])
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"subprocess {pid} still alive")
    assert any("process" in n for n in report.result.get("notes", []))


def test_nothing_is_written_into_the_users_tree(client, tmp_path):
    for name in ("writes_files.py", "helper_module.py"):
        shutil.copy(CASES / name, tmp_path / name)
    before = sorted(p.name for p in tmp_path.iterdir())
    report = confirm(str(tmp_path / "writes_files.py"), findings=[], client=client, timeout=20)
    assert report.outcome == "backward", report.result["message"]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_source_is_sent_when_the_file_differs_on_the_worker(client, tmp_path):
    # what happens with a remote worker: the path does not exist there
    source = (CASES / "detach_real.py").read_text()
    report = confirm(str(tmp_path / "not_on_disk.py"), source=source, findings=[finding("GRD101", 11)],
                     client=client, timeout=20)
    assert statuses(report) == {("GRD101", 11): "confirmed"}
    assert any("temporary copy" in n for n in report.to_json()["notes"])


def test_worker_through_a_shell_command(tmp_path):
    with ShadowClient(worker="exec python -m gradls.shadow.worker", memory_mb=1024) as c:
        report = confirm(str(CASES / "detach_real.py"), findings=[finding("GRD101", 11)],
                         client=c, timeout=20)
    assert statuses(report) == {("GRD101", 11): "confirmed"}


def test_a_worker_that_cannot_start_is_reported():
    c = ShadowClient(worker="exit 7", startup_timeout=10)
    result = c.run(str(CASES / "detach_real.py"))
    assert result["outcome"] == "error" and "did not start" in result["message"]


def test_a_silent_worker_times_out():
    c = ShadowClient(worker="sleep 600", startup_timeout=1.5)
    start = time.monotonic()
    result = c.run(str(CASES / "detach_real.py"))
    assert time.monotonic() - start < 8
    assert result["outcome"] == "error" and "no answer" in result["message"]
    assert not c.alive()


def test_worker_protocol_directly():
    import subprocess
    import sys

    lines = [json.dumps({"id": 7, "op": "ping"}), "not json", json.dumps({"id": 8, "op": "bogus"}),
             json.dumps({"id": 9, "op": "shutdown"})]
    proc = subprocess.run([sys.executable, "-m", "gradls.shadow.worker"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=120)
    replies = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["id"] for r in replies] == [7, None, 8, 9]
    assert replies[0]["ok"] and replies[0]["torch"]
    assert not replies[1]["ok"] and not replies[2]["ok"]


# --- comparison logic alone (no run) -----------------------------------------------------------


def test_compare_without_observation_marks_everything_not_reached():
    report = compare([finding("GRD101", 2)], {"outcome": "timeout", "message": "still running after 1 s",
                                              "observation": None}, "x = 1\ny = 2\n", "x.py")
    assert statuses(report) == {("GRD101", 2): "not_reached"}
    assert "still running" in report.items[0][1]["evidence"]


# --- GPU ---------------------------------------------------------------------------------------


def _cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


@pytest.mark.skipif(not _cuda_available(), reason="CUDA not available")
def test_gpu_run_uses_the_default_device_and_handles_numpy(client):
    report = run_case(client, "gpu_case.py", [], device="cuda")
    assert report.result["device"] == "cuda"
    assert report.outcome == "backward", report.result["message"]
    assert "device cuda" in report.result["output_tail"]
    report = run_case(client, "detach_real.py", [finding("GRD101", 11)], device="cuda")
    assert statuses(report) == {("GRD101", 11): "confirmed"}


def test_loss_that_ignores_its_target(client):
    report = run_case(client, "loss_target.py", [finding("GRD111", 11), finding("GRD111", 16)])
    got = statuses(report)
    assert got[("GRD111", 11)] == "confirmed"
    assert got[("GRD111", 16)] == "refuted"  # cross_entropy reads the integer target
    ev = {f.span.line: s["evidence"] for f, s in report.items}
    assert "does not depend on `target`" in ev[11]
    # torch.Tensor([...]) of grad tensors: a partial cut the run saw, but every trained
    # tensor still gets gradient by another path: no problem, so no finding
    assert not [(f, s) for f, s in report.items if s["status"] == "runtime_only"]
    assert any(b["line"] == 21 and b["code"] == "GRD103" for b in report.result["observation"]["breaks"])


def test_the_line_of_a_timeout_is_read_from_the_dumped_stack(tmp_path):
    from gradls.shadow.worker import _line_in_stack

    script = tmp_path / "train.py"
    script.write_text("while True:\n    pass\n")
    stack = tmp_path / "stack.txt"
    stack.write_text(
        "Timeout (0:00:04)!\nThread 0x00007f (most recent call first):\n"
        '  File "/usr/lib/python3.11/selectors.py", line 415 in select\n'
        f'  File "{script}", line 2 in <module>\n'
        '  File "<frozen runpy>", line 88 in _run_code\n')
    assert _line_in_stack(str(stack), {"path": str(script)}, str(tmp_path / "run")) == 2
    assert _line_in_stack(str(stack), {"path": str(tmp_path / "other.py")}, str(tmp_path / "run")) is None
    assert _line_in_stack(str(tmp_path / "missing.txt"), {"path": str(script)}, str(tmp_path)) is None


def test_an_unsaved_script_imports_the_modules_of_its_folder(tmp_path):
    """The worker runs an unsaved buffer from a temporary copy; `import models` next to the
    file must still load the project's module (and nothing is written into the project)."""
    (tmp_path / "models.py").write_text(
        "import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(4, 1)\n\n"
        "    def forward(self, x):\n        return self.fc(x).detach()\n")
    script = tmp_path / "train.py"
    script.write_text("print('the saved version')\n")
    unsaved = ("import torch\nfrom models import Net\n\nmodel = Net()\n"
               "loss = model(torch.randn(2, 4)).sum()\nloss.backward()\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    report = confirm(str(script), source=unsaved, findings=[], device="cpu", timeout=60)
    assert "ModuleNotFoundError" not in str(report.result), report.result
    assert "does not require grad" in str(report.result), report.result  # the detach in models.py ran
    assert sorted(p.name for p in tmp_path.iterdir()) == before
