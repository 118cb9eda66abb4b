"""Conversions between gradls findings and LSP objects.

gradls spans are 1-based, count columns in Unicode code points and have an exclusive
end. LSP positions are 0-based and count columns in the negotiated position encoding
(UTF-16 unless the client asked for UTF-8 or UTF-32). Lines follow the LSP rule: they
end at ``\\n``, ``\\r\\n`` or ``\\r`` (``str.splitlines`` would also split on form feeds
and U+2028, which editors and the Python tokenizer do not).

Everything here is pure and tolerant: out-of-range positions are clamped, never raised.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Iterable

from lsprotocol import types

from ..model import Edit, Finding, Span

SOURCE = "gradls"
DOCS_BASE_URL = "https://gradls.dev/rules"

_NEWLINE = re.compile(r"\r\n|\r|\n")

SEVERITY_TO_LSP = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def rule_url(code: str) -> str:
    return f"{DOCS_BASE_URL}/{code}"


def _units(text: str, encoding: str) -> int:
    """Length of `text` in the code units of `encoding`."""
    if encoding == types.PositionEncodingKind.Utf32 or text.isascii():
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class LineIndex:
    """Line starts of a text, and conversions between offsets and positions."""

    __slots__ = ("text", "starts", "encoding")

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16):
        self.text = text
        self.encoding = encoding
        starts = [0]
        starts.extend(m.end() for m in _NEWLINE.finditer(text))
        self.starts = starts

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_text(self, line0: int) -> str:
        """The text of a 0-based line, without its line ending ('' when out of range)."""
        if line0 < 0 or line0 >= len(self.starts):
            return ""
        start = self.starts[line0]
        end = self.starts[line0 + 1] if line0 + 1 < len(self.starts) else len(self.text)
        line = self.text[start:end]
        if line.endswith("\r\n"):
            return line[:-2]
        if line.endswith(("\n", "\r")):
            return line[:-1]
        return line

    def line_of_offset(self, offset: int) -> int:
        return max(0, bisect_right(self.starts, offset) - 1)

    # --- gradls (1-based code points) -> offsets / LSP ---------------------------------
    def offset_of(self, line: int, column: int) -> int:
        """Code point offset of a 1-based (line, column); clamped to the text."""
        line0 = min(max(line - 1, 0), len(self.starts) - 1)
        text = self.line_text(line0)
        col0 = min(max(column - 1, 0), len(text))
        return self.starts[line0] + col0

    def position(self, line: int, column: int) -> types.Position:
        line0 = line - 1
        if line0 < 0:
            return types.Position(line=0, character=0)
        if line0 >= len(self.starts):
            last = len(self.starts) - 1
            return types.Position(line=last, character=_units(self.line_text(last), self.encoding))
        text = self.line_text(line0)
        col0 = min(max(column - 1, 0), len(text))
        return types.Position(line=line0, character=_units(text[:col0], self.encoding))

    def range(self, span: Span) -> types.Range:
        return types.Range(
            start=self.position(span.line, span.column),
            end=self.position(span.end_line, span.end_column),
        )

    # --- LSP -> gradls ------------------------------------------------------------------
    def to_line_column(self, position: types.Position) -> tuple[int, int]:
        """1-based (line, code point column) of an LSP position, clamped."""
        line0 = position.line
        if line0 < 0:
            return 1, 1
        if line0 >= len(self.starts):
            last = len(self.starts) - 1
            return last + 1, len(self.line_text(last)) + 1
        text = self.line_text(line0)
        want = max(position.character, 0)
        if self.encoding == types.PositionEncodingKind.Utf32 or text.isascii():
            return line0 + 1, min(want, len(text)) + 1
        units = 0
        for i, char in enumerate(text):
            if units >= want:
                return line0 + 1, i + 1
            units += _units(char, self.encoding)
            if units > want:  # inside a multi-unit character: round down
                return line0 + 1, i + 1
        return line0 + 1, len(text) + 1

    def offset_at(self, position: types.Position) -> int:
        line, column = self.to_line_column(position)
        return self.offset_of(line, column)

    def range_from_offsets(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position_at_offset(start), end=self.position_at_offset(end))

    def position_at_offset(self, offset: int) -> types.Position:
        offset = min(max(offset, 0), len(self.text))
        line0 = self.line_of_offset(offset)
        col0 = offset - self.starts[line0]
        text = self.line_text(line0)
        col0 = min(col0, len(text))
        return types.Position(line=line0, character=_units(text[:col0], self.encoding))


def span_contains(span: Span, line: int, column: int) -> bool:
    """Whether the 1-based (line, column) is inside the span (end inclusive for hovers)."""
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def spans_overlap(span: Span, start: tuple[int, int], end: tuple[int, int]) -> bool:
    return (span.line, span.column) <= end and start <= (span.end_line, span.end_column)


def edits_to_lsp(edits: Iterable[Edit], index: LineIndex) -> list[types.TextEdit]:
    return [types.TextEdit(range=index.range(edit.span), new_text=edit.content) for edit in edits]


def fix_title(finding: Finding) -> str:
    message = finding.fix.message if finding.fix else finding.message
    return f"{SOURCE} ({finding.code}): {message}"


def _elsewhere(path: str, span) -> types.Location:
    """A place in another file (the training script's backward): its columns are taken as they
    are (that file's text is not at hand; exact for ASCII lines)."""
    from pygls.uris import from_fs_path

    return types.Location(uri=from_fs_path(path), range=types.Range(
        start=types.Position(line=span.line - 1, character=span.column - 1),
        end=types.Position(line=span.end_line - 1, character=span.end_column - 1)))


def finding_to_diagnostic(finding: Finding, index: LineIndex, uri: str) -> types.Diagnostic:
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=index.range(item.span)) if not item.path
            else _elsewhere(item.path, item.span),
            message=item.message,
        )
        for item in finding.related
    ]
    data: dict = {"code": finding.code, "fix": None}
    if finding.fix is not None:
        data["fix"] = {
            "title": fix_title(finding),
            "applicability": finding.fix.applicability,
            "edits": [
                {
                    "range": {
                        "start": {"line": e.range.start.line, "character": e.range.start.character},
                        "end": {"line": e.range.end.line, "character": e.range.end.character},
                    },
                    "newText": e.new_text,
                }
                for e in edits_to_lsp(finding.fix.edits, index)
            ],
        }
    return types.Diagnostic(
        range=index.range(finding.span),
        message=finding.message,
        severity=SEVERITY_TO_LSP.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=rule_url(finding.code)),
        source=SOURCE,
        related_information=related or None,
        data=data,
    )


