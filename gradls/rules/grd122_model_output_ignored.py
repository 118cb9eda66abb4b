from __future__ import annotations

import ast

from ..analysis.cuts import checked_scopes
from ..analysis.values import MODULE
from .base import Rule, RuleContext
from ..analysis.walk import cached_walk


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
to the same `backward()`. Typically the body reads another variable by mistake (a global with
the input, a name from an older version of the code).

The function may also reach the model's output through a parameter of a training function: in
`fit(model, loader, bad_loss, optimizer)` whose body backpropagates `loss = loss_fn(yb, pred)`,
`bad_loss` is what that call runs (every call of `fit` in the file passes it), and a parameter of
it bound to `pred` that it never reads leaves the model without gradient from that loss.

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
        if not unused:
            return
        reported: set = set()
        for scope in checked_scopes(analysis):  # a training function run with the model a call passes it
            trained = [s for s in scope.sinks if s.kind == "backward"]
            if not trained:
                continue
            reaching = {o.label for s in trained for o in s.flow.live}
            for call in _calls(scope.node, unused):
                function = analysis.functions[call.func.id].node
                for param, arg in _bound(function, call):
                    if param not in unused[call.func.id] or not isinstance(arg, ast.Name):
                        continue
                    flow = scope.env.get(arg.id)
                    lost = sorted({o.label for o in flow.live if o.kind == MODULE} - reaching) if flow else []
                    if not lost or (id(function), param) in reported:
                        continue
                    reported.add((id(function), param))
                    yield ctx.finding(
                        self, ctx.span(_anchor(function)),
                        f"`{function.name}` never reads its parameter `{param}`: `{arg.id}` passed at line "
                        f"{call.lineno} carries the gradient of {', '.join(f'`{m}`' for m in lost)}, which reaches "
                        "no backward and never trains",
                        related=[ctx.related(call, f"`{arg.id}` is passed here")],
                    )
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
                for function in _passed_functions(analysis, node, params.index(call.func.id), call.func.id, unused):
                    for param, arg in _bound(function, call):
                        if param not in unused[function.name] or not isinstance(arg, ast.Name):
                            continue
                        flow = scope.env.get(arg.id)
                        lost = sorted({o.label for o in flow.live if o.kind == MODULE}) if flow else []
                        if not lost or (id(function), param) in reported:
                            continue
                        reported.add((id(function), param))
                        yield ctx.finding(
                            self, ctx.span(_anchor(function)),
                            f"`{function.name}` never reads its parameter `{param}`: `{node.name}` runs it as "
                            f"`{call.func.id}` at line {call.lineno} with `{arg.id}`, which carries the gradient of "
                            f"{', '.join(f'`{m}`' for m in lost)}; the loss backpropagated there does not depend on "
                            "it, so the model never trains",
                            related=[ctx.related(call, f"`{arg.id}` is passed here")],
                        )


def _unused_parameters(analysis) -> dict[str, set]:
    found = {}
    for name, callee in analysis.functions.items():
        node = callee.node
        params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
        read = {n.id for n in cached_walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        if _is_stub(node):
            continue
        found[name] = {p for p in params if p not in read and not p.startswith("_")}
    return found


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


def _passed_functions(analysis, function: ast.AST, position: int, name: str, unused: dict):
    """The local functions every call of `function` in the file passes for its parameter `name`."""
    found = []
    for node in cached_walk(analysis.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function.name:
            arg = node.args[position] if position < len(node.args) and not any(
                isinstance(a, ast.Starred) for a in node.args[:position + 1]) else \
                next((k.value for k in node.keywords if k.arg == name), None)
            if not (isinstance(arg, ast.Name) and arg.id in unused):
                return []
            found.append(analysis.functions[arg.id].node)
    return list({id(f): f for f in found}.values())


def _is_stub(function: ast.AST) -> bool:
    body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return not body or all(isinstance(s, (ast.Raise, ast.Pass)) for s in body)


def _calls(scope: ast.AST, functions: dict):
    for node in cached_walk(scope):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            yield node


def _bound(function: ast.FunctionDef, call: ast.Call):
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    for param, arg in zip(params, call.args):
        if isinstance(arg, ast.Starred):
            return
        yield param, arg
    for keyword in call.keywords:
        if keyword.arg is not None:
            yield keyword.arg, keyword.value


def _anchor(function: ast.FunctionDef) -> ast.AST:
    """The return statement whose value ignores the parameter, else the signature."""
    returns = [n for n in cached_walk(function) if isinstance(n, ast.Return) and n.value is not None]
    return returns[-1] if len(returns) == 1 else function
