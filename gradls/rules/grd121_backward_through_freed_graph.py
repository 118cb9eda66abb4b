from __future__ import annotations

import ast

from ..analysis import names as N
from ..analysis.values import MODULE
from .base import Rule, RuleContext
from ..analysis.walk import cached_walk


class BackwardThroughFreedGraph(Rule):
    code = "GRD121"
    name = "backward-through-freed-graph"
    summary = "A second `backward()` goes through a graph the first one already freed."
    default_severity = "error"
    keywords = ("backward",)
    doc = """
## What it finds
Two `backward()` calls in one block where a tensor computed by a module before the first
(`state = encoder(x)`) feeds both losses, the first `backward()` has no `retain_graph=True`,
and the tensor is not computed again in between.

Also a loop over two or more losses one forward computed before it (`for name, loss in
losses.items(): loss.backward()`), each iteration's backward without `retain_graph=True`.

Also a loop that carries a module's output into the next iteration's forward (`out, hidden =
rnn(x, hidden)`, the classic recurrent-state bug) while each iteration calls `backward()`
without `retain_graph=True`, and nothing in the loop detaches or rebuilds `hidden`.

## Why is this bad? What execution shows
`backward()` frees the intermediate values the graph saved as soon as it has used them. The
second call reaches the shared part of the graph again and raises `RuntimeError: Trying to
backward through the graph a second time`. A detached input in one of the losses (a GAN's
`fake.detach()`) keeps the graphs apart and is not flagged.

## Example
```python
state = encoder(obs)
q_loss = F.mse_loss(q_net(state), target)
q_loss.backward()
actor_loss = -critic(state, actor(state)).mean()
actor_loss.backward()
```

## Use instead
```python
q_loss.backward(retain_graph=True)      # keep the shared graph for the second loss
```
or compute `state = encoder(obs)` again (or `state.detach()`) for the second loss.

## Fix safety
No automatic fix: retaining the graph, recomputing, or detaching train different things.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords):
            return
        for scope in ctx.analysis.scopes:
            sinks = [s for s in scope.sinks if s.kind == "backward" and isinstance(s.node, ast.Call)]
            yield from self._loop_carried(ctx, scope, sinks)
            yield from self._loop_over_losses(ctx, scope, sinks)
            if len(sinks) < 2:
                continue
            for block in _blocks(scope.node):
                yield from self._block(ctx, block, sinks)

    def _loop_carried(self, ctx, scope, sinks: list):
        """`out, hidden = rnn(x, hidden)` in a loop whose backward frees that graph: the next
        iteration's forward starts from the freed graph through `hidden`."""
        trained = {id(s.node) for s in sinks if any(o.kind == MODULE for o in s.flow.live)}
        if not trained:
            return
        loops = [s for block in _blocks(scope.node) for s in block if isinstance(s, (ast.For, ast.While, ast.AsyncFor))]
        for loop in loops:
            body = loop.body
            backward_at = [(i, stmt.value) for i, stmt in enumerate(body) if isinstance(stmt, ast.Expr)
                           and id(stmt.value) in trained and not _retains_graph(stmt.value)]
            for index, backward in backward_at:
                modules = {o.label for s in sinks if s.node is backward for o in s.flow.live if o.kind == MODULE}
                carried = _carried_through(body[:index], body, _subject(backward), modules, scope.env)
                if carried is not None:
                    name, stmt = carried
                    yield ctx.finding(
                        self, ctx.span(stmt),
                        f"`{name}` carries the previous iteration's graph into this forward, and "
                        f"`{_subject(backward)}.backward()` (line {backward.lineno}) freed that graph: the second "
                        "iteration's backward raises \"Trying to backward through the graph a second time\"; "
                        f"detach it once per iteration (`{name} = {name}.detach()`)",
                        related=[ctx.related(backward, "the backward that frees the graph")],
                    )

    def _loop_over_losses(self, ctx, scope, sinks: list):
        """`for name, loss in losses.items(): loss.backward()` where `losses` holds two or more
        values computed before the loop by one forward: the first iteration's backward frees the
        graph they share, the second raises."""
        backwards = {id(s.node) for s in sinks}
        loops = [(block, s) for block in _blocks(scope.node) for s in block if isinstance(s, (ast.For, ast.AsyncFor))]
        for block, loop in loops:
            container = _iterated_name(loop.iter)
            losses = scope.env.get(container) if container is not None else None
            shared = _shared_by_items(losses)
            if shared is None or _assigned_in(loop.body, container) \
                    or not _built_from_one_forward(block[:block.index(loop)], container):
                continue
            for stmt in loop.body:
                call = stmt.value if isinstance(stmt, ast.Expr) else None
                if call is None or id(call) not in backwards or _retains_graph(call):
                    continue
                yield ctx.finding(
                    self, ctx.span(call),
                    f"the {len(losses.items)} values of `{container}` were computed before the loop by one forward "
                    f"(through `{shared}`), and each iteration's backward frees that graph: the second iteration "
                    "raises \"Trying to backward through the graph a second time\"; pass `retain_graph=True` to "
                    "all but the last backward, or backpropagate their sum once",
                    related=[ctx.related(loop.iter, "the values, one forward's")],
                )

    def _block(self, ctx, block: list, sinks: list):
        positions = {id(stmt): index for index, stmt in enumerate(block)}
        here = {}
        for sink in sinks:  # a loop is interpreted twice: one sink per call node, its flows joined
            for stmt in block:
                if isinstance(stmt, ast.Expr) and stmt.value is sink.node:
                    index = positions[id(stmt)]
                    here[index] = _Joined(sink, here.get(index))
        here = sorted(here.items(), key=lambda pair: pair[0])
        for (first_at, first), (second_at, second) in zip(here, here[1:]):
            if _retains_graph(first.node):
                continue
            shared = _shared_intermediate(block, first_at, second_at, first, second)
            if shared is None:
                continue
            name, made, verb = shared
            yield ctx.finding(
                self, ctx.span(second.node),
                f"{name} (line {made.lineno}) {verb} computed before `{_subject(first.node)}.backward()` (line "
                f"{first.node.lineno}), which freed its graph; this backward goes through it again and raises "
                "\"Trying to backward through the graph a second time\": pass `retain_graph=True` to the first "
                f"backward, or compute {name} again",
                related=[ctx.related(first.node, "the first backward, which frees the graph")],
            )


