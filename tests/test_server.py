"""End-to-end tests of the language server over stdio with pytest-lsp's client.

These use the real engine; the timing-sensitive ones (newest edit wins) plug in the
deliberately slow stand-in from tests/server_client/fake_engine.py.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path

from tests.server_client.util import (
    DETACH_LINE,
    SNIPPET,
    apply_text_edits,
    edits_for,
    full_range,
    session,
)


URI = "file:///tmp/gradls_test/train.py"
FAKE = {"GRADLS_SERVER_CHECK": "tests.server_client.fake_engine:check",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


def grd101(diagnostics) -> types.Diagnostic:
    found = [d for d in diagnostics if d.code == "GRD101"]
    assert found, f"expected GRD101 in {diagnostics}"
    return found[0]


# --- diagnostics -----------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_push_diagnostics_are_versioned_and_complete():
    async with session() as c:
        caps = c.init_result.capabilities
        assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental
        assert caps.notebook_document_sync is None  # never a `cells`-only notebook selector
        assert set(caps.execute_command_provider.commands) >= {"gradls.applyFixAll", "gradls.showRuleDocs"}
        assert c.init_result.server_info.name == "gradls"
        c.open(URI, SNIPPET, version=7)
        diags = await c.diagnostics(URI, version=7)
        d = grd101(diags)
        assert d.range.start.line == DETACH_LINE
        assert d.source == "gradls"
        assert d.severity == types.DiagnosticSeverity.Error
        assert d.code_description.href.endswith("/GRD101")
        assert d.data["fix"]["edits"], d.data
        assert d.data["fix"]["title"].startswith("gradls (GRD101): ")
        for info in d.related_information or []:
            assert info.location.uri == URI and info.message


@pytest.mark.asyncio
async def test_change_republishes_for_new_version_and_close_clears():
    async with session() as c:
        c.open(URI, SNIPPET)
        assert "GRD101" in codes(await c.diagnostics(URI, 1))
        version = c.replace(URI, SNIPPET.replace(".detach()", ""))
        assert "GRD101" not in codes(await c.diagnostics(URI, version))
        version = c.replace(URI, SNIPPET)
        assert "GRD101" in codes(await c.diagnostics(URI, version))
        c.close(URI)
        assert await c.cleared(URI)
        # every publish after the first carries a version that never goes backwards
        versions = [p.version for p in c.rec.publishes if p.uri == URI and p.version is not None]
        assert versions == sorted(versions)


def pulling_client(refresh: bool) -> types.ClientCapabilities:
    from pytest_lsp import client_capabilities

    caps = client_capabilities("neovim@v0.10.0")  # pulls; cannot be asked to pull again
    if refresh:
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


@pytest.mark.asyncio
async def test_pull_client_gets_reports_and_no_pushes():
    async with session(caps=pulling_client(refresh=True)) as c:
        assert c.init_result.capabilities.diagnostic_provider is not None
        c.open(URI, SNIPPET)
        report = await c.pull(URI)
        assert report.kind == "full"
        assert grd101(report.items).range.start.line == DETACH_LINE
        again = await c.pull(URI, previous=report.result_id)
        assert again.kind == "unchanged" and again.result_id == report.result_id
        c.replace(URI, SNIPPET.replace(".detach()", ""))
        fresh = await c.pull(URI, previous=report.result_id)
        assert fresh.kind == "full" and "GRD101" not in codes(fresh.items)
        assert list((await c.pull("file:///tmp/gradls_test/unknown.py")).items) == []
        await asyncio.sleep(0.2)
        assert c.rec.publishes == []


@pytest.mark.asyncio
async def test_a_client_that_pulls_but_cannot_be_asked_again_gets_pushes():
    """Neovim 0.10/0.11 pull, but have no workspace/diagnostic/refresh: a finding that arrives
    after their pull (a shadow run's verdict, the cross-module pass) would wait for the next
    edit. They get pushes, each version's, and empty pulls, so nothing shows twice."""
    async with session(caps="neovim@v0.10.0") as c:
        c.open(URI, SNIPPET)
        pushed = await c.diagnostics(URI, 1)
        assert grd101(pushed).range.start.line == DETACH_LINE
        assert list((await c.pull(URI)).items) == []
        c.replace(URI, SNIPPET.replace(".detach()", ""))
        assert "GRD101" not in codes(await c.diagnostics(URI, 2))


@pytest.mark.asyncio
async def test_syntax_error_keeps_findings_of_the_unchanged_text():
    async with session() as c:
        c.open(URI, SNIPPET)
        await c.diagnostics(URI, 1)
        broken = SNIPPET.replace("loss.backward()", "loss.backward(")
        version = c.replace(URI, broken)
        diags = await c.diagnostics(URI, version)
        assert codes(diags).count("GRD000") == 1
        # the finding above the edited line survives, positioned as before
        assert grd101(diags).range.start.line == DETACH_LINE
        # a line being typed above it: the finding moves down with its text, its message too
        version = c.replace(URI, "import (\n" + SNIPPET)
        diags = await c.diagnostics(URI, version)
        c.open(URI.replace(".py", "_fresh.py"), "\n" + SNIPPET)
        fresh = grd101(await c.diagnostics(URI.replace(".py", "_fresh.py")))
        assert sorted(codes(diags)) == ["GRD000", "GRD101"]
        assert (grd101(diags).range, grd101(diags).message) == (fresh.range, fresh.message)
        # typing inside the flagged line: that finding is gone until the code parses again
        version = c.replace(URI, SNIPPET.replace(".detach()", ".detach((("))
        assert codes(await c.diagnostics(URI, version)) == ["GRD000"]


@pytest.mark.asyncio
async def test_untitled_document_and_non_python_ignored():
    async with session() as c:
        c.open("file:///tmp/gradls_test/notes.txt", SNIPPET, language="plaintext")
        c.open("untitled:Untitled-1", SNIPPET)
        assert "GRD101" in codes(await c.diagnostics("untitled:Untitled-1"))
        await asyncio.sleep(0.2)
        assert all(p.uri != "file:///tmp/gradls_test/notes.txt" for p in c.rec.publishes)


# --- code actions -------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_quick_fix_removes_detach():
    async with session() as c:
        c.open(URI, SNIPPET)
        diag = grd101(await c.diagnostics(URI))
        actions = await c.code_actions(URI, diag.range, diagnostics=[diag])
        fix = next(a for a in actions if a.title.startswith("gradls (GRD101): "))
        assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
        version = c.apply(URI, fix.edit)
        assert c.rec.texts[URI].splitlines()[DETACH_LINE] == "out = model(x)"
        assert "GRD101" not in codes(await c.diagnostics(URI, version))


@pytest.mark.asyncio
async def test_ignore_action_appends_and_merges_comment():
    async with session() as c:
        c.open(URI, SNIPPET)
        diag = grd101(await c.diagnostics(URI))
        actions = await c.code_actions(URI, diag.range)
        ignore = next(a for a in actions if a.title == "Ignore GRD101 for this line")
        version = c.apply(URI, ignore.edit)
        assert c.rec.texts[URI].splitlines()[DETACH_LINE] == "out = model(x).detach()  # gradls: ignore[GRD101]"
        assert "GRD101" not in codes(await c.diagnostics(URI, version))

        merged = SNIPPET.replace("model(x).detach()", "model(x).detach()  # gradls: ignore[GRD103]")
        version = c.replace(URI, merged)
        diag = grd101(await c.diagnostics(URI, version))
        actions = await c.code_actions(URI, full_range(diag.range.start.line))
        ignore = next(a for a in actions if a.title == "Ignore GRD101 for this line")
        c.apply(URI, ignore.edit)
        assert c.rec.texts[URI].splitlines()[DETACH_LINE] == "out = model(x).detach()  # gradls: ignore[GRD103, GRD101]"


# Removing the `.detach()` (GRD101) makes `loss` carry a graph, so `total += loss` becomes
# GRD112, fixed in the fixer's second round: only the fixed-point fixer gets FIXED.
FIX_SRC = """import torch
import torch.nn as nn
model = nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(8, 4)
total = 0
for step in range(3):
    out = model(x).detach()
    loss = out.pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    total += loss
"""
FIXED = FIX_SRC.replace("model(x).detach()", "model(x)").replace("total += loss", "total += loss.item()")


@pytest.mark.asyncio
async def test_fix_all_is_resolved_lazily():
    async with session() as c:  # VS Code supports resolving `edit`
        c.open(URI, FIX_SRC)
        assert codes(await c.diagnostics(URI)) == ["GRD101"]
        actions = await c.code_actions(URI, full_range(0), only=[types.CodeActionKind.SourceFixAll])
        assert [a.kind for a in actions] == ["source.fixAll.gradls"]
        assert actions[0].edit is None
        resolved = await c.lsp.code_action_resolve_async(actions[0])
        edits = edits_for(resolved.edit, URI)
        assert len(edits) == 2 and all(e.range.start.line == e.range.end.line for e in edits)  # a minimal diff
        version = c.apply(URI, resolved.edit)
        assert c.rec.texts[URI] == FIXED
        assert await c.diagnostics(URI, version) == []


@pytest.mark.asyncio
async def test_fix_all_eager_without_resolve_support():
    async with session(caps="emacs") as c:  # no resolveSupport, utf-32 positions
        text = "s = '😋é'\n" + FIX_SRC
        c.open(URI, text)
        await c.diagnostics(URI)
        actions = await c.code_actions(URI, full_range(0), only=["source.fixAll.gradls"])
        assert actions and actions[0].edit is not None
        assert apply_text_edits(text, edits_for(actions[0].edit, URI), c.encoding) == "s = '😋é'\n" + FIXED


@pytest.mark.asyncio
async def test_execute_apply_fix_all_sends_workspace_edit():
    async with session() as c:
        c.open(URI, FIX_SRC)
        await c.diagnostics(URI)
        result = await c.command("gradls.applyFixAll", {"uri": URI, "version": 1})
        assert result["applied"] is True and result["edits"] == 2
        (params,) = c.rec.applied
        version = c.apply(URI, params.edit)
        assert c.rec.texts[URI] == FIXED
        await c.diagnostics(URI, version)
        assert (await c.command("gradls.applyFixAll", URI)) == {"applied": False, "reason": "nothing to fix"}
        with pytest.raises(Exception):
            await c.command("gradls.applyFixAll")


@pytest.mark.asyncio
async def test_ignore_action_not_offered_inside_a_multiline_string():
    text = SNIPPET.replace("out = model(x).detach()\n", 'out = model(x).detach(); note = """\nwhy\n"""\n')
    async with session() as c:
        c.open(URI, text)
        diag = grd101(await c.diagnostics(URI))
        actions = await c.code_actions(URI, diag.range, diagnostics=[diag])
        titles = [a.title for a in actions]
        assert any(t.startswith("gradls (GRD101): ") for t in titles)  # the quick fix is still there
        assert "Ignore GRD101 for this line" not in titles


@pytest.mark.asyncio
async def test_show_rule_docs_command_and_hover():
    async with session() as c:
        docs = await c.command("gradls.showRuleDocs", "GRD101")
        assert docs["code"] == "GRD101" and docs["url"].endswith("/GRD101") and docs["markdown"]
        c.open(URI, SNIPPET)
        diag = grd101(await c.diagnostics(URI))
        hover = await c.hover(URI, diag.range.start.line, diag.range.start.character)
        assert hover is not None
        assert "GRD101" in hover.contents.value and diag.message in hover.contents.value
        assert await c.hover(URI, 0, 0) is None


# --- settings -------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_initialization_options_ignore_and_severity():
    async with session(init_options={"gradls": {"ignore": ["GRD101"]}}) as c:
        c.open(URI, SNIPPET)
        assert "GRD101" not in codes(await c.diagnostics(URI))
    async with session(init_options={"settings": {"severity": {"GRD101": "hint"}}}) as c:
        c.open(URI, SNIPPET)
        assert grd101(await c.diagnostics(URI)).severity == types.DiagnosticSeverity.Hint
    # a prefix applies to the codes it starts; the longest match wins
    for overrides, expected in (({"GRD1": "info"}, types.DiagnosticSeverity.Information),
                                ({"ALL": "hint", "GRD10": "warning"}, types.DiagnosticSeverity.Warning),
                                ({"GRD1": "info", "GRD101": "hint"}, types.DiagnosticSeverity.Hint)):
        async with session(init_options={"severity": overrides}) as c:
            c.open(URI, SNIPPET)
            assert grd101(await c.diagnostics(URI)).severity == expected, overrides


@pytest.mark.asyncio
async def test_did_change_configuration_reanalyses_open_documents():
    URI = "file:///tmp/gradls%20test/my%20train.py"  # percent-encoded: republished under the same URI
    async with session(configuration={"gradls": {"enable": False}}) as c:
        c.open(URI, SNIPPET)
        assert "GRD101" in codes(await c.diagnostics(URI))
        before = len(c.rec.publishes)
        c.lsp.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"gradls": {"select": ["GRD2"]}})
        )
        await _until(lambda: len(c.rec.publishes) > before)
        assert "GRD101" not in codes(c.rec.latest(URI).diagnostics)
        # settings=None: the server pulls the `gradls` section (here: disabled)
        before = len(c.rec.publishes)
        c.lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await _until(lambda: len(c.rec.publishes) > before)
        assert list(c.rec.latest(URI).diagnostics) == []


