from __future__ import annotations

from ..analysis.values import ROUNDTRIP
from .cut_rule import CutRule


class NumpyRoundTrip(CutRule):
    code = "GRD102"
    name = "python-roundtrip-in-loss"
    summary = "`.numpy()`, `.tolist()`, `.item()` or `float()` on a value that feeds back into the loss."
    break_kind = ROUNDTRIP
    verb = "leaves autograd"
    doc = """
## What it finds
A gradient-carrying tensor converted to NumPy or to Python numbers (`.numpy()`, `.tolist()`,
`.item()`, `float()`, `int()`, `math.*`/`numpy.*` functions) whose result is turned back into
a tensor and used in the loss.

## Why is this bad? What execution shows
NumPy arrays and Python floats carry no autograd history: the tensor rebuilt from them is a
constant. `loss = torch.tensor(pred.item()) ** 2; loss.backward()` raises `element 0 of
tensors does not require grad`; when the round trip is one term among others, the
parameters behind it silently get no gradient from that term.

Not flagged: `.item()` or `float()` for logging, metrics, progress bars, early stopping, or as
a constant weight of a loss that still reaches the same parameters another way.

## Example
```python
probs = model(x).softmax(-1).detach().numpy()
loss = torch.from_numpy(np.log(probs)).mean()
```

## Use instead
```python
probs = model(x).softmax(-1)
loss = torch.log(probs).mean()
```

## Fix safety
Replacing the NumPy calls with torch equivalents can change numerics slightly (dtype,
device): the fix, where offered, is unsafe.
"""

    def fix(self, ctx, report):
        from ..fixes.numpy_to_torch import roundtrip_fix

        return roundtrip_fix(ctx, report)
