"""Custom `torch.autograd.Function`s: what `F.apply(a0, a1, ...)` passes back to each input.

Autograd does not look inside `forward` (it runs without recording); the gradient of input k
is whatever `backward` returns at position k. Where every `return` of `backward` gives the
constant `None` there, nothing ever reaches what was passed as argument k: the call cuts it,
and the break is the `None` in backward's return (GRD125). The other inputs are live: the
result carries them, as if forward computed it from them differentiably.

Only what is certain is used: each `return` of backward must be a tuple literal (no `*`) with
one element per input of forward (or, for a single input, any expression); forward's inputs
must be plain positional parameters. Anything else (a returned list built in a loop, `*args`,
a backward or forward inherited from elsewhere): the call is left to the generic handling.
Returning fewer values than inputs raises on every call (`returned an incorrect number of
gradients`): a plain error the first run shows, not a silent cut; not handled here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .values import ARGUMENT, AUTOGRAD_NONE, Break, Cut, Flow, Origin
from .walk import cached_walk

FUNCTION_BASES = ("torch.autograd.Function", "torch.autograd.function.Function",
                  "torch.autograd.function.InplaceFunction")
APPLY_TAG = "autofn:"  # the flow of `F.apply` as a value (`fn = F.apply`): "autofn:F"


@dataclass(frozen=True)
class ApplySummary:
    params: tuple      # forward's inputs, without ctx
    returns: Flow      # ARGUMENT origins named after params: live, or cut at backward's `None`
    # (input k, input j, break): k's gradient is computed only `if ctx.needs_input_grad[j]`,
    # so a call passing input j something that needs no gradient cuts input k
    gated: tuple = ()

    def for_call(self, gradient_free: set) -> Flow:
        """The returns of a call whose inputs named in `gradient_free` carry no gradient."""
        cut = {(k, brk) for k, j, brk in self.gated if j in gradient_free and k not in gradient_free}
        if not cut:
            return self.returns
        names = {k for k, _ in cut}
        return Flow(frozenset(o for o in self.returns.live if o.label not in names),
                    self.returns.cuts | {Cut(Origin(k, ARGUMENT), brk) for k, brk in cut},
                    self.returns.tags, self.returns.items, self.returns.element, self.returns.keys)


def is_autograd_function(analysis, node: ast.ClassDef, seen: frozenset = frozenset()) -> bool:
    """`class F(torch.autograd.Function)`, directly or through a class of this file."""
    for base in node.bases:
        qualified = analysis.imports.qualify(base)
        if qualified in FUNCTION_BASES:
            return True
        name = base.id if isinstance(base, ast.Name) else None
        local = analysis.classes.get(name) if name else None
        if local is not None and name not in seen and is_autograd_function(analysis, local.node, seen | {name}):
            return True
    return False


def apply_summary(analysis, info) -> ApplySummary | None:
    """What `info`'s `apply` does to its arguments' gradient, or None where that is not certain."""
    if not is_autograd_function(analysis, info.node):
        return None
    forward = _own_method(info.node, "forward")
    backward = _own_method(info.node, "backward") or _own_method(info.node, "vjp")
    if forward is None or backward is None:
        return None
    params = _inputs(info.node, forward)
    if not params:
        return None
    returns = [r for r in _returns(backward.body)]
    if not returns:
        return None
    nones: list[list[ast.Constant]] = [[] for _ in params]
    for ret in returns:
        values = _returned_values(ret.value, len(params))
        if values is None:
            return None
        for k, value in enumerate(values):
            if isinstance(value, ast.Constant) and value.value is None:
                nones[k].append(value)
    live, cuts = set(), set()
    for k, name in enumerate(params):
        origin = Origin(name, ARGUMENT)
        if len(nones[k]) == len(returns):
            cuts.add(Cut(origin, _break(analysis, name, nones[k][0], f"`{info.name}.backward`, which returns None for it")))
        else:
            live.add(origin)
    gated = _gated_inputs(analysis, info.name, backward, params, returns)
    return ApplySummary(tuple(params), Flow(frozenset(live), frozenset(cuts)), gated)


def _gated_inputs(analysis, class_name: str, backward: ast.FunctionDef, params: list, returns: list) -> tuple:
    """(input k, input j, break) where every return gives, at position k, a variable that is
    None except where an `if ctx.needs_input_grad[j]:` (j not k) sets it."""
    if not backward.args.args:
        return ()
    ctx = backward.args.args[0].arg
    guarded = _assignments_by_needs_input_grad(backward, ctx)
    found = []
    values = [_returned_values(ret.value, len(params)) for ret in returns]
    for k, name in enumerate(params):
        variables = {v[k].id for v in values if v is not None and isinstance(v[k], ast.Name)}
        if len(variables) != 1 or any(v is None or not isinstance(v[k], ast.Name) for v in values):
            continue
        variable = variables.pop()
        indices, tests = set(), []
        for node in cached_walk(backward):
            if not (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == variable
                                                           for t in node.targets)):
                continue
            if isinstance(node.value, ast.Constant) and node.value.value is None:
                continue
            gate = guarded.get(id(node))
            if gate is None:
                indices = set()
                break
            indices.add(gate[0])
            tests.append(gate[1])
        if len(indices) == 1 and (j := indices.pop()) != k and j < len(params):
            found.append((name, params[j], _break(
                analysis, name, tests[0], f"`{class_name}.backward`, which computes it only when input {j} "
                f"(`{params[j]}`) needs a gradient")))
    return tuple(found)


def _assignments_by_needs_input_grad(backward: ast.FunctionDef, ctx: str) -> dict:
    """id(assignment) -> (j, the test) for the assignments inside `if ctx.needs_input_grad[j]:`."""
    found = {}
    for node in cached_walk(backward):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if (isinstance(test, ast.Subscript) and isinstance(test.value, ast.Attribute)
                and test.value.attr == "needs_input_grad" and isinstance(test.value.value, ast.Name)
                and test.value.value.id == ctx and isinstance(test.slice, ast.Constant)
                and isinstance(test.slice.value, int)):
            for stmt in node.body:
                for inner in cached_walk(stmt):
                    if isinstance(inner, ast.Assign):
                        found.setdefault(id(inner), (test.slice.value, test))
    return found


def _break(analysis, param: str, node: ast.AST, description: str) -> Break:
    """The one break at `node` (backward's `None`, or the `needs_input_grad` test) cutting `param`."""
    key = (node, AUTOGRAD_NONE)
    existing = analysis.breaks.get(key)
    if existing is None:
        existing = analysis.breaks[key] = Break(AUTOGRAD_NONE, node, (), description, subject_text=param)
    return existing


def _own_method(node: ast.ClassDef, name: str):
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == name:
            return item
    return None


def _inputs(cls: ast.ClassDef, forward: ast.FunctionDef) -> list[str] | None:
    """forward's inputs: its positional parameters less `ctx` (none to drop where the class
    sets the context up in `setup_context`)."""
    args = forward.args
    if args.vararg is not None or args.kwonlyargs or args.kwarg is not None:
        return None
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    if _own_method(cls, "setup_context") is None:
        names = names[1:]
    return names


def _returns(body: list):
    """The `return` statements of a function body, nested functions and classes excluded."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Return):
            yield node
            continue
        stack.extend(ast.iter_child_nodes(node))


def _returned_values(value: ast.AST | None, count: int) -> list | None:
    """The gradients one `return` gives, one per input; None where the count is not certain."""
    if value is None:
        return None
    if isinstance(value, ast.Tuple):
        if len(value.elts) != count or any(isinstance(e, ast.Starred) for e in value.elts):
            return [value] if count == 1 else None
        return list(value.elts)
    return [value] if count == 1 else None


def apply_call_flows(call: ast.Call, summary: ApplySummary, evaluate) -> dict | None:
    """The flows passed to forward's inputs by `call`, by position; None for keywords or `*`."""
    if call.keywords or any(isinstance(a, ast.Starred) for a in call.args) or len(call.args) != len(summary.params):
        return None
    return {name: evaluate(arg) for name, arg in zip(summary.params, call.args)}