@pytest.mark.asyncio
async def test_invalid_settings_warn_and_use_defaults():
    async with session(init_options={"select": 5, "severity": {"GRD101": "loud"}, "bogus": 1,
                                     "shadow": {"timeout": "soon", "device": "tpu"}}) as c:
        c.open(URI, SNIPPET)
        assert "GRD101" in codes(await c.diagnostics(URI))
        await _until(lambda: len(c.lsp.messages) >= 5)
        assert all(m.type == types.MessageType.Warning for m in c.lsp.messages)
        text = " ".join(m.message for m in c.lsp.messages)
        assert all(word in text for word in ("select", "severity", "bogus", "timeout", "device"))
        c.lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=["nonsense"]))
        await _until(lambda: len(c.lsp.messages) >= 6)
        assert await c.alive()


@pytest.mark.asyncio
async def test_pyproject_settings_reload_on_watched_change(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.gradls]\nignore = ["GRD101"]\n')
    source = tmp_path / "train.py"
    source.write_text(SNIPPET)
    uri = from_fs_path(str(source))
    async with session(root=str(tmp_path)) as c:
        await _until(lambda: c.rec.registrations)
        watchers = c.rec.registrations[0].registrations[0].register_options["watchers"]
        assert watchers[0]["globPattern"] == "**/pyproject.toml"
        c.open(uri, SNIPPET)
        assert "GRD101" not in codes(await c.diagnostics(uri))
        before = len(c.rec.publishes)
        pyproject.write_text('[tool.gradls]\nseverity = { GRD101 = "warning" }\n')
        c.lsp.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=from_fs_path(str(pyproject)), type=types.FileChangeType.Changed)]
            )
        )
        await _until(lambda: len(c.rec.publishes) > before)
        assert grd101(c.rec.latest(uri).diagnostics).severity == types.DiagnosticSeverity.Warning
        # a broken pyproject: a warning, defaults, no crash
        pyproject.write_text("[tool.gradls\n")
        c.lsp.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=from_fs_path(str(pyproject)), type=types.FileChangeType.Changed)]
            )
        )
        await _until(lambda: any("pyproject" in m.message for m in c.lsp.messages))
        assert await c.alive()


