"""Label a fixture by EXECUTING it under torch: the ground truth gradls is tested against.

This module must stay independent of the gradls package (it never imports it).

A fixture is a small runnable script.  It is run in a fresh process under a driver that
patches torch before the script starts:

* ``torch.optim.Optimizer.__init__`` records every optimizer the script builds;
* global optimizer step pre/post hooks (they fire for ``step`` of every Optimizer
  subclass) record, for each parameter of the stepping optimizer, whether its ``.grad``
  is None / all zero / non-zero, and whether the step changed the parameter;
* ``torch.Tensor.backward`` and ``torch.autograd.backward`` record each call, the leaves
  of the graph it reaches and which of them received a non-zero gradient, and any
  exception (re-raised);
* ``torch.Tensor.grad`` is wrapped to note which tensors the *script itself* reads
  ``.grad`` of.

After the script (any exception is caught and recorded with where it came from) the
driver inspects the script's globals and calls ``gradls_effect()`` when the fixture
defines one, and writes one JSON observation.

"Trained parameter": a tensor in an optimizer the script builds (a frozen
``nn.Parameter`` with ``requires_grad=False`` is exempt, a plain tensor that never
required grad is not).  When the script builds no optimizer: every requires-grad
parameter of the ``nn.Module`` instances in the script's globals (only when some
backward ran) plus every tensor whose ``.grad`` the script reads.

Labels (``label_from_observation``):
  positive  a gradient-related exception (from backward / step / optimizer construction,
            or an autograd error message such as an in-place op on a leaf), or a trained
            parameter with a None/zero gradient at one of its optimizer's steps (for an
            optimizer that never steps, or without optimizer: one that never received a
            non-zero gradient from any backward), or a step that changed none of its
            parameters although they had gradients, or ``gradls_effect()`` returned True.
            A zero gradient counts as a cut only when the parameter is not connected to
            the backward root through differentiable ops (it is unreachable, or reachable
            only through round/floor/ceil/sign/trunc, whose derivative is 0); a gradient
            that is zero by value through a connected graph (a bias that cancels in a
            difference, a loss that is identically 0) is not a cut and is reported in
            ``zero_by_value_params``;
  negative  none of that;
  error     the script crashed for a reason unrelated to gradients, timed out, or
            ``gradls_effect()`` itself raised.

Usage as a script (what the tests do)::

    python tests/execution_label.py FIXTURE.py            # one observation, JSON on stdout
    python tests/execution_label.py --batch OUT.json F1 F2  # many, one forked child each
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
FIXTURES = REPO / "fixtures"

LABELS = ("positive", "negative")
EFFECTS = ("raises", "no-grad", "unchanged", "target-ignored", "graph-retained", "none")
# effects that only a fixture's gradls_effect() can show
CUSTOM_EFFECTS = ("target-ignored", "graph-retained", "no-grad", "unchanged")

TIMEOUT_S = 60

# grad_fn nodes whose derivative is identically zero: a parameter reached only through
# them gets a zero gradient, which is a cut just like a None gradient.
ZERO_DERIVATIVE_NODES = {
    "RoundBackward0", "RoundBackward1", "FloorBackward0", "CeilBackward0",
    "SignBackward0", "TruncBackward0",
}

# Messages of exceptions that are the loud form of a broken gradient flow.
AUTOGRAD_ERRORS = [
    r"does not require grad and does not have a grad_fn",
    r"modified by an inplace operation",
    r"leaf Variable that requires grad",
    r"view of a leaf Variable that requires grad",
    r"grad can be implicitly created only for scalar outputs",
    r"backward through the graph a second time",
    r"can't optimize a non-leaf Tensor",
    r"optimizer got an empty parameter list",
    r"Inference tensors cannot be saved for backward",
    r"Only Tensors of floating point and complex dtype can require gradients",
    r"unsupported operand type\(s\) for .*'NoneType'",
    r"'NoneType' object has no attribute",
]

HEADER_RE = re.compile(r"^#\s*(label|effect|why)\s*:\s*(.*?)\s*$")
EXPECT_RE = re.compile(r"#\s*expect:\s*([A-Z]{3}\d{3}(?:\s*,\s*[A-Z]{3}\d{3})*)\s*$")


# --------------------------------------------------------------------------------------
# fixture files
# --------------------------------------------------------------------------------------


def all_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.py") if not p.name.startswith("_"))


def fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def parse_header(text: str) -> dict:
    """The ``# label:``, ``# effect:`` and ``# why:`` lines at the very top of a fixture."""
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = HEADER_RE.match(line)
        if m:
            header[m.group(1)] = m.group(2)
    return header


