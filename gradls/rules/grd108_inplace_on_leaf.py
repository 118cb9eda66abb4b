from __future__ import annotations

import ast

from ..analysis import names as N
from ..analysis.interpreter import LEAF_TAG
from .base import Rule, RuleContext
from ..analysis.walk import cached_walk

EXEMPT = {"requires_grad_", "retain_grad", "share_memory_", "detach_"}


class InplaceOnLeaf(Rule):
    code = "GRD108"
    name = "inplace-on-leaf"
    summary = "In-place operation on a leaf tensor that requires grad, outside `torch.no_grad()`."
    default_severity = "error"
    doc = """
## What it finds
`w -= lr * w.grad`, `w.add_(...)`, `w *= 0.1`, `w[0] = 1` and other in-place operations on a
parameter or a tensor created with `requires_grad=True`, while grad mode is on.

## Why is this bad? What execution shows
Autograd refuses it: `RuntimeError: a leaf Variable that requires grad is being used in an
in-place operation.` A manual update rewritten out of place (`w = w - lr * w.grad`) runs,
but `w` becomes a non-leaf: its `.grad` is None from then on and training stops.

Not flagged: updates under `with torch.no_grad():` or in an `@torch.no_grad()` function,
updates through `.data`, in-place operations on tensors that do not require grad, and
`self.masks[key] = ...` on an attribute the class also sets to a dict or list (a container of
parameters, filled item by item).

## Example
```python
w -= lr * w.grad
```

## Use instead
```python
with torch.no_grad():
    w -= lr * w.grad
```

## Fix safety
Wrapping the statement in `with torch.no_grad():` is what the code means: safe.
"""

    def check(self, ctx: RuleContext):
        seen = set()
        for scope in ctx.analysis.scopes:
            for event in scope.inplace:
                if event.under_no_grad or event.method in EXEMPT or LEAF_TAG not in event.flow.tags:
                    continue
                if not event.flow.live or self._frozen(ctx, event):
                    continue
                key = (event.node.lineno, event.node.col_offset)
                if key in seen:
                    continue
                seen.add(key)
                target = ast.unparse(event.target)
                yield ctx.finding(
                    self, ctx.span(event.node),
                    f"in-place `{event.method}` on `{target}`, a leaf that requires grad: raises "
                    "\"a leaf Variable that requires grad is being used in an in-place operation\"",
                    fix=self._fix(ctx, event),
                )

    def _frozen(self, ctx, event) -> bool:
        labels = ctx.analysis.frozen_labels
        frozen = [o for o in event.flow.live if o.label in labels]
        if not frozen:
            return False
        # A loop writing a module's parameters counts as freezing it (an EMA or target copy);
        # writing them in place is exactly this event, though: only a real switch of
        # requires_grad makes the parameters leaves that do not require grad.
        switched = _requires_grad_switched_off(ctx)
        return any(o.label in switched for o in frozen)

    def _fix(self, ctx, event):
        stmt = event.node
        if isinstance(stmt, ast.Call):
            return None
        if stmt.lineno != stmt.end_lineno or ctx.torch_alias is None:
            return None
        line = ctx.source.line_text(stmt.lineno)
        indent = line[: len(line) - len(line.lstrip())]
        if line[len(indent):].startswith(("if ", "for ", "while ")) or ";" in line:
            return None
        span = ctx.span(stmt)
        body = ctx.source.segment(span)
        text = f"with {ctx.torch_alias}.no_grad():\n{indent}    {body}"
        return ctx.replacement(span, text, "Wrap the update in `with torch.no_grad():`")


def _requires_grad_switched_off(ctx) -> set:
    """Modules whose parameters the file turns off: `m.requires_grad_(False)`, `freeze(m)`, or a
    loop over `m.parameters()` that sets `requires_grad` False."""
    found = set()
    for node in cached_walk(ctx.tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "requires_grad_" and node.args
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value is False):
                found.add(N.dotted_text(func.value))
            elif isinstance(func, (ast.Name, ast.Attribute)) and node.args and "freeze" in (
                    func.id if isinstance(func, ast.Name) else func.attr).lower():
                found.add(N.dotted_text(node.args[0]))
        elif isinstance(node, ast.For) and isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Attribute) \
                and node.iter.func.attr in ("parameters", "named_parameters") and _turns_off_grad(node.body):
            found.add(N.dotted_text(node.iter.func.value))
    found.discard(None)
    return found


def _turns_off_grad(body: list) -> bool:
    for node in cached_walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is False \
                and any(isinstance(t, ast.Attribute) and t.attr == "requires_grad" for t in node.targets):
            return True
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "requires_grad_"
                and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value is False):
            return True
    return False
