from __future__ import annotations

import ast

from .base import Rule, RuleContext
from ..analysis.walk import cached_walk

# Initializers whose purpose is a trainable weight's starting point (a fixed random feature
# map is drawn with torch.randn or nn.init.normal_/uniform_, which are left alone).
WEIGHT_INITIALIZERS = {
    "torch.nn.init.xavier_uniform_", "torch.nn.init.xavier_normal_", "torch.nn.init.kaiming_uniform_",
    "torch.nn.init.kaiming_normal_", "torch.nn.init.orthogonal_", "torch.nn.init.trunc_normal_",
}
BUFFER_CONSTRUCTORS = {"torch.nn.Buffer", "torch.nn.parameter.Buffer"}


class BufferAsLearnedWeight(Rule):
    code = "GRD123"
    name = "buffer-as-learned-weight"
    summary = "A weight initialised like a trainable one is registered as a buffer: it gets no gradient and never trains."
    keywords = ("register_buffer", "Buffer(")
    doc = """
## What it finds
In an `nn.Module` that has parameters, a tensor registered as a buffer
(`self.register_buffer("w", ...)` or `self.w = nn.Buffer(...)`) whose value comes from a
weight initialiser (`nn.init.xavier_uniform_`, `xavier_normal_`, `kaiming_*`,
`orthogonal_`, `trunc_normal_`), that the module's `forward` reads and that no statement
of the class ever writes again (no EMA update, no `copy_`, no assignment).

## Why is this bad? What execution shows
A buffer is state, not a parameter: `model.parameters()` does not yield it, so no optimizer
holds it, and it does not require grad, so backward never fills a gradient for it. It keeps
its random initial value for the whole training while the layers around it train (the
slot-attention `slots_mu`/`slots_log_sigma` report). Execution shows `grad None` for it
after every backward.

Not flagged: buffers the module updates itself (running statistics, EMA codebooks), a
module without parameters (a fixed random projection, a quantiser), values drawn with
`torch.randn`/`nn.init.normal_` (fixed random features), buffers `forward` never reads.

## Example
```python
self.register_buffer("slots_mu", nn.init.xavier_uniform_(torch.zeros(1, 1, dim)))
```

## Use instead
```python
self.slots_mu = nn.Parameter(nn.init.xavier_uniform_(torch.zeros(1, 1, dim)))
```

## Fix safety
Unsafe: `self.register_buffer("w", value)` becomes `self.w = nn.Parameter(value)` (the same
`state_dict` key; checkpoints saved before still load). It makes the tensor train, which is
only right if it was meant to; `nn.Buffer(...)` assignments are left to the user.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords):
            return
        analysis = ctx.analysis
        for info in analysis.classes.values():
            if not info.is_module or not (info.params or info.modules):
                continue
            forward = info.methods.get("forward")
            init = info.methods.get("__init__")
            if forward is None or init is None:
                continue
            read = _self_reads(forward.node)
            writes = _self_writes(info)
            for name, call in _initialised_buffers(ctx, init.node):
                if name in read and writes.get(name, 0) <= 1:
                    yield ctx.finding(
                        self, ctx.span(call),
                        f"`{name}` is initialised like a trainable weight but registered as a buffer: "
                        "no optimizer holds it and it gets no gradient, so it keeps its random initial "
                        f"value; make it `nn.Parameter(...)` if it should be learned",
                        fix=_parameter_fix(ctx, call, name),
                    )


def _initialised_buffers(ctx, init: ast.FunctionDef):
    """(name, registration call) for buffers whose value is a weight initialiser's result."""
    qualify = ctx.analysis.imports.qualify
    initialised: set = set()  # local names an initialiser filled
    for node in cached_walk(init):
        if isinstance(node, ast.Call) and qualify(node.func) in WEIGHT_INITIALIZERS and node.args \
                and isinstance(node.args[0], ast.Name):
            initialised.add(node.args[0].id)

    def from_initialiser(value: ast.AST) -> bool:
        if isinstance(value, ast.Call) and qualify(value.func) in WEIGHT_INITIALIZERS:
            return True
        return isinstance(value, ast.Name) and value.id in initialised

    for node in cached_walk(init):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr == "register_buffer" and len(node.args) >= 2
                and isinstance(func.value, ast.Name) and func.value.id == "self"
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and from_initialiser(node.args[1])):
            yield node.args[0].value, node
    for node in cached_walk(init):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call)
                and qualify(node.value.func) in BUFFER_CONSTRUCTORS and node.value.args
                and from_initialiser(node.value.args[0])):
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                yield target.attr, node.value


def _self_reads(function: ast.AST) -> set:
    return {n.attr for n in cached_walk(function) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)
            and isinstance(n.value, ast.Name) and n.value.id == "self"}


def _self_writes(info) -> dict:
    """How often each `self.<name>` is written in the class: assigned, updated in place
    (`self.w.mul_(...)`, `self.w[i] = ...`, `self.w.data = ...`) or registered."""
    counts: dict = {}

    def note(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    for method in info.methods.values():
        for node in cached_walk(method.node):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in targets:
                base = target
                while isinstance(base, (ast.Subscript, ast.Attribute)) and not _is_self_attribute(base):
                    base = base.value
                if _is_self_attribute(base):
                    note(base.attr)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = node.func.value
                if _is_self_attribute(receiver) and node.func.attr.endswith("_") and not node.func.attr.startswith("_"):
                    note(receiver.attr)  # an in-place update of the buffer
                if node.func.attr == "register_buffer" and node.args and isinstance(node.args[0], ast.Constant):
                    note(str(node.args[0].value))
    return counts


def _is_self_attribute(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _parameter_fix(ctx, call: ast.Call, name: str):
    """`self.register_buffer("w", value)` as a whole statement -> `self.w = nn.Parameter(value)`."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "register_buffer") or len(call.args) != 2 \
            or call.keywords or not ctx.is_whole_statement(call) or not name.isidentifier():
        return None
    parameter = _parameter_constructor(ctx)
    if parameter is None:
        return None
    value = ctx.source.segment(ctx.span(call.args[1]))
    return ctx.replacement(ctx.span(call), f"self.{name} = {parameter}({value})",
                           "Register it as a parameter", "unsafe")


def _parameter_constructor(ctx) -> str | None:
    """How this file can spell torch.nn.Parameter with its own imports."""
    for spelling in ("nn.Parameter", "torch.nn.Parameter", "Parameter"):
        node = ast.parse(spelling, mode="eval").body
        if ctx.analysis.imports.qualify(node) in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            return spelling
    return None
