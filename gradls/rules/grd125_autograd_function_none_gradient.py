from __future__ import annotations

from ..analysis.values import AUTOGRAD_NONE
from .cut_rule import CutRule


class AutogradFunctionNoneGradient(CutRule):
    code = "GRD125"
    name = "autograd-function-drops-gradient"
    summary = "A custom `torch.autograd.Function` whose `backward` returns None for an input that should train."
    break_kind = AUTOGRAD_NONE
    verb = "is given no gradient"
    doc = """
## What it finds
`F.apply(x, w)` (or `fn = F.apply; fn(x, w)`, in this file or imported from another) of a
class deriving from `torch.autograd.Function` whose `backward` returns the constant `None`, in
every `return`, at the position of an input that carries something trained to the loss (a
parameter the optimizer holds, a layer's output) and that reaches the loss no other way.
The finding is at that `None` in `backward`'s return. The same where the gradient of input k
is computed only under `if ctx.needs_input_grad[j]:` for another input j that the call passes
something needing no gradient (a buffer, data): the finding is at that test. A module's `forward` passing its own
parameter there (`Function.apply(x, self.bias)`) is reported in the module's file alone,
whoever trains it: a registered parameter that can never get a gradient.

## Why is this bad? What execution shows
Autograd never looks inside `forward` of a custom Function: the gradient of input k is what
`backward` returns at position k, and `None` means "no gradient". Backward runs without an
error, the result still requires grad through the other inputs, but the parameter passed at
that position keeps `.grad` None and the optimizer never changes it.

Not flagged: `None` for an input that needs no gradient (an integer, a flag, a mask, a
target, a tensor that does not require grad), a `return` that computes the gradient on some
path (`grad_t if ctx.needs_input_grad[1] else None`, or a variable set under such a test),
and a backward whose returns cannot be read position by position (a tuple built in a loop,
`*args`).

## Example
```python
class SoftThreshold(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, thresh):
        ctx.save_for_backward(x, thresh)
        return torch.sign(x) * torch.clamp(x.abs() - thresh, min=0)

    @staticmethod
    def backward(ctx, grad_out):
        x, thresh = ctx.saved_tensors
        mask = (x.abs() > thresh).to(grad_out.dtype)
        return grad_out * mask, None          # self.thresh never trains

code = SoftThreshold.apply(self.enc(x), self.thresh)
```

## Use instead
```python
        return grad_out * mask, -(grad_out * mask * torch.sign(x)).sum_to_size(thresh.shape)
```
(or pass `thresh` as a constant, outside the optimizer, if it is not meant to train).

## Fix safety
No automatic fix: the gradient of the input is the author's mathematics.
"""
