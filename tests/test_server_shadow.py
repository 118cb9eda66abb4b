"""`gradls.confirm` end to end: the language server runs the shadow pass on request.

One server (and so one warm shadow worker, whose start costs 5-10 s here) serves the
whole module; the tests run in order on it, the one that times out last.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
import pytest_asyncio

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path

from tests.server_client.util import session

pytestmark = pytest.mark.asyncio(loop_scope="module")

# A real partial cut: model[0]'s output is detached, so model[0] never trains.
DETACH_REAL = (Path(__file__).parent / "shadow_cases" / "detach_real.py").read_text()
DETACH_LINE = next(n for n, text in enumerate(DETACH_REAL.splitlines(), 1) if ".detach()" in text)

# The static pass flags `.to(device)` (GRD107: on a GPU `w` would not be a leaf; it cannot know
# the device), but here the device is the CPU, so `.to()` returns the leaf: the run refutes it.
TO_SAME_DTYPE = """import torch
device = "cpu"
w = torch.randn(3, requires_grad=True).to(device)
opt = torch.optim.SGD([w], lr=0.1)
x = torch.randn(8, 3)
loss = (x @ w).pow(2).mean()
opt.zero_grad()
loss.backward()
opt.step()
"""

# A detach the static pass cannot see (reached through getattr): only the run shows that it
# leaves the optimizer's `model` without gradient (a cut into tensors nothing trains would
# be no problem at all)
BASELINE = """import torch
import torch.nn as nn
model = nn.Linear(4, 1)
scale = nn.Parameter(torch.ones(1))
opt = torch.optim.SGD(list(model.parameters()) + [scale], lr=0.1)
x = torch.randn(8, 4)
out = model(x)
baseline = getattr(out, "detach")()
loss = (baseline * scale - 1).pow(2).mean()
opt.zero_grad()
loss.backward()
opt.step()
"""

CRASH = """import torch
x = torch.randn(3, requires_grad=True)
y = x.detach() * 2


def load_data():
    raise ValueError("dataset not found")


data = load_data()
y.sum().backward()
"""

HANG = """import torch
x = torch.randn(3, requires_grad=True)
n = 0
while True:
    n += 1
