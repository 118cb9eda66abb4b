"""Cheap traversals. `ast.walk` over every expression costs as much as parsing; most
questions here are about statements, which are a tenth of the nodes."""

from __future__ import annotations

import ast

_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Statements without nested blocks: most of a file, so they skip the block lookups below.
_SIMPLE = frozenset({ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Pass,
                     ast.Break, ast.Continue, ast.Import, ast.ImportFrom, ast.Raise, ast.Assert,
                     ast.Delete, ast.Global, ast.Nonlocal})


def statements(body: list, into_definitions: bool = True) -> list[ast.AST]:
    """Every statement in `body`, nested blocks included, in source order.

    With `into_definitions=False`, the bodies of nested functions and classes are left out:
    the statements of one scope.
    """
    found = []
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        found.append(node)
        if type(node) in _SIMPLE:
            continue
        if not into_definitions and isinstance(node, _DEFINITIONS):
            continue
        children = []
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if block:
                children.extend(block)
        stack.extend(reversed(children))
    return found
