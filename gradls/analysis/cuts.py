"""Turns the sinks of a `FileAnalysis` into gradient cuts worth reporting.

A cut is worth reporting when a gradient source that is trained reaches a sink only
through a break. Total cuts (nothing reaches the sink) are errors; partial cuts are
warnings, and only reported where the evidence says the source should train there.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from . import names as N
from .external import ForeignSink, class_frozen_attributes
from .interpreter import SinkEvent, same_sink
from .objects import torch_layer_has_parameters
from .walk import parameter_names, statements
from .program import FileAnalysis
from .values import (
    ARGUMENT, AUTOGRAD_NONE, COPY_CONSTRUCT, DETACH, MAYBE_MODULE, MODULE, NO_GRAD, ROUNDTRIP, TENSOR, TENSOR_FROM_LIST,
    Break, Cut, Origin, target_like,
)


@dataclass
class CutReport:
    """Everything known about one break that cuts trained gradient from a sink."""

    brk: Break
    total: bool = False
    lost: list = field(default_factory=list)          # Origins that lose gradient
    sinks: list = field(default_factory=list)         # SinkEvents reached only through the break
    survivors: list = field(default_factory=list)     # Origins that still train at those sinks


def gradient_cuts(analysis: FileAnalysis) -> list[CutReport]:
    sinks = [s for scope in checked_scopes(analysis) for s in scope.sinks]
    _attach_optimizers(analysis)
    live_anywhere = _live_at_backward(sinks)
    reports: dict[tuple, CutReport] = {}
    for sink in sinks:
        for cut, total in _reportable_cuts(analysis, sink, live_anywhere):
            report = reports.setdefault(cut.brk.key, CutReport(cut.brk))
            report.total = report.total or total
            if cut.origin.label not in {o.label for o in report.lost}:
                report.lost.append(cut.origin)
            if not any(same_sink(sink, known) for known in report.sinks):
                report.sinks.append(sink)
            for origin in sink.flow.live:
                if not _trained(analysis, origin, sink):
                    continue
                if origin.label not in {o.label for o in report.survivors}:
                    report.survivors.append(origin)
    for report in reports.values():  # sets gave them in hash order: name them in source order
        report.lost.sort(key=_source_order)
        report.survivors.sort(key=_source_order)
        report.sinks.extend(_training_backwards(analysis, report))
    return sorted(reports.values(), key=lambda r: r.brk.key)


def checked_scopes(analysis: FileAnalysis) -> list:
    """The scopes whose sinks are checked: a training function run with the modules a call
    passed it (`analysis.specialized_scopes`) replaces its run with parameters of unknown type."""
    replaced = {id(scope.node) for scope in analysis.specialized_scopes}
    return [s for s in analysis.scopes if id(s.node) not in replaced] + analysis.specialized_scopes


def _source_order(origin) -> tuple:
    return (origin.line, origin.label)


# Without training code in the file, a library's loss may still be checked for breaks that
# cannot be meant (a detach or copy of the prediction), but not for masks, indices or no_grad.
UNTRAINED_FILE_BREAKS = {DETACH, ROUNDTRIP, TENSOR_FROM_LIST, COPY_CONSTRUCT}


def _reportable_cuts(analysis: FileAnalysis, sink: SinkEvent, live_anywhere: list):
    flow = sink.flow
    total = not any(_trained(analysis, origin, sink) for origin in flow.live)
    if sink.kind == "return" and not analysis.trains and not sink.scope.is_loss:
        yield from _forward_cuts_of_own_layers(analysis, sink)
        return
    candidates = []
    for cut in flow.cuts:
        if cut.shadowed or any(cut.origin.is_within(live) for live in flow.live):
            continue
        if sink.kind == "return" and not analysis.trains and (cut.brk.kind not in UNTRAINED_FILE_BREAKS or not total
                                                              or _numpy_by_design(analysis, cut.brk)):
            continue
        if sink.kind == "return" and cut.brk.kind == NO_GRAD and _within(cut.brk.node, sink.scope.node):
            continue  # its own no_grad block: an evaluation it returns (the callers' backward decides)
        if not _trained(analysis, cut.origin, sink) or _optimizer_misdirected(analysis, cut, sink):
            continue
        if not total and not _partial_is_evidence(cut, sink, live_anywhere):
            continue
        candidates.append(cut)
    for cut in _likely_causes(candidates):
        yield cut, total


def _numpy_by_design(analysis: FileAnalysis, brk) -> bool:
    """A numpy function's result in a file that never imports torch (an evaluation module on
    arrays): computing on arrays is what it is for; a caller handing it tensors is the break."""
    if brk.kind != ROUNDTRIP or not isinstance(brk.node, ast.Call):
        return False
    if any(q == "torch" or q.startswith("torch.") for q in analysis.imports.aliases.values()):
        return False
    return (analysis.imports.qualify(brk.node.func) or "").startswith("numpy.")


def _within(node: ast.AST | None, function: ast.AST) -> bool:
    """True if `node` is written inside `function` (its lines)."""
    line = getattr(node, "lineno", None)
    return line is not None and function.lineno <= line <= (function.end_lineno or line)


def _forward_cuts_of_own_layers(analysis: FileAnalysis, sink: SinkEvent):
    """A module's `forward` in a file without training code: a layer with parameters (or a
    parameter) the module registers and does not freeze itself, that reaches no output of
    forward except through `no_grad`, never trains, whoever trains the module (the per-module
    check). A detach (or `.data`) written in forward is a stop-gradient, a straight-through
    estimator or a target network's output as often as a mistake: it is reported only where
    the project's training code trains that layer through this forward (`trained_by_project`)."""
    scope = sink.scope
    info = scope.class_info
    if scope.name != "forward" or info is None or not info.is_module or info.is_loss:
        return
    frozen = class_frozen_attributes(analysis.frozen_labels, info.name)
    returned = scope.returns.live  # every return: a layer live on another path is frozen by choice
    total = not sink.flow.live
    for cut in sink.flow.cuts:
        if cut.shadowed or cut.brk.kind not in (NO_GRAD, DETACH, AUTOGRAD_NONE):
            continue
        if any(cut.origin.is_within(live) for live in sink.flow.live | returned):
            continue
        if cut.brk.kind == DETACH:  # the project's training shows the layer has trained parameters
            attribute = _own_attribute(cut.origin, info)
            if attribute is None or not _within(cut.brk.node, scope.node) or \
                    attribute not in trained_by_project(analysis, info.name):
                continue
        else:
            attribute = _own_trainable_layer(analysis, cut.origin, info)
        if attribute is None or _frozen(analysis, cut.origin):
            continue
        if any(Origin(attribute, "").is_within(Origin(f, "")) for f in frozen):
            continue
        yield cut, total


