"""What a call does to gradient flow: tensor methods, torch functions, modules, local functions."""

from __future__ import annotations

import ast

from . import names as N
from .interpreter import (
    LEAF_TAG, LIST_TAG, MODEL_LIKE_ARGS, MODULE_TAG, NONSCALAR_TAG,
    BATCHED_TAG, OPTIMIZER_CLASS_TAG, OPTIMIZER_TAG, PARAMLESS_TAG, PARAMS_TAG, REDUCTIONS, SAVED_TAG, SCALAR_TAG, CallEvent,
    EXTERNAL_FUNCTION_TAG, FUNCTION_TAG, INFERENCE_TAG, INTEGER_TAG, InplaceEvent, SinkEvent, torch_module_saves, torch_module_tag,
    ELEMENTS_PREFIX, EVAL_TAG, FIRST_LAYER_PREFIX, FREE_LAYER, INPLACE_LAYER_TAG, LAYER_PREFIX, LAYER_INPUT_TAG, SEQUENCE_PREFIX,
    TRAINING_FACT, _elements, saved_for_backward,
)
from .constants import GRADIENT_FREE, UNKNOWN_VALUE, argument_constant
from .hooks import runs_hook
from .autograd_functions import APPLY_TAG, apply_call_flows
from .tensor_types import IS_TENSOR, NOT_TENSOR, made_type
from .external import (
    FUNCTION_ALIAS, LOSS_INSTANCE, MODULE_INSTANCE, ExternalClass, ExternalFunction, ExternalInstance,
    ExternalMember, localize, localized_break, mentions_training,
)
from .program import Summary, argument_nodes
from .walk import cached_walk, parameter_names, raises_not_implemented
from .values import (
    ARGUMENT, COPY_CONSTRUCT, DETACH, EMPTY, MAYBE_MODULE, MODULE, NO_GRAD, NONDIFF, PARAMETER,
    ROUNDTRIP, TENSOR, TENSOR_FROM_LIST, Cut, Flow, Origin, join, join_elements,
)

PASS_THROUGH_BUILTINS = {"sum", "min", "max", "abs", "zip", "enumerate", "reversed", "sorted",
                         "list", "tuple", "iter", "next", "filter", "map", "dict", "set", "getattr"}
SAME_ELEMENTS = {"reversed", "list", "tuple", "sorted", "iter"}  # their result holds the argument's elements
EMPTY_BUILTINS = {"len", "range", "isinstance", "print", "str", "repr", "hasattr", "type", "id",
                  "bool", "callable", "issubclass", "super", "format", "open", "hash", "vars",
                  "setattr", "delattr", "any", "all", "round"}
NUMPY_PREFIXES = ("numpy.", "math.", "scipy.")
# nn.Module methods that return the module itself.
RETURNS_SELF = {"eval", "train", "to", "cuda", "cpu", "float", "double", "half", "bfloat16",
                "apply", "share_memory", "to_empty", "type"}


def evaluate_call(interp, call: ast.Call, label: str | None) -> Flow:
    result = _evaluate_call(interp, call, label)
    if label is not None and label.isidentifier() and _untyped(result):
        return _typed_by_setup(interp, label, call) or result
    return result


def _untyped(result: Flow) -> bool:
    """What a call of something the flow analysis does not know returned (`MODELS[name](...)`,
    `getattr(models, cfg["arch"])(backbone, head)`): no class, at most what it was given."""
    if any(t.startswith(("class:", "extclass:")) for t in result.tags):
        return False
    return not result.live or MODULE_TAG not in result.tags and all(
        o.kind in (MODULE, MAYBE_MODULE, ARGUMENT) for o in result.live)


def _typed_by_setup(interp, name: str, call: ast.Call) -> Flow | None:
    """`model = build_model("esmm", ...)` bound once, where the flow analysis cannot type the
    result (a registry lookup, `MODELS[name](**kwargs)`) but the setup evaluation (which runs
    the project's files) saw it build an object of another file's module class: that object."""
    tag, *_ = interp.program.built_object(name, interp.scope)
    if not tag or not interp.program.bound_once(interp.scope, name):
        return None
    definition = interp.program.external(tag[9:])
    if not isinstance(definition, ExternalClass) or not definition.is_module:
        return None
    return _fresh_module(name, call).with_tags(tag)


def _evaluate_call(interp, call: ast.Call, label: str | None) -> Flow:
    func = call.func
    qualified = interp.imports.qualify(func)
    if qualified is not None:
        return _qualified_call(interp, call, qualified, label)
    if isinstance(func, ast.Attribute):
        applied = _autograd_function_of(interp, func)
        if applied is not None:
            return _autograd_apply(interp, call, applied)
        return _method_call(interp, call, func, label)
    if isinstance(func, ast.Name):
        return _name_call(interp, call, func.id, label)
    callee = interp.eval(func)
    return _call_value(interp, call, callee, N.dotted_text(func) or "callable", label)


def _args(interp, call: ast.Call) -> list[Flow]:
    flows = [interp.eval(arg) for arg in call.args]
    flows += [interp.eval(kw.value) for kw in call.keywords]
    return flows


def _args_flow(interp, call: ast.Call) -> Flow:
    return join(_args(interp, call)).without_tags()


# keywords of a torch operator that name a tensor; the others are options (`bins=`, `dim=`)
TENSOR_KEYWORDS = {"input", "other", "self", "tensor", "boundaries", "sorted_sequence", "elements",
                   "test_elements", "condition", "x", "y"}


def _tensor_arguments_flow(interp, call: ast.Call) -> Flow:
    flows = [interp.eval(arg) for arg in call.args]
    for kw in call.keywords:
        flow = interp.eval(kw.value)
        if kw.arg is None or kw.arg in TENSOR_KEYWORDS:
            flows.append(flow)
    return join(flows).without_tags()


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


# ----- calls of dotted names resolved through imports ------------------------------------


def _qualified_call(interp, call: ast.Call, name: str, label: str | None) -> Flow:
    program = interp.program
    if name in N.BACKWARD_FUNCTIONS:
        return _backward_function(interp, call, name)
    if name.startswith(N.OPTIMIZER_PREFIXES) and name.count(".") == 2 and name[12:13].isupper():
        return _optimizer(interp, call, label)
    if name in N.TENSOR_FACTORIES_LIST and call.args:
        return _tensor_factory(interp, call, name, label)
    if name in N.NONDIFF_FUNCTIONS:
        args = _tensor_arguments_flow(interp, call)
        result = args.broken(program.make_break(NONDIFF, call, call, f"`{_short(name)}`"))
        return result.with_tags(INTEGER_TAG) if _short(name) in INTEGER_RESULTS else result
    if name in ("torch.where",) and len(call.args) == 3:
        return _where(interp, call)
    if name == "torch.utils.checkpoint.checkpoint" and call.args:
        return _checkpoint(interp, call)
    if name.startswith("torch.distributions.") and _short(name)[:1].isupper():
        # a distribution object: its parameters' gradient reaches `rsample()` and `log_prob()`,
        # never `sample()` (drawn under no_grad, or integer-valued)
        args = _args(interp, call)
        return _shape_tags(join(args).without_tags(), _short(name), args, call).with_tags(DISTRIBUTION_TAG)
    if name in ("copy.deepcopy", "deepcopy"):
        value = _args_flow(interp, call)
        if label:
            program.freeze(label)
        return _fresh_module(label, call) if value.live else value
    if name in N.ROUNDTRIP_BUILTINS:
        return _roundtrip(interp, call, name)
    if name.startswith(NUMPY_PREFIXES):
        args = _args_flow(interp, call)
        return args.broken(program.make_break(ROUNDTRIP, call, call, f"`{_short(name)}`"))
    if name == "torch.from_numpy":
        return _args_flow(interp, call)
    if name in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
        _args_flow(interp, call)
        if _keyword(call, "requires_grad") is not None and not _is_true(_keyword(call, "requires_grad")):
            return EMPTY
        return _source(label, PARAMETER, call)
    if name.startswith("torch.nn.") and name.rsplit(".", 1)[1][:1].isupper():
        return _module_constructor(interp, call, name, label)
    if name.startswith("torch.") and _is_true(_keyword(call, "requires_grad")):
        _args_flow(interp, call)
        source = _source(label, TENSOR, call)
        if _literal_numel(call) > 1:
            source = source.with_tags(NONSCALAR_TAG, *((BATCHED_TAG,) if _literal_batch(call) > 1 else ()))
        return source
    if not name.startswith(("torch.", ".")):
        typed = _library_call(interp, call, name, label)
        if typed is not None:
            return typed
    if name.startswith(("torch.", "torchvision.", "einops.", "kornia.")):
        args = _args(interp, call)
        if name.startswith("torch.") and _short(name) in INTEGER_FACTORIES:
            return join(args).without_tags().with_tags(INTEGER_TAG)  # `torch.randint(...)`: no gradient
        if name.startswith("torch.") and _short(name) in LIKE_FACTORIES:
            return EMPTY  # `torch.zeros_like(x)`: a new tensor of x's shape, without x's history
        flow = join(args).without_tags()
        if name.startswith("torch.") and _short(name) in FRESH_FACTORIES:
            flow = Flow(cuts=flow.cuts)  # `torch.randn(batch_size, 3)`: sizes carry no gradient
        if name.startswith("torch.") and _returns_indices(_short(name), call, 1):
            return _with_index_outputs(interp, flow, _short(name), call)
        if flow.live and _short(name) in N.SAVED_ARGUMENTS:
            _mark_saved_arguments(interp, _short(name), call.args)
        if _short(name) in SHAPED_FACTORIES and _literal_numel(call) > 1:
            return flow.with_tags(NONSCALAR_TAG, *((BATCHED_TAG,) if _literal_batch(call) > 1 else ()))
        return _shape_tags(flow, _short(name), args, call)
    callee = program.local_callable(name)
    if callee is not None:
        return _local_call(interp, call, callee, label)
    if name.endswith(".apply"):  # `F.apply(x, t)`, F another file's custom autograd.Function
        owner = program.external(name[: -len(".apply")])
        if isinstance(owner, ExternalClass) and "apply" in owner.methods:
            return _external_call(interp, call, owner.methods["apply"], label)
    definition = program.external(name)
    if definition is not None:
        return _external_call(interp, call, definition, label)
    flow = _args_flow(interp, call)
    return flow


def _library_call(interp, call: ast.Call, name: str, label: str | None) -> Flow | None:
    """A call into an installed library whose result type jedi knows (cross-module pass only)."""
    kind = interp.program.library_kind(name)
    if kind is None:
        return None
    args = _args_flow(interp, call)
    if kind == "module":  # `timm.create_model(...)`: a model with parameters, like nn.Linear(...)
        return _fresh_module(label, call)
    if kind == "list":  # of what it was given: gradient passes, and torch.tensor(...) of it copies
        return args.with_tags(LIST_TAG)
    brk = interp.program.make_break(ROUNDTRIP, call, call, f"`{_short(name)}()` (returns a {_RETURNS[kind]})")
    flow = args.broken(brk)
    return flow.with_tags(SCALAR_TAG) if kind == "number" else flow


