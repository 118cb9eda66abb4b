from __future__ import annotations

import ast

from ..analysis import names as N
from ..analysis.cuts import checked_scopes
from ..analysis.objects import ModuleObj, given_a_frozen_copy, torch_layer_has_parameters
from ..analysis.values import ARGUMENT, MODULE, PARAMETER, Origin
from .base import Rule, RuleContext
from ..analysis.walk import cached_walk, parameter_names


class OptimizerMisuse(Rule):
    code = "GRD110"
    name = "optimizer-misuse"
    summary = "zero_grad between backward and step, step before backward, or an optimizer over the wrong tensors."
    doc = """
## What it finds
- `optimizer.zero_grad()` between `loss.backward()` and `optimizer.step()`;
- `optimizer.step()` before any `backward()` in the same step, after the gradients were zeroed;
- an optimizer built over tensors that do not require grad;
- an optimizer built from a `parameters()` generator that was already consumed;
- an optimizer over the parameters of a different model than the one whose loss is
  backpropagated before its `step()`, also when a helper builds it (`opt = make_optimizer(agent)`
  over `agent.target`): reported at the construction inside the helper, in its own file;
- a submodule replaced (`model.fc = nn.Linear(...)`) after the optimizer over `model` was built,
  or the model built again (`model = build_model(cfg)`, a function of the file making a new
  module per call) after it, also when a helper builds the optimizer (`getattr(torch.optim,
  name)(params, ...)`): reported at the statement that gets the optimizer;
- a parameter group (`{"params": [...], "lr": ...}`) the setup code builds while the other groups
  reach an optimizer, but which no optimizer holds when backward first runs (evaluated across
  the project's files: reported where the group is filled).

## Why is this bad? What execution shows
Each leaves the trained parameters unchanged by `step()` while the loss is computed and
backpropagated as usual: the zeroed or missing `.grad` makes every update a no-op, a consumed
generator yields an empty parameter list (or, for a later optimizer, none of the parameters),
and a replaced submodule's new parameters are not in the optimizer at all.

## Example
```python
loss.backward()
optimizer.zero_grad()
optimizer.step()
```

## Use instead
```python
optimizer.zero_grad()
loss.backward()
optimizer.step()
```

## Fix safety
Moving `zero_grad()` before the `backward()` is safe when both are statements of the same
block; the other cases have no automatic fix.
"""

    def check(self, ctx: RuleContext):
        analysis = ctx.analysis
        seen: set = set()
        for finding in self._order_problems(ctx):
            key = (finding.span.line, finding.span.column)
            if key not in seen:
                seen.add(key)
                yield finding
        backward_sinks = _backward_sinks_by_optimizer(analysis)
        for construction in analysis.constructions:
            for finding in self._construction_problems(ctx, construction, backward_sinks):
                key = (finding.span.line, finding.span.column)
                if key not in seen:
                    seen.add(key)
                    yield finding
        yield from self._replaced_modules(ctx)
        yield from self._dropped_groups(ctx)
        yield from self._wrong_model_built_elsewhere(ctx)

    def _wrong_model_built_elsewhere(self, ctx):
        """`opt = make_optimizer(agent)` with the helper in another file: the setup evaluation
        runs it; when the one optimizer it built holds none of the parameters the first
        backward's loss comes from, its construction (in that file) is what is wrong."""
        if ctx.resolver is None or not _optimizer_built_by_a_call(ctx.analysis):
            return
        world = ctx.world
        snapshot = world.snapshot
        optimizers = [o for o in snapshot.optimizers if o.complete and o.params] if snapshot is not None else []
        if world.uncertain or len(optimizers) != 1 or world.path_of(optimizers[0].node) is None \
                or world.path_of(snapshot.node) is not None:
            return
        optimizer = optimizers[0]
        if given_a_frozen_copy(optimizer) is not None:
            return  # GRD118 reports where the helper was handed the copy's parameters
        sink = next((s for scope in ctx.analysis.scopes for s in scope.sinks
                     if s.kind == "backward" and s.node.lineno == snapshot.node.lineno), None)
        if sink is None or not sink.flow.live or any(o.kind != MODULE for o in sink.flow.live):
            return
        labels = sorted(o.label for o in sink.flow.live)
        modules = [_module_named(world, snapshot.frame, label) for label in labels]
        if any(m is None or not m.fully_known for m in modules):
            return
        reached = {id(p) for m in modules for _, p in m.named_parameters() if p.requires_grad}
        if not reached or reached & {id(p) for p in optimizer.params}:
            return
        names = ", ".join(f"`{label}`" for label in labels)
        finding = ctx.world_finding(
            self, optimizer.node,
            f"this optimizer holds none of the parameters of {names}, which the loss backpropagated on "
            f"{ctx.world_line(sink.node, optimizer.node)} comes from: its step changes nothing; build it over "
            f"those parameters", [(sink.node, "the backward")])
        if finding is not None:
            yield finding

    def _dropped_groups(self, ctx):
        """A parameter group the setup code builds and never gives to an optimizer (the
        evaluated world: gradls/analysis/objects.py), reported where it is filled, in another
        file too (a trainer class's method building the optimizer)."""
        if not ctx.mentions(("optim",)) and not (ctx.resolver is not None and ctx.resolver.checks_first(ctx.source.text)):
            return  # no optimizer here, and no setup of a training script that may build one elsewhere
        world = ctx.world
        if world.snapshot is None:
            return
        for event in world.events:
            if event.kind != "param-group-in-no-optimizer":
                continue
            count = event.detail["count"]
            optimizers = ", ".join(f"`{_call_text(o.node)}` ({ctx.world_line(o.node, event.node)})"
                                   for o in world.snapshot.optimizers)
            finding = ctx.world_finding(
                self, event.node,
                f"this parameter group ({count} tensor{'s' if count != 1 else ''}) is built but no optimizer "
                f"receives it (built: {optimizers}): when backward first runs ({ctx.world_line(world.snapshot.node, event.node)}) "
                "its parameters get gradients that no step ever applies; add the group to the optimizer's list",
                [(o.node, "the optimizer") for o in world.snapshot.optimizers])
            if finding is not None:
                yield finding

    # ----- call order ------------------------------------------------------------------

    def _order_problems(self, ctx):
        for scope in ctx.analysis.scopes:
            calls = _unique(scope.calls)
            backwards = [c for c in calls if c.method == "backward"]
            if not backwards:
                continue
            for step in (c for c in calls if c.method == "step" and _is_optimizer(ctx, scope, c.receiver)):
                before = [c for c in calls if c.order < step.order]
                last_backward = max((c.order for c in before if c.method == "backward"), default=None)
                zeroed = [c for c in before if c.method == "zero_grad" and _same_target(c.receiver, step.receiver, scope)]
                if last_backward is not None:
                    for zero in zeroed:
                        if zero.order > last_backward:
                            yield ctx.finding(
                                self, ctx.span(zero.node),
                                f"`{zero.receiver}.zero_grad()` runs after `backward()` (line "
                                f"{_line(backwards, last_backward)}) and before `{step.receiver}.step()` "
                                f"(line {step.node.lineno}): the step sees zero gradients and changes nothing",
                                fix=self._move_fix(ctx, zero, backwards, last_backward),
                            )
                elif zeroed or step.loop_depth == 0:
                    yield ctx.finding(
                        self, ctx.span(step.node),
                        f"`{step.receiver}.step()` runs before any `backward()` of this step: "
                        "there are no gradients yet, so it changes nothing",
                    )

    def _move_fix(self, ctx, zero, backwards, last_backward):
        backward = next(c for c in backwards if c.order == last_backward)
        if not (ctx.is_whole_statement(zero.node) and ctx.is_whole_statement(backward.node)):
            return None
        if backward.node.lineno >= zero.node.lineno:
            return None
        zero_line = ctx.source.line_text(zero.node.lineno)
        back_line = ctx.source.line_text(backward.node.lineno)
        if _indent(zero_line) != _indent(back_line):
            return None
        from ..model import Edit, Fix, Span

        newline = zero_line[len(zero_line.rstrip("\r\n")):] or "\n"
        remove = Edit(Span(zero.node.lineno, 1, zero.node.lineno + 1, 1), "")
        insert = Edit(Span(backward.node.lineno, 1, backward.node.lineno, 1), zero_line.rstrip("\r\n") + newline)
        return Fix("safe", "Move `zero_grad()` before `backward()`", (insert, remove))

    # ----- construction ------------------------------------------------------------------

    def _construction_problems(self, ctx, construction, backward_sinks):
        if construction.call_site is None:  # a helper's construction is judged where it is built
            yield from self._no_grad_tensors(ctx, construction)
            yield from self._consumed_generator(ctx, construction)
        yield from self._wrong_model(ctx, construction, backward_sinks)

    def _no_grad_tensors(self, ctx, construction):
        plain = [elt for elt, flow in construction.elements
                 if isinstance(elt, ast.Name) and not flow.live and _assigned_from_torch(ctx, construction.scope, elt.id)]
        if plain:
            names = ", ".join(f"`{e.id}`" for e in plain)
            yield ctx.finding(
                self, ctx.span(construction.node),
                f"the optimizer holds {names}, which do not require grad: backward never fills their "
                "`.grad`, so `step()` never changes them",
            )

    def _consumed_generator(self, ctx, construction):
        params = construction.node.args[0] if construction.node.args else None
        if not isinstance(params, ast.Name):
            return
        uses = _uses_before(construction.scope.node, params.id, construction.node)
        if uses is None:
            return
        if any(o.node is construction.node and o.consumed_source is not None for o in ctx.world.optimizers):
            return  # the evaluated setup knows the statement that used it up: GRD118 reports it there
        yield ctx.finding(
            self, ctx.span(construction.node),
            f"`{params.id}` is a `parameters()` generator already consumed on line {uses}: "
            "this optimizer gets no parameters from it",
        )

    def _wrong_model(self, ctx, construction, backward_sinks: dict):
        if not construction.covered or not construction.label:
            return
        aliases = None  # computed only for a sink the optimizer does not cover (a walk of the scope)
        for sink in backward_sinks.get(id(construction.covered), ()):
            # a module known only as a parameter of the backward's function (`def train(model, ...)`)
            # is whatever the caller passes: not known to differ from the optimizer's model
            modules = [o for o in sink.flow.live if o.kind == MODULE and not _names_a_parameter(sink, o)]
            if not modules or _covers_any(construction.covered, sink.flow.live):
                continue
            if sink.stepped is not None and _covers_any(sink.stepped, sink.flow.live):
                continue  # another optimizer stepped before the next backward trains this loss
            if any(o.kind == ARGUMENT and _caller_passes_model(ctx, sink, o, construction.covered)
                   for o in sink.flow.live):
                continue  # `step_g(self, fake)` called with `fake = self.gen(noise)`: the model is in it
            if aliases is None:
                aliases = _stored_as_attributes(construction.scope.node, construction.covered)
            if any(o.label in aliases or o.label.startswith(tuple(a + "." for a in aliases)) for o in modules):
                continue  # `self.model = model`: the optimizer's model is the one that trains
            names = ", ".join(sorted(f"`{o.label}`" for o in modules))
            copied = _deep_copy_of(ctx, sink.scope.node, {o.label for o in modules})
            if copied is not None:
                yield ctx.finding(
                    self, ctx.span(copied),
                    f"the loss backpropagated on line {sink.node.lineno} trains this deep copy, but "
                    f"`{construction.label}` (line {construction.node.lineno}) holds the original's parameters: "
                    "its step never changes the copy; build the optimizer over the copy's parameters",
                    related=[ctx.related(construction.node, "the optimizer")],
                )
                return
            cut = _cut_argument(ctx, sink, construction.covered)
            if cut is not None:  # what the optimizer trains could only come in through that argument
                argument = cut.origin.label
                yield ctx.finding(
                    self, ctx.span(cut.brk.node),
                    f"{cut.brk.description} cuts the argument `{argument}` out of the loss backpropagated on line "
                    f"{sink.node.lineno} (it comes from {names} alone), but `{construction.label}` (line "
                    f"{construction.node.lineno}) steps {', '.join(sorted(construction.covered))}, which can reach "
                    f"that loss only through `{argument}`: its step changes nothing; pass `{argument}` undetached here",
                    related=[ctx.related(construction.node, "the optimizer"), ctx.related(sink.node, "the backward")],
                )
                return
            yield ctx.finding(
                self, ctx.span(construction.node),
                f"`{construction.label}` optimizes {', '.join(sorted(construction.covered))}, but the loss "
                f"backpropagated on line {sink.node.lineno} comes from {names}: its step changes nothing",
            )
            return

    def _replaced_modules(self, ctx):
        analysis = ctx.analysis
        replacements: dict[int, list] = {}  # per scope: (statement, label) of submodule replacements
        reported: set = set()  # a function analysed for more than one call builds the same optimizer
        for construction in analysis.constructions:
            if not construction.covered:
                continue
            built = _built_at(construction)
            scope = construction.scope
            if id(scope) not in replacements:
                replacements[id(scope)] = _module_replacements(ctx, scope)
            for node, label in replacements[id(scope)]:
                if node.lineno <= built.end_lineno or _rebuilt_after(analysis, construction, node) \
                        or (id(built), id(node)) in reported:
                    continue
                reported.add((id(built), id(node)))
                if label in construction.covered:  # `model = Net()` again: only if a later backward trains it
                    if _trained_after(scope, label, node):
                        yield ctx.finding(
                            self, ctx.span(built),
                            f"this optimizer holds the parameters of the module `{label}` named before line "
                            f"{node.lineno}, which binds `{label}` to a new module: the loss backpropagated "
                            "after it trains the new one, whose parameters are in no optimizer; the step "
                            "changes nothing",
                            related=[ctx.related(node, f"`{label}` rebound here")],
                        )
                elif any(Origin(label, "").is_within(Origin(c, "")) for c in construction.covered):
                    yield ctx.finding(
                        self, ctx.span(built),
                        f"this optimizer is built before `{label}` is replaced (line {node.lineno}): "
                        "the new module's parameters are not in it and never train",
                        related=[ctx.related(node, f"`{label}` replaced here")],
                    )


