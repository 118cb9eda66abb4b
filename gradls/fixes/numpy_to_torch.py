"""The GRD102 fix: a NumPy / Python-number round trip rewritten as torch ops, no conversion.

Offered only when every call in the round trip has a torch equivalent. Two shapes:

* direct: `torch.tensor(np.log(p.detach().numpy()))` -> `torch.log(p)`;
* through one name: `t = np.exp(x.detach().numpy()) + 1` ... `torch.from_numpy(t)` ->
  `t = torch.exp(x) + 1` ... `t`, when `t` is assigned once and read only there.

Conversions removed: `.numpy()`, `.tolist()`, `np.asarray(x)`/`np.array(x)` (with the
`.detach()`, `.cpu()`, `.data` feeding them); `.item()` and `float(x)` become
`x.reshape(())` (and `.float()` for `float`), which keep their shape checks. The re-entry
constructor's `dtype=`/`device=` become `.to(...)`; `requires_grad=True` is dropped.

The fix is unsafe: NumPy computes in float64 on the CPU, torch in the tensor's dtype and
device, and gradients now flow where the code (wrongly) stopped them.
The rewrite is built with libcst on the expression's own text, so its comments and
formatting stay as they were.
"""

from __future__ import annotations

import ast
import os

import libcst as cst

from ..model import Edit, Fix

REENTRY = {"torch.tensor", "torch.as_tensor", "torch.from_numpy", "torch.Tensor", "torch.FloatTensor"}

