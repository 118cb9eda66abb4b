"""Facts about code in other files, as the analysis of one file consumes them.

A resolver (the cross-module pass, built on jedi) answers "what is `losses.focal_loss`?"
with an `ExternalFunction` or `ExternalClass`: the same summaries the analysis computes for
local code, exported from the analysis of the defining file; a name bound once at top level
to a module, a loss or a callable is an `ExternalInstance`, and `models.model.parameters` an
`ExternalMember` of one.

A break inside another file is reported AT ITS ROOT CAUSE, in the file that holds it: the
importer's analysis keeps the break's real place (`Break.external`: path and position in the
defining file) on the cut, its cut reports become `Confirmation`s (which break, which of this
file's backward calls it cuts), and the check of the defining file turns each confirmation of
one of its own breaks into a report of its own (`root_cause_reports`), with the training
script's backward as related information. The importer reports nothing for it: one finding,
however many files import the defining one.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Protocol

from .lazy import Deferred, LazyMapping
from .values import NO_GRAD, Break, Cut, Flow, Origin
from .walk import cached_walk, single_return, unread_parameters


@dataclass(frozen=True)
class ExternalFunction:
    qualified: str
    path: str
    line: int
    params: tuple[str, ...]      # without `self` for methods
    returns: Flow                # ARGUMENT origins named after params; breaks have node=None
    hazards: tuple = ()          # `Hazard`s: in-place changes of saved tensors a call of it makes
    modifies: tuple = ()         # (parameter, `Hazard`): it changes the tensor passed there in place
    # what it returns to a call leaving the parameters in `defaulted` at their literal defaults,
    # which its `if` tests read (`forward(x, return_feats=False)`): those tests go one way
    default_returns: Flow | None = None
    defaulted: tuple = ()
    # what it returns depends on whether an argument needs a gradient (a custom autograd
    # Function gating a gradient on `ctx.needs_input_grad`, a reentrant checkpoint), here or in a
    # layer of another file it runs: a call passing data asks for it so (`specialized_method`)
    gated: bool = False
    # a static or class method: called through its class (`Losses.focal(pred, y)`), its
    # parameters take the call's arguments as a function's do
    called_on_class: bool = False
    # the parameters its body never reads, and the span (line, column, end line, end column)
    # of its one return (else of the function): a loss ignoring the prediction (GRD122)
    unread: tuple = ()
    unread_span: tuple | None = None
    # a method reading `self.training`: on a module put in eval mode it runs otherwise
    # (`specialized_method` with `in_eval`)
    reads_training: bool = False
    # the statement that leaves grad off when it returns (`torch.set_grad_enabled(False)`), as
    # an exported break: what its caller computes afterwards is cut there
    grad_off: Break | None = None

    def returns_for(self, call: ast.Call) -> Flow:
        """What it returns to `call` (positional arguments bound to `params` in order)."""
        if self.default_returns is None or any(isinstance(a, ast.Starred) for a in call.args) \
                or any(k.arg is None or k.arg in self.defaulted for k in call.keywords) \
                or any(name in self.defaulted for name in self.params[:len(call.args)]):
            return self.returns
        return self.default_returns


@dataclass(frozen=True)
class ExternalClass:
    qualified: str
    path: str
    line: int
    is_module: bool
    is_loss: bool
    has_parameters: bool
    # name -> ExternalFunction: a `LazyMapping` where exported (each method summarised when read)
    methods: Mapping = field(default_factory=dict)
    # the attributes its own methods freeze (`self.backbone.requires_grad_(False)`): a tuple, or
    # a `Deferred` one (all its methods summarised when first read)
    freezes: Deferred | tuple = ()
    # a plain class watching the model given to it with forward hooks: its `HookEffect`s, and the
    # parameters of its `__init__` (to find the model a construction passes)
    watches: tuple = ()
    init_params: tuple = ()

    @property
    def frozen(self) -> tuple:
        return self.freezes.value() if isinstance(self.freezes, Deferred) else self.freezes

    def complete(self) -> bool:
        """Is everything it says computed (nothing lost when pickled)?"""
        return (not isinstance(self.methods, LazyMapping) or self.methods.complete()) \
            and (not isinstance(self.freezes, Deferred) or self.freezes.known)

    def attach(self, members: "ClassMembers") -> None:
        """Compute what it does not know yet with `members` (after loading it from the store)."""
        class_name = self.qualified.rsplit(".", 1)[-1]
        if isinstance(self.methods, LazyMapping):
            self.methods.compute = partial(members.method, class_name)
        if isinstance(self.freezes, Deferred):
            self.freezes.compute = partial(members.frozen, class_name)


class ClassMembers(Protocol):
    """Computes the parts of a file's exported classes an importer reads (the resolver, holding
    the file's analysis): one method, or the attributes the class's own methods freeze."""
    def method(self, class_name: str, method: str) -> "ExternalFunction | None": ...
    def frozen(self, class_name: str) -> tuple: ...


@dataclass(frozen=True)
class HookEffect:
    """What a forward hook a plain class registers on a model given to its constructor leaves in
    one attribute of the object (`self.features[name] = output.detach()`): `written`, a flow of
    the hook's `inputs` and `output` parameters, substituted at each call of the model."""
    param: str       # the `__init__` parameter holding the watched model
    attribute: str   # `features`
    written: Flow
    inputs: str
    output: str