def trained_by_project(analysis: FileAnalysis, class_name: str) -> frozenset:
    """The attributes of `class_name` (a class of this file) that a script of the project trains
    through an instance's forward (gradls/analysis/training_evidence.py); empty without a
    cross-module resolver."""
    return frozenset(a for layers in _project_training(analysis, class_name) for a in layers.attributes)


def _project_training(analysis: FileAnalysis, class_name: str) -> tuple:
    ask = getattr(analysis.resolver, "class_training", None)
    if ask is None:
        return ()
    known = analysis.__dict__.setdefault("_project_training", {})
    if class_name not in known:
        try:
            known[class_name] = tuple(ask(analysis.importer, class_name))
        except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
            known[class_name] = ()
    return known[class_name]


def _training_backwards(analysis: FileAnalysis, report: CutReport) -> list:
    """The training scripts' backward calls that showed a detach in forward cuts a trained layer."""
    scopes = {id(sink.scope): sink.scope for sink in report.sinks if isinstance(sink, SinkEvent)}
    if report.brk.kind != DETACH or len(scopes) != 1:
        return []
    info = next(iter(scopes.values())).class_info
    known = analysis.__dict__.get("_project_training", {})
    if info is None or info.name not in known:
        return []
    lost = {_own_attribute(o, info) for o in report.lost}
    return [ForeignSink(layers.path, layers.span, layers.description) for layers in known[info.name]
            if layers.attributes & lost]


def _own_attribute(origin: Origin, info) -> str | None:
    """`embedding` for `self.embedding` (or `self.embedding.weight`), a parameter or a submodule
    the class registers."""
    head, dot, rest = origin.label.partition(".")
    if head != "self" or not dot:
        return None
    attribute = rest.split(".")[0].split("[")[0]
    return attribute if attribute in info.params or attribute in info.modules else None


