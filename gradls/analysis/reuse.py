"""Reusing the previous version's function analyses after an edit (the language server's path).

Interpreting a function reads a few things outside its own body and writes a few file-wide
facts. A `Record` keeps both, so that the next version of the file can take the function's
result without interpreting it again, when:

* its syntax tree node is the same object (the incremental parse in
  `gradls/analysis/incremental.py` keeps unchanged top-level statements, moving them in place
  when lines were added above them; analysis values hold nodes, never line numbers);
* everything it read is still equal: the module-level values of the globals it used, the
  signature of the local functions and the facts of the local classes it looked up, the
  summaries of the functions it called (so an edit inside a callee that leaves its summary
  unchanged does not spread), the optimizer attributes of its class it asked about.

Then its facts are replayed: its scope (with its events) joins the analysis, and what it
wrote (frozen labels, `.grad` reads, optimizers, "this file trains") is written again.
A file-wide `ReuseKey` (imports, the words that decide how much is analysed, the path)
must also be unchanged, or nothing is reused.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReuseKey:
    aliases: tuple
    star_modules: tuple
    trains_text: bool
    path: str


@dataclass
class Record:
    node: ast.AST
    scope: object = None            # the function's Scope
    summary: object = None          # its Summary
    reads: list = field(default_factory=list)     # (kind, *what, value seen)
    frozen: set = field(default_factory=set)
    grad_reads: set = field(default_factory=set)
    optimizer_labels: set = field(default_factory=set)
    class_optimizers: dict = field(default_factory=dict)   # attribute -> covered labels
    constructions: list = field(default_factory=list)
    trains: bool = False
    specialized: bool = False   # it made a training scope for a call (`train_with_modules`): run it again


@dataclass
class PreviousAnalysis:
    """What a FileAnalysis hands to the analysis of the next version of its file."""

    key: ReuseKey
    records: dict  # function node -> Record


def same_value(old, new) -> bool:
    """Equal, and every origin in it made by the same node: origins compare by name only, but
    their node gives the line a message points at, so a reused value must not bring an old one."""
    if old != new:
        return False
    if old is None:
        return True
    return _anchors(getattr(old, "returns", old)) == _anchors(getattr(new, "returns", new))


def _anchors(flow) -> dict:
    if not hasattr(flow, "live"):
        return {}
    found = {(o.label, o.kind): id(o.anchor) for o in flow.live}
    found.update({("cut", c.origin.label, c.origin.kind): id(c.origin.anchor) for c in flow.cuts})
    for index, item in enumerate(flow.items):
        found.update({(index, *key): value for key, value in _anchors(item).items()})
    return found


def callee_ident(callee) -> tuple:
    """A name for a local function or method that survives re-parsing."""
    if callee.class_info is not None:
        return ("method", callee.class_info.name, callee.node.name)
    return ("function", callee.node.name)


def class_facts(info) -> tuple | None:
    """What the interpreter reads from a local class, except the optimizers found while running."""
    if info is None:
        return None
    return (info.node, info.is_module, info.is_loss, frozenset(info.modules), frozenset(info.params),
            frozenset(info.paramless), frozenset(info.callables), tuple(info.methods),
            tuple(sorted(info.module_classes.items())), tuple(sorted(info.element_classes.items())),
            tuple(sorted(info.inplace_layers)), tuple(sorted(info.layer_classes.items())),
            tuple(sorted(info.layer_sequence.items())))


def callable_facts(callee) -> tuple | None:
    """What a caller reads from `local_callable`: the summary itself is a read of its own."""
    if callee is None:
        return None
    if callee.kind == "class":
        return ("class", class_facts(callee.info))
    return ("function", tuple(callee.params), callee.is_method)
