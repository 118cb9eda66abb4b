"""The one entry point every front end uses: source text in, findings out."""

from __future__ import annotations

import ast
import os
import sys
import warnings

from .analysis.source import SourceFile
from .config import Settings
from .model import Finding, Span
from .rules import SYNTAX_ERROR_CODE, RuleContext, registry
from .suppression import is_suppressed, suppressions

# A file without any of these words cannot hold a finding: it is parsed, not analysed.
RELEVANT_WORDS = ("backward", "autograd", "requires_grad", "Parameter", "loss", "optim", "no_grad", "forward",
                  "training_step", "criterion")


def check_source(source: str, path: str = "<stdin>", settings: Settings | None = None,
                 resolver=None) -> list[Finding]:
    """Analyse one file's text and return its findings, sorted by position.

    `resolver` (see gradls/analysis/external.py) answers for names imported from other files;
    without it each file is analysed alone. Never raises on user input: a syntax error
    becomes one GRD000 finding.
    """
    settings = settings or Settings()
    if not settings.enable:
        return []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as err:
        return [syntax_error_finding(err, source, path)]
    if not any(word in source for word in RELEVANT_WORDS):
        return []  # parsed only to report syntax errors: nothing here can break gradient flow
    context = RuleContext(SourceFile(source, path), tree, resolver)
    findings = []
    for rule in registry:
        if settings.is_enabled(rule.code):
            findings.extend(_run_rule(rule, context, path))
    table = suppressions(source)
    findings = [f for f in findings if not is_suppressed(table, f.line, f.code)]
    for finding in findings:
        finding.severity = settings.severity_for(finding.code, finding.severity)
    return sorted(findings, key=Finding.sort_key)


def _run_rule(rule, context: RuleContext, path: str) -> list[Finding]:
    """A bug in one rule must not cost the user the other rules' findings, or the server.

    Set GRADLS_STRICT=1 (the test suite does) to let such bugs raise.
    """
    try:
        return list(rule.check(context))
    except RecursionError:
        return []
    except Exception as err:  # noqa: BLE001 - reported, never swallowed silently
        if os.environ.get("GRADLS_STRICT"):
            raise
        print(f"gradls: internal error in {rule.code} on {path}: {err!r} (please report)", file=sys.stderr)
        return []


def syntax_error_finding(err: Exception, source: str, path: str) -> Finding:
    line = getattr(err, "lineno", None) or 1
    column = getattr(err, "offset", None) or 1
    lines = source.splitlines()
    line = max(1, min(line, len(lines) or 1))
    text = lines[line - 1] if lines else ""
    column = max(1, min(column, len(text) + 1))
    message = getattr(err, "msg", None) or str(err)
    span = Span(line, column, line, max(column + 1, len(text) + 1) if column <= len(text) else column)
    return Finding(SYNTAX_ERROR_CODE, f"syntax error: {message}", span, "error", path)