def _optimizer_built_by_a_call(analysis) -> bool:
    """Does some scope hold an optimizer no construction of this file made (a helper's result)?"""
    built = {c.label for c in analysis.constructions}
    return any(label not in built for scope in analysis.scopes for label in scope.optimizers)


def _module_named(world, frame: dict, label: str):
    """The module object `agent.online` names in the setup evaluation's frame, or None; a
    label of another file's construction (`MoCo(...)`, what a factory returned) is the one
    module of that class the frame holds."""
    if "[" in label:
        return None
    built, constructed, rest = label.partition("(...)")
    if constructed:
        if not built.isidentifier() or rest[:1] not in ("", "."):
            return None
        value, attributes = _only_instance(frame, built), rest.split(".")[1:]
    else:
        head, *attributes = label.split(".")
        value = frame.get(head)
    for attribute in attributes:
        if value is None:
            return None
        value = world.attribute(value, attribute)
    return value if isinstance(value, ModuleObj) else None


def _only_instance(frame: dict, class_name: str):
    """The one module object of the class `class_name` the frame's names hold, or None."""
    found = {id(v): v for v in frame.values() if isinstance(v, ModuleObj)
             and v.kind.rsplit(":", 1)[-1].rsplit(".", 1)[-1] == class_name}
    return next(iter(found.values())) if len(found) == 1 else None