def _own_trainable_layer(analysis: FileAnalysis, origin: Origin, info) -> str | None:
    """`self.embedding` (or `self.embedding.weight`) when the class's `__init__` registers it as a
    parameter or as a layer known to hold parameters."""
    attribute = _own_attribute(origin, info)
    if attribute is None or attribute in info.params:
        return attribute
    if attribute not in info.modules:
        return None
    for node in statements(info.node.body):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and any(
                isinstance(t, ast.Attribute) and t.attr == attribute and isinstance(t.value, ast.Name)
                and t.value.id == "self" for t in node.targets):
            return attribute if _builds_parameters(analysis, node.value) else None
    return None


def _builds_parameters(analysis: FileAnalysis, call: ast.Call) -> bool:
    local = analysis.classes.get(N.dotted_text(call.func) or "")
    if local is not None:
        return local.is_module and bool(local.params or local.modules)
    return torch_layer_has_parameters(call, analysis.imports, N.PARAMLESS_MODULES) is True


def _likely_causes(cuts: list[Cut]) -> list[Cut]:
    """Where one source is cut at several places, keep the places that explain it.

    A dead term added to a live loss beats a dead weight multiplied into one (an advantage,
    a baseline); an explicit `no_grad` block around a target loses to any other break.
    """
    by_origin: dict[str, list[Cut]] = {}
    for cut in cuts:
        by_origin.setdefault(cut.origin.label, []).append(cut)
    kept = []
    for group in by_origin.values():
        if any(c.role == "term" for c in group):
            group = [c for c in group if c.role != "weight"]
        if any(c.brk.kind != NO_GRAD for c in group):
            group = [c for c in group if c.brk.kind != NO_GRAD]
        kept.extend(group)
    return kept


def _partial_is_evidence(cut: Cut, sink: SinkEvent, live_anywhere: list) -> bool:
    """A partial cut is reported only when the source trains nowhere else."""
    if cut.origin.kind == MAYBE_MODULE:
        return False
    if not cut.chained and sink.trained is None and cut.origin.kind != ARGUMENT and cut.origin.kind != TENSOR:
        return False
    if cut.origin.kind == ARGUMENT and sink.kind == "return":
        # a function's argument, cut while others still reach what it returns: whether it is
        # something that should train (a prediction) or data (labels, ids, a mask, a number) is
        # not known here; the callers' backward, with the real arguments, decides. Also
        # `netD(fake.detach())` in a discriminator loss: cut on purpose to train the module it is fed to
        return False
    if cut.chained and sink.trained is None and _steps_an_optimizer_it_was_given(sink):
        # `netD(fake.detach())` in `def d_step(netD, netG, real, optD)`: which modules the optimizer
        # it was given holds is the caller's; cutting what feeds another module is how a GAN's
        # discriminator step is written
        return False
    if cut.chained and cut.origin.kind == ARGUMENT and sink.kind == "return":
        # `netD(fake.detach())` in a discriminator loss: the argument is cut on purpose to train
        # the module it is fed to; the callers' backward (with the real arguments) decides
        return False
    return not any(cut.origin.is_within(o) or o.is_within(cut.origin) for o in live_anywhere)


def _optimizer_misdirected(analysis: FileAnalysis, cut: Cut, sink: SinkEvent) -> bool:
    """The optimizer stepped after the backward holds what `cut` cuts off, and the modules the
    loss still reaches are in no optimizer (`Adam(teacher.parameters())`, the loss from `student`,
    the teacher run under `no_grad`): the cut is as meant, the optimizer is what is wrong (GRD110)."""
    stepped = sink.stepped
    modules = [o for o in sink.flow.live if o.kind == MODULE]
    if not stepped or not modules or not any(cut.origin.is_within(Origin(label, "")) for label in stepped):
        return False
    return not any(o.is_within(Origin(label, "")) or Origin(label, "").is_within(o)
                   for o in modules for label in analysis.optimizer_labels | stepped)


def _steps_an_optimizer_it_was_given(sink: SinkEvent) -> bool:
    """The function holding the backward steps an optimizer that is one of its parameters."""
    if sink.kind != "backward":
        return False
    params = parameter_names(sink.scope.node)
    return any(c.method == "step" and c.receiver in params for c in sink.scope.calls)


def _live_at_backward(sinks: list[SinkEvent]) -> list[Origin]:
    return [o for s in sinks if s.kind == "backward" for o in s.flow.live]


def trains(analysis: FileAnalysis, origin: Origin, sink: SinkEvent) -> bool:
    """Whether what `origin` names is something `sink`'s backward is meant to train: not frozen,
    held by the optimizer stepped after it (or that optimizer unknown)."""
    return _trained(analysis, origin, sink)