def minimal_edit(old: str, new: str, index: LineIndex) -> types.TextEdit | None:
    """One TextEdit turning `old` (indexed by `index`) into `new`, or None if equal.

    Trims the common prefix and suffix so editors keep cursors and folds stable.
    """
    if old == new:
        return None
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    # Never split a "\r\n" pair: a range ending between them is ill-defined in LSP.
    if start > 0 and old[start - 1] == "\r" and start < len(old) and old[start] == "\n":
        start -= 1
    if end_old < len(old) and old[end_old] == "\n" and end_old > 0 and old[end_old - 1] == "\r":
        end_old += 1
        end_new += 1
    return types.TextEdit(range=index.range_from_offsets(start, end_old), new_text=new[start:end_new])


def _split_lines(text: str) -> list[str]:
    """Lines with their endings, split where LSP splits them (\\r\\n, \\r, \\n)."""
    parts = _NEWLINE.split(text)
    ends = _NEWLINE.findall(text)
    lines = [p + e for p, e in zip(parts, ends)]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _changed_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int, int]]:
    """(i1, i2, j1, j2): the blocks of lines a[i1:i2] that became b[j1:j2].

    Fixes mostly rewrite inside lines: with as many lines before as after, each run of
    differing lines is one block (linear). Otherwise difflib; its "popular line" heuristic
    (autojunk) keeps a 20,000-line file to a fraction of a second and still yields a correct
    diff, at worst a coarser one."""
    if len(a) == len(b):
        blocks, i = [], 0
        while i < len(a):
            if a[i] == b[i]:
                i += 1
                continue
            start = i
            while i < len(a) and a[i] != b[i]:
                i += 1
            blocks.append((start, i, start, i))
        return blocks
    import difflib

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=True)
    return [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def diff_edits(old: str, new: str, index: LineIndex) -> list[types.TextEdit]:
    """A small set of non-overlapping TextEdits turning `old` into `new` (difflib).

    Lines are matched (`_changed_blocks`); each changed block becomes one
    edit, trimmed to the characters that differ (a removed `.detach()` is an edit of
    nine characters, not of its whole line), so an editor keeps the cursor, folds and
    undo history of everything the fixes did not touch. Empty when the texts are equal.
    """
    if old == new:
        return []
    a, b = _split_lines(old), _split_lines(new)
    a_starts = [0]
    for line in a:
        a_starts.append(a_starts[-1] + len(line))
    b_starts = [0]
    for line in b:
        b_starts.append(b_starts[-1] + len(line))
    edits: list[types.TextEdit] = []
    for i1, i2, j1, j2 in _changed_blocks(a, b):
        start, end = a_starts[i1], a_starts[i2]
        new_start, new_end = b_starts[j1], b_starts[j2]
        # trim the common prefix and suffix of the block, never splitting a "\r\n"
        limit = min(end - start, new_end - new_start)
        p = 0
        while p < limit and old[start + p] == new[new_start + p]:
            p += 1
        if p and old[start + p - 1] == "\r" and start + p < len(old) and old[start + p] == "\n":
            p -= 1
        s = 0
        while s < limit - p and old[end - 1 - s] == new[new_end - 1 - s]:
            s += 1
        if s and old[end - s] == "\n" and end - s > 0 and old[end - s - 1] == "\r":
            s -= 1
        edits.append(types.TextEdit(range=index.range_from_offsets(start + p, end - s),
                                    new_text=new[new_start + p:new_end - s]))
    return edits
