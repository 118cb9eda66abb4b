from __future__ import annotations

from .base import Rule, RuleContext


class IntegerParameter(Rule):
    code = "GRD119"
    name = "integer-parameter"
    summary = "`nn.Parameter` of an integer or bool tensor: it cannot require grad, so building it raises."
    default_severity = "error"
    keywords = ("Parameter",)
    doc = """
## What it finds
`nn.Parameter(t)` (which requires grad by default) where `t` is a tensor whose dtype is an
integer or bool type, known from how it was made: `torch.tensor([[1, 0, 1]])` of integer
literals, `torch.randint(...)`, `torch.arange(n)`, any factory with `dtype=torch.long`.

## Why is this bad? What execution shows
Only floating point and complex tensors can require gradients. Creating the parameter raises
`RuntimeError: Only Tensors of floating point and complex dtype can require gradients`, so
the model cannot even be built. A mask or an index table is not something to learn: register
it as a buffer; a learned mask must be a float tensor.

## Example
```python
self.mask = nn.Parameter(torch.tensor([[1, 0, 1]]))
```

## Use instead
```python
self.register_buffer("mask", torch.tensor([[1, 0, 1]]))        # a fixed mask
self.mask = nn.Parameter(torch.tensor([[1.0, 0.0, 1.0]]))        # a learned one
```

## Fix safety
No automatic fix: whether the tensor should be learned decides between the two.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords):
            return
        seen: set = set()
        for event in ctx.world.events:
            if event.kind != "integer-parameter" or id(event.detail["call"]) in seen:
                continue
            seen.add(id(event.detail["call"]))
            finding = ctx.world_finding(  # a class of another file: reported there
                self, event.detail["call"],
                "this `nn.Parameter` wraps an integer tensor, which cannot require grad: creating it raises "
                "\"Only Tensors of floating point and complex dtype can require gradients\"; use a buffer "
                "for a fixed mask or a float tensor for a learned one",
            )
            if finding is not None:
                yield finding