def _call_text(call: ast.Call) -> str:
    return ast.unparse(call.func).rsplit(".", 1)[-1] + "(...)"


def _names_a_parameter(sink, origin) -> bool:
    function = getattr(sink.scope, "node", None)
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    name = origin.label.split("[")[0].split(".")[0]
    return name != "self" and name in parameter_names(function)


def _caller_passes_model(ctx, sink, origin, covered) -> bool:
    """Some call of the backward's function in this file passes, for the argument `origin`,
    the output of a module the optimizer covers (`fake = self.gen(noise); self.step_g(fake)`)."""
    function = getattr(sink.scope, "node", None)
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    name = origin.label.split("[")[0].split(".")[0]
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if name not in params:
        return False
    is_method = bool(params) and params[0] == "self"
    position = params.index(name) - (1 if is_method else 0)
    for caller in cached_walk(ctx.tree):
        if not isinstance(caller, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)) or caller is function:
            continue
        produced = _module_outputs(caller, covered)
        for call in cached_walk(caller):
            if not isinstance(call, ast.Call):
                continue
            callee = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
            if callee != function.name:
                continue
            passed = [kw.value for kw in call.keywords if kw.arg == name]
            if 0 <= position < len(call.args):
                passed.append(call.args[position])
            for arg in passed:
                if isinstance(arg, ast.Name) and arg.id in produced or isinstance(arg, ast.Call) and _calls_covered(arg, covered):
                    return True
    return False


