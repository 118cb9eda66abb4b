from __future__ import annotations

import ast

from .base import Rule, RuleContext


class ModuleRequiresGradAttribute(Rule):
    code = "GRD116"
    name = "module-requires-grad-attribute"
    summary = "`module.requires_grad = ...` on an `nn.Module` sets a plain attribute and freezes nothing."
    keywords = ("requires_grad",)
    doc = """
## What it finds
An assignment to `.requires_grad` on a value that is an `nn.Module` (known from how it was
made: `nn.Linear(...)`, an instance of a module class, a submodule of one, or a function
argument that receives one at its call site).

## Why is this bad? What execution shows
`requires_grad` is an attribute of tensors. On a module, `m.requires_grad = False` just adds a
Python attribute: every parameter keeps its flag. A freeze does nothing (the layer keeps
training), and an unfreeze does nothing (the layer stays frozen: with nothing else requiring
grad, `backward()` raises "element 0 of tensors does not require grad").

## Example
```python
def set_trainable(module, flag):
    module.requires_grad = flag
```

## Use instead
```python
def set_trainable(module, flag):
    module.requires_grad_(flag)
```

## Fix safety
Rewriting to `module.requires_grad_(flag)` makes the code do what it says, which changes
what trains: unsafe.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords):
            return
        seen: set = set()
        for event in ctx.world.events:
            if event.kind != "module-requires-grad-attr" or id(event.node) in seen:
                continue
            seen.add(id(event.node))
            target = _target(event.node)
            if target is None:
                continue
            message = (f"`{ast.unparse(target.value)}` is an `nn.Module`: assigning `.requires_grad` only sets a "
                       f"Python attribute and changes no parameter; use `{ast.unparse(target.value)}.requires_grad_(...)`")
            if ctx.world.path_of(event.node) is not None:  # a helper of another file: reported there
                ctx.world_finding(self, target, message)
                continue
            yield ctx.finding(self, ctx.span(target), message, fix=_fix(ctx, self, event.node, target))


def _target(stmt: ast.AST) -> ast.Attribute | None:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
    for target in targets:
        if isinstance(target, ast.Attribute) and target.attr == "requires_grad":
            return target
    return None


def _fix(ctx: RuleContext, rule: Rule, stmt: ast.AST, target: ast.Attribute):
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not ctx.is_whole_statement(stmt):
        return None
    text = f"{ctx.source.segment(ctx.span(target.value))}.requires_grad_({ctx.source.segment(ctx.span(stmt.value))})"
    return ctx.replacement(ctx.span(stmt), text, "Call `requires_grad_(...)` on the module", "unsafe")
