"""`# gradls: ignore` and `# gradls: ignore[GRD101, GRD103]` comments."""

from __future__ import annotations

import io
import re
import tokenize

_DIRECTIVE = re.compile(r"#\s*gradls:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
ALL = "*"


def suppressions(source: str) -> dict[int, set[str]]:
    """Line -> suppressed codes (`{"*"}` for a bare ignore). Only real comments count."""
    if "gradls:" not in source:
        return {}
    found: dict[int, set[str]] = {}
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        for token in tokens:
            if token.type == tokenize.COMMENT:
                codes = parse_directive(token.string)
                if codes is not None:
                    found.setdefault(token.start[0], set()).update(codes)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return found


def parse_directive(comment: str) -> set[str] | None:
    match = _DIRECTIVE.search(comment)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return {ALL}
    return {c.strip().upper() for c in codes.split(",") if c.strip()} or {ALL}


def is_suppressed(table: dict[int, set[str]], line: int, code: str) -> bool:
    codes = table.get(line)
    return bool(codes) and (ALL in codes or code in codes)
