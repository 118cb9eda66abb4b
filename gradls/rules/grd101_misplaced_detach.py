from __future__ import annotations

import ast

from ..analysis.values import DETACH
from ..model import Span
from .cut_rule import CutRule, method_suffix_span
from ..analysis.walk import cached_walk


class MisplacedDetach(CutRule):
    code = "GRD101"
    name = "misplaced-detach"
    summary = "`.detach()` or `.data` on the path from trained parameters to the loss."
    break_kind = DETACH
    verb = "is detached"
    doc = """
## What it finds
A `.detach()`, `.detach_()` or `.data` whose result reaches `backward()` (or what a loss,
`forward` or `training_step` returns) while the parameters upstream of it reach that loss
through no other path.

A function of the file that cuts what it is given (`def features(net, x): return
net(x).detach()`), called with a frozen copy by one call and with a trained network by another,
is right for the first: the finding is at the call that gives it the trained one (the same for
`no_grad` and the other cuts).

## Why is this bad? What execution shows
Autograd stops at a detached tensor. When nothing else connects the loss to the parameters,
`loss.backward()` raises `element 0 of tensors does not require grad` (total cut). When only
part of the model is behind the detach, backward runs fine and the layers before it keep
`.grad is None` forever: the model trains, but only its tail (partial cut, silent).
Running `h = model[0](x).detach(); loss = crit(model[1:](h), y); loss.backward()` leaves
`model[0].weight.grad is None`.

Not flagged: a detach whose result only feeds logging or metrics, a target network, an
EMA/teacher, a GAN discriminator step (the generator trains from its own loss), truncated
BPTT (`h = h.detach()`), or one branch of a stop-gradient loss (SimSiam/BYOL) while the
same parameters still get gradient through the other branch, and a function that calls
backward itself and returns its loss detached (or `.item()`) as a report.

In a model file without training code, a detach in a module's `forward` that cuts one of the
module's own layers from every output (a stop-gradient there is as often meant as not) is
reported only when a script of the project trains that layer through this forward: run to its
first backward, the script's setup has the layer's parameters requiring grad and held by an
optimizer (after its own freezing), and the backward is reached by the output of a call of the
module. A branch testing `isinstance(x, torch.Tensor)` goes the way `x`'s type decides when it
is known: made as a tensor (or a list), passed before to a layer that only accepts a tensor
(`nn.Embedding`, `nn.Linear`), or passed so by the call.

A forward hook counts as part of the call that runs it: an object of a plain class whose
`__init__` registers one of its methods on the layer it is given
(`layer.register_forward_hook(self.keep)`) and whose method stores `output.detach()` in an
attribute makes that attribute, after a call of the model holding the layer, a detached copy
of the layer's output; a loss computed from it alone is reported at the detach in the hook.

## Example
```python
feats = encoder(x).detach()
loss = criterion(head(feats), y)
loss.backward()          # encoder.weight.grad stays None
```

## Use instead
```python
feats = encoder(x)
loss = criterion(head(feats), y)
```

## Fix safety
Removing the `.detach()` is safe when nothing reaches the loss otherwise (the code cannot
have meant it); it is unsafe for a partial cut, where the detach may be a deliberate
stop-gradient: review it.
"""

    def fix(self, ctx, report):
        node = report.brk.node
        applicability = "safe" if report.total else "unsafe"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "detach_" \
                and not node.args and not node.keywords:
            whole = self._detach_statement_fix(ctx, node, applicability)
            if whole is not None:
                return whole
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("detach", "detach_") \
                and not node.args and not node.keywords:
            span = method_suffix_span(ctx, node)
        elif isinstance(node, ast.Attribute) and node.attr == "data":
            span = ctx.source.span_between(node.value, node)
        else:
            return None
        text = ctx.source.segment(span)
        return ctx.deletion(span, f"Remove `{text.strip()}`", applicability)

    def _detach_statement_fix(self, ctx, call, applicability):
        """`h.detach_()` alone on its line: remove the line (`pass` when it is the block's only statement)."""
        if call.lineno != call.end_lineno or not ctx.is_whole_statement(call):
            return None
        for parent in cached_walk(ctx.tree):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(parent, field, None)
                if not isinstance(block, list):
                    continue
                for stmt in block:
                    if isinstance(stmt, ast.Expr) and stmt.value is call:
                        text = ctx.source.segment(ctx.span(call))
                        if len(block) == 1:
                            return ctx.replacement(ctx.span(call), "pass", f"Replace `{text}` with `pass`",
                                                   applicability)
                        line = call.lineno
                        return ctx.deletion(Span(line, 1, line + 1, 1), f"Remove `{text}`", applicability)
        return None
