"""Walks one function (or module body) and computes a `Flow` for every value.

The walk is a small abstract interpreter: statements run in order, both arms of an `if`
are joined, loop bodies run twice so loop-carried values settle. It records what the
rules need as events: sinks (backward calls, returns of losses and `forward`), in-place
operations, optimizer calls and accumulations.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from . import names as N
from .links import WeakLink
from .constants import decide_test
from .external import ExternalClass
from .hooks import hooked_argument
from .tensor_types import TypeFacts, decide as decide_by_type, made_type, tensor_argument, tested_name
from .autograd_functions import APPLY_TAG
from .values import (
    ARGUMENT, COPY_CONSTRUCT, DETACH, EMPTY, MAYBE_MODULE, MODULE, NO_GRAD, NONDIFF,
    PARAMETER, ROUNDTRIP, TENSOR, TENSOR_FROM_LIST, Break, Cut, Flow, Origin, join, join_elements,
)
from .walk import cached_walk

MODULE_TAG = "module"
PARAMLESS_TAG = "paramless"
PARAMS_TAG = "params"          # the result of model.parameters()
OPTIMIZER_TAG = "optimizer"
OPTIMIZER_CLASS_TAG = "optimizer-class"  # `getattr(torch.optim, name)`: calling it builds an optimizer
LEAF_TAG = "leaf"              # a leaf tensor that requires grad
INPLACE_LAYER_TAG = "inplace-layer"  # `nn.ReLU(inplace=True)`: calling it overwrites its argument
LAYER_PREFIX = "layer:"             # an nn.Sequential holding a layer of that class: `layer:class:Block`
FIRST_LAYER_PREFIX = "first-layer:"  # ... whose first layer, given the input, is of that class
ELEMENTS_PREFIX = "elements:"   # a ModuleList whose layers are all of one class: `elements:class:Block`
# an nn.Sequential attribute whose every layer is known, in order: `sequence:class:Block|free|` (a
# module class, a torch layer without parameters, another layer)
SEQUENCE_PREFIX = "sequence:"
FREE_LAYER = "free"
LAYER_INPUT_TAG = "saved:layer"  # with SAVED_TAG: kept by a layer with parameters (see `_mark_saved`)
SAVED_TAG = "saved"            # an output autograd saved for backward (sigmoid, exp, ...)
NONSCALAR_TAG = "nonscalar"     # holds more than one element, known from literal shapes
BATCHED_TAG = "batched"         # first of several dimensions is a literal > 1
SCALAR_TAG = "scalar"
LIST_TAG = "list"
# an integer or bool tensor (a comparison, argmax, `.long()`, randint): never carries gradient,
# so it is a mask, an index or a count, not a loss, and an operator's index argument
INTEGER_TAG = "integer"
INFERENCE_TAG = "inference@"
# a function of this file as a value (`loss_fn = log_cosh`, `Losses.huber`, `getattr(Losses, "huber")`):
# "fn:log_cosh", "fn:Losses.huber"; calling the value runs that function
FUNCTION_TAG = "fn:"
# a function of another file as a value (`loss_fn = losses.focal`, `Losses.huber` of another
# file's class, an imported name passed as an argument): "extfn:pkg.losses.focal"
EXTERNAL_FUNCTION_TAG = "extfn:"
LOCAL_FUNCTION_TAG = "localfn:"  # a function of the file asked about, passed by another file's call
EVAL_TAG = "mode:eval"          # a module after `.eval()` / `.train(False)`: its forward runs with self.training False
TRAINING_FACT = "self.training"  # the specialization fact a call of such a module passes    # made under torch.inference_mode() (`inference@line:col`): never saved by autograd

MODEL_LIKE_ARGS = {"model", "net", "network", "encoder", "decoder", "discriminator",
                   "backbone", "head", "policy", "actor", "critic", "classifier", "module",
                   "netg", "netd", "student", "q_net", "qnet", "predictor"}
REDUCTIONS = {"mean", "sum", "norm", "item", "prod", "max", "min", "std", "var", "logsumexp",
              "amax", "amin", "dot", "trace", "det"}


@dataclass(eq=False)  # one event per place a scope reached; see `same_sink`
class SinkEvent:
    flow: Flow
    node: ast.AST
    description: str          # "`loss.backward()`" or "the value `forward` returns"
    kind: str                 # "backward" | "return"
    order: int
    scope: "Scope" = WeakLink()
    has_gradient_arg: bool = False
    trained: frozenset | None = None   # labels the optimizer stepping after it covers; None: unknown
    # labels of every optimizer stepped after it before the next backward (`opt1.step();
    # opt2.step()` after two losses): what this backward may train; None: unknown
    stepped: frozenset | None = None


def same_sink(first, second) -> bool:
    """The same backward (or return) reaching the same value: two runs of one function (its
    interpretation with the modules two calls pass it) report it once. Never compares the
    scopes, which hold their sinks."""
    return first is second or (first.node is second.node and first.kind == second.kind and first.flow == second.flow)


@dataclass
class InplaceEvent:
    target: ast.AST           # the tensor expression modified
    node: ast.AST             # the statement or call doing it
    flow: Flow                # the target's flow before the operation
    under_no_grad: bool
    method: str               # "mul_", "+=", "[]="
    scope: "Scope" = WeakLink()


def breaks_backward(event: InplaceEvent) -> bool:
    """An in-place change, with grad on, of a tensor autograd saved: the backward through it raises."""
    return not event.under_no_grad and saved_for_backward(event.flow)


def saved_for_backward(flow: Flow) -> bool:
    """Autograd keeps this tensor: an output or input an operation saved, to which a known source
    (not an unresolved argument) gives gradient, or the input of a layer with parameters, kept
    for the weights' gradient whatever reaches it."""
    if SAVED_TAG not in flow.tags:
        return False
    return LAYER_INPUT_TAG in flow.tags or any(origin.kind != ARGUMENT for origin in flow.live)


@dataclass(frozen=True)
class LocalHazard:
    """An `InplaceEvent` that `breaks_backward`, as a summary holds it (compared by its nodes)."""
    node: ast.AST   # the statement or call doing it
    target: ast.AST
    method: str
    saved_by_callee: bool = False  # the function saved it itself, from what its caller passed


