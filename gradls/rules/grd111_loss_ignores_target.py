from __future__ import annotations

import ast

from .base import Rule, RuleContext

TARGET_NAMES = {"target", "targets", "label", "labels", "y", "y_true", "gt", "ground_truth",
                "truth", "tgt", "true", "y_target", "target_labels", "gt_labels"}
from ..analysis.program import is_loss_name
from ..analysis.walk import cached_walk


class LossIgnoresTarget(Rule):
    code = "GRD111"
    name = "loss-ignores-target"
    summary = "A loss function that never reads its target/labels argument."
    doc = """
## What it finds
A function or `forward` of a loss module whose name says it is a loss, with a parameter
named like the target (`target`, `labels`, `y`, `y_true`, `gt`...) that the body never reads.

## Why is this bad? What execution shows
Backward works and every parameter gets gradient, so nothing looks wrong, but the gradient
points away from nothing in particular: the model minimises a function of its own output
(e.g. `pred.mean()`), the loss falls without bound and accuracy stays at chance. Running it
with two different targets gives the identical loss.

Not flagged: abstract methods, bodies that only raise `NotImplementedError`, parameters
named with a leading underscore.

Also a distance loss that compares a value with itself: `F.mse_loss(pred, pred.detach())`,
`criterion(out, out.clone())` with `criterion = nn.L1Loss()`. The two sides are equal, so the
loss is 0 and its gradient is exactly zero: every parameter gets an all-zero gradient and
nothing learns (the target was meant for the second argument).

## Example
```python
def mse_loss(pred, target):
    return (pred ** 2).mean()
```

## Use instead
```python
def mse_loss(pred, target):
    return ((pred - target) ** 2).mean()
```

## Fix safety
No automatic fix: only the author knows how the target should enter the loss.
"""

    def check(self, ctx: RuleContext):
        yield from self._self_comparisons(ctx)
        for node, is_loss_class in _loss_functions(ctx):
            if _is_stub(node) or _is_abstract(node) or _says_unsupervised(node.name):
                continue
            params = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
            if is_loss_class or node.args.args and node.args.args[0].arg == "self":
                params = params[1:]
            if len(params) < 2:
                continue
            used = {n.id for n in cached_walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            optional = _optional_parameters(node)
            for name in params[1:]:
                if name.lower() in TARGET_NAMES and name not in used and name not in optional:
                    line = ctx.source.line_text(node.lineno)
                    col = line.find(node.name)
                    from ..model import Span

                    span = Span(node.lineno, col + 1, node.lineno, col + 1 + len(node.name)) if col >= 0 else ctx.span(node)
                    yield ctx.finding(
                        self, span,
                        f"`{node.name}` never reads `{name}`: the loss does not depend on the target, so "
                        "training minimises the model's own output instead of fitting the labels",
                    )
                    break


    def _self_comparisons(self, ctx: RuleContext):
        if "loss" not in ctx.source.text.lower():
            return
        imports = ctx.analysis.imports
        instances = _distance_loss_instances(ctx)
        for node in cached_walk(ctx.tree):
            if not (isinstance(node, ast.Call) and len(node.args) >= 2):
                continue
            name = imports.qualify(node.func) or ""
            if not (name in _DISTANCE_FUNCTIONS or isinstance(node.func, ast.Name) and node.func.id in instances):
                continue
            first, second = node.args[0], node.args[1]
            if ast.unparse(_without_copies(first)) != ast.unparse(_without_copies(second)):
                continue
            yield ctx.finding(
                self, ctx.span(node),
                f"`{ast.unparse(node)[:60]}` compares `{ast.unparse(_without_copies(first))[:40]}` with itself: the "
                "loss is 0 and its gradient is exactly zero, so nothing learns; the target never enters it",
            )


# distance losses whose value and gradient are 0 when both sides are equal
_DISTANCE_FUNCTIONS = {f"torch.nn.functional.{n}" for n in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss")}
_DISTANCE_CLASSES = {f"torch.nn.{n}" for n in ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss")}


def _distance_loss_instances(ctx) -> set:
    """Names bound once at top level to `nn.MSELoss()`-like objects."""
    bound: dict = {}
    for node in ctx.tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(node.value)
    return {name for name, values in bound.items() if len(values) == 1 and isinstance(values[0], ast.Call)
            and (ctx.analysis.imports.qualify(values[0].func) or "") in _DISTANCE_CLASSES}


def _without_copies(node: ast.AST) -> ast.AST:
    """`x.detach()`, `x.data`, `x.clone()`, `x.detach().clone()` -> `x`."""
    while True:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args \
                and node.func.attr in ("detach", "clone"):
            node = node.func.value
        elif isinstance(node, ast.Attribute) and node.attr == "data":
            node = node.value
        else:
            return node


def _loss_functions(ctx):
    for node in ctx.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _loss_name(node.name):
            yield node, False
        elif isinstance(node, ast.ClassDef) and _defines_its_own_interface(ctx, node):
            class_is_loss = "loss" in node.name.lower()
            for item in node.body:
                if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                if class_is_loss and item.name in ("forward", "__call__"):
                    yield item, True
                elif _loss_name(item.name):
                    yield item, False


def _loss_name(name: str) -> bool:
    return is_loss_name(name)


def _is_stub(node) -> bool:
    body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body:
        return True
    return all(isinstance(s, (ast.Pass, ast.Raise)) or
               (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in body)


def _is_abstract(node) -> bool:
    return any("abstract" in ast.unparse(d) or "overload" in ast.unparse(d) for d in node.decorator_list)


def _defines_its_own_interface(ctx, node: ast.ClassDef) -> bool:
    """Methods of a class deriving from a project base class implement that base's signature:
    an unused `labels` there is the interface's, not a bug."""
    for base in node.bases:
        name = ctx.analysis.imports.qualify(base) or ast.unparse(base)
        if not (name.startswith("torch.nn.") or name in ("object", "nn.Module", "Module")):
            return False
    return True


def _optional_parameters(node) -> set[str]:
    """Parameters with a default value: a loss that accepts `labels=None` works without them."""
    args = node.args
    positional = args.posonlyargs + args.args
    with_defaults = positional[len(positional) - len(args.defaults):] if args.defaults else []
    names = {a.arg for a in with_defaults}
    names |= {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None}
    return names


def _says_unsupervised(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in ("without_label", "no_label", "unsupervised", "unlabeled", "unlabelled"))
