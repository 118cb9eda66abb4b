from __future__ import annotations

import ast

from ..analysis.values import TENSOR_FROM_LIST
from .cut_rule import CutRule


class TensorFromList(CutRule):
    code = "GRD103"
    name = "tensor-from-tensor-list"
    summary = "`torch.tensor([...])` of tensors that carry gradient; use `torch.stack`."
    break_kind = TENSOR_FROM_LIST
    verb = "is copied into a new tensor"
    doc = """
## What it finds
`torch.tensor(list_of_tensors)`, `torch.as_tensor(list)`, `torch.Tensor([...])` or
`x.new_tensor([...])` where the elements carry gradient, on the way to a loss.

## Why is this bad? What execution shows
The constructors copy the numbers, not the graph: the new tensor is a leaf with no history.
Collecting per-sample losses with `losses.append(l)` and then `torch.tensor(losses).mean()`
gives a loss whose backward raises `element 0 of tensors does not require grad`, or,
when it is added to another loss, trains nothing through those elements.

## Example
```python
per_sample = [criterion(model(x), y) for x, y in batch]
loss = torch.tensor(per_sample).mean()
```

## Use instead
```python
loss = torch.stack(per_sample).mean()
```

## Fix safety
`torch.stack` keeps the values and the graph; a `dtype`/`device` argument becomes `.to(...)`.
The fix is safe.
"""

    def fix(self, ctx, report):
        call = report.brk.node
        if not isinstance(call, ast.Call) or len(call.args) != 1:
            return None
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("tensor", "as_tensor", "Tensor", "FloatTensor")
                and isinstance(func.value, ast.Name)):
            return None
        if any(kw.arg not in ("dtype", "device") for kw in call.keywords):
            return None
        data = ctx.source.segment(ctx.span(call.args[0]))
        moved = ", ".join(f"{kw.arg}={ast.unparse(kw.value)}" for kw in call.keywords)
        text = f"{func.value.id}.stack({data})" + (f".to({moved})" if moved else "")
        return ctx.replacement(ctx.span(call), text, f"Replace {ast.unparse(func)}(list) with {func.value.id}.stack")