_RETURNS = {"ndarray": "numpy array", "number": "Python number"}


def _external_call(interp, call: ast.Call, definition, label: str | None) -> Flow:
    if isinstance(definition, ExternalInstance):
        return _instance_call(interp, call, definition, label)
    if isinstance(definition, ExternalMember):
        return _member_call(interp, call, definition, label)
    if isinstance(definition, ExternalClass):
        _args_flow(interp, call)
        if definition.is_loss and (not definition.is_module or not definition.has_parameters):
            # a loss object: calling it runs its class's forward (see `_call_value`)
            return Flow(tags=frozenset({PARAMLESS_TAG, f"extclass:{definition.qualified}"}))
        if not definition.is_module and not definition.has_parameters:
            # a plain object of another file holding nothing trainable (a helper over dicts of
            # log-probabilities, an environment, a dataset): its methods are not followed from
            # here; its class is kept (a training function it is handed to knows it is no tensor)
            return Flow(tags=frozenset({f"extclass:{definition.qualified}"}))
        # a module, or a plain class holding a module it was given (a loss computer): an
        # instance like a module's, whose methods run, as for a local class
        return _fresh_module(label, call).with_tags(f"extclass:{definition.qualified}")
    flows = _bind_parameters(interp, call, definition.params)
    result = _named_as_bound(Summary(definition.returns_for(call)).apply(flows, call), label)
    _note_hazards(interp, definition.hazards, call, EMPTY)
    _note_modified_arguments(interp, definition.modifies, flows, call, EMPTY)
    _external_grad_effect(interp, definition, call)
    return localize(interp.program, result, call)


def _named_as_bound(result: Flow, label: str | None) -> Flow:
    """`model = nets.create(cfg)` (or a function of this file), returning a module it made
    (`SequenceClassifier(...)`): the module is called `model` here, as its messages name it."""
    if label is None or MODULE_TAG not in result.tags or len(result.live) != 1:
        return result
    made = next(iter(result.live))
    if made.kind != MODULE or not made.label.endswith("(...)"):
        return result
    return Flow(frozenset({Origin(label, MODULE, made.anchor)}), result.cuts, result.tags, result.items,
                result.element, result.keys)


def _instance_call(interp, call: ast.Call, instance: ExternalInstance, label: str | None) -> Flow:
    """`model(x)`, `criterion(pred, y)`, `loss_fn(pred, y)` for a name imported from another
    file that binds it once at top level (`model = Net()`, `criterion = nn.MSELoss()`)."""
    if instance.kind == FUNCTION_ALIAS:
        return _alias_call(interp, call, instance, label)
    forward = _forward_of(instance)
    name = N.dotted_text(call.func) or instance.qualified
    if instance.kind == LOSS_INSTANCE:
        if forward is None:
            return _args_flow(interp, call).with_tags(SCALAR_TAG)
        return _apply_method(interp, call, forward, name, chain=False).with_tags(SCALAR_TAG)
    if forward is None:
        return _call_module(interp, call, _instance_flow(instance, name, call.func))
    return _apply_method(interp, call, forward, name, chain=True)


def _alias_call(interp, call: ast.Call, instance: ExternalInstance, label: str | None) -> Flow:
    if isinstance(instance.of, ExternalFunction):
        return _external_call(interp, call, instance.of, label)
    if instance.target:
        return _qualified_call(interp, call, instance.target, label)
    return _args_flow(interp, call)


def _member_call(interp, call: ast.Call, member: ExternalMember, label: str | None) -> Flow:
    """`model.parameters()`, `model.to(device)`, `model.encode(x)` on an imported instance."""
    instance, attribute = member.instance, member.attribute
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else call.func
    name = N.dotted_text(receiver) or instance.qualified
    if instance.kind != MODULE_INSTANCE:
        if attribute in ("forward", "__call__"):
            return _instance_call(interp, call, instance, label)
        return _args_flow(interp, call)
    module = _instance_flow(instance, name, receiver)
    method = _method_of(instance, attribute)
    if attribute in ("parameters", "named_parameters"):
        _args(interp, call)
        return Flow(module.live, frozenset(), frozenset({PARAMS_TAG}))
    if attribute in RETURNS_SELF:
        _args(interp, call)
        return module
    if method is not None:
        return _apply_method(interp, call, method, name, chain=True)
    if attribute in N.METADATA_METHODS or attribute in ("load_state_dict", "register_forward_hook"):
        _args(interp, call)
        return EMPTY
    submodule = Flow(frozenset({Origin(f"{name}.{attribute}", MODULE, call.func)}), frozenset(),
                     frozenset({MODULE_TAG}))
    return _call_module(interp, call, submodule)


def _instance_flow(instance: ExternalInstance, name: str, node: ast.AST) -> Flow:
    """The imported module as a value of this file, its origin named as this file spells it."""
    module = _fresh_module(name, node)
    if isinstance(instance.of, ExternalClass):
        return module.with_tags(f"extclass:{instance.of.qualified}")
    return module


def _forward_of(instance: ExternalInstance):
    return _method_of(instance, "forward") or _method_of(instance, "__call__")


def _method_of(instance: ExternalInstance, method: str):
    if isinstance(instance.of, ExternalClass):
        return instance.of.methods.get(method)
    return None


def _apply_method(interp, call: ast.Call, method: ExternalFunction, instance_name: str, chain: bool) -> Flow:
    """A method of another file's class run on the instance this file calls `instance_name`."""
    flows = _bind_parameters(interp, call, method.params)
    if chain:
        flows = {name: flow.chained() for name, flow in flows.items()}
    returns = relabel_self(method.returns_for(call), instance_name)  # before the caller's arguments go in
    _note_hazards(interp, method.hazards, call, EMPTY)
    _note_modified_arguments(interp, method.modifies, flows, call, EMPTY)
    _external_grad_effect(interp, method, call)
    return localize(interp.program, Summary(returns).apply(flows, call), call)


def _bind_parameters(interp, call: ast.Call, params) -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    positional = _positional_flows(interp, call)
    for name, flow in zip(params, positional):
        flows[name] = flow
    for kw in call.keywords:
        flow = interp.eval(kw.value)
        if kw.arg is not None:
            flows[kw.arg] = flow
    return flows


def _positional_flows(interp, call: ast.Call) -> list[Flow]:
    """The flows of the positional arguments in order; `*pair` spreads a tuple whose items are
    known (`loss_fn(*model(x))`), and ends the list otherwise (which parameters it fills is unknown)."""
    flows = []
    for arg in call.args:
        if not isinstance(arg, ast.Starred):
            flows.append(interp.eval(arg))
            continue
        spread = interp.eval(arg.value)
        if not spread.items or spread.keys:
            break
        flows.extend(spread.items)
    return flows


# made from sizes and numbers only: no gradient reaches them from their arguments
FRESH_FACTORIES = {"randn", "rand", "zeros", "ones", "empty", "full", "eye"}
SHAPED_FACTORIES = {"randn", "rand", "zeros", "ones", "empty", "full", "randint", "normal"}


def _literal_numel(call: ast.Call) -> int:
    """Element count of `torch.randn(10, 3)` when every dimension is a literal; else 0."""
    dims = [a for a in call.args if not isinstance(a, ast.Starred)]
    if _short(N.expression_text(call.func)) == "randint":
        dims = dims[-1:]
        if dims and isinstance(dims[0], ast.Tuple):
            dims = list(dims[0].elts)
    elif len(dims) == 1 and isinstance(dims[0], (ast.Tuple, ast.List)):
        dims = list(dims[0].elts)
    numel = 1
    for dim in dims:
        if not (isinstance(dim, ast.Constant) and isinstance(dim.value, int) and not isinstance(dim.value, bool)):
            return 0
        numel *= dim.value
    return numel if dims else 0


def _literal_batch(call: ast.Call) -> int:
    """The first of two or more literal dimensions (the batch a module would see), else 0."""
    dims = call.args[0].elts if len(call.args) == 1 and isinstance(call.args[0], (ast.Tuple, ast.List)) else call.args
    if len(dims) < 2 or not isinstance(dims[0], ast.Constant) or not isinstance(dims[0].value, int):
        return 0
    return dims[0].value


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


FUNCTIONAL_LOSSES = {"cross_entropy", "nll_loss", "kl_div", "binary_cross_entropy",
                     "binary_cross_entropy_with_logits", "poisson_nll_loss", "gaussian_nll_loss",
                     "ctc_loss", "cosine_embedding_loss", "triplet_margin_loss"}


def _shape_tags(flow: Flow, fname: str, args: list[Flow], call: ast.Call | None = None) -> Flow:
    if fname in REDUCTIONS or fname.endswith("_loss") or fname in FUNCTIONAL_LOSSES:
        reduction = _keyword(call, "reduction") if call is not None else None
        if isinstance(reduction, ast.Constant) and reduction.value == "none":
            return flow.with_tags(NONSCALAR_TAG) if flow.live else flow
        return flow.with_tags(SCALAR_TAG)
    if fname in N.SAVES_OUTPUT_METHODS and flow.live:
        return flow.with_tags(SAVED_TAG, *(t for a in args[:1] for t in a.tags & {NONSCALAR_TAG}))
    if args and NONSCALAR_TAG in args[0].tags:
        return flow.with_tags(NONSCALAR_TAG)
    return flow


DISTRIBUTION_TAG = "distribution"


def _where(interp, call: ast.Call) -> Flow:
    """`torch.where(cond, a, b)`: gradient flows from the branches, never from the condition. With
    constant branches (`torch.where(x > t, 1.0, 0.0)`) the result is the condition, cut."""
    condition = interp.eval(call.args[0])
    branches = interp.eval(call.args[1]).union(interp.eval(call.args[2])).without_tags()
    if branches.live:
        return branches
    if condition.live:  # a condition whose computation the engine did not see cut: cut here
        brk = interp.program.make_break(NONDIFF, call, call.args[0], "the condition of `torch.where`")
        condition = condition.broken(brk)
    return branches.union(condition.without_tags())


def _checkpoint(interp, call: ast.Call) -> Flow:
    """`checkpoint(fn, *inputs)`: fn's result. The reentrant variant (`use_reentrant=True`, the
    default when it is not given) runs fn under no_grad and rebuilds the graph in backward only
    when an input requires grad: with none, fn's parameters get no gradient."""
    function = interp.eval(call.args[0])
    inputs = [interp.eval(arg) for arg in call.args[1:]]
    reentrant = _keyword(call, "use_reentrant")
    for kw in call.keywords:
        interp.eval(kw.value)
    flow = join(inputs).without_tags()
    result = Flow(function.live | flow.live, function.cuts | flow.cuts)
    known_reentrant = reentrant is None or _is_true(reentrant)
    if not known_reentrant or flow.live or not function.live or interp.no_grad:
        return result
    if any(isinstance(arg, ast.Starred) for arg in call.args[1:]):
        return result  # inputs the engine does not see one by one
    brk = interp.program.make_break(NO_GRAD, call, call.args[0],
                                    "reentrant `checkpoint(...)` (no input requires grad)")
    return result.broken(brk)


