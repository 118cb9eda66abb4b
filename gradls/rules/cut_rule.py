"""Shared reporting for the rules that flag a break on the path from a source to a sink.

GRD101-GRD106 differ only in the kind of break they report and the fix they offer.
"""

from __future__ import annotations

import ast
import os

from ..analysis.cuts import CutReport
from ..analysis.external import ForeignSink
from ..analysis.values import ARGUMENT
from ..analysis.walk import cached_walk
from ..model import Fix, Related, Span
from .base import Rule, RuleContext


class CutRule(Rule):
    break_kind: str = ""
    verb: str = "cut"  # "is detached", "is converted to a Python number"
    # GRD103 (True) and GRD104 (False) also report the copies the training script's setup
    # evaluation saw reach its first backward (`setup_copies`); None: the rule reports none
    copies_of_list: bool | None = None

    def check(self, ctx: RuleContext):
        yield from self._cut_findings(ctx)
        yield from self.setup_copies(ctx)

    def _cut_findings(self, ctx: RuleContext):
        for report in ctx.cuts:
            if report.brk.kind != self.break_kind:
                continue
            faulty, helper = _calls_passing_the_lost(ctx, report)
            if faulty:
                yield from self._at_faulty_calls(ctx, report, faulty, helper)
                continue
            yield ctx.finding(
                self,
                self.span_of(ctx, report),
                self.message(report),
                "error" if report.total else "warning",
                self.fix(ctx, report),
                self.related(ctx, report),
            )

    def _at_faulty_calls(self, ctx: RuleContext, report: CutReport, calls: list, helper: ast.FunctionDef):
        """The helper is right for what its other calls give it: each call that gives it a trained
        value is the fault, with the helper's break as related information."""
        for call in calls:
            text = f"`{_shorten(ast.unparse(call))}` runs `{helper.name}`, where {self._cause(report.brk)} " \
                   f"(line {report.brk.node.lineno})"
            yield ctx.finding(
                self,
                ctx.span(call),
                self.message(report, cause=text),
                "error" if report.total else "warning",
                None,
                [ctx.related(report.brk.node, f"`{helper.name}` cuts what it is given here, as its other "
                                              "calls want"), *self.related(ctx, report)],
            )

    def span_of(self, ctx: RuleContext, report: CutReport) -> Span:
        """For a method break (`x.detach()`, `x.data`) the method part; else the whole expression."""
        node = report.brk.node
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr not in ("tensor",):
            if ctx.analysis.imports.qualify(node.func) is None:
                return ctx.source.span_between(node.func.value, node)
        if isinstance(node, ast.Attribute):
            return ctx.source.span_between(node.value, node)
        return ctx.span(node)

    def fix(self, ctx: RuleContext, report: CutReport) -> Fix | None:
        return None

    def setup_copies(self, ctx: RuleContext):
        return setup_copy_findings(self, ctx)

    def message(self, report: CutReport, cause: str = "") -> str:
        lost = _names(report.lost)
        sink = report.sinks[0]
        where = f"{sink.description} ({_place(sink)})"
        cause = cause or self._cause(report.brk)
        if report.total:
            return (f"{lost} get{'s' if len(report.lost) == 1 else ''} no gradient from {where}: "
                    f"{cause}, so nothing trainable reaches it (backward raises or nothing trains)")
        still = _names(report.survivors[:3])
        verb = "still trains" if len(report.survivors) == 1 else "still train"
        tail = f"; {still} {verb}" if report.survivors else ""
        return f"{lost} get{'s' if len(report.lost) == 1 else ''} no gradient from {where}: {cause}{tail}"

    def _cause(self, brk) -> str:
        subject = f"`{_shorten(brk.subject)}`" if brk.subject else "the value"
        return f"{subject} {self.verb} by {brk.description}"

    def related(self, ctx: RuleContext, report: CutReport):
        items = []
        for origin in report.lost[:3]:
            if origin.line and origin.kind != ARGUMENT:
                items.append(_line_related(ctx, origin.line, f"`{origin.label}` carries gradient from here"))
        for sink in report.sinks[:3]:
            if isinstance(sink, ForeignSink):  # the training script's backward, in another file
                items.append(Related(Span(*sink.span), f"reaches {sink.description} only through the break",
                                     sink.path))
            else:
                items.append(ctx.related(sink.node, f"reaches {sink.description} only through the break"))
        return items


def _calls_passing_the_lost(ctx: RuleContext, report: CutReport) -> tuple[list, ast.AST | None]:
    """A function of the file that cuts what it is given (`get_logits(net, x)` running `net(x)`
    under `no_grad`) is right for the value its other calls give it (a frozen teacher) and wrong
    where a call gives it a trained one: ([those calls], the function) when some calls give it
    the values that lost gradient and others give it something else; else ([], None)."""
    node = report.brk.node
    helper = _top_level_function_around(ctx.tree, node) if node is not None else None
    if helper is None:
        return [], None
    params = [a.arg for a in helper.args.posonlyargs + helper.args.args]
    subject = report.brk.subject_node or node
    cut_params = [p for p in params if any(type(n) is ast.Name and n.id == p for n in ast.walk(subject))]
    lost = {o.label for o in report.lost}
    if not cut_params or not lost:
        return [], None
    faulty, other = [], []
    for call in _calls_of(ctx.tree, helper.name):
        passed = {_passed_text(call, params, p) for p in cut_params}
        if passed & lost:
            faulty.append(call)
        elif None not in passed:
            other.append(call)
    return (faulty, helper) if faulty and other else ([], None)


