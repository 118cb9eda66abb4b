"""Abstract values of the gradient-flow analysis.

A `Flow` says, for one Python value, which gradient sources still reach it through
differentiable operations (`live`) and which reach it only through a break (`cuts`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

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
AUTOGRAD_NONE = "autograd_none"  # a custom autograd.Function's backward returns None for the input


@dataclass(frozen=True)
class Origin:
    label: str
    kind: str
    # the expression that made it; its line is read when a message needs it, so a node
    # moved by an edit above it (incremental analysis) still reports the right line
    anchor: ast.AST | None = field(default=None, compare=False, repr=False)

    @property
    def line(self) -> int:
        return getattr(self.anchor, "lineno", 0) if self.anchor is not None else 0

    def is_within(self, other: "Origin") -> bool:
        """True if `other` is this origin or one of its containers (`model` holds `model[0]`)."""
        if self.label == other.label:
            return True
        return self.label.startswith(other.label) and self.label[len(other.label)] in ".["


@dataclass(frozen=True)
class Break:
    kind: str
    node: ast.AST | None            # compared by identity: one break per expression and kind
    external: tuple = ()            # for a break in another file (node None): its path and position
    description: str = ""           # "`.detach()`", "`argmax`", "`torch.no_grad()`"
    subject_node: ast.AST | None = field(default=None, compare=False, hash=False)
    subject_text: str = field(default="", compare=False, hash=False)

    @property
    def key(self) -> tuple:
        """Where it is, for grouping and ordering: read from the node, which an edit above may move."""
        node = self.node
        if node is None:
            return self.external
        return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, self.kind)

    @property
    def subject(self) -> str:
        """The expression whose gradient is cut, as written: `feats` (computed when a message needs it)."""
        if self.subject_node is not None:
            return ast.unparse(self.subject_node)
        return self.subject_text


@dataclass(frozen=True)
class Cut:
    origin: Origin
    brk: Break
    chained: bool = False   # the cut value later went through a module call
    shadowed: bool = False  # a later break cut the same path again: that one is the cause
    role: str = ""          # "term": added to a live loss; "weight": multiplied with one


@dataclass(frozen=True)
class Flow:
    live: frozenset = frozenset()
    cuts: frozenset = frozenset()
    tags: frozenset = frozenset()
    items: tuple = ()  # per-element flows of a tuple or list literal, when known
    # a list filled by `append`/`insert` (or a literal): the flow of any one of its elements, with
    # its own items (`memory.append((value, log_prob, reward))`); None when not known
    element: "Flow | None" = None
    # a dict literal with string keys (`{"cls": a, "box": b}`): the key of each of `items`
    keys: tuple = ()

    def union(self, other: "Flow") -> "Flow":
        if not other.live and not other.cuts and not other.tags:
            return self if not self.items else Flow(self.live, self.cuts, self.tags, element=self.element)
        if not self.live and not self.cuts and not self.tags:
            return other if not other.items else Flow(other.live, other.cuts, other.tags, element=other.element)
        element = None
        if self.element is not None and other.element is not None:
            element = join_elements(self.element, other.element)
        return Flow(self.live | other.live, self.cuts | other.cuts, self.tags | other.tags, element=element)

    def with_tags(self, *tags: str) -> "Flow":
        return Flow(self.live, self.cuts, self.tags | frozenset(tags), self.items, keys=self.keys)

    def without_tags(self) -> "Flow":
        return Flow(self.live, self.cuts) if self.tags or self.items else self

    def with_role(self, role: str) -> "Flow":
        """Record how this dead value joins a live one (as a loss term or as a weight)."""
        if self.live or not self.cuts:
            return self
        cuts = frozenset(c if c.role or c.shadowed else Cut(c.origin, c.brk, c.chained, c.shadowed, role)
                         for c in self.cuts)
        return Flow(self.live, cuts, self.tags, self.items, keys=self.keys)

    def item(self, index: int) -> "Flow | None":
        if self.items and not self.keys and -len(self.items) <= index < len(self.items):
            return self.items[index]
        return None

    def value_at(self, key: str) -> "Flow | None":
        """The value a dict literal holds at `key` (`losses["box"]`)."""
        if key in self.keys:
            return self.items[self.keys.index(key)]
        return None

    def with_value_at(self, key: str, value: "Flow") -> "Flow":
        """The dict after `losses[key] = value`: one more (or a replaced) keyed item."""
        items, keys = list(self.items), list(self.keys)
        if key in keys:
            items[keys.index(key)] = value
        else:
            items.append(value)
            keys.append(key)
        joined = join(items)
        return Flow(joined.live, joined.cuts, self.tags, tuple(items), keys=tuple(keys))

    def broken(self, brk: Break) -> "Flow":
        """The value after a break: nothing live, every live source recorded as cut here."""
        if not self.live:
            return Flow(frozenset(), self.cuts, frozenset())
        # Only labels/targets live here: this break cuts nothing that trains. Only arguments of
        # unknown type: it does not outrank an earlier cut of a module or a tensor known to train.
        known_cut = any(c.origin.kind != ARGUMENT for c in self.cuts)
        if any(not target_like_argument(o) for o in self.live) and not (
                known_cut and all(o.kind == ARGUMENT for o in self.live)):
            older = frozenset(c if c.shadowed else Cut(c.origin, c.brk, c.chained, True, c.role)
                              for c in self.cuts)
        else:
            older = self.cuts
        return Flow(frozenset(), older | {Cut(origin, brk) for origin in self.live}, frozenset())

    def chained(self) -> "Flow":
        if not self.cuts:
            return self
        cuts = frozenset(Cut(c.origin, c.brk, True, c.shadowed, c.role) for c in self.cuts)
        return Flow(self.live, cuts, self.tags, self.items, keys=self.keys)

    @property
    def carries_gradient(self) -> bool:
        return bool(self.live)


EMPTY = Flow()

TARGET_ARGS = {"target", "targets", "label", "labels", "y", "y_true", "gt", "tgt", "mask",
               "weight", "weights", "reduction", "indices_tuple", "ref_labels", "ignore_index"}


def target_like(name: str) -> bool:
    return name in TARGET_ARGS or name.startswith(("target", "label", "gt_", "y_true", "mask", "weight"))


def target_like_argument(origin: Origin) -> bool:
    return origin.kind == ARGUMENT and target_like(origin.label.split("[")[0].split(".")[0].lower())


def join_elements(first: Flow, second: Flow) -> Flow:
    """Two lists' element flows joined, position by position when both are tuples of one length."""
    if first == second or not (second.live or second.cuts or second.tags or second.items):
        return first
    if not (first.live or first.cuts or first.tags or first.items):
        return second
    if first.items and len(first.items) == len(second.items) and first.keys == second.keys:
        items = tuple(join_elements(a, b) for a, b in zip(first.items, second.items))
        return Flow(first.live | second.live, first.cuts | second.cuts, first.tags & second.tags, items,
                    keys=first.keys)
    return first.union(second)


def join(flows) -> Flow:
    result = EMPTY
    for flow in flows:
        result = result.union(flow)
    return result