def _module_outputs(function, covered) -> set:
    """Names `function` binds to the output of a call of a covered module (`fake = self.gen(z)`)."""
    names = set()
    for node in cached_walk(function):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _calls_covered(node.value, covered):
            for target in node.targets:
                names.update(n.id for n in cached_walk(target) if isinstance(n, ast.Name))
    return names


def _calls_covered(call: ast.Call, covered) -> bool:
    text = N.dotted_text(call.func)
    return bool(text) and any(Origin(text, "").is_within(Origin(label, "")) for label in covered)


def _cut_argument(ctx, sink, covered):
    """The first cut, in this function, of one of its own arguments (`netd(fake.detach())` in a
    generator step that receives `fake`): where the model a wrong-model optimizer steps was
    meant to reach the loss."""
    node = getattr(sink.scope, "node", None)
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    params = parameter_names(node) - {"self"}
    cuts = [c for c in sink.flow.cuts if c.origin.kind == ARGUMENT and not c.shadowed and c.brk.node is not None
            and c.origin.label.split(".")[0].split("[")[0] in params and _caller_passes_model(ctx, sink, c.origin, covered)]
    return min(cuts, key=lambda c: (c.brk.node.lineno, c.brk.node.col_offset), default=None)


def _backward_sinks_by_optimizer(analysis) -> dict:
    """backward() sinks grouped by the (identical) label set of the optimizer stepping after
    them, so each optimizer construction looks only at its own (a file-wide scan per
    construction was quadratic: 14 ms on a 4,000-line file)."""
    grouped: dict[int, list] = {}
    for scope in checked_scopes(analysis):  # a training function also as run with what a call passed
        for sink in scope.sinks:
            if sink.kind == "backward" and sink.trained is not None:
                grouped.setdefault(id(sink.trained), []).append(sink)
    return grouped