# numpy / math function -> torch function (same positional arguments)
SAME = {
    "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "abs", "tanh", "sin", "cos", "tan",
    "sinh", "cosh", "arcsin", "arccos", "arctan", "square", "sum", "mean", "sign", "floor", "ceil",
    "round", "where", "matmul", "exp2", "negative", "reciprocal", "clip", "maximum", "minimum",
    "amax", "amin", "max", "min", "prod", "std", "var", "power", "fabs", "pow", "sigmoid",
}
RENAMED = {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "negative": "neg", "max": "amax", "min": "amin",
    "power": "pow", "fabs": "abs", "clip": "clamp", "absolute": "abs",
}
KEYWORDS = {"axis": "dim", "keepdims": "keepdim", "a_min": "min", "a_max": "max"}
REDUCTIONS = {"sum", "mean", "amax", "amin", "max", "min", "prod", "std", "var"}
MATH_FUNCTIONS = {"exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "tanh", "sin", "cos", "tan", "fabs", "pow"}
NUMPY_CONSTANTS = {"pi", "e", "inf", "nan", "euler_gamma"}
MATH_CONSTANTS = {"pi", "e", "inf", "nan", "tau"}
CONVERSION_METHODS = {"numpy", "tolist"}
FEEDING = {"detach", "cpu"}


class NoFix(Exception):
    pass


def roundtrip_fix(ctx, report) -> Fix | None:
    """The fix for one GRD102 report, or None when the round trip has no exact torch spelling."""
    torch = ctx.torch_alias
    if torch is None:
        return None
    try:
        return _build(ctx, report.brk.node, torch)
    except (NoFix, cst.ParserSyntaxError, RecursionError):
        return None
    except Exception:  # noqa: BLE001 - a bug in the fix must not cost the user the finding
        if os.environ.get("GRADLS_STRICT"):
            raise
        return None


def _build(ctx, node: ast.AST, torch: str) -> Fix | None:
    parents = _parents(ctx.tree)
    stmt = node
    chain = []
    while stmt is not None and not isinstance(stmt, ast.stmt):
        chain.append(stmt)
        stmt = parents.get(stmt)
    if stmt is None:
        return None
    # (a) the round trip re-enters torch within the same expression
    for ancestor in chain[1:]:
        if isinstance(ancestor, ast.Call) and _qualify(ctx, ancestor.func) in REENTRY:
            if not ancestor.args or not _contains(ancestor.args[0], node):
                raise NoFix
            inner = _translate(ctx, ancestor.args[0], torch, node)
            text = _parenthesize(inner, ancestor.args[0]) + _moved(ctx, ancestor)
            return Fix("unsafe", "Replace the NumPy/Python round trip with torch operations (keeps the gradient)",
                       (Edit(ctx.span(ancestor), text),))
        if isinstance(ancestor, ast.Call) and _is_numpy_or_math(ctx, ancestor.func) is None:
            # a non-numpy call between the conversion and the re-entry: not a pure round trip
            if not _is_conversion(ctx, ancestor):
                raise NoFix
    # (b) `name = <round trip>` read once, by a re-entry constructor
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return None
    name = stmt.targets[0].id
    scope = _scope_of(stmt, parents) or ctx.tree
    stores, loads = [], []
    for sub in ast.walk(scope):
        if isinstance(sub, ast.Name) and sub.id == name:
            (stores if isinstance(sub.ctx, (ast.Store, ast.Del)) else loads).append(sub)
        elif isinstance(sub, (ast.Global, ast.Nonlocal)) and name in sub.names:
            return None
    if len(stores) != 1 or len(loads) != 1:
        return None
    use = loads[0]
    if (use.lineno, use.col_offset) <= (stmt.lineno, stmt.col_offset):
        return None
    # the use reaches a re-entry constructor through NumPy calls and arithmetic only
    call, child = parents.get(use), use
    while call is not None and not (isinstance(call, ast.Call) and _qualify(ctx, call.func) in REENTRY):
        if isinstance(call, ast.Call) and _is_numpy_or_math(ctx, call.func) is not None and child is not call.func:
            pass
        elif not isinstance(call, (ast.BinOp, ast.UnaryOp, ast.keyword)):
            return None
        call, child = parents.get(call), call
    if call is None or not call.args or not _contains(call.args[0], use):
        return None
    value = _translate(ctx, stmt.value, torch, node)
    if call.args[0] is use:
        reentered = name
    else:
        reentered = _parenthesize(_translate(ctx, call.args[0], torch, node, require_change=False), call.args[0])
    edits = (
        Edit(ctx.span(stmt.value), value),
        Edit(ctx.span(call), reentered + _moved(ctx, call)),
    )
    return Fix("unsafe", f"Compute `{name}` with torch operations instead of a NumPy/Python round trip "
                         f"(keeps the gradient)", edits)


# --------------------------------------------------------------------------------------
# translation of the round-trip expression
# --------------------------------------------------------------------------------------


def _translate(ctx, expr: ast.expr, torch: str, brk: ast.AST, require_change: bool = True) -> str:
    segment = ctx.source.segment(ctx.span(expr))
    tree = cst.parse_expression(f"({segment})")
    new = tree.visit(_Rewriter(ctx, torch, ctx.source.segment(ctx.span(brk))))
    if not getattr(new, "lpar", None):
        raise NoFix
    code = cst.Module(body=[]).code_for_node(new)
    if not (code.startswith("(") and code.endswith(")")):
        raise NoFix
    out = code[1:-1]
    try:
        parsed = ast.parse(f"({out})", mode="eval")
    except SyntaxError:
        raise NoFix from None
    if require_change and " ".join(out.split()) == " ".join(segment.split()):
        raise NoFix  # nothing to translate
    numpy_names = {k for k, v in ctx.analysis.imports.aliases.items() if v == "numpy" or v.startswith("numpy.")}
    numpy_names |= {k for k, v in ctx.analysis.imports.aliases.items() if v == "math" or v.startswith("math.")}
    parents = _parents(parsed)
    for sub in ast.walk(parsed):
        if isinstance(sub, ast.Name) and sub.id in numpy_names:
            parent = parents.get(sub)
            qualified = ctx.analysis.imports.aliases[sub.id]
            if isinstance(parent, ast.Attribute) and qualified in ("numpy", "math") \
                    and parent.attr in (NUMPY_CONSTANTS if qualified == "numpy" else MATH_CONSTANTS):
                continue
            raise NoFix  # a NumPy/math object without a torch spelling is left in the expression
    return out


def _same_code(node: cst.CSTNode, text: str) -> bool:
    if getattr(node, "lpar", None):
        node = node.with_changes(lpar=[], rpar=[])
    code = cst.Module(body=[]).code_for_node(node)
    return " ".join(code.split()) == " ".join(text.split())


class _Rewriter(cst.CSTTransformer):
    def __init__(self, ctx, torch: str, break_text: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.torch = torch
        self.break_text = break_text
        self.converted = 0

    def leave_Call(self, original, updated):
        func = updated.func
        qualified = _cst_qualify(self.ctx, func)
        # x.numpy(), x.tolist() -> x (minus .detach()/.cpu() that fed it)
        if isinstance(func, cst.Attribute) and not updated.args and func.attr.value in CONVERSION_METHODS | {"item"} \
                and not (qualified or "").startswith(("numpy.", "math.")):
            receiver = _strip_feeding(func.value)
            if func.attr.value == "item":
                receiver = _reshape_scalar(receiver)
            self.converted += 1
            return _keep_parens(updated, receiver)
        if isinstance(func, cst.Name) and func.value == "float" and "float" not in self.ctx.analysis.imports.aliases \
                and _same_code(original, self.break_text):
            if len(updated.args) != 1 or updated.args[0].keyword or updated.args[0].star:
                raise NoFix
            value = _reshape_scalar(_strip_feeding(updated.args[0].value))
            self.converted += 1
            return _keep_parens(updated, cst.Call(cst.Attribute(value, cst.Name("float"))))
        if qualified is None:
            if isinstance(func, cst.Name) and func.value in ("int", "round", "bool", "list", "tuple"):
                raise NoFix
            return updated
        module, _, short = qualified.partition(".")
        if module == "numpy":
            if short in ("asarray", "array") and len(updated.args) == 1 and not updated.args[0].keyword:
                return _keep_parens(updated, _strip_feeding(updated.args[0].value))
            return self._function(updated, short, numpy=True)
        if module == "math":
            if short not in MATH_FUNCTIONS:
                raise NoFix
            return self._function(updated, short, numpy=False)
        return updated

    def _function(self, call: cst.Call, short: str, numpy: bool) -> cst.Call:
        if short not in SAME and short != "absolute":
            raise NoFix
        target = RENAMED.get(short, short)
        args = list(call.args)
        if any(a.star for a in args):
            raise NoFix
        if target in ("std", "var"):
            if any(a.keyword and a.keyword.value not in ("axis", "keepdims") for a in args) or len(
                    [a for a in args if not a.keyword]) > 1:
                raise NoFix
            args.append(cst.Arg(keyword=cst.Name("correction"), value=cst.Integer("0"),
                                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
        if target in ("maximum", "minimum"):
            if len(args) != 2 or any(a.keyword for a in args):
                raise NoFix
            numbers = [_is_number(a.value) for a in args]
            if any(numbers):
                tensor_arg, bound = (args[1], args[0]) if numbers[0] else (args[0], args[1])
                side = "min" if target == "maximum" else "max"
                return self._torch_call(call, "clamp", [
                    tensor_arg.with_changes(comma=cst.MaybeSentinel.DEFAULT),
                    cst.Arg(keyword=cst.Name(side), value=bound.value,
                            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))),
                ])
        if target == "clamp" and len([a for a in args if not a.keyword]) > 3:
            raise NoFix
        if target in REDUCTIONS | {"amax", "amin"} or target == "clamp":
            renamed = []
            for arg in args:
                if arg.keyword is not None:
                    word = arg.keyword.value
                    if word in ("out", "dtype", "initial", "where", "ddof"):
                        raise NoFix
                    if word in KEYWORDS:
                        arg = arg.with_changes(keyword=cst.Name(KEYWORDS[word]))
                renamed.append(arg)
            positional = [a for a in args if a.keyword is None]
            if target != "clamp" and len(positional) > 1:
                # np.sum(x, 0) -> torch.sum(x, dim=0); np.sum(x, (0, 1)) idem
                first, axis = positional[0], positional[1]
                if len(positional) > 2:
                    raise NoFix
                renamed = [first] + [axis.with_changes(keyword=cst.Name("dim"), equal=cst.AssignEqual(
                    cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))] + [a for a in renamed if a.keyword]
            args = renamed
        elif any(a.keyword for a in args):
            raise NoFix
        if not numpy and target == "pow" and len(args) != 2:
            raise NoFix
        return self._torch_call(call, target, args)

    def _torch_call(self, call: cst.Call, name: str, args) -> cst.Call:
        func = cst.Attribute(cst.Name(self.torch), cst.Name(name))
        return call.with_changes(func=func, args=_fix_commas(args))


def _fix_commas(args):
    args = list(args)
    out = []
    for i, arg in enumerate(args):
        last = i == len(args) - 1
        if last:
            out.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) if not isinstance(arg.comma, cst.Comma)
                       else arg)
        else:
            out.append(arg if isinstance(arg.comma, cst.Comma) else arg.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))))
    return out


