from __future__ import annotations

import ast

from ..analysis.values import COPY_CONSTRUCT
from .cut_rule import CutRule


class CopyConstruct(CutRule):
    code = "GRD104"
    name = "tensor-copy-constructor"
    summary = "`torch.tensor(t)`, `t.new_tensor(t)` or `Variable(t)` of a gradient-carrying tensor on the loss path."
    break_kind = COPY_CONSTRUCT
    copies_of_list = False
    verb = "is copied without its history"
    doc = """
## What it finds
`torch.tensor(t)`, `x.new_tensor(t)` or the legacy `torch.autograd.Variable(t)` where `t` is
a tensor that carries gradient and the copy is used in the loss. (In torch 2.x `Variable(t)`
returns a new leaf without `t`'s history; `Variable(t, requires_grad=True)` only hides the
backward error.)

## Why is this bad? What execution shows
Both construct a new leaf from the data (PyTorch even warns: "To copy construct from a
tensor, it is recommended to use sourceTensor.clone().detach()"). The copy has no
history, so the parameters behind `t` get no gradient through it. Note: `torch.Tensor(t)`
and `torch.FloatTensor(t)` of a tensor keep the graph in torch 2.13 (they return a view of
`t`), and `torch.as_tensor(t)` returns `t` itself: those are not flagged. Neither is
`torch.tensor(beta)` of a function argument that is a Python value by its default or
annotation (`beta: float = 0.5`, `top_k: int`), nor, inside a loss helper, a copy of one of
its arguments while others still reach what it returns: the type of an argument is not known
there, so the callers' backward, with the tensors they pass, decides.

The copied value may also sit in an object: `self.amplitude = amplitude` in the `__init__` of a
plain class, copied by one of its methods. Which tensor that is comes from the training
script's setup evaluation, which runs the script (and the project files it calls) up to its
first backward on the objects it builds: when the object holds a tensor requiring grad (a leaf
made with `requires_grad=True`, a parameter) and the copy reaches that backward's loss while
the tensor reaches it no other way, the copy is reported where it is, in another file too.
Where a value on the way is unknown, or a branch could not be decided, nothing is reported.

## Example
```python
scores = torch.tensor(model(x), dtype=torch.float32)
loss = scores.mean()
```

## Use instead
```python
scores = model(x).clone().to(torch.float32)
```

## Fix safety
`t.clone()` keeps the values and the graph: safe.
"""

    def fix(self, ctx, report):
        call = report.brk.node
        if not isinstance(call, ast.Call) or not call.args:
            return None
        data = ctx.source.segment(ctx.span(call.args[0]))
        if len(call.args) != 1 or isinstance(call.args[0], ast.Starred):
            return None
        # `requires_grad=True` only hid the backward error: the clone requires grad anyway
        others = [kw for kw in call.keywords if not (
            kw.arg == "requires_grad" and isinstance(kw.value, ast.Constant) and kw.value.value is True)]
        keywords = [kw for kw in others if kw.arg in ("dtype", "device")]
        if len(keywords) != len(others):
            return None
        moved = ", ".join(f"{kw.arg}={ast.unparse(kw.value)}" for kw in keywords)
        needs_parens = not isinstance(call.args[0], (ast.Name, ast.Attribute, ast.Call, ast.Subscript))
        base = f"({data})" if needs_parens else data
        func = call.func
        if not moved and isinstance(func, ast.Attribute) and func.attr == "new_tensor":
            # `x.new_tensor(t)` has x's dtype and device
            if not isinstance(func.value, (ast.Name, ast.Attribute)):
                return None
            moved = ctx.source.segment(ctx.span(func.value))
        text = f"{base}.clone()" + (f".to({moved})" if moved else "")
        return ctx.replacement(ctx.span(call), text, "Replace the copy constructor with `.clone()`")
