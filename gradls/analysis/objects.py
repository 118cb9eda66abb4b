"""Typed objects from evaluating a script's setup code: modules, parameters, optimizers.

The flow analysis follows gradient *values*; what trains is decided elsewhere: which
parameters a model owns (what `__init__` registers), which of them require grad when
`backward()` first runs, and which tensors each optimizer holds. `SetupWorld` evaluates
the module-level code of a script (and the local functions and classes it calls) on
concrete values where they are known: a `Linear` has a `weight` and a `bias`, a loop over
`model.named_parameters()` visits each name, `"head" not in name` is true or false. A value
it cannot know is `UNKNOWN`; every decision that would need it is dropped, so the rules that
read this world stay quiet instead of guessing.

Evaluation stops at the first `backward()`: that is the moment the rules judge (what is
frozen, what each optimizer holds). It is bounded in statements and call depth.

With a `project` loader (the cross-module pass), a name imported from another file of the
project (`from models import build_model`, `import cfg`) is that file's function, class or
value: the file is parsed once per evaluation, its top-level definitions and assignments are
evaluated in its own namespace (its own imports), and its functions run there. A statement
of such a file that a rule reports is that file's (`path_of`).
"""

from __future__ import annotations

import ast
import os
import math
from dataclasses import dataclass, field

from . import names as N
from .names import ImportMap, dotted_text
from .walk import cached_walk, parameter_names


class _Unknown:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
STATEMENT_BUDGET = 20_000
CLASS_BUDGET = 5_000
MAX_DEPTH = 6
MAX_LOOP = 2_000
MAX_PROJECT_MODULES = 24      # files of the project one evaluation may load
# events a rule reports where their statement is, in another file too (`RuleContext.world_finding`)
ROOT_CAUSE_EVENTS = {"param-group-in-no-optimizer", "gradient-copy", "plain-module-container",
                     "module-replaced-after-optimizer", "module-requires-grad-attr",
                     "parameter-replaced-after-optimizer", "integer-parameter"}
# top-level modules never looked for in the project (the tables above know torch)
_NOT_PROJECT = ("torch", "numpy", "math", "typing", "functools", "collections", "copy", "os", "sys")


class _Stop(Exception):
    """Evaluation ends: the first backward ran, or the budget is spent."""


class _Return(Exception):
    def __init__(self, value):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass(eq=False)
class Param:
    requires_grad: bool = True
    floating: bool = True
    ndim: int | None = None                # how many dimensions, where known (`p.ndim == 1`: a bias)
    frozen_by: ast.AST | None = None      # the statement that last set requires_grad False
    collision: tuple | None = None        # (statement, pattern, name): a substring test that froze it


@dataclass(eq=False)
class ModuleObj:
    kind: str                              # "torch.nn.Linear", "class:Encoder"
    params: dict = field(default_factory=dict)      # own parameters, registration order
    children: dict = field(default_factory=dict)    # registered submodules
    attrs: dict = field(default_factory=dict)       # plain attributes (lists, numbers, ...)
    complete: bool = True                  # False: it may own parameters we do not know
    node: ast.AST | None = None
    buffers: dict = field(default_factory=dict)     # name -> the `register_buffer` statement
    copy_of: "ModuleObj | None" = None     # `copy.deepcopy(module)`: the module it copies

    def named_parameters(self, prefix: str = "", seen: set | None = None):
        seen = set() if seen is None else seen
        for name, param in self.params.items():
            if id(param) not in seen:
                seen.add(id(param))
                yield prefix + name, param
        for name, child in self.children.items():
            yield from child.named_parameters(f"{prefix}{name}.", seen)

    def named_modules(self, prefix: str = ""):
        yield prefix.rstrip("."), self
        for name, child in self.children.items():
            yield from child.named_modules(f"{prefix}{name}.")

    @property
    def fully_known(self) -> bool:
        return all(module.complete for _, module in self.named_modules())


@dataclass(eq=False)
class TensorVal:
    """A tensor the setup code made whose dtype is known: an integer one cannot require grad."""
    floating: bool
    requires_grad: bool = False           # `torch.tensor(1e-4, requires_grad=True)`: a leaf that trains
    node: ast.AST | None = None           # the call that made it (messages name its line)
    opaque: bool = False                  # made from a value not known: it may carry its history
    ndim: int | None = None               # how many dimensions, where the sizes were given


@dataclass(frozen=True)
class Copy:
    """`torch.tensor([0, a, a, 0])` / `torch.tensor(t)` of tensors requiring grad: a new leaf
    with their values and none of their history."""
    node: ast.Call
    of_list: bool                          # a list of tensors (GRD103) or one tensor (GRD104)
    dropped: frozenset                     # the tensors requiring grad whose gradient stops here


@dataclass(eq=False)
class Derived:
    """A tensor the setup code computed from tensors it knows (see `_tensor_result`): the
    tensors requiring grad whose gradient reaches it, and the copies it went through."""
    sources: frozenset = frozenset()
    copies: frozenset = frozenset()


@dataclass(eq=False)
class Generator:
    """`model.parameters()`: yields its items once."""
    items: list
    consumed_by: ast.AST | None = None
    dropped: list = field(default_factory=list)   # what a `filter(...)` over it left out
    complete: bool = True                          # False: it may yield items we do not know
    module: "ModuleObj | None" = None              # `module.parameters()`: whose parameters
    made_by: ast.AST | None = None                 # the `module.parameters()` call


@dataclass(eq=False)
class Optimizer:
    params: list
    node: ast.AST
    complete: bool = True                  # False: it holds tensors we do not know
    consumed_source: ast.AST | None = None  # a generator that was already used up
    dropped: list = field(default_factory=list)   # tensors a filter left out of it
    built_in: ast.AST | None = None        # the function whose code built it (None: the script's top level)
    over: "ModuleObj | None" = None        # `SGD(module.parameters())`: the module it was built over
    over_given_by: ast.AST | None = None   # that `module.parameters()` call


@dataclass(eq=False)
class Scheduler:
    optimizer: object


@dataclass(eq=False)
class Function:
    node: ast.FunctionDef
    bound: object = None                   # `self` for a method
    owner: "ClassObj | None" = None        # the class that defines it, for `super()`
    closure: dict | None = None            # the names of the function that defined it (a decorator's inner function)


@dataclass(eq=False)
class ClassObj:
    node: ast.ClassDef
    is_module: bool
    attrs: dict = field(default_factory=dict)


@dataclass(eq=False)
class Instance:
    cls: ClassObj
    attrs: dict = field(default_factory=dict)


@dataclass
class Event:
    kind: str            # "module-requires-grad-attr" | "plain-module-container"
    node: ast.AST
    detail: dict = field(default_factory=dict)


@dataclass
class Snapshot:
    """The world when the first backward ran."""
    node: ast.AST
    optimizers: list
    frame: dict = field(default_factory=dict)   # the names of the function (or script) running it
    # (the function's node, its names) for each function running then, outermost first: `main`
    # that built the model, then the `train_epoch(model, ...)` it called
    callers: tuple = ()


class ParamName(str):
    """A parameter's qualified name, as `named_parameters()` yields it."""


# ----- torch.nn classes: which parameters each owns -------------------------------------

_WEIGHT_BIAS = {"Linear", "Bilinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
                "ConvTranspose2d", "ConvTranspose3d", "BatchNorm1d", "BatchNorm2d",
                "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
                "InstanceNorm3d", "SyncBatchNorm", "RMSNorm"}
_WEIGHT_ONLY = {"Embedding", "EmbeddingBag", "PReLU"}
_AFFINE_OFF = {"BatchNorm1d": "affine", "BatchNorm2d": "affine", "BatchNorm3d": "affine",
               "SyncBatchNorm": "affine", "GroupNorm": "affine", "LayerNorm": "elementwise_affine",
               "RMSNorm": "elementwise_affine"}
_INSTANCE_NORM = {"InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"}
_RNN = {"LSTM": 1, "GRU": 1, "RNN": 1}
_RNN_CELL = {"LSTMCell", "GRUCell", "RNNCell"}
_CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}


def _nn_module(short: str, call: ast.Call, args: list, kwargs: dict, paramless: set) -> ModuleObj:
    module = ModuleObj(f"torch.nn.{short}", node=call)
    if short in paramless or short.endswith("Loss"):
        return module
    if short in _WEIGHT_BIAS or short in _WEIGHT_ONLY:
        names = ["weight"] if short in _WEIGHT_ONLY else ["weight", "bias"]
        if short in _INSTANCE_NORM and kwargs.get("affine") is not True:
            names = []
        elif short in _AFFINE_OFF and kwargs.get(_AFFINE_OFF[short], True) is False:
            names = []
        elif "bias" in names and kwargs.get("bias", True) is False:
            names = ["weight"]
        if any(v is UNKNOWN for v in kwargs.values() if not isinstance(v, (int, float, str))):
            module.complete = False
        module.params = {n: Param(ndim=_weight_ndim(short, args, kwargs) if n == "weight" else 1) for n in names}
        return module
    if short in _RNN or short in _RNN_CELL:
        return _rnn(module, short, kwargs)
    if short in _COMPOSITE and kwargs.get("bias", True) is True and kwargs.get("kdim") is None \
            and kwargs.get("vdim") is None:
        return _composite(module, _COMPOSITE[short])
    module.complete = False  # a torch.nn class whose parameters this table does not know
    return module


_CONTAINER_WRITES = {"append", "extend", "insert", "add", "update", "setdefault"}
_SIZED_FACTORIES = {"zeros", "ones", "empty", "randn", "rand", "full"}


def _dimensions(args, kwargs) -> int | None:
    """How many dimensions `torch.zeros(1, 1, d)` / `torch.zeros((4, 4))` / `torch.full((2,), 0.5)` make."""
    sizes = kwargs.get("size", args[0] if args else None)
    if isinstance(sizes, (tuple, list)):
        return len(sizes)
    if isinstance(sizes, int) and not isinstance(sizes, bool):
        return len([a for a in args if isinstance(a, int) and not isinstance(a, bool)]) or None
    return None


def _nesting(data) -> int | None:
    """The dimensions of `torch.tensor(data)`: 0 for a number, 1 for a flat list, ..."""
    if isinstance(data, (int, float)):
        return 0
    if isinstance(data, (list, tuple)) and data:
        inner = {_nesting(item) for item in data}
        return 1 + inner.pop() if len(inner) == 1 and None not in inner else None
    return None


def _weight_ndim(short: str, args, kwargs) -> int | None:
    """The dimensions of a torch layer's `weight`: 2 for Linear, 4 for Conv2d, 1 for a norm's."""
    if short in ("Linear", "Embedding", "EmbeddingBag"):
        return 2
    if short == "Bilinear":
        return 3
    if short.startswith(("Conv", "ConvTranspose")):
        return int(short[-2]) + 2
    if short == "LayerNorm":
        shape = args[0] if args else kwargs.get("normalized_shape")
        return len(shape) if isinstance(shape, (tuple, list)) else 1 if isinstance(shape, int) else None
    return 1  # batch, group, instance and RMS norms, PReLU


def torch_layer_parameters(short: str) -> tuple | None:
    """The parameters `nn.<short>` registers at its default flags (`Linear`: weight, bias), for a
    class deriving from it; None for a class this table does not know or that holds none."""
    if short not in _WEIGHT_BIAS and short not in _WEIGHT_ONLY and short not in _RNN and short not in _RNN_CELL:
        return None
    module = _nn_module(short, ast.Call(func=ast.Name(id=short), args=[], keywords=[]), [], {}, set())
    return tuple(module.params) or None


