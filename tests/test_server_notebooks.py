"""The language server checks an open notebook's code cells together and gives each cell its
own diagnostics, cell-relative; the sync capability is one pygls's client can parse."""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types

from tests.server_client.util import session

NB = "file:///tmp/gradls_nb/train.ipynb"
CELLS = [
    "import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\n",
    "%matplotlib inline\n!pip list\nx = torch.randn(8, 4)\nout = model(x).detach()\n"
    "loss = out.pow(2).mean()\nloss.backward()\n",
]
CELL_URIS = [f"vscode-notebook-cell:/tmp/gradls_nb/train.ipynb#c{i}" for i in range(len(CELLS))]


def notebook_client():
    """VS Code's capabilities, with notebook document sync (pytest-lsp's copy predates it)."""
    import attrs
    from pytest_lsp import client_capabilities

    caps = client_capabilities("visual-studio-code")
    return attrs.evolve(caps, notebook_document=types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities(execution_summary_support=True)))


def _open(c, cells=CELLS) -> None:
    c.lsp.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=NB, notebook_type="jupyter-notebook", version=1,
            cells=[types.NotebookCell(kind=types.NotebookCellKind.Code, document=uri) for uri in CELL_URIS]),
        cell_text_documents=[types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
                             for uri, text in zip(CELL_URIS, cells)],
    ))


async def _until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_notebook_sync_is_advertised_with_a_notebook_type():
    async with session(notebook_client()) as c:  # the client parsed the capabilities: the session started
        sync = c.init_result.capabilities.notebook_document_sync
        assert sync is not None
        (selector,) = sync.notebook_selector
        assert selector.notebook == "jupyter-notebook"
        assert [cell.language for cell in selector.cells] == ["python"]


@pytest.mark.asyncio
async def test_a_pulling_client_gets_the_notebooks_check_for_a_cell():
    """A client that pulls (and can be asked to pull again) gets the notebook's findings for a
    cell, not those of the cell checked alone."""
    import attrs

    caps = notebook_client()
    caps = attrs.evolve(caps, text_document=attrs.evolve(
        caps.text_document, diagnostic=types.DiagnosticClientCapabilities()), workspace=attrs.evolve(
        caps.workspace, diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)))
    async with session(caps) as c:
        _open(c)
        deadline = time.monotonic() + 20
        while True:
            pulled = await c.pull(CELL_URIS[1])
            if pulled.items or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert [(p.code, p.range.start.line) for p in pulled.items] == [("GRD101", 3)]
        assert c.rec.publishes == []


@pytest.mark.asyncio
async def test_cells_are_checked_together_with_cell_relative_positions():
    async with session(notebook_client()) as c:
        _open(c)
        await _until(lambda: c.rec.latest(CELL_URIS[1]) is not None and c.rec.latest(CELL_URIS[0]) is not None)
        (d,) = [d for d in c.rec.latest(CELL_URIS[1]).diagnostics if d.code == "GRD101"]
        assert (d.range.start.line, d.range.start.character) == (3, 14)  # line 4 of the second cell
        assert list(c.rec.latest(CELL_URIS[0]).diagnostics) == []
        assert d.data["fix"]["edits"][0]["range"]["start"]["line"] == 3

        # the cell is fixed: its diagnostics clear
        fixed = CELLS[1].replace(".detach()", "")
        before = len(c.rec.publishes)
        c.lsp.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=NB, version=2),
            change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
                text_content=[types.NotebookDocumentCellContentChanges(
                    document=types.VersionedTextDocumentIdentifier(uri=CELL_URIS[1], version=2),
                    changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)])])),
        ))
        await _until(lambda: len(c.rec.publishes) > before and not any(
            d.code == "GRD101" for d in c.rec.latest(CELL_URIS[1]).diagnostics))

        c.lsp.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=NB),
            cell_text_documents=[types.TextDocumentIdentifier(uri=uri) for uri in CELL_URIS]))
        assert await c.alive()


@pytest.mark.asyncio
async def test_push_client_with_quoted_cell_uris_keeps_the_notebooks_diagnostics():
    """VS Code's cell URIs are percent-quoted (`#W0s...%3D%3D`, pygls keys documents by the
    unquoted URI), and a client that takes pushed diagnostics must keep the notebook's result
    for a cell even after a request makes the server analyse that cell on its own."""
    import attrs

    caps = notebook_client()
    caps = attrs.evolve(caps, text_document=attrs.evolve(caps.text_document, diagnostic=None))
    quoted = [f"vscode-notebook-cell://127.0.0.1:4242/tmp/gradls_nb/train.ipynb#W{i}sdnNjb2RlLXJlbW90ZQ%3D%3D"
              for i in range(len(CELLS))]
    async with session(caps) as c:
        c.lsp.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=NB, notebook_type="jupyter-notebook", version=1,
                cells=[types.NotebookCell(kind=types.NotebookCellKind.Code, document=uri) for uri in quoted]),
            cell_text_documents=[types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
                                 for uri, text in zip(quoted, CELLS)],
        ))
        await _until(lambda: c.rec.latest(quoted[1]) is not None and any(
            d.code == "GRD101" for d in c.rec.latest(quoted[1]).diagnostics))
        # a code action on the cell analyses it alone (no `model` there): that must not be published
        await c.code_actions(quoted[1], types.Range(start=types.Position(line=3, character=14),
                                                    end=types.Position(line=3, character=23)))
        await asyncio.sleep(1.0)
        assert [d.code for d in c.rec.latest(quoted[1]).diagnostics] == ["GRD101"]
        assert list(c.rec.latest(quoted[0]).diagnostics) == []
        assert await c.alive()
