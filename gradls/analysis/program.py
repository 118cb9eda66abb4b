"""One file's analysis: classes, functions and their summaries, every scope interpreted once.

`FileAnalysis.build(tree)` is the single pass every rule reads from.
"""

from __future__ import annotations

import ast
import functools
import re
import zlib
from dataclasses import dataclass, field, replace

from . import names as N
from .links import WeakLink
from .interpreter import (
    MODEL_LIKE_ARGS, torch_module_tag, INFERENCE_TAG, OPTIMIZER_TAG, LEAF_TAG, MODULE_TAG, NONSCALAR_TAG, PARAMLESS_TAG, SAVED_TAG, SCALAR_TAG,
    EXTERNAL_FUNCTION_TAG, LOCAL_FUNCTION_TAG, LAYER_INPUT_TAG, LIST_TAG, INTEGER_TAG, FREE_LAYER, ClassInfo,
    Interpreter, LocalHazard, Scope, breaks_backward,
)
from .external import (FUNCTION_ALIAS, LIBRARY_PREFIXES, LOSS_INSTANCE, ExternalClass, ExternalFunction, ExternalInstance, HookEffect,
                       class_frozen_label)
from .reuse import (
    PreviousAnalysis, Record, ReuseKey, callable_facts, callee_ident, class_facts, same_value,
)
from .source import SourceFile
from .constants import GRADIENT_FREE, Constructions, decide_test, instance_constants, tested_parameters
from .hooks import given_module_registrations, hooked_parameters, own_registrations, script_registrations
from .autograd_functions import apply_summary
from .objects import torch_layer_has_parameters
from .layers import container_layers
from .tensor_types import IS_TENSOR, TYPE_FACTS, type_tested_names
from .walk import guarded_definitions, statements
from .values import (
    ARGUMENT, EMPTY, MODULE, PARAMETER, TENSOR, Break, Cut, Flow, Origin,
)
from .walk import cached_walk

LOSS_WORDS = ("loss", "criterion", "objective", "mse", "mae", "nll", "bce", "entropy", "hinge",
              "huber", "dice", "focal", "divergence", "contrastive", "triplet")
# Short words count only as a whole word of the name: `dice_loss`, `DiceLoss`, `compute_mse`,
# never `indices` or `_parse_mutated_arg`.
_WHOLE_WORD_LOSS_WORDS = ("mse", "mae", "nll", "bce", "dice")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


@functools.lru_cache(maxsize=4096)
def is_loss_name(name: str) -> bool:
    """A function or class name that says it computes a loss (a `reference_*` implementation, the
    ground truth tests compare against, is not one: it is never backpropagated)."""
    lowered = name.lower()
    if "reference" in lowered:
        return False
    if any(word in lowered for word in LOSS_WORDS if word not in _WHOLE_WORD_LOSS_WORDS):
        return True
    words = {word.lower() for word in _NAME_WORDS.findall(name)}
    return any(word in words for word in _WHOLE_WORD_LOSS_WORDS)
TRAINING_WORDS = ("backward", "autograd", ".step(", "training_step", "optim")
SINK_METHODS = {"training_step", "compute_loss", "forward_loss", "get_loss", "loss", "calc_loss"}


@dataclass
class Callee:
    kind: str                      # "function" | "class"
    node: ast.AST
    params: list = field(default_factory=list)
    is_method: bool = False
    class_info: ClassInfo | None = WeakLink(optional=True)  # the class lists its methods
    info: ClassInfo | None = None  # for classes


@dataclass
class OptimizerConstruction:
    scope: Scope
    label: str | None
    covered: frozenset | None     # labels of the modules/tensors whose parameters it holds
    node: ast.Call
    order: int
    elements: list                # [(element node, Flow)] when built from a literal list
    # the caller's statement (`opt = make_optimizer(agent)`) when `node` is inside a helper of
    # the file: what it holds is as that call passes it, but it comes into being there
    call_site: ast.AST | None = None


@dataclass
class Summary:
    returns: Flow
    grad_off: ast.AST | None = None  # the set_grad_enabled(False) it left on: callers continue without grad
    # (key, Flow) of the `self.x` / `policy.x` lists it appends to: what other functions read from them
    self_writes: tuple = ()
    # in-place changes of saved tensors it makes, or the functions it calls make, with grad on
    # (`LocalHazard`s of this file, `Hazard`s of others): a backward through its result raises
    hazards: tuple = ()
    # (parameter, LocalHazard or Hazard): the tensor passed there is changed in place by the call
    modifies: tuple = ()
    # (parameter, LocalHazard): an in-place change of a tensor it saved itself, computed from its
    # parameters only (`e = torch.exp(s); e /= e.sum()`): raises when the caller passes gradient
    argument_hazards: tuple = ()
    calls: tuple = ()  # its parameters whose module it runs, with grad on (`model(x)` in `train(model)`)

    def apply(self, arg_flows: dict[str, Flow], call: ast.Call) -> Flow:
        passed_cuts: set = set()
        used = None
        for name, flow in arg_flows.items():
            if flow.cuts and INTEGER_TAG in flow.tags and not flow.live:
                # indices or a mask: their cuts are the result's only if the function returns
                # something computed from them (an index for `gather` is not)
                used = _argument_bases(self.returns) if used is None else used
                if name not in used:
                    continue
            passed_cuts |= flow.cuts
        return _substitute(self.returns, arg_flows, frozenset(passed_cuts))


def _hazards(scope) -> tuple:
    """What a call of the function scope interpreted makes backward raise (`Summary.hazards`)."""
    own = (LocalHazard(e.node, e.target, e.method) for e in scope.inplace if breaks_backward(e))
    return tuple(dict.fromkeys([*own, *(hazard for hazard, _, _ in scope.hazards)]))


def _argument_hazards(scope, params) -> tuple:
    """(parameter, LocalHazard) for each in-place change, with grad on, of a tensor autograd saved
    whose gradient could only come from the function's parameters (`Summary.argument_hazards`)."""
    found = []
    bindings = None
    for event in scope.inplace:
        flow = event.flow
        if event.under_no_grad or SAVED_TAG not in flow.tags or LAYER_INPUT_TAG in flow.tags or not flow.live:
            continue
        if type(event.target) is ast.Name and event.target.id in params:
            continue  # the caller's own tensor changed: `Summary.modifies`
        bindings = _binding_counts(scope.node) if bindings is None else bindings
        if bindings.get(_base_name(event.target), 0) != 1:
            continue  # `std = torch.randn_like(std).mul_(std)` in one branch: which tensor it is depends on the path
        bases = {_split_label(o.label)[0] for o in flow.live if o.kind == ARGUMENT}
        if all(o.kind == ARGUMENT for o in flow.live) and bases <= set(params):
            hazard = LocalHazard(event.node, event.target, event.method, saved_by_callee=True)
            found.extend((base, hazard) for base in sorted(bases))
    return tuple(dict.fromkeys(found))


def _base_name(target: ast.AST) -> str | None:
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def _binding_counts(function: ast.AST) -> dict:
    """name -> how many statements of the function bind it (in-place updates not counted)."""
    counts: dict = {}
    for node in cached_walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    for node in cached_walk(function):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            counts[node.target.id] -= 1  # `e /= total` rebinds `e` to the same tensor
    return counts


def _modified_arguments(scope, params) -> tuple:
    """(parameter, LocalHazard) for each in-place change, with grad on, of a parameter as the
    caller passed it (`x = self.act(x)` with an in-place ReLU, `x += b`): the caller's tensor
    changes (`Summary.modifies`)."""
    found = []
    for event in scope.inplace:
        target = event.target
        if event.under_no_grad or type(target) is not ast.Name or target.id not in params:
            continue
        if event.flow.live == {Origin(target.id, ARGUMENT)} and not event.flow.cuts:
            found.append((target.id, LocalHazard(event.node, target, event.method)))
    return tuple(dict.fromkeys(found))


def _argument_bases(flow: Flow) -> set:
    origins = [*flow.live, *(c.origin for c in flow.cuts)]
    return {_split_label(o.label)[0] for o in origins if o.kind == ARGUMENT}


_RETURNED_TAGS = {SCALAR_TAG, NONSCALAR_TAG, LIST_TAG, SAVED_TAG, MODULE_TAG, OPTIMIZER_TAG, INTEGER_TAG}


def _substitute(returned: Flow, arg_flows: dict[str, Flow], passed_cuts: frozenset) -> Flow:
    """A callee's returned flow, its ARGUMENT origins replaced by what the caller passed."""
    live: set = set()
    cuts: set = set(passed_cuts)
    for origin in returned.live:
        if origin.kind == ARGUMENT:
            live |= _relabel(arg_flows, origin, OPTIMIZER_TAG in returned.tags)
        else:
            live.add(origin)
    for cut in returned.cuts:
        if cut.origin.kind == ARGUMENT:
            cuts |= {Cut(o, cut.brk, cut.chained, cut.shadowed, cut.role) for o in _relabel(arg_flows, cut.origin)}
        else:
            cuts.add(cut)
    tags = frozenset(t for t in returned.tags
                     if t in _RETURNED_TAGS or t.startswith(("class:", "extclass:", INFERENCE_TAG)))  # which class it is
    items = tuple(_substitute(item, arg_flows, frozenset()) for item in returned.items)
    return Flow(frozenset(live), frozenset(cuts), tags, items, keys=returned.keys)


def _relabel(arg_flows: dict[str, Flow], origin: Origin, into_modules: bool = False) -> set:
    """`into_modules`: a module passed there is narrowed to the part named (an optimizer over
    `agent.target`'s parameters holds those of the caller's `agent.target`)."""
    base, suffix = _split_label(origin.label)
    flow = arg_flows.get(base)
    if flow is None:
        return set()
    if not suffix:
        return set(flow.live)
    part = _INDEXED.match(suffix)
    item = _item_at(flow, part.group(1)) if part else None
    if item is not None:  # `outputs[1]` of a tuple (or `outputs['box']` of a dict) the caller built
        return _relabel({base: item}, Origin(base + part.group(2), origin.kind, origin.anchor), into_modules)
    kinds = (TENSOR, PARAMETER, MODULE) if into_modules and "[" not in suffix else (TENSOR, PARAMETER)
    return {Origin(o.label + suffix, o.kind, o.anchor) if o.kind in kinds else o
            for o in flow.live}


_INDEXED = re.compile(r"^\[(-?\d+|'[^'\\]*')\](.*)$")  # `[1]` or `['box']`, then the rest of a label


def _item_at(flow: Flow, index: str) -> Flow | None:
    if index.startswith("'"):
        return flow.value_at(index[1:-1])
    return flow.item(int(index))


def _split_label(label: str) -> tuple[str, str]:
    for i, ch in enumerate(label):
        if ch in ".[":
            return label[:i], label[i:]
    return label, ""


