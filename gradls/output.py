"""Renderers for `gradls check`: text (like ruff), concise, grouped, json, sarif 2.1.0, GitHub
annotations, JUnit XML and GitLab Code Quality.

Positions in a notebook are cell-relative in every format: text shows
`x.ipynb:cell 3:5:1`, json and gitlab carry the cell number (1-based position in the
notebook's `cells` list), SARIF and JUnit name the cell in the location.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from . import __version__
from .model import Finding
from .rules import SYNTAX_ERROR_CODE, registry

DOCS_URL = "https://gradls.dev/rules/{code}"
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}
GITLAB_SEVERITIES = {"error": "major", "warning": "minor", "info": "info", "hint": "info"}
FORMATS = ("text", "concise", "grouped", "json", "sarif", "github", "junit", "gitlab")


@dataclass(frozen=True)
class SyntaxErrorRule:
    """GRD000 has no analysis behind it, but it is reported and documented like a rule."""

    code: str = SYNTAX_ERROR_CODE
    name: str = "syntax-error-or-unchecked"
    summary: str = "the file could not be parsed or could not be checked at all"
    default_severity: str = "error"
    doc: str = """
## What it finds
A file gradls could not analyse: a syntax error (reported at the error), or a path that could
not be checked at all ("could not check": missing, unreadable, binary, not decodable with its
coding cookie, an invalid notebook). Such a file is never reported as clean: the run exits 2.

## Why is this bad?
Nothing reported for such a file does not mean its gradients flow: nothing was looked at.

## Example
```python
def train(:
    loss.backward()
```

## Use instead
Fix the syntax error, or give gradls a readable Python file or notebook.