def _strip_feeding(node: cst.BaseExpression) -> cst.BaseExpression:
    """`x.detach().cpu()` -> `x`; `x.data` -> `x`."""
    while True:
        if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value in FEEDING and not node.lpar:
            node = node.func.value
        elif isinstance(node, cst.Attribute) and node.attr.value == "data" and not node.lpar:
            node = node.value
        else:
            return node


def _reshape_scalar(node: cst.BaseExpression) -> cst.BaseExpression:
    return cst.Call(cst.Attribute(_atom(node), cst.Name("reshape")),
                    args=[cst.Arg(cst.Tuple([], lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))])


def _atom(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or getattr(node, "lpar", None):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _keep_parens(original, new):
    if getattr(original, "lpar", None):
        if getattr(new, "lpar", None):
            return new
        return new.with_changes(lpar=original.lpar, rpar=original.rpar)
    return new


def _is_number(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float))


def _cst_qualify(ctx, node) -> str | None:
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    head = ctx.analysis.imports.aliases.get(node.value)
    if head is None:
        return None
    parts.append(head)
    return ".".join(reversed(parts))


# --------------------------------------------------------------------------------------
# ast helpers
# --------------------------------------------------------------------------------------


def _parents(tree: ast.AST) -> dict:
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(sub is inner for sub in ast.walk(outer))


def _scope_of(node, parents):
    while node is not None:
        node = parents.get(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return node
        if isinstance(node, ast.ClassDef):
            return None
    return None


def _qualify(ctx, node) -> str | None:
    return ctx.analysis.imports.qualify(node)


def _is_numpy_or_math(ctx, func) -> str | None:
    qualified = _qualify(ctx, func) or ""
    return qualified if qualified.startswith(("numpy.", "math.")) else None


def _is_conversion(ctx, call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in CONVERSION_METHODS | FEEDING | {"item"} and not call.args:
        return True
    return isinstance(func, ast.Name) and func.id == "float"


def _parenthesize(text: str, original: ast.expr) -> str:
    if isinstance(original, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
        return text
    return f"({text})"


def _moved(ctx, call: ast.Call) -> str:
    """The constructor's dtype/device as `.to(...)`; requires_grad=True dropped."""
    if len(call.args) != 1:
        raise NoFix
    kept = []
    for kw in call.keywords:
        if kw.arg == "requires_grad" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
            continue
        if kw.arg not in ("dtype", "device"):
            raise NoFix
        kept.append(f"{kw.arg}={ctx.source.segment(ctx.span(kw.value))}")
    return f".to({', '.join(kept)})" if kept else ""