def torch_layer_has_parameters(call: ast.Call, imports: ImportMap, paramless: set) -> bool | None:
    """Whether `nn.X(...)` builds a layer holding parameters (`nn.Linear(4, 2)`: True,
    `nn.InstanceNorm2d(1)`: False); None when this table cannot tell."""
    qualified = imports.qualify(call.func) or ""
    if not qualified.startswith("torch.nn."):
        return None
    short = qualified.rsplit(".", 1)[1]
    kwargs = {k.arg: (k.value.value if isinstance(k.value, ast.Constant) else UNKNOWN)
              for k in call.keywords if k.arg is not None}
    module = _nn_module(short, call, [], kwargs, paramless)
    if not module.complete:
        return None
    return bool(module.params or module.children)


# Composite torch.nn layers at their default flags: their submodules and own parameters.
_ATTENTION = {"params": {"in_proj_weight": 2, "in_proj_bias": 1}, "children": {"out_proj": "Linear"}}
_COMPOSITE = {
    "MultiheadAttention": _ATTENTION,
    "TransformerEncoderLayer": {"children": {"self_attn": _ATTENTION, "linear1": "Linear", "linear2": "Linear",
                                             "norm1": "LayerNorm", "norm2": "LayerNorm"}},
    "TransformerDecoderLayer": {"children": {"self_attn": _ATTENTION, "multihead_attn": _ATTENTION,
                                             "linear1": "Linear", "linear2": "Linear", "norm1": "LayerNorm",
                                             "norm2": "LayerNorm", "norm3": "LayerNorm"}},
}


def _composite(module: ModuleObj, layout: dict) -> ModuleObj:
    module.params = {name: Param(ndim=ndim) for name, ndim in layout.get("params", {}).items()}
    for name, child in layout.get("children", {}).items():
        if isinstance(child, str):
            module.children[name] = ModuleObj(f"torch.nn.{child}", {"weight": Param(ndim=2 if child == "Linear" else 1),
                                                                    "bias": Param(ndim=1)})
        else:
            module.children[name] = _composite(ModuleObj("torch.nn.MultiheadAttention"), child)
    return module


def _rnn(module: ModuleObj, short: str, kwargs: dict) -> ModuleObj:
    bias = kwargs.get("bias", True)
    if short in _RNN_CELL:
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
        module.params = {n: Param(ndim=2 if n.startswith("weight") else 1) for n in names}
        return module
    layers, bidirectional = kwargs.get("num_layers", 1), kwargs.get("bidirectional", False)
    if not isinstance(layers, int) or not isinstance(bidirectional, bool) or not isinstance(bias, bool):
        module.complete = False
        return module
    for layer in range(layers):
        for suffix in ("", "_reverse") if bidirectional else ("",):
            for kind in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if bias else ()):
                module.params[f"{kind}_l{layer}{suffix}"] = Param(ndim=2 if kind.startswith("weight") else 1)
    return module


_RNN_POSITIONAL = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional")


