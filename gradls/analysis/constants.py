"""Constant configuration attributes of a local class, as the script builds its objects.

`self.use_bias = use_bias` in `__init__`, with every `Model(...)` call of the file
leaving `use_bias` at its literal default (or passing the same literal), makes
`self.use_bias` a constant of every object the script trains: `if self.use_bias:`
in a method then goes one known way. Anything less certain is unknown (None), and the flow
analysis runs both branches as before:
- the attribute is assigned once, at the top level of `__init__`, and nowhere else in the class;
- the class is built somewhere in this file, never with `*args`/`**kwargs`, and no class of
  the file derives from it (a subclass's objects could set it differently);
- the value is a literal (None, a bool, a number, a string).
"""

from __future__ import annotations

import ast
from .walk import cached_walk

_UNKNOWN = object()


class Constructions:
    """The file's `Name(...)` calls by name and the names used as base classes, in one walk."""

    def __init__(self, tree: ast.Module) -> None:
        self.calls: dict[str, list] = {}
        self.bases: set = set()
        for node in cached_walk(tree):  # (exact types: one pass over every node of the file)
            kind = type(node)
            if kind is ast.Call:
                if type(node.func) is ast.Name:
                    self.calls.setdefault(node.func.id, []).append(node)
            elif kind is ast.ClassDef:
                self.bases.update(b.id for b in node.bases if isinstance(b, ast.Name))


def instance_constants(tree: ast.Module, info, constructions: Constructions | None = None) -> dict:
    """attribute -> the literal value every object of `info`'s class built in `tree` has."""
    init = info.methods.get("__init__")
    if init is None:
        return {}
    constructions = constructions or Constructions(tree)
    calls = constructions.calls.get(info.name)
    if not calls or info.name in constructions.bases:
        return {}
    function = init.node
    sources = _assigned_once_in_init(info, function)
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)][1:]
    defaults = _literal_defaults(function)
    constants = {}
    for attribute, value in sources.items():
        if isinstance(value, ast.Name) and value.id in params:
            found = _argument_everywhere(calls, params, value.id, defaults.get(value.id, _UNKNOWN))
        else:
            found = _literal(value)
        if found is not _UNKNOWN:
            constants[attribute] = found
    return constants


def decide_test(test: ast.AST, constants: dict, names: dict | None = None) -> bool | None:
    """The truth of an `if` test over `self.<constant>` (`self.flag`, `not self.flag`,
    `self.x is None`, `self.mode == "a"`) or over a parameter in `names` (a literal the caller
    passed: `threshold is not None`), or None."""
    if not constants and not names:
        return None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = decide_test(test.operand, constants, names)
        return None if inner is None else not inner
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left = _self_constant(test.left, constants, names)
        right = _literal(test.comparators[0])
        if left is _UNKNOWN or right is _UNKNOWN:
            return None
        op = test.ops[0]
        if isinstance(op, ast.Is):
            return left is right if right is None or isinstance(right, bool) else None
        if isinstance(op, ast.IsNot):
            return left is not right if right is None or isinstance(right, bool) else None
        if isinstance(op, ast.Eq):
            return left == right
        if isinstance(op, ast.NotEq):
            return left != right
        return None
    value = _self_constant(test, constants, names)
    return None if value is _UNKNOWN else bool(value)


def _self_constant(node: ast.AST, constants: dict, names: dict | None = None):
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
            and node.attr in constants):
        return constants[node.attr]
    if names and isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if names and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
            and f"self.{node.attr}" in names:  # `self.training` of a module a caller put in eval mode
        return names[f"self.{node.attr}"]
    return _UNKNOWN


def argument_constant(node: ast.AST, constants: dict, names: dict):
    """The literal an argument expression passes (`0.5`, `self.threshold`, a parameter bound
    to a literal), or UNKNOWN_VALUE."""
    value = _literal(node)
    if value is _UNKNOWN:
        value = _self_constant(node, constants, names)
    return value


def tested_parameters(function: ast.AST, params) -> set:
    """The parameters an `if` test (or a conditional expression) of `function` reads, or that
    it passes on as they are to another call (whose tests may read them)."""
    wanted = set(params)
    found = set()
    for node in cached_walk(function):
        if isinstance(node, (ast.If, ast.IfExp, ast.While)):
            found |= {n.id for n in cached_walk(node.test) if isinstance(n, ast.Name) and n.id in wanted}
        elif isinstance(node, ast.Call):
            passed = [*node.args, *(k.value for k in node.keywords)]
            found |= {a.id for a in passed if isinstance(a, ast.Name) and a.id in wanted}
    return found


UNKNOWN_VALUE = _UNKNOWN
# a specialization fact: the caller passes a tensor nothing trainable reaches (data)
GRADIENT_FREE = "<gradient-free tensor>"


def _assigned_once_in_init(info, init: ast.AST) -> dict:
    """attribute -> the value `__init__` assigns it at its top level, for attributes no other
    statement of the class writes."""
    writes: dict[str, int] = {}
    for method in info.methods.values():
        for node in cached_walk(method.node):
            for target in _targets(node):
                for attribute in _self_attributes(target):
                    writes[attribute] = writes.get(attribute, 0) + 1
    found = {}
    for stmt in init.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            continue
        target, value = stmt.targets[0], stmt.value
        pairs = [(target, value)]
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            pairs = list(zip(target.elts, value.elts))  # self.a, self.b = a, b
        for one, its_value in pairs:
            if (isinstance(one, ast.Attribute) and isinstance(one.value, ast.Name)
                    and one.value.id == "self" and writes.get(one.attr) == 1):
                found[one.attr] = its_value
    return found


def _targets(node: ast.AST) -> list:
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
        return [node.target] if isinstance(node, (ast.For, ast.AsyncFor)) else \
            [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
        return [ast.Attribute(value=node.args[0], attr="*")] if node.args else []
    return []


def _self_attributes(target: ast.AST) -> list[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [a for element in target.elts for a in _self_attributes(element)]
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return [target.attr]
    return []


def _literal_defaults(function: ast.AST) -> dict:
    positional = [*function.args.posonlyargs, *function.args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(function.args.defaults):]],
                        function.args.defaults))
    defaults.update({a.arg: d for a, d in zip(function.args.kwonlyargs, function.args.kw_defaults) if d is not None})
    return {name: _literal(node) for name, node in defaults.items()}


def _argument_everywhere(calls: list, params: list, name: str, default):
    """The literal every call passes for parameter `name` (its default when omitted)."""
    position = params.index(name)
    values = []
    for call in calls:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return _UNKNOWN
        keyword = next((k.value for k in call.keywords if k.arg == name), None)
        if keyword is not None:
            values.append(_literal(keyword))
        elif position < len(call.args):
            values.append(_literal(call.args[position]))
        else:
            values.append(default)
    first = values[0]
    if first is _UNKNOWN or any(v is _UNKNOWN or type(v) is not type(first) or v != first for v in values):
        return _UNKNOWN
    return first


def _literal(node: ast.AST):
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (bool, int, float, str))):
        return node.value
    return _UNKNOWN
