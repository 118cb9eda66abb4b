"""Bad input never takes the language server down: it answers with an error or ignores it."""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.server_client.corpus import generate, real_files
from tests.server_client.util import SNIPPET, raw_notify, raw_request, session

pytestmark = pytest.mark.asyncio

URI = "file:///tmp/gradls_test/robust.py"
UNKNOWN = "file:///tmp/gradls_test/never_opened.py"


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


async def test_malformed_params_get_an_error_response():
    async with session() as c:
        with pytest.raises(JsonRpcException):
            await raw_request(c.lsp, "textDocument/hover", {"textDocument": 5, "position": "x"})
        with pytest.raises(JsonRpcException):
            await raw_request(c.lsp, "textDocument/codeAction", {"range": None})
        with pytest.raises(JsonRpcException):
            await raw_request(c.lsp, "textDocument/hover", {"textDocument": {"uri": URI},
                                                            "position": {"line": -1, "character": 0}})
        raw_notify(c.lsp, "textDocument/didChange", {"textDocument": {"uri": 3}, "contentChanges": 7})
        raw_notify(c.lsp, "textDocument/didOpen", {"textDocument": None})
        with pytest.raises(JsonRpcException):
            await raw_request(c.lsp, "gradls/noSuchMethod", {})
        with pytest.raises(JsonRpcException):
            await c.command("gradls.noSuchCommand")
        with pytest.raises(JsonRpcException):
            await c.command("gradls.showRuleDocs", 42)
        assert await c.alive()


async def test_garbage_bytes_on_the_wire():
    async with session() as c:
        writer = c.lsp.protocol.writer
        writer.write(b"Content-Length: 9\r\n\r\n{garbage}")
        writer.write(b"Content-Length: 2\r\n\r\n[]")
        writer.write(b"Content-Length: 4\r\n\r\nnull")
        writer.write(b'Content-Length: 27\r\n\r\n{"jsonrpc":"2.0","id":null}')
        assert await c.alive()
        c.open(URI, SNIPPET)
        assert "GRD101" in [d.code for d in await c.diagnostics(URI)]


async def test_requests_for_unknown_documents():
    async with session() as c:
        assert await c.hover(UNKNOWN, 0, 0) is None
        assert await c.code_actions(UNKNOWN, types.Range(start=pos(0, 0), end=pos(1, 0))) == []
        report = await c.pull(UNKNOWN)
        assert list(report.items) == []
        action = types.CodeAction(title="x", kind="source.fixAll.gradls", data={"uri": UNKNOWN, "action": "fixAll"})
        resolved = await c.lsp.code_action_resolve_async(action)
        assert resolved.edit is None
        resolved = await c.lsp.code_action_resolve_async(types.CodeAction(title="y", data=[1, 2]))
        assert resolved.title == "y"
        c.lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=UNKNOWN, version=3),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text="x = 1\n")],
            )
        )
        c.close(UNKNOWN)
        with pytest.raises(JsonRpcException):
            await c.command("gradls.applyFixAll", UNKNOWN)
        with pytest.raises(JsonRpcException, match="never_opened.py"):  # a bare string, not a list
            await raw_request(c.lsp, "workspace/executeCommand", {"command": "gradls.applyFixAll", "arguments": UNKNOWN})
        assert await c.alive()


async def test_invalid_positions_are_clamped():
    text = 'emoji = "😋😋"; out = torch.randn(2).detach()\n' + SNIPPET
    async with session() as c:
        c.open(URI, text)
        await c.diagnostics(URI)
        far = types.Range(start=pos(10**6, 10**6), end=pos(10**7, 10**7))
        assert isinstance(await c.code_actions(URI, far), list)
        backwards = types.Range(start=pos(7, 5), end=pos(2, 0))
        assert isinstance(await c.code_actions(URI, backwards), list)
        await c.hover(URI, 10**6, 3)
        await c.hover(URI, 0, 10**6)
        await c.hover(URI, 0, 10)  # inside a surrogate pair
        # an edit starting inside a surrogate pair and one far past the end
        for rng in (types.Range(start=pos(0, 10), end=pos(0, 11)),
                    types.Range(start=pos(500, 0), end=pos(900, 4))):
            c.rec.versions[URI] += 1
            c.lsp.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=c.rec.versions[URI]),
                    content_changes=[types.TextDocumentContentChangePartial(range=rng, text="x")],
                )
            )
        await c.diagnostics(URI)
        assert await c.alive()


async def test_edits_follow_the_lsp_line_model():
    """A form feed or U+2028 does not end a line in the LSP (str.splitlines would say it does),
    and a position past the end of a line means its end: the server's copy of the text stays
    the client's, so its findings equal those of a fresh open of the client's text."""
    text = SNIPPET.replace("out = model(x)", "\x0c\nlabel = 'a\u2028b\x1c'\nout = model(x)")
    changes = [(pos(7, 0), "# a comment line\n"), (pos(0, 999), "  # past the end of the line")]
    client_text = text.split("\n")
    client_text.insert(7, "# a comment line")
    client_text[0] += "  # past the end of the line"
    client_text = "\n".join(client_text)
    async with session() as c:
        c.open(URI, text)
        await c.diagnostics(URI)
        c.lsp.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text=new)
                             for at, new in changes],
        ))
        edited = await c.diagnostics(URI, 2)
        fresh_uri = URI.replace("robust.py", "fresh.py")
        c.open(fresh_uri, client_text)
        fresh = await c.diagnostics(fresh_uri)
        assert [d.code for d in edited] == ["GRD101"]
        assert [(d.code, d.range) for d in edited] == [(d.code, d.range) for d in fresh]
        assert edited[0].range.start.line == 8