MODULE_INSTANCE = "module"      # an nn.Module with parameters: `model = Net()`, `model = nn.Linear(8, 1)`
LOSS_INSTANCE = "loss"          # a parameterless module: `criterion = nn.MSELoss()`, `criterion = DiceLoss()`
FUNCTION_ALIAS = "function"     # `loss_fn = my_loss`, `criterion = functools.partial(F.mse_loss, ...)`

# Libraries whose names the analysis knows by heart: an alias of one of them is followed by name.
LIBRARY_PREFIXES = ("torch.", "numpy.", "math.", "scipy.", "torchvision.", "einops.", "kornia.")


@dataclass(frozen=True)
class ExternalInstance:
    """A name another file binds once at top level to an object or a callable."""
    qualified: str
    path: str
    line: int
    kind: str                    # MODULE_INSTANCE, LOSS_INSTANCE or FUNCTION_ALIAS
    of: ExternalClass | ExternalFunction | None = None  # the project class it instantiates or function it aliases
    target: str = ""             # the library name it instantiates or aliases: `torch.nn.functional.mse_loss`


@dataclass(frozen=True)
class ExternalMember:
    """`models.model.parameters`: an attribute of an imported instance."""
    instance: ExternalInstance
    attribute: str


class Resolver(Protocol):
    def resolve(self, qualified: str, importer: str) -> ExternalFunction | ExternalClass | ExternalInstance \
            | ExternalMember | None:
        """`qualified` as imported in the file at path `importer` (`.losses.dice` for relative)."""


def export_flow(flow: Flow, path: str, where: str) -> Flow:
    """A flow of another file, its breaks detached from that file's syntax tree."""
    cuts = frozenset(replace(c, origin=_export_origin(c.origin), brk=_export_break(c.brk, path, where))
                     for c in flow.cuts)
    items = tuple(export_flow(item, path, where) for item in flow.items)
    return Flow(frozenset(_export_origin(o) for o in flow.live), cuts, flow.tags, items, keys=flow.keys)


def _export_origin(origin: Origin) -> Origin:
    """Without its anchor: a node of another file's tree means nothing here (and would be pickled)."""
    return Origin(origin.label, origin.kind) if origin.anchor is not None else origin


def _export_break(brk: Break, path: str, where: str) -> Break:
    if brk.external:  # a break of a third file, reached through a call here: it keeps its own place
        return Break(brk.kind, None, brk.external, brk.description, subject_text=brk.subject)
    if brk.node is None:
        return brk
    line = brk.node.lineno
    description = f"{brk.description} in `{where}` ({path}:{line})"
    return Break(brk.kind, None, ("external", path) + brk.key, description, subject_text=brk.subject)


def localize(program, flow: Flow, call: ast.Call) -> Flow:
    """Cuts made in another file, anchored at the call that reaches them from this file (for
    ordering and grouping), their break still naming its real place (`Break.external`)."""
    if not any(c.brk.node is None for c in flow.cuts) and not flow.items:
        return flow
    cuts = frozenset(_localize_cut(program, c, call) for c in flow.cuts)
    items = tuple(localize(program, item, call) for item in flow.items)
    return Flow(flow.live, cuts, flow.tags, items, keys=flow.keys)


def _localize_cut(program, cut: Cut, call: ast.Call) -> Cut:
    return cut if cut.brk.node is not None else replace(cut, brk=localized_break(program, cut.brk, call))


def localized_break(program, brk: Break, call: ast.Call) -> Break:
    """Another file's break (`brk.external`) anchored at the call of this file that reaches it."""
    key = (call, brk.kind, brk.external)  # one break per call and root cause
    local = program.breaks.get(key)
    if local is None:
        local = program.breaks[key] = Break(brk.kind, call, brk.external, brk.description, subject_text=brk.subject)
    return local


def is_foreign(brk: Break) -> bool:
    """A break whose root cause is in another file (reported there, never here)."""
    return bool(brk.external)


# ----- root causes: a break of this file that another file's backward reaches ----------------


@dataclass(frozen=True)
class ForeignSink:
    """A backward in another file (the training script) that a break of this file cuts."""
    path: str                    # absolute
    span: tuple                  # (line, column, end line, end column), 1-based columns
    description: str             # "`loss.backward()`"
    kind: str = "backward"

    @property
    def line(self) -> int:
        return self.span[0]


