from __future__ import annotations

import ast

from ..analysis.objects import ModuleObj, given_a_frozen_copy
from .base import Rule, RuleContext


class OptimizerTrainsNothing(Rule):
    code = "GRD118"
    name = "optimizer-trains-nothing"
    summary = "When `backward()` first runs, an optimizer holds no tensor that requires grad, or a freeze matched more than meant."
    default_severity = "error"
    keywords = ("optim",)
    doc = """
## What it finds
Evaluating the script's setup code up to its first `backward()`:
- an optimizer whose parameter list came out empty: a `filter(lambda p: p.requires_grad, ...)`
  after every parameter was frozen, or a `model.parameters()` generator that an earlier
  statement already used up (`tuple(params)`, a loop);
- an optimizer all of whose tensors have `requires_grad=False` when `backward()` runs (a freeze
  loop whose condition matched every name, or a `set_requires_grad(net)` helper whose flag
  defaults to False: reported at that call, which decided the flag);
- an optimizer built over the parameters of a module that has none, only buffers
  (`self.register_buffer("centers", torch.randn(k, d))` where a learned table was meant):
  reported at the buffer's registration, in the module's file;
- an optimizer a helper builds from parameters it is handed (`build_optimizer(ema_model.parameters(),
  cfg)`), when they are a deep copy's that is frozen while the module it copies requires grad
  (the copy was meant for an EMA or a target): reported where they are handed over;
- a layer replaced inside a function or method (`trainer.replace_head()`) after the optimizer
  over the model was built, so the new layer's parameters are in no optimizer;
- a parameter replaced inside a method after the optimizer was built (`self.proj.weight =
  self.embed.weight`, tying weights): the optimizer's old tensor is used by no module any more;
- a parameter frozen by a substring test on its name where a numbered pattern also matched a
  longer number: `"model.1" in "model.10.weight"`.

A replacement made by a method that the class's own `__init__` also calls (`self.reset_state()`
building `self.h0 = nn.Parameter(...)`) is reported at the replacement: calling the method again is
what it is for, making a new tensor there is what to change. Otherwise it is reported at the call.

## Why is this bad? What execution shows
An empty parameter list raises `ValueError: optimizer got an empty parameter list` when the
optimizer is built. An optimizer whose tensors are all frozen trains nothing: if nothing
else requires grad, `backward()` raises "element 0 of tensors does not require grad";
otherwise its `step()` never changes them. A substring freeze that also matches `model.10`,
`model.11` silently freezes layers the user meant to train (the detection head).

Only what the evaluation knows is judged: a model built by a library, a branch on data or
a freeze whose target is unknown leaves this rule quiet. Command-line options read as their
defaults (`argparse`), what `python script.py` runs with.

## Example
```python
for name, p in model.named_parameters():
    if "head" not in name:          # the model calls it `classifier`
        p.requires_grad = False
optimizer = torch.optim.Adam(model.parameters())
```

## Use instead
```python
for name, p in model.named_parameters():
    p.requires_grad = name.startswith("classifier.")
```

## Fix safety
No automatic fix: which parameters should train is the user's decision.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords):
            return
        world = ctx.world
        if world.snapshot is None:
            return
        reported: set = set()
        typo_nodes = [e for e in world.events if e.kind == "module-requires-grad-attr"]
        held = {id(p) for optimizer in world.snapshot.optimizers for p in optimizer.params}
        replaced = [(e, "the old layer and never the new one, so the new parameters never train; build the "
                        "optimizer after the replacement")
                    for e in world.events if e.kind == "module-replaced-after-optimizer"
                    and any(p.requires_grad and id(p) not in held for _, p in e.detail["module"].named_parameters())]
        replaced += [(e, "the old tensor, which no module uses any more, so it never gets a gradient; replace "
                         "(or tie) it before building the optimizer") for e in _orphaned_parameters(world)]
        for event, consequence in replaced:
            if id(event.node) not in reported:
                reported.add(id(event.node))
                what = "" if event.kind == "module-replaced-after-optimizer" else "the parameter "
                inner = event.detail["inner"]
                inner_path = world.path_of(inner)
                inner_tree = ctx.tree if inner_path is None else world.tree_of(inner_path)
                if inner_tree is not None and _in_a_reinitializer(inner_tree, inner):
                    # `reset_state()` builds the parameter for __init__ too: calling it again is
                    # meant, making a new tensor there is what to change (in the method's file)
                    message = (f"this makes `{event.detail['attr']}` anew each time the method runs, and "
                               f"{ctx.world_line(event.node, inner)} runs it after the optimizer was built: the "
                               "optimizer still holds the old one, which nothing uses any more, so it never trains; "
                               "set the values in place (under `torch.no_grad()`) instead of making a new one")
                    call = (event.node, "the call after the optimizer was built")
                    if inner_path is None:
                        yield ctx.finding(self, ctx.span(inner), message, related=[ctx.related(*call)])
                    else:
                        ctx.world_finding(self, inner, message, related=[call])
                    continue
                message = (f"this replaces {what}`{event.detail['attr']}` ({ctx.world_line(inner, event.node)}) "
                           f"after the optimizer was built: the optimizer still holds {consequence}")
                if world.path_of(event.node) is not None:  # in a helper of another file: reported there
                    ctx.world_finding(self, event.node, message)
                    continue
                yield ctx.finding(self, ctx.span(event.node), message,
                                  related=[ctx.related(inner, "the replacement")] if world.path_of(inner) is None else [])
        if replaced:
            return
        for node, message in self._collisions(world):
            if id(node) not in reported:
                reported.add(id(node))
                finding = ctx.world_finding(self, _shown(node), message)
                if finding is not None:
                    yield finding
        for optimizer in world.snapshot.optimizers:
            if not optimizer.complete:
                continue
            for node, message in self._problems(ctx, world, optimizer, typo_nodes):
                if id(node) not in reported:
                    reported.add(id(node))
                    # a statement of another file (a helper freezing the model) is reported there
                    finding = ctx.world_finding(self, _shown(node), message, [(optimizer.node, "the optimizer")])
                    if finding is not None:
                        yield finding

    def _collisions(self, world):
        for param in world.collision_freezes:
            collision = param.collision
            if collision is None or param.requires_grad or collision[1] not in world.exact_patterns:
                continue
            statement, pattern, matched = collision
            yield statement, (
                f"the substring test `{pattern!r} in name` also matches `{matched}`: parameters of another "
                f"layer are frozen and never train; compare whole name parts (`name.startswith({pattern + '.'!r})`)")

    def _problems(self, ctx, world, optimizer, typo_nodes):
        name = _optimizer_text(optimizer.node)
        if not optimizer.params:
            buffer = _buffer_of_a_parameterless_module(optimizer)
            if buffer is not None:
                attr, node = buffer
                yield node, (
                    f"this registers `{attr}` as a buffer, and the module whose parameters `{name}` ("
                    f"{ctx.world_line(optimizer.node, node)}) is built over has no parameter at all: the optimizer "
                    "gets an empty parameter list (ValueError) and the buffer can never be learned; make it "
                    "`nn.Parameter(...)` if it should train")
            elif optimizer.consumed_source is not None:
                yield optimizer.consumed_source, (
                    f"this statement uses up the `parameters()` generator that `{name}` ("
                    f"{ctx.world_line(optimizer.node, optimizer.consumed_source)}) is built from later: the optimizer "
                    "gets an empty parameter list")
            elif optimizer.dropped and not world.uncertain and all(not p.requires_grad for p in optimizer.dropped):
                node = _last_freeze(optimizer.dropped)
                if node is not None:
                    yield node, (
                        f"this freezes every parameter, so the `requires_grad` filter of `{name}` ("
                        f"{ctx.world_line(optimizer.node, node)}) leaves it an empty parameter list: nothing can train")
            return
        if not world.uncertain and all(not p.requires_grad for p in optimizer.params) and not typo_nodes:
            node = _last_freeze(optimizer.params)
            copied = given_a_frozen_copy(optimizer)
            if node is not None and copied is not None:
                if not _within(copied, optimizer.node):  # else GRD110 judges the construction it sees
                    yield copied, (
                        f"`{_short(ast.unparse(copied))}` gives `{name}` ({ctx.world_line(optimizer.node, copied)}) the "
                        f"parameters of a deep copy, which is frozen ({ctx.world_line(node, copied)}) while the module "
                        "it copies still requires grad: the optimizer holds nothing that trains and the module that "
                        "does is in no optimizer; build it over the original module's parameters")
                return
            if node is not None:
                yield node, (
                    f"every tensor `{name}` ({ctx.world_line(optimizer.node, node)}) holds has requires_grad=False "
                    f"when backward first runs ({ctx.world_line(world.snapshot.node, node)}): this freeze matched them "
                    "all and nothing trains")

def _within(node: ast.AST, outer: ast.AST) -> bool:
    return (outer.lineno, outer.col_offset) <= (node.lineno, node.col_offset) \
        and (node.end_lineno, node.end_col_offset) <= (outer.end_lineno, outer.end_col_offset)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _buffer_of_a_parameterless_module(optimizer):
    """(name, registration) of the last buffer of the module `optimizer` was built over
    (`SGD(center_loss.parameters())`) when that module, wholly known, has no parameter."""
    module = optimizer.over
    if module is None or not module.fully_known or next(module.named_parameters(), None) is not None:
        return None
    buffers = [(name, node) for _, child in module.named_modules() for name, node in child.buffers.items()
               if node is not None]
    return max(buffers, key=lambda b: (b[1].lineno, b[1].col_offset)) if buffers else None


def _orphaned_parameters(world) -> list:
    """Parameter replacements after the optimizer was built whose old tensor, still held by the
    optimizer, is a parameter of no module the script holds when backward first runs."""
    modules = [v for v in [*world.snapshot.frame.values(), *world.main[0].values()] if isinstance(v, ModuleObj)]
    if not modules:
        return []  # the modules the script trains are not known: no telling what uses the old tensor
    used = {id(p) for module in modules for _, p in module.named_parameters()}
    return [e for e in world.events if e.kind == "parameter-replaced-after-optimizer"
            and e.detail["old"].requires_grad and id(e.detail["old"]) not in used]


def _in_a_reinitializer(tree: ast.Module, node: ast.AST) -> bool:
    """`node` sits in a method that its class's own `__init__` also calls (`self.reset_state()`)."""
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        methods = {m.name: m for m in cls.body if isinstance(m, ast.FunctionDef)}
        holder = next((m for m in methods.values() if m.lineno <= node.lineno <= m.end_lineno), None)
        init = methods.get("__init__")
        if holder is None or init is None or holder is init:
            continue
        return any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == holder.name
                   and isinstance(c.func.value, ast.Name) and c.func.value.id == "self" for c in ast.walk(init))
    return False


def _last_freeze(params) -> ast.AST | None:
    nodes = [p.frozen_by for p in params if p.frozen_by is not None]
    if len(nodes) != len(params):
        return None
    return max(nodes, key=lambda n: (n.lineno, n.col_offset))


def _shown(node: ast.AST) -> ast.AST:
    if isinstance(node, ast.If):
        return node.test
    if isinstance(node, ast.Assign):
        return node
    return node


def _optimizer_text(call: ast.Call) -> str:
    return ast.unparse(call.func).rsplit(".", 1)[-1] + "(...)"