def _iterated_name(node: ast.AST) -> str | None:
    """`losses` for `losses`, `losses.items()`, `losses.values()`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("items", "values") \
            and not node.args:
        node = node.func.value
    return node.id if isinstance(node, ast.Name) else None


def _shared_by_items(flow) -> str | None:
    """A module every item of a container of two or more values is computed through, or None."""
    if flow is None or len(flow.items) < 2:
        return None
    common = [o for o in flow.items[0].live if o.kind == MODULE]
    for item in flow.items[1:]:
        modules = [o for o in item.live if o.kind == MODULE]
        common = [a for a in common if any(a.is_within(b) or b.is_within(a) for b in modules)]
    return min((o.label for o in common), key=len, default=None)


def _built_from_one_forward(before: list, container: str) -> bool:
    """The statement filling `container` reads a name an earlier statement of the block bound to
    one call's result (`out = model(x)`; `losses = task_losses(out, y)`): the values share that
    forward's graph. Values each computed by a forward of their own (`[f(model(a)), f(model(b))]`)
    share only the parameters, and backward through each works."""
    bound_to_call: set = set()
    for stmt in before:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else []
        names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if container in names:
            read = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
            return bool(read & bound_to_call)
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            bound_to_call |= names
    return False


def _assigned_in(body: list, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
               for stmt in body for n in ast.walk(stmt))


class _Joined:
    """The backward sinks of one call node, their live origins together."""

    def __init__(self, sink, previous: "_Joined | None") -> None:
        self.node = sink.node
        live = set(sink.flow.live) | (set(previous.live) if previous else set())
        self.live = live

    @property
    def flow(self):
        return self


def _shared_intermediate(block, first_at, second_at, first, second):
    """(what is shared, its statement, its verb) for a value both losses reach, made by a module
    before the first backward."""
    common = {o.label for o in first.flow.live if o.kind == MODULE} & {o.label for o in second.flow.live if o.kind == MODULE}
    if not common:
        return None
    first_loss, second_loss = _subject(first.node), _subject(second.node)
    before = _definitions(block[:first_at])
    between = _definitions(block[first_at + 1:second_at])
    first_deps = _ancestors(first_loss, before)
    second_deps = _ancestors(second_loss, {**before, **between})
    shared = [name for name in first_deps & second_deps if name not in between and name in before]
    # `z, recon, logits = model(x)`: two outputs of one forward are one graph
    made_together = {id(before[name]) for name in second_deps if name in before and name not in between}
    shared += [name for name in first_deps - second_deps if name in before and name not in between
               and id(before[name]) in made_together]
    for name in sorted(shared, key=lambda name: (before[name].lineno, name)):  # the same on every run
        made_by = _calls(_ancestors(name, before) | {name}, before)
        if any(label == call or label.startswith(call + ".") for label in common for call in made_by):
            if name not in second_deps:  # one output of the forward the second loss reads another of
                return f"the outputs of {_short(ast.unparse(before[name].value))}", before[name], "were"
            return f"`{name}`", before[name], "was"
    return None


def _carried_through(before_backward: list, body: list, loss: str | None, modules: set, env: dict):
    """(name, statement) when a statement before the backward both reads and rebinds `name`
    from a call (`out, h = rnn(x, h)`), the loss depends on what it computes, and nothing else
    in the loop body rebinds or detaches `name`. The call is a trained module's: a layer the
    backward reaches (`rnn`), or a model whose layers it reaches (`model` of `model.rnn`), whose
    result for `name` still carries a module's gradient (its forward did not detach it)."""
    if loss is None:
        return None
    definitions = _definitions(before_backward)
    loss_deps = _ancestors(loss, definitions) | {loss}
    for stmt in before_backward:
        if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)):
            continue
        called = N.dotted_text(stmt.value.func)
        exact = called in modules
        if not exact and not (called and any(m.startswith(called + ".") for m in modules)):
            continue  # a trained module computes it
        bound = {n.id for t in stmt.targets for n in cached_walk(t) if isinstance(n, ast.Name)}
        read = {n.id for n in cached_walk(stmt.value) if isinstance(n, ast.Name)}
        for name in sorted(bound & read):
            if not (bound & loss_deps) or _rebound_elsewhere(body, name, stmt):
                continue
            if not exact and not _carries_a_module(env.get(name)):
                continue
            return name, stmt
    return None


