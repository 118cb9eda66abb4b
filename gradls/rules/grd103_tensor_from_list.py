from __future__ import annotations

import ast

from ..analysis.values import TENSOR_FROM_LIST
from .cut_rule import CutRule


class TensorFromList(CutRule):
    code = "GRD103"
    name = "tensor-from-tensor-list"
    summary = "`torch.tensor([...])` of tensors that carry gradient; use `torch.stack`."
    break_kind = TENSOR_FROM_LIST
    copies_of_list = True
    verb = "is copied into a new tensor"
    doc = """
## What it finds
`torch.tensor(list_of_tensors)`, `torch.as_tensor(list)`, `torch.Tensor([...])` or
`x.new_tensor([...])` where the elements carry gradient, on the way to a loss. The list may
be filled elsewhere: by `append` in a loop, by another method of the class
(`self.memory.append((value, log_prob, reward))` in `rollout`, `torch.tensor([t[1] for t in
self.memory])` in `learn`: each position of the appended tuples is followed on its own), or by
another function of the file (`policy.saved_log_probs.append(...)`). A list of rewards or other
Python numbers is not flagged.

The copied value may also sit in an object: `self.amplitude = amplitude` in the `__init__` of a
plain class, copied by one of its methods. Which tensor that is comes from the training
script's setup evaluation, which runs the script (and the project files it calls) up to its
first backward on the objects it builds: when the object holds a tensor requiring grad (a leaf
made with `requires_grad=True`, a parameter) and the copy reaches that backward's loss while
the tensor reaches it no other way, the copy is reported where it is, in another file too.
Where a value on the way is unknown, or a branch could not be decided, nothing is reported.

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
        from ..fixes.torch_names import torch_function
        from ..model import Edit, Fix

        call = report.brk.node
        if not isinstance(call, ast.Call) or len(call.args) != 1 or isinstance(call.args[0], ast.Starred):
            return None
        qualified = ctx.analysis.imports.qualify(call.func) or ""
        if qualified not in ("torch.tensor", "torch.as_tensor", "torch.Tensor", "torch.FloatTensor"):
            return None
        # `requires_grad=True` only hid the backward error: the stacked tensor requires grad anyway
        keywords = [kw for kw in call.keywords if not (
            kw.arg == "requires_grad" and isinstance(kw.value, ast.Constant) and kw.value.value is True)]
        if any(kw.arg not in ("dtype", "device") for kw in keywords):
            return None
        spelled = torch_function(ctx, "stack")
        if spelled is None:
            return None
        stack, import_edits = spelled
        data = ctx.source.segment(ctx.span(call.args[0]))
        moved = ", ".join(f"{kw.arg}={ctx.source.segment(ctx.span(kw.value))}" for kw in keywords)
        text = f"{stack}({data})" + (f".to({moved})" if moved else "")
        message = f"Replace `{ast.unparse(call.func)}(list)` with `{stack}(list)`"
        if moved:
            message += f" and `.to({moved})`"
        if import_edits:
            message += " (imports `stack` from torch)"
        return Fix("safe", message, (Edit(ctx.span(call), text), *import_edits))
