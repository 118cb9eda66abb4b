from __future__ import annotations

import ast

from ..analysis.walk import statements
from .base import Rule, RuleContext
from ..analysis.walk import cached_walk

# calls after which the rebound name is a trainable leaf again
RELEAFING = {"requires_grad_", "detach_", "retain_grad"}


class ManualUpdateRebindsLeaf(Rule):
    code = "GRD124"
    name = "manual-update-rebinds-leaf"
    summary = "`w = w - lr * w.grad` in a training loop replaces the leaf: the next backward gives `w` no gradient."
    default_severity = "error"
    keywords = (".grad",)
    doc = """
## What it finds
In a loop that calls `backward()`, a hand-written update that rebinds the trained tensor's
name to a new value computed from its own gradient, `w = w - lr * w.grad`, where `w` was
made as a leaf that requires grad (`requires_grad=True`, `.requires_grad_()`,
`nn.Parameter`) and nothing makes the new value a leaf again (`.detach()`,
`.requires_grad_()`, `.data`).

## Why is this bad? What execution shows
With grad on, the new `w` is the output of a subtraction: a non-leaf. After the next
`backward()` its `.grad` is `None` (PyTorch warns), so `lr * w.grad` raises `TypeError`,
or `w.grad.zero_()` raises `AttributeError`. Under `torch.no_grad()` the new `w` does not
require grad at all, and the next `backward()` either raises ("element 0 of tensors does not
require grad") or leaves `w` out of the graph. Either way `w` is trained for one step only.

## Example
```python
for step in range(100):
    loss = ((x @ w - y) ** 2).mean()
    loss.backward()
    w = w - lr * w.grad
```

## Use instead
```python
    with torch.no_grad():
        w -= lr * w.grad
    w.grad.zero_()
```

## Fix safety
Unsafe: `w = w - X` (or `+`) becomes `with torch.no_grad(): w -= X` on two lines. The
gradient then accumulates across steps unless the loop zeroes it (`w.grad.zero_()`), which
the fix does not add.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords) or "backward" not in ctx.source.text:
            return
        scopes = [ctx.tree, *(n for n in cached_walk(ctx.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]
        by_hand = "parameters()" in ctx.source.text and ".grad" in ctx.source.text
        for scope in scopes:
            for assign, name in _dropped_parameter_updates(scope) if by_hand else ():
                yield ctx.finding(
                    self, ctx.span(assign),
                    f"this rebinds the loop variable `{name}` to a new tensor computed from `{name}.grad` and then "
                    f"drops it: the parameter `{name}` stood for keeps its value, so nothing trains; update it in "
                    f"place under `torch.no_grad()` (`{name} -= ...`)")
            leaves = _trainable_leaves(ctx, scope)
            if not leaves:
                continue
            for loop in _loops(scope):
                if not _calls_backward(loop):
                    continue
                for assign, name in _self_updates(loop, leaves):
                    yield ctx.finding(
                        self, ctx.span(assign),
                        f"`{name}` is rebound to a new tensor computed from `{name}.grad`: it is no longer the "
                        f"leaf that requires grad, so the next `backward()` gives `{name}` no gradient "
                        f"(`{name}.grad` is None); update it in place under `torch.no_grad()` "
                        f"(`{name} -= ...`)",
                        fix=_in_place_fix(ctx, assign, name),
                    )


def _dropped_parameter_updates(scope: ast.AST):
    """`for p in model.parameters(): p = p - lr * p.grad` in a loop that calls backward, the new
    value read by nothing after it: (assignment, name)."""
    seen: set = set()  # (loops nest: the inner one is inside every outer one)
    for loop in _loops(scope):
        if not _calls_backward(loop):
            continue
        for inner in cached_walk(loop):
            if not (isinstance(inner, ast.For) and _iterates_parameters(inner.iter)) or id(inner) in seen:
                continue
            seen.add(id(inner))
            names = {n.id for n in cached_walk(inner.target) if isinstance(n, ast.Name)}
            body = statements(inner.body, into_definitions=False)
            for index, node in enumerate(body):
                if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                    continue
                name = node.targets[0].id
                if name in names and _reads_own_grad(node.value, name) and not any(
                        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
                        for later in body[index + 1:] for n in cached_walk(later)):
                    yield node, name


def _iterates_parameters(node: ast.AST) -> bool:
    """`model.parameters()`, `net.named_parameters()`."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr in ("parameters", "named_parameters")