@dataclass(frozen=True)
class Confirmation:
    """One break of `path` (root-relative, as `Break.external` names it) at `key` that cuts
    what the training script `sinks` belong to backpropagates."""
    path: str
    key: tuple                   # (line, col, end line, end col, kind) in the defining file
    total: bool
    lost: tuple                  # labels (as the training script names them) that lose gradient
    sinks: tuple                 # ForeignSink
    survivors: tuple = ()


@dataclass(frozen=True)
class SetupRootCause:
    """A finding of the training script's setup evaluation (gradls/analysis/objects.py) whose
    faulty statement is in `path` (root-relative): a helper there freezing every parameter the
    script's optimizer filters for, say. Reported by that file, like a `Confirmation`."""
    path: str
    code: str
    span: tuple                  # (line, column, end line, end column), 1-based columns
    message: str
    sinks: tuple                 # ForeignSink: the training script's places (its optimizer)
    severity: str = "error"


def setup_root_cause(resolver, trainer: str, rule, path: str, text: str, node, message: str,
                     related=()) -> SetupRootCause:
    """`rule`'s finding at `node` of the project file at `path` (absolute), found by the setup
    evaluation of the training script at `trainer` (absolute); `related`: (node of the training
    script, description) pairs."""
    from .source import SourceFile

    span = SourceFile(text, path).span(node)
    return root_cause_at(resolver, trainer, rule, path, (span.line, span.column, span.end_line, span.end_column),
                         message, related)


def root_cause_at(resolver, trainer: str, rule, path: str, span: tuple, message: str, related=()) -> SetupRootCause:
    """`setup_root_cause` at a `span` (line, column, end line, end column) of the file at `path`."""
    sinks = tuple(ForeignSink(trainer, _span_of(where), description, kind="setup") for where, description in related
                  if getattr(where, "lineno", None) is not None)
    return SetupRootCause(resolver.display(path), rule.code, span, message, sinks, rule.default_severity)


# rules whose findings may be statements of other files (`world_finding`, GRD109's `Hazard`s);
# a rule with a `setup_copies` part runs only that part here (its flow findings are the
# confirmations')
SETUP_RULES = ("GRD103", "GRD104", "GRD109", "GRD110", "GRD116", "GRD118", "GRD119", "GRD122")


def setup_root_causes(tree, text: str, analysis, resolver) -> list:
    """The training script's setup findings in other files, when the resolver analyses it
    itself (the editor opened only the helper's file): its setup-evaluating rules run."""
    from ..rules import RuleContext, registry
    from .source import SourceFile

    if "backward" not in text and "training_step" not in text:
        return []
    context = RuleContext(SourceFile(text, analysis.source.path), tree, resolver)
    context.__dict__["analysis"] = analysis
    try:
        for rule in registry:
            if rule.code in SETUP_RULES:
                for _ in getattr(rule, "setup_copies", rule.check)(context):
                    pass
        return list(context.foreign)
    finally:
        context.release()


def runs_project_setup(context) -> bool:
    """A program's entry point checked with the cross-module pass: it may build the model and
    hand it to another file's trainer, whose setup its evaluation runs (`setup_findings`)."""
    return context.resolver is not None and "__main__" in context.source.text


def setup_findings(context, settings) -> list:
    """The other files' training scripts' setup findings whose statement is in this file, and
    (recorded for them) this training script's own findings in other files."""
    import os

    from ..model import Finding, Related, Span

    resolver = context.resolver
    if resolver is None:
        return []
    path = os.path.abspath(context.analysis.importer)
    record = getattr(resolver, "record_setup_root_causes", None)
    if record is not None and (context.world_used or context.foreign) and resolver.checks_first(context.source.text):
        try:  # a training script: what its setup showed in other files (or that it shows none now)
            record(path, context.source.text, list(context.foreign))
        except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
            pass
    confirmations = context.__dict__.get("confirmations")  # asked already for the cut reports
    if confirmations is None:
        ask = getattr(resolver, "confirmations_for", None)
        if ask is None:
            return []
        try:
            confirmations = ask(path, context.source.text)
        except Exception:  # noqa: BLE001
            return []
    found = [c for c in confirmations if isinstance(c, SetupRootCause)]
    findings, seen = [], set()
    for cause in found:
        if not settings.is_enabled(cause.code):
            continue
        key = (cause.code, cause.span, cause.message)
        if key in seen:
            continue
        seen.add(key)
        related = tuple(Related(Span(*sink.span), sink.description, sink.path) for sink in cause.sinks)
        findings.append(Finding(cause.code, cause.message, Span(*cause.span), cause.severity,
                                context.source.path, None, related))
    return findings


