"""Hover text for flagged ranges, and rule documentation lookups."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from .convert import rule_url, span_contains
from .scheduler import Analysis


def _registry() -> Any:
    try:
        from ..rules import registry  # type: ignore[attr-defined]
    except Exception:
        return None
    return registry


def rule_info(code: str) -> dict | None:
    """{'code', 'name', 'summary', 'doc', 'url'} for a rule, or None if unknown.

    Works with a registry that is a mapping, has `get`, or is a module exposing
    `get_rule`/`RULES`/`all_rules`; missing attributes are tolerated.
    """
    registry = _registry()
    rule = None
    if registry is not None:
        for getter in ("get_rule", "get", "rule"):
            fn = getattr(registry, getter, None)
            if callable(fn):
                try:
                    rule = fn(code)
                except Exception:
                    rule = None
                if rule is not None:
                    break
        if rule is None:
            for attr in ("RULES", "rules", "REGISTRY", "BY_CODE"):
                table = getattr(registry, attr, None)
                if callable(table):
                    try:
                        table = table()
                    except Exception:
                        table = None
                if isinstance(table, dict):
                    rule = table.get(code)
                elif table is not None:
                    try:
                        rule = next((r for r in table if getattr(r, "code", None) == code), None)
                    except TypeError:
                        rule = None
                if rule is not None:
                    break
        if rule is None:
            fn = getattr(registry, "all_rules", None)
            if callable(fn):
                try:
                    rule = next((r for r in fn() if getattr(r, "code", None) == code), None)
                except Exception:
                    rule = None
    if rule is None:
        return None
    return {
        "code": code,
        "name": str(getattr(rule, "name", "") or ""),
        "summary": str(getattr(rule, "summary", "") or ""),
        "doc": str(getattr(rule, "doc", "") or ""),
        "url": rule_url(code),
    }


def rule_markdown(code: str) -> str | None:
    info = rule_info(code)
    if info is None:
        return None
    title = f"### {code}" + (f" ({info['name']})" if info["name"] else "")
    parts = [title]
    if info["summary"]:
        parts.append(info["summary"])
    if info["doc"]:
        parts.append(info["doc"].strip())
    parts.append(f"[Documentation]({info['url']})")
    return "\n\n".join(parts)


def hover(analysis: Analysis, position: types.Position) -> types.Hover | None:
    line, column = analysis.index.to_line_column(position)
    hits = [f for f in analysis.findings if span_contains(f.span, line, column)]
    if not hits:
        return None
    sections = []
    for finding in hits:
        lines = [f"**gradls {finding.code}** ({finding.severity}): {finding.message}"]
        if finding.related:
            lines.append("")
            lines.append("Gradient path:")
            for item in sorted(finding.related, key=lambda r: r.span):
                lines.append(f"- line {item.span.line}: {item.message}")
        if finding.fix is not None:
            lines.append("")
            lines.append(f"Fix ({finding.fix.applicability}): {finding.fix.message}")
        doc = rule_markdown(finding.code)
        lines.append("")
        lines.append(doc if doc else f"[Documentation]({rule_url(finding.code)})")
        sections.append("\n".join(lines))
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(sections)),
        range=analysis.index.range(hits[0].span),
    )
