"""Facts about code in other files, as the analysis of one file consumes them.

A resolver (the cross-module pass, built on jedi) answers "what is `losses.focal_loss`?"
with an `ExternalFunction` or `ExternalClass`: the same summaries the analysis computes for
local code, exported from the analysis of the defining file; a name bound once at top level
to a module, a loss or a callable is an `ExternalInstance`, and `models.model.parameters` an
`ExternalMember` of one. Breaks inside another file are
reported at the call site in this file, naming where the break really is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Protocol

from .values import Break, Cut, Flow, Origin


@dataclass(frozen=True)
class ExternalFunction:
    qualified: str
    path: str
    line: int
    params: tuple[str, ...]      # without `self` for methods
    returns: Flow                # ARGUMENT origins named after params; breaks have node=None


@dataclass(frozen=True)
class ExternalClass:
    qualified: str
    path: str
    line: int
    is_module: bool
    is_loss: bool
    has_parameters: bool
    methods: dict = field(default_factory=dict)  # name -> ExternalFunction
    frozen: tuple = ()  # attributes its own methods freeze (`self.backbone.requires_grad_(False)`)


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
    return Flow(frozenset(_export_origin(o) for o in flow.live), cuts, flow.tags, items)


def _export_origin(origin: Origin) -> Origin:
    """Without its anchor: a node of another file's tree means nothing here (and would be pickled)."""
    return Origin(origin.label, origin.kind) if origin.anchor is not None else origin


def _export_break(brk: Break, path: str, where: str) -> Break:
    if brk.node is None:
        return brk
    line = brk.node.lineno
    description = f"{brk.description} in `{where}` ({path}:{line})"
    return Break(brk.kind, None, ("external", path) + brk.key, description, subject_text=brk.subject)


def localize(program, flow: Flow, call: ast.Call) -> Flow:
    """Cuts made in another file, re-anchored at the call that reaches them from this file."""
    if not any(c.brk.node is None for c in flow.cuts) and not flow.items:
        return flow
    cuts = frozenset(_localize_cut(program, c, call) for c in flow.cuts)
    items = tuple(localize(program, item, call) for item in flow.items)
    return Flow(flow.live, cuts, flow.tags, items)


def _localize_cut(program, cut: Cut, call: ast.Call) -> Cut:
    if cut.brk.node is not None:
        return cut
    local = program.make_break(cut.brk.kind, call, call, cut.brk.description)
    return replace(cut, brk=local)


def class_frozen_label(class_name: str, attribute: str) -> str:
    """How `frozen_labels` holds an attribute a class's own methods freeze."""
    return f"class:{class_name}.{attribute}"


def class_frozen_attributes(frozen_labels, class_name: str) -> list[str]:
    """The attributes of `class_name` its own methods freeze (see `class_frozen_label`)."""
    prefix = class_frozen_label(class_name, "")
    return sorted(label[len(prefix):] for label in frozen_labels if label.startswith(prefix))


def export_definitions(analysis, module: str) -> dict:
    """Everything the file of `analysis` defines at top level, as other files will see it.

    `module` is the dotted module name (`pkg.losses`); keys are the top-level names.
    """
    path = analysis.source.path
    exported: dict = {}
    for name, callee in analysis.functions.items():
        exported[name] = _export_function(analysis, callee, f"{module}.{name}", path)
    for name, info in analysis.classes.items():
        methods = {
            method: _export_function(analysis, callee, f"{module}.{name}.{method}", path)
            for method, callee in info.methods.items()
            if not method.startswith("__") or method in ("__call__",)
        }
        frozen = tuple(class_frozen_attributes(analysis.frozen_labels, name))
        exported[name] = ExternalClass(
            f"{module}.{name}", path, info.node.lineno, info.is_module, info.is_loss,
            bool(info.params or info.modules), methods, frozen,
        )
    exported.update(_export_instances(analysis, module, path, exported))
    return exported


def _export_function(analysis, callee, qualified: str, path: str) -> ExternalFunction:
    summary = analysis.summary(callee)
    params = tuple(callee.params[1:] if callee.is_method else callee.params)
    where = qualified.rsplit(".", 2)[-2] + "." + qualified.rsplit(".", 1)[-1] if callee.is_method else qualified.rsplit(".", 1)[-1]
    return ExternalFunction(qualified, path, callee.node.lineno, params, export_flow(summary.returns, path, where))


# ----- module-level instances and aliases ---------------------------------------------------


def _export_instances(analysis, module: str, path: str, definitions: dict) -> dict:
    """`model = Net()`, `criterion = nn.MSELoss()`, `loss_fn = my_loss` at the top of the file."""
    instances = {}
    for name, (line, value) in single_assignments(analysis.tree).items():
        if name in definitions:
            continue
        found = _instance_of(analysis, value, definitions, analysis.module_env.get(name))
        if found is not None:
            kind, of, target = found
            instances[name] = ExternalInstance(f"{module}.{name}", path, line, kind, of, target)
    return instances


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
    for node in ast.walk(stmt):
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
