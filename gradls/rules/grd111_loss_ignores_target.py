from __future__ import annotations

import ast

from .base import Rule, RuleContext

TARGET_NAMES = {"target", "targets", "label", "labels", "y", "y_true", "gt", "ground_truth",
                "truth", "tgt", "true", "y_target", "target_labels", "gt_labels"}
from ..analysis.program import is_loss_name


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
        for node, is_loss_class in _loss_functions(ctx):
            if _is_stub(node) or _is_abstract(node) or _says_unsupervised(node.name):
                continue
            params = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
            if is_loss_class or node.args.args and node.args.args[0].arg == "self":
                params = params[1:]
            if len(params) < 2:
                continue
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
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