def confirmations_from(reports, importer: str) -> list[Confirmation]:
    """The cut reports of the file at `importer` (absolute) whose break lies in another file."""
    found = []
    for report in reports:
        if not is_foreign(report.brk):
            continue
        sinks = tuple(ForeignSink(importer, _span_of(sink.node), sink.description)
                      for sink in report.sinks if getattr(sink, "node", None) is not None)
        # the report groups the breaks reached through one call; each is a root cause of its own
        lost = {o.label for o in report.lost}
        roots = sorted({c.brk.external for sink in report.sinks for c in sink.flow.cuts
                        if c.brk.key == report.brk.key and is_foreign(c.brk) and c.origin.label in lost
                        and not c.shadowed} | {report.brk.external})
        for external in roots:
            if len(external) < 3:
                continue
            found.append(Confirmation(external[1], tuple(external[2:]), report.total,
                                      tuple(o.label for o in report.lost), sinks,
                                      tuple(o.label for o in report.survivors)))
    return found


def _span_of(node: ast.AST) -> tuple:
    return (node.lineno, node.col_offset + 1, getattr(node, "end_lineno", node.lineno) or node.lineno,
            (getattr(node, "end_col_offset", node.col_offset) or node.col_offset) + 1)


def root_cause_reports(analysis, confirmations) -> list:
    """Cut reports for this file's own breaks that other files' training code confirmed."""
    from .cuts import CutReport

    if not confirmations:
        return []
    by_key: dict = {}
    for confirmation in confirmations:
        if not isinstance(confirmation, Confirmation):
            continue
        by_key.setdefault(confirmation.key, []).append(confirmation)
    _interpret_around(analysis, {key[0] for key in by_key})
    own = {brk.key: brk for brk in list(analysis.breaks.values()) if brk.node is not None and not brk.external}
    reports = []
    for key, group in sorted(by_key.items()):
        brk = own.get(key)
        if brk is None:
            continue
        report = CutReport(brk, total=any(c.total for c in group))
        for confirmation in group:
            for label in confirmation.lost:
                if label not in {o.label for o in report.lost}:
                    report.lost.append(Origin(label, MODULE_ORIGIN))
            for sink in confirmation.sinks:
                if sink not in report.sinks:
                    report.sinks.append(sink)
            if not report.total:
                for label in confirmation.survivors:
                    if label not in {o.label for o in report.survivors}:
                        report.survivors.append(Origin(label, MODULE_ORIGIN))
        if report.sinks:
            reports.append(report)
    return reports


MODULE_ORIGIN = "module"


def _interpret_around(analysis, lines: set) -> None:
    """Make sure the functions holding `lines` were interpreted (a file that trains nothing
    analyses its non-loss functions only when something calls them)."""
    for callee in analysis._all_function_callees():
        node = callee.node
        if any(node.lineno <= line <= (node.end_lineno or node.lineno) for line in lines):
            analysis.summary(callee)
    made = {brk.key[0] for brk in analysis.breaks.values() if brk.node is not None}
    if lines - made:  # a function run inline by another (a forward hook a method registers): all of them
        for callee in analysis._all_function_callees():
            analysis.summary(callee)
        for info in analysis.classes.values():
            analysis.watch_effects(info)
    made = {brk.key[0] for brk in analysis.breaks.values() if brk.node is not None}
    if lines - made:  # a break only a call passing data makes (`specialized_method`)
        from .constants import GRADIENT_FREE

        for callee in analysis._all_function_callees():
            params = callee.params[1:] if callee.is_method else callee.params
            if params and analysis.gradient_free_matters(callee):
                analysis.specialized_summary(callee, {name: GRADIENT_FREE for name in params})
    made = {brk.key[0] for brk in analysis.breaks.values() if brk.node is not None}
    if lines - made:  # grad left off by a function for its caller (`ExternalFunction.grad_off`)
        for callee in analysis._all_function_callees():
            grad_off = analysis.summary(callee).grad_off
            if grad_off is not None and grad_off.lineno in lines:
                _grad_off_break(analysis, grad_off, callee.node.name)
    made = {brk.key[0] for brk in analysis.breaks.values() if brk.node is not None}
    if lines - made:  # a break only a module put in eval mode makes (`specialized_method` in_eval)
        from .interpreter import TRAINING_FACT

        for callee in analysis._all_function_callees():
            node = callee.node
            if callee.is_method and any(node.lineno <= line <= (node.end_lineno or node.lineno) for line in lines) \
                    and mentions_training(analysis, callee):
                analysis.specialized_summary(callee, {TRAINING_FACT: False})