class SetupWorld:
    """Evaluates a module's top-level code on typed objects; see the module docstring."""

    def __init__(self, tree: ast.Module, imports: ImportMap, paramless: set, project=None) -> None:
        self.tree = tree
        self.imports = imports
        # `project(module, importer)` -> (path, text, tree) of a project module as the file at
        # `importer` (None: the script itself) imports it, or None; see the module docstring
        self.project = project
        self.modules: dict[str, _ProjectModule] = {}    # path -> a loaded project file
        self.module_of: dict[int, _ProjectModule] = {}  # id(def node) -> the project file defining it
        self.current_module: _ProjectModule | None = None  # None: the script itself
        self.paramless = paramless
        self.globals: dict = {}
        self.main = (self.globals, imports)           # the script's namespace and imports
        self.events: list[Event] = []
        self.optimizers: list[Optimizer] = []
        self.snapshot: Snapshot | None = None
        self.uncertain = False        # a branch or loop that mattered could not be decided
        self.budget = STATEMENT_BUDGET
        self.instantiated: set = set()          # ids of the classes the script built
        self.receivers: list = []               # the `self` of each method running now
        self.running: list = []                 # the functions running now, innermost last
        self.frames: list = []                  # the names each of them bound
        self.yielding: list = []                # the `Generator` each generator function running fills
        self.arguments_unknown = False          # the next function runs with arguments not known (`check_classes`)
        self.checking_classes = False           # building the classes the script never built (`check_classes`)
        self.call_sites: list = []              # the statements that called them
        self.depth = 0
        self.container_nodes: dict[int, ast.AST] = {}   # id(list) -> where it was made
        self._containers: list = []                      # keeps those lists alive
        self.current_stmt: ast.AST | None = None
        self.top_stmt: ast.AST | None = None      # the module-level statement running now
        self.collision: tuple | None = None
        self.exact_patterns: set = set()      # patterns that also matched a name exactly
        self.collision_freezes: list = []     # parameters frozen right after such a collision
        self.snapshot_top: ast.AST | None = None
        self.param_groups: dict = {}          # id(dict) -> (a {"params": ...} group, the statement filling it)
        # the tensors it follows (`Derived`) may miss a contribution: a branch it could not
        # decide was skipped, a tensor was changed in place (see `_tensor_result`)
        self.tensor_gap = False
        self.grad_off = 0                     # inside `with torch.no_grad():` blocks

    @classmethod
    def evaluate(cls, tree: ast.Module, imports: ImportMap, paramless: set, project=None) -> "SetupWorld":
        world = cls(tree, imports, paramless, project)
        world.globals["__name__"] = "__main__"  # the script runs as the program
        try:
            world.run(tree.body, world.globals)
        except (_Stop, _Return, _Break, _Continue, RecursionError):
            pass
        world._enter(None)
        world.check_classes()
        if world.modules:  # what the rules read of events is reported in this file
            world.events = [e for e in world.events if e.kind in ROOT_CAUSE_EVENTS or all(
                world.path_of(n) is None for n in (e.node, *e.detail.values()) if isinstance(n, ast.AST))]
        return world

    # ----- other files of the project ---------------------------------------------------

    def path_of(self, node) -> str | None:
        """The project file (absolute path) whose tree holds `node`; None: the script itself."""
        if node is None or not self.modules:
            return None
        for module in self.modules.values():
            if module.holds(node):
                return module.path
        return None

    def text_of(self, path: str) -> str | None:
        module = self.modules.get(path)
        return module.text if module is not None else None

    def tree_of(self, path: str) -> ast.Module | None:
        module = self.modules.get(path)
        return module.tree if module is not None else None

    def _enter(self, module):
        """Run in `module`'s namespace (None: the script's); returns what to restore."""
        saved = (self.current_module, self.globals, self.imports)
        self.current_module = module
        if module is None:
            self.globals, self.imports = self.main
        else:
            self.globals, self.imports = module.globals, module.imports
        return saved

    def _leave(self, saved) -> None:
        self.current_module, self.globals, self.imports = saved

    def _project_value(self, qualified: str):
        """The value `qualified` (as the running file's imports name it) has in the project, or
        UNKNOWN: a function, a class, a module's namespace or a value bound at its top level."""
        if self.project is None:
            return UNKNOWN
        level = len(qualified) - len(qualified.lstrip("."))
        parts = qualified[level:].split(".")
        if not level and (not parts[0] or parts[0] in _NOT_PROJECT):
            return UNKNOWN
        for cut in range(len(parts), -1 if level else 0, -1):  # the longest prefix that is a module
            module = self._load("." * level + ".".join(parts[:cut]))
            if module is None:
                continue
            value = module
            for name in parts[cut:]:
                value = self.attribute(value, name)
                if value is UNKNOWN or isinstance(value, _BoundName):
                    return UNKNOWN
            return value
        return UNKNOWN

    def _load(self, name: str):
        importer = self.current_module.path if self.current_module is not None else None
        key = (importer, name)
        cache = self.__dict__.setdefault("_loaded", {})
        if key in cache:
            return cache[key]
        cache[key] = None
        if len(self.modules) >= MAX_PROJECT_MODULES:
            return None
        try:
            found = self.project(name, importer)
        except Exception:  # noqa: BLE001 - an unreadable file is an unknown module
            found = None
        if found is None:
            return None
        path, text, tree = found
        module = self.modules.get(path)
        if module is None:
            module = self.modules[path] = _ProjectModule(path, text, tree, ImportMap.from_module(tree))
            self._run_module(module)
        cache[key] = module
        return module

    def _run_module(self, module) -> None:
        """A project file's definitions and top-level assignments, in its own namespace (what
        importing it binds; its script part does not run)."""
        saved = self._enter(module)
        snapshot = self.snapshot
        depth, self.depth = self.depth, self.depth + 1
        try:
            package = os.path.basename(module.path) == "__init__.py"
            for stmt in module.tree.body:
                if package and isinstance(stmt, ast.ImportFrom) and stmt.level:
                    self._import_submodules(stmt)  # what importing the package registers
                    continue
                if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
                                         ast.AnnAssign)):
                    continue
                try:
                    self.run([stmt], module.globals)
                except (_Return, _Break, _Continue):
                    pass
                except _Stop:
                    if self.budget <= 0:
                        raise
                    self.snapshot = snapshot  # a backward the import ran: not the script's
        finally:
            self.depth = depth
            self._leave(saved)

    def _import_submodules(self, stmt: ast.ImportFrom) -> None:
        """`from .backbone import ResNet` / `from . import heads` in a package's `__init__.py`:
        the submodules run (their classes may register themselves in a table, `@register(...)`)."""
        base = "." * stmt.level + (stmt.module or "")
        if stmt.module:
            self._load(base)
            return
        for alias in stmt.names:
            if alias.name != "*":
                self._load(base + alias.name)

    def release(self) -> None:
        """Break the reference cycles the evaluation made (a class's methods point back at it,
        environments hold the functions that close over them) so that reference counting
        frees the world at once: a dropped analysis must not wait for the cyclic collector."""
        # Only the evaluation's own objects are cleared: containers reached through them may
        # belong to the caller (the syntax tree, the shared module tables).
        owned, seen, stack = [], set(), [self]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, dict):
                stack.extend(obj.values())
            elif isinstance(obj, (list, set, tuple, frozenset)):
                stack.extend(obj)
            elif type(obj).__module__ == __name__ and hasattr(obj, "__dict__"):
                owned.append(obj)
                stack.extend(vars(obj).values())
        for container in self._containers:
            container.clear()
        for obj in owned:
            vars(obj).clear()

    def check_classes(self) -> None:
        """Build each module class the script never built, with unknown arguments: what its
        `__init__` registers is decided by its code alone (a model file with no training loop)."""
        self.budget = CLASS_BUDGET
        self.checking_classes = True
        try:
            for value in list(self.globals.values()):
                if isinstance(value, ClassObj) and value.is_module and id(value) not in self.instantiated \
                        and _init_may_report(value):
                    self.arguments_unknown = True  # its `*args` / `**kwargs` are not empty: not known
                    try:
                        self.instantiate(value, [], {}, value.node)
                    except (_Stop, _Return, _Break, _Continue, RecursionError):
                        pass
                    self.arguments_unknown = False
                    if self.budget <= 0:
                        return
        finally:
            self.checking_classes = False

    # ----- statements ------------------------------------------------------------------

    def run(self, body: list, env: dict) -> None:
        for stmt in body:
            self.budget -= 1
            if self.budget <= 0:
                raise _Stop()
            self.current_stmt = stmt
            if self.depth == 0:
                self.top_stmt = stmt
            handler = getattr(self, f"stmt_{type(stmt).__name__}", None)
            if handler is not None:
                handler(stmt, env)

    def stmt_FunctionDef(self, stmt, env):
        # a copy of the names bound so far (not the frame itself, which will hold this function:
        # a reference cycle that would outlive the evaluation)
        env[stmt.name] = Function(stmt, closure=dict(env) if env is not self.globals else None)
        if self.current_module is not None:
            self.module_of[id(stmt)] = self.current_module

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def stmt_ClassDef(self, stmt, env):
        bases = [self.imports.qualify(b) or dotted_text(b) or "" for b in stmt.bases]
        scope = env
        for base in bases:  # a base class of another project file
            if base and base not in env and not base.startswith("torch.") and self.project is not None:
                found = self._project_value(base)
                if isinstance(found, ClassObj):
                    env = {**env, base: found}
        is_module = any(b.startswith("torch.nn.") and (b.rsplit(".", 1)[-1] in ("Module",)
                                                       or torch_layer_parameters(b.rsplit(".", 1)[-1]) is not None)
                        or isinstance(env.get(b), ClassObj) and env[b].is_module for b in bases)
        known_bases = all(b in ("", "object") or b.startswith("torch.nn.Module") or isinstance(env.get(b), ClassObj)
                          for b in bases)
        cls = ClassObj(stmt, is_module)
        cls.attrs["__known_bases__"] = known_bases
        cls.attrs["__bases__"] = [env.get(b) for b in bases if isinstance(env.get(b), ClassObj)]
        for item in stmt.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                cls.attrs[item.name] = Function(item, owner=cls)
                if self.current_module is not None:
                    self.module_of[id(item)] = self.current_module
            elif isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
                cls.attrs[item.targets[0].id] = self.eval(item.value, env)
        scope[stmt.name] = self._decorated(cls, stmt, env)

    def _decorated(self, cls: ClassObj, stmt: ast.ClassDef, env):
        """The class as its decorators leave it (`@register(BACKBONES, "resnet")` stores it in a
        table and returns it); a decorator not known leaves the class itself."""
        value = cls
        for decorator in reversed(stmt.decorator_list):
            func = self.eval(decorator, env)
            if not isinstance(func, (Function, _Lambda)):
                continue
            result = self.invoke(func, [value], {}) if isinstance(func, Function) else self.call_lambda(func, [value])
            if isinstance(result, ClassObj):
                value = result
        return value

    def stmt_Import(self, stmt, env):
        pass

    def stmt_Expr(self, stmt, env):
        self.eval(stmt.value, env)

    def stmt_Assign(self, stmt, env):
        value = self.eval(stmt.value, env)
        if isinstance(value, list) and isinstance(stmt.value, (ast.List, ast.ListComp)):
            self._note_container(value, stmt)
        for target in stmt.targets:
            self.assign(target, value, env, stmt)

    def stmt_AnnAssign(self, stmt, env):
        if stmt.value is not None:
            self.assign(stmt.target, self.eval(stmt.value, env), env, stmt)

    def stmt_AugAssign(self, stmt, env):
        current = self.eval(stmt.target, env)
        value = self.eval(stmt.value, env)
        if isinstance(current, list) and isinstance(value, (list, tuple)) and isinstance(stmt.op, ast.Add):
            current.extend(value)
            return
        self.assign(stmt.target, self._binop(stmt.op, current, value), env, stmt)

    def stmt_Return(self, stmt, env):
        raise _Return(self.eval(stmt.value, env) if stmt.value is not None else None)

    def stmt_Break(self, stmt, env):
        raise _Break()

    def stmt_Continue(self, stmt, env):
        raise _Continue()

    def stmt_If(self, stmt, env):
        self.collision = None
        test = self.test(stmt.test, env)
        if test is UNKNOWN:
            self.collision = None
            if _matters(stmt):
                self.uncertain = True
            if not (_inert(stmt.body) and _inert(stmt.orelse)):
                self.tensor_gap = True
            return
        try:
            self.run(stmt.body if test else stmt.orelse, env)
        finally:
            self.collision = None

    def stmt_For(self, stmt, env):
        items = self.iterate(self.eval(stmt.iter, env), stmt)
        if items is UNKNOWN:
            # a loop over data: its body runs, values unknown, once (the training loop)
            if _matters(stmt):
                self.uncertain = True
            self.assign(stmt.target, UNKNOWN, env, stmt)
            self._loop_body(stmt, env, [UNKNOWN])
            return
        self._loop_body(stmt, env, items)

    def _loop_body(self, stmt, env, items) -> None:
        for count, item in enumerate(items):
            if count >= MAX_LOOP:
                self.uncertain = self.tensor_gap = True
                return
            self.assign(stmt.target, item, env, stmt)
            try:
                self.run(stmt.body, env)
            except _Break:
                return
            except _Continue:
                continue
        self.run(stmt.orelse, env)

    def stmt_While(self, stmt, env):
        if not (isinstance(stmt.test, ast.Constant) and stmt.test.value is True):
            self.tensor_gap = True  # its body runs once here, whatever the test says
        try:
            self.run(stmt.body, env)
        except (_Break, _Continue):
            pass

    def stmt_With(self, stmt, env):
        for item in stmt.items:
            value = self.eval(item.context_expr, env)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, UNKNOWN if not isinstance(value, (ModuleObj,)) else value, env, stmt)
        grad_off = any(_grad_off_context(item.context_expr, self.imports) for item in stmt.items)
        self.grad_off += grad_off
        try:
            self.run(stmt.body, env)
        finally:
            self.grad_off -= grad_off

    def stmt_Try(self, stmt, env):
        self.run(stmt.body, env)
        self.run(stmt.finalbody, env)

    stmt_TryStar = stmt_Try

    # ----- assignment ------------------------------------------------------------------

    def assign(self, target, value, env, stmt) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = list(value) if isinstance(value, (tuple, list)) else None
            if values is not None and len(values) == len(target.elts) and not any(
                    isinstance(e, ast.Starred) for e in target.elts):
                for element, item in zip(target.elts, values):
                    self.assign(element, item, env, stmt)
            else:
                for element in target.elts:
                    self.assign(element.value if isinstance(element, ast.Starred) else element, UNKNOWN, env, stmt)
        elif isinstance(target, ast.Attribute):
            self.set_attribute(self.eval(target.value, env), target.attr, value, stmt)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value, env)
            key = self.eval(target.slice, env)
            if _tensor_like(container):
                self.tensor_gap = True  # `x[0] = y`: a tensor changed in place
            if isinstance(container, dict) and _hashable(key):
                container[key] = value
                if key == "params":
                    self._note_group(container, stmt)
            elif isinstance(container, list) and isinstance(key, int) and -len(container) <= key < len(container):
                container[key] = value

    def set_attribute(self, obj, attr: str, value, stmt) -> None:
        if isinstance(obj, Param):
            if attr == "requires_grad" and isinstance(value, bool):
                self._set_requires_grad(obj, value, stmt)
            elif attr == "requires_grad":
                self.uncertain = True
            return
        if isinstance(obj, ModuleObj):
            if attr == "requires_grad":
                if not self._own_attribute(obj):
                    self.events.append(Event("module-requires-grad-attr", stmt, {"module": obj, "value": value}))
                obj.attrs[attr] = value
            elif isinstance(value, ModuleObj):
                obj.params.pop(attr, None)
                obj.attrs.pop(attr, None)
                old = obj.children.get(attr)
                obj.children[attr] = value
                if old is not None and self.depth > 0 and self._held(old):
                    self.events.append(Event("module-replaced-after-optimizer", self._replacing_call(old, stmt),
                                             {"inner": stmt, "module": value, "attr": attr}))
            elif isinstance(value, Param):
                obj.children.pop(attr, None)
                obj.attrs.pop(attr, None)
                old = obj.params.get(attr)
                obj.params[attr] = value
                if old is not None and old is not value and self.depth > 0 and self._held_param(old):
                    self.events.append(Event("parameter-replaced-after-optimizer", self.top_stmt,
                                             {"inner": stmt, "old": old, "attr": attr}))
            else:
                obj.children.pop(attr, None)
                obj.params.pop(attr, None)
                obj.attrs[attr] = value
            return
        if isinstance(obj, (Instance, ClassObj)):
            obj.attrs[attr] = value
        elif isinstance(obj, _Namespace):
            obj.values[attr] = value

    def _replacing_call(self, old: ModuleObj, stmt) -> ast.AST:
        """Where a replacement of `old` after an optimizer holding it was built is reported: the
        statement of the function that built that optimizer which led to it (`setup(model)`
        building the optimizer, then calling `model.reset_head()`), else the script's statement."""
        held = {id(p) for _, p in old.named_parameters()}
        builders = [o.built_in for o in self.optimizers if o.built_in is not None and any(id(p) in held for p in o.params)]
        for site in reversed([*self.call_sites, stmt]):
            if site is not None and any(f.lineno <= site.lineno <= f.end_lineno and self.path_of(f) == self.path_of(site)
                                        for f in builders):
                return site
        return self.top_stmt

    def _own_attribute(self, module: ModuleObj) -> bool:
        """True inside a method running on `module` itself: `self.requires_grad = flag` stores a setting."""
        return any(frame is module for frame in self.receivers)

    def _held_param(self, param: Param) -> bool:
        return any(p is param for optimizer in self.optimizers for p in optimizer.params)

    def _held(self, module: ModuleObj) -> bool:
        """True if an optimizer built so far holds a parameter of `module`."""
        held = {id(p) for optimizer in self.optimizers for p in optimizer.params}
        return any(id(p) in held for _, p in module.named_parameters())

    def _set_requires_grad(self, param: Param, value: bool, stmt) -> None:
        param.requires_grad = value
        if not value:
            param.frozen_by = self._deciding_statement(stmt)
            param.collision = self.collision
            if self.collision is not None:
                self.collision_freezes.append(param)
        else:
            param.frozen_by = None

    def _deciding_statement(self, stmt):
        """The statement that decided a freeze: `p.requires_grad = flag` (or `requires_grad_(flag)`)
        with `flag` a parameter of the running function is decided by the call that passed it or
        left it at its default (`set_requires_grad(net)` with `requires_grad=False`)."""
        if not self.running or not self.call_sites or self.call_sites[-1] is None:
            return stmt
        flag = _requires_grad_value(stmt)
        params = parameter_names(self.running[-1].node)
        return self.call_sites[-1] if isinstance(flag, ast.Name) and flag.id in params else stmt

    def _note_container(self, value: list, node: ast.AST) -> None:
        self.container_nodes.setdefault(id(value), node)
        self._containers.append(value)

    # ----- expressions -----------------------------------------------------------------

    def eval(self, expr, env):
        handler = getattr(self, f"expr_{type(expr).__name__}", None)
        if handler is None:
            return UNKNOWN
        return handler(expr, env)

    def expr_Constant(self, expr, env):
        return expr.value

    def expr_Name(self, expr, env):
        if expr.id in env:
            return env[expr.id]
        if expr.id in self.globals:
            return self.globals[expr.id]
        if self.project is not None and expr.id in self.imports.aliases:
            return self._project_value(self.imports.aliases[expr.id])
        return {"True": True, "False": False, "None": None}.get(expr.id, UNKNOWN)

    def expr_JoinedStr(self, expr, env):
        parts = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue) and value.format_spec is None and value.conversion == -1:
                item = self.eval(value.value, env)
                if not isinstance(item, (str, int, float)):
                    return UNKNOWN
                parts.append(str(item))
            else:
                return UNKNOWN
        return "".join(parts)

    def expr_List(self, expr, env):
        items = []
        for element in expr.elts:
            if isinstance(element, ast.Starred):
                inner = self.iterate(self.eval(element.value, env), element)
                if inner is UNKNOWN:
                    return UNKNOWN
                items.extend(inner)
            else:
                items.append(self.eval(element, env))
        return items

    def expr_Tuple(self, expr, env):
        items = self.expr_List(expr, env)
        return tuple(items) if isinstance(items, list) else UNKNOWN

    def expr_Set(self, expr, env):
        return UNKNOWN

    def expr_Dict(self, expr, env):
        result = {}
        for key, value in zip(expr.keys, expr.values):
            if key is None:
                return UNKNOWN
            k = self.eval(key, env)
            if not _hashable(k):
                return UNKNOWN
            result[k] = self.eval(value, env)
        if "params" in result:
            self._note_group(result, self.current_stmt)
        return result

    def _note_group(self, group: dict, stmt) -> None:
        """An optimizer parameter group being built (`{"params": [...], "lr": ...}`)."""
        self.param_groups[id(group)] = (group, stmt)

    def expr_ListComp(self, expr, env):
        return self._comprehension(expr, env, lambda local: self.eval(expr.elt, local))

    expr_GeneratorExp = expr_ListComp

    def expr_DictComp(self, expr, env):
        pairs = self._comprehension(expr, env, lambda local: (self.eval(expr.key, local), self.eval(expr.value, local)))
        if pairs is UNKNOWN or not all(_hashable(k) for k, _ in pairs):
            return UNKNOWN
        return dict(pairs)

    def _comprehension(self, expr, env, element):
        results: list = []
        complete = self._comprehension_level(expr, 0, dict(env), element, results)
        return results if complete else UNKNOWN

    def _comprehension_level(self, expr, index: int, local: dict, element, results: list) -> bool:
        """Run the comprehension's generators from `index` on; False when one is unknown.
        (A method, not a recursive closure: a closure that calls itself is a reference cycle.)"""
        if index == len(expr.generators):
            results.append(element(local))
            return True
        gen = expr.generators[index]
        items = self.iterate(self.eval(gen.iter, local), expr)
        if items is UNKNOWN:
            return False
        for count, item in enumerate(items):
            if count >= MAX_LOOP:
                return False
            inner = dict(local)
            self.assign(gen.target, item, inner, expr)
            conditions = [self.test(c, inner) for c in gen.ifs]
            if any(c is UNKNOWN for c in conditions):
                return False
            if all(conditions) and not self._comprehension_level(expr, index + 1, inner, element, results):
                return False
        return True

    def expr_Attribute(self, expr, env):
        qualified = self.imports.qualify(expr)
        if qualified in _INTEGER_DTYPES or qualified in _FLOAT_DTYPES:
            return _DType(qualified)
        if qualified in _MATH_CONSTANTS:
            return _MATH_CONSTANTS[qualified]
        base = self.eval(expr.value, env)
        return self.attribute(base, expr.attr)

    def attribute(self, base, attr: str):
        if isinstance(base, ModuleObj):
            if attr in base.children:
                return base.children[attr]
            if attr in base.params:
                return base.params[attr]
            if attr in base.attrs:
                return base.attrs[attr]
            if attr in ("weight", "bias") and base.complete and base.kind.startswith("torch.nn."):
                return None
            return _BoundName(base, attr)
        if isinstance(base, Param):
            if attr == "requires_grad":
                return base.requires_grad
            if attr == "ndim" and base.ndim is not None:
                return base.ndim
            return _BoundName(base, attr) if attr == "requires_grad_" else UNKNOWN
        if isinstance(base, Instance):
            if attr in base.attrs:
                return base.attrs[attr]
            found = self._class_attribute(base.cls, attr)
            if isinstance(found, Function):
                return Function(found.node, _receiver(found.node, base, base.cls), found.owner)
            return found if found is not None else _BoundName(base, attr)
        if isinstance(base, ClassObj):
            if attr == "__name__":
                return base.node.name
            found = self._class_attribute(base, attr)
            return found if found is not None else UNKNOWN
        if isinstance(base, Function) and attr == "__name__":
            return base.node.name
        if isinstance(base, _ProjectModule):
            return self._module_attribute(base, attr)
        if isinstance(base, _Namespace):
            return base.values.get(attr, UNKNOWN)
        if isinstance(base, (str, list, dict, Optimizer, Scheduler, _ArgParser)):
            return _BoundName(base, attr)
        if isinstance(base, _Super):
            for parent in base.owner.attrs.get("__bases__", []):
                found = self._class_attribute(parent, attr)
                if isinstance(found, Function):
                    return Function(found.node, _receiver(found.node, base.receiver, base.owner), found.owner)
            return _NoOp() if attr == "__init__" else UNKNOWN
        return UNKNOWN

    def _module_attribute(self, module, attr: str):
        """`pkg.name`: what the file binds (a re-export `from .build import f` followed), or its
        submodule."""
        if attr in module.globals:
            return module.globals[attr]
        saved = self._enter(module)
        try:
            if attr in module.imports.aliases:
                return self._project_value(module.imports.aliases[attr])
            if module.path.endswith("__init__.py"):
                return self._project_value("." + attr)
            return UNKNOWN
        finally:
            self._leave(saved)

    def _class_attribute(self, cls: ClassObj, attr: str):
        if attr in cls.attrs:
            return cls.attrs[attr]
        for base in cls.attrs.get("__bases__", []):
            found = self._class_attribute(base, attr)
            if found is not None:
                return found
        return None

    def expr_Subscript(self, expr, env):
        base = self.eval(expr.value, env)
        key = self.eval(expr.slice, env)
        if _tensor_like(base):  # `x[0]`, `x[:, 1]`: part of the tensor, its history kept
            return self._tensor_result([base, key])
        if isinstance(base, ModuleObj) and base.kind in ("torch.nn.Sequential", "torch.nn.ModuleList"):
            children = list(base.children.values())
            if isinstance(key, int) and -len(children) <= key < len(children):
                return children[key]
            return UNKNOWN
        if isinstance(base, ModuleObj) and base.kind == "torch.nn.ModuleDict" and isinstance(key, str):
            return base.children.get(key, UNKNOWN)
        if isinstance(base, (list, tuple, str)) and isinstance(key, (int, slice)):
            try:
                return base[key]
            except IndexError:
                return UNKNOWN
        if isinstance(base, dict) and _hashable(key):
            return base.get(key, UNKNOWN)
        return UNKNOWN

    def expr_Slice(self, expr, env):
        parts = [self.eval(p, env) if p is not None else None for p in (expr.lower, expr.upper, expr.step)]
        if any(p is not None and not isinstance(p, int) for p in parts):
            return UNKNOWN
        return slice(*parts)

    def expr_BinOp(self, expr, env):
        return self._binop(expr.op, self.eval(expr.left, env), self.eval(expr.right, env))

    def _binop(self, op, left, right):
        if isinstance(left, ParamName) or isinstance(right, ParamName):
            left, right = str(left) if isinstance(left, str) else left, str(right) if isinstance(right, str) else right
        if isinstance(op, ast.Add) and isinstance(left, list) and isinstance(right, list):
            return left + right
        if _tensor_like(left) or _tensor_like(right):
            return self._tensor_result([left, right])
        if _plain(left) and _plain(right) and _small_result(op, left, right):
            try:
                return _BINOPS[type(op)](left, right)
            except Exception:
                return UNKNOWN
        return UNKNOWN

    def expr_UnaryOp(self, expr, env):
        value = self.eval(expr.operand, env)
        if isinstance(expr.op, ast.Not):
            truth = self.truth(value)
            return UNKNOWN if truth is UNKNOWN else not truth
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(expr.op, ast.USub) else value
        if _tensor_like(value) and isinstance(expr.op, (ast.USub, ast.UAdd)):
            return self._tensor_result([value])
        return UNKNOWN

    def expr_BoolOp(self, expr, env):
        result = None
        for value_node in expr.values:
            value = self.eval(value_node, env)
            truth = self.truth(value)
            if truth is UNKNOWN:
                return UNKNOWN
            result = value
            if isinstance(expr.op, ast.And) and not truth or isinstance(expr.op, ast.Or) and truth:
                return value
        return result

    def test(self, expr, env):
        """Whether the test `expr` holds (UNKNOWN where it cannot be told). Unlike its value, its
        truth may be known past an unknown operand: `p.ndim < 2 or "scale" in name` holds where
        the name matches, whatever `p.ndim` is."""
        if isinstance(expr, ast.BoolOp):
            truths = [self.test(value, env) for value in expr.values]
            deciding = isinstance(expr.op, ast.Or)  # `or`: one True decides; `and`: one False
            if deciding in truths:
                return deciding
            return UNKNOWN if UNKNOWN in truths else not deciding
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            truth = self.test(expr.operand, env)
            return truth if truth is UNKNOWN else not truth
        return self.truth(self.eval(expr, env))

    def expr_IfExp(self, expr, env):
        test = self.test(expr.test, env)
        if test is UNKNOWN:
            return UNKNOWN
        return self.eval(expr.body if test else expr.orelse, env)

    def expr_Compare(self, expr, env):
        left = self.eval(expr.left, env)
        for op, right_node in zip(expr.ops, expr.comparators):
            right = self.eval(right_node, env)
            result = self._compare(op, left, right, expr)
            if result is UNKNOWN or not result:
                return result
            left = right
        return True

    def _compare(self, op, left, right, node):
        if isinstance(op, (ast.In, ast.NotIn)):
            if isinstance(left, str) and isinstance(right, str):
                found = left in right
                if found and isinstance(right, ParamName):
                    self._note_collision(left, right)
                return found if isinstance(op, ast.In) else not found
            if isinstance(right, (list, tuple, dict)) and _known(left) and all(_known(x) for x in right):
                try:
                    found = left in right
                except TypeError:
                    return UNKNOWN
                return found if isinstance(op, ast.In) else not found
            return UNKNOWN
        if isinstance(op, (ast.Is, ast.IsNot)):
            if left is UNKNOWN or right is UNKNOWN or isinstance(left, _BoundName) or isinstance(right, _BoundName):
                return UNKNOWN
            same = left is right
            return same if isinstance(op, ast.Is) else not same
        if _plain(left) and _plain(right):
            try:
                return _COMPARE[type(op)](left, right)
            except Exception:
                return UNKNOWN
        return UNKNOWN

    def _note_collision(self, pattern: str, name: str) -> None:
        """`"layer.1" in "layer.10.weight"`: a numbered prefix that matched another number."""
        at = name.find(pattern)
        end = at + len(pattern)
        if pattern[-1:].isdigit() and end < len(name) and name[end].isdigit():
            self.collision = (self.current_stmt, pattern, name)
        else:
            self.exact_patterns.add(pattern)

    def expr_Lambda(self, expr, env):
        return _Lambda(expr, env, self.current_module)

    def expr_Call(self, expr, env):
        return self.call(expr, env)

    def truth(self, value):
        if value is UNKNOWN or isinstance(value, (_BoundName, _Lambda, Derived)):
            return UNKNOWN
        if isinstance(value, (ModuleObj, Param, Optimizer, Scheduler, Instance, Function, ClassObj)):
            return True
        if isinstance(value, Generator):
            return True
        try:
            return bool(value)
        except Exception:
            return UNKNOWN

    def iterate(self, value, node):
        if isinstance(value, (list, tuple, str)):
            return list(value)
        if isinstance(value, dict):
            return list(value.keys())
        if isinstance(value, range):
            return list(value) if len(value) <= MAX_LOOP else UNKNOWN
        if isinstance(value, Generator):
            if value.consumed_by is not None:
                return []
            value.consumed_by = self.current_stmt
            if not value.complete:
                self.uncertain = True
            return list(value.items)
        if isinstance(value, ModuleObj) and value.kind in ("torch.nn.Sequential", "torch.nn.ModuleList"):
            return list(value.children.values())
        return UNKNOWN

    # ----- calls -------------------------------------------------------------------------

    def call(self, expr: ast.Call, env):
        if isinstance(expr.func, ast.Attribute) and expr.func.attr in ("backward", "manual_backward"):
            receiver = expr.func.value  # a name: reading it runs nothing
            self._backward(expr, env, self.eval(receiver, env) if isinstance(receiver, ast.Name) else UNKNOWN)
        qualified = self.imports.qualify(expr.func)
        func = self._project_value(qualified) if qualified is not None and self.project is not None else UNKNOWN
        if qualified is not None and not isinstance(func, (Function, ClassObj)):
            return self._qualified_call(qualified, expr, env)
        if qualified is None and isinstance(expr.func, ast.Attribute):
            receiver = self.eval(expr.func.value, env)
            if _tensor_like(receiver) and expr.func.attr != "requires_grad_":
                return self._tensor_method(receiver, expr.func.attr, expr, env)
            func = self.attribute(receiver, expr.func.attr)
        elif qualified is None:
            func = self.eval(expr.func, env)
        args, kwargs = self._arguments(expr, env)
        if args is UNKNOWN:
            return UNKNOWN
        if isinstance(func, _BoundName):
            return self._method(func.obj, func.name, args, kwargs, expr)
        if isinstance(func, Function):
            return self.invoke(func, args, kwargs)
        if isinstance(func, ClassObj):
            return self.instantiate(func, args, kwargs, expr)
        if isinstance(func, _Lambda):
            return self.call_lambda(func, args)
        if isinstance(func, ModuleObj):
            return UNKNOWN  # a forward pass: values only the flow analysis follows
        if isinstance(func, _NoOp):
            return None
        if isinstance(expr.func, ast.Name) and expr.func.id not in env and expr.func.id not in self.globals:
            return self._builtin(expr.func.id, args, kwargs, expr)
        if func is UNKNOWN and isinstance(expr.func, ast.Attribute) and expr.func.attr in _CONTAINER_WRITES \
                and any(isinstance(a, Param) for a in args):
            self.uncertain = True  # `(a if cond else b).append(p)`: some list the setup cannot tell took `p`
        return UNKNOWN

    def _arguments(self, expr: ast.Call, env):
        args: list = []
        for arg in expr.args:
            if isinstance(arg, ast.Starred):
                items = self.iterate(self.eval(arg.value, env), arg)
                if items is UNKNOWN:
                    return UNKNOWN, {}
                args.extend(items)
            else:
                args.append(self.eval(arg, env))
        kwargs = {}
        for kw in expr.keywords:
            if kw.arg is not None:
                kwargs[kw.arg] = self.eval(kw.value, env)
                continue
            # `**cfg`: a dict the setup built (not while building classes with unknown arguments,
            # `check_classes`: what their `__init__` registers itself is asked, not their layers')
            spread = self.eval(kw.value, env) if not self.checking_classes else UNKNOWN
            if not isinstance(spread, dict) or not all(isinstance(k, str) for k in spread):
                return UNKNOWN, {}
            kwargs.update(spread)
        return args, kwargs

    def _qualified_call(self, name: str, expr: ast.Call, env):
        args, kwargs = self._arguments(expr, env)
        if args is UNKNOWN:
            args, kwargs = [], {}
            complete = False
        else:
            complete = True
        short = name.rsplit(".", 1)[-1]
        copied = self._tensor_copy(name, expr, args, kwargs) if complete else None
        if copied is not None:
            return copied
        if name in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            requires = kwargs.get("requires_grad", args[1] if len(args) > 1 else True)
            data = args[0] if args else kwargs.get("data")
            if isinstance(data, TensorVal) and not data.floating and requires is not False:
                self.events.append(Event("integer-parameter", self.current_stmt, {"call": expr}))
            return Param(requires_grad=requires if isinstance(requires, bool) else True,
                         ndim=data.ndim if isinstance(data, TensorVal) else None)
        if name in _INTEGER_FACTORIES or name in _TENSOR_FACTORIES:
            made = self._tensor(name, args, kwargs)
            if isinstance(made, TensorVal) and short in _SIZED_FACTORIES:
                made.ndim = _dimensions(args, kwargs)
            if made is UNKNOWN and name in N.TENSOR_FACTORIES_COPY and args and _gradient_parts(args[:1]) is not None:
                made = TensorVal(True)  # a copy of known values: a new tensor without history
            if isinstance(made, TensorVal) and name in N.TENSOR_FACTORIES_LIST and name not in N.TENSOR_FACTORIES_COPY \
                    and args and _gradient_parts(args[:1]) is None:
                made.opaque = True  # `torch.as_tensor(x)` of an unknown x may be x, history and all
            if isinstance(made, TensorVal):
                made.node = expr
                made.requires_grad = kwargs.get("requires_grad") is True and made.floating
            return made
        if name.startswith("torch.nn.") and name.count(".") == 2 and short[:1].isupper():
            return self._nn_constructor(short, expr, args, kwargs, complete)
        if name.startswith("torch.optim.lr_scheduler.") and short[:1].isupper():
            return Scheduler(args[0] if args else kwargs.get("optimizer", UNKNOWN))
        if name.startswith("torch.optim.") and name.count(".") == 2 and short[:1].isupper():
            return self._optimizer(expr, args, kwargs, complete)
        if name in ("copy.deepcopy", "deepcopy"):
            return _deepcopy(args[0]) if args else UNKNOWN
        if name.startswith("torch.") and kwargs.get("requires_grad") is True:
            return Param(floating=kwargs.get("dtype") is None)
        if name in ("torch.autograd.backward", "torch.autograd.grad"):
            loss = args[0] if name == "torch.autograd.backward" and args else kwargs.get("tensors", UNKNOWN)
            self._backward(expr, None, loss if name == "torch.autograd.backward" else UNKNOWN)
        if name == "argparse.ArgumentParser":
            return _ArgParser()
        return self._function_result(name, args, kwargs, complete)

    def _nn_constructor(self, short: str, expr, args, kwargs, complete: bool):
        if short in _RNN and args:
            kwargs = {**dict(zip(_RNN_POSITIONAL, args)), **kwargs}
        if short in _CONTAINERS:
            module = ModuleObj(f"torch.nn.{short}", node=expr)
            items = args[0] if short != "Sequential" and args else args
            if short == "Sequential" and len(args) == 1 and isinstance(args[0], dict):
                items = args[0]
            if isinstance(items, dict):
                pairs = list(items.items())
            elif isinstance(items, (list, tuple)):
                pairs = [(str(i), m) for i, m in enumerate(items)]
            elif items is None or (short != "Sequential" and not args):
                pairs = []
            else:
                pairs = None
            if pairs is None or not complete or not all(isinstance(m, ModuleObj) for _, m in pairs):
                module.complete = False
                return module
            module.children = {str(k): m for k, m in pairs}
            return module
        if short in ("TransformerEncoder", "TransformerDecoder"):
            return self._layer_stack(short, expr, args, kwargs)
        module = _nn_module(short, expr, args, kwargs, self.paramless)
        if not complete:
            module.complete = False
        return module

    def _tensor(self, name: str, args, kwargs):
        dtype_node = kwargs.get("dtype")
        if isinstance(dtype_node, _DType):
            return TensorVal(dtype_node.name in _FLOAT_DTYPES)
        if "dtype" in kwargs:
            return UNKNOWN
        if name in _INTEGER_FACTORIES:
            return TensorVal(False)
        if name in ("torch.tensor", "torch.as_tensor") and args:
            kind = _literal_kind(args[0])
            return TensorVal(kind == "float", ndim=_nesting(args[0])) if kind else UNKNOWN
        if name == "torch.arange":
            return TensorVal(not all(isinstance(a, int) for a in args)) if args else UNKNOWN
        if name == "torch.full" and len(args) > 1:
            kind = _literal_kind(args[1])
            return TensorVal(kind == "float") if kind else UNKNOWN
        return TensorVal(True)  # zeros / ones / empty default to float32

    def _layer_stack(self, short: str, expr, args, kwargs) -> ModuleObj:
        """`nn.TransformerEncoder(layer, num_layers, norm=None)`: `layers.i` are deep copies of the layer."""
        module = ModuleObj(f"torch.nn.{short}", node=expr)
        named = dict(zip(("encoder_layer" if short == "TransformerEncoder" else "decoder_layer", "num_layers", "norm"), args))
        layer = kwargs.get("encoder_layer", kwargs.get("decoder_layer", next(iter(named.values()), UNKNOWN)))
        count = kwargs.get("num_layers", named.get("num_layers", UNKNOWN))
        norm = kwargs.get("norm", named.get("norm"))
        if not isinstance(layer, ModuleObj) or not isinstance(count, int) or not (norm is None or isinstance(norm, ModuleObj)):
            module.complete = False
            return module
        stack = ModuleObj("torch.nn.ModuleList", children={str(i): _deepcopy(layer) for i in range(count)})
        module.children["layers"] = stack
        if norm is not None:
            module.children["norm"] = norm
        return module

    def _optimizer(self, expr, args, kwargs, complete: bool):
        source = args[0] if args else kwargs.get("params", UNKNOWN)
        params, known, consumed = self._parameter_list(source)
        dropped = [p for p in source.dropped if isinstance(p, Param)] if isinstance(source, Generator) else []
        optimizer = Optimizer(params, expr, complete and known, consumed, dropped,
                              self.running[-1].node if self.running else None,
                              source.module if isinstance(source, Generator) else None,
                              source.made_by if isinstance(source, Generator) else None)
        self.optimizers.append(optimizer)
        return optimizer

    def _parameter_list(self, source):
        """(tensors, all known, the statement that used up a generator passed here)."""
        if isinstance(source, Generator):
            consumed = source.consumed_by
            items = self.iterate(source, None)
            params, known, _ = self._parameter_list(items)
            return params, known and source.complete, consumed
        if isinstance(source, Param):
            return [source], True, None
        if isinstance(source, dict):
            return self._parameter_list(source.get("params", UNKNOWN))
        if isinstance(source, (list, tuple)):
            params: list = []
            known, consumed = True, None
            for item in source:
                inner, inner_known, inner_consumed = self._parameter_list(item)
                params += inner
                known = known and inner_known
                consumed = consumed or inner_consumed
            return params, known, consumed
        return [], False, None

    def _builtin(self, name: str, args, kwargs, expr):
        if name == "range" and all(isinstance(a, int) for a in args) and args:
            return range(*args)
        if name in ("list", "tuple", "sorted", "reversed", "set") and len(args) == 1:
            items = self.iterate(args[0], expr)
            if items is UNKNOWN:
                return UNKNOWN
            if name == "list":
                return items
            if name == "tuple":
                return tuple(items)
            return UNKNOWN
        if name == "dict" and len(args) <= 1:  # `dict(backbone=dict(type="resnet"), lr=0.1)`: a config
            pairs = list(args[0].items()) if args and isinstance(args[0], dict) else \
                self.iterate(args[0], expr) if args else []
            if pairs is UNKNOWN or not all(isinstance(p, tuple) and len(p) == 2 and _hashable(p[0]) for p in pairs):
                return UNKNOWN
            return {**dict(pairs), **kwargs}
        if name == "enumerate" and args:
            items = self.iterate(args[0], expr)
            start = args[1] if len(args) > 1 else kwargs.get("start", 0)
            return UNKNOWN if items is UNKNOWN or not isinstance(start, int) else [
                (i + start, x) for i, x in enumerate(items)]
        if name == "zip" and args:
            lists = [self.iterate(a, expr) for a in args]
            return UNKNOWN if any(x is UNKNOWN for x in lists) else [tuple(t) for t in zip(*lists)]
        if name == "filter" and len(args) == 2:
            return self._filter(args[0], args[1], expr)
        if name in ("any", "all") and len(args) == 1:
            items = self.iterate(args[0], expr)
            if items is UNKNOWN:
                return UNKNOWN
            truths = [self.truth(x) for x in items]
            if any(t is UNKNOWN for t in truths):
                return UNKNOWN
            return any(truths) if name == "any" else all(truths)
        if name == "sum" and args and any(_tensor_like(x) for x in self._iterated(args[0], expr)):
            total = args[1] if len(args) > 1 else kwargs.get("start", 0)
            return self._tensor_result([total, self._iterated(args[0], expr)])
        if name == "abs" and len(args) == 1 and _tensor_like(args[0]):
            return self._tensor_result(args)
        if name == "len" and len(args) == 1 and isinstance(args[0], (list, tuple, str, dict)):
            return len(args[0])
        if name == "len" and len(args) == 1 and isinstance(args[0], ModuleObj) and args[0].complete \
                and args[0].kind in ("torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict"):
            return len(args[0].children)
        if name in ("str", "int", "float", "bool") and len(args) == 1 and _plain(args[0]):
            try:
                return {"str": str, "int": int, "float": float, "bool": bool}[name](args[0])
            except Exception:
                return UNKNOWN
        if name == "super" and self.running and self.running[-1].owner is not None:
            return _Super(self.running[-1].owner, self.running[-1].bound)
        if name == "print":
            return None
        if name == "getattr" and len(args) >= 2 and isinstance(args[1], str):
            found = self.attribute(args[0], args[1])
            return found
        if name == "setattr" and len(args) == 3 and isinstance(args[1], str):
            self.set_attribute(args[0], args[1], args[2], self.current_stmt)
            return None
        if name == "isinstance" and len(expr.args) == 2 and len(args) == 2:
            return _isinstance_of_builtin(args[0], expr.args[1])
        return UNKNOWN

    def _filter(self, predicate, iterable, expr):
        items = self.iterate(iterable, expr)
        if items is UNKNOWN:
            return UNKNOWN
        kept = []
        for item in items:
            verdict = self.call_lambda(predicate, [item]) if isinstance(predicate, _Lambda) else (
                self.invoke(predicate, [item], {}) if isinstance(predicate, Function) else UNKNOWN)
            truth = self.truth(verdict)
            if truth is UNKNOWN:
                return UNKNOWN
            if truth:
                kept.append(item)
        dropped = [item for item in items if not any(item is k for k in kept)]
        return Generator(kept, dropped=dropped, complete=not isinstance(iterable, Generator) or iterable.complete)

    def call_lambda(self, func: "_Lambda", args):
        params = [a.arg for a in func.node.args.args]
        if len(params) != len(args):
            return UNKNOWN
        local = dict(func.env)
        local.update(zip(params, args))
        if func.module is self.current_module:
            return self.eval(func.node.body, local)
        saved = self._enter(func.module)  # its names are those of the file that wrote it
        try:
            return self.eval(func.node.body, local)
        finally:
            self._leave(saved)

    def _method(self, obj, name: str, args, kwargs, expr):
        if isinstance(obj, ModuleObj):
            return self._module_method(obj, name, args, kwargs, expr)
        if isinstance(obj, _ArgParser):
            return obj.call(name, args, kwargs)
        if isinstance(obj, Param):
            if name == "requires_grad_":
                flag = args[0] if args else kwargs.get("requires_grad", True)
                if isinstance(flag, bool):
                    self._set_requires_grad(obj, flag, self.current_stmt)
                else:
                    self.uncertain = True
                return obj
            return UNKNOWN
        if isinstance(obj, list):
            if name == "append" and len(args) == 1:
                obj.append(args[0])
                return None
            if name == "extend" and len(args) == 1:
                items = self.iterate(args[0], expr)
                if items is UNKNOWN:
                    self.uncertain = True
                    return None
                obj.extend(items)
                return None
            return UNKNOWN
        if isinstance(obj, str):
            method = getattr(str, name, None)
            if method is not None and name in _STR_METHODS and all(_hashable(a) for a in args) and not kwargs:
                try:
                    return method(str(obj), *args)
                except Exception:
                    return UNKNOWN
            return UNKNOWN
        if isinstance(obj, dict):
            if name in ("items", "keys", "values"):
                return list(getattr(obj, name)())
            if name in ("get", "pop", "setdefault") and args and _hashable(args[0]) and len(args) <= 2:
                if name == "pop" and args[0] not in obj and len(args) == 1:
                    return UNKNOWN  # a KeyError when run
                return getattr(obj, name)(*args)
            if name == "copy" and not args:
                return dict(obj)
            if name == "update" and len(args) <= 1:  # `options.update(cfg, lr=0.1)`
                pairs = list(args[0].items()) if args and isinstance(args[0], dict) else [] if not args else UNKNOWN
                if pairs is UNKNOWN:
                    return UNKNOWN
                obj.update(pairs, **kwargs)
                return None
            return UNKNOWN
        if isinstance(obj, Optimizer):
            if name == "add_param_group" and args:
                params, known, _ = self._parameter_list(args[0])
                obj.params += params
                obj.complete = obj.complete and known
            return None
        if isinstance(obj, Instance):
            return UNKNOWN
        return UNKNOWN

    def _module_method(self, module: ModuleObj, name: str, args, kwargs, expr):
        if name == "parameters":
            return Generator([p for _, p in module.named_parameters()], complete=module.fully_known, module=module,
                             made_by=expr)
        if name == "named_parameters":
            return Generator([(ParamName(n), p) for n, p in module.named_parameters(_prefix(args, kwargs))],
                             complete=module.fully_known)
        if name in ("children", "named_children"):
            pairs = list(module.children.items())
            return Generator([m for _, m in pairs] if name == "children" else pairs)
        if name in ("modules", "named_modules"):
            pairs = list(module.named_modules())
            return Generator([m for _, m in pairs] if name == "modules" else pairs)
        if name == "requires_grad_":
            flag = args[0] if args else kwargs.get("requires_grad", True)
            if not isinstance(flag, bool):
                self.uncertain = True
                return module
            for _, param in module.named_parameters():
                self._set_requires_grad(param, flag, self.current_stmt)
            return module
        if name in ("to", "cuda", "cpu", "train", "eval", "float", "double", "half", "bfloat16"):
            return module
        if name == "register_parameter" and len(args) == 2 and isinstance(args[0], str):
            if isinstance(args[1], Param):
                module.params[args[0]] = args[1]
            return None
        if name == "add_module" and len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], ModuleObj):
            module.children[args[0]] = args[1]
            return None
        if name in ("append",) and module.kind == "torch.nn.ModuleList" and args and isinstance(args[0], ModuleObj):
            module.children[str(len(module.children))] = args[0]
            return None
        if name == "register_buffer" and args and isinstance(args[0], str):
            module.buffers[args[0]] = self.current_stmt
            return UNKNOWN
        if name in ("register_buffer", "zero_grad", "load_state_dict", "state_dict"):
            return UNKNOWN
        if name == "apply":
            self.uncertain = True
            return module
        method = self._module_class_method(module, name)
        if method is not None:
            return self.invoke(Function(method.node, module, method.owner), args, kwargs)
        return UNKNOWN

    def _module_class_method(self, module: ModuleObj, name: str):
        cls = module.attrs.get("__class__")
        if isinstance(cls, ClassObj) and name not in ("forward", "__call__"):
            found = self._class_attribute(cls, name)
            if isinstance(found, Function):
                return found
        return None

    # ----- local functions and classes --------------------------------------------------------

    def invoke(self, func: Function, args, kwargs):
        if self.depth >= MAX_DEPTH:
            return UNKNOWN
        module = self.module_of.get(id(func.node)) if self.modules else None
        if module is self.current_module:
            return self._invoke(func, args, kwargs)
        saved = self._enter(module)
        try:
            return self._invoke(func, args, kwargs)
        finally:
            self._leave(saved)

    def _invoke(self, func: Function, args, kwargs):
        node = func.node
        unknown, self.arguments_unknown = self.arguments_unknown, False
        local: dict = dict(func.closure) if func.closure else {}
        params = [*node.args.posonlyargs, *node.args.args]
        if func.bound is not None:
            if not params:
                return UNKNOWN
            local[params[0].arg] = func.bound
            params = params[1:]
        defaults = node.args.defaults
        first_default = len(params) - len(defaults)
        for index, param in enumerate(params):
            if index < len(args):
                local[param.arg] = args[index]
            elif param.arg in kwargs:
                local[param.arg] = kwargs[param.arg]
            elif index >= first_default:
                local[param.arg] = self.eval(defaults[index - first_default], self.globals)
            else:
                local[param.arg] = UNKNOWN
        for param, default in zip(node.args.kwonlyargs, node.args.kw_defaults):
            if param.arg in kwargs:
                local[param.arg] = kwargs[param.arg]
            else:
                local[param.arg] = self.eval(default, self.globals) if default is not None else UNKNOWN
        if node.args.vararg is not None:
            local[node.args.vararg.arg] = UNKNOWN if unknown else tuple(args[len(params):])
        if node.args.kwarg is not None:
            local[node.args.kwarg.arg] = UNKNOWN if unknown else {k: v for k, v in kwargs.items() if k not in local}
        if any(_grad_decorator(d, self.imports) for d in node.decorator_list):
            return UNKNOWN
        if _is_generator(node):
            return self._run_generator(func, local)
        return self._run_frame(func, local)

    def _run_frame(self, func: Function, local: dict):
        """Run `func`'s body with its parameters bound (`local`): what it returns."""
        self.depth += 1
        saved = self.current_stmt
        self.call_sites.append(saved)
        self.receivers.append(func.bound)
        self.running.append(func)
        self.frames.append(local)
        try:
            self.run(func.node.body, local)
        except _Return as done:
            return done.value
        except (_Break, _Continue):
            return UNKNOWN
        finally:
            self.depth -= 1
            self.current_stmt = saved
            self.call_sites.pop()
            self.receivers.pop()
            self.running.pop()
            self.frames.pop()
        return None

    def _run_generator(self, func: Function, local: dict):
        """A generator function (`def hint_parameters(self): yield from self.stem.parameters()`)
        run to its end at once: the items it yields, as a `Generator` (incomplete where one
        could not be told)."""
        produced = Generator([])
        self.yielding.append(produced)
        try:
            outcome = self._run_frame(func, local)
        finally:
            self.yielding.pop()
        if outcome is UNKNOWN:
            produced.complete = False
        return produced

    def expr_Yield(self, expr, env):
        value = self.eval(expr.value, env) if expr.value is not None else None
        if self.yielding:
            self.yielding[-1].items.append(value)
            self.yielding[-1].complete &= value is not UNKNOWN
        return UNKNOWN  # what the consumer sends back

    def expr_YieldFrom(self, expr, env):
        items = self.iterate(self.eval(expr.value, env), expr)
        if self.yielding:
            if items is UNKNOWN:
                self.yielding[-1].complete = False
            else:
                self.yielding[-1].items.extend(items)
        return UNKNOWN

    def instantiate(self, cls: ClassObj, args, kwargs, expr):
        self.instantiated.add(id(cls))
        if cls.is_module:
            module = ModuleObj(f"class:{cls.node.name}", node=expr)
            module.attrs["__class__"] = cls
            module.complete = bool(cls.attrs.get("__known_bases__"))
            init = self._class_attribute(cls, "__init__")
            if isinstance(init, Function):
                self._run_init(module, init, args, kwargs)
            self._check_plain_containers(module, cls)
            return module
        instance = Instance(cls)
        init = self._class_attribute(cls, "__init__")
        if isinstance(init, Function):
            self.invoke(Function(init.node, instance, init.owner), args, kwargs)
        return instance

    def _run_init(self, module: ModuleObj, init: Function, args, kwargs) -> None:
        outcome = self.invoke(Function(init.node, module, init.owner), args, kwargs)
        if outcome is UNKNOWN and self.depth >= MAX_DEPTH:
            module.complete = False

    def _check_plain_containers(self, module: ModuleObj, cls: ClassObj) -> None:
        """Modules with parameters kept in a plain list or dict attribute are not registered."""
        registered = {id(m) for _, m in module.named_modules()}
        for attr, value in module.attrs.items():
            if not isinstance(value, (list, dict)) or attr.startswith("__"):
                continue
            hidden = [m for m in _modules_in(value) if id(m) not in registered and any(True for _ in m.named_parameters())]
            if hidden:
                self.events.append(Event("plain-module-container", self.container_nodes.get(id(value)) or module.node,
                                         {"attr": attr, "class": cls.node, "modules": len(hidden)}))

    # ----- training ----------------------------------------------------------------------

    def _backward(self, node, frame: dict | None = None, loss=UNKNOWN) -> None:
        if self.snapshot is None:
            self.snapshot = Snapshot(node, list(self.optimizers), frame if frame is not None else {},
                                     tuple((f.node, names) for f, names in zip(self.running, self.frames)))
            self.snapshot_top = self.top_stmt  # the script's statement that reached it
            self._dropped_groups()
            self._copies_reaching(node, loss)
        raise _Stop()

    # ----- tensors requiring grad, and the copies that drop their history -----------------

    def _tensor_result(self, parts):
        """A tensor computed from `parts` (tensors, numbers, lists of them): it carries the
        gradient of every tensor requiring grad among them (a superset: what a non-differentiable
        op drops still counts, so no source is ever missed) and their copies; UNKNOWN when a
        part is not known."""
        gathered = _gradient_parts(parts)
        if gathered is None:
            return UNKNOWN
        sources, copies = gathered
        return Derived(frozenset() if self.grad_off else sources, copies)

    def _tensor_method(self, receiver, name: str, expr: ast.Call, env):
        args, kwargs = self._arguments(expr, env)
        if args is UNKNOWN:
            return UNKNOWN
        if name.endswith("_") and not name.startswith("_"):
            self.tensor_gap = True  # `x.add_(y)`: changed in place, its history grows unseen
            return UNKNOWN
        if name == "new_tensor" and args:
            return self._tensor_copy("torch.tensor", expr, args[:1], kwargs) or TensorVal(True)
        if name in N.ROUNDTRIP_METHODS or name in N.METADATA_METHODS or name in ("backward", "register_hook"):
            return UNKNOWN
        if name in ("new_zeros", "new_ones", "new_empty", "new_full"):
            return TensorVal(True)
        if name in _LAYOUT_METHODS:  # `x.to(device)`, `x.view(n, -1)`: its arguments carry no gradient
            return self._tensor_result([receiver])
        return self._tensor_result([receiver, *args, *_tensor_keywords(kwargs)])

    def _tensor_copy(self, name: str, expr: ast.Call, args, kwargs):
        """`torch.tensor([...])` / `torch.tensor(t)` of tensors this evaluation follows: a new
        leaf, and a `Copy` of what requires grad in it; None for anything else."""
        if name not in N.TENSOR_FACTORIES_LIST or not args:
            return None
        data = args[0]
        of_list = isinstance(data, (list, tuple))
        if not (of_list or _tensor_like(data)):
            return None
        gathered = _gradient_parts([data])
        if gathered is None:
            return None
        sources, copies = gathered
        if not of_list and name not in N.TENSOR_FACTORIES_COPY:
            return self._tensor_result([data])  # `torch.as_tensor(t)`: t itself, history kept
        if sources and not self.grad_off:
            copies = copies | {Copy(expr, of_list, sources)}
        fresh = TensorVal(True, True, expr) if kwargs.get("requires_grad") is True else None
        if not copies:
            return None
        return Derived(frozenset({fresh}) if fresh is not None else frozenset(), copies)

    def _function_result(self, name: str, args, kwargs, complete: bool):
        """A torch operator (or a `math` function of numbers) applied to what the setup code
        holds; UNKNOWN for anything else (a library function may do anything)."""
        if not complete:
            return UNKNOWN
        short = name.rsplit(".", 1)[-1]
        if name.startswith("math.") and short in _MATH_FUNCTIONS and args and all(
                isinstance(a, (int, float)) and not isinstance(a, bool) for a in args) and not kwargs:
            try:
                return getattr(math, short)(*args)
            except (ValueError, OverflowError, TypeError):
                return UNKNOWN
        if not _torch_operator(name):
            return UNKNOWN
        parts = [*args, *_tensor_keywords(kwargs)]
        if short in _LIKE_FACTORIES:
            return TensorVal(True, node=None) if _gradient_parts(parts) is not None else UNKNOWN
        if not any(_tensor_like(p) or isinstance(p, (list, tuple)) and any(_tensor_like(x) for x in p) for p in parts):
            return TensorVal(True) if short in _DATA_FACTORIES and _gradient_parts(parts) is not None else UNKNOWN
        return self._tensor_result(parts)

    def _iterated(self, value, node) -> list:
        """The items of a list or tuple (a generator is not read: reading it uses it up)."""
        return list(value) if isinstance(value, (list, tuple)) else []

    def _copies_reaching(self, backward: ast.AST, loss) -> None:
        """The copies the first backward's loss went through, each with the tensors requiring
        grad it dropped that reach the loss no other way: they get no gradient from it (and
        backward raises when nothing requiring grad reaches the loss). Only where every value on
        the way was known and no branch was skipped (`tensor_gap`)."""
        if self.tensor_gap or not isinstance(loss, Derived) or not loss.copies:
            return
        lost_at: dict = {}  # the copy's call -> (a list or not, the tensors it drops for good)
        for copy in loss.copies:
            of_list, lost = lost_at.setdefault(copy.node, (copy.of_list, []))
            lost.extend(t for t in copy.dropped if t not in loss.sources and t not in lost)
        for node in sorted(lost_at, key=lambda n: (n.lineno, n.col_offset, n.end_col_offset)):
            of_list, lost = lost_at[node]
            if lost:
                self.events.append(Event("gradient-copy", node, {
                    "backward": backward, "list": of_list, "lost": lost, "total": not loss.sources}))

    def _dropped_groups(self) -> None:
        """Parameter groups built while another group reached an optimizer, whose tensors (all
        requiring grad) no optimizer holds when backward first runs: they never train."""
        optimizers = self.snapshot.optimizers
        if not optimizers or not all(o.complete for o in optimizers) or self.uncertain:
            return
        held = {id(p) for o in optimizers for p in o.params}
        grouped = [g for g, _ in self.param_groups.values() if any(id(p) in held for p in self._group_params(g))]
        if not grouped:
            return  # groups are this script's way of building its optimizers: some reached one
        for group, stmt in self.param_groups.values():
            params = self._group_params(group)
            if params and all(p.requires_grad for p in params) and not any(id(p) in held for p in params):
                self.events.append(Event("param-group-in-no-optimizer", stmt, {"count": len(params)}))

    @staticmethod
    def _group_params(group: dict) -> list:
        """The tensors of a group, when all are known (a generator is read, not used up)."""
        source = group.get("params", UNKNOWN)
        if isinstance(source, Generator):
            if not source.complete:
                return []
            source = source.items
        if isinstance(source, Param):
            return [source]
        if isinstance(source, (list, tuple)) and all(isinstance(p, Param) for p in source):
            return list(source)
        return []


