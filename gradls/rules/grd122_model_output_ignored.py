from __future__ import annotations

import ast
import os
from typing import NamedTuple

from ..analysis.cuts import checked_scopes, trains
from ..analysis.external import ExternalFunction
from ..analysis.interpreter import EXTERNAL_FUNCTION_TAG, LOCAL_FUNCTION_TAG
from ..analysis.values import MODULE
from .base import Rule, RuleContext
from ..analysis.walk import cached_walk, single_return, unread_parameters


class ModelOutputIgnored(Rule):
    code = "GRD122"
    name = "model-output-ignored"
    summary = "A function is handed a model's output but never reads that parameter: the model gets no gradient from its result."
    keywords = ("backward",)
    doc = """
## What it finds
A function of the file called with a value that carries gradient from a model (`pred =
model(x)`, then `loss = cost(pred, x)`) whose body never reads the parameter that value is
bound to, while the result is backpropagated and nothing else brings that model's gradient
to the same `backward()`. The model must be one that backward trains (held by the optimizer
stepped after it, not frozen): a logging helper handed a frozen teacher's output is not flagged.
Typically the body reads another variable by mistake (a global with the input, a name from an
older version of the code).

The function may also reach the model's output through a parameter of a training function: in
`fit(model, loader, bad_loss, optimizer)` whose body backpropagates `loss = loss_fn(yb, pred)`,
`bad_loss` is what that call runs (every call of `fit` in the file passes it), and a parameter of
it bound to `pred` that it never reads leaves the model without gradient from that loss.

The function may be another file's, imported by the training script (`from losses import
charbonnier`): the finding is then shown in that file, at its return, with the training
script's call as related information.

## Why is this bad? What execution shows
The loss does not depend on the model output it was given, so the model's layers that only
produced it get `grad None` and never change; the loss still decreases through the parts that
do reach it, so training looks alive.

## Example
```python
def reconstruction_cost(output, target):
    return F.binary_cross_entropy(inputs, target)   # `inputs`, a global, not `output`

recon, mu, logvar = model(inputs)
loss = reconstruction_cost(recon, inputs) + kl(mu, logvar)
```

## Use instead
```python
def reconstruction_cost(output, target):
    return F.binary_cross_entropy(output, target)
```

## Fix safety
No automatic fix: which value the body meant to read is the user's to say.
"""

    def check(self, ctx: RuleContext):
        if not ctx.mentions(self.keywords):
            return
        analysis = ctx.analysis
        unused = {name: params for name, params in _unused_parameters(analysis).items() if params}
        if not unused and ctx.resolver is None:
            return
        reported: set = set()
        for scope in checked_scopes(analysis):  # a training function run with the model a call passes it
            trained = [s for s in scope.sinks if s.kind == "backward"]
            if not trained:
                continue
            reaching = {o.label for s in trained for o in s.flow.live}
            backpropagated = _backpropagated_names(scope)
            for call, callee in _calls(analysis, scope.node, unused):
                if not _feeds_backward(call, scope, trained, backpropagated):
                    continue  # `log_step(teacher_out, step)`: what it returns is no loss
                for param, arg in _bound(callee.params, call):
                    if param not in callee.unread or not isinstance(arg, ast.Name):
                        continue
                    flow = scope.env.get(arg.id)
                    lost = sorted({o.label for o in flow.live if o.kind == MODULE and o.label not in reaching
                                   and any(trains(analysis, o, s) for s in trained)}) if flow else []
                    if not lost or (callee.key, param) in reported:
                        continue
                    reported.add((callee.key, param))
                    yield from self._report(
                        ctx, callee, call, arg,
                        f"`{callee.name}` never reads its parameter `{param}`: `{arg.id}` passed at line "
                        f"{call.lineno}{_in_file(ctx, callee)} carries the gradient of "
                        f"{', '.join(f'`{m}`' for m in lost)}, which reaches no backward and never trains")
        yield from self._through_parameters(ctx, unused, reported)

    def _through_parameters(self, ctx, unused: dict, reported: set):
        """`fit(model, loader, bad_loss, opt)` whose body backpropagates `loss = loss_fn(yb, pred)`:
        the function passed for `loss_fn` is what that call runs; a parameter of it that it never
        reads, bound there to a model's output, leaves the model without gradient from the only
        loss that backward sees."""
        analysis = ctx.analysis
        for scope in checked_scopes(analysis):  # a training function run with the model a call passes it
            node = scope.node
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name not in analysis.functions:
                continue
            params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            for call in _backpropagated_parameter_calls(scope, params):
                for callee in _passed_functions(analysis, node, params.index(call.func.id), call.func.id, unused):
                    for param, arg in _bound(callee.params, call):
                        if param not in callee.unread or not isinstance(arg, ast.Name):
                            continue
                        flow = scope.env.get(arg.id)
                        lost = sorted({o.label for o in flow.live if o.kind == MODULE}) if flow else []
                        if not lost or (callee.key, param) in reported:
                            continue
                        reported.add((callee.key, param))
                        yield from self._report(
                            ctx, callee, call, arg,
                            f"`{callee.name}` never reads its parameter `{param}`: `{node.name}`"
                            f"{_in_file(ctx, callee)} runs it as `{call.func.id}` at line {call.lineno} with "
                            f"`{arg.id}`, which carries the gradient of {', '.join(f'`{m}`' for m in lost)}; the "
                            "loss backpropagated there does not depend on it, so the model never trains")

    def _report(self, ctx, callee: "_Callee", call: ast.Call, arg: ast.Name, message: str):
        """At the function's one return: here, or in the file of an imported function (reported
        there, with this file's call as related information)."""
        related = f"`{arg.id}` is passed here"
        if callee.external is None:
            yield ctx.finding(self, ctx.span(single_return(callee.node)), message, related=[ctx.related(call, related)])
        elif callee.external.unread_span is not None:
            ctx.finding_elsewhere(self, callee.external.path, callee.external.unread_span, message,
                                  related=[(call, related)])