@dataclass(frozen=True)
class Hazard:
    """An in-place change of a saved tensor in another file (`breaks_backward`), as the functions
    calling into it export it: reported in that file when a training script backpropagates
    through the call (`SetupRootCause`)."""
    path: str       # root-relative, as `export_one` names the file
    span: tuple     # (line, column, end line, end column), 1-based columns
    target: str     # the tensor expression changed: `laterals[i - 1]`
    method: str     # `+=`, `mul_`


@dataclass
class AccumulateEvent:
    """`total += value` or `total = total + value`."""

    target: str
    node: ast.stmt
    added: ast.expr           # the expression added to the total
    value_flow: Flow
    in_loop: bool
    scope: "Scope" = WeakLink()


@dataclass
class CallEvent:
    """An optimizer-related method call: zero_grad, step, backward, in statement order."""

    method: str
    receiver: str | None
    node: ast.Call
    order: int
    loop_depth: int


@dataclass
class Scope:
    node: ast.AST                       # FunctionDef / AsyncFunctionDef / Module
    name: str
    class_info: "ClassInfo | None" = None
    is_loss: bool = False
    returns_sink: bool = False
    returns: Flow = EMPTY
    sinks: list = field(default_factory=list)
    inplace: list = field(default_factory=list)
    accumulations: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    optimizers: dict = field(default_factory=dict)   # label -> frozenset of labels, or None
    backward_subjects: set = field(default_factory=set)
    env: dict = field(default_factory=dict)
    # the `torch.set_grad_enabled(False)` statement (here or in a function it called) that left
    # grad off when the scope ended: its callers go on with grad off
    exit_no_grad: ast.AST | None = None
    # (node, call, module, tag) for an inference-mode tensor a layer keeps for backward
    inference_saved: list = field(default_factory=list)
    inference_made: dict = field(default_factory=dict)   # its tag -> the expression that made it
    appended: set = field(default_factory=set)   # `self.x` / `policy.x` lists this scope appends to
    # in-place changes of saved tensors inside the functions and modules this scope called with grad
    # on: (`LocalHazard` of this file or `Hazard` of another, the call, the called value)
    hazards: list = field(default_factory=list)
    called: set = field(default_factory=set)   # parameters it calls as modules with grad on (`model(x)`)
    # (hooked module label, label of the object keeping what the hook computes, hook method's
    # Callee) for the forward hooks objects built here register (gradls/analysis/hooks.py)
    forward_hooks: list = field(default_factory=list)
    _statements: list | None = None

    @property
    def statements(self) -> list:
        """This scope's own statements (nested functions and classes left out), computed once."""
        if self._statements is None:
            from .walk import statements

            self._statements = statements(self.node.body, into_definitions=False)
        return self._statements


@dataclass
class ClassInfo:
    name: str
    node: ast.ClassDef
    is_module: bool
    is_loss: bool
    modules: set = field(default_factory=set)       # attribute names holding submodules
    params: set = field(default_factory=set)        # attribute names holding nn.Parameter
    paramless: set = field(default_factory=set)     # attribute names holding parameterless modules
    callables: set = field(default_factory=set)     # attributes holding something unknown
    module_classes: dict = field(default_factory=dict)  # module attribute -> "class:Name"/"extclass:pkg.Name"
    # module attributes set from a constructor argument, typed by what the constructions pass
    # (`Loss(FeatureNet())`): a plain object holding only such modules still computes from its
    # arguments (a loss computer), not a model of its own
    passed_modules: set = field(default_factory=set)
    containers: set = field(default_factory=set)    # attributes the class sets to a list/dict literal
    element_classes: dict = field(default_factory=dict)  # ModuleList attribute -> its layers' "class:Name"
    inplace_layers: dict = field(default_factory=dict)   # attribute -> construction of an in-place layer
    # nn.Sequential attribute -> (the first layer's "class:Name" or None, the classes of its layers)
    layer_classes: dict = field(default_factory=dict)
    # nn.Sequential attribute -> what each of its layers is, in order ("class:Name", "extclass:…",
    # FREE_LAYER for a torch layer without parameters, "" for another layer), where all are known
    layer_sequence: dict = field(default_factory=dict)
    optimizers: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)
    # a subclass of another file (`FileAnalysis.subclass_of`): its own methods that replace this
    # file's (`encode` of the subclass for `self.encode(x)` in the base's `forward`), as
    # `ExternalFunction`s
    overrides: dict = field(default_factory=dict)
    # an object of another file built in a training script (`FileAnalysis.subclass_of`): the
    # literal attributes its construction gave it (`self.use_cache = True`), which decide its
    # methods' `if self.use_cache:` tests; None: see `instance_constants`
    given_constants: dict | None = None


def _pairs_names(stmt: ast.Assign) -> bool:
    """`a, b = f(), g()`: one target, a tuple of plain names, each given its own value."""
    target = stmt.targets[0] if len(stmt.targets) == 1 else None
    return (isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple)
            and len(target.elts) == len(stmt.value.elts) and all(type(t) is ast.Name for t in target.elts)
            and not any(isinstance(v, ast.Starred) for v in stmt.value.elts))


def _reads_training_positively(test: ast.AST) -> bool:
    """`if self.training: return x`: the pass-through is the training path itself."""
    if isinstance(test, ast.BoolOp):
        return any(_reads_training_positively(v) for v in test.values)
    return N.dotted_text(test) == "self.training"