"""


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def c():
    async with session(init_options={"gradls": {"shadow": {"device": "cpu", "timeout": 60}}}) as client:
        yield client


async def until(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


async def published(c, uri: str, predicate) -> list:
    """The latest diagnostics published for `uri`, once they satisfy `predicate`."""
    return await until(lambda: predicate(list(c.rec.latest(uri).diagnostics))
                       and list(c.rec.latest(uri).diagnostics))


def progress_kinds(c, token_count_before: int) -> list[list[str]]:
    tokens = list(c.lsp.progress_reports)[token_count_before:]
    return [[getattr(v, "kind", None) for v in c.lsp.progress_reports[t]] for t in tokens]


async def test_confirm_marks_a_real_cut_confirmed(c, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(DETACH_REAL)
    uri = from_fs_path(str(script))
    c.open(uri, DETACH_REAL)
    (static,) = await c.diagnostics(uri)
    assert static.code == "GRD101" and "confirmed" not in static.message
    tokens_before = len(c.lsp.progress_reports)

    result = await c.command("gradls.confirm", uri)

    assert result["outcome"] == "backward" and result["attached"] is True, result
    assert result["device"] == "cpu" and result["counts"]["confirmed"] == 1
    assert [(f["code"], f["line"], f["status"]) for f in result["findings"]] == [("GRD101", DETACH_LINE, "confirmed")]
    # work-done progress: begin, at least one report, end (with the summary)
    (kinds,) = progress_kinds(c, tokens_before)
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    end = list(c.lsp.progress_reports.values())[-1][-1]
    assert "1 confirmed" in end.message
    # the document's diagnostics are republished, the finding says it was confirmed
    (diag,) = await published(c, uri, lambda ds: ds and "confirmed" in ds[0].message)
    assert diag.message.startswith(static.message + " (confirmed by running: ")
    assert "0.weight" in diag.message and diag.severity == static.severity
    assert diag.data["shadow"]["status"] == "confirmed"
    # the quick fix is still a lookup of the diagnostic's stored fix
    actions = await c.code_actions(uri, diag.range, diagnostics=[diag])
    assert any(a.title.startswith("gradls (GRD101): ") and a.edit for a in actions)
    # nothing was written next to the script
    assert sorted(os.listdir(tmp_path)) == ["train.py"]
    # an edit drops the run's results: the code changed
    version = c.replace(uri, DETACH_REAL + "\n")
    (diag,) = await c.diagnostics(uri, version)
    assert diag.message == static.message


async def test_refuted_and_run_time_only_findings_of_unsaved_documents(c):
    # untitled documents: the server sends their text
    c.open("untitled:Untitled-1", TO_SAME_DTYPE)
    (static,) = await c.diagnostics("untitled:Untitled-1")
    assert static.code == "GRD107" and static.severity != types.DiagnosticSeverity.Hint
    result = await c.command("gradls.confirm", {"uri": "untitled:Untitled-1", "timeout": 30})
    assert result["outcome"] == "backward" and result["counts"]["refuted"] == 1, result
    (diag,) = await published(c, "untitled:Untitled-1", lambda ds: ds and "refuted" in ds[0].message)
    assert diag.severity == types.DiagnosticSeverity.Hint
    assert diag.message.startswith(static.message + " (refuted by running: `w` is a leaf tensor")

    c.open("untitled:Untitled-2", BASELINE)
    assert await c.diagnostics("untitled:Untitled-2") == []
    result = await c.command("gradls.confirm", "untitled:Untitled-2", {"device": "cpu"})
    assert result["counts"]["runtime_only"] == 1, result
    (diag,) = await published(c, "untitled:Untitled-2", bool)
    assert diag.source == "gradls-run" and diag.code == "GRD101"
    assert diag.range.start.line == 7  # `baseline = getattr(out, "detach")()`
    assert diag.message.startswith("gradient cut seen at run time")
    # no fix and no ignore comment for what only the run saw
    assert await c.code_actions("untitled:Untitled-2", diag.range, diagnostics=[diag]) == []


async def test_bad_arguments_are_errors(c):
    with pytest.raises(JsonRpcException):
        await c.command("gradls.confirm")
    with pytest.raises(JsonRpcException):
        await c.command("gradls.confirm", "file:///tmp/gradls_test/never_opened.py")
    c.open("untitled:Untitled-3", CRASH)
    with pytest.raises(JsonRpcException):
        await c.command("gradls.confirm", "untitled:Untitled-3", {"device": "tpu"})
    with pytest.raises(JsonRpcException):
        await c.command("gradls.confirm", {"uri": "untitled:Untitled-3", "timeout": -1})


async def test_crash_and_hang_give_a_message_and_the_server_keeps_answering(c):
    c.open("untitled:crash", CRASH)
    await c.diagnostics("untitled:crash")
    before = len(c.lsp.messages)
    result = await c.command("gradls.confirm", "untitled:crash")
    assert result["outcome"] == "exception", result
    message = (await until(lambda: c.lsp.messages[before:]))[0]
    assert message.type == types.MessageType.Warning
    assert "dataset not found" in message.message and "line 7" in message.message
    assert await c.alive()

    c.open("untitled:hang", HANG)
    await c.diagnostics("untitled:hang")
    before = len(c.lsp.messages)
    started = time.monotonic()
    task = asyncio.ensure_future(c.command("gradls.confirm", {"uri": "untitled:hang", "timeout": 3}))
    await asyncio.sleep(0.5)
    assert await c.alive() and not task.done()  # the event loop answers while it runs
    result = await asyncio.wait_for(task, 30)
    assert result["outcome"] == "timeout", result
    assert time.monotonic() - started < 20
    message = (await until(lambda: c.lsp.messages[before:]))[0]
    assert message.type == types.MessageType.Error and "3 s" in message.message
    assert await c.alive()
    # and the next request runs again (on the same worker, or a fresh one)
    c.open("untitled:again", TO_SAME_DTYPE)
    await c.diagnostics("untitled:again")
    result = await c.command("gradls.confirm", "untitled:again")
    assert result["outcome"] == "backward", result


async def test_a_worker_that_does_not_start_gives_a_message(c):
    # last: a different worker command replaces the warm worker
    before = len(c.lsp.messages)
    result = await c.command("gradls.confirm", "untitled:again", {"worker": "echo not a worker; exit 3"})
    assert result["outcome"] == "error", result
    message = (await until(lambda: c.lsp.messages[before:]))[0]
    assert message.type == types.MessageType.Error and "exit" in message.message, message
    assert await c.alive()