def _module_replacements(ctx, scope) -> list:
    """`model.fc = nn.Linear(...)` and `model = Net()` statements of a scope, with the replaced
    label (a new module built from the old one, `model = Wrapper(model)`, holds its parameters:
    not a replacement)."""
    found = []
    for node in scope.statements:
        if isinstance(node, ast.Assign) and _is_module_constructor(ctx, node.value):
            for target in node.targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)):
                    found.append((node, ast.unparse(target)))
                elif isinstance(target, ast.Name) and not _mentions(node.value, target.id):
                    found.append((node, target.id))
    return found


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in cached_walk(node))


def _trained_after(scope, label: str, node: ast.AST) -> bool:
    """Does a backward of `scope` after `node` reach a parameter of the module named `label`?"""
    owned = Origin(label, "")
    return any(sink.kind == "backward" and sink.node.lineno > node.end_lineno
               and any(o.kind in (MODULE, PARAMETER) and Origin(o.label, "").is_within(owned) for o in sink.flow.live)
               for sink in scope.sinks)


def _is_optimizer(ctx, scope, receiver: str | None) -> bool:
    """A known optimizer, or a name that says it is one (not a scheduler, scaler or env)."""
    if receiver is None:
        return False
    known = set(scope.optimizers) | set(ctx.analysis.module_scope.optimizers if ctx.analysis.module_scope else ())
    if scope.class_info is not None:
        known |= {f"self.{name}" for name in scope.class_info.optimizers}
    if receiver in known:
        return True
    last = receiver.rsplit(".", 1)[-1].lower()
    return ("opt" in last or last.endswith("optimizer")) and "sched" not in last