def _gradient_free_inputs(interp, callee, flows: dict) -> dict:
    """For a method that runs a reentrant `checkpoint(...)` on its inputs, or in a file whose
    custom autograd Function computes a gradient only when another input needs one
    (`if ctx.needs_input_grad[0]:` guarding the weight's): the parameters this call binds to
    tensors nothing trainable reaches (data), as specialization facts, so the checkpoint or the
    Function (down the layers this method calls) knows that no input requires grad."""
    node = callee.node
    program = interp.program
    if not _gates_on_inputs(program) and not any(
            "checkpoint" in line for line in program.source.lines[node.lineno - 1:node.end_lineno]):
        return {}
    return _data_facts(flows)


def _gates_on_inputs(program) -> bool:
    """The file's custom autograd Function computes a gradient only when an input needs one."""
    return any(getattr(applied, "gated", ()) for applied in program.autograd_applies.values())


def _data_facts(flows: dict) -> dict:
    """The parameters bound to tensors nothing trainable reaches (data), as specialization facts."""
    return {name: GRADIENT_FREE for name, flow in flows.items() if _gradient_free(flow)}


def _returns_indices(op: str, call: ast.Call, first_option: int) -> bool:
    """`torch.max(x, 1)`, `x.max(dim=1)`, `x.topk(k)`: an operator whose result is a tuple holding
    integer indices. `max`/`min`/`median` return that tuple only with a dimension (an integer
    literal or `dim=`); `torch.max(a, b)` is the elementwise maximum."""
    if op not in N.INDEX_OUTPUTS:
        return False
    if op not in N.INDEX_OUTPUTS_NEED_DIM:
        return True
    if _keyword(call, "dim") is not None:
        return True
    if len(call.args) <= first_option:
        return False
    dim = call.args[first_option]
    if isinstance(dim, ast.UnaryOp) and isinstance(dim.op, ast.USub):
        dim = dim.operand
    return isinstance(dim, ast.Constant) and type(dim.value) is int


def _with_index_outputs(interp, flow: Flow, op: str, call: ast.Call) -> Flow:
    """The tuple (values, indices): the indices carry no gradient (cut here), the values do."""
    cut_positions = N.INDEX_OUTPUTS[op]
    items = []
    for position in range(max(max(cut_positions) + 1, 2)):
        if position in cut_positions and flow.live:
            brk = interp.program.make_break(NONDIFF, call, call, f"taking the indices of `{op}(...)`")
            items.append(flow.broken(brk).with_tags(INTEGER_TAG))
        else:
            items.append(flow)
    return Flow(flow.live, flow.cuts, frozenset({f"{INDEXED_PREFIX}{op}"}), tuple(items))


INDEXED_PREFIX = "indexed:"


def _unlabeled(node: ast.AST) -> str:
    """A readable name for a source created without an assignment: `nn.Linear(...)`."""
    func = node.func if isinstance(node, ast.Call) else node
    return f"{N.dotted_text(func) or 'value'}(...)"


def _source(label: str | None, kind: str, node: ast.AST) -> Flow:
    origin = Origin(label or _unlabeled(node), kind, node)
    return Flow(frozenset({origin}), frozenset(), frozenset({LEAF_TAG}))


def _fresh_module(label: str | None, node: ast.AST) -> Flow:
    origin = Origin(label or _unlabeled(node), MODULE, node)
    return Flow(frozenset({origin}), frozenset(), frozenset({MODULE_TAG}))


SEQUENTIAL_PREFIX = "torch:Sequential"


def _module_constructor(interp, call: ast.Call, name: str, label: str | None) -> Flow:
    layers = _args(interp, call)
    cls = _short(name)
    known = torch_module_tag(cls, call, interp.imports)
    if cls == "Sequential" and layers and not call.keywords and not any(isinstance(a, ast.Starred) for a in call.args) \
            and any(t.startswith(("class:", "extclass:")) for layer in layers for t in layer.tags):
        # layers of project classes: calling it runs their forwards in order (see `_call_sequential`)
        return Flow(_fresh_module(label, call).live, frozenset(), frozenset({MODULE_TAG, known}), tuple(layers))
    if cls in N.PARAMLESS_MODULES or cls.endswith(N.PARAMLESS_MODULE_SUFFIXES):
        return Flow(tags=frozenset({PARAMLESS_TAG, known}))
    return _fresh_module(label, call).with_tags(known)


