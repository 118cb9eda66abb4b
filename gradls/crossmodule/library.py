"""What a call into an installed library returns, asked of jedi: a module, an array, a number.

The engine knows torch and numpy by their tables (gradls/analysis/names.py). A model built by
another library (`timm.create_model(...)`, `torchvision.models.resnet18()`, `smp.Unet(...)`)
or a metric returning a numpy array or a float is opaque to one file: without a type the
engine lets gradient pass through such a call and never learns the result is a model with
parameters to train. Jedi infers the result's type from the library's code and annotations:

- an instance of an `nn.Module` subclass (jedi finds `Module.parameters` on it): `"module"`,
  a gradient source like `nn.Linear(...)`;
- `numpy.ndarray`: `"ndarray"`, a round trip out of autograd like `np.asarray(...)`;
- `float`, `int`, `bool`: `"number"`, like `.item()`;
- `list`: `"list"`, whose tensors `torch.tensor(...)` would copy out of the graph (GRD103).

Anything else (a tensor, several possible types, nothing inferred) is None: the call keeps
its default, gradient passes through. Libraries are found where Python finds them: the
project's virtualenv (`.venv` or `venv` in the project root) if it has one, else the
interpreter running gradls, plus the folders of `PYTHONPATH`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from pathlib import Path

# Top-level modules the engine's own tables answer for: never asked of jedi (`functorch`, shipped
# in the torch wheel, holds torch's function transforms: `vmap`, `grad`, which return functions).
KNOWN_BY_TABLES = frozenset({"torch", "functorch", "numpy", "np", "math", "scipy", "einops", "kornia", "__future__"})
RESULT_KINDS = ("module", "ndarray", "number", "list")  # the answers that change what a call gives
MODULE_PARAMETERS = "torch.nn.modules.module.Module.parameters"
_NUMBER_TYPES = {"builtins.float": "number", "builtins.int": "number", "builtins.bool": "number"}
_NONE_TYPES = {"builtins.NoneType", "builtins.None"}


def is_library_top(top: str) -> bool:
    return top.isidentifier() and top not in KNOWN_BY_TABLES and top not in sys.stdlib_module_names


def jedi_project(root: Path):
    """A jedi Project rooted at `root`, on the project's virtualenv when it has one."""
    import jedi

    extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    for name in (".venv", "venv"):
        python = root / name / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        if python.exists():
            try:
                return jedi.Project(str(root), environment_path=str(python), added_sys_path=extra)
            except Exception:  # noqa: BLE001 - a broken virtualenv: fall back to gradls' own interpreter
                break
    return jedi.Project(str(root), added_sys_path=extra)


def infer_result(project, qualified: str, importer: str) -> tuple[str | None, set[str]]:
    """(kind of what calling `qualified` returns, the library files that answer came from)."""
    module, _, last = qualified.rpartition(".")
    attempts = [f"from {module} import {last} as __gradls_callee\n", f"import {qualified.split('.')[0]}\n"]
    for header, callee in zip(attempts, ("__gradls_callee", qualified)):
        kinds, files = _infer(project, header, callee, importer)
        if kinds:
            kind = kinds.pop() if len(kinds) == 1 else None
            return (kind if kind in RESULT_KINDS else None), files
    return None, set()


def module_found(project, top: str, importer: str) -> bool:
    """Does `import top` lead jedi anywhere? When not, every name of `top` infers to nothing:
    `infer_result` would answer None for each without finding a file."""
    if _searches_own_interpreter(project) and importlib.util.find_spec(top) is None:
        return False  # jedi would search the same folders (and the project's, where `top` is no file)
    import jedi

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(jedi.Script(f"import {top}\n{top}\n", path=importer, project=project).infer(2, 0))
    except Exception:  # noqa: BLE001 - when unsure, ask name by name as before
        return True


def _searches_own_interpreter(project) -> bool:
    """Does jedi look for libraries where the interpreter running gradls does: no virtualenv of
    the project, no other one named by the environment (jedi's default environment), and no
    folder of PYTHONPATH this process does not search?"""
    if getattr(project, "_environment_path", None) is not None or \
            not set(getattr(project, "added_sys_path", ())) <= set(sys.path):
        return False
    prefix = os.path.realpath(sys.prefix)
    return all(not os.environ.get(var) or os.path.realpath(os.environ[var]) == prefix
               for var in ("VIRTUAL_ENV", "CONDA_PREFIX"))


def _infer(project, header: str, callee: str, importer: str) -> tuple[set[str], set[str]]:
    import jedi

    code = f"{header}__gradls_value = {callee}()\n__gradls_value\n__gradls_value.parameters\n"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            script = jedi.Script(code, path=importer, project=project)
            values = script.infer(3, 0)
            parameters = script.infer(4, len("__gradls_value."))
            definitions = script.goto(2, len("__gradls_value = "), follow_imports=True)
    except Exception:  # noqa: BLE001 - jedi failing on odd code must cost nothing but this answer
        return set(), set()
    files = {str(n.module_path) for n in [*values, *definitions] if n.module_path is not None}
    names = [n.full_name or "" for n in values if (n.full_name or "") not in _NONE_TYPES]
    if not names:
        return set(), files
    is_module = any(p.full_name == MODULE_PARAMETERS for p in parameters)
    return {_kind(name, is_module) for name in names}, files


def _kind(full_name: str, is_module: bool) -> str:
    if full_name == "numpy.ndarray":
        return "ndarray"
    if full_name in _NUMBER_TYPES:
        return _NUMBER_TYPES[full_name]
    if full_name == "builtins.list":
        return "list"
    if full_name.startswith("torch.") and full_name.endswith("Tensor"):
        return "tensor"
    return "module" if is_module else "other"