class Interpreter:
    """Interprets one scope. `program` gives access to classes, summaries and globals."""

    def __init__(self, program, scope: Scope) -> None:
        self.program = program
        self.imports = program.imports
        self.scope = scope
        self.env: dict[str, Flow] = scope.env
        self.no_grad = False
        # the bare `torch.set_grad_enabled(False)` statement that turned grad off, when that is
        # how it went off (a `with` block or a decorator is its own cause: None)
        self.no_grad_cause: ast.AST | None = None
        self.deciding_call: ast.Call | None = None  # a specialized run: the call it stands for
        self.deciding_flag: str | None = None       # its argument that turned grad off
        # the `torch.inference_mode()` (block or decorator) the statements run under, or None
        self.inference: ast.AST | None = _inference_decorator(self.imports, scope.node)
        self.loop_depth = 0
        self.order = 0
        self.running_hooks = False  # a forward hook's statements run inline (calls.py `_run_own_hooks`)
        # parameter -> the literal every call of this specialized interpretation passes
        self.constants: dict = {}
        self.returned = False  # a branch known to run ended with return/raise
        self.facts = TypeFacts()  # which local names are Tensors (gradls/analysis/tensor_types.py)
        self.conditional = 0      # > 0 inside a subexpression that may not run (`a and f(x)`)

    # ----- statements -------------------------------------------------------------------

    def run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if self.returned:  # a decided branch returned: what follows never runs
                return
            self.order += 1
            self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        handler = _STATEMENT_HANDLERS.get(type(stmt))
        if handler is not None:
            handler(self, stmt)

    def set_grad_mode(self, no_grad: bool, cause: ast.AST | None) -> None:
        self.no_grad, self.no_grad_cause = no_grad, cause
        self.scope.exit_no_grad = cause if no_grad else None

    def stmt_Expr(self, stmt: ast.Expr) -> None:
        value = stmt.value
        if type(value) is ast.Call and self.set_grad_enabled_statement(value):
            return
        self.eval(value)

    def set_grad_enabled_statement(self, call: ast.Call) -> bool:
        """`torch.set_grad_enabled(False)` as a statement: grad is off for what follows in this
        scope (True turns it back on). A value the engine cannot read leaves grad on: unknown
        stays quiet."""
        if self.imports.qualify(call.func) not in N.SET_GRAD_ENABLED:
            return False
        arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "mode"), None)
        self.eval(arg)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, bool) and not arg.value:
            self.set_grad_mode(True, call)
        else:
            self.set_grad_mode(False, None)
        return True

    def stmt_Assign(self, stmt: ast.Assign) -> None:
        label = N.dotted_text(stmt.targets[0]) if len(stmt.targets) == 1 else None
        if label is None and _pairs_names(stmt):  # `teacher, student = build_teacher(), build_student()`
            flows = [self.eval_value(value, name.id) for name, value in zip(stmt.targets[0].elts, stmt.value.elts)]
            for name, flow in zip(stmt.targets[0].elts, flows):
                self.bind(name, flow, stmt)
                self._note_type(name.id, stmt.value.elts[flows.index(flow)])
            return
        self._note_accumulation(stmt, label)
        flow = self.eval_value(stmt.value, label)
        for target in stmt.targets:
            self.bind(target, flow, stmt)
        if label is not None and isinstance(stmt.value, ast.Call):
            self._note_forward_hooks(stmt.value, label)
        if len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
            if isinstance(target, ast.Name):
                self._note_type(target.id, value)
            elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
                for one, its_value in zip(target.elts, value.elts):  # x, y = torch.randn(8, 4), [...]
                    if isinstance(one, ast.Name):
                        self._note_type(one.id, its_value)

    def _note_forward_hooks(self, call: ast.Call, holder: str) -> None:
        """`store = FeatureStore(critic[1])` of a plain class (of this file or another) registering
        forward hooks on the model it is given: calls of `critic` run them for `store`
        (gradls/analysis/hooks.py)."""
        init_params, effects = self._watching_class(call)
        for effect in effects:
            argument = hooked_argument(call, list(init_params), effect.param)
            hooked = N.dotted_text(argument) if argument is not None else None
            if hooked is not None:
                self.scope.forward_hooks.append((hooked, holder, effect))

    def _watching_class(self, call: ast.Call) -> tuple:
        """(its `__init__` parameters, its `HookEffect`s) for a construction of a class watching a model."""
        info = self.program.local_class(call.func.id) if isinstance(call.func, ast.Name) else None
        if info is not None:
            init = info.methods.get("__init__")
            return (init.params[1:], self.program.watch_effects(info)) if init is not None else ((), ())
        if not isinstance(call.func, (ast.Name, ast.Attribute)) or self.program.resolver is None:
            return (), ()
        qualified = self.program.imports.qualify(call.func)
        definition = self.program.external(qualified) if qualified else None
        if isinstance(definition, ExternalClass) and definition.watches:
            return definition.init_params, definition.watches
        return (), ()

    def _note_type(self, name: str, value: ast.AST) -> None:
        """What `name = value` makes known of its type, or the type test it holds."""
        made = made_type(value, self.imports, self._module_tags)
        if made is not None:
            self.facts.types[name] = made
            return
        subject = tested_name(value, self.imports)
        if subject is not None and subject != name:
            self.facts.tests[name] = (value, subject)

    def _module_tags(self, func: ast.AST) -> frozenset:
        """The tags of the module `func` names, read without evaluating it again."""
        info = self.scope.class_info
        if (info is not None and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == "self" and func.attr in info.modules):
            known = info.module_classes.get(func.attr)
            return frozenset({known}) if known else frozenset()
        key = N.dotted_text(func)
        flow = self.env.get(key) if key is not None else None
        return flow.tags if flow is not None else frozenset()

    def _note_accumulation(self, stmt: ast.Assign, label: str | None) -> None:
        value = stmt.value
        if label is None or not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add)):
            return
        for same, added in ((value.left, value.right), (value.right, value.left)):
            if N.dotted_text(same) == label:
                self.scope.accumulations.append(
                    AccumulateEvent(label, stmt, added, self.eval(added), self.loop_depth > 0, self.scope))
                return

    def stmt_AnnAssign(self, stmt: ast.AnnAssign) -> None:
        if stmt.value is not None:
            flow = self.eval_value(stmt.value, N.dotted_text(stmt.target))
            self.bind(stmt.target, flow, stmt)

    def stmt_AugAssign(self, stmt: ast.AugAssign) -> None:
        value = self.eval_value(stmt.value, None)
        key = N.dotted_text(stmt.target)
        before = self.eval(stmt.target)
        if isinstance(stmt.target, ast.Name):
            self.facts.rebound(stmt.target.id)
        self.scope.inplace.append(InplaceEvent(stmt.target, stmt, before, self.no_grad,
                                               _augop_text(stmt.op), self.scope))
        if key is not None:
            if isinstance(stmt.op, ast.Add):
                self.scope.accumulations.append(
                    AccumulateEvent(key, stmt, stmt.value, value, self.loop_depth > 0, self.scope))
            self.env[key] = _after_inplace(before, value)

    def stmt_Return(self, stmt: ast.Return) -> None:
        if stmt.value is None:
            return
        flow = self.eval_value(stmt.value, None)
        first = self.scope.returns is EMPTY
        if INTEGER_TAG in flow.tags:  # a mask or indices: what a helper returns, never a loss
            self.scope.returns = flow if first else self.scope.returns.union(flow)
            return
        self.scope.returns = flow if first else self.scope.returns.union(flow)
        if self.scope.returns_sink:
            self.scope.sinks.append(SinkEvent(flow, stmt, f"the value `{self.scope.name}` returns",
                                              "return", self.order, self.scope))

    def stmt_If(self, stmt: ast.If) -> None:
        self.eval(stmt.test)
        taken = decide_test(stmt.test, {}, self.constants) if self.constants else None
        if taken is None:
            taken = self.program.branch_taken(self.scope, stmt.test)
        if taken is None:  # `if isinstance(x, torch.Tensor):` where x's type is known
            taken = decide_by_type(stmt.test, self.imports, self.facts.types, self.facts.tests)
        if taken is not None:  # `if self.flag:` with a flag every object of the script shares
            branch = stmt.body if taken else stmt.orelse
            self.run(branch)
            if _always_returns(branch):
                self.returned = True
            return
        if self._switched_off_pass_through(stmt):
            return  # the layer's off switch: what it does when on is what trains through it
        before = dict(self.env)
        facts = self.facts.copy()
        mode = (self.no_grad, self.no_grad_cause)
        self.run(stmt.body)
        after_body = self.env
        facts_after_body = self.facts
        body_mode = (self.no_grad, self.no_grad_cause)
        self.env = dict(before)
        self.facts = facts
        self.set_grad_mode(*mode)
        self.run(stmt.orelse)
        self.env = _join_envs(after_body, self.env)
        self.facts = facts_after_body.join(self.facts)
        self.scope.env = self.env
        if body_mode != (self.no_grad, self.no_grad_cause):  # grad mode depends on the branch
            self.set_grad_mode(False, None)  # unknown: quiet

    def _switched_off_pass_through(self, stmt: ast.If) -> bool:
        """`if not self.training or self.drop_prob == 0: return x` at the top of a module's
        forward: the layer switched off (in eval, or by its configuration) hands its input back
        unchanged. Whoever trains through the layer trains through what it does when on, so that
        path alone makes the summary (a no_grad there cuts the layers before it). A test that
        reads anything but the module's own attributes (an argument, a local) is left to the flow."""
        scope = self.scope
        info = scope.class_info
        if scope.name != "forward" or info is None or not info.is_module or stmt.orelse:
            return False
        if len(stmt.body) != 1 or not isinstance(stmt.body[0], ast.Return):
            return False
        returned = stmt.body[0].value
        params = [a.arg for a in scope.node.args.args[1:]]
        if not (isinstance(returned, ast.Name) and returned.id in params):
            return False
        names = {n.id for n in cached_walk(stmt.test) if isinstance(n, ast.Name)}
        if names != {"self"} or _reads_training_positively(stmt.test):
            return False
        return True

    def stmt_For(self, stmt: ast.For) -> None:
        self.program.note_loop(stmt)
        items = _elements(self.eval(stmt.iter))

        def iteration() -> None:
            self.bind(stmt.target, items, stmt)
            self.run(stmt.body)

        self.loop(iteration)
        self.run(stmt.orelse)

    stmt_AsyncFor = stmt_For

    def stmt_While(self, stmt: ast.While) -> None:
        def iteration() -> None:
            self.eval(stmt.test)
            self.run(stmt.body)

        self.loop(iteration)
        self.run(stmt.orelse)

    def loop(self, iteration) -> None:
        """Run a loop body until the values it carries into the next iteration settle (at most twice)."""
        self.loop_depth += 1
        for attempt in range(2):
            before = dict(self.env)
            facts = self.facts.copy()
            grad_was_off = self.no_grad
            iteration()
            self.env = _join_envs(before, self.env)
            self.facts = facts.join(self.facts)  # the body may not run
            self.scope.env = self.env
            # a `set_grad_enabled(False)` the body leaves on is the next iteration's grad mode
            grad_turned_off = self.no_grad and not grad_was_off and self.no_grad_cause is not None
            if not grad_turned_off and not any(self.env[key] != flow for key, flow in before.items()):
                break
        self.loop_depth -= 1

    def stmt_With(self, stmt: ast.With) -> None:
        saved = self.no_grad, self.no_grad_cause
        inference = self.inference
        facts = self.facts.copy()
        for item in stmt.items:
            mode = self.grad_mode_of(item.context_expr)
            if mode is not None:
                cause = self._deciding_call_of(item.context_expr) if mode else None
                if mode and cause is None and self._decided_by_loop_context(item.context_expr):
                    cause = item.context_expr  # `set_grad_enabled(phase == "training")`: off on every pass
                self.set_grad_mode(mode, cause)
                self.inference = item.context_expr if mode and _is_inference_mode(self.imports, item.context_expr) else None
            elif self._set_grad_enabled_unknown(item.context_expr):
                self.set_grad_mode(False, None)  # `set_grad_enabled(flag)`: unknown, quiet
            else:
                flow = self.eval(item.context_expr)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, flow, stmt)
        self.run(stmt.body)
        if any(self.grad_mode_of(item.context_expr) is None for item in stmt.items):
            # a context of its own (`contextlib.suppress(TypeError)`) may swallow what a use raised
            self.facts = facts.join(self.facts)
        self.set_grad_mode(*saved)
        self.inference = inference

    stmt_AsyncWith = stmt_With

    def _deciding_call_of(self, context: ast.AST) -> ast.Call | None:
        """`with torch.set_grad_enabled(train):` with `train` False as the call this run stands
        for passes it (or leaves its default): that call turned grad off."""
        if self.deciding_call is None or not self._set_grad_enabled_unknown(context) or not context.args:
            return None
        flag = context.args[0]
        if not (isinstance(flag, ast.Name) and self.constants.get(flag.id) is False):
            return None
        self.deciding_flag = flag.id
        return self.deciding_call

    def _set_grad_enabled_unknown(self, expr: ast.AST) -> bool:
        return isinstance(expr, ast.Call) and self.imports.qualify(expr.func) in N.SET_GRAD_ENABLED

    def stmt_Try(self, stmt: ast.Try) -> None:
        before = dict(self.env)
        facts = self.facts.copy()
        self.run(stmt.body)
        after = self.env
        after_facts = self.facts
        for handler in stmt.handlers:
            self.env = dict(before)
            self.facts = facts.copy()
            self.run(handler.body)
            after = _join_envs(after, self.env)
            after_facts = after_facts.join(self.facts)
        self.env = after
        self.facts = after_facts
        self.scope.env = self.env
        self.run(stmt.orelse)
        self.run(stmt.finalbody)

    stmt_TryStar = stmt_Try

    # ----- binding ----------------------------------------------------------------------

    def bind(self, target: ast.AST, flow: Flow, stmt: ast.stmt) -> None:
        if isinstance(target, (ast.Name, ast.Attribute)):
            key = N.dotted_text(target)
            if isinstance(target, ast.Name):
                self.facts.rebound(target.id)
            if key is not None:
                self.env[key] = flow
                if OPTIMIZER_TAG in flow.tags and key not in self.scope.optimizers:
                    covered = frozenset(o.label for o in flow.live) or None
                    built = self.program.built_by_helper(stmt)
                    self.program.record_optimizer(self.scope, key, covered, built or stmt, self.order,
                                                  call_site=stmt if built is not None else None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            element = flow.without_tags() if MODULE_TAG not in flow.tags else flow
            exact = len(flow.items) == len(target.elts) and not flow.keys \
                and not any(isinstance(t, ast.Starred) for t in target.elts)
            for index, item in enumerate(target.elts):
                value = flow.items[index] if exact else element
                self.bind(item.value if isinstance(item, ast.Starred) else item, value, stmt)
        elif isinstance(target, ast.Subscript):
            key = N.dotted_text(target.value)
            before = self.eval(target.value)
            self.scope.inplace.append(InplaceEvent(target.value, stmt, before, self.no_grad, "[]=",
                                                   self.scope))
            if key is not None and before.keys and isinstance(target.slice, ast.Constant) \
                    and isinstance(target.slice.value, str):
                self.env[key] = before.with_value_at(target.slice.value, flow)  # `losses["box"] = ...`
            elif key is not None:
                self.env[key] = _after_inplace(before, flow)

    def grad_mode_of(self, expr: ast.AST) -> bool | None:
        """True for a context that disables grad, False for one that enables it, else None."""
        if not isinstance(expr, ast.Call):
            name = self.imports.qualify(expr)
            return True if name in N.NO_GRAD_CONTEXTS - {"torch.enable_grad"} else None
        name = self.imports.qualify(expr.func)
        if name == "torch.enable_grad":
            return False
        if name == "torch.inference_mode" and expr.args and isinstance(expr.args[0], ast.Constant):
            return bool(expr.args[0].value) or None  # inference_mode(False): the outer mode
        if name in N.NO_GRAD_CONTEXTS:
            return True
        if name in N.SET_GRAD_ENABLED and expr.args:
            arg = expr.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, bool):
                return not arg.value
            if isinstance(arg, ast.Name) and isinstance(self.constants.get(arg.id), bool):
                return not self.constants[arg.id]  # a flag the specialized call passes (or left at its default)
            if N.dotted_text(arg) == "self.training" and TRAINING_FACT in self.constants:
                # `set_grad_enabled(self.training)` of a module the caller put in eval() (or train())
                return not self.constants[TRAINING_FACT]
            decided = self._decided_by_loop(arg)
            if decided is not None:
                return not decided
        return None

    def _decided_by_loop_context(self, context: ast.AST) -> bool:
        return isinstance(context, ast.Call) and self._set_grad_enabled_unknown(context) and bool(context.args) \
            and self._decided_by_loop(context.args[0]) is not None

    def _decided_by_loop(self, test: ast.AST) -> bool | None:
        """`phase == "training"` inside `for phase in ["train", "val"]:` (the loop variable bound
        nowhere else): the same truth on every iteration, or None."""
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in (ast.Eq, ast.NotEq)
                and isinstance(test.left, ast.Name) and isinstance(test.comparators[0], ast.Constant)):
            return None
        name, constant = test.left.id, test.comparators[0].value
        loops = [node for node in cached_walk(self.scope.node) if isinstance(node, ast.For)
                 and isinstance(node.target, ast.Name) and node.target.id == name
                 and node.lineno <= test.lineno <= (node.end_lineno or node.lineno)]
        bound = sum(1 for node in cached_walk(self.scope.node) if isinstance(node, ast.Name)
                    and node.id == name and isinstance(node.ctx, ast.Store))
        if len(loops) != 1 or bound != 1 or not isinstance(loops[0].iter, (ast.List, ast.Tuple)) \
                or not all(isinstance(e, ast.Constant) for e in loops[0].iter.elts):
            return None
        truths = {(e.value == constant) == isinstance(test.ops[0], ast.Eq) for e in loops[0].iter.elts}
        return truths.pop() if len(truths) == 1 else None

    # ----- expressions ------------------------------------------------------------------

    def eval_value(self, expr: ast.AST, label: str | None) -> Flow:
        """Evaluate the right side of an assignment; under no_grad the result is cut."""
        flow = self.eval(expr, label)
        if self.inference is not None and type(expr) is not ast.Name:
            tag = f"{INFERENCE_TAG}{expr.lineno}:{expr.col_offset}"
            self.scope.inference_made[tag] = expr
            flow = flow.with_tags(tag)
        if self.no_grad and flow.live and type(expr) is not ast.Name:  # `y = x` computes nothing
            cause = self.no_grad_cause
            if cause is not None and cause is self.deciding_call:  # the call passing the flag
                brk = self.program.make_break(
                    NO_GRAD, cause, expr, f"`{N.expression_text(cause.func)}(...)`, which leaves "
                    f"`{self.deciding_flag}` False for `torch.set_grad_enabled({self.deciding_flag})`")
            elif cause is not None and self._decided_by_loop_context(cause):
                brk = self.program.make_break(
                    NO_GRAD, cause, expr, f"`{_short_text(cause)}`, False on every pass of its loop")
            elif cause is not None:  # one break at the statement that turned grad off
                brk = self.program.grad_off_elsewhere.get(id(cause)) or \
                    self.program.make_break(NO_GRAD, cause, expr, "`torch.set_grad_enabled(False)`")
            else:
                brk = self.program.make_break(NO_GRAD, expr, expr, "`torch.no_grad()`")
            return flow.broken(brk).with_tags(*(flow.tags - {LEAF_TAG}))
        return flow

    def eval(self, expr: ast.AST, label: str | None = None) -> Flow:
        if expr is None:
            return EMPTY
        entry = _EXPRESSION_HANDLERS.get(type(expr))
        if entry is None:
            return self.eval_children(expr)
        handler, takes_label = entry
        return handler(self, expr, label) if takes_label else handler(self, expr)

    def eval_children(self, expr: ast.AST) -> Flow:
        return join(self.eval(child) for child in ast.iter_child_nodes(expr)
                    if isinstance(child, ast.expr)).without_tags()

    def expr_Constant(self, expr: ast.Constant) -> Flow:
        return EMPTY

    def expr_JoinedStr(self, expr: ast.JoinedStr) -> Flow:
        for value in expr.values:
            self.eval(value)
        return EMPTY

    def expr_Lambda(self, expr: ast.Lambda) -> Flow:
        return EMPTY

    def expr_Name(self, expr: ast.Name) -> Flow:
        flow = self.env.get(expr.id)
        if flow is None:
            flow = self.program.global_value(expr.id)
            if flow is EMPTY and self.program.function_value(expr.id):
                return Flow(tags=frozenset({FUNCTION_TAG + expr.id}))
        return flow

    def expr_Attribute(self, expr: ast.Attribute) -> Flow:
        key = N.dotted_text(expr)
        if key is not None and key in self.env:
            return self.env[key]
        if expr.attr in N.METADATA_ATTRIBUTES:
            self.eval(expr.value)
            if expr.attr == "grad" and key is not None:
                self.program.note_grad_read(key[:-5])
            return EMPTY
        if expr.attr == "data":
            base = self.eval(expr.value)
            brk = self.program.make_break(DETACH, expr, expr.value, "`.data`")
            return base.broken(brk)
        if expr.attr == "indices":
            base = self.eval(expr.value)
            return base.broken(self.program.make_break(NONDIFF, expr, expr.value, "`.indices`"))
        if (expr.attr == "apply" and isinstance(expr.value, ast.Name) and expr.value.id not in self.env
                and self.program.autograd_apply(expr.value.id) is not None):
            return Flow(tags=frozenset({APPLY_TAG + expr.value.id}))  # `fn = F.apply`: called later
        if isinstance(expr.value, ast.Name) and expr.value.id not in self.env \
                and self.program.function_value(f"{expr.value.id}.{expr.attr}"):
            return Flow(tags=frozenset({f"{FUNCTION_TAG}{expr.value.id}.{expr.attr}"}))  # `Losses.huber`
        if isinstance(expr.value, ast.Name) and expr.value.id not in self.env:
            function = self.program.external_function_value(expr)
            if function is not None:  # `losses.focal`, `Losses.huber` of another file
                return function
        base = self.eval(expr.value)
        if isinstance(expr.value, ast.Name) and expr.value.id == "self" and self.scope.class_info:
            return self.self_attribute(expr.attr, base)
        if MODULE_TAG in base.tags and key is not None:
            plain = self._plain_class_of(base)
            if plain is not None:
                return _plain_instance_attribute(plain, key, expr)
            if self._container_attribute(base, expr.attr):
                # `policy.saved_log_probs` (`self.saved_log_probs = []` in Policy): a list, not a
                # submodule; what the file's functions append to it
                return self.program.global_list_contents(key, self.scope.node)
            if _is_parameter_name(expr.attr):
                return Flow(frozenset({Origin(key, PARAMETER, expr)}), frozenset(), frozenset({LEAF_TAG}))
            return Flow(frozenset({Origin(key, MODULE, expr)}), frozenset(), frozenset({MODULE_TAG}))
        if self.imports.qualify(expr) is not None:
            return EMPTY
        return base.without_tags() if base.live or base.cuts else EMPTY

    def _plain_class_of(self, instance: Flow) -> "ClassInfo | None":
        """The local class of `instance` when it is not an nn.Module (a dataclass of views, a
        trainer): its attributes are what its methods assign, not parameters by name."""
        for tag in instance.tags:
            if tag.startswith("class:"):
                info = self.program.local_class(tag[6:])
                if info is not None and not info.is_module:
                    return info
        return None

    def _container_attribute(self, instance: Flow, attr: str) -> bool:
        for tag in instance.tags:
            if tag.startswith("class:"):
                info = self.program.local_class(tag[6:])
                return info is not None and attr in info.containers
        return False

    def self_attribute(self, attr: str, base: Flow) -> Flow:
        info = self.scope.class_info
        label = f"self.{attr}"
        if attr in info.params:
            return Flow(frozenset({Origin(label, PARAMETER)}), frozenset(), frozenset({LEAF_TAG}))
        if attr in info.modules:
            return Flow(frozenset({Origin(label, MODULE)}), frozenset(), _module_tags(info, attr))
        if attr in info.paramless:
            return Flow(tags=_paramless_tags(info, attr))
        if self.program.class_has_optimizer(info, attr):
            return Flow(tags=frozenset({OPTIMIZER_TAG}))
        if attr in info.callables or attr in info.methods:
            return Flow(tags=frozenset({"callable"}))
        # a list another method fills (`self.memory.append(...)`), else a hyperparameter, a
        # buffer, a flag: no gradient source
        return self.program.appended_contents(info, attr, self.scope.node)

    def expr_Subscript(self, expr: ast.Subscript) -> Flow:
        base = self.eval(expr.value)
        self.eval(expr.slice)
        if base.items and MODULE_TAG not in base.tags and isinstance(expr.slice, ast.Constant) \
                and isinstance(expr.slice.value, int):
            item = base.item(expr.slice.value)
            if item is not None:
                return item
        keyed = base.value_at(expr.slice.value) if base.keys and isinstance(expr.slice, ast.Constant) else None
        if keyed is not None:
            return keyed  # `losses["box"]` of a dict literal
        if base.element is not None and not base.items and not isinstance(expr.slice, ast.Slice):
            return base.element  # `memory[i]` of a list filled by append
        key = N.dotted_text(expr)
        if MODULE_TAG in base.tags and key is not None:
            return Flow(frozenset({Origin(key, MODULE, expr)}), frozenset(), _layer_tags(base))
        if MODULE_TAG in base.tags and any(t.startswith(ELEMENTS_PREFIX) for t in base.tags):
            return Flow(base.live, base.cuts, _layer_tags(base))  # `self.blocks[i]`
        if key is not None and base.live and _constant_index(expr.slice):
            base_key = N.dotted_text(expr.value)
            live = frozenset(
                Origin(key, o.kind, o.anchor) if o.label == base_key and o.kind in (TENSOR, PARAMETER, ARGUMENT) else o
                for o in base.live
            )
            return Flow(live, base.cuts, frozenset())
        return Flow(base.live, base.cuts, frozenset(base.tags & {SAVED_TAG, INTEGER_TAG}))

    def expr_BinOp(self, expr: ast.BinOp) -> Flow:
        left, right = self.eval(expr.left), self.eval(expr.right)
        role = "term" if isinstance(expr.op, (ast.Add, ast.Sub)) else "weight"
        if left.live:
            right = right.with_role(role)
        if right.live:
            left = left.with_role(role)
        flow = left.union(right)
        integer = INTEGER_TAG in left.tags and INTEGER_TAG in right.tags  # `mask_a & mask_b`
        return Flow(flow.live, flow.cuts, flow.tags & {NONSCALAR_TAG, BATCHED_TAG} | ({INTEGER_TAG} if integer else set()))

    def expr_UnaryOp(self, expr: ast.UnaryOp) -> Flow:
        operand = self.eval(expr.operand)
        if isinstance(expr.op, ast.Not):
            return EMPTY
        return Flow(operand.live, operand.cuts, operand.tags & {NONSCALAR_TAG, BATCHED_TAG, INTEGER_TAG})

    def expr_BoolOp(self, expr: ast.BoolOp) -> Flow:
        flows = [self.eval(expr.values[0])]
        self.conditional += 1  # `a and f(x)`: f may not run
        try:
            flows += [self.eval(value) for value in expr.values[1:]]
        finally:
            self.conditional -= 1
        return join(flows)

    def expr_Compare(self, expr: ast.Compare) -> Flow:
        flow = join([self.eval(expr.left), *(self.eval(c) for c in expr.comparators)])
        if not flow.live:
            return flow.without_tags().with_tags(INTEGER_TAG)
        op = _compare_text(expr.ops[0])
        return flow.broken(self.program.make_break(NONDIFF, expr, expr, f"the comparison `{op}`")).with_tags(INTEGER_TAG)

    def expr_IfExp(self, expr: ast.IfExp) -> Flow:
        self.eval(expr.test)
        taken = decide_by_type(expr.test, self.imports, self.facts.types, self.facts.tests)
        if taken is not None:
            return self.eval(expr.body if taken else expr.orelse)
        self.conditional += 1
        try:
            return self.eval(expr.body).union(self.eval(expr.orelse))
        finally:
            self.conditional -= 1

    def expr_List(self, expr) -> Flow:
        elements = [self.eval(e) for e in expr.elts]
        flow = join(elements)
        element = EMPTY
        for one in elements:
            element = join_elements(element, one)
        return Flow(flow.live, flow.cuts, frozenset({LIST_TAG}), tuple(elements), element)

    expr_Tuple = expr_List
    expr_Set = expr_List

    def expr_Starred(self, expr: ast.Starred) -> Flow:
        return self.eval(expr.value)

    def expr_Dict(self, expr: ast.Dict) -> Flow:
        values = [self.eval(v) for v in expr.values]
        flow = join(values).without_tags()
        keys = [k.value if isinstance(k, ast.Constant) else None for k in expr.keys]
        if not keys or not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
            return flow
        return Flow(flow.live, flow.cuts, items=tuple(values), keys=tuple(keys))

    def expr_NamedExpr(self, expr: ast.NamedExpr) -> Flow:
        flow = self.eval(expr.value)
        self.bind(expr.target, flow, expr)
        return flow

    def expr_ListComp(self, expr) -> Flow:
        saved = dict(self.env)
        facts = self.facts.copy()  # its names are its own scope's: the function's are as they were
        self.conditional += 1
        try:
            for comp in expr.generators:
                self.bind(comp.target, _elements(self.eval(comp.iter)), expr)
            elt = self.eval(expr.elt) if not isinstance(expr, ast.DictComp) else self.eval(expr.value)
        finally:
            self.conditional -= 1
        self.facts = facts
        self.env = saved
        self.scope.env = saved
        if isinstance(expr, ast.ListComp):  # `[layer(x) for layer in self.layers]`: its elements are `elt`
            return Flow(elt.live, elt.cuts, frozenset({LIST_TAG}), element=elt)
        return elt.without_tags().with_tags(LIST_TAG)

    expr_GeneratorExp = expr_ListComp
    expr_SetComp = expr_ListComp
    expr_DictComp = expr_ListComp

    def expr_Await(self, expr: ast.Await) -> Flow:
        return self.eval(expr.value)

    def expr_Call(self, expr: ast.Call, label: str | None = None) -> Flow:
        self.program.note_call(expr)
        flow = _evaluate_call(self, expr, label)
        if not self.conditional:
            name = tensor_argument(expr, self.imports, self._module_tags)
            if name is not None:  # the call returned: `name` is a Tensor
                self.facts.types[name] = True
        return flow