def _argument_part(params: Flow, node: ast.AST | None, interp) -> Flow:
    """`agent.target.parameters()` in `def make_optimizer(agent)`: the optimizer holds the
    parameters of the argument's `target`, not of all of it (the caller names which object)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parameters"):
        return params
    owner = N.dotted_text(node.func.value)
    base = owner.split(".", 1)[0] if owner else None
    if not owner or owner == base or {o.kind for o in params.live} != {ARGUMENT} \
            or {o.label for o in params.live} != {base} or base not in parameter_names(interp.scope.node):
        return params
    return Flow(frozenset(Origin(owner, ARGUMENT, o.anchor) for o in params.live), params.cuts, params.tags)


def _selected_by_a_model_method(interp, node: ast.AST | None) -> bool:
    """`list(student.hint_parameters("layer2")) + list(head.parameters())`: a method of the
    model's own class chooses some of what the optimizer holds, which the flow does not follow
    (a generator over `getattr(self, name)`); what it holds is then not known from here."""
    for inner in cached_walk(node) if node is not None else ():
        if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                and type(inner.func.value) is ast.Name and inner.func.attr not in MODULE_PARAMETER_METHODS):
            continue
        receiver = interp.env.get(inner.func.value.id)
        if receiver is not None and MODULE_TAG in receiver.tags and (
                _class_method(interp, receiver, inner.func.attr) is not None
                or _external_method(interp, receiver, inner.func.attr) is not None):
            return True
    return False


MODULE_PARAMETER_METHODS = ("parameters", "named_parameters", "buffers", "named_buffers", "children", "modules")


def _optimizer(interp, call: ast.Call, label: str | None) -> Flow:
    params_node = call.args[0] if call.args else _keyword(call, "params")
    params = interp.eval(params_node)
    for arg in call.args[1:]:
        interp.eval(arg)
    params = _argument_part(params, params_node, interp)
    covered = frozenset(o.label for o in params.live) or None
    if covered and _selected_by_a_model_method(interp, params_node):
        covered = None  # the setup evaluation may tell (`FileAnalysis.optimizer_holdings`)
    result = Flow(params.live, frozenset(), frozenset({OPTIMIZER_TAG}))
    elements = []
    if isinstance(params_node, (ast.List, ast.Tuple)):
        elements = [(elt, interp.eval(elt)) for elt in params_node.elts]
    interp.program.record_optimizer(interp.scope, label, covered, call, interp.order, elements)
    return result


def _tensor_factory(interp, call: ast.Call, name: str, label: str | None) -> Flow:
    program = interp.program
    data_node = call.args[0]
    data = interp.eval(data_node)
    for kw in call.keywords:
        interp.eval(kw.value)
    fresh_leaf = _is_true(_keyword(call, "requires_grad"))
    is_list = isinstance(data_node, (ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp)) or LIST_TAG in data.tags
    if not data.live:
        result = Flow(frozenset(), data.cuts, frozenset())
    elif is_list:
        result = data.broken(program.make_break(TENSOR_FROM_LIST, call, call, f"`{_call_text(call)}`"))
    elif name in N.TENSOR_FACTORIES_COPY:
        result = data.broken(program.make_break(COPY_CONSTRUCT, call, call, f"`{_call_text(call)}`"))
    else:
        return data.without_tags()  # as_tensor / Tensor / FloatTensor of a tensor keep the graph
    if fresh_leaf:  # a new leaf that requires grad, unconnected to what it was built from
        return result.union(_source(label, TENSOR, call))
    return result


def _call_text(call: ast.Call) -> str:
    return f"{N.expression_text(call.func)}(...)"


def _roundtrip(interp, call: ast.Call, name: str) -> Flow:
    args = _args_flow(interp, call)
    brk = interp.program.make_break(ROUNDTRIP, call, call, f"`{name}()`")
    return args.broken(brk).with_tags(SCALAR_TAG)


def _backward_function(interp, call: ast.Call, name: str) -> Flow:
    """`torch.autograd.backward(tensors, grad_tensors)` / `torch.autograd.grad(outputs, inputs, grad_outputs)`."""
    target = call.args[0] if call.args else _keyword(call, "tensors") or _keyword(call, "outputs")
    flow = interp.eval(target) if target is not None else EMPTY
    for node in [*call.args[1:], *(kw.value for kw in call.keywords)]:
        interp.eval(node)
    gradient_position = 2 if name == "torch.autograd.grad" else 1
    has_gradient = len(call.args) > gradient_position or any(
        kw.arg in ("grad_tensors", "grad_outputs") for kw in call.keywords)
    _record_backward(interp, call, flow, f"`{_short(name)}(...)`", has_gradient)
    return EMPTY


def _record_backward(interp, call: ast.Call, flow: Flow, description: str, has_gradient: bool) -> None:
    scope = interp.scope
    scope.sinks.append(SinkEvent(flow, call, description, "backward", interp.order, scope, has_gradient))
    if not _is_true(_keyword(call, "retain_graph")):  # backward freed the graph: nothing is saved now
        env = interp.env
        for key, value in list(env.items()):
            if SAVED_TAG in value.tags:
                env[key] = Flow(value.live, value.cuts, value.tags - {SAVED_TAG}, value.items, keys=value.keys)
    scope.calls.append(CallEvent("backward", None, call, interp.order, interp.loop_depth))


# ----- method calls ----------------------------------------------------------------------


def _method_call(interp, call: ast.Call, func: ast.Attribute, label: str | None) -> Flow:
    method = func.attr
    program = interp.program
    if method in N.BACKWARD_METHODS or (method == "backward" and call.args):
        return _backward_method(interp, call, func)
    if type(func.value) is ast.Name and func.value.id not in interp.env:
        static = program.function_value(f"{func.value.id}.{method}")
        if static is not None:  # `Losses.huber(pred, y)`
            return _local_call(interp, call, static, label)
    receiver = interp.eval(func.value, label if method in RETURNS_SELF else None)
    if method in ("zero_grad", "step"):
        _args(interp, call)
        interp.scope.calls.append(CallEvent(method, _receiver_label(interp, func, call), call,
                                            interp.order, interp.loop_depth))
        return EMPTY
    if method in N.DETACH_METHODS:
        _args(interp, call)
        brk = program.make_break(DETACH, call, func.value, f"`.{method}()`")
        result = receiver.broken(brk)
        if method == "detach_":
            _rebind(interp, func.value, result)
        return result
    if method in N.ROUNDTRIP_METHODS:
        _args(interp, call)
        base = _before_detach(func.value)
        if base is not func.value:  # `x.detach().numpy()`: the round trip is the point, not the detach
            receiver = interp.eval(base)
        brk = program.make_break(ROUNDTRIP, call, base, f"`.{method}()`")
        return receiver.broken(brk).with_tags(SCALAR_TAG if method == "item" else LIST_TAG)
    if method in N.NONDIFF_METHODS or _integer_cast(interp, method, call):
        _args(interp, call)
        if INTEGER_TAG in receiver.tags and not receiver.live:  # `mask.long()`: already an integer
            return Flow(frozenset(), receiver.cuts, frozenset({INTEGER_TAG}))
        brk = program.make_break(NONDIFF, call, func.value, f"`.{method}()`")
        integer = method in INTEGER_RESULTS or _integer_cast(interp, method, call)
        return receiver.broken(brk).with_tags(*((INTEGER_TAG,) if integer else ()))
    if method == "new_tensor" and call.args:
        data = interp.eval(call.args[0])
        if data.live:
            kind = TENSOR_FROM_LIST if isinstance(call.args[0], (ast.List, ast.Tuple)) else COPY_CONSTRUCT
            return data.broken(program.make_break(kind, call, call, "`.new_tensor(...)`"))
        return data.without_tags()
    if MODULE_TAG in receiver.tags and method in RETURNS_SELF:
        _args(interp, call)
        if method in ("eval", "train"):
            receiver = _with_mode(receiver, method == "eval" or bool(call.args) and _is_false(call.args[0]))
            _rebind(interp, func.value, receiver)
        return receiver
    if method in ("parameters", "named_parameters") and (receiver.live or MODULE_TAG in receiver.tags):
        return Flow(receiver.live, frozenset(), frozenset({PARAMS_TAG}))
    if method == "requires_grad_":
        return _requires_grad_(interp, call, func, receiver, label)
    if method in ("append", "extend", "insert", "add", "update", "put"):
        return _container_add(interp, call, func, receiver)
    if DISTRIBUTION_TAG in receiver.tags and method in ("sample", "sample_n"):
        _args(interp, call)
        if interp.no_grad:  # drawn under no_grad on purpose: the block is the (intended) cut
            return receiver
        brk = program.make_break(NONDIFF, call, func.value,
                                 f"`.{method}()` (drawn without gradient; `rsample()` keeps it)")
        return receiver.broken(brk)
    if method == "type" and (call.args or call.keywords):  # `.type(x.dtype)`: a cast, not a query
        args = _args(interp, call)
        return _method_shape(receiver.union(join(args)) if receiver.live or receiver.cuts else join(args),
                             method, receiver, args, interp, call)
    if method in N.METADATA_METHODS or method in NEW_TENSOR_METHODS:
        _args(interp, call)
        return EMPTY  # `x.shape`-like facts, `x.new_zeros(n)`: nothing of x's history
    if method in N.INPLACE_ARITHMETIC:
        return _inplace_method(interp, call, func, receiver)
    override = _subclass_override(interp, call, func)
    if override is not None:  # `self.encode(x)` in a base's method, for a subclass of another file
        return _apply_external_method(interp, call, override, receiver)
    local = program.method_summary(interp.scope, func)
    if local is not None and interp.no_grad and raises_not_implemented(local.node):
        # left to subclasses: what one computes from the arguments (`self.encode(x)` under
        # no_grad in the base's forward is a cut whichever subclass runs it; the break is this
        # file's, for a training script of the project to confirm). Elsewhere its result stays
        # unknown: a base's `loss()` returning `.item()` of it is a number on purpose.
        return _args_flow(interp, call).chained()
    if local is not None:
        return _local_call(interp, call, local, label, bound=True)
    if type(func.value) is ast.Name and func.value.id == "self" and interp.scope.class_info is not None:
        # `self.extract(x)` of a method a base class of another file defines
        elsewhere = program.inherited_elsewhere(interp.scope.class_info, method)
        if elsewhere is not None:
            return _apply_external_method(interp, call, elsewhere, receiver)
    if _class_method(interp, receiver, method) is not None or _external_method(interp, receiver, method):
        return _call_module(interp, call, receiver, method)
    if "self" in receiver.tags:  # an attribute of a plain class holding a module: self.net(x)
        attribute = interp.eval(func)
        if MODULE_TAG in attribute.tags or "callable" in attribute.tags:
            return _call_value(interp, call, attribute, N.dotted_text(func) or method, label)
    if MODULE_TAG in receiver.tags and method not in ("to", "cuda", "cpu", "float", "double", "half"):
        attribute = interp.eval(func)
        if attribute.tags & {MODULE_TAG, PARAMLESS_TAG, "callable"}:  # a submodule: self.relu(x)
            return _call_value(interp, call, attribute, N.dotted_text(func) or method, label)
        return _call_module(interp, call, receiver)
    if "callable" in receiver.tags:
        return _call_value(interp, call, receiver, N.dotted_text(func) or method, label)
    args = _args(interp, call)
    flow = receiver.union(join(args)) if receiver.live or receiver.cuts else join(args)
    if _returns_indices(method, call, 0) and (receiver.live or receiver.cuts):
        return _with_index_outputs(interp, Flow(flow.live, flow.cuts), method, call)
    if flow.live and method in N.SAVED_ARGUMENTS:
        _mark_saved_arguments(interp, method, [func.value, *call.args])
    return _method_shape(flow, method, receiver, args, interp, call)


def _subclass_override(interp, call: ast.Call, func: ast.Attribute):
    """The `ExternalFunction` a subclass of another file runs for `self.<method>` (see
    `ClassInfo.overrides`), when this scope is a method run for such a subclass and the call's
    arguments bind to its parameters (no `*args`)."""
    info = interp.scope.class_info
    if info is None or not info.overrides or type(func.value) is not ast.Name or func.value.id != "self":
        return None
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    return info.overrides.get(func.attr)


def _before_detach(node: ast.AST) -> ast.AST:
    """`x.detach().cpu()` -> `x`; anything without a detach in its chain is returned as is."""
    base, saw_detach = node, False
    while (isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and not base.args
           and base.func.attr in ("detach", "cpu", "clone", "contiguous")):
        saw_detach = saw_detach or base.func.attr == "detach"
        base = base.func.value
    return base if saw_detach else node


def _method_shape(flow: Flow, method: str, receiver: Flow, args: list[Flow], interp, call) -> Flow:
    base = Flow(flow.live, flow.cuts, frozenset())
    if INTEGER_TAG in receiver.tags and method not in _FLOAT_CASTS and not flow.live:
        base = base.with_tags(INTEGER_TAG)  # `mask.unsqueeze(-1)`, `ids.view(-1)`, `mask.sum()`
    if method in REDUCTIONS and not call.args and not call.keywords:
        return base.with_tags(SCALAR_TAG)
    if method in N.SAVES_OUTPUT_METHODS and receiver.live:
        return base.with_tags(SAVED_TAG, *(receiver.tags & {NONSCALAR_TAG}))
    if method in ("to", "cuda", "double", "half", "float", "bfloat16", "type") and LEAF_TAG in receiver.tags:
        return base.with_tags(*(receiver.tags & {NONSCALAR_TAG}))
    if NONSCALAR_TAG in receiver.tags and method not in REDUCTIONS:
        return base.with_tags(NONSCALAR_TAG)
    return base


# integer-valued results: comparisons, argmax, `.long()`; generated from torch (dtype of each op)
INTEGER_RESULTS = frozenset(N.V.INTEGER_RESULT_OPS | {"long", "int", "bool", "byte", "short", "char"})
INTEGER_FACTORIES = {"randint", "randperm", "randint_like", "bincount"}
# factories shaped like their argument: a new tensor without its history (requires_grad=True
# on them is handled before, as a new leaf)
LIKE_FACTORIES = {"zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like"}
NEW_TENSOR_METHODS = {"new_zeros", "new_ones", "new_empty", "new_full"}
_FLOAT_CASTS = {"float", "double", "half", "bfloat16", "to", "type", "softmax", "log_softmax", "mean",
                "true_divide", "div", "sigmoid", "exp", "log"}


def _integer_cast(interp, method: str, call: ast.Call) -> bool:
    if method not in ("to", "type") or not call.args:
        dtype = _keyword(call, "dtype")
        return method == "to" and dtype is not None and interp.imports.qualify(dtype) in N.INTEGER_DTYPES
    return interp.imports.qualify(call.args[0]) in N.INTEGER_DTYPES


def _receiver_label(interp, func: ast.Attribute, call: ast.Call) -> str | None:
    if func.attr == "step" and call.args and not isinstance(call.args[0], ast.Constant):
        return N.dotted_text(call.args[0])  # scaler.step(optimizer)
    return N.dotted_text(func.value)


def _backward_method(interp, call: ast.Call, func: ast.Attribute) -> Flow:
    if func.attr == "backward" and not call.args and not call.keywords or func.attr == "backward" and _is_tensor_backward(call):
        flow = interp.eval(func.value)
        has_gradient = bool(call.args) or _keyword(call, "gradient") is not None
        subject = N.expression_text(func.value)
        if not isinstance(func.value, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
            subject = f"({subject})"
        interp.scope.backward_subjects.add(N.dotted_text(func.value) or subject)
        _record_backward(interp, call, flow, f"`{_shorten(subject)}.backward()`", has_gradient)
        return EMPTY
    # accelerator.backward(loss), fabric.backward(loss), self.manual_backward(loss)
    interp.eval(func.value)
    flow = interp.eval(call.args[0]) if call.args else EMPTY
    for kw in call.keywords:
        interp.eval(kw.value)
    subject = N.expression_text(call.args[0]) if call.args else "loss"
    if call.args:
        interp.scope.backward_subjects.add(N.dotted_text(call.args[0]) or subject)
    _record_backward(interp, call, flow, f"`{_shorten(N.expression_text(func))}({_shorten(subject)})`", True)
    return EMPTY


def _is_tensor_backward(call: ast.Call) -> bool:
    """`loss.backward(gradient)` versus `accelerator.backward(loss)`."""
    receiver = call.func.value
    text = (N.dotted_text(receiver) or "").lower()
    return not any(word in text for word in ("accelerator", "fabric", "engine", "trainer", "model_engine"))


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _with_mode(module: Flow, evaluating: bool) -> Flow:
    tags = module.tags | {EVAL_TAG} if evaluating else module.tags - {EVAL_TAG}
    return Flow(module.live, module.cuts, tags, module.items, module.element, module.keys)


def _is_false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _rebind(interp, target: ast.AST, flow: Flow) -> None:
    key = N.dotted_text(target)
    if key is not None:
        interp.env[key] = flow


def _requires_grad_(interp, call: ast.Call, func: ast.Attribute, receiver: Flow, label: str | None) -> Flow:
    enabled = not call.args or _is_true(call.args[0]) or _is_true(_keyword(call, "requires_grad"))
    key = N.dotted_text(func.value)
    if not enabled:
        if key:
            interp.program.freeze(key)
        return receiver
    if key is None:
        return receiver.union(_source(label, TENSOR, call)) if label else receiver
    flow = receiver.union(_source(key, TENSOR, call))
    interp.env[key] = flow
    return flow


def _container_add(interp, call: ast.Call, func: ast.Attribute, receiver: Flow) -> Flow:
    # what goes into the list is computed like an assignment's value: under no_grad it is cut
    flows = [interp.eval_value(arg, None) for arg in call.args] + [interp.eval(kw.value) for kw in call.keywords]
    added = join(flows).without_tags()
    key = N.dotted_text(func.value)
    if key is not None and (added.live or added.cuts):
        interp.env[key] = Flow(receiver.live | added.live, receiver.cuts | added.cuts,
                               receiver.tags | {LIST_TAG}, (), _element_after(receiver, func.attr, call, flows))
        root, _, rest = key.partition(".")
        if rest and "." not in rest and (root == "self" or root not in interp.env and interp.program.has_global(root)):
            interp.scope.appended.add(key)  # a list of `self` or of a module-level object
    return EMPTY


def _element_after(receiver: Flow, method: str, call: ast.Call, flows: list) -> Flow | None:
    """What one element of the list is after `append(x)` / `insert(i, x)` / `extend(xs)`: the
    elements known so far joined with `x`; None when either is unknown."""
    known = receiver.element
    if known is None and not (receiver.live or receiver.cuts):
        known = EMPTY  # nothing in it yet that the engine knows of (an attribute of another method)
    if known is None or call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    if method == "append" and len(flows) == 1:
        return join_elements(known, flows[0])
    if method == "insert" and len(flows) == 2:
        return join_elements(known, flows[1])
    if method == "extend" and len(flows) == 1 and flows[0].element is not None:
        return join_elements(known, flows[0].element)
    return None


def _inplace_method(interp, call: ast.Call, func: ast.Attribute, receiver: Flow) -> Flow:
    value = _args_flow(interp, call)
    scope = interp.scope
    scope.inplace.append(InplaceEvent(func.value, call, receiver, interp.no_grad, func.attr, scope))
    after = Flow(receiver.live | value.live, receiver.cuts | value.cuts,
                 receiver.tags - {LEAF_TAG, SAVED_TAG})
    _rebind(interp, func.value, after)
    return after


# ----- calling values: modules, local functions, unknown callables -------------------------


def _call_module(interp, call: ast.Call, module: Flow, method: str = "forward") -> Flow:
    result = _module_result(interp, call, module, method)
    if method == "forward" and interp.scope.forward_hooks:
        _run_forward_hooks(interp, call, result)
    if method == "forward" and interp.scope.class_info is not None:
        _run_own_hooks(interp, call, result)
    if method == "forward":
        _run_script_hooks(interp, call, result)
    if method == "forward":
        _run_given_hooks(interp, call, result)
    return result


def _run_own_hooks(interp, call: ast.Call, output: Flow) -> None:
    """`self.net(x)` in a method of a module class that registers forward hooks on the layers
    of `self.net`: each hook runs here, on this call's input and output, so what it stores in
    `self` (`self.feats[name] = out.detach()`) is what the method reads next."""
    called = N.dotted_text(call.func)
    if called is None or not called.startswith("self.") or interp.running_hooks:
        return
    for hooked, hook, params in interp.program.own_forward_hooks_of(interp.scope.class_info):
        if runs_hook(called, hooked):
            _run_hook_body(interp, call, hook, params, output)


def _run_script_hooks(interp, call: ast.Call, output: Flow) -> None:
    """`model(x)` where the file registered a forward hook on `model` or a layer of it with a
    function of its own (`layer.register_forward_hook(save("feat"))`, a closure a top-level
    factory returns): the hook runs here, so what it stores in a global dict
    (`acts[name] = out.detach()`) is what the script reads next."""
    called = N.dotted_text(call.func)
    if called is None or interp.running_hooks:
        return
    for hooked, hook, params in interp.program.script_forward_hooks():
        if not runs_hook(called, hooked):
            continue
        # a layer's output: what that layer (and the ones before it) computed
        layer_output = output if hooked == called else Flow(frozenset({Origin(hooked, MODULE, call)}))
        _run_hook_body(interp, call, hook, params, layer_output)


def _run_given_hooks(interp, call: ast.Call, output: Flow) -> None:
    """`model(x)` in a method of a plain class that registered forward hooks on the model given
    to its constructor (`LayerTap(encoder, ...)`), `model` an argument of the method: the object
    watches the model it is handed, so its hooks run here, on what the model computed
    (`self.taken[name] = output.detach()` is what the method reads next)."""
    info = interp.scope.class_info
    if info is None or interp.running_hooks or type(call.func) is not ast.Name:
        return
    hooks = interp.program.given_module_hooks_of(info)  # cached: most classes register none
    if hooks and call.func.id in parameter_names(interp.scope.node):
        for _, hook, params in hooks:
            _run_hook_body(interp, call, hook, params, output)


def _run_hook_body(interp, call: ast.Call, hook: ast.AST, params: tuple, output: Flow) -> None:
    """The hook's statements, inline, on this call's input and output."""
    passed = dict(zip(params, (EMPTY, join(_args(interp, call)).without_tags(), output)))
    saved = {name: interp.env.get(name) for name in params}
    interp.running_hooks = True
    try:
        interp.env.update(passed)
        for stmt in hook.body:
            interp.statement(stmt)
    finally:
        interp.running_hooks = False
        for name, value in saved.items():
            if value is None:
                interp.env.pop(name, None)
            else:
                interp.env[name] = value


def _run_forward_hooks(interp, call: ast.Call, output: Flow) -> None:
    """The forward hooks objects of this scope registered on the called module or a module it
    holds: the attributes each assigns are what it computed from this call's input and output
    (`store.feats = out.detach()`), read as `store.feats` until the next call."""
    called = N.dotted_text(call.func)
    if called is None:
        return
    for hooked, holder, effect in interp.scope.forward_hooks:
        if not runs_hook(called, hooked):
            continue
        passed = {effect.inputs: join(_args(interp, call)).without_tags(), effect.output: output}
        interp.env[f"{holder}.{effect.attribute}"] = Summary(effect.written).apply(passed, call)


def _module_result(interp, call: ast.Call, module: Flow, method: str) -> Flow:
    # `self` of the method is the instance; renamed before the caller's arguments go in, whose
    # own `self.…` (a call made inside another method) must keep their names
    external = _as_built(interp, call, module, method) or _external_method(interp, module, method)
    if external is not None:
        return _apply_external_method(interp, call, external, module)
    if method == "forward" and module.items and any(t.startswith(SEQUENTIAL_PREFIX) for t in module.tags):
        return _call_sequential(interp, call, module)
    callee = _class_method(interp, module, method)
    if callee is not None:
        flows = {name: flow.chained() for name, flow in _bind_arguments(interp, call, callee, True).items()}
        facts = _gradient_free_inputs(interp, callee, flows)
        if EVAL_TAG in module.tags and mentions_training(interp.program, callee):
            facts = {**facts, TRAINING_FACT: False}
        summary = interp.program.specialized_summary(callee, facts) if facts else interp.program.summary(callee)
        if interp.no_grad:
            _train_without_grad(interp, callee)
        _grad_effect(interp, summary)
        _note_hazards(interp, summary.hazards, call, module)
        _note_modified_arguments(interp, summary.modifies, flows, call, module)
        _note_argument_hazards(interp, summary.argument_hazards, flows, call, module)
        returns = relabel_self(summary.returns, _instance_label(module))
        result = Summary(returns).apply(flows, call)
        if method == "forward" and any(BATCHED_TAG in f.tags for f in flows.values()):
            result = result.with_tags(NONSCALAR_TAG, BATCHED_TAG)
        return result
    if method == "forward":
        repeated = _repeated_layer(interp, call, module)
        if repeated is not None:
            return repeated
        sequence = _known_sequence(module)
        if sequence is not None and len(call.args) == 1 and not call.keywords and len(module.live) == 1:
            return _call_sequential(interp, call, sequence)
    args = _args(interp, call)
    if method == "forward":
        _layer_effects(interp, call, module, args)
        _note_called_argument(interp, module)
    # `module.training_step(x)` on a module whose class is unknown: maybe a method returning a
    # loss, not a submodule's forward; its result's shape is not the batch's
    batched = any(BATCHED_TAG in a.tags for a in args) and not (
        isinstance(call.func, ast.Attribute) and module.tags <= {MODULE_TAG})
    flow = join(args).without_tags().chained()
    result = Flow(module.live | flow.live, module.cuts | flow.cuts,
                  frozenset({NONSCALAR_TAG, BATCHED_TAG}) if batched else frozenset())
    return _torch_module_saved(interp, call, module, result, args[0] if args else None)


def _as_built(interp, call: ast.Call, module: Flow, method: str):
    """`model(img)` in a training script, where the setup evaluation (which runs the project's
    files) saw `model` built as an object of another file's class (`build_model("esmm")` over a
    registry), or built with submodules of such classes (`BACKBONES[cfg["type"]](...)`): that
    class's method as it runs on that object; the defining file alone cannot type what a
    config chose (`self.decode_head(feats)` runs that head's forward). None otherwise."""
    receiver = call.func if method == "forward" else getattr(call.func, "value", None)
    ask = getattr(interp.program.resolver, "instance_method", None)
    if type(receiver) is not ast.Name or ask is None or interp.running_hooks or len(module.live) > 1:
        return None
    known = [t for t in module.tags if t.startswith(("class:", "extclass:"))]
    if known and not known[0].startswith("extclass:"):
        return None
    tag, built, constants = interp.program.built_object(receiver.id, interp.scope)
    if not tag or (known and known[0] != tag):
        return None
    definition = interp.program.external(tag[9:])
    if not isinstance(definition, ExternalClass) or method not in definition.methods:
        return None
    if not built and not constants:
        return definition.methods[method] if not known else None
    try:
        return ask(definition, method, built, constants)
    except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
        return None


def _known_sequence(module: Flow) -> Flow | None:
    """`self.frontend` of `nn.Sequential(FusedLinear(...), nn.ReLU(), FusedLinear(...))` made in
    `__init__` (`ClassInfo.layer_sequence`): a flow with one item per layer, as `_call_sequential`
    runs them, each of a known class running its forward."""
    tag = next((t for t in module.tags if t.startswith(SEQUENCE_PREFIX)), None)
    if tag is None:
        return None
    label = _instance_label(module)
    items = []
    for index, kind in enumerate(tag[len(SEQUENCE_PREFIX):].split("|")):
        if kind == FREE_LAYER:
            items.append(Flow(tags=frozenset({PARAMLESS_TAG})))
            continue
        layer = Origin(f"{label}.{index}", MODULE, next(iter(module.live)).anchor)
        items.append(Flow(frozenset({layer}), frozenset(), frozenset({MODULE_TAG, kind} if kind else {MODULE_TAG})))
    return Flow(module.live, module.cuts, module.tags | {SEQUENCE_PREFIX}, tuple(items))


def _repeated_layer(interp, call: ast.Call, sequential: Flow) -> Flow | None:
    """`nn.Sequential(*[Block(...) for _ in range(n)])(x)`, every layer a Block of a known
    class: what gradient reaches through n of them is what reaches through one, so one
    Block's forward stands for them all (its cuts included)."""
    classes = [t[len(ELEMENTS_PREFIX):] for t in sequential.tags if t.startswith(ELEMENTS_PREFIX)]
    if len(classes) != 1 or not sequential.live:
        return None
    layer = Flow(sequential.live, sequential.cuts, frozenset({MODULE_TAG, classes[0]}))
    if _external_method(interp, layer, "forward") is None and _class_method(interp, layer, "forward") is None:
        return None
    return _call_module(interp, call, layer)


def _apply_external_method(interp, call: ast.Call, external, module: Flow) -> Flow:
    """The result of a call of another file's method (an `ExternalFunction`) on `module`."""
    bound = _bind_parameters(interp, call, external.params)
    external = _given_data(interp, external, bound, EVAL_TAG in module.tags)
    flows = {name: flow.chained() for name, flow in bound.items()}
    returns = relabel_self(external.returns_for(call), _instance_label(module))
    _note_hazards(interp, external.hazards, call, module)
    _note_modified_arguments(interp, external.modifies, flows, call, module)
    _external_grad_effect(interp, external, call)
    return localize(interp.program, Summary(returns).apply(flows, call), call)


def _given_data(interp, external, flows: dict, in_eval: bool = False):
    """`external` as it runs for a call passing data (nothing needing a gradient) to some of its
    parameters, where that can change what it returns (`ExternalFunction.gated`: a custom
    autograd Function computing a weight's gradient only when its input needs one), and on a
    module put in eval mode (`in_eval`) where it reads `self.training`."""
    ask = getattr(interp.program.resolver, "specialized_method", None)
    if ask is None:
        return external
    free = tuple(sorted(name for name, flow in flows.items() if _gradient_free(flow))) \
        if getattr(external, "gated", False) else ()
    in_eval = in_eval and getattr(external, "reads_training", False)
    if not free and not in_eval:
        return external
    try:
        return ask(external, free, in_eval) or external
    except Exception:  # noqa: BLE001 - a resolver failure must not cost the file's own findings
        return external


def _gradient_free(flow: Flow) -> bool:
    return not flow.live and not flow.cuts and not flow.tags & {MODULE_TAG, PARAMLESS_TAG, "callable"}


def _note_called_argument(interp, module: Flow) -> None:
    """`model(x)` with grad on, `model` a parameter of this function (`def train(model, ...)`):
    each caller runs the forward of the module it passes (`Summary.calls`)."""
    if interp.no_grad or len(module.live) != 1:
        return
    origin = next(iter(module.live))
    if origin.anchor is interp.scope.node and origin.label in interp.scope.env:
        interp.scope.called.add(origin.label)


def _note_forwards_run(interp, calls: tuple, flows: dict, call: ast.Call) -> None:
    """A call of a function that runs the forward of a module it is given (`train(model, ...)`):
    the in-place changes of saved tensors that forward makes happen here too."""
    for param in calls:
        flow = flows.get(param)
        for tag in flow.tags if flow is not None and not interp.no_grad else ():
            if tag.startswith(("class:", "extclass:")):
                forward = _forward_effects(interp, tag)
                if forward is not None:
                    _note_hazards(interp, forward[0], call, EMPTY)


def _layer_effects(interp, call: ast.Call, sequential: Flow, args: list) -> None:
    """An nn.Sequential of known layer classes (`self.body(x)`, see `ClassInfo.layer_classes`):
    the in-place changes of saved tensors their forwards make, and the change its first layer
    makes to the tensor given (`Summary.modifies`)."""
    for tag in sequential.tags:
        if tag.startswith(LAYER_PREFIX):
            forward = _forward_effects(interp, tag[len(LAYER_PREFIX):])
            if forward is not None:
                _note_hazards(interp, forward[0], call, sequential)
        elif tag.startswith(FIRST_LAYER_PREFIX) and len(args) == 1 and len(call.args) == 1:
            forward = _forward_effects(interp, tag[len(FIRST_LAYER_PREFIX):])
            if forward is not None and forward[2]:
                _note_modified_arguments(interp, forward[1], {forward[2][0]: args[0]}, call, sequential)


def _forward_effects(interp, class_tag: str) -> tuple | None:
    """(hazards, modifies, parameters without self) of the forward of a module class, of this
    file (`class:Name`) or another (`extclass:pkg.Name`)."""
    kind, _, name = class_tag.partition(":")
    if kind == "class":
        info = interp.program.local_class(name)
        callee = interp.program.method_of(info, "forward") if info is not None else None
        if callee is None:
            return None
        summary = interp.program.summary(callee)
        return summary.hazards, summary.modifies, tuple(callee.params[1:])
    definition = interp.program.external(name) if kind == "extclass" else None
    forward = definition.methods.get("forward") if isinstance(definition, ExternalClass) else None
    if forward is None:
        return None
    return forward.hazards, forward.modifies, tuple(forward.params)


def _call_sequential(interp, call: ast.Call, sequential: Flow) -> Flow:
    """`nn.Sequential(Block(...), nn.ReLU(), Block(...))(x)`: each layer runs on the output of the
    one before; a layer of a local class runs its forward (in eval mode after `.eval()`)."""
    args = _args(interp, call)
    value = join(args).without_tags().chained()
    label = _instance_label(sequential)
    evaluating = EVAL_TAG in sequential.tags
    given = args[0] if len(args) == 1 else EMPTY  # with its tags: what saved it
    for index, layer in enumerate(sequential.items):
        name = f"{label}.{index}"
        callee = _class_method(interp, layer, "forward")
        external = _external_method(interp, layer, "forward") if callee is None else None
        if external is not None and external.params:  # a layer of another file's class
            external = _given_data(interp, external, {external.params[0]: value}, evaluating)
            _note_hazards(interp, external.hazards, call, sequential)
            _external_grad_effect(interp, external, call)
            returns = relabel_self(external.returns_for(call), name)
            value = localize(interp.program, Summary(returns).apply({external.params[0]: value.chained()}, call), call)
            continue
        if callee is None:
            value = Flow(value.live | {Origin(name, o.kind, o.anchor) for o in layer.live}, value.cuts)
            continue
        params = callee.params[1:] if callee.is_method else callee.params
        if not params:
            return Flow(sequential.live | value.live, value.cuts)
        facts = {TRAINING_FACT: False} if evaluating and mentions_training(interp.program, callee) else {}
        facts.update(_gradient_free_inputs(interp, callee, {params[0]: value}))  # data into the first layer
        summary = interp.program.specialized_summary(callee, facts) if facts else interp.program.summary(callee)
        _grad_effect(interp, summary)
        _note_hazards(interp, summary.hazards, call, sequential)
        _note_modified_arguments(interp, summary.modifies, {params[0]: given if index == 0 else value}, call, sequential)
        value = Summary(relabel_self(summary.returns, name)).apply({params[0]: value.chained()}, call)
    return _torch_module_saved(interp, call, sequential, value)  # a last ReLU/Sigmoid keeps its output


def _torch_module_saved(interp, call: ast.Call, module: Flow, result: Flow, given: Flow | None = None) -> Flow:
    """A torch.nn layer keeps its input (Linear, Conv: for the weight's gradient) or its output
    (ReLU, Sigmoid, an nn.Sequential ending in one) for backward: mark them. `given`: the flow
    of its first argument, where the caller evaluated it."""
    saves_input, saves_output = torch_module_saves(module)
    if saves_input and call.args:
        _mark_saved(interp, call.args[0], by_layer=bool(module.live))
        if module.live:  # a layer with parameters: it keeps its input for the weights' gradient
            _inference_saved(interp, call.args[0], call, module, given)
    if saves_output and result.live and not interp.no_grad:
        return result.with_tags(SAVED_TAG)
    return result


def _mark_saved(interp, node: ast.AST, by_layer: bool = False) -> None:
    """`mm(a, b)` keeps `b` for backward: an in-place change of `b` after it makes backward raise.
    A layer with parameters (`by_layer`) keeps its input for the weights' gradient whether or not
    gradient reaches the input (`LAYER_INPUT_TAG`)."""
    if type(node) is not ast.Name or interp.no_grad:
        return
    flow = interp.env.get(node.id)
    # a leaf's in-place change fails as a leaf (GRD108) before any saved-tensor check
    if flow is None or not flow.live or LEAF_TAG in flow.tags:
        return
    tags = {SAVED_TAG, LAYER_INPUT_TAG} if by_layer else {SAVED_TAG}
    if not tags <= flow.tags:
        interp.env[node.id] = flow.with_tags(*tags)


def _mark_saved_arguments(interp, op: str, nodes: list) -> None:
    for position in N.SAVED_ARGUMENTS.get(op, ()):
        if position < len(nodes):
            _mark_saved(interp, nodes[position])


def _inference_saved(interp, node: ast.AST, call: ast.Call, module: Flow, given: Flow | None = None) -> None:
    """An inference-mode tensor fed, with grad on, to a layer whose weights train: autograd must
    save it and raises "Inference tensors cannot be saved for backward". `given`: its flow, as
    the caller evaluated it (`self.head(self.embed(x))`)."""
    if interp.no_grad or interp.inference is not None:
        return
    flow = given if given is not None else interp.eval(node) if type(node) in (ast.Name, ast.Attribute) else None
    for tag in flow.tags if flow is not None else ():
        if tag.startswith(INFERENCE_TAG):
            interp.scope.inference_saved.append((node, call, module, tag))


def _class_method(interp, instance: Flow, method: str):
    """The local class method `instance.method` runs, when `instance` is an object of a local class."""
    for tag in instance.tags:
        if tag.startswith("class:"):
            info = interp.program.local_class(tag[6:])
            if info is not None and (len(instance.live) == 1 or _plain_object(info, instance)):
                return interp.program.method_of(info, method)
    return None


def _external_method(interp, instance: Flow, method: str):
    for tag in instance.tags:
        if tag.startswith("class:") and len(instance.live) == 1:  # inherited from another file's class
            info = interp.program.local_class(tag[6:])
            found = interp.program.inherited_elsewhere(info, method) if info is not None else None
            if found is not None:
                return found
        if tag.startswith("extclass:"):
            definition = interp.program.external(tag[9:])
            if definition is not None and len(instance.live) == 1:
                return definition.methods.get(method)
    return None


def _plain_object(info, instance: Flow) -> bool:
    """An object of a local class holding no module or parameter: its methods compute from
    their arguments only."""
    return not instance.live and not info.is_module and not (info.params or info.modules)


def _instance_label(instance: Flow) -> str:
    return next(iter(instance.live)).label if instance.live else "self"


def relabel_self(flow: Flow, label: str) -> Flow:
    """Origins named after `self` inside a method, renamed after the instance it ran on."""
    def rename(origin: Origin) -> Origin:
        if origin.label == "self":
            return Origin(label, origin.kind, origin.anchor)
        if origin.label.startswith("self."):
            return Origin(label + origin.label[4:], origin.kind, origin.anchor)
        return origin

    live = frozenset(rename(o) for o in flow.live)
    cuts = frozenset(Cut(rename(c.origin), c.brk, c.chained, c.shadowed, c.role) for c in flow.cuts)
    items = tuple(relabel_self(item, label) for item in flow.items)
    return Flow(live, cuts, flow.tags, items, keys=flow.keys)


def _name_call(interp, call: ast.Call, name: str, label: str | None) -> Flow:
    if name in interp.env or interp.program.has_global(name):
        return _call_value(interp, call, interp.eval(call.func), name, label)
    program = interp.program
    local = program.local_callable(name)
    if local is not None:
        return _local_call(interp, call, local, label)
    if name in N.ROUNDTRIP_BUILTINS:
        return _roundtrip(interp, call, name)
    if name in EMPTY_BUILTINS:
        _args(interp, call)
        return EMPTY
    if name == "getattr" and call.args and interp.imports.qualify(call.args[0]) == "torch.optim":
        _args(interp, call)
        return Flow(tags=frozenset({OPTIMIZER_CLASS_TAG}))  # an optimizer class chosen by name
    member = _named_member(interp, call) if name == "getattr" else None
    if member is not None:  # `getattr(Losses, "huber")`
        return interp.eval(member)
    if name in PASS_THROUGH_BUILTINS:
        args = _args(interp, call)
        flow = join(args)
        element = args[0].element if name in SAME_ELEMENTS and len(args) == 1 and not call.keywords else None
        if name == "enumerate" and len(call.args) == 1 and MODULE_TAG in args[0].tags:
            element = Flow(items=(EMPTY, _elements(args[0])))  # (index, layer) of a ModuleList
        return Flow(flow.live, flow.cuts, flow.tags & {PARAMS_TAG, LIST_TAG}, (), element)
    if name in ("deepcopy",):
        return _qualified_call(interp, call, "copy.deepcopy", label)
    if program.imports.star_modules:  # `from .losses import *`: the resolver may know the name
        definition = program.external(name)
        if definition is not None:
            return _external_call(interp, call, definition, label)
    return _args_flow(interp, call)


def _named_member(interp, call: ast.Call) -> ast.Attribute | None:
    """`getattr(Losses, "huber")` as the attribute `Losses.huber` it reads; the name may be a
    global the script's setup decides (`getattr(Losses, args.loss)`, the option's default)."""
    if len(call.args) != 2 or call.keywords or type(call.args[0]) is not ast.Name:
        return None
    name = call.args[1]
    if isinstance(name, ast.Constant):
        member = name.value
    elif isinstance(name, (ast.Name, ast.Attribute)) and _global_root(interp, name):
        member = interp.program.setup_text(name)
    else:
        return None
    if not (isinstance(member, str) and member.isidentifier()):
        return None
    return ast.copy_location(ast.Attribute(value=call.args[0], attr=member, ctx=ast.Load()), call)


def _global_root(interp, expr: ast.AST) -> bool:
    """`args.loss` reads the module's `args`: at top level, or in a function that binds no `args`."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return type(expr) is ast.Name and (interp.scope.env is interp.program.module_env or expr.id not in interp.env)


def _call_value(interp, call: ast.Call, callee: Flow, text: str, label: str | None) -> Flow:
    for tag in callee.tags:
        if tag.startswith(APPLY_TAG):  # `fn = F.apply` ... `fn(x, t)`
            applied = interp.program.autograd_apply(tag[len(APPLY_TAG):])
            if applied is not None:
                return _autograd_apply(interp, call, applied)
    if OPTIMIZER_CLASS_TAG in callee.tags and not callee.live:
        return _optimizer(interp, call, label)
    function = _function_of(interp, callee)
    if function is not None:  # `loss_fn = log_cosh` ... `loss_fn(pred, y)`
        return _local_call(interp, call, function, label)
    elsewhere = _external_function_of(interp, callee)
    if elsewhere is not None:  # `loss_fn = losses.log_cosh` ... `loss_fn(pred, y)`
        return _external_call(interp, call, elsewhere, label)
    method = _plain_object_call(interp, callee)
    if method is not None:  # `tap(model, x)`: an object of a plain class of this file runs its `__call__`
        return _local_call(interp, call, method, text, bound=True)
    if MODULE_TAG in callee.tags:
        return _call_module(interp, call, callee)
    if PARAMLESS_TAG in callee.tags:
        forward = _as_built(interp, call, callee, "forward") or _external_loss_forward(interp, callee)
        if forward is not None:  # `criterion = DiceLoss()` of another file: its forward decides
            return _apply_method(interp, call, forward, text, chain=False).with_tags(SCALAR_TAG)
        local = _local_loss_forward(interp, callee)
        if local is not None:  # `criterion = DiceLoss(threshold=0.5)` of this file: its forward decides
            return _local_call(interp, call, local, text, bound=True).with_tags(SCALAR_TAG)
        args = _args(interp, call)
        flow = join(args).without_tags()
        if text.lower().endswith(("loss", "criterion", "loss_fn")):
            return flow.with_tags(SCALAR_TAG)
        if INPLACE_LAYER_TAG in callee.tags and args and call.args and not isinstance(call.args[0], ast.Starred):
            _in_place_layer_call(interp, call, args[0])
        return _torch_module_saved(interp, call, callee, flow)
    if OPTIMIZER_TAG in callee.tags:
        return _args_flow(interp, call)
    if callee.live and all(o.kind == MODULE for o in callee.live):
        return _call_module(interp, call, callee)
    typed = _built_callable_call(interp, call, callee, text)
    if typed is not None:
        return typed
    origins = {o for o in callee.live if o.kind == ARGUMENT}
    if origins or "callable" in callee.tags:
        args = _args_flow(interp, call).chained()
        base = text.split(".")[-1].lower()
        kind = MODULE if base in MODEL_LIKE_ARGS else MAYBE_MODULE
        if "loss" in base or "criterion" in base or base in ("crit", "objective", "loss_fn"):
            return args.with_tags(SCALAR_TAG)
        origin = Origin(text, kind, call)
        # the parameter itself too: a caller passing a module puts it in its place (its output
        # carries that module's gradient), whatever the parameter is called
        result = Flow(args.live | {origin} | origins, args.cuts, frozenset())
        _run_given_hooks(interp, call, result)
        return result
    return _args_flow(interp, call)


def _built_callable_call(interp, call: ast.Call, callee: Flow, text: str) -> Flow | None:
    """`criterion(out, click)` where the setup evaluation saw `criterion` built as an object of
    another file's plain class with a `__call__` (a loss computer handed to a training
    function): that `__call__` decides; None where the setup does not know."""
    if type(call.func) is not ast.Name or any(t.startswith(("class:", "extclass:")) for t in callee.tags):
        return None
    tag, *_ = interp.program.built_object(call.func.id, interp.scope)
    definition = interp.program.external(tag[9:]) if tag else None
    if not isinstance(definition, ExternalClass) or definition.is_module or not definition.is_loss:
        return None
    method = definition.methods.get("forward") or definition.methods.get("__call__")
    return _apply_method(interp, call, method, text, chain=False) if method is not None else None


def _plain_object_call(interp, value: Flow):
    """The `__call__` of this file's plain class (not an nn.Module, holding no gradient source)
    whose object `value` is, if known."""
    if value.live:
        return None
    named = [tag[len("class:"):] for tag in value.tags if tag.startswith("class:")]
    info = interp.program.local_class(named[0]) if len(named) == 1 else None
    if info is None or info.is_module or info.is_loss:
        return None
    return interp.program.method_of(info, "__call__")


def _function_of(interp, value: Flow):
    """The one function of this file the value is (`FUNCTION_TAG`); None when it may be several."""
    named = [tag[len(FUNCTION_TAG):] for tag in value.tags if tag.startswith(FUNCTION_TAG)]
    return interp.program.function_value(named[0]) if len(named) == 1 and not value.live else None


def _external_function_of(interp, value: Flow) -> ExternalFunction | None:
    """The one function of another file the value is (`EXTERNAL_FUNCTION_TAG`), if known."""
    named = [tag[len(EXTERNAL_FUNCTION_TAG):] for tag in value.tags if tag.startswith(EXTERNAL_FUNCTION_TAG)]
    definition = interp.program.external(named[0]) if len(named) == 1 and not value.live else None
    return definition if isinstance(definition, ExternalFunction) else None


def _autograd_function_of(interp, func: ast.Attribute):
    """The `ApplySummary` of `F` for `F.apply`, F a custom autograd.Function of this file."""
    if func.attr != "apply" or not isinstance(func.value, ast.Name) or func.value.id in interp.env:
        return None
    return interp.program.autograd_apply(func.value.id)


def _autograd_apply(interp, call: ast.Call, applied) -> Flow:
    """`F.apply(a0, a1, ...)`: each argument's gradient flows back as F's backward returns it
    (gradls/analysis/autograd_functions.py); a `None` there for every return cuts it."""
    flows = apply_call_flows(call, applied, interp.eval)
    if flows is None:
        return _args_flow(interp, call)
    gradient_free = {name for name, flow in flows.items() if not flow.live}
    return Summary(applied.for_call(gradient_free)).apply(flows, call)


def _local_loss_forward(interp, loss: Flow):
    """The `forward` of this file's parameterless loss class whose instance `loss` is, if known."""
    for tag in loss.tags:
        if tag.startswith("class:"):
            info = interp.program.local_class(tag[len("class:"):])
            if info is not None and info.is_loss:
                return interp.program.method_of(info, "forward") or interp.program.method_of(info, "__call__")
    return None