class _ProjectModule:
    """A file of the project the script imports: its namespace, evaluated on first use."""

    def __init__(self, path: str, text: str, tree: ast.Module, imports: ImportMap) -> None:
        self.path = path
        self.text = text
        self.tree = tree
        self.imports = imports
        self.globals: dict = {}
        self._nodes: set | None = None

    def holds(self, node) -> bool:
        if self._nodes is None:
            self._nodes = {id(n) for n in cached_walk(self.tree)}
        return id(node) in self._nodes


class _Super:
    """`super()` inside a method of `owner` running on `receiver`."""

    def __init__(self, owner: ClassObj, receiver) -> None:
        self.owner = owner
        self.receiver = receiver


class _NoOp:
    """`super().__init__` of `nn.Module` or `object`: nothing the evaluation needs to run."""


class _DType:
    def __init__(self, name: str) -> None:
        self.name = name


class _BoundName:
    """`obj.name` before it is called."""

    def __init__(self, obj, name: str) -> None:
        self.obj = obj
        self.name = name


class _ArgParser:
    """An `argparse.ArgumentParser`: the defaults of its options, what `python script.py` (no
    command-line arguments) parses into. An option without a known default (a positional or
    required one, a string converted by `type=`) reads as unknown."""

    def __init__(self) -> None:
        self.values: dict = {}

    def call(self, name: str, args, kwargs):
        if name == "add_argument":
            self._add(args, kwargs)
            return None
        if name in ("add_argument_group", "add_mutually_exclusive_group"):
            return self  # a group adds its options to the parser
        if name == "set_defaults":
            self.values.update(kwargs)
            return None
        if name in ("parse_args", "parse_known_args"):
            given = args[0] if args else kwargs.get("args")
            if given not in (None, []):
                return UNKNOWN  # an explicit argument list
            namespace = _Namespace(dict(self.values))
            return namespace if name == "parse_args" else (namespace, [])
        return UNKNOWN

    def _add(self, args, kwargs) -> None:
        names = [a for a in args if isinstance(a, str)]
        if not names or len(names) != len(args):
            return
        longs = [n for n in names if n.startswith("--")]
        dest = kwargs.get("dest") or (longs[0] if longs else names[0]).lstrip("-").replace("-", "_")
        if not isinstance(dest, str):
            return
        action = kwargs.get("action")
        if not names[0].startswith("-") or kwargs.get("required") is True:
            value = UNKNOWN  # the script cannot run without it
        elif "default" in kwargs:
            value = kwargs["default"]
            if isinstance(value, str) and "type" in kwargs:
                value = UNKNOWN  # converted by `type`
        else:
            value = {"store_true": False, "store_false": True}.get(action) if isinstance(action, str) or action is None else UNKNOWN
        self.values[dest] = value


