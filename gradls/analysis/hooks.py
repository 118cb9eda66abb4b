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
        for node in ast.walk(method.node):
            registered = _registration(node, info)
            if registered is None:
                continue
            owner, hook = registered
            if method is init and isinstance(owner, ast.Name) and owner.id in params:
                found[owner.id] = hook
            elif _self_attribute(owner) in stored:
                found[stored[_self_attribute(owner)]] = hook
    return found


def written_attributes(method: ast.AST) -> list[str]:
    """The `self.<name>` the method assigns (`self.feats = ...`), in order, once each."""
    names: list[str] = []
    for node in ast.walk(method):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else []
        for target in targets:
            name = _self_attribute(target)
            if name is not None and name not in names:
                names.append(name)
    return names


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
