from __future__ import annotations

import ast

from ..analysis.interpreter import SCALAR_TAG
from ..analysis.walk import statements
from ..analysis.values import MODULE, PARAMETER, TENSOR
from .base import Rule, RuleContext
from ..analysis.walk import cached_walk

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
return them, directly or through a value computed from the total (`loss = -elbo + total;
return loss`); totals of values that no model, parameter or `requires_grad` tensor is known to
reach (counts from a tokenizer's methods).

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
        backpropagated = {subject for scope in ctx.analysis.scopes for subject in scope.backward_subjects}
        seen = set()
        for scope in ctx.analysis.scopes:
            if scope.is_loss:
                continue  # a loss summing its terms returns them for backward
            for event in scope.accumulations:
                if event.node.lineno in seen or not _known_gradient(event.value_flow):
                    continue
                if not self._across_iterations(ctx, scope, event, backpropagated) or event.target in backpropagated:
                    continue
                seen.add(event.node.lineno)
                yield ctx.finding(
                    self, ctx.span(event.node),
                    f"`{event.target}` adds a loss tensor every iteration and is never backpropagated: "
                    "it keeps every iteration's graph alive; add `.item()`",
                    fix=self._fix(ctx, event.added),
                )

    def _across_iterations(self, ctx, scope, event, backpropagated=frozenset()) -> bool:
        """A local total inside a loop, or an attribute total that outlives the method call."""
        named = any(word in event.target.lower() for word in ACCUMULATOR_WORDS)
        if not (named or SCALAR_TAG in event.value_flow.tags):
            return False
        if event.target.startswith("self.") and scope.class_info is not None:
            return _initial_value(statements(scope.class_info.node.body), event.target, None) is not None
        if not event.in_loop or any(_returned(scope.statements, name) or name in backpropagated
                                    for name in _derived(scope.statements, event.target)):
            return False
        return _initial_value(scope.statements, event.target, event.node) is not None

    def _fix(self, ctx, added):
        if not isinstance(added, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
            return None
        span = ctx.span(added)
        return ctx.replacement(span, ctx.source.segment(span) + ".item()", "Add `.item()` to the accumulated loss")


def _known_gradient(flow) -> bool:
    """A model, a parameter or a tensor created with requires_grad reaches the added value: not only
    an argument or the result of calling something of unknown type (a tokenizer's method)."""
    return any(origin.kind in (MODULE, PARAMETER, TENSOR) for origin in flow.live)


def _derived(scope_statements: list, target: str) -> set:
    """`target` and the names assigned from expressions that read it (`loss = a + total`),
    transitively: the total reaches whatever they reach."""
    names = {target}
    changed = True
    while changed:
        changed = False
        for node in scope_statements:
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
                read = {ast.unparse(n) for n in cached_walk(node.value) if isinstance(n, (ast.Name, ast.Attribute))}
                if read & names:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        for n in cached_walk(t):
                            if isinstance(n, ast.Name) and n.id not in names:
                                names.add(n.id)
                                changed = True
    return names


def _returned(scope_statements: list, target: str) -> bool:
    return any(isinstance(node, ast.Return) and node.value is not None and target in ast.unparse(node.value)
               for node in scope_statements)


def _initial_value(candidates: list, target: str, before: ast.AST | None):
    """The numeric constant `target` starts from (`total = 0.0`), assigned before `before`."""
    found = None
    for node in candidates:
        if isinstance(node, ast.Assign) and (before is None or node.lineno < before.lineno):
            if any(ast.unparse(t) == target for t in node.targets):
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
                    found = value
                elif isinstance(value, ast.Call) and ast.unparse(value.func).endswith(("zeros", "tensor")) \
                        and value.args and isinstance(value.args[0], (ast.Constant, ast.Tuple, ast.List)):
                    found = value
    return found
