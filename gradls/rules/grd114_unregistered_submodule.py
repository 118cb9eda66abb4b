from __future__ import annotations

import ast

from .base import Rule, RuleContext
from ..analysis.walk import cached_walk


class UnregisteredSubmodule(Rule):
    code = "GRD114"
    name = "unregistered-submodule"
    summary = "Layers kept in a plain Python list or dict attribute of an `nn.Module` are never registered."
    keywords = ("Module",)
    doc = """
## What it finds
An `nn.Module` whose `__init__` stores layers that have parameters in a plain `list` or `dict`
attribute (`self.layers = []` then `self.layers.append(nn.Linear(...))`), and whose other
methods use that attribute.

## Why is this bad? What execution shows
`nn.Module` registers a submodule only when it is assigned to an attribute directly or kept
in `nn.ModuleList` / `nn.ModuleDict` / `nn.Sequential`. Layers in a plain container are
invisible to `model.parameters()`: the optimizer built from it does not hold their weights,
so the forward pass uses them but they never change (their `.grad` fills up, no step
applies it). `model.to(device)`, `state_dict()` and `model.eval()` skip them too.

Found by evaluating the script: the class must be instantiated in the file, or by a
training script of the project (reported in the class's file then), and the layers' types
must be known from how they were made.

## Example
```python
self.hidden = []
for _ in range(3):
    self.hidden.append(nn.Linear(64, 64))
```

## Use instead
```python
self.hidden = nn.ModuleList()
for _ in range(3):
    self.hidden.append(nn.Linear(64, 64))
```

## Fix safety
No automatic fix: a list of lists or tuples needs restructuring into `nn.ModuleList` /
`nn.Sequential` by hand.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords) and not (ctx.resolver is not None and ctx.resolver.checks_first(ctx.source.text)):
            return  # no module class here, and no training script whose setup builds one of another file
        seen: set = set()
        for event in ctx.world.events:
            if event.kind != "plain-module-container" or id(event.node) in seen:
                continue
            seen.add(id(event.node))
            attr, cls = event.detail["attr"], event.detail["class"]
            if not _used_outside_init(cls, attr):
                continue
            count = event.detail["modules"]
            layers = "a layer" if count == 1 else f"{count} layers"
            finding = ctx.world_finding(  # in the model's file when the script builds a class of another
                self, _target(event.node),
                f"`self.{attr}` is a plain {_kind(event.node)} holding {layers} with parameters: "
                f"they are not registered in `{cls.name}`, so `parameters()` and the optimizer never "
                f"see them and they never train; use `nn.ModuleList` / `nn.ModuleDict`",
            )
            if finding is not None:
                yield finding


def _target(node: ast.AST) -> ast.AST:
    if isinstance(node, ast.Assign):
        return node.targets[0]
    return node


def _kind(node: ast.AST) -> str:
    value = getattr(node, "value", None)
    return "dict" if isinstance(value, (ast.Dict, ast.DictComp)) else "list"


def _used_outside_init(cls: ast.ClassDef, attr: str) -> bool:
    for item in cls.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name != "__init__":
            for node in cached_walk(item):
                if (isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.value, ast.Name)
                        and node.value.id == "self"):
                    return True
    return False
