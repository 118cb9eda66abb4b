from __future__ import annotations

import ast

from ..analysis import names as N
from .base import Rule, RuleContext
from ..analysis.walk import cached_walk


class SchedulerInsteadOfStep(Rule):
    code = "GRD117"
    name = "scheduler-instead-of-step"
    summary = "A learning-rate scheduler steps where the optimizer should: the parameters never change."
    default_severity = "error"
    keywords = ("lr_scheduler",)
    doc = """
## What it finds
In a loop that calls `backward()`, `scheduler.step()` of a `torch.optim.lr_scheduler`
scheduler built over `optimizer`, on a path where `optimizer.step()` does not run: the
scheduler's step in one branch and the optimizer's in the other, or no `optimizer.step()` at all.
The same in a trainer object: `self.scheduler` built over `self.optimizer`, stepped in the
method that calls `backward()`, while the optimizer, which nothing outside the class reads,
is never stepped nor handed to anything that could step it.

## Why is this bad? What execution shows
A scheduler's `step()` only changes the learning rate; it never applies gradients. On that
path the optimizer never steps, so the parameters stay at their initial values while the
loss is computed and backpropagated as usual (torch warns that `lr_scheduler.step()` was
called before `optimizer.step()`).

## Example
```python
loss.backward()
if scheduler:
    scheduler.step()
else:
    optimizer.step()
```

## Use instead
```python
loss.backward()
optimizer.step()
if scheduler:
    scheduler.step()
```

## Fix safety
No automatic fix: where the scheduler should step (per batch or per epoch) is the user's choice.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords):
            return
        reported: set = set()
        with_schedulers = _scopes_building_schedulers(ctx)
        for scope in ctx.analysis.scopes:
            if id(scope.node) not in with_schedulers:
                continue
            body = scope.node.body
            schedulers = _schedulers(ctx, body)
            if not schedulers:
                continue
            for loop in _loops_with_backward(body):
                for finding in self._loop(ctx, loop, schedulers, body):
                    if finding.span not in reported:
                        reported.add(finding.span)
                        yield finding
        for node in cached_walk(ctx.tree):
            if isinstance(node, ast.ClassDef):
                yield from self._class(ctx, node)

    def _class(self, ctx, cls: ast.ClassDef):
        """A trainer object: `self.scheduler` built over `self.optimizer` in one method, stepped in
        the method that calls backward, and the optimizer, an object only the class can reach,
        never stepped nor handed to anything that could step it."""
        methods = [m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
        schedulers = {name: optimizer for method in methods for name, optimizer in _schedulers(ctx, method.body).items()
                      if name.startswith("self.") and optimizer.startswith("self.")}
        for scheduler, optimizer in schedulers.items():
            if not _built_by_torch_optim(ctx, methods, optimizer) or not _only_managed_here(ctx, cls, optimizer):
                continue
            if any(_applies_gradients_by_hand(method.body) for method in methods):
                continue
            for method in methods:
                call = _step_call(method.body, scheduler)
                if call is not None and _calls_backward(method):
                    yield self._finding(ctx, call, scheduler, optimizer)

    def _loop(self, ctx, loop, schedulers, scope_body):
        for node in _walk_own(loop.body):
            if not isinstance(node, ast.If):
                continue
            for branch, other in ((node.body, node.orelse), (node.orelse, node.body)):
                for scheduler, optimizer in schedulers.items():
                    call = _step_call(branch, scheduler)
                    if call is not None and _step_call(branch, optimizer) is None and _step_call(other, optimizer):
                        yield self._finding(ctx, call, scheduler, optimizer)
        for scheduler, optimizer in schedulers.items():
            call = _step_call(loop.body, scheduler)
            if call is not None and not _ever_stepped(scope_body, optimizer) and not _applies_gradients_by_hand(loop.body):
                yield self._finding(ctx, call, scheduler, optimizer)

    def _finding(self, ctx, call, scheduler, optimizer):
        return ctx.finding(
            self, ctx.span(call),
            f"`{scheduler}.step()` only changes the learning rate: on this path `{optimizer}.step()` never "
            f"runs, so the gradients are never applied and the parameters do not change",
        )


def _scopes_building_schedulers(ctx: RuleContext) -> set:
    """ids of the functions (and the module) whose own statements build an lr_scheduler."""
    found: set = set()
    stack = [(ctx.tree, ctx.tree)]
    while stack:
        node, scope = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stack.append((child, child))
            elif isinstance(child, ast.Call) and (ctx.analysis.imports.qualify(child.func) or "").startswith(
                    "torch.optim.lr_scheduler."):
                found.add(id(scope))
            else:
                stack.append((child, scope))
    return found


def _schedulers(ctx: RuleContext, body: list) -> dict[str, str]:
    """scheduler name -> the optimizer it was built over, for `s = lr_scheduler.X(opt, ...)`."""
    found = {}
    for stmt in _walk_own(body):
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target = N.dotted_text(stmt.targets[0])
        for call in (stmt.value, getattr(stmt.value, "body", None), getattr(stmt.value, "orelse", None)):
            if isinstance(call, ast.Call) and call.args and (ctx.analysis.imports.qualify(call.func) or "").startswith(
                    "torch.optim.lr_scheduler."):
                optimizer = N.dotted_text(call.args[0])
                if target and optimizer:
                    found[target] = optimizer
    return found


def _loops_with_backward(body: list):
    for node in _walk_own(body):
        if isinstance(node, (ast.For, ast.While)) and any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "backward"
                for n in cached_walk(node)):
            yield node


def _step_call(body: list, receiver: str) -> ast.Call | None:
    for stmt in body:
        for node in cached_walk(stmt):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "step"
                    and N.dotted_text(node.func.value) == receiver):
                return node
    return None


def _ever_stepped(body: list, optimizer: str) -> bool:
    """`optimizer.step()` anywhere, or the optimizer handed to something that may step it."""
    for stmt in body:
        for node in cached_walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr == "step" and N.dotted_text(node.func.value) == optimizer:
                return True
            arguments = [*node.args, *(kw.value for kw in node.keywords)]
            if any(N.dotted_text(a) == optimizer for a in arguments) and not _is_scheduler_call(node):
                return True
    return False


def _applies_gradients_by_hand(body: list) -> bool:
    """A manual update reading gradients (`p -= lr * p.grad`, `p.data.add_(p.grad, alpha=-lr)`,
    `p.data = p.data - lr * p.grad`): the parameters change without `optimizer.step()` (the
    optimizer may be there only to drive the schedule)."""
    for stmt in body:
        for node in cached_walk(stmt):
            if isinstance(node, (ast.AugAssign, ast.Assign)):
                # (`p = p - lr * p.grad` only rebinds the name: nothing changes)
                targets = [node.target] if isinstance(node, ast.AugAssign) else \
                    [t for t in node.targets if not isinstance(t, ast.Name)]
                if targets and _reads_a_gradient(node.value) and not any(_is_gradient(t) for t in targets):
                    return True
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr.endswith("_") \
                    and not _is_gradient(node.func.value) and any(_reads_a_gradient(a) for a in node.args):
                return True
    return False


def _reads_a_gradient(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "grad" for n in cached_walk(node))


def _is_gradient(target: ast.AST) -> bool:
    """`p.grad`, `p.grad.data`, `p.grad[0]`: the gradient itself (clipped or scaled), not the parameter."""
    while isinstance(target, (ast.Attribute, ast.Subscript)):
        if isinstance(target, ast.Attribute) and target.attr == "grad":
            return True
        target = target.value
    return False


def _built_by_torch_optim(ctx: RuleContext, methods: list, optimizer: str) -> bool:
    """`self.optimizer = torch.optim.AdamW(...)` in one of the class's methods."""
    for method in methods:
        for stmt in _walk_own(method.body):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and N.dotted_text(stmt.targets[0]) == optimizer \
                    and isinstance(stmt.value, ast.Call):
                qualified = ctx.analysis.imports.qualify(stmt.value.func) or ""
                return qualified.startswith("torch.optim.") and not qualified.startswith("torch.optim.lr_scheduler.")
    return False


