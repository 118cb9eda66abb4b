"""Cheap traversals. `ast.walk` over every expression costs as much as parsing; most
questions here are about statements, which are a tenth of the nodes."""

from __future__ import annotations

import ast

_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def statements(body: list) -> list[ast.AST]:
    """Every statement in `body`, nested blocks included, in source order."""
    found = []
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        found.append(node)
        children = []
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if block:
                children.extend(block)
        stack.extend(reversed(children))
    return found
