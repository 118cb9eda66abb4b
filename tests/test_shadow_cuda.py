"""CUDA and the fork-per-run worker.

The warm worker forks a child per run; CUDA cannot be used in a child forked after the
parent initialised the driver (every CUDA op fails with "initialization error"). These
tests run on CPU-only machines: they record calls of torch's CUDA initialisation entry
points in the worker and fail when the forking parent makes one during a run with
``--device auto``. The tests that need a GPU skip, with the reason, where there is none.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from gradls.model import Finding, Span
from gradls.shadow.client import ShadowClient, confirm

CASES = Path(__file__).with_name("shadow_cases")
GUARD = CASES / "cuda_guard_worker.py"
REPO = Path(__file__).resolve().parent.parent


def _worker_command() -> str:
    return f"exec {shlex.quote(sys.executable)} {shlex.quote(str(GUARD))}"


def _run_guarded(tmp_path, parent_call: bool):
    log = tmp_path / "cuda_calls.txt"
    env = dict(os.environ, GRADLS_CUDA_LOG=str(log),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTORCH_NVML_BASED_CUDA_CHECK", None)
    if parent_call:
        env["GRADLS_CUDA_PARENT_CALL"] = "1"
    with ShadowClient(worker=_worker_command(), memory_mb=None, env=env, cuda=True) as client:
        report = confirm(str(CASES / "detach_real.py"), findings=[], client=client,
                         device="auto", timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return report, calls


def test_the_forking_parent_never_initialises_cuda(tmp_path):
    report, calls = _run_guarded(tmp_path, parent_call=False)
    assert report.outcome == "backward", report.result.get("message")
    parent = [c for c in calls if c.startswith("parent ")]
    assert not parent, f"the worker's parent process called CUDA entry points: {parent}"
    # the record works: the run itself (the child) decided whether to use CUDA
    assert "child torch.cuda.is_available" in calls, calls


def test_the_guard_catches_a_parent_that_initialises_cuda(tmp_path):
    # the same record, with the parent made to call is_available(): the guard must see it
    _report, calls = _run_guarded(tmp_path, parent_call=True)
    assert "parent torch.cuda.is_available" in calls, calls


def test_a_parent_with_cuda_initialised_runs_cuda_capable_requests_in_a_fresh_process(monkeypatch):
    from gradls.shadow import worker

    seen = []
    monkeypatch.setattr(worker, "_parent_cuda_initialized", lambda: True)
    monkeypatch.setattr(worker, "_run_forked", lambda *a: seen.append("fork") or {"outcome": "x"})
    monkeypatch.setattr(worker, "_run_subprocess", lambda *a: seen.append("spawn") or {"outcome": "x"})
    worker.run_request({"device": "auto", "timeout": 5})
    worker.run_request({"device": "cuda", "timeout": 5})
    worker.run_request({"device": "cpu", "timeout": 5})
    assert seen == ["spawn", "spawn", "fork"]


def test_a_fresh_process_run_gives_the_same_verdict(tmp_path):
    """The spawn path (used when the parent has CUDA) runs the script like the fork path."""
    from gradls.shadow import worker

    source = (CASES / "detach_real.py").read_text()
    req = {"path": str(CASES / "detach_real.py"), "source": source, "device": "cpu",
           "timeout": 60, "memory_mb": None, "watch": {}, "probes": [], "seed": 0}
    rundir = tmp_path / "run"
    rundir.mkdir()
    env_pp = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = str(REPO) + (os.pathsep + env_pp if env_pp else "")
    try:
        result = worker._run_subprocess(req, str(rundir), 60)
    finally:
        if env_pp:
            os.environ["PYTHONPATH"] = env_pp
        else:
            os.environ.pop("PYTHONPATH", None)
    assert result["outcome"] == "backward", result.get("message")
    assert any(b["line"] == 11 for b in result["observation"]["breaks"])


def _cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


_NO_GPU = "no CUDA device on this machine: the CUDA run is checked on a GPU machine"


@pytest.mark.skipif(not _cuda_available(), reason=_NO_GPU)
def test_cuda_runs_work_in_the_forked_child():
    with ShadowClient(memory_mb=None, cuda=True) as client:
        for _ in range(2):  # the second run too: the parent stays CUDA-free
            report = confirm(str(CASES / "gpu_case.py"), findings=[], client=client,
                             device="cuda", timeout=120)
            assert report.result["device"] == "cuda", report.result.get("message")
            assert report.outcome == "backward", report.result.get("message")
        f = Finding(code="GRD101", message="x", span=Span(11, 1, 11, 5), severity="warning",
                    path="detach_real.py")
        report = confirm(str(CASES / "detach_real.py"), findings=[f], client=client,
                         device="auto", timeout=120)
        assert report.result["device"] == "cuda"
        assert report.items[0][1]["status"] == "confirmed"
