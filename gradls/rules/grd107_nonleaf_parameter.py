from __future__ import annotations

import ast

from ..analysis.walk import statements
from .base import Rule, RuleContext

MOVES = {"to", "cuda", "double", "half", "bfloat16", "float", "type", "long", "int"}
DTYPE_OF = {"double": "torch.float64", "half": "torch.float16", "bfloat16": "torch.bfloat16"}


class NonLeafParameter(Rule):
    code = "GRD107"
    name = "non-leaf-parameter"
    summary = "`torch.randn(..., requires_grad=True).to(device)` makes the \"parameter\" a non-leaf."
    keywords = ("requires_grad", "Parameter")
    doc = """
## What it finds
A tensor created with `requires_grad=True` (or an `nn.Parameter`) and then, in the same
expression, moved or converted (`.to(device)`, `.cuda()`, `.double()`, `.half()`) or
computed with (`* 0.01`), with the result kept as the thing to train.

## Why is this bad? What execution shows
The leaf that requires grad is the temporary on the left; the name on the left of `=`
holds the result of the move, a non-leaf. After `loss.backward()` its `.grad` stays `None`
(PyTorch warns about reading `.grad` of a non-leaf), and an optimizer over it either refuses
it ("can't optimize a non-leaf Tensor") or updates nothing. On a CPU-only machine
`.to("cpu")` returns the same leaf, so the bug hides until the code meets a GPU; a dtype
change (`.double()`) shows it everywhere.

## Example
```python
w = torch.randn(3, requires_grad=True).to(device)
```

## Use instead
```python
w = torch.randn(3, device=device, requires_grad=True)
```

## Fix safety
Moving the device or dtype into the factory call gives the same values on the same device
as a leaf: safe. Arithmetic (`* 0.01`) has no automatic fix; use
`(torch.randn(3) * 0.01).requires_grad_()`.
"""

    def check(self, ctx: RuleContext):
        if "requires_grad" not in ctx.source.text and "Parameter" not in ctx.source.text:
            return
        for node in statements(ctx.tree.body):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                factory, outer = self._nonleaf(ctx, node.value)
                if factory is not None:
                    yield ctx.finding(
                        self, ctx.span(node.value),
                        f"`{_target_text(node)}` is not a leaf: the tensor that requires grad is the one "
                        f"before `{_op_text(outer)}`; after backward `{_target_text(node)}.grad` is None "
                        "and an optimizer over it trains nothing",
                        fix=self._fix(ctx, factory, outer, node.value),
                    )

    def _nonleaf(self, ctx, value):
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in MOVES:
            inner = value.func.value
            if self._is_grad_leaf(ctx, inner) and self._really_converts(ctx, inner, value):
                return inner, value
        if isinstance(value, ast.BinOp):
            for side in (value.left, value.right):
                if self._is_grad_leaf(ctx, side):
                    return side, value
        return None, None

    def _is_grad_leaf(self, ctx, node) -> bool:
        if not isinstance(node, ast.Call):
            return False
        name = ctx.analysis.imports.qualify(node.func) or ""
        if name in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            return True
        return name.startswith("torch.") and any(
            kw.arg == "requires_grad" and isinstance(kw.value, ast.Constant) and kw.value.value is True
            for kw in node.keywords)

    def _really_converts(self, ctx, inner: ast.Call, outer: ast.Call) -> bool:
        """False when the move is a no-op that returns the leaf itself (same dtype, or the CPU)."""
        method = outer.func.attr
        created = _dtype_of(ctx, inner)
        if method == "float":
            return created is not None and created != "torch.float32"
        if method != "to":
            return True
        targets = list(outer.args) + [kw.value for kw in outer.keywords if kw.arg in ("device", "dtype")]
        return bool(targets) and not all(
            (isinstance(t, ast.Constant) and t.value == "cpu") or _canonical_dtype(ctx.analysis.imports.qualify(t)) == created
            for t in targets)

    def _fix(self, ctx, factory: ast.Call, outer, value):
        if not isinstance(outer, ast.Call) or (ctx.analysis.imports.qualify(factory.func) or "").startswith("torch.nn."):
            return None
        method = outer.func.attr
        existing = {kw.arg for kw in factory.keywords}
        if method == "cuda" and not outer.args:
            extra = 'device="cuda"'
        elif method in DTYPE_OF:
            extra = f"dtype={DTYPE_OF[method]}"
        elif method == "to" and len(outer.args) == 1 and not outer.keywords:
            arg = outer.args[0]
            dtype = ctx.analysis.imports.qualify(arg) or ""
            key = "dtype" if dtype.startswith("torch.") and not dtype.startswith("torch.device") else "device"
            extra = f"{key}={ctx.source.segment(ctx.span(arg))}"
        else:
            return None
        if extra.split("=")[0] in existing:
            return None
        factory_text = ctx.source.segment(ctx.span(factory))
        cut = factory_text.rstrip()[:-1].rstrip()
        requires = factory_text.rfind("requires_grad")
        if requires > 0:
            text = factory_text[:requires] + extra + ", " + factory_text[requires:]
        else:
            text = cut + (", " if not cut.endswith("(") else "") + extra + ")"
        return ctx.replacement(ctx.span(value), text, f"Create the tensor with `{extra}` so it stays a leaf")


FLOAT_FACTORIES = {"randn", "rand", "zeros", "ones", "empty", "full", "randn_like", "rand_like",
                   "zeros_like", "ones_like", "linspace", "normal"}
DTYPE_ALIASES = {"torch.float": "torch.float32", "torch.double": "torch.float64", "torch.half": "torch.float16"}


def _canonical_dtype(name: str | None) -> str | None:
    return DTYPE_ALIASES.get(name, name) if name else None


def _dtype_of(ctx, factory: ast.Call) -> str | None:
    """The dtype a factory creates: its `dtype=`, float32 for the float factories, else unknown."""
    dtype = next((kw.value for kw in factory.keywords if kw.arg == "dtype"), None)
    if dtype is not None:
        return _canonical_dtype(ctx.analysis.imports.qualify(dtype))
    name = ctx.analysis.imports.qualify(factory.func) or ""
    return "torch.float32" if name.rsplit(".", 1)[-1] in FLOAT_FACTORIES else None


def _target_text(node) -> str:
    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
    return ast.unparse(target)


def _op_text(node) -> str:
    if isinstance(node, ast.Call):
        return f".{node.func.attr}()"
    return "the arithmetic"