TORCH_MODULE_PREFIX = "torch:"
# torch.nn layers that do not keep their input for backward (an Embedding's input is integer
# indices; containers run their children)
_INPUT_NOT_SAVED = {"Embedding", "EmbeddingBag", "Sequential", "ModuleList", "ModuleDict", "Identity",
                    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "Flatten", "Unflatten"}


def torch_module_tag(short: str, call: ast.Call, imports) -> str:
    """`torch:Linear`; an `nn.Sequential` is known by its last layer, whose output it returns:
    `torch:Sequential>ReLU`."""
    if short == "Sequential" and call.args and isinstance(call.args[-1], ast.Call):
        last = imports.qualify(call.args[-1].func) or ""
        first = imports.qualify(call.args[0].func) or "" if isinstance(call.args[0], ast.Call) else ""
        if last.startswith("torch.nn."):
            head = first.rsplit(".", 1)[1] if first.startswith("torch.nn.") else ""
            return f"{TORCH_MODULE_PREFIX}Sequential:{head}>{last.rsplit('.', 1)[1]}"
    return f"{TORCH_MODULE_PREFIX}{short}"


def torch_module_saves(flow: Flow) -> tuple[bool, bool]:
    """(saves its input, saves its output) for a torch.nn layer, from the generated vocabulary:
    a layer with parameters keeps its input for the weight's gradient; ReLU, Sigmoid, Tanh,
    Softmax keep their output."""
    for tag in flow.tags:
        if tag.startswith(TORCH_MODULE_PREFIX):
            cls = tag[len(TORCH_MODULE_PREFIX):]
            first, _, last = cls.partition(">")
            if first.startswith("Sequential:"):  # an nn.Sequential: its first layer takes the input
                first = first[len("Sequential:"):] or "Sequential"
            output = (last or first).lower() in N.SAVES_OUTPUT_METHODS
            return (first not in _INPUT_NOT_SAVED and first not in N.PARAMLESS_MODULES
                    and MODULE_TAG in flow.tags), output
    return False, False


