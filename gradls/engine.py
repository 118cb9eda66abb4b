"""The one entry point every front end uses: source text in, findings out."""

from __future__ import annotations

import ast
import gc
import os
import sys
import threading
from contextlib import contextmanager

from .analysis.external import runs_project_setup, setup_findings
from .analysis.incremental import IncrementalParser, parse
from .analysis.program import TRAINING_WORDS
from .analysis.reuse import PreviousAnalysis
from .analysis.source import SourceFile
from .config import Settings
from .model import Finding, Span
from .rules import SYNTAX_ERROR_CODE, RuleContext, registry
from .suppression import is_suppressed, suppressions
from .analysis.walk import cached_walk

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
    with collector_paused():
        alone = resolver is not None and not _checked_with_the_project(resolver, source)
        handed = getattr(resolver, "handed_analysis", None)
        analysis = handed(path, source) if handed is not None else None
        if alone:
            analysis = None  # (taken: the check reads the file alone)
        if analysis is not None:  # an importer of this file analysed this very text already
            analysis.complete()  # (the functions no importer asked for)
            context = RuleContext(analysis.source, analysis.tree, resolver)
            context.__dict__["analysis"] = analysis
            return _check_tree(context, settings)
        handed_tree = getattr(resolver, "handed_tree", None)
        tree = handed_tree(path, source) if handed_tree is not None else None
        if tree is None:
            try:
                tree = parse(source, path)
            except (SyntaxError, ValueError) as err:
                return [syntax_error_finding(err, source, path)]
        context = RuleContext(SourceFile(source, path), tree, resolver, alone=alone)
        findings = _check_tree(context, settings)
        if not alone and "analysis" in context.__dict__ and hasattr(resolver, "keep_checked"):
            resolver.keep_checked(path, context.analysis)  # a later importer's export analysis
        return findings


def _checked_with_the_project(resolver, text: str) -> bool:
    """A file with training code (or a program's entry point) is analysed with what it imports
    from the project's files. Any other file is analysed alone, as the model file alone says
    what it can: what the project's training code shows about it (a break its training reaches,
    the layers it trains) still arrives, as confirmations (`file_cuts`), and its exports for
    importers are analysed with the project."""
    first = getattr(resolver, "checks_first", None)
    return any(word in text for word in TRAINING_WORDS) or (first is not None and first(text))


_pause_lock = threading.Lock()
_pause_depth = 0
_enable_after_pause = False


@contextmanager
def collector_paused():
    """Keep Python's cyclic garbage collector out of one check (checks may overlap in threads).

    A check allocates tens of thousands of syntax-tree nodes and values that stay alive until
    it ends; the collector would walk them again and again (measured: ~12% of a 1,000-line
    check, more on bigger files). The few cycles they hold are collected after the check."""
    global _pause_depth, _enable_after_pause
    with _pause_lock:
        if _pause_depth == 0:
            _enable_after_pause = gc.isenabled()
            gc.disable()
        _pause_depth += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause_depth -= 1
            if _pause_depth == 0 and _enable_after_pause:
                gc.enable()