def file_cuts(ctx) -> list:
    """The cut reports a file's rules report: its own breaks that its own sinks show (a break of
    another file reached from here is that file's finding), and its breaks another file's
    training code confirmed (see `Confirmation`)."""
    from .cuts import gradient_cuts

    import os

    reports = gradient_cuts(ctx.analysis)
    resolver = ctx.resolver
    own = [r for r in reports if not is_foreign(r.brk)]
    if resolver is None:
        return own
    path = os.path.abspath(ctx.analysis.importer)
    record = getattr(resolver, "record_confirmations", None)
    if record is not None:
        try:
            record(path, ctx.source.text, confirmations_from(reports, path))
        except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
            pass
    ask = getattr(resolver, "confirmations_for", None)
    if ask is None:
        return own
    try:
        confirmations = ask(path, ctx.source.text)
    except Exception:  # noqa: BLE001
        if os.environ.get("GRADLS_STRICT"):
            raise
        return own
    ctx.__dict__["confirmations"] = confirmations  # the setup root causes read them too
    extra = root_cause_reports(ctx.analysis, confirmations)
    known = {r.brk.key: r for r in own}
    for report in extra:
        mine = known.get(report.brk.key)
        if mine is None:
            own.append(report)
        elif _backpropagated_here(mine):  # the other file's backward is one more place it reaches
            mine.sinks.extend(s for s in report.sinks if s not in mine.sinks)
        else:  # shown by the per-module check of a forward: report it as the training script shows it
            own[own.index(mine)] = report
    return sorted(own, key=lambda r: r.brk.key)


def _backpropagated_here(report) -> bool:
    """Does a backward call of this file show the cut (not only a value a function returns)?"""
    return any(getattr(sink, "kind", None) == "backward" and not isinstance(sink, ForeignSink) for sink in report.sinks)


def class_frozen_label(class_name: str, attribute: str) -> str:
    """How `frozen_labels` holds an attribute a class's own methods freeze."""
    return f"class:{class_name}.{attribute}"


def class_frozen_attributes(frozen_labels, class_name: str) -> list[str]:
    """The attributes of `class_name` its own methods freeze (see `class_frozen_label`)."""
    prefix = class_frozen_label(class_name, "")
    return sorted(label[len(prefix):] for label in frozen_labels if label.startswith(prefix))


def export_names(analysis) -> dict:
    """name -> "function", "class" or "instance": the top-level names `export_one` may export
    (an "instance" only where its value turns out to be a model, loss or callable), in the
    order they are exported."""
    names = {name: "function" for name in analysis.functions}
    names.update((name, "class") for name in analysis.classes)
    for name in _top_level_assignments(analysis):
        names.setdefault(name, "instance")
    return names


def _top_level_assignments(analysis) -> dict:
    """`single_assignments` of the file, read once per analysis."""
    known = analysis.__dict__.get("_single_assignments")
    if known is None:
        known = analysis.__dict__["_single_assignments"] = single_assignments(analysis.tree)
    return known


def export_one(analysis, module: str, name: str, exported, members: ClassMembers) -> object | None:
    """The export of the top-level `name` (see `export_names`) as other files will see it, or
    None; `module` is the dotted module name (`pkg.losses`), `exported` the file's other exports
    (a base class of the same file, an instance's class), analysed as they are read; a class's
    methods and frozen attributes are computed by `members` as they are read."""
    path = analysis.source.path
    callee = analysis.functions.get(name)
    if callee is not None:
        return _export_function(analysis, callee, f"{module}.{name}", path, module)
    info = analysis.classes.get(name)
    if info is not None:
        return _export_class(analysis, module, name, info, exported, members)
    assigned = _top_level_assignments(analysis).get(name)
    if assigned is None:
        return None
    line, value = assigned
    found = _instance_of(analysis, value, exported, analysis.module_env.get(name))
    if found is None:
        return None
    kind, of, target = found
    return ExternalInstance(f"{module}.{name}", path, line, kind, of, target)


def _export_class(analysis, module: str, name: str, info, exported, members: ClassMembers) -> ExternalClass:
    names = _exported_method_names(analysis, name, info, exported)
    watches = tuple(replace(effect, written=export_flow(effect.written, analysis.source.path, f"{name} forward hook"))
                    for effect in analysis.watch_effects(info))
    init = info.methods.get("__init__")
    # a plain object whose `__call__` computes from its arguments (a metric, a loss object not
    # derived from nn.Module): calling an instance runs that `__call__`, as for a loss module
    callable_object = not info.is_module and "__call__" in names and not (
        info.params or info.modules - info.passed_modules)
    return ExternalClass(
        f"{module}.{name}", analysis.source.path, info.node.lineno, info.is_module, info.is_loss or callable_object,
        bool(info.params or info.modules),
        LazyMapping(names, partial(members.method, name)), Deferred(partial(members.frozen, name)),
        watches, tuple(init.params[1:]) if init is not None and watches else (),
    )


def _own_methods(info) -> dict:
    return {method: callee for method, callee in info.methods.items()
            if not method.startswith("__") or method == "__call__"}


def _exported_method_names(analysis, name: str, info, exported) -> list[str]:
    """The methods an object of this file's class `name` has, as `export_member` exports them."""
    names = dict.fromkeys(_own_methods(info))
    names.update(dict.fromkeys(_inherited_methods(analysis, info, exported)))
    if info.is_module and "__call__" in names:
        names["forward"] = None
    if name in analysis.autograd_applies:
        names["apply"] = None
    return list(names)