def _external_loss_forward(interp, loss: Flow):
    """The `forward` of the other file's loss class whose instance `loss` is, if known."""
    for tag in loss.tags:
        if tag.startswith("extclass:"):
            definition = interp.program.external(tag[len("extclass:"):])
            if isinstance(definition, ExternalClass):
                return definition.methods.get("forward") or definition.methods.get("__call__")
    return None


def _local_call(interp, call: ast.Call, callee, label: str | None, bound: bool = False) -> Flow:
    program = interp.program
    if callee.kind == "class":
        _args_flow(interp, call)
        if callee.info.is_loss and not (callee.info.params or callee.info.modules):
            return Flow(tags=frozenset({PARAMLESS_TAG, f"class:{callee.info.name}"}))
        if not callee.info.is_module and not (callee.info.params or callee.info.modules):
            # a plain object holding no module (an environment, a helper): no gradient source,
            # but calling its methods runs them
            return Flow(tags=frozenset({f"class:{callee.info.name}"}))
        instance = _fresh_module(label, call)
        return instance.with_tags(f"class:{callee.info.name}")
    constants = _literal_arguments(interp, call, callee, bound)
    summary = program.specialized_summary(callee, constants) if constants else program.summary(callee)
    arg_flows = _bind_arguments(interp, call, callee, bound)
    result = _named_as_bound(summary.apply(arg_flows, call), label)
    if interp.no_grad:
        result = _inner_cuts_undone(result, arg_flows)
        _train_without_grad(interp, callee)
    _note_hazards(interp, summary.hazards, call, EMPTY)
    _note_modified_arguments(interp, summary.modifies, arg_flows, call, EMPTY)
    _note_argument_hazards(interp, summary.argument_hazards, arg_flows, call, EMPTY)
    _note_forwards_run(interp, summary.calls, arg_flows, call)
    _grad_effect(interp, summary)
    _train_with_passed_modules(program, callee, arg_flows, constants, call)
    _freeze_passed_arguments(program, callee, call, bound)
    return result