def parse_expect(text: str) -> set[tuple[str, int]]:
    """The ``# expect: GRD101, GRD105`` end-of-line markers as a set of (code, line)."""
    out: set[tuple[str, int]] = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = EXPECT_RE.search(line)
        if m:
            for code in m.group(1).split(","):
                out.add((code.strip(), lineno))
    return out


# --------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------


def observe(path: str | os.PathLike, timeout: float = TIMEOUT_S) -> dict:
    """Run one fixture in a fresh interpreter and return its observation."""
    path = Path(path).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "obs.json"
        try:
            proc = subprocess.run(
                [sys.executable, str(HERE), "--batch", str(out), str(path)],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=timeout + 30,
                env=_child_env(),
            )
        except subprocess.TimeoutExpired:
            return _error_obs(str(path), "driver timed out")
        if not out.exists():
            return _error_obs(str(path), f"driver failed: {proc.stderr[-2000:]}")
        return json.loads(out.read_text())[str(path)]


def observe_many(paths, timeout: float = TIMEOUT_S) -> dict[str, dict]:
    """Run many fixtures with one driver process that forks a fresh child per fixture."""
    paths = [str(Path(p).resolve()) for p in paths]
    if not paths:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "obs.json"
        try:
            proc = subprocess.run(
                [sys.executable, str(HERE), "--batch", str(out), "--timeout", str(timeout), *paths],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=timeout * len(paths) + 120,
                env=_child_env(),
            )
        except subprocess.TimeoutExpired:
            return {p: _error_obs(p, "driver timed out") for p in paths}
        if not out.exists():
            return {p: _error_obs(p, f"driver failed: {proc.stderr[-2000:]}") for p in paths}
        return json.loads(out.read_text())


def _child_env() -> dict:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _error_obs(path: str, message: str) -> dict:
    return {"path": path, "driver_error": message}


# --------------------------------------------------------------------------------------
# labelling
# --------------------------------------------------------------------------------------


def _exception_is_gradient_related(exc: dict) -> bool:
    if exc.get("origin") in ("backward", "step", "optimizer_init"):
        return True
    msg = exc.get("message", "")
    return any(re.search(p, msg) for p in AUTOGRAD_ERRORS)


def effect_from_observation(obs: dict) -> str:
    """raises | no-grad | unchanged | custom (gradls_effect() True) | none | error."""
    if obs.get("driver_error") or obs.get("timeout"):
        return "error"
    exc = obs.get("exception")
    if exc:
        return "raises" if _exception_is_gradient_related(exc) else "error"
    if obs.get("gradls_effect_error"):
        return "error"
    if obs.get("no_grad_params"):
        return "no-grad"
    if obs.get("unchanged_params"):
        return "unchanged"
    if obs.get("gradls_effect") is True:
        return "custom"
    return "none"


def label_from_observation(obs: dict) -> str:
    effect = effect_from_observation(obs)
    if effect == "error":
        return "error"
    return "negative" if effect == "none" else "positive"


