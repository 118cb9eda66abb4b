"""Forward hooks that keep what a module computed.

    class FeatureStore:
        def __init__(self, layer):
            self.feats = None
            layer.register_forward_hook(self.keep)

        def keep(self, module, inp, out):
            self.feats = out.detach()

    store = FeatureStore(critic[1])
    ...
    critic(gen(x))                          # runs keep with critic[1]'s output
    loss = F.mse_loss(store.feats, target)  # what keep made of it: a detached copy

A call of the hooked module, or of a module holding it (`critic` holds `critic[1]`), runs the
hook method with the call's input and output; the attributes the method assigns are, until the
next such call, what it computed from them (`store.feats` above carries no gradient to `gen`).
Only an object of a plain class of this file, built in the scope that calls the module, with
the hook registered on a constructor argument, is followed; anything else stays unknown.
"""

from __future__ import annotations

import ast

from . import names as N
from .walk import cached_walk

REGISTRATIONS = ("register_forward_hook",)


def hooked_parameters(info) -> dict:
    """`__init__` parameter -> the method registered as a forward hook on the module passed
    there (`layer.register_forward_hook(self.keep)`, or on `self.layer` set from `layer`)."""
    init = info.methods.get("__init__")
    if init is None or info.is_module:
        return {}
    params = init.params[1:]
    stored = _attributes_from_parameters(init.node, params)
    found = {}
    for method in info.methods.values():
        for node in cached_walk(method.node):
            registered = _registration(node, info)
            if registered is None:
                continue
            owner, hook = registered
            if method is init and isinstance(owner, ast.Name) and owner.id in params:
                found[owner.id] = hook
            elif _self_attribute(owner) in stored:
                found[stored[_self_attribute(owner)]] = hook
    return found


def hooked_argument(call: ast.Call, init_params: list, param: str) -> ast.AST | None:
    """The expression a construction `Store(critic[1])` passes to `param`."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    position = init_params.index(param)
    if position < len(call.args):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == param), None)


def runs_hook(called: str, hooked: str) -> bool:
    """Does calling the module `called` run a hook registered on `hooked` (itself or a module
    it holds: `critic` holds `critic[1]` and `critic.head`)?"""
    return hooked == called or hooked.startswith((called + ".", called + "["))


def _registration(node: ast.AST, info) -> tuple | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in REGISTRATIONS and len(node.args) == 1 and not node.keywords):
        return None
    hook = _self_attribute(node.args[0])
    if hook is None or hook not in info.methods:
        return None
    return node.func.value, hook


def _attributes_from_parameters(init: ast.AST, params: list) -> dict:
    """`self.layer = layer` at the top of `__init__`: attribute -> parameter."""
    found = {}
    for stmt in init.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.value, ast.Name) \
                and stmt.value.id in params:
            name = _self_attribute(stmt.targets[0])
            if name is not None:
                found[name] = stmt.value.id
    return found


def _self_attribute(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def holder_label(target: ast.AST) -> str | None:
    """The name the script keeps the hook's object under (`store`, `self.store`)."""
    return N.dotted_text(target)


# ----- hooks a module registers on its own layers ---------------------------------------------

CHILD_ITERATORS = {"children": 0, "modules": 0, "named_children": 1, "named_modules": 1}


def own_registrations(info) -> list[tuple]:
    """(hooked label, hook function, its (module, input, output) parameter names) for the
    forward hooks a module class registers on its own layers: `self.net[1].register_forward_hook(
    self.keep)`, or on each layer of `self.net` in a loop over `self.net.named_children()`
    (`children`, `modules`, `named_modules`); the hook a method of the class, a function defined
    in the registering method, or the function a method of the class returns (`self._save(name)`,
    a closure over the layer's name)."""
    found = []
    for method in info.methods.values():
        for node in cached_walk(method.node):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in REGISTRATIONS and len(node.args) == 1 and not node.keywords):
                continue
            owner = node.func.value
            hooked = _loop_layers(method.node).get(owner.id) if isinstance(owner, ast.Name) \
                else N.dotted_text(owner)
            hook = _hook_function(node.args[0], method.node, info)
            if hooked is None or not hooked.startswith("self.") or hook is None:
                continue
            params = [a.arg for a in hook.args.args]
            params = params[1:] if hook in (m.node for m in info.methods.values()) else params
            if len(params) == 3 and not hook.args.vararg:
                found.append((hooked, hook, tuple(params)))
    return found


# ----- hooks a plain object registers on the model it is given -----------------------------

SUBMODULE_TABLES = ("named_modules", "named_children")


