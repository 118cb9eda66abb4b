from __future__ import annotations

from ..analysis.interpreter import NONSCALAR_TAG, SCALAR_TAG
from .base import Rule, RuleContext, carries_gradient


class NonScalarBackward(Rule):
    code = "GRD113"
    name = "backward-on-non-scalar"
    summary = "`.backward()` without a `gradient` argument on a tensor that is not a scalar."
    default_severity = "error"
    doc = """
## What it finds
`y.backward()` (or `torch.autograd.grad(y, ...)` without `grad_outputs`) where `y` is
known to hold more than one element (a model output for a batch built with literal sizes,
an elementwise expression of one) and was never reduced to a scalar by `mean()`, `sum()`
or a loss. Shapes that are not literal in the code (batches from a loader) are not guessed:
a batch of one, where backward works, is not flagged.

## Why is this bad? What execution shows
`RuntimeError: grad can be implicitly created only for scalar outputs`. (If the tensor
happens to hold exactly one element, backward runs; a batch of one hides the bug until the
batch grows.)

## Example
```python
out = model(x)
out.backward()
```

## Use instead
```python
out = model(x)
out.sum().backward()      # or out.backward(torch.ones_like(out)), or a real loss
```

## Fix safety
No automatic fix: which reduction is meant is the author's choice.
"""

    def check(self, ctx: RuleContext):
        seen = set()
        for scope in ctx.analysis.scopes:
            for sink in scope.sinks:
                if sink.kind != "backward" or sink.has_gradient_arg:
                    continue
                tags = sink.flow.tags
                if NONSCALAR_TAG not in tags or SCALAR_TAG in tags or not carries_gradient(sink.flow):
                    continue
                if id(sink.node) in seen:
                    continue
                seen.add(id(sink.node))
                yield ctx.finding(
                    self, ctx.span(sink.node),
                    f"{sink.description} on a tensor that is not reduced to a scalar: backward raises "
                    "\"grad can be implicitly created only for scalar outputs\"; reduce it or pass `gradient=`",
                )