## Fix safety
There is no automatic fix.
"""

    def documentation(self) -> str:
        return f"# {self.code} {self.name}\n\n{self.summary}\n\n{self.doc.strip()}\n"


SYNTAX_ERROR_RULE = SyntaxErrorRule()


def all_rules() -> list:
    return [SYNTAX_ERROR_RULE, *registry]


def rule_for(code: str):
    if code.upper() == SYNTAX_ERROR_CODE:
        return SYNTAX_ERROR_RULE
    return registry.get(code)


# --------------------------------------------------------------------------------------
# positions (notebook cells)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    cell: int | None
    line: int
    column: int
    end_line: int
    end_column: int

    def prefix(self) -> str:
        """`cell 3:5:1` in a notebook, `5:1` in a file."""
        where = f"{self.line}:{self.column}"
        return f"cell {self.cell}:{where}" if self.cell is not None else where


def position(finding: Finding, notebooks: dict | None) -> Position:
    span = finding.span
    notebook = (notebooks or {}).get(finding.path)
    if notebook is None:
        return Position(None, span.line, span.column, span.end_line, span.end_column)
    cell, line = notebook.locate(span.line)
    end_cell, end_line = notebook.locate(span.end_line)
    if end_cell != cell:
        end_line, end_column = line, span.column + 1
    else:
        end_column = span.end_column
    return Position(cell, line, span.column, end_line, end_column)


# --------------------------------------------------------------------------------------
# colour
# --------------------------------------------------------------------------------------


def use_colour(stream=None) -> bool:
    """Colour on a terminal only; FORCE_COLOR (non-empty, not 0) forces it, NO_COLOR turns it off."""
    force = os.environ.get("FORCE_COLOR", "")
    if force and force != "0":
        return True
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


class _Paint:
    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.on and text else text

    def bold(self, t): return self(t, "1")
    def red(self, t): return self(t, "1;31")
    def cyan(self, t): return self(t, "36")
    def blue(self, t): return self(t, "1;34")
    def dim(self, t): return self(t, "2")


# --------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------


def render(findings: list[Finding], fmt: str, sources: dict[str, str], fixable_hint: bool = True,
           notebooks: dict | None = None, colour: bool = False, summary: bool = True) -> str:
    notebooks = notebooks or {}
    if fmt == "json":
        return json.dumps([to_json(f, notebooks) for f in findings], indent=2)
    if fmt == "sarif":
        return json.dumps(sarif(findings, sources, notebooks), indent=2)
    if fmt == "github":
        return "\n".join(github_line(f, notebooks) for f in findings)
    if fmt == "junit":
        return junit(findings, notebooks)
    if fmt == "gitlab":
        return json.dumps(gitlab(findings, notebooks), indent=2)
    if fmt == "concise":
        return concise(findings, notebooks, colour, summary)
    if fmt == "grouped":
        return grouped(findings, notebooks, colour, summary, fixable_hint)
    return text(findings, sources, fixable_hint, notebooks, colour, summary)


def to_json(finding: Finding, notebooks: dict) -> dict:
    data = finding.to_json()
    pos = position(finding, notebooks)
    if pos.cell is not None:
        data.update(cell=pos.cell, line=pos.line, column=pos.column, end_line=pos.end_line,
                    end_column=pos.end_column)
        if data.get("fix"):
            data["fix"]["edits"] = [{**e, "line": position_of_line(finding.path, e["line"], notebooks)[1],
                                     "end_line": position_of_line(finding.path, e["end_line"], notebooks)[1],
                                     "cell": position_of_line(finding.path, e["line"], notebooks)[0]}
                                    for e in data["fix"]["edits"]]
        for item in data.get("related", []):
            item["cell"], item["line"] = position_of_line(finding.path, item["line"], notebooks)
            item["end_line"] = position_of_line(finding.path, item["end_line"], notebooks)[1]
    else:
        data["cell"] = None
    return data


def position_of_line(path: str, line: int, notebooks: dict) -> tuple[int | None, int]:
    notebook = notebooks.get(path)
    return notebook.locate(line) if notebook is not None else (None, line)


def _summary(findings: list[Finding], fixable_hint: bool) -> str:
    fixable = sum(1 for f in findings if f.fix and f.fix.applicability == "safe")
    unsafe = sum(1 for f in findings if f.fix and f.fix.applicability == "unsafe")
    summary = f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''}."
    if fixable_hint and fixable:
        summary += f"\n[*] {fixable} fixable with `gradls check --fix`."
    if fixable_hint and unsafe:
        more = " more" if fixable else ""
        summary += f"\n{unsafe}{more} fixable with `gradls check --fix --unsafe-fixes` (review those edits)."
    return summary


def text(findings: list[Finding], sources: dict[str, str], fixable_hint: bool, notebooks: dict | None = None,
         colour: bool = False, summary: bool = True) -> str:
    paint = _Paint(colour)
    blocks = [_text_block(f, sources.get(f.path), notebooks or {}, paint) for f in findings]
    if findings and summary:
        blocks.append(_summary(findings, fixable_hint))
    return "\n".join(blocks)


def _head(finding: Finding, notebooks: dict, paint: _Paint) -> str:
    pos = position(finding, notebooks)
    marker = "[*] " if finding.fix and finding.fix.applicability == "safe" else ""
    return (f"{paint.bold(finding.path)}{paint.cyan(':')}{pos.prefix()}{paint.cyan(':')} "
            f"{paint.red(finding.code)} {marker}{finding.message}")


def _text_block(finding: Finding, source: str | None, notebooks: dict, paint: _Paint) -> str:
    head = _head(finding, notebooks, paint)
    if source is None:
        return head
    lines = source.splitlines()
    if not 1 <= finding.line <= len(lines):
        return head
    code_line = lines[finding.line - 1].expandtabs(1)
    number = str(position(finding, notebooks).line)
    pad = " " * len(number)
    end = finding.span.end_column if finding.span.end_line == finding.line else len(code_line) + 1
    width = max(1, end - finding.column)
    caret = " " * (finding.column - 1) + paint.red("^" * width)
    bar = paint.blue("|")
    return f"{head}\n{pad} {bar}\n{paint.blue(number)} {bar} {code_line}\n{pad} {bar} {caret}\n"


def concise(findings: list[Finding], notebooks: dict, colour: bool = False, summary: bool = True) -> str:
    paint = _Paint(colour)
    lines = [_head(f, notebooks, paint) for f in findings]
    if findings and summary:
        lines.append(f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''}.")
    return "\n".join(lines)


def grouped(findings: list[Finding], notebooks: dict, colour: bool = False, summary: bool = True,
            fixable_hint: bool = True) -> str:
    paint = _Paint(colour)
    out: list[str] = []
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    for path, items in by_path.items():
        out.append(paint.bold(path) + ":")
        for finding in items:
            marker = "[*] " if finding.fix and finding.fix.applicability == "safe" else ""
            out.append(f"  {position(finding, notebooks).prefix()} {paint.red(finding.code)} {marker}{finding.message}")
        out.append("")
    if findings and summary:
        out.append(_summary(findings, fixable_hint))
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# GitHub workflow commands
# --------------------------------------------------------------------------------------


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github_line(finding: Finding, notebooks: dict | None = None) -> str:
    pos = position(finding, notebooks)
    level = "error" if finding.severity == "error" else "warning" if finding.severity == "warning" else "notice"
    where = f"cell {pos.cell}:" if pos.cell is not None else ""
    title = f"gradls ({finding.code})"
    return (f"::{level} title={_escape_property(title)},file={_escape_property(finding.path)},line={pos.line},"
            f"col={pos.column},endLine={pos.end_line},endColumn={pos.end_column}::"
            f"{_escape_data(f'{where}{finding.code} {finding.message}')}")


# --------------------------------------------------------------------------------------
# JUnit XML and GitLab Code Quality
# --------------------------------------------------------------------------------------


def junit(findings: list[Finding], notebooks: dict) -> str:
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="gradls" tests="{len(findings)}" failures="{len(findings)}" errors="0">']
    for path, items in by_path.items():
        out.append(f'  <testsuite name={quoteattr(path)} tests="{len(items)}" failures="{len(items)}" errors="0">')
        for finding in items:
            pos = position(finding, notebooks)
            name = f"{finding.path}:{pos.prefix()}"
            out.append(f'    <testcase name={quoteattr("org.gradls." + finding.code)} classname={quoteattr(name)} '
                       f'file={quoteattr(finding.path)} line="{pos.line}">')
            out.append(f'      <failure message={quoteattr(finding.message)} type={quoteattr(finding.code)}>'
                       f'{escape(f"{pos.prefix()} {finding.code} {finding.message}")}</failure>')
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out)


def gitlab(findings: list[Finding], notebooks: dict) -> list[dict]:
    issues = []
    seen: dict[str, int] = {}
    for finding in findings:
        pos = position(finding, notebooks)
        basis = f"{finding.path}|{finding.code}|{finding.message}"
        seen[basis] = seen.get(basis, 0) + 1  # stable across runs, unique within one
        fingerprint = hashlib.sha256(f"{basis}|{seen[basis]}".encode()).hexdigest()[:32]
        issue = {
            "description": f"{finding.code}: {finding.message}",
            "check_name": finding.code,
            "fingerprint": fingerprint,
            "severity": GITLAB_SEVERITIES.get(finding.severity, "minor"),
            "location": {"path": finding.path, "lines": {"begin": pos.line, "end": pos.end_line}},
        }
        if pos.cell is not None:
            issue["location"]["cell"] = pos.cell
        issues.append(issue)
    return issues


# --------------------------------------------------------------------------------------
# SARIF
# --------------------------------------------------------------------------------------


def sarif(findings: list[Finding], sources: dict[str, str] | None = None, notebooks: dict | None = None) -> dict:
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    levels: dict[str, set[str]] = {}
    for finding in findings:
        levels.setdefault(finding.code, set()).add(SARIF_LEVELS.get(finding.severity, "warning"))
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gradls",
                "version": __version__,
                "informationUri": "https://gradls.dev",
                "rules": [_sarif_rule(rule, levels.get(rule.code)) for rule in rules],
            }},
            "columnKind": "utf16CodeUnits",
            "results": [_sarif_result(f, index, sources or {}, notebooks or {}) for f in findings],
        }],
    }


def _sarif_rule(rule, levels: set[str] | None) -> dict:
    # the level the results of this run carry (a configured severity), else the rule's default
    level = next(iter(levels)) if levels and len(levels) == 1 else SARIF_LEVELS[rule.default_severity]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.doc.strip(), "markdown": rule.doc.strip()},
        "helpUri": DOCS_URL.format(code=rule.code),
        "defaultConfiguration": {"level": level},
    }


def utf16_column(line_text: str | None, column: int) -> int:
    """A 1-based column in code points as a 1-based column in UTF-16 code units."""
    if not line_text:
        return column
    prefix = line_text[: column - 1]
    return 1 + sum(2 if ord(ch) > 0xFFFF else 1 for ch in prefix) + max(0, column - 1 - len(prefix))


def _sarif_region(span, source_lines: list[str] | None, finding: Finding, notebooks: dict) -> dict:
    def line_text(n):
        return source_lines[n - 1] if source_lines and 1 <= n <= len(source_lines) else None

    cell, line = position_of_line(finding.path, span.line, notebooks)
    _, end_line = position_of_line(finding.path, span.end_line, notebooks)
    return {"startLine": line, "startColumn": utf16_column(line_text(span.line), span.column),
            "endLine": end_line, "endColumn": utf16_column(line_text(span.end_line), span.end_column)}


def _sarif_uri(finding: Finding, span, notebooks: dict) -> str:
    return Path(finding.path).as_posix()


def _sarif_result(finding: Finding, index: dict, sources: dict, notebooks: dict) -> dict:
    source = sources.get(finding.path)
    lines = source.splitlines() if source is not None else None
    location = {"physicalLocation": {
        "artifactLocation": {"uri": _sarif_uri(finding, finding.span, notebooks), "uriBaseId": "%SRCROOT%"},
        "region": _sarif_region(finding.span, lines, finding, notebooks)}}
    result = {
        "ruleId": finding.code,
        "level": SARIF_LEVELS.get(finding.severity, "warning"),
        "message": {"text": finding.message},
        "locations": [location],
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    cell, _ = position_of_line(finding.path, finding.span.line, notebooks)
    if cell is not None:  # lines and columns are relative to this notebook cell
        location["properties"] = {"cell": cell}
        result["properties"] = {"cell": cell}
    if finding.related:
        result["relatedLocations"] = [
            {"id": i, "message": {"text": r.message},
             "physicalLocation": {"artifactLocation": {"uri": Path(r.path).as_posix() if r.path
                                                       else _sarif_uri(finding, r.span, notebooks),
                                                       "uriBaseId": "%SRCROOT%"},
                                  "region": _sarif_region(r.span, lines, finding, notebooks)}}
            for i, r in enumerate(finding.related)
        ]
    return result
