"""Facts about code in other files, as the analysis of one file consumes them.

A resolver (the cross-module pass, built on jedi) answers "what is `losses.focal_loss`?"
with an `ExternalFunction` or `ExternalClass`: the same summaries the analysis computes for
local code, exported from the analysis of the defining file. Breaks inside another file are
reported at the call site in this file, naming where the break really is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Protocol

from .values import Break, Cut, Flow, Origin


@dataclass(frozen=True)
class ExternalFunction:
    qualified: str
    path: str
    line: int
    params: tuple[str, ...]      # without `self` for methods
    returns: Flow                # ARGUMENT origins named after params; breaks have node=None


@dataclass(frozen=True)
class ExternalClass:
    qualified: str
    path: str
    line: int
    is_module: bool
    is_loss: bool
    has_parameters: bool
    methods: dict = field(default_factory=dict)  # name -> ExternalFunction


class Resolver(Protocol):
    def resolve(self, qualified: str, importer: str) -> ExternalFunction | ExternalClass | None:
        """`qualified` as imported in the file at path `importer` (`.losses.dice` for relative)."""


def export_flow(flow: Flow, path: str, where: str) -> Flow:
    """A flow of another file, its breaks detached from that file's syntax tree."""
    cuts = frozenset(replace(c, origin=_export_origin(c.origin), brk=_export_break(c.brk, path, where))
                     for c in flow.cuts)
    items = tuple(export_flow(item, path, where) for item in flow.items)
    return Flow(frozenset(_export_origin(o) for o in flow.live), cuts, flow.tags, items)


def _export_origin(origin: Origin) -> Origin:
    """Without its anchor: a node of another file's tree means nothing here (and would be pickled)."""
    return Origin(origin.label, origin.kind) if origin.anchor is not None else origin


def _export_break(brk: Break, path: str, where: str) -> Break:
    if brk.node is None:
        return brk
    line = brk.node.lineno
    description = f"{brk.description} in `{where}` ({path}:{line})"
    return Break(brk.kind, None, ("external", path) + brk.key, description, subject_text=brk.subject)


def localize(program, flow: Flow, call: ast.Call) -> Flow:
    """Cuts made in another file, re-anchored at the call that reaches them from this file."""
    if not any(c.brk.node is None for c in flow.cuts) and not flow.items:
        return flow
    cuts = frozenset(_localize_cut(program, c, call) for c in flow.cuts)
    items = tuple(localize(program, item, call) for item in flow.items)
    return Flow(flow.live, cuts, flow.tags, items)


def _localize_cut(program, cut: Cut, call: ast.Call) -> Cut:
    if cut.brk.node is not None:
        return cut
    local = program.make_break(cut.brk.kind, call, call, cut.brk.description)
    return replace(cut, brk=local)


def export_definitions(analysis, module: str) -> dict:
    """Everything the file of `analysis` defines at top level, as other files will see it.

    `module` is the dotted module name (`pkg.losses`); keys are the top-level names.
    """
    path = analysis.source.path
    exported: dict = {}
    for name, callee in analysis.functions.items():
        exported[name] = _export_function(analysis, callee, f"{module}.{name}", path)
    for name, info in analysis.classes.items():
        methods = {
            method: _export_function(analysis, callee, f"{module}.{name}.{method}", path)
            for method, callee in info.methods.items()
            if not method.startswith("__") or method in ("__call__",)
        }
        exported[name] = ExternalClass(
            f"{module}.{name}", path, info.node.lineno, info.is_module, info.is_loss,
            bool(info.params or info.modules), methods,
        )
    return exported


def _export_function(analysis, callee, qualified: str, path: str) -> ExternalFunction:
    summary = analysis.summary(callee)
    params = tuple(callee.params[1:] if callee.is_method else callee.params)
    where = qualified.rsplit(".", 2)[-2] + "." + qualified.rsplit(".", 1)[-1] if callee.is_method else qualified.rsplit(".", 1)[-1]
    return ExternalFunction(qualified, path, callee.node.lineno, params, export_flow(summary.returns, path, where))