@pytest.mark.asyncio
async def test_exclude_reads_a_pyprojects_patterns_as_gradls_check_does(tmp_path):
    project = tmp_path / "project"
    (project / "generated").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.gradls]\nexclude = ["generated"]\n')
    excluded, kept = project / "generated" / "train.py", project / "train.py"
    for path in (excluded, kept):
        path.write_text(SNIPPET)
    cli = _cli_check(project, "--force-exclude", "generated/train.py", "train.py")
    assert "generated/train.py" not in cli and "train.py" in cli  # the CLI's verdict, for comparison
    async with session(root=str(tmp_path)) as c:  # the workspace folder is above the project
        c.open(from_fs_path(str(excluded)), SNIPPET)
        c.open(from_fs_path(str(kept)), SNIPPET)
        assert await c.diagnostics(from_fs_path(str(excluded))) == []
        assert "GRD101" in codes(await c.diagnostics(from_fs_path(str(kept))))


@pytest.mark.asyncio
async def test_workspace_folders_added_and_removed_at_run_time_change_what_editor_excludes_apply_to(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    (second / "generated").mkdir(parents=True)
    first.mkdir()
    source = second / "generated" / "train.py"
    source.write_text(SNIPPET)
    uri = from_fs_path(str(source))
    added = types.WorkspaceFolder(uri=from_fs_path(str(second)), name="second")
    # editor settings alone (no pyproject.toml): patterns are read from the workspace folder holding the file
    async with session(root=str(first), init_options={"exclude": ["generated/*"]}) as c:
        c.open(uri, SNIPPET)
        assert "GRD101" in codes(await c.diagnostics(uri))
        before = len(c.rec.publishes)
        c.lsp.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[added], removed=[])))
        await _until(lambda: len(c.rec.publishes) > before)
        assert list(c.rec.latest(uri).diagnostics) == []
        before = len(c.rec.publishes)
        c.lsp.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[], removed=[added])))
        await _until(lambda: len(c.rec.publishes) > before and c.rec.latest(uri).diagnostics)
        assert "GRD101" in codes(c.rec.latest(uri).diagnostics)