class _Namespace:
    """What `parse_args()` returned: the options' values by name."""

    def __init__(self, values: dict) -> None:
        self.values = values


class _Lambda:
    def __init__(self, node: ast.Lambda, env: dict, module: "_ProjectModule | None") -> None:
        self.node = node
        self.env = env
        self.module = module  # the project file that wrote it (None: the script)


def held_labels(names: dict, optimizer) -> frozenset | None:
    """What `optimizer` holds, named from the script's globals (`names`: name -> value): each
    module all of whose parameters it holds (`model`, `model.text`), else each parameter it holds
    (`model.logit_scale`). None when the optimizer, or a model holding its tensors, is not fully known."""
    if not isinstance(optimizer, Optimizer) or not optimizer.complete:
        return None
    held = {id(p) for p in optimizer.params}
    labels: set = set()
    for name, value in names.items():
        if not isinstance(value, ModuleObj):
            continue
        for path, module in value.named_modules():
            params = [p for _, p in module.named_parameters()]
            if not module.fully_known and any(id(p) in held for p in params):
                return None
            label = f"{name}.{path}" if path else name
            if params and all(id(p) in held for p in params):
                labels.add(label)
            labels.update(f"{label}.{own}" for own, p in module.params.items() if id(p) in held)
    found = sum(1 for value in names.values() if isinstance(value, ModuleObj)
                for _, p in value.named_parameters() if id(p) in held)
    return frozenset(labels) if found and found >= len(held) else None