def _unique(calls):
    seen, result = set(), []
    for call in calls:
        key = id(call.node)
        if key not in seen:
            seen.add(key)
            result.append(call)
    return result


def _line(backwards, order) -> int:
    return next(c.node.lineno for c in backwards if c.order == order)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _same_target(zero_receiver, step_receiver, scope) -> bool:
    if zero_receiver is None or step_receiver is None:
        return False
    if zero_receiver == step_receiver:
        return True
    covered = scope.optimizers.get(step_receiver)
    return bool(covered) and zero_receiver in covered


def _covers_any(covered, live) -> bool:
    return any(o.is_within(Origin(c, "")) or Origin(c, "").is_within(o) for o in live for c in covered)


def _assigned_from_torch(ctx, scope, name: str) -> bool:
    for node in scope.statements:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
            if isinstance(value, ast.Call):
                qualified = ctx.analysis.imports.qualify(value.func) or ""
                if qualified.startswith("torch.") and not qualified.startswith("torch.nn."):
                    return not any(kw.arg == "requires_grad" for kw in value.keywords)
    return False


def _uses_before(scope_node, name: str, construction: ast.Call) -> int | None:
    """Line of an earlier use of a `x.parameters()` generator bound to `name`, if any."""
    assigned = False
    for node in cached_walk(scope_node):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                    and value.func.attr in ("parameters", "named_parameters"):
                assigned = True
    if not assigned:
        return None
    uses = sorted(
        n.lineno for n in cached_walk(scope_node)
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
        and (n.lineno, n.col_offset) < (construction.lineno, construction.col_offset)
    )
    return uses[0] if uses else None


def _is_module_constructor(ctx, value) -> bool:
    if not isinstance(value, ast.Call):
        return False
    name = ctx.analysis.imports.qualify(value.func) or ast.unparse(value.func)
    short = name.rsplit(".", 1)[-1]
    if name.startswith("torch.nn.") and short[:1].isupper():
        # a layer without parameters (`nn.MSELoss()`, `nn.ReLU()`) adds nothing an optimizer misses
        return torch_layer_has_parameters(value, ctx.analysis.imports, N.PARAMLESS_MODULES) is not False
    info = ctx.analysis.classes.get(short)
    if info is not None:
        return info.is_module and bool(info.params or info.modules)
    callee = ctx.analysis.local_callable(name) if type(value.func) is ast.Name else None
    return callee is not None and callee.kind == "function" and _returns_a_new_module(ctx.analysis, callee)


def _returns_a_new_module(analysis, callee) -> bool:
    """A function of the file that builds the module it returns (`build_model(cfg)` returning
    `nn.Sequential(*layers)`): each call makes a new one."""
    node = callee.node
    live = analysis.summary(callee).returns.live
    return bool(live) and all(
        o.kind == MODULE and type(o.anchor) is ast.Call and node.lineno <= o.anchor.lineno <= node.end_lineno
        for o in live)


def _built_at(construction):
    """Where the caller gets the optimizer: the statement calling the helper that builds it."""
    return construction.call_site or construction.node


def _rebuilt_after(analysis, construction, node) -> bool:
    return any(c.label == construction.label and _built_at(c).lineno > node.lineno for c in analysis.constructions)


def _stored_as_attributes(scope: ast.AST, labels) -> set:
    """`self.model` when the scope runs `self.model = model` for a `model` in `labels`."""
    stored = set()
    for node in cached_walk(scope):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in labels:
            stored.update(text for text in (N.dotted_text(t) for t in node.targets) if text and text.startswith("self."))
    return stored


def _deep_copy_of(ctx, scope: ast.AST, labels: set) -> ast.AST | None:
    """The statement `module = copy.deepcopy(...)` binding one of `labels` in `scope`, if any."""
    for node in cached_walk(scope):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1
                and N.dotted_text(node.targets[0]) in labels
                and (ctx.analysis.imports.qualify(node.value.func) or "") in ("copy.deepcopy", "deepcopy")):
            return node
    return None