def check_fixture(header: dict, obs: dict) -> list[str]:
    """Problems with a fixture's declared label/effect given its observation ([] = holds).

    A negative whose ``# effect:`` is ``no-grad`` is a *symptom without a gradient-flow
    cause*: execution labels it negative (the graph is connected) yet must reproduce the
    symptom: every trained parameter's gradient is zero by value (e.g. the loss is
    identically zero).  gradls must stay silent on it.
    """
    problems: list[str] = []
    label, effect = header.get("label"), header.get("effect")
    if label not in LABELS:
        problems.append(f"header label {label!r} not in {LABELS}")
    if effect not in EFFECTS:
        problems.append(f"header effect {effect!r} not in {EFFECTS}")
    if not header.get("why"):
        problems.append("header has no '# why:' line")
    if problems:
        return problems
    observed_label = label_from_observation(obs)
    observed_effect = effect_from_observation(obs)
    if observed_label == "error":
        problems.append(f"execution failed for a reason unrelated to gradients: {_summary(obs)}")
        return problems
    if observed_label != label:
        problems.append(
            f"declared {label} (effect {effect}) but execution shows {observed_label} "
            f"(effect {observed_effect}): {_summary(obs)}"
        )
    elif label == "negative" and effect != "none":
        # a symptom without a gradient-flow cause: execution must reproduce the symptom
        if effect != "no-grad" or not obs.get("zero_by_value_params") or obs.get("ok_params"):
            problems.append(
                f"declared a negative with symptom {effect}, but execution does not show every "
                f"trained parameter with a gradient that is zero by value: {_summary(obs)}"
            )
    elif observed_effect != effect and not (observed_effect == "custom" and effect in CUSTOM_EFFECTS):
        problems.append(f"declared effect {effect} but execution shows {observed_effect}: {_summary(obs)}")
    if label == "negative" and effect == "none" and obs.get("gradls_effect") not in (None, False):
        problems.append("negative fixture's gradls_effect() did not return False")
    return problems


def _summary(obs: dict) -> str:
    keys = (
        "driver_error", "timeout", "exception", "no_grad_params", "unchanged_params",
        "zero_by_value_params", "ok_params",
        "gradls_effect", "gradls_effect_error", "n_backward", "n_steps", "stdout_tail",
    )
    return json.dumps({k: obs[k] for k in keys if obs.get(k) not in (None, [], "")})[:3000]


# --------------------------------------------------------------------------------------
# the driver (runs inside the child interpreter)
# --------------------------------------------------------------------------------------


class _State:
    def __init__(self, script: str):
        self.script = script
        self.optimizers: list = []  # optimizer objects, in construction order
        self.steps: list[dict] = []  # {"opt": index, "params": [(tensor, status, rg, is_param)], "changed": [...]}
        self.pending_step: dict | None = None
        self.backward_calls: list[dict] = []
        self.leaf_refs: dict[int, object] = {}  # id -> tensor (kept alive so ids stay unique)
        self.received_nonzero: set[int] = set()
        self.reached: set[int] = set()
        self.live_zero: set[int] = set()  # reached through differentiable ops, gradient 0 by value
        self.last_backward: dict[int, str] = {}  # id -> nonzero | live-zero | dead (latest backward)
        self.grad_reads: dict[int, object] = {}
        self.phase: str | None = None
        self.exc_origin: str | None = None


_STATE: _State | None = None


def _grad_status(grad) -> str:
    if grad is None:
        return "none"
    try:
        return "nonzero" if bool(grad.ne(0).any()) else "zero"
    except Exception:  # pragma: no cover - sparse or odd grads
        return "nonzero"