def _train_without_grad(interp, callee) -> None:
    """A training function called while a `torch.set_grad_enabled(False)` statement has left grad
    off (a validation run before it that never turned it back on): its backward runs on a loss
    without graph. (Under a `with` block the block is the cut, and is seen where it is.)"""
    cause = interp.no_grad_cause
    if cause is None:
        return
    record = interp.program.records.get(callee.node)
    scope = record.scope if record is not None else None
    if scope is not None and any(s.kind == "backward" for s in scope.sinks):
        interp.program.train_without_grad(callee, cause)


def _inner_cuts_undone(result: Flow, arg_flows: dict[str, Flow]) -> Flow:
    """A function run under the caller's no_grad: the breaks in its body cut nothing the no_grad
    does not (a `.detach_()` inside `_loss` called under `torch.no_grad()`), so what they cut is
    handed back live, for the no_grad at the call to cut (or not, when that is deliberate)."""
    passed = frozenset().union(*(flow.cuts for flow in arg_flows.values()))
    inner = {cut for cut in result.cuts if cut not in passed}
    if not inner:
        return result
    live = result.live | {cut.origin for cut in inner}
    return Flow(live, result.cuts - inner, result.tags, result.items, result.element, result.keys)


def _freeze_passed_arguments(program, callee, call: ast.Call, bound: bool) -> None:
    """`lock(backbone)` where `lock` sets `requires_grad_(False)` on its parameter's parameters:
    the caller's `backbone` is frozen from here on, whatever the function is called."""
    record = program.records.get(callee.node)
    if record is None or not record.frozen:
        return
    for param, node in argument_nodes(call, callee.params[1:] if bound else callee.params).items():
        label = N.dotted_text(node)
        if label is None:
            continue
        for frozen in record.frozen:
            if frozen == param or frozen.startswith(param + "."):
                program.freeze(label + frozen[len(param):])


