"""Source text with cheap conversions from `ast` offsets (UTF-8 bytes) to character columns."""

from __future__ import annotations

import ast

from ..model import Span


class SourceFile:
    def __init__(self, text: str, path: str = "<stdin>") -> None:
        self.text = text
        self.path = path
        self.lines = text.splitlines(keepends=True)

    def line_text(self, line: int) -> str:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return ""

    def column(self, line: int, byte_offset: int) -> int:
        """1-based character column of a UTF-8 byte offset on a 1-based line."""
        text = self.line_text(line)
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace")) + 1

    def span(self, node: ast.AST) -> Span:
        end_line = getattr(node, "end_lineno", None) or node.lineno
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end_col = node.col_offset
        return Span(
            node.lineno,
            self.column(node.lineno, node.col_offset),
            end_line,
            self.column(end_line, end_col),
        )

    def span_between(self, start: ast.AST, end: ast.AST, start_at_end: bool = True) -> Span:
        """From the end of `start` (or its start) to the end of `end`."""
        if start_at_end:
            line, col = start.end_lineno, start.end_col_offset
        else:
            line, col = start.lineno, start.col_offset
        return Span(line, self.column(line, col), end.end_lineno, self.column(end.end_lineno, end.end_col_offset))

    def segment(self, span: Span) -> str:
        if span.line == span.end_line:
            return self.line_text(span.line)[span.column - 1 : span.end_column - 1]
        parts = [self.line_text(span.line)[span.column - 1 :]]
        parts += [self.line_text(n) for n in range(span.line + 1, span.end_line)]
        parts.append(self.line_text(span.end_line)[: span.end_column - 1])
        return "".join(parts)