def _install_patches() -> None:
    import torch
    from torch.optim import optimizer as optim_mod

    base_grad = torch._C.TensorBase.grad

    def grad_get(self):
        st = _STATE
        if st is not None:
            try:
                caller = sys._getframe(1).f_code.co_filename
            except ValueError:  # pragma: no cover
                caller = ""
            if caller == st.script:
                st.grad_reads.setdefault(id(self), self)
        return base_grad.__get__(self)

    def grad_set(self, value):
        base_grad.__set__(self, value)

    def grad_del(self):
        base_grad.__delete__(self)

    torch.Tensor.grad = property(grad_get, grad_set, grad_del, base_grad.__doc__)

    orig_init = torch.optim.Optimizer.__init__

    def opt_init(self, *args, **kwargs):
        st = _STATE
        outer = st.phase if st else None
        if st is not None and outer is None:
            st.phase = "optimizer_init"
        try:
            orig_init(self, *args, **kwargs)
        except BaseException:
            if st is not None and outer is None:
                st.exc_origin = st.exc_origin or "optimizer_init"
            raise
        finally:
            if st is not None and outer is None:
                st.phase = None
        if st is not None and all(o is not self for o in st.optimizers):
            st.optimizers.append(self)

    torch.optim.Optimizer.__init__ = opt_init

    def pre_step(opt, args, kwargs):
        st = _STATE
        if st is None:
            return
        if all(o is not opt for o in st.optimizers):
            st.optimizers.append(opt)
        idx = next(i for i, o in enumerate(st.optimizers) if o is opt)
        params = []
        for group in opt.param_groups:
            for p in group["params"]:
                g = base_grad.__get__(p)
                params.append(
                    {
                        "tensor": p,
                        "status": _grad_status(g),
                        "requires_grad": bool(p.requires_grad),
                        "is_parameter": isinstance(p, torch.nn.Parameter),
                        "before": p.detach().clone(),
                    }
                )
        st.pending_step = {"opt": idx, "params": params}
        st.phase = "step"

    def post_step(opt, args, kwargs):
        st = _STATE
        if st is None or st.pending_step is None:
            return
        rec = st.pending_step
        for item in rec["params"]:
            p = item["tensor"]
            item["changed"] = not torch.equal(p.detach(), item.pop("before"))
            item["last_backward"] = st.last_backward.get(id(p))
        st.steps.append(rec)
        st.pending_step = None
        st.phase = None

    optim_mod.register_optimizer_step_pre_hook(pre_step)
    optim_mod.register_optimizer_step_post_hook(post_step)

    orig_tensor_backward = torch.Tensor.backward
    orig_autograd_backward = torch.autograd.backward

    def graph_leaves(roots, live_only=False):
        """Leaves of the graph; with live_only, only those reached without passing a
        node whose derivative is identically zero (round, floor, ceil, sign, trunc)."""
        leaves = []
        seen = set()
        stack = [r.grad_fn for r in roots if getattr(r, "grad_fn", None) is not None]
        for r in roots:
            if r.grad_fn is None and r.requires_grad:
                leaves.append(r)
        while stack:
            fn = stack.pop()
            if fn is None or id(fn) in seen:
                continue
            seen.add(id(fn))
            if live_only and type(fn).__name__ in ZERO_DERIVATIVE_NODES:
                continue
            var = getattr(fn, "variable", None)
            if var is not None:
                leaves.append(var)
            for nxt, _ in getattr(fn, "next_functions", ()):
                if nxt is not None:
                    stack.append(nxt)
        return leaves

    def recorded(roots, call):
        st = _STATE
        if st is None or st.phase == "backward":
            return call()
        roots = [r for r in roots if isinstance(r, torch.Tensor)]
        entry = {
            "shapes": [list(r.shape) for r in roots],
            "requires_grad": [bool(r.requires_grad) for r in roots],
            "grad_fn": [type(r.grad_fn).__name__ if r.grad_fn is not None else None for r in roots],
            "error": None,
        }
        try:
            leaves = graph_leaves(roots)
            live = {id(t) for t in graph_leaves(roots, live_only=True)}
        except Exception:  # pragma: no cover
            leaves, live = [], set()
        before = []
        for leaf in leaves:
            g = base_grad.__get__(leaf)
            before.append(None if g is None else g.detach().clone())
        st.backward_calls.append(entry)
        outer = st.phase
        st.phase = "backward"
        try:
            result = call()
        except BaseException as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"[:500]
            st.exc_origin = st.exc_origin or "backward"
            raise
        finally:
            st.phase = outer
        for leaf, old in zip(leaves, before):
            st.leaf_refs[id(leaf)] = leaf
            st.reached.add(id(leaf))
            g = base_grad.__get__(leaf)
            delta = None if g is None else (g if old is None else g - old)
            if delta is not None and _grad_status(delta) == "nonzero":
                st.received_nonzero.add(id(leaf))
                st.last_backward[id(leaf)] = "nonzero"
            elif delta is not None and id(leaf) in live:
                st.live_zero.add(id(leaf))
                st.last_backward[id(leaf)] = "live-zero"
            else:
                st.last_backward[id(leaf)] = "dead"
        return result

    def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        return recorded(
            [self],
            lambda: orig_tensor_backward(self, gradient, retain_graph, create_graph, inputs=inputs),
        )

    def autograd_backward(tensors, *args, **kwargs):
        roots = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
        return recorded(roots, lambda: orig_autograd_backward(tensors, *args, **kwargs))

    torch.Tensor.backward = tensor_backward
    torch.autograd.backward = autograd_backward


