"""What a rule is, and the context every rule reads from.

A rule is one class in one file: its code, a kebab-case name, a one-line summary, and its
documentation (what it finds, why it is a bug and what execution shows, an example, the
fix). `gradls explain CODE`, the server's hover and the docs are all generated from it.
"""

from __future__ import annotations

import ast
from functools import cached_property
from typing import Iterable

from ..analysis.cuts import CutReport, gradient_cuts
from ..analysis.objects import SetupWorld
from ..analysis.program import FileAnalysis
from ..analysis.source import SourceFile
from ..analysis.values import ARGUMENT
from ..model import Edit, Finding, Fix, Related, Span


def carries_gradient(flow) -> bool:
    """True if a known gradient source (not just an unresolved function argument) reaches `flow`."""
    return any(origin.kind != ARGUMENT for origin in flow.live)


class Rule:
    code: str = ""
    name: str = ""
    summary: str = ""
    doc: str = ""
    default_severity: str = "warning"
    # Words that must appear in a file for the rule to have anything to find.
    keywords: tuple[str, ...] = ()

    def check(self, ctx: "RuleContext") -> Iterable[Finding]:
        raise NotImplementedError

    def documentation(self) -> str:
        return f"# {self.code} {self.name}\n\n{self.summary}\n\n{self.doc.strip()}\n"


class FileAlone:
    """What the analysis of a file checked alone asks of the project: names it imports from other
    files stay unknown; which layers of its classes the project's training code trains is still
    known (`class_training`: a detach in forward is reported only where it cuts those)."""

    def __init__(self, resolver) -> None:
        self._resolver = resolver

    def resolve(self, qualified: str, importer: str):
        return None

    def library_kind(self, qualified: str, importer: str):
        return None

    def class_training(self, path: str, class_name: str) -> tuple:
        ask = getattr(self._resolver, "class_training", None)
        return ask(path, class_name) if ask is not None else ()


class RuleContext:
    def __init__(self, source: SourceFile, tree: ast.Module, resolver=None, previous=None,
                 alone: bool = False) -> None:
        self.source = source
        self.tree = tree
        self.resolver = resolver
        self.alone = alone  # the analysis reads no other file (gradls/engine.py `_checked_with_the_project`)
        self.previous = previous  # the analysis of this file's previous version, to reuse from
        self.foreign: list = []   # findings of the setup evaluation in other files (`world_finding`)
        self.world_used = False

    @cached_property
    def analysis(self) -> FileAnalysis:
        resolver = FileAlone(self.resolver) if self.alone and self.resolver is not None else self.resolver
        return FileAnalysis.build(self.tree, self.source, resolver, self.previous)

    @cached_property
    def world(self) -> SetupWorld:
        """Modules, parameters and optimizers as the script's setup code builds them."""
        self.world_used = True
        return self.analysis.setup_world()

    def world_line(self, node: ast.AST, at: ast.AST) -> str:
        """`line N` of `node` as a message at `at` names it (`train.py line N` from another file)."""
        import os

        world = self.world
        path = world.path_of(node)
        if path == world.path_of(at):
            return f"line {node.lineno}"
        return f"{os.path.basename(path or self.source.path)} line {node.lineno}"

    def world_finding(self, rule: Rule, node: ast.AST, message: str, related=()) -> Finding | None:
        """A finding at `node`, a statement the setup evaluation ran: None when it is another
        file's (a helper in utils.py), where it is reported instead (gradls/analysis/external.py
        `SetupRootCause`); `related`: (node, description) pairs of this file."""
        world = self.world
        path = world.path_of(node)
        if path is None:
            return self.finding(rule, self.span(node), message,
                                related=[self.related(n, text) for n, text in related if world.path_of(n) is None])
        from ..analysis.external import setup_root_cause
        import os

        mine = [(n, text) for n, text in related if world.path_of(n) is None]
        if not mine and world.snapshot_top is not None:
            mine = [(world.snapshot_top, "the training script runs it here")]
        self.foreign.append(setup_root_cause(self.resolver, os.path.abspath(self.analysis.importer), rule, path,
                                             world.text_of(path), node, message, mine))
        return None

    def finding_elsewhere(self, rule: Rule, path: str, span: tuple, message: str, related=()) -> None:
        """A finding at `span` (line, column, end line, end column) of the project file at `path`
        (absolute, or as the resolver displays it), reported by that file as `world_finding`'s
        are; `related`: (node of this file, text)."""
        import os

        from ..analysis.external import root_cause_at

        self.foreign.append(root_cause_at(self.resolver, os.path.abspath(self.analysis.importer), rule, path, span,
                                          message, related))

    def release(self) -> None:
        """Free what only the rules needed (the setup evaluation) once they have run."""
        self.__dict__.pop("world", None)
        analysis = self.__dict__.get("analysis")
        if analysis is not None:  # the world is the analysis's own, which outlives this check (importers)
            analysis.release_setup_world()

    @cached_property
    def cuts(self) -> list[CutReport]:
        from ..analysis.external import file_cuts  # with a resolver: root causes other files confirm

        return file_cuts(self) if self.resolver is not None else gradient_cuts(self.analysis)

    def span(self, node: ast.AST) -> Span:
        return self.source.span(node)

    def finding(self, rule: Rule, span: Span, message: str, severity: str | None = None,
                fix: Fix | None = None, related: Iterable[Related] = ()) -> Finding:
        return Finding(rule.code, message, span, severity or rule.default_severity,
                       self.source.path, fix, tuple(related))

    def mentions(self, words: tuple[str, ...]) -> bool:
        """Whether the file's text contains one of `words` (a rule with nothing to find skips the file)."""
        return not words or any(word in self.source.text for word in words)

    def is_whole_statement(self, node: ast.AST) -> bool:
        """True if `node` alone fills its line(s): nothing but indentation and a comment around it."""
        span = self.span(node)
        before = self.source.line_text(span.line)[: span.column - 1]
        after = self.source.line_text(span.end_line)[span.end_column - 1 :].strip()
        return not before.strip() and (not after or after.startswith("#"))

    @cached_property
    def torch_alias(self) -> str | None:
        """The local name bound to the torch module (`torch`, `T`), if the file imports it."""
        for local, qualified in self.analysis.imports.aliases.items():
            if qualified == "torch":
                return local
        return None

    def related(self, node: ast.AST, message: str) -> Related:
        return Related(self.span(node), message)

    def deletion(self, span: Span, message: str, applicability: str = "safe") -> Fix:
        return Fix(applicability, message, (Edit(span, ""),))

    def replacement(self, span: Span, content: str, message: str, applicability: str = "safe") -> Fix:
        return Fix(applicability, message, (Edit(span, content),))
