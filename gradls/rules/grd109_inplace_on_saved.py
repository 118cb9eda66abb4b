from __future__ import annotations

import ast

import os

from ..analysis.external import ForeignSink, SetupRootCause
from ..analysis.interpreter import Hazard, LocalHazard, breaks_backward
from .base import Rule, RuleContext

AUGMENTED = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "**=": "**", "@=": "@"}
METHOD_TO_OP = {"add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div", "pow_": "pow",
                "clamp_": "clamp", "neg_": "neg", "abs_": "abs", "exp_": "exp", "log_": "log",
                "sqrt_": "sqrt", "sigmoid_": "sigmoid", "tanh_": "tanh", "relu_": "relu",
                "masked_fill_": "masked_fill", "clip_": "clip", "addcmul_": "addcmul",
                "addcdiv_": "addcdiv", "lerp_": "lerp", "fill_": "fill", "index_fill_": "index_fill",
                "scatter_": "scatter", "scatter_add_": "scatter_add", "index_add_": "index_add"}


class InplaceOnSaved(Rule):
    code = "GRD109"
    name = "inplace-on-saved-tensor"
    summary = "In-place change of a tensor autograd saved for backward (output of sigmoid, exp, softmax; input of a layer, mm...)."
    default_severity = "error"
    doc = """
## What it finds
An in-place operation (`mul_`, `add_`, `+=`, `x[idx] = v`, ...) on a tensor that carries
gradient and that autograd saved for backward:
- the output of an operation whose backward reads its own output: `sigmoid`, `tanh`, `exp`,
  `softmax`, `log_softmax`, `relu`, `sqrt`, `norm`, `prod`... and the modules `nn.ReLU`,
  `nn.Sigmoid`, `nn.Tanh`, an `nn.Sequential` ending in one;
- an input kept by a later operation: `torch.mm(w, h)` and `h.matmul(w)` keep both operands,
  `log`, `clamp`, `abs` keep theirs, a layer with parameters (`nn.Linear`, `nn.Conv2d`) keeps
  its input for the weight's gradient, so `y = self.fc(h)` then `h += ...` breaks backward.

The change may be a call's doing: a layer built with `inplace=True` (`nn.ReLU(inplace=True)`,
reported at its construction, where `inplace=False` fixes it) or a function or module
overwriting the tensor it is given (`x += b`, `x.relu_()` on its parameter), called with a
tensor the caller saved: `shortcut = self.project(x)` then `self.blocks(x)`, whose first layer
(an `nn.Sequential` built with `add_module` or from a list counts) starts with an in-place ReLU.
Across files, a model's forward reached from a training script's backward (also through a
function it passes the model to, `train(model, ...)`) is reported in the model's file; a
module's forward that changes in place what its own layers saved is reported in its file
alone, whoever trains it (a module is built to be trained; under `no_grad` nothing is saved).

Which operators save what is generated from torch's own derivative table
(`scripts/gen_torch_vocab.py`).

## Why is this bad? What execution shows
Autograd keeps a reference to the saved output and checks its version counter at
backward: `RuntimeError: one of the variables needed for gradient computation has been
modified by an inplace operation`. Not flagged: in-place on a fresh `clone()`, on
tensors nobody saved (the output of a Linear layer, a sum), on a name rebound to a new
result since it was saved, after `backward()` freed the graph, or under `torch.no_grad()`.

## Example
```python
probs = torch.sigmoid(logits)
probs.mul_(mask)
loss = probs.sum()
```

## Use instead
```python
probs = torch.sigmoid(logits)
probs = probs.mul(mask)
```

## Fix safety
The out-of-place form computes the same values and rebinds the name: safe. Aliases of
the old tensor (other names, views) keep the old values, as autograd needs.
"""

    def check(self, ctx: RuleContext):
        if not any(scope.sinks for scope in ctx.analysis.scopes):
            return
        seen = set()
        for scope in ctx.analysis.scopes:
            for event in scope.inplace:
                if not breaks_backward(event):
                    continue
                key = (event.node.lineno, event.node.col_offset)
                if key in seen:
                    continue
                seen.add(key)
                target = ast.unparse(event.target)
                yield ctx.finding(
                    self, ctx.span(event.node),
                    f"`{target}` is saved by autograd for backward and modified in place by "
                    f"`{event.method}`: backward raises \"modified by an inplace operation\"",
                    fix=self._fix(ctx, event),
                )

        for scope in ctx.analysis.scopes:  # a call changing in place a saved tensor it was given
            for hazard, _, _ in scope.hazards:
                key = (hazard.node.lineno, hazard.node.col_offset) if isinstance(hazard, LocalHazard) else None
                if key is None or key in seen:
                    continue
                seen.add(key)
                target = ast.unparse(hazard.target)
                saver = "" if hazard.saved_by_callee else " (by the caller)"
                when = " (this function is called with a tensor that requires grad)" if hazard.saved_by_callee else ""
                yield ctx.finding(
                    self, ctx.span(hazard.node),
                    f"`{target}` is saved by autograd for backward{saver} and modified in place by "
                    f"`{hazard.method}`: backward raises \"modified by an inplace operation\"{when}")
        self._record_foreign(ctx)

    def _record_foreign(self, ctx) -> None:
        """In-place changes in other files (a model's forward) that this file's calls run with grad
        on and its backward goes through: reported there (`SetupRootCause`), with this call."""
        if ctx.resolver is None:
            return
        backward = [s for scope in ctx.analysis.scopes for s in scope.sinks if s.kind == "backward"]
        trainer = os.path.abspath(ctx.analysis.importer)
        seen = set()
        for scope in ctx.analysis.scopes:
            for hazard, call, called in scope.hazards:
                if not isinstance(hazard, Hazard) or hazard in seen or not _reaches(called, backward):
                    continue
                seen.add(hazard)
                sink = ForeignSink(trainer, _span_of(call), f"`{_short(ast.unparse(call))}` runs it with grad on")
                ctx.foreign.append(SetupRootCause(
                    hazard.path, self.code, hazard.span,
                    f"`{hazard.target}` is saved by autograd for backward and modified in place by "
                    f"`{hazard.method}`: backward raises \"modified by an inplace operation\" "
                    f"({os.path.basename(trainer)} line {call.lineno} backpropagates through it)",
                    (sink,), self.default_severity))

    def _fix(self, ctx, event):
        node = event.node
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            op = AUGMENTED.get(event.method)
            if op is None:
                return None
            value = ctx.source.segment(ctx.span(node.value))
            if isinstance(node.value, (ast.BinOp, ast.BoolOp, ast.IfExp, ast.Compare, ast.Lambda)):
                value = f"({value})"
            name = node.target.id
            return ctx.replacement(ctx.span(node), f"{name} = {name} {op} {value}",
                                   f"Replace `{name} {event.method}` with an out-of-place update")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.attr in METHOD_TO_OP \
                and ctx.is_whole_statement(node):
            name = node.func.value.id
            call = ctx.source.segment(ctx.span(node))
            new_call = call.replace(f".{node.func.attr}(", f".{METHOD_TO_OP[node.func.attr]}(", 1)
            return ctx.replacement(ctx.span(node), f"{name} = {new_call}",
                                   f"Replace `{name}.{node.func.attr}(...)` with `{name} = {name}.{METHOD_TO_OP[node.func.attr]}(...)`")
        return None


def _reaches(called, backward: list) -> bool:
    """A backward of this file goes through the call of `called` (a module: one of its origins
    reaches the backward's loss; a function: any backward)."""
    if not backward:
        return False
    if not called.live:
        return True
    return any(o.is_within(c) or c.is_within(o) for sink in backward for o in sink.flow.live for c in called.live)


def _span_of(node: ast.AST) -> tuple:
    return (node.lineno, node.col_offset + 1, node.end_lineno or node.lineno, (node.end_col_offset or 0) + 1)


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
