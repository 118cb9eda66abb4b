"""How a fix spells a torch function in the file it edits, adding an import when needed.

`torch_function(ctx, "stack")` answers, in order of preference:

* `T.stack` when the file binds the torch module (`import torch as T`);
* `stack` when it already imports `stack` from torch;
* `stack` plus an edit adding `stack` to the file's module-level `from torch import ...`
  (made with libcst, so the import keeps its formatting), when the name `stack` is free;
* None otherwise (the fix is not offered).
"""

from __future__ import annotations

import ast

import libcst as cst

from ..model import Edit


def torch_function(ctx, name: str) -> tuple[str, tuple[Edit, ...]] | None:
    imports = ctx.analysis.imports.aliases
    for local, qualified in imports.items():
        if qualified == "torch":
            return f"{local}.{name}", ()
    for local, qualified in imports.items():
        if qualified == f"torch.{name}":
            return local, ()
    if _bound(ctx.tree, name):
        return None
    for node in ctx.tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "torch" and node.level == 0 \
                and not any(a.name == "*" for a in node.names):
            edit = add_name_to_import(ctx, node, name)
            if edit is not None:
                return name, (edit,)
    return None


def add_name_to_import(ctx, node: ast.ImportFrom, name: str) -> Edit | None:
    span = ctx.span(node)
    segment = ctx.source.segment(span)
    try:
        statement = cst.parse_statement(segment)
    except cst.ParserSyntaxError:
        return None
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 \
            or not isinstance(statement.body[0], cst.ImportFrom):
        return None
    imp = statement.body[0]
    if isinstance(imp.names, cst.ImportStar):
        return None
    names = list(imp.names)
    last = names[-1]
    if isinstance(last.comma, cst.Comma):
        names.append(cst.ImportAlias(name=cst.Name(name), comma=last.comma))
        names[-2] = last.with_changes(comma=cst.Comma(whitespace_after=_after_comma(names, last)))
    else:
        names[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        names.append(cst.ImportAlias(name=cst.Name(name)))
    new_imp = imp.with_changes(names=names)
    code = cst.Module(body=[]).code_for_node(new_imp)
    # the statement's own span covers the import only (not its trailing comment or newline)
    return Edit(span, code)


def _after_comma(names, last):
    """Whitespace after the comma that now follows the former last name: like its neighbours'."""
    if len(names) >= 3 and isinstance(names[-3].comma, cst.Comma):
        return names[-3].comma.whitespace_after
    return last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else cst.SimpleWhitespace(" ")


def _bound(tree: ast.AST, name: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.arg) and node.arg == name:
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name).split(".")[0] == name:
            return True
    return False