class FileAnalysis:
    def __init__(self, tree: ast.Module, source: SourceFile, resolver=None,
                 previous: PreviousAnalysis | None = None, importer: str | None = None) -> None:
        self.resolver = resolver  # answers for names imported from other files; None: this file alone
        self.importer = importer or source.path  # the path imports are resolved from
        self.tree = tree
        self._class_constants: dict[str, dict] = {}   # class name -> its instances' constant attributes
        self._appenders: dict[str, dict] = {}  # class name -> attribute -> methods appending to self.<attribute>
        self._specialized: dict[tuple, Summary] = {}   # (function, literals passed) -> its summary
        # (class name, method name) -> the base class's method an object of the class runs, as a
        # method of that class (see `method_of`); None: neither it nor a local base defines it
        self._inherited: dict[tuple, Callee | None] = {}
        # (class name, method name) -> the method of another file's base class, summarised there
        # as a method of the class (`inherited_elsewhere`); None: no base of another file has it
        self._inherited_elsewhere: dict[tuple, ExternalFunction | None] = {}
        # a training function run once more with the modules a call passes it (`train(model, ...)`):
        # its backward calls then see what those modules' forward does; only the cut rules read them
        self.specialized_scopes: list[Scope] = []
        self._trained_with: set = set()
        self._tested: dict[tuple, set] = {}   # (function, parameters) -> those its tests read
        self._constructions: Constructions | None = None
        self.source = source
        self.imports = N.ImportMap.from_module(tree)
        self.classes: dict[str, ClassInfo] = {}
        self.functions: dict[str, Callee] = {}
        # functions a top-level function defines and returns (`def dice_loss(...): def loss_fn(...):
        # ...; return loss_fn`): what the factory's callers get to call
        self.returned_closures: list[Callee] = []
        self.method_classes: dict[int, str] = {}   # id(method node) -> its class's name
        self.scopes: list[Scope] = []
        self.summaries: dict[int, Summary] = {}
        self.in_progress: set[int] = set()
        self.frozen_labels: set[str] = set()
        self.grad_read_labels: set[str] = set()
        self.optimizer_labels: set[str] = set()
        self.module_env: dict[str, Flow] = {}
        self.breaks: dict[tuple, Break] = {}
        # id(call) -> the break of another file's function it ran, which left grad off
        self.grad_off_elsewhere: dict[int, Break] = {}
        self.module_scope: Scope | None = None
        self._forward_hooks: dict[str, dict] = {}  # class name -> `hooked_parameters`
        self._own_hooks: dict[str, list] = {}       # class name -> `own_registrations`
        self._given_hooks: dict[str, list] = {}     # class name -> `given_module_registrations`
        self._watches: dict[str, tuple] = {}        # class name -> `watch_effects`
        self._script_hooks: list | None = None      # `script_forward_hooks`
        self._setup_world = None   # the module-level code evaluated (`setup_text`), made when first asked
        self._runs_project: bool | None = None   # see `_setup_runs_project`
        self._binding_counts: dict = {}          # id(function or module) -> name -> statements binding it
        self.constructions: list[OptimizerConstruction] = []
        self.trains = False  # the file calls backward, builds an optimizer or has a training_step
        self.trains_text = any(word in source.text for word in TRAINING_WORDS)
        self.loss_file = any("loss" in part.lower() for part in source.path.replace("\\", "/").split("/"))
        self.records: dict = {}             # function node -> Record, for the next version's analysis
        self._recording: list[Record] = []  # records of the functions being interpreted, innermost last
        self._previous: dict = {}
        self.reused = 0  # functions whose previous analysis was replayed
        if previous is not None and resolver is None and previous.key == self.reuse_key():
            self._previous = previous.records

    def reuse_key(self) -> ReuseKey:
        return ReuseKey(tuple(sorted(self.imports.aliases.items())), tuple(self.imports.star_modules),
                        self.trains_text, self.source.path)

    def handover(self) -> PreviousAnalysis:
        """What the analysis of this file's next version may reuse (see gradls/analysis/reuse.py)."""
        return PreviousAnalysis(self.reuse_key(), self.records)

    # ----- building ---------------------------------------------------------------------

    @classmethod
    def build(cls, tree: ast.Module, source: SourceFile, resolver=None,
              previous: PreviousAnalysis | None = None, importer: str | None = None,
              eager: bool = True) -> "FileAnalysis":
        """`importer`: the file's real path where `source.path` is only how findings name it.
        `eager=False`: functions are analysed only when asked for (a base class's method for a
        subclass of another file), not all those that may hold a finding."""
        analysis = cls(tree, source, resolver, previous, importer)
        analysis._collect_definitions(tree)
        analysis._prescan()
        analysis._run_module_scope()
        if eager:
            analysis.complete()
        return analysis

    def complete(self) -> None:
        """Analyse the functions that may hold a finding of this file (`_needs_eager_analysis`),
        those an analysis built with `eager=False` did not analyse yet."""
        for callee in self._all_function_callees():
            if self._needs_eager_analysis(callee):
                self.summary(callee)
        self._train_with_objects_of_other_files()

    def _train_with_objects_of_other_files(self) -> None:
        """`def train_one_epoch(model, optimizer, loader)` of this file, which the project's
        scripts call with `model = Net()` and an optimizer over its parameters: the function's
        backward calls are checked once more with what every such call passes
        (`called_arguments` of gradls/crossmodule/resolver.py), as for a call in this file
        (`train_with_modules`)."""
        ask = getattr(self.resolver, "called_arguments", None)
        if ask is None or not self.trains_text or self.importer is None:
            return
        for name, callee in self.functions.items():
            record = self.records.get(callee.node)
            if record is None or not any(s.kind == "backward" for s in record.scope.sinks):
                continue
            bound = self._passed_by_other_files(ask, name, callee)
            if any(MODULE_TAG in flow.tags for flow in bound.values()):
                self.train_with_modules(callee, bound)

    def _passed_by_other_files(self, ask, name: str, callee: Callee) -> dict:
        """parameter -> the module object (or optimizer over one) every call of the project's
        other files passes it."""
        passed = {}
        for index, param in enumerate(callee.params):
            try:
                tags = ask(self.importer, name, index, param)
            except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
                tags = None
            if tags and len(tags) == 1:
                passed[param] = next(iter(tags))
        bound = {}
        for param, tag in passed.items():
            if not tag.startswith(("optimizer-over:", LOCAL_FUNCTION_TAG, EXTERNAL_FUNCTION_TAG)):  # a module
                bound[param] = Flow(frozenset({Origin(param, MODULE, callee.node)}), frozenset(),
                                    frozenset({MODULE_TAG, tag}))
        for param, tag in passed.items():
            index = int(tag[len("optimizer-over:"):]) if tag.startswith("optimizer-over:") else -1
            owner = callee.params[index] if 0 <= index < len(callee.params) else None
            if owner in bound:
                bound[param] = Flow(frozenset({Origin(owner, MODULE, callee.node)}), frozenset(),
                                    frozenset({OPTIMIZER_TAG}))
        return bound

    def _needs_eager_analysis(self, callee: Callee) -> bool:
        """In a file that trains nothing, only losses and code creating leaves can hold a finding;
        other functions are analysed when one of those calls them."""
        if self.trains_text or _is_loss_function(callee.node.name, callee.class_info):
            return True
        lines = self.source.lines[callee.node.lineno - 1 : callee.node.end_lineno]
        text = "".join(lines)
        if "requires_grad" in text or "Parameter(" in text:
            return True
        info = callee.class_info  # the per-module check of a forward that cuts its own layers
        if callee.node.name != "forward" or info is None or not info.is_module:
            return False
        if "inference_mode" in self.source.text:  # a method it calls may make inference tensors its layers save
            return True
        hooks = self.own_forward_hooks_of(info)  # they run inside its layers' calls
        text += "".join(ast.get_source_segment(self.source.text, hook) or "" for _, hook, _ in hooks)
        return any(word in text for word in FORWARD_CHECK_WORDS)

    def _collect_definitions(self, tree: ast.Module) -> None:
        for node in [*tree.body, *guarded_definitions(tree)]:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = _function_callee(node, None)
                self.returned_closures.extend(_function_callee(inner, None) for inner in _returned_closures(node))
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = self._class_info(node)
        for info in self.classes.values():
            self._scan_class_attributes(info)
            self.method_classes.update((id(method.node), info.name) for method in info.methods.values())
            if info.is_loss and self.loss_file and (info.params or info.modules) and not _named_a_loss(info):
                info.is_loss = False  # a model with layers of its own, in a file whose path says "loss"
        inherited: set = set()
        for info in self.classes.values():
            self._inherit_attributes(info, inherited)
        for info in self.classes.values():
            self._type_attributes_from_constructions(info)
        # `F.apply(...)` of a custom autograd.Function: what its backward passes back to each input
        self.autograd_applies = {name: found for name, info in self.classes.items()
                                 if (found := apply_summary(self, info)) is not None}

    def _local_base_classes(self, info: ClassInfo) -> list[ClassInfo]:
        """The bases of `info` defined in this file, in the order the class statement names them."""
        found = []
        for base in info.node.bases:
            other = self.classes.get(base.id) if isinstance(base, ast.Name) else None
            if other is not None and other is not info:
                found.append(other)
        return found

    def _inherit_attributes(self, info: ClassInfo, done: set) -> None:
        """`self.body = nn.Linear(...)` in a local base class's `__init__`: an attribute of every
        object of the subclass too, unless the subclass assigns it itself (its own kind wins)."""
        if info.name in done:
            return
        done.add(info.name)
        for base in self._local_base_classes(info):
            self._inherit_attributes(base, done)
            own = info.modules | info.params | info.paramless | info.callables | info.containers
            for kind in ATTRIBUTE_KINDS:
                getattr(info, kind).update(getattr(base, kind) - own)
            for kind in ("module_classes", "element_classes", "inplace_layers", "layer_classes", "layer_sequence"):
                mine = getattr(info, kind)
                for attr, value in getattr(base, kind).items():
                    if attr not in own:
                        mine.setdefault(attr, value)

    def method_of(self, info: ClassInfo, name: str) -> Callee | None:
        """The method `name` an object of `info` runs: its own, else the one the nearest local base
        class defines, interpreted as a method of `info`: in `BaseEncoder.extract`, `self.backbone`
        is the module the subclass's `__init__` made."""
        own = info.methods.get(name)
        if own is not None:
            return own
        key = (info.name, name)
        if key in self._inherited:
            return self._inherited[key]
        self._inherited[key] = None  # a cycle of bases (an error at run time) finds nothing
        for base in self._local_base_classes(info):
            defining = self.method_of(base, name)
            if defining is not None:
                self._inherited[key] = Callee("function", defining.node, defining.params, True, info)
                break
        return self._inherited[key]

    def inherited_elsewhere(self, info: ClassInfo, name: str) -> ExternalFunction | None:
        """The method `name` an object of `info` gets from a base class of another file, as that
        file's analysis summarises it for an object with `info`'s attributes (`subclass_method`);
        None where `info` or a local base defines it, or no resolver can tell."""
        key = (info.name, name)
        if key in self._inherited_elsewhere:
            return self._inherited_elsewhere[key]
        self._inherited_elsewhere[key] = None
        if self.method_of(info, name) is None:
            self._inherited_elsewhere[key] = self._method_of_other_file_base(info, name, attribute_facts(info), set(), info)
        return self._inherited_elsewhere[key]

    def _method_of_other_file_base(self, info: ClassInfo, name: str, facts: tuple, seen: set, subclass: ClassInfo):
        ask = getattr(self.resolver, "subclass_method", None)
        if ask is None or info.name in seen:
            return None
        seen.add(info.name)
        for base in info.node.bases:
            local = self.classes.get(base.id) if isinstance(base, ast.Name) else None
            if local is not None:
                found = self._method_of_other_file_base(local, name, facts, seen, subclass)
            else:
                qualified = self.imports.qualify(base)
                definition = self.external(qualified) if qualified else None
                if not isinstance(definition, ExternalClass) or name not in definition.methods:
                    continue
                overrides = self._overrides(subclass, definition, name)
                try:
                    found = ask(definition, name, facts + (overrides,) if overrides else facts)
                except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
                    found = None
                found = found or definition.methods[name]
            if found is not None:
                return found
        return None

    def _overrides(self, subclass: ClassInfo, base: ExternalClass, running: str) -> tuple:
        """(method, ExternalFunction) for the methods of the other file's class `base` that
        `subclass` (of this file) defines again: what `self.<method>(...)` runs in the base's
        `running` method for an object of `subclass`."""
        module_name = getattr(self.resolver, "module_name", None)
        if module_name is None:
            return ()
        from .external import export_method, method_names  # noqa: PLC0415 - external imports this module

        found = []
        for method in sorted(method_names(base.methods)):
            if method == running or method.startswith("__"):
                continue
            callee = self.method_of(subclass, method)
            if callee is None:
                continue
            found.append((method, export_method(self, callee, subclass.name, module_name(self.importer))))
        return tuple(found)

    def subclass_of(self, base: ClassInfo, facts: tuple, built: tuple = (), constants: tuple = ()) -> ClassInfo:
        """A class of another file derived from `base`, known by its attributes (`attribute_facts`):
        what `base`'s methods run on for an object of it. `built`: (attribute, "extclass:…") for
        the submodules an object of `base` itself was built with, `constants`: (attribute, literal)
        for the literal attributes it was given (`instance_method`)."""
        # no identifier: no class of the file has this name; one per set of facts, whose
        # summaries must not be shared
        name = f"<subclass of {base.name} {zlib.crc32(repr((facts, built, constants)).encode())}>"
        node = ast.ClassDef(name=name, bases=[ast.Name(id=base.name, ctx=ast.Load())], keywords=[], body=[],
                            decorator_list=[], lineno=base.node.lineno, col_offset=0,
                            end_lineno=base.node.lineno, end_col_offset=0)
        info = ClassInfo(name, node, base.is_module, base.is_loss)
        for kind, attributes in zip(ATTRIBUTE_KINDS, facts):
            getattr(info, kind).update(attributes)
        if len(facts) > len(ATTRIBUTE_KINDS):  # the subclass's own methods (`_overrides`)
            info.overrides = dict(facts[len(ATTRIBUTE_KINDS)])
        for attribute, tag in built:
            info.modules.add(attribute)
            info.module_classes[attribute] = tag
        if constants:
            info.given_constants = dict(constants)
        self._inherit_attributes(info, set())
        return info

    @staticmethod
    def _is_inherited(callee: Callee) -> bool:
        """A base class's method interpreted for a subclass (`method_of`)."""
        info = callee.class_info
        return info is not None and info.methods.get(callee.node.name) is not callee

    def _type_attributes_from_constructions(self, info: ClassInfo) -> None:
        """`self.net = net` in `__init__`, where every `Worker(...)` of the file passes an object of
        one local module class (`Worker(ActorCritic(), ...)`, or a name bound once at top level to
        `ActorCritic()`): `self.net` is that class, so calling it runs its forward."""
        init = info.methods.get("__init__")
        if init is None:
            return
        params = init.params[1:]
        from_params = {attribute: param for attribute, param in _attributes_kept_from_parameters(init.node, params).items()
                       if attribute not in info.module_classes and attribute not in info.params}
        text = self.source.text
        # only what the class calls (`self.net(x)`) or steps (`self.opt.step()`) needs a type
        from_params = {a: p for a, p in from_params.items() if f"self.{a}(" in text or f"self.{a}.step(" in text}
        if not from_params:
            return
        if text.count(f"{info.name}(") <= text.count(f"class {info.name}("):
            self._type_attributes_from_other_files(info, params, from_params)  # built nowhere here
            return
        if self._constructions is None:
            self._constructions = Constructions(self.tree)
        calls = self._constructions.calls.get(info.name)
        if not calls or info.name in self._constructions.bases:
            return
        for attribute, param in from_params.items():
            position = params.index(param)
            classes = set()
            for call in calls:
                if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                    classes = set()
                    break
                node = call.args[position] if position < len(call.args) else \
                    next((k.value for k in call.keywords if k.arg == param), None)
                classes.add(self._local_module_class_of(node))
            if len(classes) == 1 and None not in classes:
                info.modules.add(attribute)
                info.callables.discard(attribute)
                info.module_classes[attribute] = f"class:{classes.pop()}"
                continue
            covered = {self._optimizer_over_argument(call, params, from_params, position) for call in calls}
            if len(covered) == 1 and None not in covered:
                info.optimizers[attribute] = frozenset({f"self.{covered.pop()}"})
                info.callables.discard(attribute)

    def frozen_by_construction(self, label: str) -> bool:
        """`model.backbone` (or below it) where `model = LinearProbe(backbone)` is bound once at top
        level, LinearProbe's `__init__` keeps that argument as `self.backbone`, and what was passed
        is frozen: a name the file freezes, or the result of a function of the file that freezes
        its argument's parameters and returns it (`LinearProbe(freeze(Backbone()))`)."""
        head, _, rest = label.partition(".")
        attribute = rest.split(".", 1)[0].split("[", 1)[0]
        bindings = self._top_level_bindings().get(head, []) if attribute else []
        call = bindings[0] if len(bindings) == 1 else None
        info = self.classes.get(call.func.id) if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) else None
        init = info.methods.get("__init__") if info is not None else None
        if init is None:
            return False
        kept = _attributes_kept_from_parameters(init.node, init.params[1:])
        passed = argument_nodes(call, init.params[1:]).get(kept.get(attribute))
        return passed is not None and self._frozen_value(passed)

    def _frozen_value(self, node: ast.AST) -> bool:
        label = N.dotted_text(node)
        if label is not None and any(label == frozen or label.startswith(frozen + ".") for frozen in self.frozen_labels):
            return True
        if isinstance(node, ast.Name):  # `backbone = freeze(Backbone())`, bound once at top level
            bindings = self._top_level_bindings().get(node.id, [])
            node = bindings[0] if len(bindings) == 1 and isinstance(bindings[0], ast.Call) else None
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.functions):
            return False
        callee = self.functions[node.func.id]
        summary = self.summary(callee)
        record = self.records.get(callee.node)
        returned = {o.label for o in summary.returns.live if o.kind == ARGUMENT}
        return record is not None and any(param in record.frozen and param in returned for param in callee.params)

    def _type_attributes_from_other_files(self, info: ClassInfo, params: list, from_params: dict) -> None:
        """The same where only the project's other files build the class (`Wrapper(Block(...))`
        in a model file, `Loss(FeatureNet())` in a script): an attribute it calls is of the
        module class every such call passes it (`constructed_arguments` of
        gradls/crossmodule/resolver.py)."""
        ask = getattr(self.resolver, "constructed_arguments", None)
        if ask is None or info.name in self._local_bases():
            return
        for attribute, param in from_params.items():
            if f"self.{attribute}(" not in self.source.text:
                continue
            tags = ask(self.importer, info.name, params.index(param), param)
            if not tags or len(tags) != 1:
                continue
            tag = next(iter(tags))
            local = self.classes.get(tag[len("class:"):]) if tag.startswith("class:") else None
            if tag.startswith("class:") and (local is None or not local.is_module or local.is_loss):
                continue
            info.modules.add(attribute)
            info.passed_modules.add(attribute)
            info.callables.discard(attribute)
            info.module_classes[attribute] = tag

    def _local_bases(self) -> set:
        if self._constructions is None:
            self._constructions = Constructions(self.tree)
        return self._constructions.bases

    def _optimizer_over_argument(self, call: ast.Call, params: list, from_params: dict, position: int) -> str | None:
        """`Worker(net, torch.optim.Adam(net.parameters()))`: the attribute (`net`) holding the
        object whose parameters the optimizer passed at `position` holds, or None."""
        node = call.args[position] if position < len(call.args) else \
            next((k.value for k in call.keywords if k.arg == params[position]), None)
        if isinstance(node, ast.Name):
            node = self._bound_once(node.id, node)
        if not (isinstance(node, ast.Call) and (self.imports.qualify(node.func) or "").startswith(N.OPTIMIZER_PREFIXES)
                and node.args and isinstance(node.args[0], ast.Call)
                and isinstance(node.args[0].func, ast.Attribute) and node.args[0].func.attr == "parameters"):
            return None
        owner = N.dotted_text(node.args[0].func.value)
        passed = {N.dotted_text(a): params[i] for i, a in enumerate(call.args[:len(params)])}
        passed.update({N.dotted_text(k.value): k.arg for k in call.keywords if k.arg in params})
        param = passed.get(owner) if owner else None
        attributes = [a for a, p in from_params.items() if p == param]
        return attributes[0] if len(attributes) == 1 else None

    def _local_module_class_of(self, node: ast.AST | None) -> str | None:
        """The local nn.Module class `node` is an object of: `Net()`, or a name bound once to
        `Net()` (`_bound_once`)."""
        if isinstance(node, ast.Name):
            node = self._bound_once(node.id, node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            info = self.classes.get(node.func.id)
            if info is not None and info.is_module and not info.is_loss:
                return info.name
        return None

    def _top_level_bindings(self) -> dict:
        bindings = getattr(self, "_bindings", None)
        if bindings is None:
            bindings = self._bindings = _bindings_of(self.tree.body)
        return bindings

    def _bound_once(self, name: str, at: ast.AST):
        """The value `name` read at `at` is bound to once: in the function holding `at` (a
        `main()` that builds the objects it hands on), or at top level where that function
        neither binds it nor takes it as a parameter; None where it is bound more than once."""
        function = self._function_around(at)
        if function is not None:
            known = self.__dict__.setdefault("_function_bindings", {})
            bindings = known.get(id(function))
            if bindings is None:
                bindings = known[id(function)] = _bindings_of(function.body)
            params = {a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)}
            if name in bindings or name in params:
                found = bindings.get(name, [])
                return found[0] if len(found) == 1 and name not in params else None
        found = self._top_level_bindings().get(name, [])
        return found[0] if len(found) == 1 else None

    def _function_around(self, node: ast.AST):
        """The innermost function definition whose lines hold `node`, or None at top level."""
        line = getattr(node, "lineno", None)
        if line is None:
            return None
        functions = self.__dict__.get("_function_spans")
        if functions is None:
            functions = self._function_spans = [
                f for f in cached_walk(self.tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
        inside = [f for f in functions if f.lineno <= line <= (f.end_lineno or f.lineno)]
        return max(inside, key=lambda f: f.lineno, default=None)

    def _class_info(self, node: ast.ClassDef) -> ClassInfo:
        base_names = [self.imports.qualify(b) or N.dotted_text(b) or "" for b in node.bases]
        layer_params = _torch_layer_parameters(base_names)
        is_module = layer_params is not None or any(
            name.endswith(("Module", "nn.Module", "LightningModule", "_Loss", "Sequential"))
            or (name in self.classes and self.classes[name].is_module)
            for name in base_names
        ) or any(self._external_module_class(name) for name in base_names)
        is_loss = is_module and (_named_a_loss_class(node.name, base_names) or self.loss_file)
        info = ClassInfo(node.name, node, is_module, is_loss)
        info.params.update(layer_params or ())  # `class QuantLinear(nn.Linear)`: `self.weight` is the layer's
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                info.methods[item.name] = _function_callee(item, info)
        return info

    def _external_module_class(self, qualified: str) -> bool:
        """`class Regressor(BaseModel)` with BaseModel an nn.Module subclass of another file."""
        if self.resolver is None or not qualified or qualified in self.classes or qualified.startswith("torch."):
            return False
        definition = self.external(qualified)
        return isinstance(definition, ExternalClass) and definition.is_module

    def _scan_class_attributes(self, info: ClassInfo) -> None:
        containers = set()
        for node in statements(info.node.body):
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target, value in _paired_targets(targets, node.value):
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id == "self"):
                    self._classify_attribute(info, target.attr, value)
                    if _container_literal(value):
                        containers.add(target.attr)
        # `self.masks = {}` in one method, `self.masks = Parameter(...)` in another: a dict of
        # parameters at times, so `self.masks[key] = ...` may fill the dict: not known to be a leaf
        info.params -= containers
        info.containers = containers

    def _classify_attribute(self, info: ClassInfo, attr: str, value: ast.AST) -> None:
        if isinstance(value, ast.Name):
            if value.id.lower() in ("model", "encoder", "decoder", "backbone", "head", "net", "network"):
                info.modules.add(attr)
            elif value.id not in ("None", "True", "False"):
                info.callables.add(attr)
            return
        if not isinstance(value, ast.Call):
            return
        name = self.imports.qualify(value.func) or N.dotted_text(value.func) or ""
        short = name.rsplit(".", 1)[-1]
        if name in ("torch.nn.Parameter", "torch.nn.parameter.Parameter") or (
                name.startswith("torch.") and _has_true_keyword(value, "requires_grad")):
            info.params.add(attr)
        elif name.startswith("torch.optim.") and short[:1].isupper():
            info.optimizers[attr] = None
        elif name.startswith("torch.nn.") and short[:1].isupper():
            paramless = short in N.PARAMLESS_MODULES or short.endswith(N.PARAMLESS_MODULE_SUFFIXES)
            (info.paramless if paramless else info.modules).add(attr)
            info.module_classes[attr] = torch_module_tag(short, value, self.imports)  # what it saves
            if _in_place_layer(short, value):
                info.inplace_layers[attr] = value
            else:
                info.inplace_layers.pop(attr, None)
            self._note_element_class(info, attr, short, value)
        elif name in ("copy.deepcopy", "deepcopy"):
            info.modules.add(attr)
            self.frozen_labels.add(f"self.{attr}")
        elif short in self.classes:
            other = self.classes[short]
            if other.is_loss:
                info.paramless.add(attr)
            elif other.is_module:
                info.modules.add(attr)
                info.module_classes[attr] = f"class:{short}"
            else:
                info.callables.add(attr)
        elif name.startswith("torch.") or short in ("GradScaler", "Generator"):
            info.callables.add(attr)
        elif short[:1].isupper() and "Loss" in short:
            info.paramless.add(attr)
        elif short[:1].isupper() or short.startswith(("build_", "create_", "make_", "get_")):
            info.modules.add(attr)
            definition = self.external(name) if short[:1].isupper() else None
            if isinstance(definition, ExternalClass) and definition.is_module:
                info.module_classes[attr] = f"extclass:{definition.qualified}"

    def _note_element_class(self, info: ClassInfo, attr: str, short: str, value: ast.Call) -> None:
        """`nn.ModuleList([Block(c) for c in widths])`, `nn.Sequential(*blocks)`: the classes of its
        layers (`container_layers`). Every layer of one class: `self.blocks[i](x)` and `for block in
        self.blocks` run that class's forward. Calling it runs each layer's forward, the first on
        its argument (`layer_classes`)."""
        info.element_classes.pop(attr, None)
        info.layer_classes.pop(attr, None)
        info.layer_sequence.pop(attr, None)
        if short not in ("ModuleList", "Sequential"):
            return
        init = info.methods.get("__init__")
        layers = container_layers(init.node if init is not None else None, attr, short, value)
        if not layers:
            return
        classes = [self._module_class_tag(layer.node) for layer in layers]
        # an nn.Sequential's layers without parameters (`nn.ReLU()`) pass the gradient on: the
        # others, all of one class, stand for it (`_repeated_layer`)
        holding = classes if short != "Sequential" else [
            c for c, layer in zip(classes, layers) if c is not None or self._torch_layer_kind(layer.node) != FREE_LAYER]
        if holding and len(set(holding)) == 1 and holding[0] is not None:
            info.element_classes[attr] = holding[0]
        known = tuple(dict.fromkeys(c for c in classes if c is not None))
        if short == "Sequential" and known:
            first = classes[0] if not layers[0].conditional else None
            info.layer_classes[attr] = (first, known)
            if not any(layer.conditional or layer.node is None for layer in layers):
                info.layer_sequence[attr] = tuple(c or self._torch_layer_kind(layer.node) for c, layer in zip(classes, layers))

    def _torch_layer_kind(self, node: ast.AST) -> str:
        """FREE_LAYER for a torch layer built without parameters (`nn.ReLU()`), else ""."""
        if isinstance(node, ast.Call) and torch_layer_has_parameters(node, self.imports, N.PARAMLESS_MODULES) is False:
            return FREE_LAYER
        return ""

    def _module_class_tag(self, node: ast.AST) -> str | None:
        """`class:Block` / `extclass:pkg.Block` for a construction of a module class (not a loss)."""
        if not isinstance(node, ast.Call):
            return None
        name = self.imports.qualify(node.func) or N.dotted_text(node.func) or ""
        short = name.rsplit(".", 1)[-1]
        if short in self.classes:
            other = self.classes[short]
            return f"class:{short}" if other.is_module and not other.is_loss else None
        definition = self.external(name) if short[:1].isupper() and not name.startswith("torch.") else None
        if isinstance(definition, ExternalClass) and definition.is_module and not definition.is_loss:
            return f"extclass:{definition.qualified}"
        return None

    def _prescan(self) -> None:
        """File-wide facts the interpreter cannot see in order: training_step methods."""
        for info in self.classes.values():
            if "training_step" in info.methods:
                self.trains = True

    def note_call(self, node: ast.Call) -> None:
        """Facts from every call the interpreter evaluates: freezing, training, EMA sources."""
        self._prescan_call(node)

    def _prescan_call(self, node: ast.Call) -> None:
        func = node.func
        if type(func) is ast.Attribute:
            name = func.attr
            if name in ("backward", "manual_backward", "step"):
                self.trains = True
                if self._recording:
                    self._recording[-1].trains = True
                return
            if name == "requires_grad_" and node.args and _is_false(node.args[0]):
                self._freeze(func.value)
            elif name == "load_state_dict" and node.args and _is_state_dict_call(node.args[0]):
                self._freeze(func.value)
        elif type(func) is ast.Name:
            name = func.id
        else:
            return
        if not node.args:
            return
        lowered = name.lower()
        if ("freeze" in lowered and "unfreeze" not in lowered
                or "deactivate_requires_grad" in lowered
                or lowered == "set_requires_grad" and len(node.args) > 1 and _is_false(node.args[1])):
            self._freeze(node.args[0])

    def note_loop(self, node: ast.For) -> None:
        sources = _parameter_sources(node.iter)
        if not sources:
            return
        targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
        for target, source in zip(targets, sources):
            if isinstance(target, ast.Name) and _mutates(node.body, target.id):
                self._freeze(source)

    def _freeze(self, node: ast.AST) -> None:
        label = N.dotted_text(node)
        if label:
            self.freeze(label)

    def freeze(self, label: str) -> None:
        labels = [label]
        owner = self.method_classes.get(id(self._recording[-1].node)) if self._recording else None
        if owner is not None and label.startswith("self."):
            # `self.backbone` frozen in a method of FineTuner: every FineTuner's backbone
            labels.append(class_frozen_label(owner, label[len("self."):]))
        self.frozen_labels.update(labels)
        if self._recording:
            self._recording[-1].frozen.update(labels)

    def note_grad_read(self, label: str) -> None:
        self.grad_read_labels.add(label)
        if self._recording:
            self._recording[-1].grad_reads.add(label)

    def _run_module_scope(self) -> None:
        body = [s for s in self.tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        record = self._previous.get(MODULE_RECORD)
        if record is not None and _same_nodes(record.node, body) and _reads_only_its_globals(record) \
                and not record.specialized:
            self._replay_module_scope(record)
            return
        record = Record(tuple(body))
        scope = Scope(self.tree, "<module>")
        scope.env = self.module_env
        self.module_scope = scope
        interp = Interpreter(self, scope)
        self._recording.append(record)
        try:
            interp.run(body)
        finally:
            self._recording.pop()
        self.module_env.update(interp.env)
        self.scopes.append(scope)
        record.scope = scope
        self.records[MODULE_RECORD] = record

    def _replay_module_scope(self, record: Record) -> None:
        """The same module-level statements, calling nothing local: the same result."""
        self.reused += 1
        scope = record.scope
        scope.node, scope._statements = self.tree, None
        self.module_env = scope.env
        self.module_scope = scope
        self.scopes.append(scope)
        self._replay_writes(record)
        self.records[MODULE_RECORD] = record

    def _all_function_callees(self):
        yield from self.functions.values()
        yield from self.returned_closures
        for info in self.classes.values():
            yield from info.methods.values()

    # ----- services for the interpreter ----------------------------------------------

    def make_break(self, kind: str, node: ast.AST, subject: ast.AST, description: str) -> Break:
        key = (node, kind)
        existing = self.breaks.get(key)
        if existing is not None:
            return existing
        brk = Break(kind, node, (), description, subject)
        self.breaks[key] = brk
        return brk

    def global_value(self, name: str) -> Flow:
        value = self.module_env.get(name)
        self._note_read("global", name, value)
        if value is None and self.resolver is not None:
            value = self._imported_value(name)
        return EMPTY if value is None else value

    def _imported_value(self, name: str) -> Flow | None:
        """A model or loss another file binds at top level, or a function it defines, used here as
        a value (`train(model)`, `fit(model, data, focal_loss)`)."""
        qualified = self.imports.aliases.get(name)
        if qualified is None:
            return None
        definition = self.external(qualified)
        if isinstance(definition, ExternalFunction):
            return Flow(tags=frozenset({EXTERNAL_FUNCTION_TAG + qualified}))
        if not isinstance(definition, ExternalInstance) or definition.kind == FUNCTION_ALIAS:
            return None
        if definition.kind == LOSS_INSTANCE:
            return Flow(tags=frozenset({PARAMLESS_TAG}))
        tags = {MODULE_TAG}
        if isinstance(definition.of, ExternalClass):
            tags.add(f"extclass:{definition.of.qualified}")
        return Flow(frozenset({Origin(name, MODULE)}), frozenset(), frozenset(tags))

    def external_function_value(self, expr: ast.Attribute) -> Flow | None:
        """`losses.focal`, or `Losses.huber` (a static method of another file's class), as a value
        of a name this file imports: calling the value runs that function. None otherwise."""
        if self.resolver is None or type(expr.value) is not ast.Name or expr.value.id not in self.imports.aliases \
                or self.module_env.get(expr.value.id) is not None:
            return None
        qualified = self.imports.qualify(expr)
        if qualified is None or qualified.startswith(LIBRARY_PREFIXES):
            return None
        definition = self.external(qualified)
        return Flow(tags=frozenset({EXTERNAL_FUNCTION_TAG + qualified})) if isinstance(definition, ExternalFunction) else None

    def setup_text(self, expr: ast.AST) -> str | None:
        """The string a module-level expression holds when the script runs without command-line
        arguments (`args.loss`: the option's argparse default), from evaluating the script's setup
        code (`SetupWorld`); None when unknown. Only for a global bound once at top level."""
        text = ast.unparse(expr)
        value = self._setup_text(text)
        self._note_read("setup_text", text, value)
        return value

    def _setup_text(self, text: str) -> str | None:
        expr = ast.parse(text, mode="eval").body
        root = expr
        while isinstance(root, ast.Attribute):
            root = root.value
        if type(root) is not ast.Name or _top_level_bindings(self.tree).get(root.id) != 1:
            return None
        world = self.setup_world()
        value = world.eval(expr, world.globals)
        return value if isinstance(value, str) else None

    def setup_world(self):
        """The script's setup code evaluated on typed objects (`SetupWorld`), made the first time
        a question needs it; with the cross-module pass, a training script's setup runs the
        project's files it imports (the rules read this same evaluation)."""
        if self._setup_world is None:
            from .objects import SetupWorld
            self._setup_world = SetupWorld.evaluate(self.tree, self.imports, N.PARAMLESS_MODULES,
                                                    self._project_loader())
        return self._setup_world

    def release_setup_world(self) -> None:
        """Free the setup evaluation (its reference cycles) once nothing more will ask it; asked
        again, it is made again."""
        world, self._setup_world = self._setup_world, None
        if world is not None:
            world.release()

    def _project_loader(self):
        """The project's other files for the setup evaluation (the cross-module pass only)."""
        load = getattr(self.resolver, "setup_module", None)
        if load is None or not self.resolver.checks_first(self.source.text):
            return None  # only a training script's or a program's setup runs what it imports
        import os

        trainer = os.path.abspath(self.importer)
        return lambda module, importer: load(module, importer or trainer, trainer)

    def built_object(self, name: str, scope: Scope) -> tuple:
        """What the setup evaluation built for the object `name` of `scope` (the script's top
        level, or the function running the first backward), where it is an object of another
        project file's class: ("extclass:pkg.Class", ((attribute, "extclass:…"), …), ((attribute,
        literal), …)) with the submodules it holds of such classes and the literal attributes its
        construction gave it. A registry or a config-driven builder (`BACKBONES[cfg["type"]](...)`)
        decides these classes, which neither the defining file nor the flow analysis can type;
        a flag passed to (or left at its default by) the construction decides the methods' tests.
        ("", (), ()) where it does not know; asked only of a training script's setup, which runs
        the project's files."""
        if not self._setup_runs_project():
            return "", (), ()  # fixed for the analysis: no read to note (module code stays reusable)
        top_level = scope is self.module_scope
        found = self._built_object(name, top_level, scope.node)
        self._note_read("built_object", name, top_level, None if top_level else getattr(scope.node, "name", ""),
                        found)
        return found

    def _built_object(self, name: str, top_level: bool, node) -> tuple:
        module_name = getattr(self.resolver, "module_name", None)
        if not self._setup_runs_project():
            return "", (), ()
        from .objects import Instance, ModuleObj

        names = self._world_names(top_level, node)
        module = names.get(name) if names is not None else None
        world = self.setup_world()

        def project_class(obj) -> str:
            cls = obj.cls if isinstance(obj, Instance) else obj.attrs.get("__class__")
            path = world.path_of(cls.node) if cls is not None else None
            return f"extclass:{module_name(path)}.{cls.node.name}" if path is not None else ""

        if isinstance(module, Instance):  # a plain object: a loss computer, a metric
            return project_class(module), (), _literal_attributes(module.attrs)
        if not isinstance(module, ModuleObj):
            return "", (), ()
        built = tuple((attribute, project_class(child)) for attribute, child in module.children.items())
        return project_class(module), tuple((a, tag) for a, tag in built if tag), _literal_attributes(module.attrs)

    def _setup_runs_project(self) -> bool:
        """Does this file's setup evaluation run the project's files (a training script, checked
        with the cross-module pass)?"""
        if self._runs_project is None:
            self._runs_project = getattr(self.resolver, "module_name", None) is not None \
                and self._project_loader() is not None
        return self._runs_project

    def bound_once(self, scope: Scope, name: str) -> bool:
        """Is `name` bound by exactly one statement of `scope`'s function (or of the module)?"""
        node = scope.node if scope is not self.module_scope else self.tree
        counts = self._binding_counts.get(id(node))
        if counts is None:
            counts = self._binding_counts[id(node)] = {}
            for inner in statements(node.body, into_definitions=False):
                for bound in _bound_names(inner):
                    counts[bound] = counts.get(bound, 0) + 1
        return counts.get(name) == 1

    def _world_names(self, top_level: bool, node) -> dict | None:
        """The names visible in `_world_frame`'s frame (with the script's globals), or None."""
        frame = self._world_frame(top_level, node)
        return frame if frame is None or top_level else {**self.setup_world().main[0], **frame}

    def _world_frame(self, top_level: bool, node) -> dict | None:
        """The names the setup evaluation bound at the script's top level, or in the function
        `node` (a node, or a function's name) when it was running at the first backward (the
        function running it, or one that called it); None where it cannot tell."""
        world = self.setup_world()
        if top_level:
            return world.globals
        snapshot = world.snapshot
        if snapshot is None or world.path_of(snapshot.node) is not None:
            return None
        for function, names in reversed(snapshot.callers):
            if function is node or (isinstance(node, str) and getattr(function, "name", None) == node):
                return names if world.path_of(function) is None else None
        if hasattr(node, "body") and node.lineno <= snapshot.node.lineno <= node.end_lineno:
            return snapshot.frame  # the function holding the first backward itself
        return None

    def optimizer_holdings(self, name: str, scope: Scope) -> frozenset | None:
        """The labels of what the optimizer `name` of `scope` (the script's top level, or the
        function running the first backward) holds, from the setup evaluation, where the flow
        analysis could not tell (parameter groups filled by a loop over `named_parameters()`, a
        model's own parameter-selecting method): a module whose parameters it holds all of
        (`model`), else each parameter held (`model.logit_scale`); None where it does not know."""
        from .objects import held_labels

        top_level = scope is self.module_scope
        frame = self._world_frame(top_level, scope.node)
        if frame is None:
            return None
        return held_labels(frame if top_level else {**self.setup_world().main[0], **frame}, frame.get(name))

    def has_global(self, name: str) -> bool:
        value = self.module_env.get(name)
        self._note_read("global", name, value)
        return value is not None

    def forward_hooks_of(self, info: ClassInfo) -> dict:
        """`__init__` parameter -> the method the class registers as a forward hook on it."""
        known = self._forward_hooks.get(info.name)
        if known is None:
            known = self._forward_hooks[info.name] = hooked_parameters(info)
        return known

    def autograd_apply(self, name: str):
        """The `ApplySummary` of this file's autograd.Function `name`, or None."""
        found = self.autograd_applies.get(name)
        self._note_read("autograd_apply", name, found)
        return found

    def script_forward_hooks(self) -> list:
        """The forward hooks the file's top-level code and functions register with functions of
        their own (`script_registrations`)."""
        if self._script_hooks is None:
            registers = "register_forward_hook" in self.source.text
            self._script_hooks = script_registrations(self.tree, self.functions) if registers else []
        return self._script_hooks

    def own_forward_hooks_of(self, info: ClassInfo) -> list:
        """The forward hooks a module class registers on its own layers (`own_registrations`)."""
        known = self._own_hooks.get(info.name)
        if known is None:
            registers = info.is_module and "register_forward_hook" in self.source.text
            known = self._own_hooks[info.name] = own_registrations(info) if registers else []
        return known

    def watch_effects(self, info: ClassInfo) -> tuple:
        """The `HookEffect`s of a plain class's forward hooks on the model its constructor is
        given (a hook method, `hooked_parameters`, or a closure on its layers,
        `given_module_registrations`): each hook interpreted once, its `self.<attribute>` writes."""
        known = self._watches.get(info.name)
        if known is None:
            known = self._watches[info.name] = ()  # a hook constructing the class again: nothing
            known = self._watches[info.name] = self._watch_effects(info)
        return known

    def _watch_effects(self, info: ClassInfo) -> tuple:
        hooks = [(param, info.methods[method].node) for param, method in self.forward_hooks_of(info).items()]
        hooks += [(param, hook) for param, hook, _ in self.given_module_hooks_of(info)]
        methods = {id(m.node) for m in info.methods.values()}
        effects = []
        for param, hook in hooks:
            callee = _function_callee(hook, info if id(hook) in methods else None)
            names = callee.params[1:] if callee.is_method else callee.params
            if len(names) != 3:
                continue
            scope = self._interpret_function(callee, keep=False)
            for key, written in scope.env.items():
                if key.startswith("self.") and key.count(".") == 1 and (written.live or written.cuts):
                    effects.append(HookEffect(param, key[len("self."):], written, names[1], names[2]))
        return tuple(effects)

    def given_module_hooks_of(self, info: ClassInfo) -> list:
        """The forward hooks a plain class registers on the model it is given (`given_module_registrations`)."""
        known = self._given_hooks.get(info.name)
        if known is None:
            registers = not info.is_module and "register_forward_hook" in self.source.text
            known = self._given_hooks[info.name] = given_module_registrations(info) if registers else []
        return known

    def local_class(self, name: str) -> ClassInfo | None:
        info = self.classes.get(name)
        self._note_read("class", name, class_facts(info))
        return info

    def branch_taken(self, scope: Scope, test: ast.AST) -> bool | None:
        """Which way `if self.flag:` goes in a method, when every object of the class this
        script builds has the same constant `flag` (see `instance_constants`); None otherwise."""
        info = scope.class_info
        if info is not None and info.given_constants is not None:
            return decide_test(test, info.given_constants)
        if info is None or not self.trains_text:
            return None
        constants = self._constants_of(info)
        self._note_read("class_constant", info.name, _constants_key(constants))
        return decide_test(test, constants)

    def class_constants(self, scope: Scope) -> dict:
        """The constant attributes of the class whose method `scope` is ({} elsewhere)."""
        info = scope.class_info
        if info is not None and info.given_constants is not None:
            return info.given_constants
        if info is None or not self.trains_text:
            return {}
        constants = self._constants_of(info)
        self._note_read("class_constant", info.name, _constants_key(constants))
        return constants

    def _constants_of(self, info: ClassInfo) -> dict:
        constants = self._class_constants.get(info.name)
        if constants is None:
            if self._constructions is None:
                self._constructions = Constructions(self.tree)
            constants = instance_constants(self.tree, info, self._constructions)
            self._class_constants[info.name] = constants
        return constants

    def class_has_optimizer(self, info: ClassInfo, attr: str) -> bool:
        present = attr in info.optimizers
        self._note_read("class_optimizer", info.name, attr, present)
        return present

    def _note_read(self, kind: str, *what) -> None:
        if self._recording:
            self._recording[-1].reads.append((kind, *what))

    def local_callable(self, name: str) -> Callee | None:
        callee = self._local_callable(name)
        self._note_read("callable", name, callable_facts(callee))
        return callee

    def function_value(self, name: str) -> Callee | None:
        """The function `name` ("huber", or "Losses.huber" for a static method) of this file,
        when the name is not rebound at top level: what a value spelled so calls."""
        callee = self._function_value(name)
        self._note_read("function_value", name, callable_facts(callee))
        return callee

    def _function_value(self, name: str) -> Callee | None:
        head, _, member = name.partition(".")
        if head in self.module_env:
            return None
        if not member:
            callee = self.functions.get(head)
        else:
            info = self.classes.get(head)
            callee = info.methods.get(member) if info is not None else None
            if callee is not None and (callee.is_method or "." in member):
                callee = None  # only a static method is called as it is spelled
        return callee

    def _local_callable(self, name: str) -> Callee | None:
        short = name.rsplit(".", 1)[-1] if "." in name else name
        if short in self.functions and ("." not in name):
            return self.functions[short]
        if short in self.classes and ("." not in name):
            return Callee("class", self.classes[short].node, info=self.classes[short])
        return None

    def external(self, qualified: str):
        """What another file defines under `qualified` (an ExternalFunction or ExternalClass)."""
        if self.resolver is None or qualified.startswith(("torch.", "numpy.", "math.")):
            return None
        try:
            return self.resolver.resolve(qualified, self.importer)
        except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
            return None

    def library_kind(self, qualified: str) -> str | None:
        """What calling `qualified` of an installed library returns ("module", "ndarray", "number",
        "list"), when the cross-module resolver can tell (gradls/crossmodule/library.py); else None."""
        ask = getattr(self.resolver, "library_kind", None)
        if ask is None:
            return None
        try:
            return ask(qualified, self.importer)
        except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
            return None

    def method_summary(self, scope: Scope, func: ast.Attribute) -> Callee | None:
        if not (isinstance(func.value, ast.Name) and func.value.id == "self" and scope.class_info):
            return None
        return self.method_of(scope.class_info, func.attr)

    def record_optimizer(self, scope: Scope, label: str | None, covered, node: ast.AST,
                         order: int = 0, elements: list | None = None, call_site: ast.AST | None = None) -> None:
        record = self._recording[-1] if self._recording else None
        if covered and label and label.startswith("self.") and scope.class_info:
            aliases = _stored_aliases(scope, covered)
            if not aliases <= covered:  # one set for the construction and the class (rules group by it)
                covered = covered | aliases
        if isinstance(node, ast.Call):  # not for `opt = build_optimizer()`: only where it is built
            construction = OptimizerConstruction(scope, label, covered, node, order, elements or [], call_site)
            self.constructions.append(construction)
            if record is not None:
                record.constructions.append(construction)
        if covered:
            self.optimizer_labels |= covered
            if record is not None:
                record.optimizer_labels |= covered
        if label:
            scope.optimizers[label] = covered
            if label.startswith("self.") and scope.class_info:
                scope.class_info.optimizers[label[5:]] = covered
                if record is not None:
                    record.class_optimizers[label[5:]] = covered

    def _built_over(self, covered: frozenset):
        """The covered set of the construction holding these labels (one object per construction:
        rules group backwards by it), or `covered` itself; None for none."""
        if not covered:
            return None
        return next((c.covered for c in self.constructions if c.covered == covered), covered)

    def built_by_helper(self, stmt: ast.stmt) -> ast.Call | None:
        """`opt = make_optimizer(agent)`: the one optimizer construction inside that function of
        the file, which this assignment specializes (what it holds, as the caller names it)."""
        value = getattr(stmt, "value", None)
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
            return None
        callee = self.functions.get(value.func.id)
        if callee is None:
            return None
        inside = [c.node for c in self.constructions if c.scope.node is callee.node and c.label is None]
        return inside[0] if len(inside) == 1 else None

    def summary(self, callee: Callee) -> Summary:
        summary = self._summary(callee)
        self._note_read("summary", callee_ident(callee), summary)
        return summary

    def _summary(self, callee: Callee) -> Summary:
        if self._is_inherited(callee):
            return self._inherited_summary(callee)
        key = id(callee.node)
        cached = self.summaries.get(key)
        if cached is not None:
            return cached
        if key in self.in_progress:
            return Summary(EMPTY)
        self.in_progress.add(key)
        try:
            record = self._reusable_record(callee)
            if record is not None:
                self._replay(record, callee)
            else:
                record = self._recorded_interpretation(callee)
        finally:
            self.in_progress.discard(key)
        self.records[callee.node] = record
        self.summaries[key] = record.summary
        return record.summary

    def _inherited_summary(self, callee: Callee) -> Summary:
        """The summary of a base class's method run on an object of a subclass, once per
        subclass. Its scope is not the file's (the base class's own interpretation is), and its
        record is nobody's: the next version's analysis interprets it again."""
        key = ("inherited", id(callee.node), callee.class_info.name)
        cached = self.summaries.get(key)
        if cached is not None:
            return cached
        if key in self.in_progress:
            return Summary(EMPTY)
        self.in_progress.add(key)
        try:
            record = self._recorded_interpretation(callee, keep=False)
        finally:
            self.in_progress.discard(key)
        self.summaries[key] = record.summary
        return record.summary

    def _recorded_interpretation(self, callee: Callee, keep: bool = True) -> Record:
        record = Record(callee.node)
        self._recording.append(record)
        try:
            if callee.class_info is not None:
                self._note_read("class", callee.class_info.name, class_facts(callee.class_info))
            record.scope = self._interpret_function(callee, keep=keep)
        finally:
            self._recording.pop()
        scope = record.scope
        writes = tuple((key, scope.env[key]) for key in sorted(scope.appended) if key in scope.env)
        record.summary = Summary(_parameters_as_arguments(scope.returns, callee.node), scope.exit_no_grad, writes,
                                 _hazards(scope), _modified_arguments(scope, callee.params),
                                 _argument_hazards(scope, callee.params), tuple(sorted(scope.called)))
        return record

    def appended_contents(self, info: ClassInfo, attr: str, current: ast.AST) -> Flow:
        """`self.memory` read in a method of `info` that did not fill it: what the class's other
        methods append to it (`self.memory.append((value, log_prob, reward))` in `rollout`, read in
        `learn`); EMPTY when no method appends to it."""
        writers = self._list_writers(info).get(attr)
        if not writers:
            return EMPTY
        found = None
        for method in writers:
            if method.node is current:
                continue
            for name, flow in self.summary(method).self_writes:
                if name == f"self.{attr}":
                    found = flow if found is None else found.union(flow)
        return EMPTY if found is None else found

    def global_list_contents(self, key: str, current: ast.AST) -> Flow:
        """`policy.saved_log_probs` read in a function: what the file's other functions append to
        that list of a module-level object (`policy.saved_log_probs.append(m.log_prob(a))` in
        `select_action`); EMPTY when none does."""
        writers = self._global_list_writers(key)
        self._note_read("list_writers", key, tuple(writers))
        found = None
        for name in writers:
            callee = self.functions[name]
            if callee.node is current:
                continue
            for written, flow in self.summary(callee).self_writes:
                if written == key:
                    found = flow if found is None else found.union(flow)
        return EMPTY if found is None else found

    def _global_list_writers(self, key: str) -> list:
        needles = tuple(f"{key}.{method}(" for method in ("append", "insert", "extend"))
        found = []
        for name, callee in self.functions.items():
            node = callee.node
            lines = self.source.lines[node.lineno - 1:node.end_lineno]
            if any(needle in line for line in lines for needle in needles):
                found.append(name)
        return found

    def _list_writers(self, info: ClassInfo) -> dict:
        writers = self._appenders.get(info.name)
        if writers is None:
            writers = {}
            lines = self.source.lines[info.node.lineno - 1:info.node.end_lineno]
            if not any("self." in line and (".append(" in line or ".insert(" in line or ".extend(" in line)
                       for line in lines):
                self._appenders[info.name] = writers
                return writers
            for method in info.methods.values():
                for node in cached_walk(method.node):
                    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                            and node.func.attr in ("append", "insert", "extend")
                            and isinstance(node.func.value, ast.Attribute)
                            and isinstance(node.func.value.value, ast.Name) and node.func.value.value.id == "self"):
                        bucket = writers.setdefault(node.func.value.attr, [])
                        if method not in bucket:
                            bucket.append(method)
            self._appenders[info.name] = writers
        return writers

    def _reusable_record(self, callee: Callee) -> Record | None:
        """The previous version's record of `callee`, if everything it read is still the same."""
        record = self._previous.get(callee.node)
        if record is None or record.specialized:
            return None
        self._recording.append(Record(callee.node))  # reads made while checking belong to no one
        try:
            for read in record.reads:
                if not same_value(read[-1], self._read_again(read)):
                    return None
        finally:
            self._recording.pop()
        return record

    def _read_again(self, read: tuple):
        kind = read[0]
        if kind == "global":
            return self.module_env.get(read[1])
        if kind == "class":
            return class_facts(self.classes.get(read[1]))
        if kind == "autograd_apply":
            return self.autograd_applies.get(read[1])
        if kind == "callable":
            return callable_facts(self._local_callable(read[1]))
        if kind == "function_value":
            return callable_facts(self._function_value(read[1]))
        if kind == "setup_text":
            return self._setup_text(read[1])
        if kind == "built_object":
            return self._built_object(read[1], read[2], read[3])
        if kind == "list_writers":
            return tuple(self._global_list_writers(read[1]))
        if kind == "class_optimizer":
            info = self.classes.get(read[1])
            return info is not None and read[2] in info.optimizers
        if kind == "class_constant":
            info = self.classes.get(read[1])
            if info is None:
                return None
            return _constants_key(self._constants_of(info))
        callee = self._callee_named(read[1])  # "summary"
        return None if callee is None else self._summary(callee)

    def _callee_named(self, ident: tuple) -> Callee | None:
        if ident[0] == "function":
            return self.functions.get(ident[1])
        info = self.classes.get(ident[1])
        return self.method_of(info, ident[2]) if info is not None else None

    def _replay(self, record: Record, callee: Callee) -> None:
        self.reused += 1
        record.scope.class_info = callee.class_info
        self.scopes.append(record.scope)
        if callee.class_info is not None:
            callee.class_info.optimizers.update(record.class_optimizers)
        self._replay_writes(record)

    def _replay_writes(self, record: Record) -> None:
        self.frozen_labels |= record.frozen
        self.grad_read_labels |= record.grad_reads
        self.optimizer_labels |= record.optimizer_labels
        self.constructions.extend(record.constructions)
        self.trains = self.trains or record.trains

    def tested_parameters(self, callee: Callee, params) -> set:
        """`constants.tested_parameters` of a callee, walked once per analysis."""
        key = (id(callee.node), tuple(params))
        found = self._tested.get(key)
        if found is None:
            found = self._tested[key] = tested_parameters(callee.node, params)
        return found

    def type_tested(self, callee: Callee) -> set:
        """The names `callee` tests the type of (gradls/analysis/tensor_types.py), walked once."""
        key = ("type", id(callee.node))
        found = self._tested.get(key)
        if found is None:
            found = self._tested[key] = type_tested_names(callee.node, self.imports)
        return found

    def gradient_free_matters(self, callee: Callee) -> bool:
        """Can what `callee` returns depend on whether its arguments need a gradient? A custom
        autograd Function of this file gating a gradient on `ctx.needs_input_grad`, a checkpoint
        in its code, or a layer of its class of another file's class whose forward can."""
        if any(getattr(applied, "gated", ()) for applied in self.autograd_applies.values()):
            return True
        node = callee.node
        if any("checkpoint" in line for line in self.source.lines[node.lineno - 1:node.end_lineno]):
            return True
        info = callee.class_info
        if info is None or self.resolver is None:
            return False
        tags = {*info.module_classes.values(), *info.element_classes.values(),
                *(tag for _, known in info.layer_classes.values() for tag in known)}
        for tag in tags:
            definition = self.external(tag[9:]) if tag.startswith("extclass:") else None
            forward = definition.methods.get("forward") if isinstance(definition, ExternalClass) else None
            if forward is not None and getattr(forward, "gated", False):
                return True
        return False

    def specialized_summary(self, callee: Callee, constants: dict) -> Summary:
        """The summary of `callee` for a call passing literals to parameters its `if` tests read
        (`f_score(..., threshold=0.5)`): those tests go one way. Interpreted apart (its scope is
        not the file's), once per distinct set of literals."""
        key = (id(callee.node), _constants_key(constants))
        cached = self._specialized.get(key)
        if cached is not None:
            return cached
        if key in self.in_progress or len(self._specialized) >= MAX_SPECIALIZED:
            return self.summary(callee)
        self.in_progress.add(key)
        self._recording.append(Record(callee.node))  # its reads belong to the generic summary's record
        try:
            scope = self._interpret_function(callee, constants, keep=False)
        finally:
            self._recording.pop()
            self.in_progress.discard(key)
        summary = Summary(_parameters_as_arguments(scope.returns, callee.node), scope.exit_no_grad,
                          hazards=_hazards(scope), modifies=_modified_arguments(scope, callee.params),
                          argument_hazards=_argument_hazards(scope, callee.params), calls=tuple(sorted(scope.called)))
        self._specialized[key] = summary
        return summary

    def train_with_modules(self, callee: Callee, bound: dict, constants: dict | None = None,
                           call: ast.Call | None = None) -> None:
        """Interpret the training function `callee` again with the module instances (and
        optimizers) a call passes it bound to its parameters: `def run_epoch(model, loader, opt)`
        called with `model = Net()` backpropagates through Net's forward, which its generic
        interpretation (parameters of unknown type) cannot see. Once per function and set of
        instances; the caller's record is not reused (it made this scope)."""
        key = (id(callee.node), tuple(sorted(bound.items(), key=lambda item: item[0])),
               _constants_key(constants or {}))
        if self._recording:
            self._recording[-1].specialized = True
        if key in self._trained_with or key in self.in_progress or len(self._trained_with) >= MAX_SPECIALIZED:
            return
        self._trained_with.add(key)
        self.in_progress.add(key)
        try:
            scope = self._interpret_function(callee, constants, keep=False, bound=bound, call=call)
        finally:
            self.in_progress.discard(key)
        if any(s.kind == "backward" for s in scope.sinks):
            self.specialized_scopes.append(scope)

    def train_without_grad(self, callee: Callee, grad_off: ast.AST) -> None:
        """Interpret the training function `callee` again as a call runs it: after the statement
        `grad_off` (`torch.set_grad_enabled(False)`, left on by a validation run before it) turned
        grad off. Its backward calls are then checked with that statement as their cut."""
        key = (id(callee.node), "grad-off", id(grad_off))
        if self._decorated_with(callee.node, ("torch.enable_grad",)):
            return  # it turns grad back on for its own body
        if key in self._trained_with or key in self.in_progress or len(self._trained_with) >= MAX_SPECIALIZED:
            return
        self._trained_with.add(key)
        self.in_progress.add(key)
        try:
            scope = self._interpret_function(callee, keep=False, grad_off=grad_off)
        finally:
            self.in_progress.discard(key)
        if any(s.kind == "backward" for s in scope.sinks):
            self.specialized_scopes.append(scope)

    def _interpret_function(self, callee: Callee, constants: dict | None = None, keep: bool = True,
                            bound: dict | None = None, call: ast.Call | None = None,
                            grad_off: ast.AST | None = None) -> Scope:
        node = callee.node
        info = callee.class_info
        is_loss = _is_loss_function(node.name, info)
        returns_sink = is_loss or node.name in SINK_METHODS or (
            info is not None and info.is_module and node.name == "forward")
        scope = Scope(node, node.name, info, is_loss, returns_sink and not self._no_grad_decorated(node))
        interp = Interpreter(self, scope)
        interp.deciding_call = call  # the call whose arguments (and defaults) `constants` are
        params = callee.params
        if callee.is_method and params:
            interp.env[params[0]] = self._self_value(info)
            params = params[1:]
        for name in params:
            interp.env[name] = _argument_value(name, node)
        if node.args.vararg is not None:  # `*inputs`: what the caller passes positionally
            interp.env[node.args.vararg.arg] = _argument_value(node.args.vararg.arg, node)
        interp.env.update(bound or {})
        for name, flow in (bound or {}).items():
            if OPTIMIZER_TAG in flow.tags:  # `optimizer` passed in: its step trains what it was built over
                scope.optimizers[name] = self._built_over(frozenset(o.label for o in flow.live))
        interp.no_grad = self._no_grad_decorated(node)
        if grad_off is not None:
            interp.set_grad_mode(True, grad_off)
        for name, value in (constants or {}).items():
            if value is GRADIENT_FREE and name in interp.env:
                interp.env[name] = EMPTY  # the caller passes data: no gradient reaches it
            elif value in TYPE_FACTS:
                interp.facts.types[name] = value is IS_TENSOR  # the caller passes a tensor (or not)
            elif type(value) in (int, float, bool, str) and name in interp.env:
                interp.env[name] = EMPTY  # `batch_size=16`: a number carries no gradient
        interp.constants = {k: v for k, v in (constants or {}).items()
                            if v is not GRADIENT_FREE and v not in TYPE_FACTS}
        interp.run(node.body)
        if any(s.kind == "backward" for s in scope.sinks):
            # it backpropagates its loss itself (`loss_and_grads`, a `training_step` calling
            # backward): what it returns is a report of that loss (`loss.detach()`, `.item()`)
            scope.sinks = [s for s in scope.sinks if s.kind != "return"]
        if keep:
            self.scopes.append(scope)
        return scope

    def _self_value(self, info: ClassInfo | None) -> Flow:
        if info is not None and info.is_module and not info.is_loss:
            return Flow(frozenset({Origin("self", MODULE)}), frozenset(), frozenset({MODULE_TAG}))
        return Flow(tags=frozenset({"self"}))

    def _no_grad_decorated(self, node: ast.AST) -> bool:
        return bool(self._decorated_with(node, ("torch.no_grad", "torch.inference_mode")))

    def _decorated_with(self, node: ast.AST, qualified: tuple) -> bool:
        for decorator in getattr(node, "decorator_list", []):
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if self.imports.qualify(target) in qualified:
                return True
        return False


MODULE_RECORD = "<module>"  # the module scope's key among the records


ATTRIBUTE_KINDS = ("modules", "params", "paramless", "callables", "containers")  # `ClassInfo` sets


def attribute_facts(info: ClassInfo) -> tuple:
    """The attributes of a class by kind (`ATTRIBUTE_KINDS`), as another file's analysis takes
    them (`FileAnalysis.subclass_of`): hashable, free of this file's syntax tree."""
    return tuple(tuple(sorted(getattr(info, kind))) for kind in ATTRIBUTE_KINDS)


def _same_nodes(old: tuple, new: list) -> bool:
    return len(old) == len(new) and all(a is b for a, b in zip(old, new))


def _reads_only_its_globals(record: Record) -> bool:
    """Module-level code that read only its own names (no local function or class) depends on
    nothing but its statements."""
    return all(read[0] == "global" for read in record.reads)


def argument_nodes(call: ast.Call, params) -> dict:
    """parameter -> the expression `call` passes for it (positional by order, then keywords);
    nothing for a call unpacking `*args` / `**kwargs`."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return {}
    found = dict(zip(params, call.args))
    found.update((k.arg, k.value) for k in call.keywords if k.arg in params)
    return found


def _attributes_kept_from_parameters(init: ast.AST, params: list) -> dict:
    """attribute -> parameter, for the `self.attribute = parameter` statements at the top level
    of `__init__`."""
    kept = {}
    for node in init.body:
        if isinstance(node, ast.Assign):
            for target, value in _paired_targets(node.targets, node.value):
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id == "self" and isinstance(value, ast.Name) and value.id in params):
                    kept[target.attr] = value.id
    return kept


def _parameters_as_arguments(flow: Flow, function: ast.AST) -> Flow:
    """What a caller sees of a function's result: a model-like parameter (`net` in
    `def step(net, batch)`, a module inside the function, see `_argument_value`) is an argument
    again, so the call site puts the module it passed in its place (`step(classifier, b)`)."""
    def caller_side(origin: Origin) -> Origin:
        return Origin(origin.label, ARGUMENT, origin.anchor) \
            if origin.kind == MODULE and origin.anchor is function else origin

    return Flow(frozenset(caller_side(o) for o in flow.live),
                frozenset(replace(c, origin=caller_side(c.origin)) for c in flow.cuts),
                flow.tags, tuple(_parameters_as_arguments(item, function) for item in flow.items), keys=flow.keys)


def _stored_aliases(scope: Scope, covered) -> set:
    """`self.model` for an optimizer built in `__init__` over `model` after `self.model = model`:
    the other methods name those parameters through the attribute."""
    return {key for key, flow in scope.env.items()
            if key.startswith("self.") and flow.live and all(o.label in covered for o in flow.live)}


def _literal_attributes(attributes: dict) -> tuple:
    """(attribute, value) for the attributes of an object the setup evaluation built that hold
    a Python literal (a flag, a number, a string, None), in a stable order."""
    return tuple(sorted(((name, value) for name, value in attributes.items()
                         if not name.startswith("__") and (value is None or type(value) in (bool, int, float, str))),
                        key=lambda pair: pair[0]))


def _argument_value(name: str, function: ast.AST) -> Flow:
    if _python_value_argument(name, function):
        return EMPTY  # a number, a flag, a string: never a tensor that could carry gradient
    if name.lower() in MODEL_LIKE_ARGS:
        return Flow(frozenset({Origin(name, MODULE, function)}), frozenset(), frozenset({MODULE_TAG}))
    return Flow(frozenset({Origin(name, ARGUMENT, function)}))


# annotations naming a Python value that is never a tensor (`top_k: int`, `beta: float = 0.5`,
# `Optional[int]`, `int | None`, `Literal["mean", "sum"]`)
_PYTHON_VALUE_TYPES = {"int", "float", "bool", "str", "bytes", "complex", "None", "Literal",
                       "Optional", "Union"}


def _python_value_argument(name: str, function: ast.AST) -> bool:
    """A parameter whose default value or annotation makes it a Python value (a number, a flag,
    a string), so it carries no gradient whatever it is called; a default of None says nothing."""
    args = function.args
    positional = args.posonlyargs + args.args
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)
    for arg in (*positional, *args.kwonlyargs):
        if arg.arg != name:
            continue
        if arg.annotation is not None:
            return _python_value_annotation(arg.annotation)
        default = defaults.get(name)
        return (isinstance(default, ast.Constant) and default.value is not None
                and not isinstance(default.value, type(...))) or (
            isinstance(default, ast.UnaryOp) and isinstance(default.operand, ast.Constant))
    return False


def _python_value_annotation(node: ast.AST) -> bool:
    """`int`, `float | None`, `Optional[bool]`, `Literal[...]`, `"int"`: only Python values."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            try:
                return _python_value_annotation(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return False
        return node.value is None
    if isinstance(node, ast.Name):
        return node.id in _PYTHON_VALUE_TYPES and node.id not in ("Optional", "Union")
    if isinstance(node, ast.Attribute):  # typing.Optional, typing.Literal
        return node.attr in ("Literal",)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _python_value_annotation(node.left) and _python_value_annotation(node.right)
    if isinstance(node, ast.Subscript):
        head = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
        if head == "Literal":
            return True
        if head in ("Optional", "Union"):
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return all(_python_value_annotation(item) for item in items)
    return False


def _torch_layer_parameters(base_names: list) -> tuple | None:
    """The parameters a torch layer a class derives from registers (`class QuantLinear(nn.Linear)`:
    weight, bias); None where no base is a torch layer this table knows."""
    from .objects import torch_layer_parameters

    for name in base_names:
        if name.startswith("torch.nn.") and name.count(".") == 2:
            found = torch_layer_parameters(name.rsplit(".", 1)[1])
            if found is not None:
                return found
    return None


def _bound_names(stmt: ast.AST) -> set:
    """The names one statement binds itself (not those of the blocks it holds)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    targets = stmt.targets if isinstance(stmt, ast.Assign) else \
        [stmt.target] if isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)) else \
        [item.optional_vars for item in stmt.items if item.optional_vars is not None] \
        if isinstance(stmt, (ast.With, ast.AsyncWith)) else []
    return {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}


def _bindings_of(body: list) -> dict:
    """name -> the values the statements of `body` (not inside its definitions) assign it (None
    for a binding that is no plain `name = value`)."""
    bindings: dict = {}
    for node in statements(body, into_definitions=False):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For)) else []
        for target in targets:
            for name in cached_walk(target):
                if isinstance(name, ast.Name):
                    bindings.setdefault(name.id, []).append(
                        node.value if isinstance(node, ast.Assign) and target is name else None)
    return bindings


def _top_level_bindings(tree: ast.Module) -> dict:
    """name -> how many top-level statements bind it (assignments, imports, definitions)."""
    counts: dict = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound = [stmt.name]
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bound = [(a.asname or a.name).split(".")[0] for a in stmt.names]
        else:
            bound = [n.id for n in cached_walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
        for name in set(bound):
            counts[name] = counts.get(name, 0) + 1
    return counts


def _paired_targets(targets: list, value: ast.AST):
    """(target, value) pairs of an assignment: `self.net, self.opt = net, opt` pairs each name
    with its own value."""
    for target in targets:
        if (isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts)
                and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))):
            yield from zip(target.elts, value.elts)
        else:
            yield target, value


def _container_literal(node: ast.AST) -> bool:
    """`{}`, `[]`, `dict()`, a comprehension: a Python container, not a tensor."""
    if isinstance(node, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("dict", "list")


def _returned_closures(function: ast.AST) -> list:
    """The functions `function`'s own body defines and returns by name."""
    defined = {stmt.name: stmt for stmt in function.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    returned = {stmt.value.id for stmt in statements(function.body)
                if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name)}
    return [defined[name] for name in sorted(returned & set(defined))]


def _function_callee(node, info: ClassInfo | None) -> Callee:
    args = node.args
    params = [a.arg for a in args.posonlyargs + args.args]
    params += [a.arg for a in args.kwonlyargs]
    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
    return Callee("function", node, params, is_method=info is not None and not is_static, class_info=info)


def _is_loss_function(name: str, info: ClassInfo | None) -> bool:
    if is_loss_name(name):
        return True
    return info is not None and info.is_loss and name in ("forward", "__call__")


# layers whose first positional argument is `inplace` (`nn.ReLU(True)`)
_INPLACE_FIRST = {"ReLU", "ReLU6", "SELU", "SiLU", "Hardswish", "Hardsigmoid", "Mish"}


def _in_place_layer(short: str, call: ast.Call) -> bool:
    """`nn.ReLU(inplace=True)`, `nn.ReLU(True)`, `nn.Dropout(p, inplace=True)`: its forward
    overwrites the tensor it is given."""
    if _has_true_keyword(call, "inplace"):
        return True
    return short in _INPLACE_FIRST and bool(call.args) and isinstance(call.args[0], ast.Constant) \
        and call.args[0].value is True


def _has_true_keyword(call: ast.Call, name: str) -> bool:
    return any(kw.arg == name and isinstance(kw.value, ast.Constant) and kw.value.value is True
               for kw in call.keywords)


def _is_false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_state_dict_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "state_dict"


def _parameter_sources(node: ast.AST) -> list:
    """`zip(a.parameters(), b.parameters())` -> [a, b]; `a.parameters()` -> [a]."""
    calls = node.args if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "zip" else [node]
    sources = []
    for call in calls:
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr in ("parameters", "named_parameters", "buffers")):
            sources.append(call.func.value)
        else:
            sources.append(None)
    return sources if any(s is not None for s in sources) else []


def _mutates(body: list[ast.stmt], name: str) -> bool:
    """True if the loop body writes into `name` (EMA/target updates, freezing)."""
    for node in cached_walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr.endswith("_"):
            if _root_name(node.func.value) == name:
                return True
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_root_name(t) == name for t in targets if isinstance(t, ast.Attribute)):
                return True
    return False


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


# what a forward must mention for the per-module check to analyse it in a file that trains
# nothing: a cut (no_grad, detach, .data), a custom autograd Function, an in-place update
FORWARD_CHECK_WORDS = ("no_grad", "detach", ".data", ".apply(", "+=", "-=", "*=", "/=", "_(")


def _named_a_loss_class(name: str, base_names: list) -> bool:
    lowered = name.lower()
    return any(w in lowered for w in ("loss", "regularizer", "criterion")) or any("Loss" in b for b in base_names)


def _named_a_loss(info: ClassInfo) -> bool:
    return _named_a_loss_class(info.name, [N.dotted_text(b) or "" for b in info.node.bases])


MAX_SPECIALIZED = 200  # specialized summaries per file: beyond, calls use the generic one


def _constants_key(constants: dict) -> tuple:
    return tuple(sorted((name, type(value).__name__, repr(value)) for name, value in constants.items()))
