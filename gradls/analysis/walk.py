"""Cheap traversals. `ast.walk` over every expression costs as much as parsing; most
questions here are about statements, which are a tenth of the nodes."""

from __future__ import annotations

import ast
from itertools import chain

_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def parameter_names(function: ast.AST) -> set[str]:
    """The names a function's parameters bind (positional and keyword-only; not `*args`,
    `**kwargs`); empty for anything that is no function."""
    arguments = getattr(function, "args", None)
    if not isinstance(arguments, ast.arguments):
        return set()
    return {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}


def cached_walk(node: ast.AST):
    """The nodes of `ast.walk(node)` in its order, less the `Load`/`Store`/`Del` markers, the
    descendants computed once per node and kept on it: the analyses ask the same functions and
    classes the same questions many times over (per caller, per specialization, per importer).
    The node itself is not kept in its own list, so no reference cycle keeps a tree alive."""
    below = node.__dict__.get("_gradls_below")
    if below is None:
        below = node._gradls_below = _descendants(node)
    return chain((node,), below)


def _descendants(node: ast.AST) -> list[ast.AST]:
    """Breadth first, as `ast.walk`, in a loop instead of nested generators, reading only the
    fields that can hold nodes (3x faster than `ast.walk`)."""
    found = []
    current = node
    position = 0
    while True:
        cls = current.__class__
        fields = _CHILD_FIELDS.get(cls)
        if fields is None:
            fields = _CHILD_FIELDS[cls] = _child_fields(cls)
        if fields is _ANY_FIELD:
            _append_children(current, found)
        else:
            for field, gapped in fields:
                value = getattr(current, field)
                if value.__class__ is list:
                    if gapped:
                        found.extend(item for item in value if item is not None)
                    else:
                        found.extend(value)
                elif value is not None:
                    found.append(value)
        if position == len(found):
            return found
        current = found[position]
        position += 1


# The fields of a node class that hold no syntax node (identifiers, numbers, strings), for the
# classes whose fields are known; other classes (newer Pythons' nodes) are read field by field.
_SCALAR_FIELDS = {
    ast.Name: ("id",), ast.Attribute: ("attr",), ast.arg: ("arg",), ast.keyword: ("arg",),
    ast.alias: ("name", "asname"), ast.FunctionDef: ("name",), ast.AsyncFunctionDef: ("name",),
    ast.ClassDef: ("name",), ast.ExceptHandler: ("name",), ast.ImportFrom: ("module", "level"),
    ast.Global: ("names",), ast.Nonlocal: ("names",), ast.Constant: ("value", "kind"),
    ast.FormattedValue: ("conversion",), ast.comprehension: ("is_async",), ast.AnnAssign: ("simple",),
    ast.TypeIgnore: ("lineno", "tag"), ast.MatchAs: ("name",), ast.MatchStar: ("name",),
    ast.MatchMapping: ("rest",), ast.MatchClass: ("kwd_attrs",), ast.MatchSingleton: ("value",),
}
_NODE_FIELDS_ONLY = (
    ast.Module, ast.Interactive, ast.Expression, ast.FunctionType, ast.Return, ast.Delete, ast.Assign,
    ast.AugAssign, ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Match,
    ast.Raise, ast.Try, getattr(ast, "TryStar", ast.Try), ast.Assert, ast.Import, ast.Expr, ast.BoolOp,
    ast.NamedExpr, ast.BinOp, ast.UnaryOp, ast.Lambda, ast.IfExp, ast.Dict, ast.Set, ast.ListComp,
    ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Await, ast.Yield, ast.YieldFrom, ast.Compare,
    ast.Call, ast.JoinedStr, ast.Starred, ast.List, ast.Tuple, ast.Subscript, ast.Slice,
    ast.arguments, ast.withitem, ast.match_case, ast.MatchValue, ast.MatchSequence, ast.MatchOr,
)
_NOT_NODES = ("ctx", "type_comment")
# list fields that may hold None: `{**a}`'s key, a keyword-only parameter without a default
_GAPPED = {(ast.Dict, "keys"), (ast.arguments, "kw_defaults")}
_ANY_FIELD = ("<any field>",)
_CHILD_FIELDS: dict = {}


def _child_fields(cls) -> tuple:
    """(field, may hold None in its list) for the fields of `cls` that hold nodes, or _ANY_FIELD
    for a class whose fields are not known here."""
    if cls._fields and cls not in _SCALAR_FIELDS and cls not in _NODE_FIELDS_ONLY:
        return _ANY_FIELD
    skipped = (*_SCALAR_FIELDS.get(cls, ()), *_NOT_NODES)
    return tuple((field, (cls, field) in _GAPPED) for field in cls._fields if field not in skipped)


def _append_children(node: ast.AST, found: list) -> None:
    for field in node._fields:
        value = getattr(node, field, None)
        if value.__class__ is list:
            found.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
            found.append(value)


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


def guarded_definitions(tree: ast.Module) -> list[ast.AST]:
    """The functions and classes defined inside the module's own `if`/`try`/`with`/loop blocks
    (`try: import apex` / `except ImportError: def fused_norm(...)`, `if HAS_CUDA: class ...`)
    whose name the module binds nowhere else: which definition runs is then not in doubt.
    A name bound twice (two branches, a def and an import fallback) stays unknown."""
    nested = []
    bindings: dict[str, int] = {}
    top_level = {id(node) for node in tree.body}
    for node in statements(tree.body, into_definitions=False):
        for name in _bound_names(node):
            bindings[name] = bindings.get(name, 0) + 1
        if isinstance(node, _DEFINITIONS) and id(node) not in top_level:
            nested.append(node)
    return [node for node in nested if bindings.get(node.name) == 1]


def _bound_names(node: ast.AST) -> list[str]:
    """The module-level names one statement binds (not those of the blocks nested in it)."""
    if isinstance(node, _DEFINITIONS):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    if type(node) in _SIMPLE or isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
        header = [getattr(node, "target", None), *getattr(node, "targets", ()),
                  *(item.optional_vars for item in getattr(node, "items", ()))]
        return [n.id for part in header if part is not None
                for n in cached_walk(part) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)]
    if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        return [handler.name for handler in node.handlers if handler.name]
    return []


def raises_not_implemented(function: ast.AST) -> bool:
    """A method left to subclasses: its body (past a docstring) only raises NotImplementedError."""
    body = [stmt for stmt in function.body
            if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def unread_parameters(function: ast.AST) -> set[str]:
    """The parameters (`_name` ones left out) a function's body never reads; none for a stub
    (a body that only passes or raises)."""
    body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body or all(isinstance(s, (ast.Raise, ast.Pass)) for s in body):
        return set()
    arguments = function.args
    params = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
    read = {n.id for n in cached_walk(function) if type(n) is ast.Name and type(n.ctx) is ast.Load}
    return {p for p in params if p not in read and not p.startswith("_")}


def single_return(function: ast.AST) -> ast.AST:
    """The function's one `return value`, else the function itself (where to report what its
    result lacks)."""
    returns = [n for n in cached_walk(function) if type(n) is ast.Return and n.value is not None]
    return returns[-1] if len(returns) == 1 else function