def _requires_grad_value(stmt) -> ast.AST | None:
    """The expression a statement sets `requires_grad` to (`p.requires_grad = x`, `requires_grad_(x)`)."""
    if stmt is None:
        return None
    for node in cached_walk(stmt):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "requires_grad"
                                                for t in node.targets):
            return node.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "requires_grad_":
            return node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "requires_grad"), None)
    return None


def _receiver(node: ast.AST, instance, cls):
    """What a method read from an object binds first: the object, its class for a
    `@classmethod`, nothing for a `@staticmethod`."""
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id == "staticmethod":
            return None
        if isinstance(decorator, ast.Name) and decorator.id == "classmethod":
            return cls
    return instance


_BUILTIN_TYPES = {"list": list, "tuple": tuple, "dict": dict, "str": str, "int": int, "float": float, "bool": bool}


def _isinstance_of_builtin(value, types: ast.AST):
    """`isinstance(nets, list)`: decided where the types are builtins and the value is a plain
    value or an object the evaluation made (a module is never a list); UNKNOWN otherwise."""
    names = types.elts if isinstance(types, ast.Tuple) else [types]
    if not all(isinstance(n, ast.Name) and n.id in _BUILTIN_TYPES for n in names):
        return UNKNOWN
    wanted = tuple(_BUILTIN_TYPES[n.id] for n in names)
    if isinstance(value, (ModuleObj, Param, Optimizer, Scheduler, TensorVal, Instance)):
        return False
    if isinstance(value, (list, tuple, dict, str, int, float, bool)):
        return isinstance(value, wanted)
    return UNKNOWN