def _is_inference_mode(imports, expr: ast.AST) -> bool:
    func = expr.func if isinstance(expr, ast.Call) else expr
    if imports.qualify(func) != "torch.inference_mode":
        return False
    return not (isinstance(expr, ast.Call) and expr.args and isinstance(expr.args[0], ast.Constant)
                and expr.args[0].value is False)


def _inference_decorator(imports, node: ast.AST) -> ast.AST | None:
    for decorator in getattr(node, "decorator_list", ()):
        if _is_inference_mode(imports, decorator):
            return decorator
    return None


def _plain_instance_attribute(info: ClassInfo, key: str, expr: ast.Attribute) -> Flow:
    attr = expr.attr
    if attr in info.params:
        return Flow(frozenset({Origin(key, PARAMETER, expr)}), frozenset(), frozenset({LEAF_TAG}))
    if attr in info.modules:
        return Flow(frozenset({Origin(key, MODULE, expr)}), frozenset(), _module_tags(info, attr))
    if attr in info.paramless:
        return Flow(tags=_paramless_tags(info, attr))
    return EMPTY


def _paramless_tags(info: ClassInfo, attr: str) -> frozenset:
    known = info.module_classes.get(attr)
    tags = {PARAMLESS_TAG, known} if known else {PARAMLESS_TAG}
    if attr in info.inplace_layers:
        tags.add(INPLACE_LAYER_TAG)
    return frozenset(tags)