def _trainable_leaves(ctx, scope: ast.AST) -> set:
    """Names this scope binds to a leaf tensor that requires grad."""
    qualify = ctx.analysis.imports.qualify
    found = set()
    for node in _own_statements(scope):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        value = node.value
        if not isinstance(value, ast.Call):
            continue
        name = qualify(value.func) or ""
        requires = any(k.arg == "requires_grad" and isinstance(k.value, ast.Constant) and k.value.value is True
                       for k in value.keywords)
        if (requires and name.startswith("torch.")) or name in ("torch.nn.Parameter", "torch.nn.parameter.Parameter") \
                or (isinstance(value.func, ast.Attribute) and value.func.attr == "requires_grad_"):
            found.add(node.targets[0].id)
    return found


def _own_statements(scope: ast.AST) -> list:
    body = scope.body if isinstance(scope, ast.Module) else scope.body
    return statements(body, into_definitions=False)


def _loops(scope: ast.AST) -> list:
    return [n for n in _own_statements(scope) if isinstance(n, (ast.For, ast.While, ast.AsyncFor))]


def _calls_backward(loop: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "backward"
               for n in cached_walk(loop))


def _self_updates(loop: ast.AST, leaves: set):
    body = statements(loop.body, into_definitions=False)
    for index, node in enumerate(body):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        if name not in leaves or not _reads_own_grad(node.value, name) or _releafed(node.value):
            continue
        if any(_makes_leaf_again(later, name) for later in body[index + 1:]):
            continue
        yield node, name


def _reads_own_grad(value: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "grad" and isinstance(n.value, ast.Name)
               and n.value.id == name for n in cached_walk(value))


def _releafed(value: ast.AST) -> bool:
    """`(w - lr * w.grad).detach().requires_grad_()`, `w.data - ...`, `nn.Parameter(...)`."""
    for n in cached_walk(value):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in RELEAFING | {"detach"}:
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, (ast.Name, ast.Attribute)) and \
                (n.func.id if isinstance(n.func, ast.Name) else n.func.attr) == "Parameter":
            return True
    top = value
    return isinstance(top, ast.Attribute) and top.attr == "data"


def _makes_leaf_again(node: ast.AST, name: str) -> bool:
    for n in cached_walk(node):
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in RELEAFING
                and isinstance(n.func.value, ast.Name) and n.func.value.id == name):
            return True
        if (isinstance(n, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "requires_grad"
                                              and isinstance(t.value, ast.Name) and t.value.id == name
                                              for t in n.targets)):
            return True
    return False


def _in_place_fix(ctx, assign: ast.Assign, name: str):
    value = assign.value
    if not (isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub))
            and isinstance(value.left, ast.Name) and value.left.id == name and ctx.is_whole_statement(assign)):
        return None
    if ctx.analysis.imports.qualify(ast.parse("torch.no_grad", mode="eval").body) != "torch.no_grad":
        return None
    line = ctx.source.line_text(assign.lineno)
    indent = line[: len(line) - len(line.lstrip())]
    op = "-=" if isinstance(value.op, ast.Sub) else "+="
    step = ctx.source.segment(ctx.span(value.right))
    return ctx.replacement(ctx.span(assign), f"with torch.no_grad():\n{indent}    {name} {op} {step}",
                           "Update it in place under torch.no_grad()", "unsafe")
