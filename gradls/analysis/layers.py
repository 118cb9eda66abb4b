"""The layers a module class puts in an `nn.Sequential` / `nn.ModuleList` attribute, in order.

`self.body = nn.Sequential(*blocks)` with `blocks.append(Block(...))` in a loop,
`self.body = nn.Sequential()` then `self.body.add_module("b1", Block(...))`,
`self.layers = nn.ModuleList([Block(c) for c in widths])`: the constructions that become its
layers, read from `__init__` without running it. A layer appended under an `if` (or a `try`,
a `while`) may be missing: it is never taken as the first one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from .walk import cached_walk

_APPENDS = {"append", "add_module"}
_GUARDS = (ast.If, ast.Try, ast.While, ast.With)


@dataclass(frozen=True)
class Layer:
    node: ast.expr | None     # the construction; None: a layer the reading cannot see
    conditional: bool = False  # appended under an `if`: it may not be there


def container_layers(init: ast.AST | None, attr: str, short: str, construction: ast.Call) -> list[Layer] | None:
    """The layers of `self.<attr> = nn.<short>(...)` (`construction`) in order, or None when
    something the reading does not follow builds or changes them."""
    if construction.keywords:
        return None
    appends = _appends(init) if init is not None else []
    if short == "ModuleList":
        if len(construction.args) > 1:
            return None
        layers = _sequence(construction.args[0], appends, init) if construction.args else []
    else:
        layers = []
        for arg in construction.args:
            more = _sequence(arg.value, appends, init) if isinstance(arg, ast.Starred) else [Layer(arg)]
            if more is None:
                return None
            layers += more
    if layers is None:
        return None
    return layers + [Layer(value, conditional) for receiver, value, conditional in appends
                     if _is_self_attribute(receiver, attr)]


def _sequence(node: ast.expr, appends: list, init: ast.AST | None) -> list[Layer] | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [Layer(e) if not isinstance(e, ast.Starred) else Layer(None) for e in node.elts]
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1 and not node.generators[0].ifs:
        return [Layer(node.elt)]
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Slice):
        layers = _sequence(node.value, appends, init)  # `layers[:-1]`: some of them, which is not read
        return [Layer(layer.node, True) for layer in layers] if layers is not None else None
    if isinstance(node, ast.Name) and init is not None:  # a list `__init__` fills with `append`
        start = _list_literal(init, node.id)
        if start is None:
            return None
        return start + [Layer(value, conditional) for receiver, value, conditional in appends
                        if isinstance(receiver, ast.Name) and receiver.id == node.id]
    return None


def _list_literal(init: ast.AST, name: str) -> list[Layer] | None:
    """The layers of `name = [...]` when `init` binds `name` once, to a list literal, and changes
    it only by `append`."""
    bound = []
    grown = {id(n.target) for n in cached_walk(init) if isinstance(n, ast.AugAssign)}  # `layers += [...]`
    for node in cached_walk(init):
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load) \
                and id(node) not in grown:
            bound.append(node)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name \
                and node.attr not in _APPENDS:
            return None  # `extend`, `insert`, `pop`...
    if len(bound) != 1:
        return None
    for node in cached_walk(init):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and node.targets[0] is bound[0]:
            if isinstance(node.value, ast.List):
                return _sequence(node.value, [], None)
    return None


def _appends(init: ast.AST) -> list:
    """(receiver, appended value, under a guard) for each `x.append(v)` / `x.add_module(n, v)`
    statement of `init`, in source order."""
    found: list = []
    _walk_appends(init.body, False, found)
    return found


def _walk_appends(body: list, conditional: bool, found: list) -> None:
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add) and isinstance(stmt.target, ast.Name) \
                and isinstance(stmt.value, (ast.List, ast.Tuple)):
            # `layers += [Block(i, o), nn.ReLU()]`, in a loop: how many, and where, is not read
            found.extend((stmt.target, element, True) for element in stmt.value.elts
                         if not isinstance(element, ast.Starred))
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in _APPENDS and not call.keywords:
                position = 1 if func.attr == "add_module" else 0
                if len(call.args) == position + 1:
                    found.append((func.value, call.args[position], conditional))
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                _walk_appends(inner, conditional or isinstance(stmt, _GUARDS) or name != "body", found)
        for handler in getattr(stmt, "handlers", ()):
            _walk_appends(handler.body, True, found)


def _is_self_attribute(node: ast.expr, attr: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.value, ast.Name) \
        and node.value.id == "self"