def _init_may_report(cls: ClassObj) -> bool:
    """Whether building the class could show something: a container or a Parameter made in an `__init__`."""
    for klass in [cls, *cls.attrs.get("__bases__", [])]:
        init = klass.attrs.get("__init__")
        if not isinstance(init, Function):
            continue
        for node in cached_walk(init.node):
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.ListComp, ast.Dict, ast.DictComp)):
                return True
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and \
                    (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "Parameter":
                return True
    return False


def _modules_in(value) -> list:
    found: list = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, ModuleObj):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def _is_generator(function: ast.AST) -> bool:
    """Does `function` itself yield (not a function or lambda nested in it)? Kept on the node."""
    known = function.__dict__.get("_gradls_yields")
    if known is None:
        known = function._gradls_yields = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in cached_walk(function)) \
            and _yields_itself(function)
    return known


def _yields_itself(function: ast.AST) -> bool:
    stack = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def given_a_frozen_copy(optimizer: Optimizer) -> ast.AST | None:
    """The `copy.parameters()` call that gave `optimizer` its tensors, when `copy` is a deep copy
    (an EMA or target network, frozen) of a module with a parameter that still requires grad."""
    module = optimizer.over
    if module is None or module.copy_of is None or optimizer.over_given_by is None:
        return None
    if any(p.requires_grad for p in optimizer.params):
        return None
    if not any(p.requires_grad for _, p in module.copy_of.named_parameters()):
        return None
    return optimizer.over_given_by