def _module_globals_of(tb, script: str):
    found = None
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename == script and frame.f_code.co_name == "<module>":
            found = frame.f_globals
        tb = tb.tb_next
    return found


def _run_one(script: str) -> dict:
    """Run one fixture in this (fresh, forked) process and build its observation."""
    global _STATE
    import contextlib
    import io
    import runpy

    import torch

    torch.set_num_threads(1)
    st = _State(script)
    _STATE = st
    obs: dict = {"path": script}
    captured = io.StringIO()
    g = None
    sys.argv = [script]
    try:
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            g = runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            obs["exception"] = {"type": "SystemExit", "message": str(exc.code), "origin": None}
    except BaseException as exc:  # noqa: BLE001 - everything is an observation
        origin = st.exc_origin
        if origin is None and st.phase in ("backward", "step", "optimizer_init"):
            origin = st.phase
        obs["exception"] = {"type": type(exc).__name__, "message": str(exc)[:800], "origin": origin}
        g = _module_globals_of(exc.__traceback__, script)
    st.phase = None
    obs["stdout_tail"] = captured.getvalue()[-1500:]
    g = g or {}

    names = _name_tensors(g)

    def name(t) -> str:
        return names.get(id(t)) or f"<tensor {tuple(t.shape)}>"

    # -- optimizer steps ------------------------------------------------------------
    obs["n_optimizers"] = len(st.optimizers)
    obs["n_steps"] = len(st.steps)
    obs["n_backward"] = len(st.backward_calls)
    obs["backward_calls"] = st.backward_calls[:20]
    no_grad: dict[str, str] = {}
    unchanged: dict[str, str] = {}
    zero_by_value: dict[str, str] = {}
    ok: set[str] = set()
    steps_out = []
    for i, rec in enumerate(st.steps):
        row = {"optimizer": rec["opt"], "params": {}}
        for item in rec["params"]:
            n = name(item["tensor"])
            row["params"][n] = [item["status"], "changed" if item["changed"] else "unchanged"]
            if item["is_parameter"] and not item["requires_grad"]:
                continue  # deliberately frozen nn.Parameter
            if item["status"] == "zero" and item["last_backward"] == "live-zero":
                zero_by_value.setdefault(n, f"connected, gradient 0 by value at step {i}")
            elif item["status"] in ("none", "zero"):
                no_grad.setdefault(n, f"grad {item['status']} at step {i} of optimizer {rec['opt']}")
            else:
                ok.add(n)
        # a step that changed none of its parameters although they had gradients
        # (one unchanged parameter alone is float rounding, e.g. a bias before BatchNorm)
        live = [it for it in rec["params"] if it["status"] == "nonzero"]
        if live and not any(it["changed"] for it in live):
            for it in live:
                n = name(it["tensor"])
                ok.discard(n)
                unchanged.setdefault(n, f"unchanged by step {i} of optimizer {rec['opt']} (no parameter changed)")
        steps_out.append(row)
    obs["steps"] = steps_out[:30]

    # -- tensors that must have received gradient through backward --------------------
    stepped = {rec["opt"] for rec in st.steps}
    candidates: dict[int, object] = {}
    if st.optimizers:
        if st.backward_calls:
            for i, opt in enumerate(st.optimizers):
                if i in stepped:
                    continue
                for group in opt.param_groups:
                    for p in group["params"]:
                        if isinstance(p, torch.nn.Parameter) and not p.requires_grad:
                            continue
                        candidates[id(p)] = p
    else:
        if st.backward_calls:
            for mod in _modules_in(g):
                for p in mod.parameters():
                    if p.requires_grad:
                        candidates[id(p)] = p
        for t in st.grad_reads.values():
            if isinstance(t, torch.Tensor) and t.requires_grad:
                candidates[id(t)] = t
    obs["checked_without_step"] = sorted(name(t) for t in candidates.values())
    for tid, t in candidates.items():
        if tid in st.received_nonzero:
            ok.add(name(t))
        elif tid in st.live_zero:
            zero_by_value.setdefault(name(t), "connected, gradient 0 by value in every backward")
        else:
            how = "reached by backward but zero" if tid in st.reached else "never reached by backward"
            if not t.is_leaf:
                how += " (not a leaf: its .grad is never populated)"
            no_grad.setdefault(name(t), how)

    obs["no_grad_params"] = [f"{k}: {v}" for k, v in no_grad.items()]
    obs["unchanged_params"] = [f"{k}: {v}" for k, v in unchanged.items()]
    obs["zero_by_value_params"] = [f"{k}: {v}" for k, v in zero_by_value.items()]
    obs["ok_params"] = sorted(ok - set(no_grad) - set(unchanged) - set(zero_by_value))

    # -- the fixture's own effect check ---------------------------------------------------
    effect_fn = g.get("gradls_effect")
    if callable(effect_fn):
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                obs["gradls_effect"] = bool(effect_fn())
        except BaseException as exc:  # noqa: BLE001
            obs["gradls_effect_error"] = f"{type(exc).__name__}: {exc}"[:500]
    obs["label"] = label_from_observation(obs)
    obs["effect"] = effect_from_observation(obs)
    return obs