def _top_level_function_around(tree: ast.Module, node: ast.AST):
    line = node.lineno
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef) and statement.lineno <= line <= (statement.end_lineno or line):
            return statement
    return None


def _calls_of(tree: ast.Module, name: str):
    return [n for n in cached_walk(tree) if type(n) is ast.Call and type(n.func) is ast.Name and n.func.id == name]


def _passed_text(call: ast.Call, params: list, param: str) -> str | None:
    """The expression `call` passes for `param`, as written; None when it cannot be told."""
    if any(type(a) is ast.Starred for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    for keyword in call.keywords:
        if keyword.arg == param:
            return ast.unparse(keyword.value)
    index = params.index(param)
    return ast.unparse(call.args[index]) if index < len(call.args) else None


def _place(sink) -> str:
    if isinstance(sink, ForeignSink):
        return f"{os.path.basename(sink.path)} line {sink.line}"
    return f"line {sink.node.lineno}"


def _line_related(ctx: RuleContext, line: int, message: str):
    from ..model import Related

    text = ctx.source.line_text(line)
    indent = len(text) - len(text.lstrip())
    return Related(Span(line, indent + 1, line, len(text.rstrip("\r\n")) + 1), message)


def _names(origins) -> str:
    labels = [f"`{o.label}`" for o in origins[:3]]
    more = f" and {len(origins) - 3} more" if len(origins) > 3 else ""
    return ", ".join(labels) + more


def _shorten(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def method_suffix_span(ctx: RuleContext, call: ast.AST) -> Span | None:
    """For `x.detach()`, the span of `.detach()`: from the end of `x` to the end of the call."""
    func = call.func if isinstance(call, ast.Call) else call
    receiver = func.value if isinstance(func, ast.Attribute) else None
    if receiver is None:
        return None
    return ctx.source.span_between(receiver, call)


def _copy_places(ctx: RuleContext) -> set:
    """The copies the flow analysis reports already, from this file or as another file's root
    cause: (path or None for this file, line, column)."""
    from ..analysis.cuts import gradient_cuts

    places = {(None, r.brk.node.lineno, r.brk.node.col_offset) for r in ctx.cuts if r.brk.node is not None}
    if ctx.resolver is None:
        return places
    for report in gradient_cuts(ctx.analysis):
        breaks = [report.brk, *(c.brk for sink in report.sinks for c in sink.flow.cuts)]
        places |= {(b.external[1], b.external[2], b.external[3]) for b in breaks if len(b.external) > 3}
    return places


def setup_copy_findings(rule: CutRule, ctx: RuleContext):
    """`torch.tensor([0, self.amplitude, self.amplitude, 0])` in a method of a plain class,
    whose object the training script built with a tensor requiring grad (through a factory, in
    another file): the setup evaluation (gradls/analysis/objects.py) ran the script up to its
    first backward on the objects it builds, followed the tensors requiring grad and saw the
    copy reach the loss. Reported where the copy is (in another file: as its root cause)."""
    from ..analysis.external import runs_project_setup

    if rule.copies_of_list is None or not (ctx.mentions(("backward",)) or runs_project_setup(ctx)):
        return
    if ctx.resolver is None and not ctx.mentions(("tensor(", "Tensor(", "Variable(")):
        return  # this file alone: the copy would have to be in it
    world = ctx.world
    events = [e for e in world.events if e.kind == "gradient-copy" and e.detail["list"] == rule.copies_of_list]
    if not events:
        return
    places = _copy_places(ctx)
    for event in events:
        path = world.path_of(event.node)
        where = ctx.resolver.display(path) if path is not None and ctx.resolver is not None else None
        if (where, event.node.lineno, event.node.col_offset) in places:
            continue
        finding = ctx.world_finding(rule, event.node, _copy_message(ctx, event),
                                    [(event.detail["backward"], "the backward it reaches")])
        if finding is not None:
            yield finding


def _copy_message(ctx: RuleContext, event) -> str:
    node, backward = event.node, event.detail["backward"]
    lost = [f"the tensor requiring grad made at {ctx.world_line(t.node, node)}" if getattr(t, "node", None)
            else "a trained parameter" for t in event.detail["lost"]]
    names = ", ".join(sorted(set(lost))[:3])
    what = "tensors requiring grad" if event.detail["list"] else "a tensor requiring grad"
    text = f"`{_shorten(ast.unparse(node))}` copies {what} without their history: {names} " \
           f"get{'s' if len(lost) == 1 else ''} no gradient from `{_shorten(ast.unparse(backward), 30)}` " \
           f"({ctx.world_line(backward, node)})"
    if event.detail["total"]:
        return text + ", which raises: nothing requiring grad reaches its loss; use `torch.stack` / `.clone()`"
    return text + "; use `torch.stack` / `.clone()`"