def export_member(analysis, module: str, class_name: str, method: str, exported) -> ExternalFunction | None:
    """The method `method` of this file's class `class_name` as an object of it has it (its
    own, or its bases'), for other files; None where it has none."""
    info = analysis.classes.get(class_name)
    if info is None:
        return None
    path = analysis.source.path
    applied = analysis.autograd_applies.get(class_name)
    if method == "apply" and applied is not None:  # a custom autograd.Function: as its backward decides
        return ExternalFunction(f"{module}.{class_name}.apply", path, info.node.lineno, applied.params,
                                export_flow(applied.returns, path, f"{class_name}.backward"))
    if method == "forward" and info.is_module:
        # calling the instance runs its own `__call__` (a base class's that wraps `forward` in
        # `torch.no_grad()`, say), not nn.Module's: that is what a call of it does
        called = export_member(analysis, module, class_name, "__call__", exported)
        if called is not None:
            return called
    own = _own_methods(info).get(method)
    if own is not None:
        return _export_function(analysis, own, f"{module}.{class_name}.{method}", path, module)
    inherited = _inherited_methods(analysis, info, exported).get(method)
    return inherited() if inherited is not None else None


def class_freezes(analysis, class_name: str) -> tuple:
    """The attributes this file's class `class_name` freezes in its own methods (`__init__` too)."""
    info = analysis.classes.get(class_name)
    for callee in info.methods.values() if info is not None else ():
        analysis.summary(callee)
    return tuple(class_frozen_attributes(analysis.frozen_labels, class_name))


def subclass_method(analysis, class_name: str, method: str, facts: tuple, module: str,
                    built: tuple = (), constants: tuple = ()) -> ExternalFunction | None:
    """`method` of this file's class `class_name` as an object of a subclass of another file
    runs it: `self.backbone` is the module that subclass made (`facts`, see `attribute_facts`),
    or the one an object of the class itself was built with (`built`), with the literal
    attributes its construction gave it (`constants`)."""
    base = analysis.classes.get(class_name)
    if base is None:
        return None
    info = analysis.subclass_of(base, facts, built, constants)
    callee = analysis.method_of(info, method)
    if callee is None:  # a base of another file again
        return analysis.inherited_elsewhere(info, method)
    return _export_function(analysis, callee, f"{module}.{class_name}.{method}", analysis.source.path, module)


def export_method(analysis, callee, class_name: str, module: str) -> ExternalFunction:
    """A method of this file's class `class_name` as another file's analysis calls it."""
    return _export_function(analysis, callee, f"{module}.{class_name}.{callee.node.name}", analysis.source.path, module)


def _inherited_methods(analysis, info, exported: dict) -> dict:
    """method -> a function giving the method a class gets from its bases (this file's classes
    exported before it, or another file's), nearest base first; the bases' methods are not
    computed until one is called for."""
    found: dict = {}
    for base in info.node.bases:
        name = base.id if isinstance(base, ast.Name) else None
        definition = exported.get(name) if name else None
        elsewhere = definition is None
        if elsewhere:
            qualified = analysis.imports.qualify(base)
            if qualified is None or qualified.startswith(LIBRARY_PREFIXES):
                continue
            definition = analysis.external(qualified)
        if not isinstance(definition, ExternalClass):
            continue
        names = method_names(definition.methods)
        overridden = elsewhere and any(m in info.methods for m in names if not m.startswith("__"))
        for method in names:
            found.setdefault(method, partial(_base_method, analysis, info, definition, method,
                                             overridden and method in CALLED_METHODS))
    return found


def method_names(methods: Mapping) -> list[str]:
    """The names of an `ExternalClass`'s `methods`, without summarising them."""
    return list(methods.names) if isinstance(methods, LazyMapping) else list(methods)


def _base_method(analysis, info, definition: ExternalClass, method: str, with_own_methods: bool):
    function = definition.methods.get(method)
    if with_own_methods:
        # what calling the object runs, with this class's own methods for `self.<method>`
        function = analysis.inherited_elsewhere(info, method) or function
    return function


CALLED_METHODS = ("forward", "__call__")


