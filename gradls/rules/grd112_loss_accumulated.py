from __future__ import annotations

import ast

from ..analysis.interpreter import SCALAR_TAG
from ..analysis.walk import statements
from .base import Rule, RuleContext, carries_gradient

ACCUMULATOR_WORDS = ("loss", "total", "sum", "running", "epoch", "acc", "cum")


class LossAccumulated(Rule):
    code = "GRD112"
    name = "loss-accumulated-with-graph"
    summary = "`total += loss` across iterations without `.item()`, when `total` is never backpropagated."
    doc = """
## What it finds
A running total (`total_loss += loss`) that adds a gradient-carrying loss tensor on every
iteration of a loop, where the total is only logged or returned for reporting, never
backpropagated.

## Why is this bad? What execution shows
The total becomes a tensor whose `grad_fn` chains every iteration's graph: each step's
activations stay alive until the loop ends. Memory grows with the number of iterations
(out of memory on long epochs), and after the loop `total.grad_fn` is not None.

Not flagged: `total += loss.item()` or `loss.detach()`, totals that are backpropagated
(gradient accumulation, multi-task sums), and loss functions that sum their terms and
return them.

## Example
```python
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    total_loss += loss
```

## Use instead
```python
    total_loss += loss.item()
```

## Fix safety
`.item()` turns the total into a Python float, which is what a running total for logging
needs; code that later calls tensor methods on the total would break: unsafe where the
total is used as a tensor afterwards, safe otherwise.
"""

    def check(self, ctx: RuleContext):
        seen = set()
        for scope in ctx.analysis.scopes:
            if scope.returns_sink:
                continue
            for event in scope.accumulations:
                node = event.node
                if not event.in_loop or not isinstance(node.op, ast.Add) or not carries_gradient(event.value_flow):
                    continue
                if node.lineno in seen or not self._is_accumulator(scope, event):
                    continue
                if event.target in scope.backward_subjects or self._backpropagated(scope, event.target):
                    continue
                seen.add(node.lineno)
                yield ctx.finding(
                    self, ctx.span(node),
                    f"`{event.target}` adds a loss tensor every iteration and is never backpropagated: "
                    "it keeps every iteration's graph alive; add `.item()`",
                    fix=self._fix(ctx, node),
                )

    def _is_accumulator(self, scope, event) -> bool:
        initial = _initial_value(scope.node, event.target, event.node)
        if initial is None:
            return False
        named = any(word in event.target.lower() for word in ACCUMULATOR_WORDS)
        return named or SCALAR_TAG in event.value_flow.tags

    def _backpropagated(self, scope, target: str) -> bool:
        for sink in scope.sinks:
            if sink.kind == "backward" and target in ast.unparse(sink.node):
                return True
        return False

    def _fix(self, ctx, node: ast.AugAssign):
        value = node.value
        if not isinstance(value, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
            return None
        span = ctx.span(value)
        return ctx.replacement(span, ctx.source.segment(span) + ".item()", "Add `.item()` to the accumulated loss")


def _initial_value(scope_node, target: str, before: ast.AST):
    """The numeric constant `target` starts from (`total = 0.0`), assigned before `before`."""
    found = None
    for node in statements(scope_node.body):
        if isinstance(node, ast.Assign) and node.lineno < before.lineno:
            if any(ast.unparse(t) == target for t in node.targets):
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
                    found = value
                elif isinstance(value, ast.Call) and ast.unparse(value.func).endswith(("zeros", "tensor")) \
                        and value.args and isinstance(value.args[0], (ast.Constant, ast.Tuple, ast.List)):
                    found = value
    return found