def _modules_in(g: dict) -> list:
    import torch

    found, seen = [], set()

    def add(v):
        if isinstance(v, torch.nn.Module) and id(v) not in seen:
            seen.add(id(v))
            found.append(v)

    for k, v in list(g.items()):
        if k.startswith("__"):
            continue
        add(v)
        if isinstance(v, (list, tuple)):
            for x in v:
                add(x)
        elif isinstance(v, dict):
            for x in v.values():
                add(x)
    return found


def _name_tensors(g: dict) -> dict[int, str]:
    import torch

    names: dict[int, str] = {}
    for k, v in list(g.items()):
        if k.startswith("__"):
            continue
        if isinstance(v, torch.nn.Module):
            for n, p in v.named_parameters():
                names.setdefault(id(p), f"{k}.{n}")
    for k, v in list(g.items()):
        if isinstance(v, torch.Tensor):
            names.setdefault(id(v), k)
    return names


def _warm_up(torch) -> None:
    """Pay once, in the parent, the lazy imports every fixture would pay in its child
    (the first Optimizer() imports torch._dynamo: about 2 s).  Runs before the patches
    are installed, so nothing here is recorded."""
    import importlib

    for mod in ("torch._dynamo", "torch.nn.functional", "torch.distributions", "torch.optim.lr_scheduler", "numpy"):
        try:
            importlib.import_module(mod)
        except Exception:  # pragma: no cover - optional
            pass
    p = torch.nn.Parameter(torch.zeros(1))
    for cls in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop):
        opt = cls([p], lr=0.1)
        p.grad = torch.ones(1)
        opt.step()
        opt.zero_grad()


def _batch_main(out: str, timeout: float, scripts: list[str]) -> None:
    import signal
    import time

    import torch  # imported once, before forking

    _warm_up(torch)
    _install_patches()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, script in enumerate(scripts):
            script = str(Path(script).resolve())
            result_file = Path(tmp) / f"{k}.json"
            workdir = Path(tmp) / f"cwd{k}"
            workdir.mkdir()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # child
                code = 0
                try:
                    os.chdir(workdir)
                    obs = _run_one(script)
                    result_file.write_text(json.dumps(obs, default=str))
                except BaseException as exc:  # noqa: BLE001
                    try:
                        result_file.write_text(json.dumps(_error_obs(script, f"driver crashed: {exc!r}")))
                    finally:
                        code = 1
                finally:
                    os._exit(code)
            deadline = time.monotonic() + timeout
            timed_out = False
            while True:
                done, _status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    timed_out = True
                    break
                time.sleep(0.005)
            if timed_out:
                results[script] = {"path": script, "timeout": True, "driver_error": f"timed out after {timeout}s"}
            elif result_file.exists():
                results[script] = json.loads(result_file.read_text())
            else:
                results[script] = _error_obs(script, "child died without an observation")
    Path(out).write_text(json.dumps(results, indent=1, default=str))


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--batch":
        out = argv[1]
        rest = argv[2:]
        timeout = float(TIMEOUT_S)
        if rest[:1] == ["--timeout"]:
            timeout = float(rest[1])
            rest = rest[2:]
        _batch_main(out, timeout, rest)
        return 0
    if len(argv) != 1:
        print(__doc__)
        return 2
    obs = observe(argv[0])
    print(json.dumps(obs, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
