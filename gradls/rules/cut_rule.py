"""Shared reporting for the rules that flag a break on the path from a source to a sink.

GRD101-GRD106 differ only in the kind of break they report and the fix they offer.
"""

from __future__ import annotations

import ast
import os

from ..analysis.cuts import CutReport
from ..analysis.external import ForeignSink
from ..analysis.values import ARGUMENT
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
            yield ctx.finding(
                self,
                self.span_of(ctx, report),
                self.message(report),
                "error" if report.total else "warning",
                self.fix(ctx, report),
                self.related(ctx, report),
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

    def message(self, report: CutReport) -> str:
        brk = report.brk
        lost = _names(report.lost)
        sink = report.sinks[0]
        where = f"{sink.description} ({_place(sink)})"
        subject = f"`{_shorten(brk.subject)}`" if brk.subject else "the value"
        cause = f"{subject} {self.verb} by {brk.description}"
        if report.total:
            return (f"{lost} get{'s' if len(report.lost) == 1 else ''} no gradient from {where}: "
                    f"{cause}, so nothing trainable reaches it (backward raises or nothing trains)")
        still = _names(report.survivors[:3])
        verb = "still trains" if len(report.survivors) == 1 else "still train"
        tail = f"; {still} {verb}" if report.survivors else ""
        return f"{lost} get{'s' if len(report.lost) == 1 else ''} no gradient from {where}: {cause}{tail}"

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
