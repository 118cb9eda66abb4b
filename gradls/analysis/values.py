"""Abstract values of the gradient-flow analysis.

A `Flow` says, for one Python value, which gradient sources still reach it through
differentiable operations (`live`) and which reach it only through a break (`cuts`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

# Kinds of gradient source.
MODULE = "module"          # an nn.Module instance: model, self.encoder, model[0]
MAYBE_MODULE = "maybe"     # something called like a module whose type is unknown
PARAMETER = "parameter"    # nn.Parameter, self.weight
TENSOR = "tensor"          # a tensor created with requires_grad=True
ARGUMENT = "argument"      # a function parameter; resolved at call sites

# Kinds of break, each reported by one rule.
DETACH = "detach"
ROUNDTRIP = "roundtrip"
TENSOR_FROM_LIST = "tensor_from_list"
COPY_CONSTRUCT = "copy_construct"
NONDIFF = "nondiff"
NO_GRAD = "no_grad"


@dataclass(frozen=True)
class Origin:
    label: str
    kind: str
    line: int = field(default=0, compare=False)

    def is_within(self, other: "Origin") -> bool:
        """True if `other` is this origin or one of its containers (`model` holds `model[0]`)."""
        if self.label == other.label:
            return True
        return self.label.startswith(other.label) and self.label[len(other.label)] in ".["


@dataclass(frozen=True)
class Break:
    kind: str
    node: ast.AST = field(compare=False, hash=False)
    key: tuple = field(default=())  # (line, col, end_line, end_col) of the breaking expression
    description: str = ""           # "`.detach()`", "`argmax`", "`torch.no_grad()`"
    subject: str = ""               # the expression whose gradient is cut: `feats`


@dataclass(frozen=True)
class Cut:
    origin: Origin
    brk: Break
    chained: bool = False   # the cut value later went through a module call
    shadowed: bool = False  # a later break cut the same path again: that one is the cause


@dataclass(frozen=True)
class Flow:
    live: frozenset = frozenset()
    cuts: frozenset = frozenset()
    tags: frozenset = frozenset()

    def union(self, other: "Flow") -> "Flow":
        if not other.live and not other.cuts and not other.tags:
            return self
        if not self.live and not self.cuts and not self.tags:
            return other
        return Flow(self.live | other.live, self.cuts | other.cuts, self.tags | other.tags)

    def with_tags(self, *tags: str) -> "Flow":
        return replace(self, tags=self.tags | frozenset(tags))

    def without_tags(self) -> "Flow":
        return replace(self, tags=frozenset()) if self.tags else self

    def broken(self, brk: Break) -> "Flow":
        """The value after a break: nothing live, every live source recorded as cut here."""
        if not self.live:
            return Flow(frozenset(), self.cuts, frozenset())
        older = frozenset(c if c.shadowed else replace(c, shadowed=True) for c in self.cuts)
        return Flow(frozenset(), older | {Cut(origin, brk) for origin in self.live}, frozenset())

    def chained(self) -> "Flow":
        if not self.cuts:
            return self
        return replace(self, cuts=frozenset(replace(c, chained=True) for c in self.cuts))

    @property
    def carries_gradient(self) -> bool:
        return bool(self.live)


EMPTY = Flow()


def join(flows) -> Flow:
    result = EMPTY
    for flow in flows:
        result = result.union(flow)
    return result
