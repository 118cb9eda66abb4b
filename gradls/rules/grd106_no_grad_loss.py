from __future__ import annotations

from ..analysis.values import NO_GRAD
from .cut_rule import CutRule


class NoGradLoss(CutRule):
    code = "GRD106"
    name = "loss-under-no-grad"
    summary = "Model output or loss computed under `no_grad`/`inference_mode` and then backpropagated."
    break_kind = NO_GRAD
    verb = "is computed with gradient disabled"
    doc = """
## What it finds
A value computed inside `with torch.no_grad():`, `torch.inference_mode()`,
`torch.set_grad_enabled(False)` or a function decorated with `@torch.no_grad()`, that
later reaches `backward()` as the only path from trained parameters. A bare
`torch.set_grad_enabled(False)` statement turns grad off for the statements after it
(also in the caller, when a function ends with it), and is reported where it stands; a
mode the checker cannot read (`set_grad_enabled(flag)`) is not assumed off. A reentrant
`torch.utils.checkpoint.checkpoint(fn, *inputs)` (the default without `use_reentrant=False`)
whose inputs do not require grad runs `fn` without a graph as well.

## Why is this bad? What execution shows
Under these modes autograd records nothing: the output has no `grad_fn`. Backward on it
raises `element 0 of tensors does not require grad`; as one term of a larger loss, the
parameters behind it get no gradient from that term.

Not flagged: evaluation loops, EMA/teacher updates, target-network targets (`with
torch.no_grad(): target = target_net(s2)`), pseudo-labels, anything that never reaches a
backward of the parameters it came from.

## Example
```python
with torch.no_grad():
    out = model(x)
loss = criterion(out, y)
loss.backward()
```

## Use instead
```python
out = model(x)
loss = criterion(out, y)
loss.backward()
```

## Fix safety
No automatic fix: moving code out of the block changes what else runs without grad.
"""
