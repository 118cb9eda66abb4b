"""The objects every front end shares: findings, their fixes, and source spans.

Lines are 1-based; columns are 1-based and count Unicode code points (characters),
the way editors and ruff's JSON show them. The language server converts to UTF-16.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info", "hint"]
Applicability = Literal["safe", "unsafe"]


@dataclass(frozen=True, order=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text in `span` (end exclusive) with `content`."""

    span: Span
    content: str

    def to_json(self) -> dict:
        return {**asdict(self.span), "content": self.content}


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]

    def to_json(self) -> dict:
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [edit.to_json() for edit in self.edits],
        }


@dataclass(frozen=True)
class Related:
    """A place on the gradient path: where the value comes from, where it reaches backward."""

    span: Span
    message: str
    path: str | None = None  # another file's place (the training script's backward); None: the finding's file


@dataclass
class Finding:
    code: str
    message: str
    span: Span
    severity: Severity
    path: str = "<stdin>"
    fix: Fix | None = None
    related: tuple[Related, ...] = field(default_factory=tuple)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def sort_key(self) -> tuple:
        return (self.path, self.span, self.code)

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix.to_json() if self.fix else None,
            "related": [
                {**asdict(item.span), "message": item.message, **({"path": item.path} if item.path else {})}
                for item in self.related
            ],
        }


def finding_from_json(data: dict) -> Finding:
    """Inverse of `Finding.to_json` (used by the cache and the shadow pass)."""
    span = Span(data["line"], data["column"], data["end_line"], data["end_column"])
    fix = None
    if data.get("fix"):
        raw = data["fix"]
        edits = tuple(
            Edit(Span(e["line"], e["column"], e["end_line"], e["end_column"]), e["content"])
            for e in raw["edits"]
        )
        fix = Fix(raw["applicability"], raw["message"], edits)
    related = tuple(
        Related(Span(r["line"], r["column"], r["end_line"], r["end_column"]), r["message"], r.get("path"))
        for r in data.get("related", [])
    )
    return Finding(data["code"], data["message"], span, data["severity"], data["path"], fix, related)