def _carries_a_module(flow) -> bool:
    return flow is not None and any(o.kind == MODULE for o in flow.live)


def _rebound_elsewhere(body: list, name: str, carrying: ast.stmt) -> bool:
    for stmt in body:
        for node in cached_walk(stmt):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node is not carrying:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(n, ast.Name) and n.id == name for t in targets for n in cached_walk(t)):
                    return True
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("detach_", "detach") and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == name):
                return True
    return False


def _definitions(statements: list) -> dict:
    """name -> its last assignment statement among `statements`."""
    found = {}
    for stmt in statements:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for node in cached_walk(target):
                    if isinstance(node, ast.Name):
                        found[node.id] = stmt
    return found


def _ancestors(name: str | None, definitions: dict) -> set:
    seen: set = set()
    stack = [name] if name else []
    while stack:
        current = stack.pop()
        stmt = definitions.get(current)
        if stmt is None:
            continue
        for node in cached_walk(stmt.value):
            if isinstance(node, ast.Name) and node.id not in seen and node.id != current:
                seen.add(node.id)
                stack.append(node.id)
    return seen


def _calls(names: set, definitions: dict) -> set:
    called = set()
    for name in names:
        stmt = definitions.get(name)
        if stmt is None:
            continue
        for node in cached_walk(stmt.value):
            if isinstance(node, ast.Call):
                text = N.dotted_text(node.func)
                if text:
                    called.add(text)
    return called


def _subject(call: ast.Call) -> str | None:
    return N.dotted_text(call.func.value) if isinstance(call.func, ast.Attribute) else None


def _retains_graph(call: ast.Call) -> bool:
    for kw in call.keywords:
        if kw.arg in ("retain_graph", "create_graph"):
            return not (isinstance(kw.value, ast.Constant) and kw.value.value in (False, None))
    return len(call.args) >= 2  # backward(gradient, retain_graph)


def _blocks(scope: ast.AST):
    """Every statement list of the scope, not entering nested functions or classes."""
    stack = [scope]
    while stack:
        node = stack.pop()
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block
                stack.extend(s for s in block if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
        for handler in getattr(node, "handlers", []):
            stack.append(handler)


def _short(text: str) -> str:
    return f"`{text}`" if len(text) <= 40 else f"`{text[:37]}...`"