def _cli_check(folder: Path, *arguments: str) -> str:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "gradls", "check", "--no-cache", "--output-format", "concise",
                           *arguments], cwd=folder, capture_output=True, text=True, timeout=120)
    return done.stdout


# --- newest edit wins -------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_newest_edit_wins_with_slow_analysis():
    async with session(env=FAKE) as c:
        slow = "# sleep: 150\n" + SNIPPET
        c.open(URI, slow)
        last = 1
        for i in range(15):
            last = c.replace(URI, slow + f"v{i} = out.detach()\n")
            await asyncio.sleep(0.02)
        diags = await c.diagnostics(URI, last, timeout=30)
        assert codes(diags).count("GRD101") == 2
        await asyncio.sleep(0.5)
        mine = [p for p in c.rec.publishes if p.uri == URI]
        assert mine[-1].version == last
        assert [p.version for p in mine] == sorted(p.version for p in mine)
        assert len(mine) < 8, "intermediate versions should be skipped, not analysed"


@pytest.mark.asyncio
async def test_event_loop_answers_while_analysis_runs():
    async with session(env=FAKE) as c:
        c.open(URI, "# sleep: 4000\n" + SNIPPET)
        await asyncio.sleep(0.1)
        start = time.monotonic()
        docs = await c.command("gradls.showRuleDocs", "GRD101")
        assert docs["code"] == "GRD101"
        # a blocked loop would answer after the 4 s analysis; the margin absorbs a loaded CI
        assert time.monotonic() - start < 2.5


async def _until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


def test_tcp_mode_answers_initialize():
    import json
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "gradls.server", "--tcp", f"127.0.0.1:{port}"],
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with sock:
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                               "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
            sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            data = b""
            while b"serverInfo" not in data:
                chunk = sock.recv(65536)
                assert chunk, "connection closed"
                data += chunk
            assert b'"gradls"' in data
    finally:
        proc.kill()
        proc.wait()
