"""Which layers of a model class the project's training code trains through its forward.

A `.detach()` or `.data` in a module's `forward` that cuts a layer's output on every return is
a stop-gradient, a straight-through estimator or an EMA/target network's output as often as a
mistake: the model's file alone cannot tell. The project can. A script of the project whose
setup evaluation (gradls/analysis/objects.py) reaches a first backward shows, at that moment:
- which objects the running function (or the script) holds under which names;
- which parameters require grad and which an optimizer holds (what the script trains, after
  its freezing: `p.requires_grad = "output_layer" in name` leaves only the head trainable);
and the flow analysis of the file holding that backward shows which of those names reach it.
A layer of the class is trained there when the object that reaches the backward is an instance
of the class the function holding the backward calls as a module (`model(x)`: its forward, not
`model.evaluate(x)`, which may use the layer without the forward's detach), and some parameter
under the layer's attribute both requires grad and is held by an optimizer. Anything less certain (an undecided branch of the setup, a backward no flow
reaches, an object of another class) gives no evidence: the detach stays unreported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .objects import Instance, ModuleObj
from .walk import cached_walk


@dataclass(frozen=True)
class TrainedLayers:
    """Layers of one class a training script trains through an instance's forward."""
    attributes: frozenset       # attribute names of the class (`output_layer`)
    path: str                   # the file holding the backward (absolute)
    span: tuple                 # the backward's (line, column, end line, end column), 1-based columns
    description: str            # "`loss.backward()`"


@dataclass(frozen=True)
class BackwardReach:
    """What the flow analysis shows of one backward: the objects whose forward output reaches it."""
    labels: frozenset           # `model`, `self.net`: called as modules where it runs, reaching it
    span: tuple
    description: str


def trained_layers(world, reach: BackwardReach | None, class_path: str, class_name: str,
                   backward_path: str) -> TrainedLayers | None:
    """What the first backward of `world` (`reach`: its flow analysis) trains of `class_name`
    (defined in `class_path`): None without evidence."""
    snapshot = world.snapshot
    if snapshot is None or world.uncertain or reach is None:
        return None
    held = {id(p) for optimizer in snapshot.optimizers for p in optimizer.params}
    attributes: set = set()
    for label in sorted(reach.labels):
        obj = _value_of(label, snapshot.frame)
        if not isinstance(obj, ModuleObj) or not _instance_of(world, obj, class_path, class_name):
            continue
        attributes |= {name.split(".")[0] for name, param in obj.named_parameters()
                       if param.requires_grad and id(param) in held}
    if not attributes:
        return None
    return TrainedLayers(frozenset(attributes), backward_path, reach.span, reach.description)


def backward_reach(analysis, node) -> BackwardReach | None:
    """The backward event of `analysis` (a flow analysis of the file) at `node`'s position."""
    where = (node.lineno, node.col_offset)
    for scope in analysis.scopes:
        for sink in scope.sinks:
            if sink.kind == "backward" and (sink.node.lineno, sink.node.col_offset) == where:
                origins = {o.label for o in sink.flow.live} | {c.origin.label for c in sink.flow.cuts}
                node = sink.node
                span = (node.lineno, node.col_offset + 1, node.end_lineno or node.lineno,
                        (node.end_col_offset or 0) + 1)
                return BackwardReach(frozenset(_reached_objects(origins, _called_objects(scope.node))), span,
                                     sink.description)
    return None


def _reached_objects(origins: set, called: set) -> set:
    """The objects called as modules whose gradient reaches the backward: `model` for an origin
    `model`, or `model.decode_head` (a layer of it, as its class's forward names it)."""
    return {name for name in called for origin in origins if origin == name or origin.startswith(name + ".")}


def _called_objects(function) -> set:
    """What `function` calls as a module: `model` for `model(x)` or `model.forward(x)`."""
    from .names import dotted_text

    called = set()
    for node in cached_walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "forward":
                func = func.value
            text = dotted_text(func)
            if text is not None:
                called.add(text)
    return called


def _value_of(label: str, frame: dict):
    """The object a flow label (`model`, `self.model`, `trainer.net`) names in the frame."""
    if "[" in label:
        return None
    head, *rest = label.split(".")
    value = frame.get(head)
    for attribute in rest:
        if isinstance(value, ModuleObj):
            value = value.children.get(attribute, value.attrs.get(attribute))
        elif isinstance(value, Instance):
            value = value.attrs.get(attribute)
        else:
            return None
    return value


def _instance_of(world, module: ModuleObj, class_path: str, class_name: str) -> bool:
    cls = module.attrs.get("__class__")
    node = getattr(cls, "node", None)
    return node is not None and node.name == class_name and world.path_of(node) == class_path
