"""Renderers for `gradls check`: text (like ruff), json, sarif 2.1.0 and GitHub annotations."""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from .model import Finding
from .rules import registry

DOCS_URL = "https://gradls.dev/rules/{code}"
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}


def render(findings: list[Finding], fmt: str, sources: dict[str, str], fixable_hint: bool = True) -> str:
    if fmt == "json":
        return json.dumps([f.to_json() for f in findings], indent=2)
    if fmt == "sarif":
        return json.dumps(sarif(findings), indent=2)
    if fmt == "github":
        return "\n".join(github_line(f) for f in findings)
    return text(findings, sources, fixable_hint)


def text(findings: list[Finding], sources: dict[str, str], fixable_hint: bool) -> str:
    blocks = [_text_block(f, sources.get(f.path)) for f in findings]
    if findings:
        fixable = sum(1 for f in findings if f.fix and f.fix.applicability == "safe")
        unsafe = sum(1 for f in findings if f.fix and f.fix.applicability == "unsafe")
        summary = f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''}."
        if fixable_hint and fixable:
            summary += f"\n[*] {fixable} fixable with `gradls check --fix`."
        if fixable_hint and unsafe:
            more = " more" if fixable else ""
            summary += f"\n{unsafe}{more} fixable with `gradls check --fix --unsafe-fixes` (review those edits)."
        blocks.append(summary)
    return "\n".join(blocks)


def _text_block(finding: Finding, source: str | None) -> str:
    marker = "[*] " if finding.fix and finding.fix.applicability == "safe" else ""
    head = f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {marker}{finding.message}"
    if source is None:
        return head
    lines = source.splitlines()
    if not 1 <= finding.line <= len(lines):
        return head
    code_line = lines[finding.line - 1].expandtabs(1)
    number = str(finding.line)
    pad = " " * len(number)
    end = finding.span.end_column if finding.span.end_line == finding.line else len(code_line) + 1
    width = max(1, end - finding.column)
    caret = " " * (finding.column - 1) + "^" * width
    return f"{head}\n{pad} |\n{number} | {code_line}\n{pad} | {caret}\n"


def github_line(finding: Finding) -> str:
    level = "error" if finding.severity == "error" else "warning" if finding.severity == "warning" else "notice"
    message = finding.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return (f"::{level} title=gradls ({finding.code}),file={finding.path},line={finding.line},"
            f"col={finding.column},endLine={finding.span.end_line},endColumn={finding.span.end_column}::"
            f"{finding.code} {message}")


def sarif(findings: list[Finding]) -> dict:
    rules = list(registry)
    index = {rule.code: i for i, rule in enumerate(rules)}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gradls",
                "version": __version__,
                "informationUri": "https://gradls.dev",
                "rules": [_sarif_rule(rule) for rule in rules],
            }},
            "results": [_sarif_result(f, index) for f in findings],
        }],
    }


def _sarif_rule(rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.doc.strip(), "markdown": rule.doc.strip()},
        "helpUri": DOCS_URL.format(code=rule.code),
        "defaultConfiguration": {"level": SARIF_LEVELS[rule.default_severity]},
    }


def _sarif_region(span) -> dict:
    return {"startLine": span.line, "startColumn": span.column, "endLine": span.end_line,
            "endColumn": span.end_column}


def _sarif_result(finding: Finding, index: dict) -> dict:
    uri = Path(finding.path).as_posix()
    location = {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                     "region": _sarif_region(finding.span)}}
    result = {
        "ruleId": finding.code,
        "level": SARIF_LEVELS.get(finding.severity, "warning"),
        "message": {"text": finding.message},
        "locations": [location],
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if finding.related:
        result["relatedLocations"] = [
            {"id": i, "message": {"text": r.message},
             "physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                  "region": _sarif_region(r.span)}}
            for i, r in enumerate(finding.related)
        ]
    return result
