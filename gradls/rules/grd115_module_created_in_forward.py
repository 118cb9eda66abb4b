from __future__ import annotations

import ast

from ..analysis import names as N
from ..analysis.cuts import trained_by_project
from ..analysis.walk import cached_walk, statements
from .base import Rule, RuleContext


class ModuleCreatedInForward(Rule):
    code = "GRD115"
    name = "module-created-in-forward"
    summary = "A layer with parameters is created inside `forward()`: new random weights every call, never trained."
    keywords = ("forward",)
    doc = """
## What it finds
`self.fc = nn.Linear(...)` (or any module with parameters: a `torch.nn` layer, an instance of a
module class of the file) assigned unconditionally in an `nn.Module`'s `forward()`.

## Why is this bad? What execution shows
Every call builds a fresh layer with new random weights. The optimizer was built from the
parameters that existed before, so it never holds the new ones; the layer's output is
random and nothing it computes is learned (the optimizer's copy is stale and gets
`grad None`). A layer created lazily once (`if self.fc is None:`) is not flagged.

In a file that trains (or whose class a script of the project trains), a layer made and called
at once in `forward()` (`nn.Linear(self.hidden, n)(h)`) while a layer with parameters that
`__init__` registered is read by no method of the class nor anywhere else in the file: the
registered layer, which the optimizer holds, gets no gradient.

In a file that trains, a layer or `nn.Parameter` that `__init__` made and `forward()` makes again
under a test (`if x.size(1) != self.pos.size(1): self.pos = nn.Parameter(...)`) is a replacement,
not a lazy creation: the optimizer still holds the old one, and the new one never trains.

## Example
```python
def forward(self, x):
    x = F.relu(self.fc1(x))
    self.fc2 = nn.Linear(128, 10)
    return self.fc2(x)
```

## Use instead
```python
def __init__(self):
    super().__init__()
    self.fc1 = nn.Linear(784, 128)
    self.fc2 = nn.Linear(128, 10)
```

## Fix safety
No automatic fix: the layer's arguments may depend on values only `forward` has.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords):
            return
        analysis = ctx.analysis
        for info in analysis.classes.values():
            forward = info.methods.get("forward")
            if not info.is_module or forward is None:
                continue
            for stmt in _unconditional(forward.node.body):
                target = _self_target(stmt)
                if target is None or not self._makes_parameters(ctx, stmt.value):
                    continue
                yield ctx.finding(
                    self, ctx.span(stmt),
                    f"`self.{target}` is created in `forward()`: each call makes new random weights that "
                    f"no optimizer holds, so this layer never trains; create it in `__init__`",
                )
            suspects = [*self._made_and_called(ctx, info, forward.node),
                        *self._replaced_in_a_branch(ctx, info, forward.node)]
            # trained here, or (the evidence is costly: asked only for a suspect) by a script of the project
            if suspects and (analysis.trains or trained_by_project(analysis, info.name)):
                yield from suspects

    def _made_and_called(self, ctx: RuleContext, info, forward: ast.AST):
        """`return nn.Linear(8, 2)(h)` in `forward()` while the layer `__init__` registered for it
        (`self.fc`) is read by no method: the fresh layer computes the output with new random
        weights each call, and the registered one, which the optimizer holds, gets no gradient."""
        made = [node for stmt in _unconditional(forward.body) for node in cached_walk(stmt)
                if isinstance(node, ast.Call) and self._makes_parameters(ctx, node.func)]
        unused = _registered_but_unread(ctx, self, info) if made else []
        for node in made if unused else ():
            yield ctx.finding(
                self, ctx.span(node.func),
                f"this layer is created inside `forward()` and used at once: each call makes new random "
                f"weights that no optimizer holds, while {', '.join(f'`self.{a}`' for a in unused)}, "
                "made in `__init__`, is never used and gets no gradient; call the registered layer instead",
            )

    def _replaced_in_a_branch(self, ctx: RuleContext, info, forward: ast.AST):
        """`self.pos = nn.Parameter(...)` under a test in `forward()`, `self.pos` made in `__init__`:
        not a lazy first creation but a replacement of what the optimizer holds."""
        init = info.methods.get("__init__")
        if init is None:
            return
        made_in_init = {_self_target(stmt) for stmt in statements(init.node.body, into_definitions=False)
                        if isinstance(stmt, ast.Assign) and self._makes_parameters(ctx, stmt.value)} - {None}
        unconditional = set(map(id, _unconditional(forward.body)))
        for stmt in statements(forward.body, into_definitions=False):
            target = _self_target(stmt)
            if target is None or target not in made_in_init or id(stmt) in unconditional:
                continue
            if self._makes_parameters(ctx, stmt.value):
                yield ctx.finding(
                    self, ctx.span(stmt),
                    f"`self.{target}` made in `__init__` is replaced in `forward()` by a new one: the optimizer "
                    f"still holds the old parameters, so the new ones never train; resize or slice the "
                    f"existing one instead",
                )

    def _makes_parameters(self, ctx: RuleContext, value: ast.AST) -> bool:
        if not isinstance(value, ast.Call):
            return False
        qualified = ctx.analysis.imports.qualify(value.func) or ""
        short = qualified.rsplit(".", 1)[-1]
        if qualified.startswith("torch.nn.") and qualified.count(".") == 2 and short[:1].isupper():
            return not (short in N.PARAMLESS_MODULES or short.endswith(N.PARAMLESS_MODULE_SUFFIXES)
                        or short in ("Sequential", "ModuleList", "ModuleDict"))
        if isinstance(value.func, ast.Name):
            local = ctx.analysis.classes.get(value.func.id)
            return local is not None and local.is_module and bool(local.params or local.modules)
        return False


def _registered_but_unread(ctx: RuleContext, rule: "ModuleCreatedInForward", info) -> list:
    """The layers with parameters `__init__` assigns to `self` that no method of the class reads."""
    init = info.methods.get("__init__")
    if init is None:
        return []
    made = [_self_target(stmt) for stmt in statements(init.node.body, into_definitions=False)
            if isinstance(stmt, ast.Assign) and rule._makes_parameters(ctx, stmt.value)]
    read = {node.attr for method in info.methods.values() if method is not init for node in cached_walk(method.node)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
            and isinstance(node.value, ast.Name) and node.value.id == "self"}
    read |= {node.attr for node in cached_walk(init.node) if isinstance(node, ast.Attribute)
             and isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name) and node.value.id == "self"}
    if any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "vars")
           for method in info.methods.values() for node in cached_walk(method.node)) \
            or read & {"modules", "children", "named_modules", "named_children", "_modules", "__dict__"}:
        return []  # layers reached by name or by walking the module: reads this cannot see
    elsewhere = {node.attr for node in cached_walk(ctx.tree) if isinstance(node, ast.Attribute)
                 and not (info.node.lineno <= node.lineno <= info.node.end_lineno)}
    return [name for name in made if name is not None and name not in read and name not in elsewhere]


def _unconditional(body: list) -> list:
    """Statements that run on every call: not inside an `if`, loop or `try`."""
    found = []
    for stmt in body:
        if isinstance(stmt, ast.With):
            found += _unconditional(stmt.body)
        else:
            found.append(stmt)
    return found


def _self_target(stmt: ast.AST) -> str | None:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
        return None
    target = stmt.targets[0]
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return target.attr
    return None