def _trained(analysis: FileAnalysis, origin: Origin, sink: SinkEvent) -> bool:
    if origin.kind == ARGUMENT:
        name = origin.label.split("[")[0].split(".")[0].lower()
        return sink.scope.is_loss and not target_like(name)
    if _frozen(analysis, origin) or _frozen_by_its_class(analysis, origin, sink):
        return False
    if origin.kind == TENSOR:
        base = origin.label.split("[")[0]
        covered = analysis.optimizer_labels | analysis.grad_read_labels
        if not any(base == label or base.startswith(label + ".") for label in covered):
            return False
    trained = sink.stepped if sink.stepped is not None else sink.trained
    if trained is not None:
        # a module the optimizer holds only some layers of (`student.hint_parameters()`): cut
        # whole, those layers are cut too
        return any(origin.is_within(Origin(label, "")) or origin.kind == MODULE and Origin(label, "").is_within(origin)
                   for label in trained)
    return True


def _frozen_layer(label: str) -> str:
    """`emb.weight` frozen is taken for `emb` frozen: most layers it is said of (an embedding, a
    bias-free projection) have no other parameter; where one has, staying quiet is the safe side."""
    return label[: -len(".weight")] if label.endswith(".weight") else label


def _frozen(analysis: FileAnalysis, origin: Origin) -> bool:
    return any(origin.is_within(Origin(_frozen_layer(label), "")) for label in analysis.frozen_labels) \
        or analysis.frozen_by_construction(origin.label)


def _frozen_by_its_class(analysis: FileAnalysis, origin: Origin, sink: SinkEvent) -> bool:
    """`model.backbone` where `model` is a FineTuner whose `__init__` froze `self.backbone`
    (in this file, or in the file defining FineTuner)."""
    head, dot, rest = origin.label.partition(".")
    if not dot or head == "self":
        return False
    scope = sink.scope
    instance = (scope.env.get(head) if scope is not None else None) or analysis.module_env.get(head)
    for tag in instance.tags if instance is not None else ():
        if tag.startswith("class:"):
            frozen = class_frozen_attributes(analysis.frozen_labels, tag[len("class:"):])
        elif tag.startswith("extclass:"):
            frozen = getattr(analysis.external(tag[len("extclass:"):]), "frozen", ())
        else:
            continue
        if any(Origin(rest, "").is_within(Origin(_frozen_layer(attribute), "")) for attribute in frozen):
            return True
    return False


def _attach_optimizers(analysis: FileAnalysis) -> None:
    """For each backward, the parameters of the optimizer that steps right after it."""
    for scope in checked_scopes(analysis):
        steps = [c for c in scope.calls if c.method == "step"]
        backwards = sorted(s.order for s in scope.sinks if s.kind == "backward")
        for sink in scope.sinks:
            if sink.kind != "backward":
                continue
            following = [c for c in steps if c.order >= sink.order] or steps
            if following:
                sink.trained = _optimizer_params(analysis, scope, following[0].receiver)
                sink.stepped = _stepped_before_next_backward(analysis, scope, sink, following, backwards)


def _stepped_before_next_backward(analysis: FileAnalysis, scope, sink: SinkEvent, following: list,
                                  backwards: list):
    """The union of the optimizers stepped after `sink` and before the next backward; None
    when one of them is unknown."""
    later = [order for order in backwards if order > sink.order]
    group = [c for c in following if c.order >= sink.order and (not later or c.order < later[0])]
    if len(group) <= 1:
        return sink.trained
    labels: set = set()
    for step in group:
        params = _optimizer_params(analysis, scope, step.receiver)
        if params is None:
            return None
        labels |= params
    return frozenset(labels)


def _optimizer_params(analysis: FileAnalysis, scope, receiver: str | None):
    if receiver is None:
        return None
    if receiver in scope.optimizers:
        known = scope.optimizers[receiver]
        return known if known is not None else analysis.optimizer_holdings(receiver, scope)
    if receiver.startswith("self.") and scope.class_info and receiver[5:] in scope.class_info.optimizers:
        return scope.class_info.optimizers[receiver[5:]]
    if analysis.module_scope and receiver in analysis.module_scope.optimizers:
        known = analysis.module_scope.optimizers[receiver]
        return known if known is not None else analysis.optimizer_holdings(receiver, analysis.module_scope)
    if receiver.endswith(".optimizer"):
        return frozenset({receiver[: -len(".optimizer")]})
    return None