def _module_tags(info: ClassInfo, attr: str) -> frozenset:
    """A submodule's tags: which class it is, when known, so calling it runs that forward."""
    known = info.module_classes.get(attr)
    tags = {MODULE_TAG, known} if known else {MODULE_TAG}
    layers = info.element_classes.get(attr)
    if layers:
        tags.add(ELEMENTS_PREFIX + layers)
    first, known = info.layer_classes.get(attr, (None, ()))
    tags.update(LAYER_PREFIX + tag for tag in known)
    sequence = info.layer_sequence.get(attr)
    if sequence:
        tags.add(SEQUENCE_PREFIX + "|".join(sequence))
    if first:
        tags.add(FIRST_LAYER_PREFIX + first)
    return frozenset(tags)


def _layer_tags(container: Flow) -> frozenset:
    """A layer of a ModuleList (`self.blocks[i]`, `for block in self.blocks`): a module, of the
    class every layer was built from when that is known."""
    return frozenset({MODULE_TAG}) | {t[len(ELEMENTS_PREFIX):] for t in container.tags if t.startswith(ELEMENTS_PREFIX)}


def _handlers(prefix: str) -> dict:
    """Dispatch tables built once: `stmt_Assign` handles ast.Assign, `expr_Call` ast.Call."""
    table = {}
    for name in dir(Interpreter):
        if name.startswith(prefix) and hasattr(ast, name[len(prefix):]):
            function = getattr(Interpreter, name)
            node_type = getattr(ast, name[len(prefix):])
            table[node_type] = function if prefix == "stmt_" else (function, function.__code__.co_argcount == 3)
    return table