def _export_function(analysis, callee, qualified: str, path: str, module: str = "") -> ExternalFunction:
    summary = analysis.summary(callee)
    params = tuple(callee.params[1:] if callee.is_method else callee.params)
    vararg = callee.node.args.vararg
    if vararg is not None:  # `*inputs`: the first positional argument past the named ones
        positional = len(callee.node.args.posonlyargs) + len(callee.node.args.args) - (1 if callee.is_method else 0)
        params = params[:positional] + (vararg.arg,) + params[positional:]
    where = qualified.rsplit(".", 2)[-2] + "." + qualified.rsplit(".", 1)[-1] if callee.is_method else qualified.rsplit(".", 1)[-1]
    returns = _qualify_class_tags(export_flow(summary.returns, path, where), analysis, module)
    defaults = _tested_defaults(analysis, callee, params)
    default_returns = None
    if defaults:
        specialized = analysis.specialized_summary(callee, defaults)
        default_returns = _qualify_class_tags(export_flow(specialized.returns, path, where), analysis, module)
    return ExternalFunction(qualified, path, callee.node.lineno, params, returns,
                            _export_hazards(analysis, summary.hazards, path),
                            tuple(zip([p for p, _ in summary.modifies],
                                      _export_hazards(analysis, tuple(h for _, h in summary.modifies), path))),
                            default_returns, tuple(defaults), analysis.gradient_free_matters(callee),
                            _called_on_class(callee), *_unread(analysis, callee),
                            reads_training=callee.is_method and mentions_training(analysis, callee),
                            grad_off=_exported_grad_off(analysis, summary, path, where))


def _exported_grad_off(analysis, summary, path: str, where: str) -> Break | None:
    if summary.grad_off is None:
        return None
    return _export_break(_grad_off_break(analysis, summary.grad_off, where.rsplit(".", 1)[-1]), path, where)


def _grad_off_break(analysis, node: ast.AST, function: str) -> Break:
    """The break at the statement a function leaves grad off with (one per statement: the one
    its own code after it made, if any)."""
    key = (node, NO_GRAD)
    brk = analysis.breaks.get(key)
    if brk is None:
        brk = analysis.breaks[key] = Break(
            NO_GRAD, node, (), f"`torch.set_grad_enabled(False)`, which `{function}` leaves in force for its caller")
    return brk


def mentions_training(analysis, callee) -> bool:
    """Does the function's text read `self.training` (eval mode may change what it does)?"""
    node = callee.node
    return any("self.training" in line for line in analysis.source.lines[node.lineno - 1:node.end_lineno])


def _unread(analysis, callee) -> tuple:
    """(`unread`, `unread_span`) of a plain function."""
    unread = unread_parameters(callee.node) if not callee.is_method else ()
    if not unread:
        return (), None
    span = analysis.source.span(single_return(callee.node))
    return tuple(sorted(unread)), (span.line, span.column, span.end_line, span.end_column)


def _called_on_class(callee) -> bool:
    """A `@staticmethod` or `@classmethod` of a class (see `ExternalFunction.called_on_class`)."""
    if callee.class_info is None:
        return False
    return not callee.is_method or any(isinstance(d, ast.Name) and d.id == "classmethod"
                                       for d in callee.node.decorator_list)


def specialized_method(analysis, qualified: str, facts: tuple, module: str,
                       in_eval: bool = False) -> ExternalFunction | None:
    """The function or method `qualified` of this file as a call passing data (no gradient) to
    the parameters `facts` names runs it, on a module in eval mode where `in_eval`: its summary
    specialized for those facts."""
    from .constants import GRADIENT_FREE
    from .interpreter import TRAINING_FACT

    parts = qualified[len(module) + 1:].split(".") if qualified.startswith(module + ".") else []
    if len(parts) == 1:
        callee = analysis.functions.get(parts[0])
    elif len(parts) == 2 and parts[0] in analysis.classes:
        callee = analysis.method_of(analysis.classes[parts[0]], parts[1])
    else:
        callee = None
    if callee is None:
        return None
    constants = {name: GRADIENT_FREE for name in facts}
    if in_eval:
        constants[TRAINING_FACT] = False
    summary = analysis.specialized_summary(callee, constants)
    where = ".".join(parts[-2:])
    returns = _qualify_class_tags(export_flow(summary.returns, analysis.source.path, where), analysis, module)
    params = tuple(callee.params[1:] if callee.is_method else callee.params)
    return ExternalFunction(qualified, analysis.source.path, callee.node.lineno, params, returns,
                            _export_hazards(analysis, summary.hazards, analysis.source.path))


def _tested_defaults(analysis, callee, params) -> dict:
    """parameter -> its literal default, for the parameters an `if` of the function reads."""
    from .calls import literal_default
    from .constants import UNKNOWN_VALUE

    found = {}
    for name in analysis.tested_parameters(callee, params):
        value = literal_default(callee.node, name)
        if value is not UNKNOWN_VALUE:
            found[name] = value
    return found


def _qualify_class_tags(flow: Flow, analysis, module: str) -> Flow:
    """`class:Net` of an object this file's function returns (`def build(): return Net()`) is
    `extclass:models.Net` in the importer: calling it there runs this file's `Net.forward`."""
    local = {f"class:{name}" for name in analysis.classes}
    if not module or not (flow.tags & local or flow.items):
        return flow
    tags = frozenset(f"extclass:{module}.{t[6:]}" if t in local else t for t in flow.tags)
    items = tuple(_qualify_class_tags(item, analysis, module) for item in flow.items)
    return Flow(flow.live, flow.cuts, tags, items, flow.element, flow.keys)