def given_module_registrations(info) -> list[tuple]:
    """(constructor parameter, hook function, its (module, input, output) parameter names) for each forward hook a plain
    class's `__init__` registers on the module passed to it or on a layer of it (`model`,
    `dict(model.named_modules())[name]`, `model.get_submodule(name)`), the hook a method of the
    class or the function a method returns (`self._keep(name)`, a closure over the name). Such an
    object exists to watch the model it was given: its methods that call a model they are given
    (`tap(model, x)`) run these hooks (`_run_given_hooks` in calls.py)."""
    init = info.methods.get("__init__")
    if init is None or info.is_module:
        return []
    params = set(init.params[1:])
    tables = _submodule_tables(init.node, params)
    found = []
    for node in cached_walk(init.node):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in REGISTRATIONS and len(node.args) == 1 and not node.keywords):
            continue
        param = _given_layer(node.func.value, params, tables)
        if param is None:
            continue
        hook = _hook_function(node.args[0], init.node, info)
        if hook is None or hook.args.vararg:
            continue
        hook_params = [a.arg for a in hook.args.args]
        hook_params = hook_params[1:] if hook in (m.node for m in info.methods.values()) else hook_params
        if len(hook_params) == 3:
            found.append((param, hook, tuple(hook_params)))
    return found


def _submodule_tables(init: ast.AST, params: set) -> dict:
    """Names bound to `dict(model.named_modules())` (or `named_children`) of a parameter -> that parameter."""
    found = {}
    for stmt in init.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            continue
        value = stmt.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict" \
                and len(value.args) == 1:
            value = value.args[0]
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr in SUBMODULE_TABLES and isinstance(value.func.value, ast.Name) \
                and value.func.value.id in params:
            found[stmt.targets[0].id] = value.func.value.id
    return found


def _given_layer(owner: ast.AST, params: set, tables: dict) -> str | None:
    """The constructor parameter whose module (or a layer of it) `owner` is, or None."""
    if isinstance(owner, ast.Name):
        return owner.id if owner.id in params else None
    if isinstance(owner, ast.Subscript) and isinstance(owner.value, ast.Name):
        return tables.get(owner.value.id)
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute) \
            and owner.func.attr == "get_submodule" and isinstance(owner.func.value, ast.Name) \
            and owner.func.value.id in params:
        return owner.func.value.id
    return None


def _loop_layers(function: ast.AST) -> dict:
    """Loop names bound to the layers of `self.x` (`for name, layer in self.x.named_children()`)."""
    found = {}
    for node in cached_walk(function):
        if not (isinstance(node, ast.For) and isinstance(node.iter, ast.Call)
                and isinstance(node.iter.func, ast.Attribute) and node.iter.func.attr in CHILD_ITERATORS):
            continue
        owner = N.dotted_text(node.iter.func.value)
        position = CHILD_ITERATORS[node.iter.func.attr]
        target = node.target
        if position and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            target = target.elts[1]
        if owner is not None and isinstance(target, ast.Name):
            found[target.id] = owner
    return found


def _hook_function(hook: ast.AST, method: ast.AST, info):
    """The function `register_forward_hook(hook)` is given, when it is written in this class."""
    own = _self_attribute(hook)
    if own is not None and own in info.methods:
        return info.methods[own].node
    if isinstance(hook, ast.Call) and _self_attribute(hook.func) in info.methods:
        return _returned_function(info.methods[_self_attribute(hook.func)].node)
    if isinstance(hook, ast.Name):
        return _nested_function(method, hook.id)
    return None


def _returned_function(method: ast.AST):
    """`def _save(self, name): def hook(...): ...; return hook`: the nested `hook`."""
    returns = [n for n in method.body if isinstance(n, ast.Return)]
    if len(returns) != 1 or not isinstance(returns[0].value, ast.Name):
        return None
    return _nested_function(method, returns[0].value.id)


def _nested_function(function: ast.AST, name: str):
    found = [n for n in function.body if isinstance(n, ast.FunctionDef) and n.name == name]
    return found[0] if len(found) == 1 else None


# ----- hooks the script registers with its own functions --------------------------------------


def script_registrations(tree: ast.Module, functions: dict) -> list[tuple]:
    """(hooked label, hook function, its (module, input, output) parameter names) for each
    `layer.register_forward_hook(hook)` outside class bodies, the hook a top-level function of
    the file (`functions`: name -> Callee) or the nested function one returns when called
    (`save_activation("feat")`)."""
    found = []
    for node in _outside_classes(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in REGISTRATIONS and len(node.args) == 1 and not node.keywords):
            continue
        hooked = N.dotted_text(node.func.value)
        hook = _script_hook_function(node.args[0], functions)
        if hooked is None or hook is None or hook.args.vararg:
            continue
        params = tuple(a.arg for a in hook.args.args)
        if len(params) == 3:
            found.append((hooked, hook, params))
    return found


def _outside_classes(tree: ast.Module):
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, ast.ClassDef))


def _script_hook_function(hook: ast.AST, functions: dict):
    if isinstance(hook, ast.Name) and hook.id in functions:
        return functions[hook.id].node
    if isinstance(hook, ast.Call) and isinstance(hook.func, ast.Name) and hook.func.id in functions:
        return _returned_function(functions[hook.func.id].node)
    return None