def _augop_text(op: ast.operator) -> str:
    return {
        ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=", ast.Pow: "**=",
        ast.MatMult: "@=", ast.FloorDiv: "//=", ast.Mod: "%=",
    }.get(type(op), "op=")


def _compare_text(op: ast.cmpop) -> str:
    return {
        ast.Gt: ">", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=",
    }.get(type(op), "comparison")


def _after_inplace(before: Flow, value: Flow) -> Flow:
    tags = before.tags - {LEAF_TAG, SAVED_TAG}
    return Flow(before.live | value.live, before.cuts | value.cuts, tags)


def _elements(items: Flow) -> Flow:
    """One element of an iterable: submodules of a ModuleList, leaves of `parameters()`, what
    was appended to a list."""
    if items.element is not None and not items.items:
        return items.element
    if MODULE_TAG in items.tags:
        return Flow(items.live, items.cuts, _layer_tags(items))
    if PARAMS_TAG in items.tags:
        return Flow(items.live, items.cuts, frozenset({LEAF_TAG}))
    return Flow(items.live, items.cuts, frozenset())


def _is_parameter_name(attr: str) -> bool:
    return attr in ("weight", "bias", "in_proj_weight", "in_proj_bias") or attr.startswith(("weight_", "bias_"))


def _join_envs(first: dict, second: dict) -> dict:
    if first is second:
        return first
    merged = dict(first)
    for key, flow in second.items():
        old = merged.get(key)
        merged[key] = flow if old is None or old is flow else old.union(flow)
    return merged


def _constant_index(node: ast.AST) -> bool:
    return all(isinstance(n, (ast.Constant, ast.Slice, ast.Tuple, ast.UnaryOp, ast.USub,
                              ast.Load, ast.Ellipsis if hasattr(ast, "Ellipsis") else ast.Constant))
               for n in cached_walk(node))


_STATEMENT_HANDLERS = _handlers("stmt_")
_EXPRESSION_HANDLERS = _handlers("expr_")


def _evaluate_call(interp: Interpreter, expr: ast.Call, label: str | None) -> Flow:
    """The call table is long: it lives in calls.py, which imports this module. Bound on first use
    (an import statement inside expr_Call cost ~2 µs per call, a tenth of the analysis)."""
    global _evaluate_call
    from .calls import evaluate_call

    _evaluate_call = evaluate_call
    return evaluate_call(interp, expr, label)


def _always_returns(body: list) -> bool:
    """Does running `body` always end in a return or raise (also inside a `with` block)?"""
    last = body[-1] if body else None
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    return isinstance(last, (ast.With, ast.AsyncWith)) and _always_returns(last.body)


def _short_text(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."
