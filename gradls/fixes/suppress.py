"""The suppression edit: `# gradls: ignore[CODE]` at the end of a finding's first line.

Shared by the CLI and the language server's "Suppress CODE on this line" code action.
A finding is suppressed by a directive on the line where it *starts* (see
`gradls.suppression`), so that is the line the comment goes on.
"""

from __future__ import annotations

import io
import re
import tokenize

from ..model import Edit, Finding, Span
from ..suppression import ALL, parse_directive

_DIRECTIVE = re.compile(r"#\s*gradls:\s*ignore(?P<bracket>\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)


def suppression_edit(source: str, finding: Finding) -> Edit | None:
    """The edit that suppresses `finding` (uses `finding.span.line` and `finding.code`).

    * no comment on the line: appends `  # gradls: ignore[CODE]` after the code (trailing
      whitespace is replaced);
    * a `# gradls: ignore[A, B]` comment already there: merges, giving `# gradls: ignore[A, B, CODE]`;
    * another comment (`# noqa`, `# type: ignore`): appends the directive after it.

    Returns None when no comment can go on that line: the line ends inside a
    multi-line string or with a backslash continuation, the code is already suppressed
    there, or the line does not exist.
    """
    return suppression_edit_for(source, finding.span.line, finding.code)


def suppression_edit_for(source: str, line: int, code: str) -> Edit | None:
    lines = _lines(source)
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    body = text.rstrip("\r\n")
    comment = _comment_on(source, line)
    if comment is not None:
        start_col, comment_text = comment
        codes = parse_directive(comment_text)
        if codes is not None and (ALL in codes or code.upper() in codes):
            return None
        match = _DIRECTIVE.search(comment_text)
        if match is not None and match.group("bracket"):
            existing = [c.strip() for c in match.group("codes").split(",") if c.strip()]
            merged = f"[{', '.join(existing + [code])}]"
            bracket_start = start_col + match.start("bracket")
            bracket_end = start_col + match.end("bracket")
            return Edit(Span(line, bracket_start + 1, line, bracket_end + 1), merged)
    elif _line_continues(source, line, body):
        return None
    code_end = len(body.rstrip())
    return Edit(Span(line, code_end + 1, line, len(body) + 1), f"  # gradls: ignore[{code}]")


def _lines(source: str) -> list[str]:
    # the tokenizer's notion of lines: \r\n, \r and \n only (not form feeds)
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", source)


def _tokens(source: str):
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None


def _comment_on(source: str, line: int) -> tuple[int, str] | None:
    """(0-based character column, text) of the comment on `line`, if any."""
    if "#" not in _lines(source)[line - 1]:
        return None
    tokens = _tokens(source)
    if tokens is None:
        return None
    for token in tokens:
        if token.type == tokenize.COMMENT and token.start[0] == line:
            return token.start[1], token.string
    return None


def _line_continues(source: str, line: int, body: str) -> bool:
    """True when a comment cannot be appended: a backslash continuation or an open string."""
    if body.endswith("\\"):
        return True
    tokens = _tokens(source)
    if tokens is None:
        return False
    for token in tokens:
        if token.type == tokenize.STRING or getattr(tokenize, "FSTRING_MIDDLE", -1) == token.type:
            if token.start[0] <= line < token.end[0]:
                return True
    return False