def _train_with_passed_modules(program, callee, arg_flows: dict[str, Flow], constants: dict, call: ast.Call) -> None:
    """`run_epoch(model, loader, optimizer)` with `model` a module object (of a project class or
    a torch layer): the function's backward calls are checked once more with that object bound
    (and the optimizer, and a function passed as the loss), whatever its parameters are called,
    and with the literals the call passes or leaves at their defaults (`train=False`)."""
    bound = {name: flow for name, flow in arg_flows.items()
             if _module_object(flow) or OPTIMIZER_TAG in flow.tags or _known_plain_object(flow)
             or _function_value(flow)}
    if not any(_module_object(flow) for flow in bound.values()):
        return
    record = program.records.get(callee.node)
    if record is None and constants:  # only its specialized summary ran: does it backpropagate at all?
        program.summary(callee)
        record = program.records.get(callee.node)
    scope = record.scope if record is not None else None
    if scope is None or not any(s.kind == "backward" for s in scope.sinks):
        return
    if _gates_on_inputs(program) or "checkpoint" in program.source.text:
        # the data it is handed reaches the model as data: a gated Function or a checkpoint
        # down its layers knows no input requires grad
        unbound = {name: flow for name, flow in arg_flows.items() if name not in bound}
        constants = {**_data_facts(unbound), **constants}
    program.train_with_modules(callee, bound, constants, call)