class DocumentChecker:
    """Checks one document version after version, as `check_source` would, but re-parses only
    the top-level statements an edit touched and reuses the analysis of functions whose inputs
    did not change (gradls/analysis/incremental.py and reuse.py). The language server keeps one
    per open document; `GRADLS_NO_REUSE=1` turns the reuse off (to compare)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._parser = IncrementalParser(path)
        self._previous: PreviousAnalysis | None = None
        self.reused = 0  # functions reused by the last check (benchmarks and tests read it)

    def check(self, source: str, settings: Settings | None = None) -> list[Finding]:
        settings = settings or Settings()
        if not settings.enable:
            return []
        with self._lock, collector_paused():
            try:
                tree = self._parse(source)
            except (SyntaxError, ValueError) as err:
                return [syntax_error_finding(err, source, self.path)]
            context = RuleContext(SourceFile(source, self.path), tree, previous=self._previous)
            findings = _check_tree(context, settings)
            built = context.__dict__.get("analysis")  # None when no rule needed the analysis
            self._previous = built.handover() if built is not None else None
            self.reused = built.reused if built is not None else 0
            return findings

    def _parse(self, source: str):
        if os.environ.get("GRADLS_NO_REUSE"):
            return parse(source, self.path)
        return self._parser.parse(source)


def _check_tree(context: RuleContext, settings: Settings) -> list[Finding]:
    source, path = context.source.text, context.source.path
    if not any(word in source for word in RELEVANT_WORDS) and not _confirmed_elsewhere(context) \
            and not runs_project_setup(context):
        return []  # parsed only to report syntax errors: nothing here can break gradient flow
    findings = []
    try:
        for rule in registry:
            if settings.is_enabled(rule.code):
                findings.extend(_run_rule(rule, context, path))
        if context.resolver is not None:  # setup findings in other files' statements (root causes)
            own = {(f.code, f.span) for f in findings}  # a file that trains its own model found them too
            findings.extend(f for f in _setup_findings(context, settings, path) if (f.code, f.span) not in own)
    finally:
        context.release()
    table = suppressions(source)
    findings = [f for f in findings if not is_suppressed(table, f.line, f.code)]
    if findings and "aises" in source:  # pytest.raises / assertRaises: the error is what the test expects
        expected = expected_error_blocks(context.tree)
        findings = [f for f in findings if not any(first <= f.line <= last for first, last in expected)]
    for finding in findings:
        finding.severity = settings.severity_for(finding.code, finding.severity)
    return sorted(findings, key=Finding.sort_key)


def _setup_findings(context: RuleContext, settings: Settings, path: str) -> list[Finding]:
    """`setup_findings`, kept to itself as each rule is: a failure there costs the rules' findings nothing."""
    return _guarded(lambda: setup_findings(context, settings), "the setup evaluation", path)


def _confirmed_elsewhere(context: RuleContext) -> bool:
    """A helper without a torch word of its own (`return x.detach() / x.std()`) may still hold the
    root cause of a break another file's training code reaches (gradls/analysis/external.py)."""
    ask = getattr(context.resolver, "confirmations_for", None)
    if ask is None:
        return False
    try:
        return bool(ask(os.path.abspath(context.source.path), context.source.text))
    except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's findings
        return False


EXPECTS_AN_ERROR = ("raises", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp")


def expected_error_blocks(tree) -> list[tuple[int, int]]:
    """Line ranges of `with pytest.raises(...)` / `with self.assertRaises(...)` bodies: code
    there is meant to fail, so a finding in it is the test's subject, not a bug."""
    blocks = []
    for node in cached_walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)) and any(
                _expects_an_error(item.context_expr) for item in node.items):
            blocks.append((node.body[0].lineno, node.end_lineno))
    return blocks


def _expects_an_error(expr) -> bool:
    func = expr.func if isinstance(expr, ast.Call) else expr
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in EXPECTS_AN_ERROR


def _run_rule(rule, context: RuleContext, path: str) -> list[Finding]:
    """A bug in one rule must not cost the user the other rules' findings, or the server."""
    return _guarded(lambda: rule.check(context), rule.code, path)


def _guarded(run, what: str, path: str) -> list[Finding]:
    """The findings `run` yields; a failure of it is said on stderr, never swallowed silently (a
    file not fully checked must not pass as clean). Set GRADLS_STRICT=1 (the test suite does) to
    let such bugs raise."""
    try:
        return list(run())
    except RecursionError:  # code nested past Python's limit
        print(f"gradls: {what} could not check {path}: its code is nested too deeply", file=sys.stderr)
        return []
    except Exception as err:  # noqa: BLE001 - reported, never swallowed silently
        if os.environ.get("GRADLS_STRICT"):
            raise
        print(f"gradls: internal error in {what} on {path}: {err!r} (please report)", file=sys.stderr)
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
