from __future__ import annotations

import ast

from ..analysis import names as N
from .base import Rule, RuleContext
from ..analysis.walk import cached_walk, parameter_names

_SOFTMAX = {"torch.softmax", "torch.log_softmax", "torch.nn.functional.softmax", "torch.nn.functional.log_softmax",
            "torch.special.softmax", "torch.special.log_softmax"}
_SOFTMAX_METHODS = {"softmax", "log_softmax"}
_ONE_OUTPUT = {"Linear": ("out_features", 1), "LazyLinear": ("out_features", 0),
               "Conv1d": ("out_channels", 1), "Conv2d": ("out_channels", 1), "Conv3d": ("out_channels", 1)}


class SoftmaxOverOneUnit(Rule):
    code = "GRD120"
    name = "softmax-over-one-unit"
    summary = "Softmax over a dimension of size 1 is constantly 1: no gradient reaches the layers before it."
    default_severity = "error"
    keywords = ("softmax", "cross_entropy", "CrossEntropyLoss")
    doc = """
## What it finds
In a module's `forward`, `softmax` / `log_softmax` over dimension 1 (or -1 for a `Linear`) of
the output of a layer that has exactly one output unit: `nn.Linear(n, 1)`, `nn.Conv2d(c, 1, k)`
(the sizes read from `__init__`).

## Why is this bad? What execution shows
The softmax of a single value is exactly 1 (its log is exactly 0) whatever the input, so the
model's output is constant and every gradient through it is zero: the loss never changes and
no layer learns. A binary classifier with one logit needs `torch.sigmoid` (or
`BCEWithLogitsLoss`); a softmax needs one logit per class.

## Example
```python
self.out = nn.Linear(64, 1)
...
return torch.softmax(self.out(x), dim=1)
```

## Use instead
```python
return torch.sigmoid(self.out(x))
```

Also `F.cross_entropy(model(x), y)` (or an `nn.CrossEntropyLoss()` bound at top level) where
`model` is a top-level `nn.Linear(n, 1)` or an `nn.Sequential` ending in one: cross-entropy
takes the log-softmax over that single logit, which is 0, so the loss is 0 and no weight
changes.

## Fix safety
No automatic fix: the loss must change with the output (sigmoid probabilities, or two logits).
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords):
            return
        yield from self._cross_entropy_over_one_logit(ctx)
        for info in ctx.analysis.classes.values():
            forward = info.methods.get("forward")
            init = info.methods.get("__init__")
            if not info.is_module or forward is None or init is None:
                continue
            single = _single_output_layers(ctx, init.node)
            if not single:
                continue
            yield from self._forward(ctx, forward.node, single)

    def _forward(self, ctx, forward: ast.FunctionDef, single: dict):
        bound: dict[str, str] = {}   # local name -> the layer whose single output it holds
        for node in cached_walk(forward):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                layer = _layer_output(node.value, single, bound)
                if layer is not None:
                    bound[node.targets[0].id] = layer
                else:
                    bound.pop(node.targets[0].id, None)
            if not isinstance(node, ast.Call):
                continue
            found = _softmax_input(ctx, node)
            if found is None:
                continue
            operand, dim = found
            layer = _layer_output(operand, single, bound)
            if layer is None or dim not in _dims(single[layer]):
                continue
            yield ctx.finding(
                self, ctx.span(node),
                f"`self.{layer}` has a single output unit, so this softmax over it is constantly 1 (its log 0): "
                "the output does not depend on the input and every gradient through it is zero; use "
                "`torch.sigmoid` for one logit, or one logit per class",
            )


    def _cross_entropy_over_one_logit(self, ctx: RuleContext):
        imports = ctx.analysis.imports
        top = _assigned_once(ctx.tree.body)
        models = {name for name, value in top.items() if _one_logit_model(imports, value)}
        losses = {name for name, value in top.items()
                  if (imports.qualify(value.func) or "") in ("torch.nn.CrossEntropyLoss",)}
        if not models:
            return
        scopes = [(ctx.tree.body, set())] + [
            (n.body, parameter_names(n))
            for n in cached_walk(ctx.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for body, params in scopes:
            local = _assigned_once(body)
            local.update({p: None for p in params})  # a parameter shadows the top-level name
            for stmt in body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                for node in cached_walk(stmt):
                    if not (isinstance(node, ast.Call) and node.args):
                        continue
                    name = imports.qualify(node.func) or ""
                    if name != "torch.nn.functional.cross_entropy" and not (
                            isinstance(node.func, ast.Name) and node.func.id in losses and local.get(node.func.id, top[node.func.id]) is top[node.func.id]):
                        continue
                    logits = node.args[0]
                    if isinstance(logits, ast.Name) and logits.id in local:
                        logits = local[logits.id]
                    if (isinstance(logits, ast.Call) and isinstance(logits.func, ast.Name)
                            and logits.func.id in models and local.get(logits.func.id, top[logits.func.id]) is top[logits.func.id]):
                        yield ctx.finding(
                            self, ctx.span(node),
                            f"`{logits.func.id}` has a single output unit, so cross-entropy over it (a log-softmax "
                            "over one logit) is constantly 0: every gradient is zero and nothing learns; use "
                            "`BCEWithLogitsLoss` for one logit, or one logit per class",
                        )


def _assigned_once(body: list) -> dict:
    """name -> the call it is bound to, for names bound exactly once (to a call) in `body`'s own
    statements (nested functions and classes left out)."""
    from ..analysis.walk import statements

    bound: dict = {}
    for node in statements(body, into_definitions=False):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)) else []
        for target in targets:
            for name in cached_walk(target):
                if isinstance(name, ast.Name):
                    bound.setdefault(name.id, []).append(node.value if isinstance(node, ast.Assign) and target is name else None)
    return {name: values[0] for name, values in bound.items() if len(values) == 1 and isinstance(values[0], ast.Call)}


def _one_logit_model(imports, call: ast.Call) -> bool:
    """`nn.Linear(n, 1)`, or an `nn.Sequential(...)` whose last layer is one."""
    name = imports.qualify(call.func) or ""
    if name == "torch.nn.Sequential" and call.args and isinstance(call.args[-1], ast.Call):
        return _one_logit_model(imports, call.args[-1])
    if name != "torch.nn.Linear":
        return False
    size = next((kw.value for kw in call.keywords if kw.arg == "out_features"), None)
    if size is None and len(call.args) > 1:
        size = call.args[1]
    return isinstance(size, ast.Constant) and size.value == 1 and not isinstance(size.value, bool)


def _single_output_layers(ctx: RuleContext, init: ast.FunctionDef) -> dict[str, str]:
    """`self.out = nn.Linear(64, 1)` -> {"out": "Linear"}."""
    found = {}
    for node in cached_walk(init):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call)):
            continue
        target = node.targets[0]
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"):
            continue
        qualified = ctx.analysis.imports.qualify(node.value.func) or ""
        short = qualified.rsplit(".", 1)[-1]
        if not qualified.startswith("torch.nn.") or short not in _ONE_OUTPUT:
            continue
        keyword, position = _ONE_OUTPUT[short]
        size = next((kw.value for kw in node.value.keywords if kw.arg == keyword), None)
        if size is None and len(node.value.args) > position:
            size = node.value.args[position]
        if isinstance(size, ast.Constant) and size.value == 1 and not isinstance(size.value, bool):
            found[target.attr] = short
    return found


def _layer_output(expr: ast.AST, single: dict, bound: dict) -> str | None:
    if isinstance(expr, ast.Name):
        return bound.get(expr.id)
    if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and isinstance(expr.func.value, ast.Name)
            and expr.func.value.id == "self" and expr.func.attr in single):
        return expr.func.attr
    return None


def _softmax_input(ctx: RuleContext, call: ast.Call):
    """(the tensor a softmax call normalises, its literal dim) or None."""
    dim = next((kw.value for kw in call.keywords if kw.arg == "dim"), None)
    if (ctx.analysis.imports.qualify(call.func) or "") in _SOFTMAX and call.args:
        operand = call.args[0]
        if dim is None and len(call.args) > 1:
            dim = call.args[1]
    elif isinstance(call.func, ast.Attribute) and call.func.attr in _SOFTMAX_METHODS:
        operand = call.func.value
        if dim is None and call.args:
            dim = call.args[0]
    else:
        return None
    if isinstance(dim, ast.UnaryOp) and isinstance(dim.op, ast.USub) and isinstance(dim.operand, ast.Constant):
        return operand, -dim.operand.value
    if isinstance(dim, ast.Constant) and isinstance(dim.value, int):
        return operand, dim.value
    return None


def _dims(kind: str) -> set:
    return {1, -1} if kind in ("Linear", "LazyLinear") else {1}