# what a class may do with its optimizer without stepping it (anything else may step it)
_NON_STEPPING_USES = ("zero_grad", "param_groups", "state_dict", "add_param_group")


def _only_managed_here(ctx: RuleContext, cls: ast.ClassDef, optimizer: str) -> bool:
    """The optimizer attribute is read nowhere outside the class, and inside it only to be built,
    to build a scheduler over it, or by uses that never step it (`zero_grad`, `param_groups`)."""
    attribute = optimizer.split(".", 1)[1]
    inside = {id(n) for n in cached_walk(cls)}
    parents = {id(child): node for node in cached_walk(cls) for child in ast.iter_child_nodes(node)}
    for node in cached_walk(ctx.tree):
        if not (isinstance(node, ast.Attribute) and node.attr == attribute):
            continue
        if id(node) not in inside or N.dotted_text(node) != optimizer:
            return False
        parent = parents.get(id(node))
        if isinstance(node.ctx, ast.Store) or (isinstance(parent, ast.Attribute) and parent.attr in _NON_STEPPING_USES):
            continue
        if isinstance(parent, ast.Call) and _is_scheduler_lr_call(ctx, parent) and parent.args and parent.args[0] is node:
            continue
        return False
    return True


def _is_scheduler_lr_call(ctx: RuleContext, call: ast.Call) -> bool:
    return (ctx.analysis.imports.qualify(call.func) or "").startswith("torch.optim.lr_scheduler.")


def _calls_backward(function) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "backward"
               for n in cached_walk(function))


def _is_scheduler_call(call: ast.Call) -> bool:
    return "lr_scheduler" in (N.dotted_text(call.func) or "")


def _walk_own(body: list):
    """Every node of these statements, not entering nested functions or classes."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(list(ast.iter_child_nodes(node))):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)