def _export_hazards(analysis, hazards: tuple, path: str) -> tuple:
    """This file's in-place changes (`LocalHazard`s) as `Hazard`s other files can hold."""
    from .interpreter import Hazard

    exported = []
    for hazard in hazards:
        if not isinstance(hazard, Hazard):
            span = analysis.source.span(hazard.node)
            hazard = Hazard(path, (span.line, span.column, span.end_line, span.end_column),
                            ast.unparse(hazard.target), hazard.method)
        exported.append(hazard)
    return tuple(exported)


# ----- module-level instances and aliases ---------------------------------------------------


def single_assignments(tree: ast.Module) -> dict:
    """name -> (line, value) for names bound exactly once in the module's own statements,
    by a plain `name = value` (or `name: T = value`) at top level."""
    counts: dict[str, int] = {}
    for stmt in tree.body:
        for name in _bound_names(stmt):
            counts[name] = counts.get(name, 0) + 1
    found = {}
    for stmt in tree.body:
        target, value = _plain_assignment(stmt)
        if target is not None and counts.get(target) == 1:
            found[target] = (stmt.lineno, value)
    return found


def _plain_assignment(stmt: ast.stmt) -> tuple:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None


def _bound_names(stmt: ast.stmt) -> list[str]:
    """Every name a top-level statement binds in the module (functions' insides excluded)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in stmt.names]
    names = []
    for node in cached_walk(stmt):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.extend(node.names)
    return names


def _instance_of(analysis, value: ast.expr, definitions: dict, flow: Flow | None):
    """(kind, of, target) for what `value` makes, or None for anything else (a number, a config)."""
    if isinstance(value, ast.Call):
        if analysis.imports.qualify(value.func) == "functools.partial" and value.args:
            bound = len(value.args) - 1
            keywords = {kw.arg for kw in value.keywords if kw.arg}
            return _aliased(analysis, value.args[0], definitions, bound, keywords)
        return _constructed(analysis, value, definitions, flow)
    if isinstance(value, (ast.Name, ast.Attribute)):
        return _aliased(analysis, value, definitions, 0, set())
    return None


def _constructed(analysis, call: ast.Call, definitions: dict, flow: Flow | None):
    """A module the analysis of the defining file saw being built, and the class it is of."""
    from .interpreter import MODULE_TAG, PARAMLESS_TAG

    if flow is None or not (MODULE_TAG in flow.tags or PARAMLESS_TAG in flow.tags):
        return None
    kind = MODULE_INSTANCE if MODULE_TAG in flow.tags else LOSS_INSTANCE
    return kind, _class_of(analysis, definitions, flow) or _class_called(analysis, call, definitions), ""


def _class_of(analysis, definitions: dict, flow: Flow):
    for tag in sorted(flow.tags):
        if tag.startswith("class:") and isinstance(definitions.get(tag[6:]), ExternalClass):
            return definitions[tag[6:]]
        if tag.startswith("extclass:"):
            found = analysis.external(tag[9:])
            if isinstance(found, ExternalClass):
                return found
    return None


def _class_called(analysis, call: ast.Call, definitions: dict):
    """The project class `call` constructs (a parameterless loss carries no class tag)."""
    if isinstance(call.func, ast.Name) and isinstance(definitions.get(call.func.id), ExternalClass):
        return definitions[call.func.id]
    qualified = analysis.imports.qualify(call.func)
    found = analysis.external(qualified) if qualified is not None else None
    return found if isinstance(found, ExternalClass) else None


def _aliased(analysis, node: ast.expr, definitions: dict, bound: int, keywords: set):
    """A callable named by `node`, less the arguments a `functools.partial` already bound."""
    if isinstance(node, ast.Name) and isinstance(definitions.get(node.id), ExternalFunction):
        return FUNCTION_ALIAS, _partially_applied(definitions[node.id], bound, keywords), ""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr == "apply":
        owner = definitions.get(node.value.id)  # `soft_threshold = ScaledSoftThreshold.apply`
        if isinstance(owner, ExternalClass) and "apply" in owner.methods:
            return FUNCTION_ALIAS, _partially_applied(owner.methods["apply"], bound, keywords), ""
    qualified = analysis.imports.qualify(node)
    if qualified is None:
        return None
    if qualified.startswith(LIBRARY_PREFIXES):
        return FUNCTION_ALIAS, None, qualified
    found = analysis.external(qualified)
    if isinstance(found, ExternalFunction):
        return FUNCTION_ALIAS, _partially_applied(found, bound, keywords), ""
    if isinstance(found, ExternalInstance) and found.kind == FUNCTION_ALIAS and not bound and not keywords:
        return FUNCTION_ALIAS, found.of, found.target
    return None


def _partially_applied(function: ExternalFunction, bound: int, keywords: set) -> ExternalFunction:
    if not bound and not keywords:
        return function
    params = tuple(p for p in function.params[bound:] if p not in keywords)
    return replace(function, params=params)