async def test_binary_and_odd_content():
    async with session() as c:
        blobs = [
            "\x00\x01\x02 import torch\x00\n",
            "x = 1\r\ny = 2\rz = 3\n\x0c\u2028w = 4\n",
            "s = '\ud800'\n",  # lone surrogate
            bytes(range(256)).decode("latin-1"),
            "",
        ]
        for i, blob in enumerate(blobs):
            uri = f"file:///tmp/gradls_test/blob{i}.py"
            c.open(uri, blob)
            await c.diagnostics(uri)
        assert await c.alive()


async def test_huge_document_is_skipped_not_fatal():
    huge = generate(200, seed=3) * 1000  # ~5 MB, over the 4M-character limit
    async with session() as c:
        c.open(URI, huge)
        assert await c.diagnostics(URI, timeout=60) == []
        await asyncio.sleep(0.1)
        assert any("too large" in m.message for m in c.lsp.log_messages)
        assert await c.alive()
        version = c.replace(URI, SNIPPET)
        assert "GRD101" in [d.code for d in await c.diagnostics(URI, version)]


async def test_fuzz_random_edits_and_truncations():
    """~2000 random edits/truncations of PyTorch files; the server stays alive and in sync."""
    rng = random.Random(1234)
    corpus = [generate(120, seed=s) for s in range(3)] + real_files()
    inserts = ["(", ")", ":", "\n", "    ", ".detach()", "torch.no_grad()", "with ", "def f(:\n", "'''",
               "x = [", "😋", "é", "\t", "loss.backward()\n", "\x00", "if True:\n    pass\n"]
    started = time.monotonic()
    async with session() as c:
        text = corpus[0]
        c.open(URI, text)
        for step in range(2000):
            text = c.rec.texts[URI]
            kind = rng.random()
            lines = text.split("\n")
            if kind < 0.03:
                c.replace(URI, rng.choice(corpus))
                continue
            if kind < 0.08:  # truncate at a random point
                line = rng.randrange(len(lines))
                rng_ = types.Range(start=pos(line, rng.randrange(len(lines[line]) + 1)),
                                   end=pos(len(lines) - 1, len(lines[-1])))
                new = ""
            else:
                line = rng.randrange(len(lines))
                start = rng.randrange(len(lines[line]) + 1)
                end_line = min(len(lines) - 1, line + rng.choice([0, 0, 0, 1, 3]))
                end = rng.randrange(len(lines[end_line]) + 1) if end_line != line else start + rng.randrange(
                    len(lines[line]) - start + 1)
                rng_ = types.Range(start=pos(line, start), end=pos(end_line, end))
                new = rng.choice(inserts) if rng.random() < 0.8 else ""
            if any(ord(ch) > 0xFFFF for ch in text):
                c.replace(URI, text.replace("😋", "e"))  # keep client-side UTF-16 bookkeeping simple
                continue
            c.edit(URI, [types.TextEdit(range=rng_, new_text=new)])
            if step % 100 == 0:
                await asyncio.sleep(0)
        assert time.monotonic() - started < 120
        # the server is alive, answers, and analyses the final text correctly
        assert await c.alive()
        version = c.replace(URI, SNIPPET)
        assert "GRD101" in [d.code for d in await c.diagnostics(URI, version, timeout=60)]
        mine = [p.version for p in c.rec.publishes if p.uri == URI]
        assert mine == sorted(mine)
    assert time.monotonic() - started < 180


def _lsp_exchange(messages: list[dict]) -> tuple[int, dict]:
    """Run `gradls serve`, send `messages`, close stdin; (exit code, id -> response)."""
    import json
    import re
    import subprocess
    import sys

    frames = b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                      for body in (json.dumps(m).encode() for m in messages))
    done = subprocess.run([sys.executable, "-m", "gradls", "serve"], input=frames, capture_output=True, timeout=60)
    bodies = re.split(rb"Content-Length: \d+\r\n(?:Content-Type: [^\r]*\r\n)?\r\n", done.stdout)[1:]
    answers = {m["id"]: m for m in map(json.loads, bodies) if "id" in m and "method" not in m}
    return done.returncode, answers


async def test_lifecycle_requests_get_the_lsp_errors_and_the_exit_code_tells_a_clean_stop():
    """Before initialize: -32002; a second initialize and anything after shutdown: -32600 (an
    answer, not silence); `exit` after `shutdown` exits 0, without it 1."""
    def request(msg_id: int, method: str, params=None) -> dict:
        return {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}

    hover = {"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}}
    initialize = {"capabilities": {}}
    exit_ = {"jsonrpc": "2.0", "method": "exit"}
    code, answers = await asyncio.to_thread(_lsp_exchange, [request(1, "textDocument/hover", hover), request(2, "initialize", initialize),
                                   request(3, "initialize", initialize), request(4, "shutdown"),
                                   request(5, "textDocument/hover", hover), exit_])
    assert answers[1]["error"]["code"] == -32002
    assert "capabilities" in answers[2]["result"]
    assert answers[3]["error"]["code"] == -32600
    assert answers[4]["result"] is None and "error" not in answers[4]
    assert answers[5]["error"]["code"] == -32600
    assert code == 0
    code, _ = await asyncio.to_thread(_lsp_exchange, [request(1, "initialize", initialize), exit_])
    assert code == 1

