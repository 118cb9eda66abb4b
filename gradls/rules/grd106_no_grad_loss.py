from __future__ import annotations

import ast

from ..analysis.cuts import trained_by_project
from ..analysis.names import NO_GRAD_CONTEXTS
from ..analysis.values import NO_GRAD, Origin
from .cut_rule import CutRule
from ..analysis.walk import cached_walk


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
(also in the caller, when a function ends with it; in a training function or method the caller
runs next, as a validation method that never turns it back on leaves it, unless that function is
decorated with `@torch.enable_grad()`; and in the next pass
of a loop whose body ends with grad off), and is reported where it stands; a
mode the checker cannot read (`set_grad_enabled(flag)`) is not assumed off, except
`set_grad_enabled(self.training)` in a module the code put in `eval()` (or `train(False)`)
before calling it, directly or as a layer of an `nn.Sequential`, which is off, and a flag
a training function receives as a literal or leaves at its default (`run_epoch(model, data,
optimizer)` with `set_grad_enabled(learn)` and `learn=False`): reported at that call. A reentrant
`torch.utils.checkpoint.checkpoint(fn, *inputs)` (the default without `use_reentrant=False`)
whose inputs do not require grad runs `fn` without a graph as well.

In a model file without training code, a module's `forward` that runs one of its own
layers holding parameters under `no_grad`, with no other path from that layer to what
`forward` returns, is reported there: whoever trains the module, that layer gets no
gradient. Not when the class freezes the layer itself (`requires_grad_(False)` in
`__init__`) or another return of `forward` uses it with grad (a `freeze` switch).

A tensor made under `torch.inference_mode()` (a block or a decorated function) and then
fed, with grad on, to a layer whose parameters train (a Linear, a Conv, an `nn.Sequential`
starting with one) is reported where it is made: that layer must save it for backward.

## Why is this bad? What execution shows
Under these modes autograd records nothing: the output has no `grad_fn`. Backward on it
raises `element 0 of tensors does not require grad`; as one term of a larger loss, the
parameters behind it get no gradient from that term. An inference tensor that a training
layer has to save makes the forward itself raise `Inference tensors cannot be saved for
backward` (use `torch.no_grad()` for a frozen feature extractor, or `.clone()` the output).

Not flagged: evaluation loops, EMA/teacher updates, target-network targets (`with
torch.no_grad(): target = target_net(s2)`), pseudo-labels, anything that never reaches a
backward of the parameters it came from, and a function that returns what its own `no_grad`
block computed (an `evaluate_loss`, a sampling `forward`): it is flagged where a caller
backpropagates it.

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

    def check(self, ctx):
        yield from super().check(ctx)
        yield from self._inference_tensors_saved(ctx)

    def span_of(self, ctx, report):
        """From the `with torch.no_grad():` that disabled grad to the value it cut: the block's
        header is what to change, the value is what it cost."""
        span = super().span_of(ctx, report)
        node = report.brk.node
        header = _enclosing_no_grad_header(ctx, node) if node is not None else None
        if header is None:
            return span
        start = ctx.span(header)
        return type(span)(start.line, start.column, span.end_line, span.end_column)

    def _inference_tensors_saved(self, ctx):
        analysis = ctx.analysis
        trains_here = any(sink.kind == "backward" for scope in analysis.scopes for sink in scope.sinks)
        made = {}
        for scope in analysis.scopes:
            made.update(scope.inference_made)
        seen = set()
        for scope in analysis.scopes:
            for node, call, module, tag in scope.inference_saved:
                origin = made.get(tag)
                if origin is None or id(origin) in seen or _frozen(analysis, module) \
                        or not (trains_here or _trained_by_the_project(analysis, scope, module)):
                    continue
                seen.add(id(origin))
                layer = ast.unparse(call.func)
                yield ctx.finding(
                    self, ctx.span(origin),
                    f"`{_short(ast.unparse(origin))}` is made under `torch.inference_mode()`, and "
                    f"`{layer}` (line {call.lineno}) must save it for backward while its parameters "
                    "train: the forward raises \"Inference tensors cannot be saved for backward\" "
                    "(use `torch.no_grad()` here, or `.clone()` the result)",
                    "error",
                    None,
                    [ctx.related(call, f"`{layer}` keeps `{ast.unparse(node)}` for backward here")],
                )


def _enclosing_no_grad_header(ctx, node: ast.AST):
    """The context expression of the innermost `with` block around `node` that disables grad,
    else the `@torch.no_grad()` decorating the innermost function around it."""
    line = getattr(node, "lineno", None)
    if line is None:
        return None
    return _enclosing_no_grad_block(ctx, line) or _enclosing_no_grad_decorator(ctx, line)


def _enclosing_no_grad_decorator(ctx, line: int):
    found = None
    for function in cached_walk(ctx.tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or \
                not function.lineno <= line <= (function.end_lineno or line):
            continue
        for decorator in function.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if ctx.analysis.imports.qualify(target) in NO_GRAD_CONTEXTS - {"torch.enable_grad"} \
                    and (found is None or decorator.lineno > found.lineno):
                found = decorator
    return found


def _enclosing_no_grad_block(ctx, line: int):
    found = None
    for block in cached_walk(ctx.tree):
        if not isinstance(block, (ast.With, ast.AsyncWith)) or not block.body:
            continue
        if not (block.body[0].lineno <= line <= (block.end_lineno or line)):
            continue
        for item in block.items:
            target = item.context_expr.func if isinstance(item.context_expr, ast.Call) else item.context_expr
            if ctx.analysis.imports.qualify(target) in NO_GRAD_CONTEXTS - {"torch.enable_grad"}:
                if found is None or item.context_expr.lineno > found.lineno:
                    found = item.context_expr
    return found


def _trained_by_the_project(analysis, scope, module) -> bool:
    """A layer of a module class of this file (`self.decode_head`) that a training script of the
    project trains through an object of the class (a model file has no backward of its own)."""
    info = scope.class_info
    if info is None:
        return False
    trained = trained_by_project(analysis, info.name)
    return any(o.label.startswith("self.") and o.label[len("self."):].split(".")[0] in trained for o in module.live)


def _frozen(analysis, module) -> bool:
    return any(origin.is_within(Origin(label, "")) for origin in module.live for label in analysis.frozen_labels) \
        or any(analysis.frozen_by_construction(origin.label) for origin in module.live)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