def _function_value(flow: Flow) -> bool:
    """A function of this file or another as a value (`fit(model, data, focal_loss)`)."""
    return not flow.live and not flow.cuts and any(t.startswith((FUNCTION_TAG, EXTERNAL_FUNCTION_TAG)) for t in flow.tags)


def _known_plain_object(flow: Flow) -> bool:
    """An object of a known class holding nothing trainable (a dataset drawing batches): its
    methods' results are what the training function computes on (data, not arguments)."""
    return not flow.live and not flow.cuts and any(t.startswith(("class:", "extclass:")) for t in flow.tags)


def _module_object(flow: Flow) -> bool:
    """A module object: a torch layer or an object of a module class."""
    return bool(flow.live) and all(o.kind == MODULE for o in flow.live)


def _literal_arguments(interp, call: ast.Call, callee, bound: bool) -> dict:
    """parameter -> literal, for the literals this call passes to parameters the callee's `if`
    tests read (`threshold=0.5`, `threshold=self.threshold` of a constant attribute, a
    parameter of a specialized caller passed on)."""
    params = callee.params[1:] if callee.is_method or bound and callee.class_info is None else callee.params
    tested = interp.program.tested_parameters(callee, params)
    if not tested:
        return {}
    expressions = dict(zip(params, (a for a in call.args if not isinstance(a, ast.Starred))))
    expressions.update({k.arg: k.value for k in call.keywords if k.arg is not None})
    class_constants = interp.program.class_constants(interp.scope)
    found = {}
    for name in tested:
        node = expressions.get(name)
        value = argument_constant(node, class_constants, interp.constants) if node is not None else \
            literal_default(callee.node, name)
        if value is not UNKNOWN_VALUE:
            found[name] = value
    found.update(_argument_types(interp, callee, tested - set(found), expressions))
    return found


def _argument_types(interp, callee, names: set, expressions: dict) -> dict:
    """parameter -> IS_TENSOR / NOT_TENSOR, for the arguments whose type this call knows and
    the callee tests (`isinstance(x, torch.Tensor)`)."""
    if not names:
        return {}
    names &= interp.program.type_tested(callee)
    found = {}
    for name in names:
        node = expressions.get(name)
        if isinstance(node, ast.Name) and node.id in interp.facts.types:
            known = interp.facts.types[node.id]
        elif node is not None:
            known = made_type(node, interp.imports, interp._module_tags)
        else:
            known = None
        if known is not None:
            found[name] = IS_TENSOR if known else NOT_TENSOR
    return found


def literal_default(function: ast.AST, name: str):
    """The literal default of parameter `name` (an argument the call leaves out)."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    node = defaults.get(name)
    return argument_constant(node, {}, {}) if node is not None else UNKNOWN_VALUE


def _in_place_layer_call(interp, call: ast.Call, given: Flow) -> None:
    """`x = self.act(x)` with `self.act = nn.ReLU(inplace=True)`: the layer overwrites `x`. The
    change is the construction's doing (`inplace=True` is what to change): it is reported there."""
    info = interp.scope.class_info
    func = call.func
    made = info.inplace_layers.get(func.attr) if info is not None and isinstance(func, ast.Attribute) \
        and isinstance(func.value, ast.Name) and func.value.id == "self" else None
    method = ast.unparse(made) if made is not None else f"{N.expression_text(func)}(...)"
    interp.scope.inplace.append(InplaceEvent(call.args[0], made or call, given, interp.no_grad, method, interp.scope))


def _note_modified_arguments(interp, modifies: tuple, flows: dict, call: ast.Call, called: Flow) -> None:
    """A call that changes in place the tensor passed for a parameter (`Summary.modifies`), given
    a tensor autograd saved (a layer's input, a ReLU's output) that carries gradient: its
    backward raises, the change is reported where the callee makes it."""
    if interp.no_grad:
        return
    for param, hazard in modifies:
        flow = flows.get(param)
        if flow is not None and saved_for_backward(flow):
            interp.scope.hazards.append((hazard, call, called))


def _note_argument_hazards(interp, hazards: tuple, flows: dict, call: ast.Call, called: Flow) -> None:
    """A call whose callee changes in place a tensor it saved, computed from a parameter
    (`Summary.argument_hazards`), given a tensor a known source gives gradient: its backward raises."""
    if interp.no_grad:
        return
    for param, hazard in hazards:
        flow = flows.get(param)
        if flow is not None and any(origin.kind != ARGUMENT for origin in flow.live):
            interp.scope.hazards.append((hazard, call, called))


def _note_hazards(interp, hazards: tuple, call: ast.Call, called: Flow) -> None:
    """A call, with grad on, of code that changes a saved tensor in place (`Summary.hazards`)."""
    if hazards and not interp.no_grad:
        interp.scope.hazards.extend((hazard, call, called) for hazard in hazards)


def _external_grad_effect(interp, external, call: ast.Call) -> None:
    """A function of another file that ends with grad off (`ExternalFunction.grad_off`) leaves it
    off here too: what is computed next is cut by a break naming that file's statement."""
    brk = getattr(external, "grad_off", None)
    if brk is None:
        return
    interp.program.grad_off_elsewhere[id(call)] = localized_break(interp.program, brk, call)
    interp.set_grad_mode(True, call)


def _grad_effect(interp, summary: Summary) -> None:
    """A function that ends with `torch.set_grad_enabled(False)` leaves grad off for its caller."""
    if summary.grad_off is not None:
        interp.set_grad_mode(True, summary.grad_off)


def _bind_arguments(interp, call: ast.Call, callee, bound: bool) -> dict[str, Flow]:
    # `bound`: called through an instance (`self.helper(x)`); a staticmethod takes no `self`
    params = callee.params[1:] if callee.is_method or bound and callee.class_info is None else callee.params
    return _bind_parameters(interp, call, params)
