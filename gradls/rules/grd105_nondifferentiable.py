from __future__ import annotations

from ..analysis.values import NONDIFF
from .cut_rule import CutRule


class NonDifferentiable(CutRule):
    code = "GRD105"
    name = "non-differentiable-op-in-loss"
    summary = "argmax, rounding, integer casts or comparisons on the path to the loss."
    break_kind = NONDIFF
    verb = "goes through a non-differentiable step"
    doc = """
## What it finds
`argmax`/`argmin`, `round`/`floor`/`ceil`/`sign`, integer or bool casts (`.long()`,
`.to(torch.int64)`), comparisons and thresholds (`pred > 0.5`), `.indices` of max/sort/topk,
applied to gradient-carrying values that then make up the loss.

## Why is this bad? What execution shows
These functions are piecewise constant: their output has no `grad_fn` (integer and bool
tensors cannot require grad at all). A loss built only from them makes backward raise
`element 0 of tensors does not require grad`; as one term among others, it contributes
nothing, silently.

Not flagged: argmax for accuracy or metrics, thresholds for masks that weight a
differentiable loss, indices used to gather from a tensor that still carries gradient, a
helper that returns a bool mask or integer indices (a comparison, argmax: such a value is
never a loss), and masks a loss helper builds from labels or token ids it is given.

## Example
```python
pred_class = logits.argmax(dim=1)
loss = ((pred_class - target) ** 2).float().mean()
```

## Use instead
```python
loss = F.cross_entropy(logits, target)
```

## Fix safety
No automatic fix: the differentiable replacement (softmax, a straight-through estimator,
a proper loss) is a modelling decision.
"""
