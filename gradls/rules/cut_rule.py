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

    def check(self, ctx: RuleContext):
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
