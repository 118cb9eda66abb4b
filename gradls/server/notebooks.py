"""Notebook documents in the language server: the code cells of an open notebook are checked
together (as `gradls check x.ipynb` does, see gradls/sourcefile.py) and each cell gets the
diagnostics that fall inside it, positioned relative to the cell.

The sync options name the notebook type (`jupyter-notebook`) with the Python cells, never a
`cells`-only selector, which pygls 2.x's client cannot parse. Only clients that declare
notebook support are told about them (pygls leaves the capability out otherwise).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from urllib.parse import unquote

from lsprotocol import types

from ..engine import check_source
from ..model import Edit, Finding, Fix, Span
from ..sourcefile import notebook_from_cells
from .convert import LineIndex, finding_to_diagnostic

log = logging.getLogger(__name__)

SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[types.NotebookDocumentFilterWithNotebook(
        notebook="jupyter-notebook", cells=[types.NotebookCellLanguage(language="python")])],
)


def code_cells(ls, notebook_uri: str) -> list[tuple[str, str]]:
    """(cell uri, text) of the notebook's Python code cells, in order."""
    notebook = ls.workspace.get_notebook_document(notebook_uri=notebook_uri)
    if notebook is None:
        return []
    cells = []
    for cell in notebook.cells:
        if cell.kind != types.NotebookCellKind.Code:
            continue
        # pygls keys its documents by the unquoted URI; VS Code's cell URIs are quoted
        # (vscode-notebook-cell://...#W0s...%3D%3D)
        doc = ls.workspace.text_documents.get(unquote(cell.document))
        if doc is None or (doc.language_id and doc.language_id != "python"):
            continue
        cells.append((cell.document, doc.source))
    return cells


def _shift(span: Span, lines: int) -> Span:
    return Span(span.line - lines, span.column, span.end_line - lines, span.end_column)


def _in_cell(span: Span, first: int, count: int) -> bool:
    return first <= span.line and span.end_line < first + max(count, 1)


def cell_findings(findings: list[Finding], notebook) -> dict[int, list[Finding]]:
    """The findings of the joined text, per code cell (position in the list), cell-relative."""
    out: dict[int, list[Finding]] = {}
    for finding in findings:
        for number, cell in enumerate(notebook.cells):
            if not _in_cell(finding.span, cell.first_line, cell.line_count):
                continue
            offset = cell.first_line - 1
            fix = finding.fix
            if fix is not None:
                if all(_in_cell(e.span, cell.first_line, cell.line_count) for e in fix.edits):
                    fix = Fix(fix.applicability, fix.message,
                              tuple(Edit(_shift(e.span, offset), e.content) for e in fix.edits))
                else:
                    fix = None  # an edit in another cell cannot be applied to this one
            related = tuple(dataclasses.replace(r, span=_shift(r.span, offset)) for r in finding.related
                            if getattr(r, "path", None) or _in_cell(r.span, cell.first_line, cell.line_count))
            related = tuple(r for r in related if r.span.line >= 1)
            out.setdefault(number, []).append(dataclasses.replace(
                finding, span=_shift(finding.span, offset), fix=fix, related=related,
                message=notebook.rewrite_message(finding.message)))
            break
    return out


def check_notebook(ls, notebook_uri: str) -> dict[str, list[types.Diagnostic]]:
    """Diagnostics per cell uri (every code cell, empty lists included)."""
    cells = code_cells(ls, notebook_uri)
    if not cells:
        return {}
    notebook = notebook_from_cells([text for _, text in cells])
    from pygls.uris import to_fs_path

    path = to_fs_path(notebook_uri) or notebook_uri
    settings, warnings = ls.settings_store.for_path(path if os.path.isabs(path) else None)
    ls.warn(warnings)
    findings = check_source(notebook.text, path, settings)
    per_cell = cell_findings(findings, notebook)
    encoding = str(ls.workspace.position_encoding or types.PositionEncodingKind.Utf16)
    out = {}
    for number, (uri, text) in enumerate(cells):
        index = LineIndex(text, encoding)
        out[uri] = [finding_to_diagnostic(f, index, uri) for f in per_cell.get(number, [])]
    return out


def publish(ls, notebook_uri: str) -> None:
    try:
        by_cell = check_notebook(ls, notebook_uri)
    except Exception:  # never let one notebook take the server down
        log.exception("cannot check notebook %s", notebook_uri)
        return
    stale = ls.notebook_cells.get(notebook_uri, set()) - set(by_cell)
    ls.notebook_cells[notebook_uri] = set(by_cell)
    for uri in stale:
        ls.notebook_diagnostics.pop(uri, None)
        ls._send(uri, [], None)
    for uri, diagnostics in by_cell.items():
        ls.notebook_diagnostics[uri] = diagnostics
        ls._send(uri, diagnostics, None)
    if ls.pull_mode and ls.capability("workspace.diagnostics.refresh_support"):
        ls.workspace_diagnostic_refresh(None)


def close(ls, notebook_uri: str, cell_uris: list[str]) -> None:
    for uri in set(cell_uris) | ls.notebook_cells.pop(notebook_uri, set()):
        ls.notebook_diagnostics.pop(uri, None)
        ls._send(uri, [], None)