def _deepcopy(value):
    if isinstance(value, ModuleObj):
        copy = ModuleObj(value.kind, {k: Param(p.requires_grad, p.floating) for k, p in value.params.items()},
                         {k: _deepcopy(c) for k, c in value.children.items()}, dict(value.attrs),
                         value.complete, value.node, copy_of=value)
        return copy
    return UNKNOWN


def _prefix(args, kwargs) -> str:
    prefix = args[0] if args else kwargs.get("prefix", "")
    return f"{prefix}." if isinstance(prefix, str) and prefix else ""


MAX_VALUE_SIZE = 10_000


def _small_result(op, left, right) -> bool:
    """Whether evaluating `left op right` stays cheap: no `"a" * 10**9`, no `2 ** 10**9`."""
    if isinstance(op, ast.Mult) and (isinstance(left, str) or isinstance(right, str)):
        count = right if isinstance(left, str) else left
        text = left if isinstance(left, str) else right
        return isinstance(count, int) and len(text) * max(count, 0) <= MAX_VALUE_SIZE
    if isinstance(op, ast.Pow):
        return isinstance(right, (int, float)) and abs(right) <= 64 and abs(left) <= 2 ** 64 if \
            isinstance(left, (int, float)) else False
    if isinstance(op, ast.Add) and isinstance(left, str) and isinstance(right, str):
        return len(left) + len(right) <= MAX_VALUE_SIZE
    return True


def _known(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_known(v) for v in value)
    return value is not UNKNOWN and not isinstance(value, (_BoundName, _Lambda, dict))


def _plain(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _hashable(value) -> bool:
    return _plain(value) or isinstance(value, tuple) and all(_plain(v) for v in value)


def _matters(stmt: ast.AST) -> bool:
    """A branch or loop whose outcome could change what trains: a freeze, or parameters handed over."""
    for node in cached_walk(stmt):
        if isinstance(node, ast.Attribute) and node.attr in ("requires_grad", "requires_grad_", "parameters",
                                                              "named_parameters", "add_param_group"):
            return True
    return False


def _grad_decorator(node: ast.AST, imports: ImportMap) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (imports.qualify(target) or "") in ("torch.no_grad", "torch.inference_mode")


def _tensor_like(value) -> bool:
    return isinstance(value, (Param, TensorVal, Derived))


def _gradient_parts(values):
    """(tensors requiring grad, copies) among `values` (tensors, Python numbers, lists of
    them), or None when one of them is not known."""
    sources: set = set()
    copies: set = set()
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, Derived):
            sources |= value.sources
            copies |= value.copies
        elif isinstance(value, TensorVal):
            if value.opaque:
                return None
            if value.requires_grad:
                sources.add(value)
        elif isinstance(value, Param):
            if value.requires_grad and value.floating:
                sources.add(value)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif not (value is None or value is Ellipsis or isinstance(value, (bool, int, float, str, slice, _DType))):
            return None
    return frozenset(sources), frozenset(copies)


def _torch_operator(name: str) -> bool:
    """`torch.trapz`, `torch.linalg.norm`, `torch.nn.functional.mse_loss`: an operator on
    tensors (not a class, nor a part of torch that loads, builds or runs things)."""
    if name.startswith("torch.nn.functional."):
        return True
    parts = name.split(".")
    if parts[0] != "torch" or not parts[-1][:1].islower() or parts[-1].startswith("_"):
        return False
    return len(parts) == 2 and parts[1] not in _NOT_OPERATORS or len(parts) == 3 and parts[1] in ("linalg", "fft", "special")


_NOT_OPERATORS = {"load", "save", "manual_seed", "seed", "set_grad_enabled", "no_grad", "enable_grad",
                  "inference_mode", "compile", "set_default_dtype", "set_default_device", "from_numpy",
                  "is_tensor", "is_grad_enabled", "set_printoptions", "use_deterministic_algorithms"}
# tensor methods whose arguments are sizes, dimensions, devices or dtypes, never a gradient
_LAYOUT_METHODS = {"to", "cuda", "cpu", "float", "double", "half", "bfloat16", "view", "reshape", "unsqueeze",
                   "squeeze", "permute", "transpose", "flatten", "expand", "repeat", "sum", "mean", "contiguous",
                   "clone", "t", "narrow", "select", "movedim", "type"}
# keyword arguments of torch operators that are options, never tensors (`min=`, `alpha=` may be)
_OPTION_KEYWORDS = {"dim", "dtype", "device", "keepdim", "reduction", "non_blocking", "memory_format", "layout",
                    "pin_memory", "axis", "correction", "unbiased"}


def _tensor_keywords(kwargs: dict) -> list:
    """The keyword arguments that may be tensors."""
    return [v for k, v in kwargs.items() if k not in _OPTION_KEYWORDS]


_LIKE_FACTORIES = {"zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like"}
_DATA_FACTORIES = {"linspace", "logspace", "eye", "rand", "randn", "zeros", "ones", "full", "empty", "arange"}
_MATH_FUNCTIONS = {"sqrt", "exp", "log", "log2", "log10", "sin", "cos", "tan", "atan2", "floor", "ceil", "fabs",
                   "pow", "radians", "degrees"}
_MATH_CONSTANTS = {"math.pi": math.pi, "math.e": math.e, "math.tau": math.tau, "numpy.pi": math.pi}


def _inert(body: list) -> bool:
    """Statements that change no value a loss could read: `pass`, `raise`, `print(...)`, a
    logging or warning call (a branch the evaluation skips may hold them)."""
    for stmt in body:
        if isinstance(stmt, (ast.Pass, ast.Raise)):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("print", "warn", "debug", "info", "warning", "error", "log"):
                continue
        return False
    return True


def _grad_off_context(node: ast.AST, imports: ImportMap) -> bool:
    """`torch.no_grad()`, `torch.inference_mode()`, `torch.set_grad_enabled(False)`."""
    if not isinstance(node, ast.Call):
        return False
    name = imports.qualify(node.func) or ""
    if name in N.NO_GRAD_CONTEXTS and name != "torch.enable_grad":
        return not (name == "torch.inference_mode" and node.args and not (
            isinstance(node.args[0], ast.Constant) and node.args[0].value))
    return name in N.SET_GRAD_ENABLED and bool(node.args) and isinstance(node.args[0], ast.Constant) \
        and node.args[0].value is False


_INTEGER_FACTORIES = {"torch.randint", "torch.randperm", "torch.LongTensor", "torch.IntTensor",
                      "torch.BoolTensor", "torch.ByteTensor"}
_TENSOR_FACTORIES = {"torch.tensor", "torch.as_tensor", "torch.zeros", "torch.ones", "torch.full",
                     "torch.arange", "torch.empty"}
_INTEGER_DTYPES = {"torch.long", "torch.int", "torch.int64", "torch.int32", "torch.int16", "torch.int8",
                   "torch.uint8", "torch.bool", "torch.short"}
_FLOAT_DTYPES = {"torch.float", "torch.float32", "torch.float64", "torch.double", "torch.half",
                 "torch.float16", "torch.bfloat16"}


def _literal_kind(value) -> str | None:
    """'int' / 'float' for nested lists of Python numbers, else None."""
    if isinstance(value, bool) or isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, tuple)) and value:
        kinds = {_literal_kind(v) for v in value}
        if None in kinds:
            return None
        return "float" if "float" in kinds else "int"
    return None


_STR_METHODS = {"startswith", "endswith", "split", "rsplit", "lower", "upper", "strip", "replace",
                "format", "join", "find", "count", "partition", "rpartition"}

_BINOPS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a ** b,
}
_COMPARE = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}
