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


def suppression_edits(source: str, places: list[tuple[int, str]]) -> list[Edit | None]:
    """`suppression_edit_for` for many (line, code) pairs, tokenizing the source once."""
    tokens = _tokens(source)
    lines = _lines(source)
    return [suppression_edit_for(source, line, code, tokens, lines) for line, code in places]


def suppression_edit_for(source: str, line: int, code: str, tokens=False, lines=None) -> Edit | None:
    lines = lines if lines is not None else _lines(source)
    if tokens is False:
        tokens = _tokens(source)
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    body = text.rstrip("\r\n")
    comment = _comment_on(lines, line, tokens)
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
    elif _line_continues(tokens, line, body):
        return None
    code_end = len(body.rstrip())
    return Edit(Span(line, code_end + 1, line, len(body) + 1), f"  # gradls: ignore[{code}]")


def _lines(source: str) -> list[str]:
    # the tokenizer's notion of lines: \r\n, \r and \n only (not form feeds)
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", source)


def _tokens(source: str):
    """(comments by line, lines that end inside a string), or None when the source does not tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    comments: dict[int, tuple[int, str]] = {}
    open_lines: set[int] = set()
    middle = getattr(tokenize, "FSTRING_MIDDLE", -1)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            comments.setdefault(token.start[0], (token.start[1], token.string))
        elif (token.type == tokenize.STRING or token.type == middle) and token.end[0] > token.start[0]:
            open_lines.update(range(token.start[0], token.end[0]))
    return comments, open_lines


def _comment_on(lines: list[str], line: int, tokens) -> tuple[int, str] | None:
    """(0-based character column, text) of the comment on `line`, if any."""
    if "#" not in lines[line - 1] or tokens is None:
        return None
    return tokens[0].get(line)


def _line_continues(tokens, line: int, body: str) -> bool:
    """True when a comment cannot be appended: a backslash continuation or an open string."""
    if body.endswith("\\"):
        return True
    return tokens is not None and line in tokens[1]
