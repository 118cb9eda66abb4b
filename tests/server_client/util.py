"""Helpers for driving `python -m gradls.server` with pytest-lsp's client."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pygls.protocol import default_converter

SERVER = [sys.executable, "-m", "gradls.server"]

SNIPPET = """import torch
import torch.nn as nn
model = nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(8, 4)
out = model(x).detach()
loss = out.pow(2).mean()
loss.backward()
"""
DETACH_LINE = 5  # 0-based line of `.detach()` in SNIPPET


def utf16_to_index(line: str, units: int, encoding: str = "utf-16") -> int:
    """Code point index in `line` of a column counted in `encoding` units."""
    count = 0
    for i, ch in enumerate(line):
        if count >= units:
            return i
        count += {"utf-8": len(ch.encode("utf-8")), "utf-32": 1}.get(encoding, 2 if ord(ch) > 0xFFFF else 1)
    return len(line)


def _offset(text: str, pos: types.Position, encoding: str) -> int:
    lines = text.split("\n")  # the test documents use "\n" only
    line = min(pos.line, len(lines) - 1)
    start = sum(len(l) + 1 for l in lines[:line])
    return start + utf16_to_index(lines[line], pos.character, encoding)


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    spans = sorted(
        ((_offset(text, e.range.start, encoding), _offset(text, e.range.end, encoding), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def edits_for(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    out: list[types.TextEdit] = []
    if edit.changes:
        out.extend(edit.changes.get(uri, []))
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri:
            out.extend(change.edits)  # type: ignore[arg-type]
    return out


@dataclass
class Recorder:
    publishes: list[types.PublishDiagnosticsParams] = field(default_factory=list)
    applied: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    registrations: list[types.RegistrationParams] = field(default_factory=list)
    refreshes: int = 0  # workspace/diagnostic/refresh requests from the server
    texts: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)

    def latest(self, uri: str) -> types.PublishDiagnosticsParams | None:
        for params in reversed(self.publishes):
            if params.uri == uri:
                return params
        return None


class Client:
    """A thin layer over pytest-lsp's LanguageClient that tracks document texts."""

    def __init__(self, lsp: LanguageClient, rec: Recorder, encoding: str):
        self.lsp = lsp
        self.rec = rec
        self.encoding = encoding

    def open(self, uri: str, text: str, language: str = "python", version: int = 1) -> None:
        self.rec.texts[uri] = text
        self.rec.versions[uri] = version
        self.lsp.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)
            )
        )

    def replace(self, uri: str, text: str) -> int:
        """Full-text change; returns the new version."""
        version = self.rec.versions[uri] + 1
        self.rec.versions[uri] = version
        self.rec.texts[uri] = text
        self.lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return version

    def edit(self, uri: str, edits: list[types.TextEdit]) -> int:
        """Incremental change applying `edits` (as an editor applying a WorkspaceEdit)."""
        text = apply_text_edits(self.rec.texts[uri], edits, self.encoding)
        version = self.rec.versions[uri] + 1
        self.rec.versions[uri] = version
        self.rec.texts[uri] = text
        changes = [
            types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
            for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
        ]
        self.lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=changes,
            )
        )
        return version

    def apply(self, uri: str, edit: types.WorkspaceEdit) -> int:
        return self.edit(uri, edits_for(edit, uri))

    def close(self, uri: str) -> None:
        self.lsp.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    async def diagnostics(self, uri: str, version: int | None = None, timeout: float = 20.0) -> list[types.Diagnostic]:
        """Wait for a publish for `uri` (at `version`, default: the current one)."""
        want = self.rec.versions.get(uri) if version is None else version
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            params = self.rec.latest(uri)
            if params is not None and (want is None or params.version == want):
                return list(params.diagnostics)
            await asyncio.sleep(0.01)
        raise TimeoutError(f"no diagnostics for {uri} v{want}; got {self.rec.latest(uri)}")

    async def cleared(self, uri: str, timeout: float = 20.0) -> bool:
        """Wait for the unversioned empty publish that follows didClose."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            params = self.rec.latest(uri)
            if params is not None and params.version is None and not params.diagnostics:
                return True
            await asyncio.sleep(0.01)
        return False

    async def pull(self, uri: str, previous: str | None = None):
        return await self.lsp.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                           previous_result_id=previous)
        )

    async def code_actions(self, uri: str, rng: types.Range, only: list[str] | None = None,
                           diagnostics: list[types.Diagnostic] | None = None):
        result = await self.lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=rng,
                context=types.CodeActionContext(diagnostics=diagnostics or [], only=only),
            )
        )
        return list(result or [])


    async def hover(self, uri: str, line: int, character: int):
        return await self.lsp.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri),
                              position=types.Position(line=line, character=character))
        )

    async def command(self, name: str, *args: Any):
        return await self.lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(args))
        )

    async def alive(self) -> bool:
        """The server answers a request (hover on an unknown document)."""
        result = await asyncio.wait_for(self.hover("file:///nonexistent/alive.py", 0, 0), 10)
        return result is None


def make_client(rec: Recorder) -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)

    def publish(ls, params: types.PublishDiagnosticsParams):
        rec.publishes.append(params)
        ls.diagnostics[params.uri] = params.diagnostics

    def apply_edit(ls, params: types.ApplyWorkspaceEditParams):
        rec.applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    def register(ls, params: types.RegistrationParams):
        rec.registrations.append(params)
        return None

    def refresh(ls, params):
        rec.refreshes += 1
        return None

    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.WORKSPACE_DIAGNOSTIC_REFRESH: refresh,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
        types.WORKSPACE_APPLY_EDIT: apply_edit,
        types.CLIENT_REGISTER_CAPABILITY: register,
    }
    register_lsp_features(client, features)
    return client


@asynccontextmanager
async def session(
    caps: "str | types.ClientCapabilities" = "visual-studio-code",
    init_options: Any = None,
    env: dict[str, str] | None = None,
    root: str | None = None,
    configuration: dict | None = None,
):
    rec = Recorder()
    server_env = {**os.environ, **(env or {})}
    config = ClientServerConfig(server_command=SERVER, client_factory=lambda: make_client(rec), server_env=server_env)
    lsp = await config.start()
    if configuration is not None:
        lsp.set_configuration(configuration)
    capabilities = client_capabilities(caps) if isinstance(caps, str) else caps  # a name, or ClientCapabilities
    root_uri = None
    folders = None
    if root is not None:
        from pygls.uris import from_fs_path

        root_uri = from_fs_path(root)
        folders = [types.WorkspaceFolder(uri=root_uri, name="ws")]
    result = await lsp.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            initialization_options=init_options,
            root_uri=root_uri,
            workspace_folders=folders,
        )
    )
    encoding = str(result.capabilities.position_encoding or "utf-16")
    client = Client(lsp, rec, encoding)
    client.init_result = result  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        try:
            await asyncio.wait_for(lsp.shutdown_session(), 20)
        finally:
            await lsp.stop()


def full_range(line: int, end_line: int | None = None) -> types.Range:
    return types.Range(start=types.Position(line=line, character=0),
                       end=types.Position(line=end_line if end_line is not None else line, character=200))


def _write_raw(lsp: LanguageClient, message: dict) -> None:
    import json

    body = json.dumps(message).encode("utf-8")
    lsp.protocol.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)


async def raw_request(lsp: LanguageClient, method: str, params: Any, timeout: float = 10.0) -> Any:
    """Send a request with params exactly as given (no client-side validation)."""
    import uuid
    from concurrent.futures import Future

    msg_id = f"raw-{uuid.uuid4()}"
    future: Future = Future()
    lsp.protocol._request_futures[msg_id] = future
    _write_raw(lsp, {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(future), timeout)


def raw_notify(lsp: LanguageClient, method: str, params: Any) -> None:
    _write_raw(lsp, {"jsonrpc": "2.0", "method": method, "params": params})