class _Callee(NamedTuple):
    """A function a call runs: this file's (`node`) or another file's (`external`)."""
    name: str
    params: list
    unread: set
    node: ast.AST | None = None
    external: ExternalFunction | None = None

    @property
    def key(self):
        return id(self.node) if self.external is None else self.external.qualified


def _callee(analysis, name: str, unused: dict) -> _Callee | None:
    """The function `name` runs with parameters it never reads: this file's, or one it imports."""
    local = analysis.functions.get(name)
    if local is not None:
        node = local.node
        return _Callee(name, _positional(node), unused[name], node) if name in unused else None
    external = _imported_function(analysis, name)
    if external is None or not external.unread:
        return None
    return _Callee(name, list(external.params), set(external.unread), external=external)


def _imported_function(analysis, name: str) -> ExternalFunction | None:
    """The function of another project file that the module-level name `name` imports."""
    if analysis.resolver is None or name in analysis.module_env:
        return None
    qualified = analysis.imports.aliases.get(name)
    definition = analysis.external(qualified) if qualified else None
    return definition if isinstance(definition, ExternalFunction) and not definition.called_on_class else None


def _in_file(ctx, callee: _Callee) -> str:
    """` in train.py` when the finding is shown in another file than the call's."""
    return "" if callee.external is None else f" in {os.path.basename(ctx.source.path)}"


def _positional(function: ast.AST) -> list:
    return [a.arg for a in (*function.args.posonlyargs, *function.args.args)]


def _unused_parameters(analysis) -> dict[str, set]:
    return {name: unread_parameters(callee.node) for name, callee in analysis.functions.items()}


def _backpropagated_parameter_calls(scope, params: list):
    """Calls `p(...)` of a parameter `p` of the scope's function whose result is the loss the scope
    backpropagates (`loss = loss_fn(yb, pred)` ... `loss.backward()`, `loss` assigned once)."""
    assigned: dict = {}
    for node in scope.statements:
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node)
    for subject in scope.backward_subjects:
        nodes = assigned.get(subject, [])
        if len(nodes) != 1 or not isinstance(nodes[0], ast.Assign):
            continue
        value = nodes[0].value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in params:
            yield value


def _passed_functions(analysis, function: ast.AST, position: int, name: str, unused: dict) -> list:
    """The functions (this file's or imported) every call of `function` in the file passes for
    its parameter `name`; where the file never calls it, the one every call of the project's
    other files passes (`called_arguments`)."""
    found = []
    for node in cached_walk(analysis.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function.name:
            arg = node.args[position] if position < len(node.args) and not any(
                isinstance(a, ast.Starred) for a in node.args[:position + 1]) else \
                next((k.value for k in node.keywords if k.arg == name), None)
            callee = _callee(analysis, arg.id, unused) if isinstance(arg, ast.Name) else None
            if callee is None:
                return []
            found.append(callee)
    if not found:
        passed = _passed_by_other_files(analysis, function, position, name, unused)
        found = [passed] if passed is not None else []
    return list({c.key: c for c in found}.values())


def _passed_by_other_files(analysis, function: ast.AST, position: int, name: str, unused: dict):
    ask = getattr(analysis.resolver, "called_arguments", None)
    if ask is None or analysis.importer is None:
        return None
    try:
        tags = ask(analysis.importer, function.name, position, name)
    except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
        return None
    tag = next(iter(tags)) if tags and len(tags) == 1 else ""
    if tag.startswith(LOCAL_FUNCTION_TAG):
        return _callee(analysis, tag[len(LOCAL_FUNCTION_TAG):], unused)
    if tag.startswith(EXTERNAL_FUNCTION_TAG):
        external = analysis.external(tag[len(EXTERNAL_FUNCTION_TAG):])
        if isinstance(external, ExternalFunction) and external.unread:
            return _Callee(external.qualified.rsplit(".", 1)[-1], list(external.params), set(external.unread),
                           external=external)
    return None


def _backpropagated_names(scope) -> set:
    """The names the scope's backpropagated losses are computed from, through its assignments."""
    values: dict = {}
    for node in scope.statements:
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in cached_walk(target):
                    if isinstance(name, ast.Name):
                        values.setdefault(name.id, []).append(node)
    found: set = set()
    pending = [subject for subject in scope.backward_subjects if subject.isidentifier()]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        for node in values.get(name, ()):
            pending.extend(n.id for n in cached_walk(node.value) if isinstance(n, ast.Name))
    return found


def _feeds_backward(call: ast.Call, scope, sinks: list, backpropagated: set) -> bool:
    """The call is part of what a backward of the scope differentiates: inside the backward call,
    or in the value of an assignment to a name the loss is computed from."""
    if any(call is n for s in sinks for n in cached_walk(s.node)):
        return True
    for node in scope.statements:
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(n, ast.Name) and n.id in backpropagated for t in targets for n in cached_walk(t)) \
                    and any(call is n for n in cached_walk(node.value)):
                return True
    return False


def _calls(analysis, scope: ast.AST, unused: dict):
    """(call, `_Callee`) for the calls in `scope` of a function with parameters it never reads."""
    for node in cached_walk(scope):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            callee = _callee(analysis, node.func.id, unused)
            if callee is not None:
                yield node, callee


def _bound(params: list, call: ast.Call):
    for param, arg in zip(params, call.args):
        if isinstance(arg, ast.Starred):
            return
        yield param, arg
    for keyword in call.keywords:
        if keyword.arg is not None:
            yield keyword.arg, keyword.value
