"""The server's copy of an open document, kept equal to the client's.

pygls applies incremental edits on `str.splitlines()` lines, which also end at form feeds,
U+2028, `\\x1c`-`\\x1e` and `\\x85`; the LSP counts lines only at `\\n`, `\\r\\n` and `\\r`.
A Python file with a form feed (`^L` page breaks are common in older code) then drifts from
the editor's text after the first edit below it. pygls also moves a position past the end of
a line to the start of the next one, where the LSP says it means the end of that line. Here
an edit is applied through the same line model as every other position (convert.LineIndex).
"""

from __future__ import annotations

import types as pytypes

from lsprotocol import types
from pygls.workspace import TextDocument

from .convert import LineIndex


class LspTextDocument(TextDocument):
    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        source = self.source
        index = LineIndex(source, self.position_codec.encoding)
        start, end = index.offset_at(change.range.start), index.offset_at(change.range.end)
        if end < start:  # a reversed range: the span between its ends
            start, end = end, start
        self._source = source[:start] + change.text + source[end:]


def use_lsp_documents(workspace) -> None:
    """Make `workspace` (pygls) create LspTextDocument for every document opened from now on."""
    def create(self, doc_uri, source=None, version=None, language_id=None):
        return LspTextDocument(doc_uri, source=source, version=version, language_id=language_id,
                               sync_kind=self._sync_kind, position_codec=self._position_codec)

    workspace._create_text_document = pytypes.MethodType(create, workspace)
