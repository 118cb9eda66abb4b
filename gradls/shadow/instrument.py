"""Run-time recorder for the shadow pass.

A :class:`Recorder` watches one target file while its code runs:

* a ``TorchFunctionMode`` sees every torch call and records each *break*: an op whose
  input carries gradient (``requires_grad``) and whose output does not (``detach``,
  ``.data``, ``numpy``, ``item``, ``tolist``, ``float()``, ``torch.tensor``, ``argmax``,
  integer casts, comparisons, anything run under ``no_grad``), attributed to the line of
  the target file that caused it;
* every tensor (and Python float / numpy array) computed from a cut value carries the
  ids of the breaks it depends on (a side table keyed by ``id`` and cleaned by weakref
  callbacks), so at ``backward`` we know whether the loss depends on a break;
* ``Tensor.backward`` / ``torch.autograd.backward`` are wrapped: parameters (named by
  module path) that get no or all-zero gradient, the error backward raised, and for each
  break feeding the loss the leaves upstream of it that lost their gradient;
* global optimizer step hooks compare parameters before and after ``step()``;
* the tensors the code trains are followed through the run: the parameters every
  optimizer holds (without an optimizer: every module parameter and global leaf that
  requires grad), whether each ever gets a non-zero gradient and whether the optimizer
  steps change it (:meth:`Recorder.training`);
* a line tracer (``sys.settrace``, active only in frames of the target file) records
  which lines ran and snapshots watched variables;
* the run goes on after the first backward until an optimizer has stepped after a
  backward and the next backward ran (every optimizer built has stepped by then), or a
  cap on backward calls, lines or time is reached.

Everything here is observation only; the worker decides what to run and when to stop.
"""

from __future__ import annotations

import math
import struct
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field

import torch
from torch.overrides import TorchFunctionMode

_len_tf_stack = torch._C._len_torch_function_stack
_tf_stack_at = torch._C._get_function_stack_at
_pop_tf_stack = torch._C._pop_torch_function_stack
_push_tf_stack = torch._C._push_on_torch_function_stack

# --- classification ---------------------------------------------------------------

GRD_DETACH = "GRD101"
GRD_PYTHON = "GRD102"
GRD_TENSOR_LIST = "GRD103"
GRD_COPY = "GRD104"
GRD_NONDIFF = "GRD105"
GRD_NOGRAD = "GRD106"
CUT_CODES = (GRD_DETACH, GRD_PYTHON, GRD_TENSOR_LIST, GRD_COPY, GRD_NONDIFF, GRD_NOGRAD)

_DETACH_OPS = {"detach", "detach_", "requires_grad_"}
_PYTHON_OPS = {"numpy", "item", "tolist", "__float__", "__int__", "__index__", "__complex__"}
_CONSTRUCT_OPS = {"tensor", "as_tensor", "asarray", "new_tensor", "from_numpy"}
# Differentiable in name only: their gradient is zero everywhere.
_ZERO_GRAD_OPS = {"round", "round_", "floor", "floor_", "ceil", "ceil_", "sign", "sign_",
                  "trunc", "trunc_", "fix", "sgn"}
# Ops whose output does not carry the input's value: never a break.
_NEUTRAL_OPS = {"_set_grad_enabled", "zeros_like", "ones_like", "empty_like", "full_like",
                "rand_like", "randn_like", "randint_like", "new_zeros", "new_ones",
                "new_empty", "new_full", "__bool__", "__len__", "size", "dim", "numel",
                "__repr__", "__format__", "__str__", "__hash__", "__reduce_ex__",
                "__deepcopy__", "__setstate__", "__getstate__", "_is_view", "storage",
                "untyped_storage", "data_ptr", "get_device", "is_contiguous", "stride"}


def _opname(func) -> str:
    name = getattr(func, "__name__", None) or str(func)
    if name in ("__get__", "__set__"):
        owner = getattr(func, "__self__", None)
        return "." + (getattr(owner, "__name__", "") or "?")
    return name


_EMPTY = frozenset()
# the op names _classify may cut whatever the output (the rest cut only an output that
# does not require grad)
_CUT_NAMES = frozenset(_DETACH_OPS | _PYTHON_OPS | _CONSTRUCT_OPS | _ZERO_GRAD_OPS | {".data"})
# op name by function object, decided once per op kind
_NAME_CACHE: dict = {}


def _opname_cached(func) -> str:
    name = _opname(func)
    try:
        # never keep alive what a function is bound to or closes over (a tensor, a user
        # object): only plain torch functions, methods and descriptors are kept
        if (not isinstance(getattr(func, "__self__", None), torch.Tensor)
                and getattr(func, "__closure__", None) is None and len(_NAME_CACHE) < 65536):
            _NAME_CACHE[func] = name
    except TypeError:  # unhashable
        pass
    return name


class ShadowStop(BaseException):
    """Raised into the user's code to end the run (not an Exception: plain `except` misses it)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Break:
    id: int
    code: str
    line: int | None  # innermost line in the target file
    stack: tuple[int, ...]  # all target-file lines on the stack, innermost first
    where: str  # innermost user location outside torch (file:line), for evidence
    ops: dict[str, int] = field(default_factory=dict)
    count: int = 0
    sources: list = field(default_factory=list)  # grad_fn nodes or leaf tensors cut here
    leaf_ids: set = field(default_factory=set)
    under_no_grad: bool = False
    first_seq: int = 0
    src_refs: list = field(default_factory=list)  # non-leaf inputs cut here, until a backward
    elsewhere: tuple[str, ...] = ()  # user locations outside the target file, innermost first

    def op_text(self) -> str:
        return ", ".join(sorted(self.ops))

    def to_json(self) -> dict:
        return {"id": self.id, "code": self.code, "line": self.line, "stack": list(self.stack),
                "where": self.where, "elsewhere": list(self.elsewhere),
                "ops": dict(self.ops), "count": self.count,
                "under_no_grad": self.under_no_grad}


_MAX_SOURCES = 16
_FREEZE_OPS = frozenset(("requires_grad_", ".requires_grad"))


class _Track:
    """One tensor the code may train, followed through the run."""

    __slots__ = ("obj", "origin", "first", "nonzero", "none_seen", "ever_rg", "gnorm", "vnorm")

    def __init__(self, obj, origin: str):
        self.obj = obj
        self.origin = origin
        self.first = None  # its value when first seen (False: not kept)
        self.nonzero = False  # got a non-zero gradient at some point
        self.none_seen = False
        self.ever_rg = bool(obj.requires_grad)
        self.gnorm = None  # the largest gradient norm seen after a backward (None: no grad)
        self.vnorm = None  # the tensor's own norm when that gradient was seen


def _tensors_in(value, depth=0):
    if isinstance(value, torch.Tensor):
        yield value
    elif depth < 2 and isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors_in(item, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item, depth + 1)


class _Mode(TorchFunctionMode):
    def __init__(self, rec: "Recorder"):
        super().__init__()
        self.rec = rec

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        rec = self.rec
        if rec.paused or threading.get_ident() != rec.thread:
            return func(*args, **kwargs)
        return rec.on_op(func, args, kwargs)


class Recorder:
    def __init__(self, target: str, *, watch: dict[int, list[str]] | None = None,
                 cuda: bool = False, shm=None, post_backward_line_cap: int = 20000,
                 trace_lines: bool = True, probes=None, stop_after_backward: bool = True,
                 deadline: float | None = None, max_backwards: int = 16):
        self.target = target
        self.cuda = cuda
        self.shm = shm
        self.thread = threading.get_ident()
        self.paused = 0
        self.mode = _Mode(self)
        self._local = self._local_trace  # one bound method, not one per traced event
        self.taint: dict[int, frozenset] = {}
        self._refs: dict[int, weakref.ref] = {}
        self.pyvals: dict[int, tuple[object, frozenset]] = {}
        self.breaks: dict[tuple, Break] = {}
        self.breaks_by_id: dict[int, Break] = {}
        self.seq = 0
        self.failures: list[dict] = []
        self.lines: dict[int, int] = {}
        # watch: {start line: names} or {start line: {"names": [...], "end": end line}}
        self.watch: dict[int, list[str]] = {}
        self.watch_end: dict[int, int] = {}
        for k, v in (watch or {}).items():
            if isinstance(v, dict):
                self.watch[int(k)] = list(v.get("names", []))
                self.watch_end[int(k)] = int(v.get("end") or k)
            else:
                self.watch[int(k)] = list(v)
                self.watch_end[int(k)] = int(k)
        self.watched: dict[int, dict[str, dict]] = {}
        self._pending_watch: dict[int, int] = {}
        self.backward: dict | None = None
        self.backward_count = 0
        self.steps: list[dict] = []
        self.zero_grads: list[dict] = []
        self.after_backward = False
        self.bw_frame = None
        self.bw_line = 0
        self.bw_returned = False
        self.post_lines = 0
        self.post_cap = max(post_backward_line_cap, 200000)
        self.stop_reason: str | None = None
        self.trace_lines = trace_lines
        self.stop_after_backward = stop_after_backward
        # after the first backward the run may go on (recording frozen) until watched
        # lines that have not run yet do, or until this monotonic deadline
        self.deadline = deadline
        self.extended = False
        self._step_skip = False
        self.stepped_ids: set[int] = set()
        self._installed = []
        self._step_snap = None
        self.notes: list[str] = []
        self.extra_namespace: dict | None = None  # FILE::FUNCTION: the module's globals
        # probes: functions (by first line) whose tensor arguments are followed to the
        # return value, whatever their dtype (does a loss depend on its target?)
        self.probe_lines: set[int] = set(int(x) for x in (probes or ()))
        self.probe: dict[int, frozenset] = {}
        self._probe_refs: dict[int, weakref.ref] = {}
        self._probe_frames: dict[int, tuple[int, dict[int, str]]] = {}
        self._probe_seq = 0
        self.probed: dict[int, dict] = {}
        # what the code trains (see training())
        self.max_backwards = max_backwards
        self.modules: list = []
        self.optimizers: list[tuple[object, int | None]] = []
        self.track: dict[int, _Track] = {}
        self.names: dict[int, str] = {}
        self.freeze_lines: dict[int, int] = {}
        self.frozen: dict[int, torch.Tensor] = {}  # the tensors the target file froze
        self.scheduler_steps: list[int | None] = []
        self.stepped_opts: set[int] = set()
        self.steps_after_backward = 0
        self.grad_calls = 0
        self.later_backward_error: dict | None = None
        self.target_globals: dict | None = None

    # --- the mode off the stack, for the recorder's own bookkeeping -------------

    def _mode_off(self) -> bool:
        """Take the recorder's mode off the torch-function stack where it is on top: the
        bookkeeping's own tensor calls (every attribute read, ``.grad``, ``.requires_grad``,
        included) then skip the mode's Python dispatch (thousands of calls per backward on a
        large model). Call while paused: same effect as the paused path, which runs each
        call straight through. Returns whether it was taken off (give it to _mode_on)."""
        n = _len_tf_stack()
        if n and _tf_stack_at(n - 1) is self.mode:
            _pop_tf_stack()
            return True
        return False

    def _mode_on(self, off: bool) -> None:
        if off:
            _push_tf_stack(self.mode)

    # --- taint table ------------------------------------------------------------

    def _set_taint(self, t: torch.Tensor, taint: frozenset) -> None:
        key = id(t)
        old = self.taint.get(key)
        if old is not None:
            self.taint[key] = old | taint
            return
        try:
            ref = weakref.ref(t, lambda _r, key=key, table=self.taint, refs=self._refs: (
                table.pop(key, None), refs.pop(key, None)))
        except TypeError:
            return
        self.taint[key] = taint
        self._refs[key] = ref

    def _set_probe(self, t: torch.Tensor, taint: frozenset) -> None:
        key = id(t)
        old = self.probe.get(key)
        if old is not None:
            self.probe[key] = old | taint
            return
        try:
            ref = weakref.ref(t, lambda _r, key=key, table=self.probe, refs=self._probe_refs: (
                table.pop(key, None), refs.pop(key, None)))
        except TypeError:
            return
        self.probe[key] = taint
        self._probe_refs[key] = ref

    def _probe_call(self, frame) -> None:
        line = frame.f_code.co_firstlineno
        entry = self.probed.setdefault(line, {"calls": 0, "args": {}})
        if entry["calls"] >= 3:
            return
        code = frame.f_code
        nargs = code.co_argcount + code.co_kwonlyargcount
        ids: dict[int, str] = {}
        for name in code.co_varnames[:nargs]:
            value = frame.f_locals.get(name)
            tensors = list(_tensors_in(value, 0))
            if not tensors or name == "self":
                continue
            self._probe_seq += 1
            pid = self._probe_seq
            ids[pid] = name
            for t in tensors:
                self._set_probe(t, frozenset((pid,)))
        if ids:
            self._probe_frames[id(frame)] = (line, ids)

    def _probe_return(self, frame, value) -> None:
        line, ids = self._probe_frames.pop(id(frame))
        entry = self.probed[line]
        entry["calls"] += 1
        reached = frozenset()
        for t in _tensors_in(value, 0):
            reached |= self.probe.get(id(t), frozenset())
        for pid, name in ids.items():
            prev = entry["args"].get(name, False)
            entry["args"][name] = prev or (pid in reached)
        entry["returned_tensor"] = entry.get("returned_tensor", False) or any(
            True for _ in _tensors_in(value, 0))
        if not self._probe_frames:
            self.probe.clear()
            self._probe_refs.clear()

    def taint_of(self, value) -> frozenset:
        out = frozenset()
        for t in _tensors_in(value):
            got = self.taint.get(id(t))
            if got:
                out |= got
        return out

    def _pyval_taint(self, value, depth=0) -> frozenset:
        got = self.pyvals.get(id(value))
        if got is not None and got[0] is value:
            return got[1]
        if depth < 2 and isinstance(value, (list, tuple)):
            out = frozenset()
            for item in value[:4096]:
                out |= self._pyval_taint(item, depth + 1)
            return out
        return frozenset()

    def _mark_pyval(self, value, taint: frozenset) -> None:
        if isinstance(value, float) or type(value).__module__ == "numpy":
            self.pyvals[id(value)] = (value, taint)
        elif isinstance(value, list):
            self.pyvals[id(value)] = (value, taint)
            stack = [value]
            seen = 0
            while stack and seen < 4096:
                cur = stack.pop()
                for item in cur:
                    seen += 1
                    if isinstance(item, float):
                        self.pyvals[id(item)] = (item, taint)
                    elif isinstance(item, list):
                        stack.append(item)

    # --- where in the user's code ----------------------------------------------

    def _user_stack(self, others: list | None = None):
        """(target-file lines on the stack, innermost first; the innermost user location
        outside torch). `others` collects the user locations outside the target file."""
        frame = sys._getframe(1)
        lines = []
        where = None
        while frame is not None:
            fname = frame.f_code.co_filename
            if fname == self.target:
                lines.append(frame.f_lineno)
                if where is None:
                    where = f"{fname}:{frame.f_lineno}"
            elif not _is_library(fname):
                if where is None:
                    where = f"{fname}:{frame.f_lineno}"
                if others is not None and len(others) < 12:
                    others.append(f"{fname}:{frame.f_lineno}")
            frame = frame.f_back
        return tuple(lines), where or "?"

    # --- the op hook --------------------------------------------------------------

    def on_op(self, func, args, kwargs):
        # the per-op path: everything here runs for every torch call of the user's code,
        # so the common case (no taint, output carries gradient) returns early
        try:
            name = _NAME_CACHE[func]
        except (KeyError, TypeError):
            name = _opname_cached(func)
        if self.cuda and name in ("numpy", "__array__"):
            first = args[0] if args else None
            if isinstance(first, torch.Tensor) and first.device.type != "cpu":
                args = (first.cpu(),) + tuple(args[1:])
        grad_in = False
        ftaint = _EMPTY
        itaint = _EMPTY
        sources = []
        direct_grad = False
        taint = self.taint
        Tensor = torch.Tensor
        for a in args:
            if isinstance(a, Tensor):
                if a.requires_grad:
                    grad_in = True
                    direct_grad = True
                    sources.append(a)
                if taint:
                    got = taint.get(id(a))
                    if got:
                        if a.is_floating_point() or a.is_complex():
                            ftaint |= got
                        else:
                            itaint |= got
            elif isinstance(a, (list, tuple)):
                # the tensors directly in the list (what _tensors_in(a, 1) yields)
                for b in a:
                    if isinstance(b, Tensor):
                        if b.requires_grad:
                            grad_in = True
                            sources.append(b)
                        got = taint.get(id(b))
                        if got:
                            ftaint |= got
        if kwargs:
            for a in kwargs.values():
                if isinstance(a, Tensor):
                    if a.requires_grad:
                        grad_in = True
                        sources.append(a)
                    got = taint.get(id(a))
                    if got:
                        ftaint |= got
        if self.pyvals:
            for a in args:
                if not isinstance(a, torch.Tensor):
                    got = self._pyval_taint(a)
                    if got:
                        ftaint |= got
        ptaint = None
        if self.probe:
            ptaint = frozenset()
            for t in _tensors_in(args, 0):
                got = self.probe.get(id(t))
                if got:
                    ptaint |= got
            if kwargs:
                for t in _tensors_in(kwargs, 0):
                    got = self.probe.get(id(t))
                    if got:
                        ptaint |= got
        if name in _FREEZE_OPS:
            self._note_freeze(name, args, kwargs)
        try:
            out = func(*args, **kwargs)
        except Exception as exc:
            bad = ftaint | itaint
            if bad:
                stack, where = self._user_stack()
                self.failures.append({"op": name, "line": stack[0] if stack else None,
                                      "where": where, "taint": sorted(bad),
                                      "error": f"{type(exc).__name__}: {exc}"})
                try:
                    exc.__gradls_taint__ = sorted(bad)
                except Exception:
                    pass
            raise
        if ptaint:
            if name == "__setitem__" and args and isinstance(args[0], torch.Tensor):
                self._set_probe(args[0], ptaint)
            for t in _tensors_in(out, 0):
                self._set_probe(t, ptaint)
        if not ftaint and not itaint:
            if not grad_in:
                if self.cuda and name == "from_numpy" and isinstance(out, torch.Tensor):
                    out = out.to(torch.get_default_device())
                return out
            # gradient in, gradient out, nothing to carry: nothing can be cut here
            # (what _classify answers for every op outside _CUT_NAMES)
            if name not in _CUT_NAMES and isinstance(out, Tensor) and out.requires_grad:
                return out
        out_taint = ftaint if grad_in else (ftaint | itaint)
        if name == "__setitem__":
            if args and isinstance(args[0], torch.Tensor) and (ftaint or itaint):
                self._set_taint(args[0], ftaint | itaint)
            return out
        cut = frozenset()
        zero_grad_op = False
        if grad_in and name not in _NEUTRAL_OPS:
            code = self._classify(name, out, direct_grad)
            if code is not None:
                brk = self._record_break(code, name, sources)
                cut = frozenset((brk.id,))
                zero_grad_op = name in _ZERO_GRAD_OPS
        elif name in _PYTHON_OPS and out_taint:
            self._round_trip(name, out_taint)
        if out_taint or cut:
            if isinstance(out, torch.Tensor):
                outs = [out]
            elif isinstance(out, (list, tuple)):
                outs = list(_tensors_in(out, 1))
            else:
                outs = []
            for t in outs:
                extra = cut if (zero_grad_op or not t.requires_grad) else frozenset()
                if out_taint or extra:
                    self._set_taint(t, out_taint | extra)
            if not outs or isinstance(out, list):
                if isinstance(out, (float, list)) or type(out).__module__ == "numpy":
                    self._mark_pyval(out, out_taint | cut)
        return out

    def _round_trip(self, name: str, taint: frozenset) -> None:
        """`.detach().cpu().numpy()` at one line is one python round trip (GRD102)."""
        stack, where = self._user_stack()
        if not stack:
            return
        line = stack[0]
        outside = None if where.startswith(self.target + ":") else where
        prev = self.breaks.get((line, GRD_DETACH, outside))
        if (prev is not None and prev.id in taint
                and (line, GRD_PYTHON, outside) not in self.breaks):
            del self.breaks[(line, GRD_DETACH, outside)]
            prev.code = GRD_PYTHON
            prev.ops[name] = prev.ops.get(name, 0) + 1
            self.breaks[(line, GRD_PYTHON, outside)] = prev

    def _classify(self, name: str, out, direct_grad: bool) -> str | None:
        if name in _DETACH_OPS or name == ".data":
            return GRD_DETACH
        if name in _PYTHON_OPS:
            return GRD_PYTHON
        if name in _CONSTRUCT_OPS:
            return GRD_COPY if direct_grad else GRD_TENSOR_LIST
        if name.startswith("."):
            return None  # other attribute getters (.grad, .T, .shape) cut nothing
        if name in _ZERO_GRAD_OPS:
            return GRD_NONDIFF
        if isinstance(out, torch.Tensor):
            outs = [out]
        elif isinstance(out, (tuple, list)):
            outs = list(_tensors_in(out, 1))
        else:
            return None
        if not outs or all(o.requires_grad for o in outs):
            return None
        if not torch.is_grad_enabled():
            return GRD_NOGRAD
        # argmax, comparisons, integer casts; or the indices of (values, indices)
        return GRD_NONDIFF

    def _record_break(self, code: str, name: str, sources: list) -> Break | None:
        others: list = []
        stack, where = self._user_stack(others)
        line = stack[0] if stack else None
        # one break per target line and code; a cut made in another file of the user's (a
        # module the script imports) is told apart by its place there
        outside = None if where.startswith(self.target + ":") else where
        key = (line, code, outside) if line is not None else (where, code, None)
        brk = self.breaks.get(key)
        if brk is None:
            self.seq += 1
            brk = Break(id=len(self.breaks_by_id) + 1, code=code, line=line, stack=stack,
                        where=where, first_seq=self.seq, elsewhere=tuple(others))
            self.breaks[key] = brk
            self.breaks_by_id[brk.id] = brk
        brk.count += 1
        brk.ops[name] = brk.ops.get(name, 0) + 1
        if not torch.is_grad_enabled():
            brk.under_no_grad = True
        for s in sources:
            if s.grad_fn is None:
                # a view of a leaf taken under no_grad (`w[:, 0]`) has no grad_fn: the leaf
                # it views is the one cut
                while getattr(s, "_base", None) is not None and s._base.requires_grad:
                    s = s._base
                if id(s) not in brk.leaf_ids:
                    brk.leaf_ids.add(id(s))
                    brk.sources.append(s)
            elif len(brk.sources) < _MAX_SOURCES:
                brk.sources.append(s.grad_fn)
                if len(brk.src_refs) < 4 and not self.backward_count:
                    brk.src_refs.append(s)  # until the first backward (see _reach_masks)
        return brk

    def on_legacy_constructor(self, values, out) -> None:
        """``torch.Tensor([...])`` (not seen by TorchFunctionMode): a list of tensors that
        carry gradient is copied by value (GRD103)."""
        self.paused += 1
        try:
            sources = [t for t in _tensors_in(values, 1) if t.requires_grad]
            taint = self.taint_of(values) | self._pyval_taint(values)
            if sources:
                brk = self._record_break(GRD_TENSOR_LIST, "Tensor", sources)
                taint |= frozenset((brk.id,))
            if taint and isinstance(out, torch.Tensor):
                self._set_taint(out, taint)
        finally:
            self.paused -= 1

    # --- line tracer --------------------------------------------------------------

    def _global_trace(self, frame, event, arg):
        if frame.f_code.co_filename == self.target:
            if self.target_globals is None:
                self.target_globals = frame.f_globals
            if self.probe_lines and frame.f_code.co_firstlineno in self.probe_lines:
                self.paused += 1
                try:
                    self._probe_call(frame)
                finally:
                    self.paused -= 1
            return self._local
        return None

    def _make_global_trace(self):
        """The global trace function: Python calls it at every call of every frame (torch's
        own Python, this recorder's), so frames of other files cost one comparison."""
        target = self.target
        enter = self._global_trace

        def global_trace(frame, event, arg):
            if frame.f_code.co_filename != target:
                return None
            return enter(frame, event, arg)
        return global_trace

    def _local_trace(self, frame, event, arg):
        if event == "line":
            ln = frame.f_lineno
            self.lines[ln] = self.lines.get(ln, 0) + 1
            if self.shm is not None:
                struct.pack_into("q", self.shm, 0, ln)
            if self._pending_watch:
                prev = self._pending_watch.get(id(frame))
                if prev is not None and not (prev < ln <= self.watch_end[prev]):
                    del self._pending_watch[id(frame)]
                    self._snapshot(frame, prev)
            if ln in self.watch:
                self._pending_watch[id(frame)] = ln
            if self.after_backward:
                if self.stop_reason is None and self.extended:
                    if not self._unseen_watch():
                        self.stop("the watched lines ran")
                    elif self.deadline is not None and time.monotonic() > self.deadline:
                        self.stop("time limit while running on to the watched lines")
                    else:
                        self.post_lines += 1
                        if self.post_lines > self.post_cap:
                            self.stop(f"{self.post_cap} lines ran after the first backward")
                elif self.stop_reason is None:
                    self.post_lines += 1
                    if self.post_lines > self.post_cap:
                        self._stop_or_extend(f"{self.post_cap} lines ran after the first backward")
                    elif (self.post_lines & 63) == 0 and self.deadline is not None \
                            and time.monotonic() > self.deadline:
                        self._stop_or_extend("time limit after the first backward")
                if self.stop_reason is not None:
                    raise ShadowStop(self.stop_reason)
        elif event == "return":
            if self._probe_frames and id(frame) in self._probe_frames:
                self._probe_return(frame, arg)
            if self._pending_watch:
                prev = self._pending_watch.pop(id(frame), None)
                if prev is not None:
                    self._snapshot(frame, prev)
            if self.after_backward and frame is self.bw_frame:
                self.bw_returned = True
        return self._local

    def _unseen_watch(self) -> bool:
        return any(line not in self.watched for line in self.watch)

    def _stop_or_extend(self, reason: str) -> None:
        if self.extended:
            return
        if self._unseen_watch() and (self.deadline is None or time.monotonic() < self.deadline):
            self.extended = True
            self.paused += 1  # freeze op recording; only lines and watches from here on
            self.notes.append(f"after the first backward ({reason}) the run went on, recording "
                              "frozen, to reach the watched line(s) "
                              + ", ".join(str(x) for x in sorted(self.watch) if x not in self.watched))
        else:
            self.stop(reason)

    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason

    def _snapshot(self, frame, line: int) -> None:
        self.paused += 1
        try:
            got = self.watched.setdefault(line, {})
            for name in self.watch.get(line, ()):
                value = _resolve(frame, name)
                got[name] = describe(value)
        except Exception as exc:  # never let a snapshot break the user's run
            self.notes.append(f"watch at line {line} failed: {exc}")
        finally:
            self.paused -= 1

    # --- backward and optimizer ---------------------------------------------------

    def on_backward(self, roots, call, gradient=None):
        if self.stop_reason is not None:
            raise ShadowStop(self.stop_reason)
        if self.extended:
            return call()
        if self.backward_count >= 1 and self.stop_after_backward:
            return self._later_backward(call)
        self.backward_count += 1
        self._backward_seen()
        self.paused += 1
        off = self._mode_off()
        try:
            self._track_snapshot(grads=False)
            frame = _target_frame(self.target)
            line = frame.f_lineno if frame is not None else None
            roots = [r for r in roots if isinstance(r, torch.Tensor)]
            root_taint = frozenset()
            for r in roots:
                root_taint |= self.taint.get(id(r), frozenset())
            named = collect_named_leaves(self.target, self.extra_namespace)
            # leaves upstream of each break that feeds the loss
            upstream = {}
            for bid in root_taint:
                brk = self.breaks_by_id.get(bid)
                if brk is not None:
                    upstream[bid] = _upstream_leaves(brk.sources)
            reach = self._reach_masks(root_taint, upstream)
            for brk in self.breaks_by_id.values():
                brk.src_refs = []
            info = {
                "line": line,
                "roots": [{"shape": list(r.shape), "dtype": str(r.dtype).replace("torch.", ""),
                           "requires_grad": r.requires_grad,
                           "grad_fn": type(r.grad_fn).__name__ if r.grad_fn is not None else None,
                           "device": str(r.device)} for r in roots],
                "root_taint": sorted(root_taint),
                "error": None,
            }
        finally:
            self._mode_on(off)
            self.paused -= 1
        self.paused += 1
        try:
            call()
        except Exception as exc:
            info["error"] = {"type": type(exc).__name__, "message": str(exc).strip()}
        finally:
            self.paused -= 1
        self.paused += 1
        off = self._mode_off()
        try:
            self._track_snapshot(grads=True)
            self._learn_names(named)
            params = []
            zero = _zero_grads([t for _, t in named.values()])
            for tid, (name, t) in named.items():
                if not t.requires_grad:
                    continue
                if not t.is_leaf:
                    params.append({"name": name, "grad": "non_leaf"})
                    continue
                g = t.grad
                if g is None:
                    state = "none"
                elif tid in zero:
                    state = "zero"
                else:
                    state = "ok"
                params.append({"name": name, "grad": state, "shape": list(t.shape)})
            info["params"] = params
            cuts = {}
            for bid, leaves in upstream.items():
                lost, kept = [], []
                extra_zero = _zero_grads([leaf for lid, leaf in leaves.items() if lid not in named])
                for lid, leaf in leaves.items():
                    nm = named.get(lid, (None, None))[0] or _anon(leaf)
                    g = leaf.grad
                    if g is None or lid in zero or lid in extra_zero:
                        lost.append({"name": nm, "grad": "none" if g is None else "zero", "tid": lid})
                    else:
                        kept.append(nm)
                cuts[str(bid)] = {"lost": lost, "kept": kept}
                masked = self._masked(reach.get(bid, ()), named, zero | extra_zero)
                if masked:
                    cuts[str(bid)]["masked"] = masked
            # breaks whose value was lost from sight (numpy, python) but whose inputs came
            # from leaves that got no gradient: the likely cause of those leaves' loss
            lost_ids = {tid for tid, (name, t) in named.items()
                        if t.requires_grad and t.is_leaf and (t.grad is None or tid in zero)}
            if lost_ids:
                for bid, brk in self.breaks_by_id.items():
                    # only a value that left torch (numpy, Python, a copy by value) is lost
                    # from sight; a detached tensor's way into the loss is followed, so a
                    # detach that is not in the loss's taint (a deep copy's `.data`, a
                    # logged value) did not cut the loss
                    if bid in upstream or not brk.sources or brk.code not in (
                            GRD_PYTHON, GRD_TENSOR_LIST, GRD_COPY):
                        continue
                    leaves = _upstream_leaves(brk.sources)
                    hit = [named[lid][0] for lid in leaves if lid in lost_ids]
                    if hit:
                        grads = {named[lid][0]: ("none" if named[lid][1].grad is None else "zero")
                                 for lid in leaves if lid in lost_ids}
                        tids = {named[lid][0]: lid for lid in leaves if lid in lost_ids}
                        cuts[str(bid)] = {"lost": [{"name": n, "grad": grads[n], "tid": tids[n]}
                                                   for n in hit],
                                          "kept": [], "untracked": True}
            info["cuts"] = cuts
            info["named"] = {str(k): v[0] for k, v in named.items()}
        finally:
            self._mode_on(off)
            self.paused -= 1
        self.backward = info
        if info["error"] is not None:
            self.stop("backward raised")
            raise ShadowStop(self.stop_reason)
        self.after_backward = self.stop_after_backward
        self.bw_frame = frame
        self.bw_line = line or 0
        self._stop_after_backward_if_done()

    def _trained_ids(self) -> set[int]:
        if self.optimizers:
            return {id(p) for opt, _ in self.optimizers
                    for group in getattr(opt, "param_groups", ()) for p in group.get("params", ())}
        return {tid for tid, (t, origin) in self._tracked().items()
                if origin in ("module", "global") and t.requires_grad}

    def _reach_masks(self, root_taint, upstream) -> dict[int, list]:
        """Before the backward: for each cut feeding the loss, which elements of each trained
        leaf upstream of it the cut value depends on (a gradient of the cut's input, taken
        with a random cotangent so that nothing cancels, the user's RNG left alone)."""
        out: dict[int, list] = {}
        if not root_taint:
            return out
        trained = self._trained_ids()
        budget = 8
        for bid in sorted(root_taint):
            brk = self.breaks_by_id.get(bid)
            if brk is None or not brk.src_refs or budget <= 0:
                continue
            srcs = [t for t in brk.src_refs if t.grad_fn is not None
                    and (t.is_floating_point() or t.is_complex())]
            # a slice of a Parameter detached on purpose is the partial-freeze idiom
            # (pretrained rows of an embedding kept, new ones trained): only a plain leaf
            # tensor the code optimises (an input, a latent) is judged element by element
            leaves = [leaf for lid, leaf in upstream.get(bid, {}).items()
                      if lid in trained and leaf.is_leaf
                      and not isinstance(leaf, torch.nn.Parameter)][:64]
            if not srcs or not leaves:
                continue
            budget -= 1
            try:
                gen = torch.Generator(device=srcs[0].device)
                gen.manual_seed(0)
                cot = [torch.randn(t.shape, generator=gen, device=t.device, dtype=t.dtype)
                       for t in srcs]
                grads = torch.autograd.grad(srcs, leaves, grad_outputs=cot, retain_graph=True,
                                            allow_unused=True)
            except Exception:
                continue
            got = []
            for leaf, g in zip(leaves, grads):
                if g is not None and not g.is_sparse:
                    got.append((leaf, g != 0))
            if got:
                out[bid] = got
        return out

    def _masked(self, pairs, named, zero) -> list[dict]:
        """After the backward: trained leaves that got gradient, but none at all on the
        elements the cut value came from: the cut was those elements' only way into the
        loss."""
        out = []
        for leaf, mask in pairs:
            g = leaf.grad
            if g is None or id(leaf) in zero or g.is_sparse or g.shape != mask.shape:
                continue
            try:
                n = int(mask.sum())
                if n == 0 or n == mask.numel():
                    continue  # the whole tensor: its grad state says it already
                if bool((g[mask] == 0).all()):
                    nm = named.get(id(leaf), (None, None))[0] or _anon(leaf)
                    out.append({"name": nm, "tid": id(leaf), "elements": n,
                                "of": int(mask.numel())})
            except Exception:
                continue
        return out

    def _later_backward(self, call):
        """A backward after the first: run it, follow the trained tensors' gradients, and
        stop once an optimizer step after a backward was followed by this one."""
        self.backward_count += 1
        self._backward_seen()
        self.paused += 1
        off = self._mode_off()
        try:
            self._track_snapshot(grads=False)
        finally:
            self._mode_on(off)
            self.paused -= 1
        self.paused += 1
        try:
            call()
        except Exception as exc:
            frame = _target_frame(self.target)
            self.later_backward_error = {"line": frame.f_lineno if frame is not None else None,
                                         "type": type(exc).__name__,
                                         "message": str(exc).strip()[:2000],
                                         "count": self.backward_count}
            raise  # the script sees its own error, as it would without the shadow pass
        finally:
            self.paused -= 1
        self.paused += 1
        off = self._mode_off()
        try:
            self._track_snapshot(grads=True)
        finally:
            self._mode_on(off)
            self.paused -= 1
        self._stop_after_backward_if_done()

    def _backward_seen(self) -> None:
        for z in self.zero_grads:
            z.pop("pending", None)  # zero_grad, backward, step: the usual order

    def _stop_after_backward_if_done(self) -> None:
        if not self.stop_after_backward or self.stop_reason is not None:
            return
        waiting = [o for o, _ in self.optimizers if id(o) not in self.stepped_opts]
        if self.steps_after_backward and not waiting:
            self._stop_or_extend("the backward after the optimizer step ran")
        elif self.backward_count >= 2 and not self.optimizers:
            self._stop_or_extend("a second backward ran (no optimizer was built)")
        elif self.backward_count >= self.max_backwards:
            self._stop_or_extend(f"{self.backward_count} backward calls"
                                 + (", and some optimizer never stepped" if waiting else ""))
        elif self.deadline is not None and time.monotonic() > self.deadline:
            self._stop_or_extend("time limit after the first backward")
        if self.stop_reason is not None:
            raise ShadowStop(self.stop_reason)

    # --- what the code trains ---------------------------------------------------

    def _note_freeze(self, name, args, kwargs) -> None:
        t = args[0] if args else None
        if not isinstance(t, torch.Tensor) or not t.is_leaf:
            return
        if name == "requires_grad_":
            value = args[1] if len(args) > 1 else kwargs.get("requires_grad", True)
        else:  # the .requires_grad setter
            value = args[1] if len(args) > 1 else True
        if not value and t.requires_grad:
            frame = _target_frame(self.target)
            if frame is not None:
                self.freeze_lines[id(t)] = frame.f_lineno
                if len(self.frozen) < 4096:
                    self.frozen[id(t)] = t

    def _tracked(self) -> dict:
        out: dict[int, tuple] = {}
        for m in self.modules:
            for p in m._parameters.values():
                if isinstance(p, torch.Tensor):
                    out.setdefault(id(p), (p, "module"))
        for opt, _ in self.optimizers:
            for group in getattr(opt, "param_groups", ()):
                for p in group.get("params", ()):
                    if isinstance(p, torch.Tensor):
                        out[id(p)] = (p, "optimizer")
        g = self.target_globals
        if g is not None:
            for value in list(g.values()):
                if isinstance(value, torch.Tensor) and value.is_leaf and value.requires_grad:
                    out.setdefault(id(value), (value, "global"))
            # modules built without __init__ (a deep copy: a target network, an EMA
            # teacher): followed for the flow only, never counted as trained
            for value in list(g.values()):
                if isinstance(value, torch.nn.Module):
                    try:
                        params = list(value.parameters())
                    except Exception:
                        continue
                    for p in params:
                        out.setdefault(id(p), (p, "seen"))
        return out

    def _track_snapshot(self, grads: bool) -> None:
        have = []
        for tid, (t, origin) in self._tracked().items():
            r = self.track.get(tid)
            if r is None or r.obj is not t:
                r = self.track[tid] = _Track(t, origin)
            elif origin == "optimizer":
                r.origin = origin
            if r.first is None:
                try:
                    r.first = t.detach().clone()
                except Exception:
                    r.first = False
            if grads:
                if t.requires_grad:
                    r.ever_rg = True
                if t.grad is None:
                    r.none_seen = True
                else:
                    have.append(t)
        if have:
            for t, gnorm, vnorm in _grad_norms(have):
                r = self.track[id(t)]
                if not gnorm == 0:  # None (not computed) and nan count as non-zero
                    r.nonzero = True
                if gnorm is not None and (r.gnorm is None or gnorm > r.gnorm):
                    r.gnorm, r.vnorm = gnorm, vnorm

    def _learn_names(self, named: dict) -> None:
        for tid, (name, _t) in named.items():
            self.names.setdefault(tid, name)

    def final_snapshot(self, namespace: dict | None = None) -> None:
        """At the end of the run (finished, stopped or raised)."""
        self.paused += 1
        off = self._mode_off()
        try:
            if namespace is not None and self.target_globals is None:
                self.target_globals = namespace
            self._track_snapshot(grads=True)
            if namespace is not None:
                self._learn_names(collect_named_leaves(self.target, namespace))
        except Exception as exc:  # never let the bookkeeping hide the user's result
            self.notes.append(f"final snapshot failed: {type(exc).__name__}: {exc}")
        finally:
            self._mode_on(off)
            self.paused -= 1

    def _name(self, t) -> str:
        name = self.names.get(id(t))
        if name:
            return name
        state = (len(self.modules), len(self.optimizers))
        if getattr(self, "_named_at", None) == state:
            return _anon(t)  # the modules and optimizers were named already
        self._named_at = state
        inner = set()
        for m in self.modules:
            for sub in m.modules():
                if sub is not m:
                    inner.add(id(sub))
        counter: dict[str, int] = {}
        for m in self.modules:
            if id(m) in inner:
                continue
            cls = type(m).__name__
            counter[cls] = counter.get(cls, -1) + 1
            for pname, p in m.named_parameters(remove_duplicate=False):
                self.names.setdefault(id(p), f"{cls}#{counter[cls]}.{pname}")
        for oi, (opt, _) in enumerate(self.optimizers):
            for gi, group in enumerate(getattr(opt, "param_groups", ())):
                for pi, p in enumerate(group.get("params", ())):
                    self.names.setdefault(id(p), f"optimizer{oi}.param_groups[{gi}][{pi}]")
        return self.names.get(id(t)) or _anon(t)

    def training(self) -> dict:
        """Per trained tensor, what the run showed: no gradient, an all-zero gradient, or
        no change after the optimizer's steps. The trained tensors: those an optimizer
        holds; without an optimizer, every module parameter and global leaf that required
        grad at some point."""
        self.paused += 1
        try:
            opt_ids = set()
            for opt, _ in self.optimizers:
                for group in getattr(opt, "param_groups", ()):
                    for p in group.get("params", ()):
                        opt_ids.add(id(p))
            if self.optimizers:
                # an nn.Parameter made with requires_grad=False and never switched on nor
                # frozen in the run (a fixed random projection) is a constant on purpose;
                # a plain tensor handed to an optimizer without requires_grad is not
                trained = [r for tid, r in self.track.items() if tid in opt_ids
                           and not (isinstance(r.obj, torch.nn.Parameter) and not r.ever_rg
                                    and not r.obj.requires_grad
                                    and tid not in self.freeze_lines)]
            else:
                trained = [r for r in self.track.values()
                           if (r.ever_rg or r.obj.requires_grad)
                           and r.origin in ("module", "global", "grad_input")]
            judged = self.backward_count > 0 or self.grad_calls > 0 or self.steps
            problems = []
            for r in trained:
                t = r.obj
                state = None
                if judged and not r.nonzero:
                    state = "none" if (t.grad is None and (r.none_seen or not r.ever_rg)) else "zero"
                unchanged = False
                if ((self.optimizers and not self.steps) or any(not s.get("lr_zero") for s in self.steps)) \
                        and isinstance(r.first, torch.Tensor):
                    try:
                        unchanged = torch.equal(r.first, t.detach())
                    except Exception:
                        unchanged = False
                if state or unchanged:
                    problems.append({"name": self._name(t), "tid": id(t), "grad": state,
                                     "unchanged": unchanged, "requires_grad": t.requires_grad,
                                     "freeze_line": self.freeze_lines.get(id(t))})
            if self.optimizers:
                # the loss gives it gradient, yet no optimizer holds it although it is part
                # of a model the optimizer trains, hidden from that model's parameters()
                # (layers kept in a plain list or dict): it never trains. A module left out
                # of the optimizer on purpose (a probed backbone) is not hidden in one.
                # Or an optimizer stepped after a backward and changed none of its tensors
                # while that gradient went to tensors no optimizer holds: it was built over
                # the wrong model.
                hidden = self._hidden_params(opt_ids)
                idle = next((s for s in self.steps if s.get("after_backward")
                             and s.get("total") and not s.get("changed")
                             and not s.get("lr_zero")), None)
                for tid, r in self.track.items():
                    if (tid not in opt_ids and (tid in hidden or idle is not None)
                            and r.origin in ("module", "global", "seen") and r.nonzero
                            and r.obj.requires_grad and r.obj.is_leaf):
                        problems.append({"name": self._name(r.obj), "tid": tid, "grad": None,
                                         "unchanged": True, "requires_grad": True,
                                         "freeze_line": None, "orphan": True,
                                         "opt_line": (idle or {}).get("opt_line")})
            # tensors that got a non-zero gradient while no optimizer holds them
            unheld = []
            if self.optimizers:
                for tid, r in self.track.items():
                    if (tid not in opt_ids and r.nonzero and r.obj.is_leaf
                            and r.origin in ("module", "global", "seen")):
                        unheld.append(self._name(r.obj))
            steps_after = [s for s in self.steps if s.get("after_backward")]
            return {
                "unheld_with_grad": unheld[:50],
                "unheld_count": len(unheld),
                "trained": len(trained),
                "by": "optimizer" if self.optimizers else "leaves",
                "optimizers": [{"type": type(o).__name__, "line": line,
                                "stepped": id(o) in self.stepped_opts} for o, line in self.optimizers],
                "backward_calls": self.backward_count,
                "grad_calls": self.grad_calls,
                "steps": len(self.steps),
                "steps_after_backward": len(steps_after),
                "scheduler_steps": [ln for ln in self.scheduler_steps[:8]],
                "zero_grad_between": next((z["line"] for z in self.zero_grads
                                           if z.get("between")), None),
                "later_backward_error": self.later_backward_error,
                "problems": problems,
            }
        finally:
            self.paused -= 1

    def _freezes(self) -> dict[str, list[str]]:
        """{line: names of the tensors set to requires_grad=False there}."""
        self.paused += 1
        try:
            out: dict[str, list[str]] = {}
            for tid, t in self.frozen.items():
                line = self.freeze_lines.get(tid)
                if line is not None:
                    got = out.setdefault(str(line), [])
                    if len(got) < 256:
                        got.append(self._name(t))
            return out
        finally:
            self.paused -= 1

    def _hidden_params(self, opt_ids: set) -> set[int]:
        """ids of the parameters held by a module that an optimizer trains (some of its
        parameters are in an optimizer) through attributes `parameters()` does not walk: a
        plain list, tuple or dict of modules or parameters, or a module stored past
        `__setattr__`."""
        out: set[int] = set()
        for m in self.modules:
            try:
                own = {id(p) for p in m.parameters()}
            except Exception:
                continue
            if not own & opt_ids:
                continue
            for key, value in vars(m).items():
                if key in ("_parameters", "_buffers", "_modules") or key.startswith("__"):
                    continue
                stack = [(value, 0)]
                while stack:
                    v, depth = stack.pop()
                    if isinstance(v, torch.nn.Module):
                        try:
                            ps = list(v.parameters())
                        except Exception:
                            ps = []
                        out.update(id(p) for p in ps if id(p) not in own)
                    elif isinstance(v, torch.nn.Parameter):
                        if id(v) not in own:
                            out.add(id(v))
                    elif depth < 2 and isinstance(v, (list, tuple)):
                        stack.extend((x, depth + 1) for x in v[:256])
                    elif depth < 2 and isinstance(v, dict):
                        stack.extend((x, depth + 1) for x in list(v.values())[:256])
        return out

    _FLOW_CAP = 4000

    def flow(self) -> list[dict]:
        """Per tensor the run followed (module parameters, tensors an optimizer holds,
        global leaves that require grad), what reached it: the gradient's state and norm,
        whether the optimizer's steps changed it. cut_line / cut_reason are left for the
        comparison (it knows which statement is to blame)."""
        self.paused += 1
        try:
            opt_ids = set()
            for opt, _ in self.optimizers:
                for group in getattr(opt, "param_groups", ()):
                    for p in group.get("params", ()):
                        opt_ids.add(id(p))
            owned = set()
            for m in self.modules:
                for p in m._parameters.values():
                    if isinstance(p, torch.Tensor):
                        owned.add(id(p))
            stepped = bool(self.steps)
            out = []
            for tid, r in self.track.items():
                if len(out) >= self._FLOW_CAP:
                    break
                t = r.obj
                if r.origin == "grad_input" and not t.is_leaf:
                    continue
                name = self._name(t)
                module = None
                if (tid in owned or r.origin == "seen") and "." in name and not name.startswith("optimizer"):
                    module = name.rsplit(".", 1)[0]
                if r.gnorm is None and r.nonzero:
                    state = "normal"  # seen through autograd.grad, or a sparse gradient
                else:
                    state = grad_state(r.gnorm, r.vnorm)
                changed = None
                if tid in opt_ids and stepped and isinstance(r.first, torch.Tensor):
                    try:
                        changed = not torch.equal(r.first, t.detach())
                    except Exception:
                        changed = None
                gn = r.gnorm
                out.append({"name": name, "module": module, "shape": list(t.shape),
                            "held_by_optimizer": tid in opt_ids,
                            "requires_grad": bool(t.requires_grad),
                            "grad": state,
                            "grad_norm": (float(gn) if gn is not None and math.isfinite(gn)
                                          else None),
                            "changed_by_step": changed, "cut_line": None, "cut_reason": None,
                            "tid": tid})
            return out
        finally:
            self.paused -= 1

    def _step_pre(self, opt, args, kwargs):
        if self.extended:
            self._step_skip = True
            return None
        self.paused += 1
        off = self._mode_off()
        try:
            try:
                self._track_snapshot(grads=True)
            except Exception:
                pass
            frame = _target_frame(self.target)
            snap = []
            for gi, group in enumerate(opt.param_groups):
                for pi, p in enumerate(group["params"]):
                    snap.append((gi, pi, p, p.detach().clone()))
            self._step_snap = (frame.f_lineno if frame is not None else None, snap)
        finally:
            self._mode_on(off)
        return None

    def _step_post(self, opt, args, kwargs):
        if self._step_skip:
            self._step_skip = False
            return None
        off = self._mode_off()
        try:
            line, snap = self._step_snap or (None, [])
            self._step_snap = None
            named = collect_named_leaves(self.target, self.extra_namespace)
            changed, unchanged = 0, []
            with_grad = 0
            for gi, pi, p, before in snap:
                if p.grad is not None:
                    with_grad += 1
                if torch.equal(p.detach(), before):
                    nm = named.get(id(p), (None,))[0] or f"param_groups[{gi}][{pi}]"
                    unchanged.append(nm)
                else:
                    changed += 1
            frozen = []
            for gi, pi, p, _ in snap:
                self.stepped_ids.add(id(p))
                if not p.requires_grad:
                    frozen.append(named.get(id(p), (f"param_groups[{gi}][{pi}]",))[0])
            orphans = [nm for tid, (nm, t) in named.items()
                       if t.requires_grad and t.is_leaf and t.grad is not None
                       and tid not in self.stepped_ids]
            zg_between = any(z.get("pending") for z in self.zero_grads) if self.backward_count else False
            for z in self.zero_grads:
                if z.get("pending"):
                    z["between"] = z.pop("pending") and changed == 0
            # a step at learning rate 0 (a warm-up from 0) changes nothing by design: the
            # run goes on to a step that can
            lr_zero = changed == 0 and _all_lr_zero(opt)
            if self.backward_count and not lr_zero:
                self.stepped_opts.add(id(opt))
                self.steps_after_backward += 1
            self._learn_names(named)
            opt_line = next((ln for o, ln in self.optimizers if o is opt), None)
            self.steps.append({"line": line, "optimizer": type(opt).__name__, "opt_line": opt_line,
                               "lr_zero": lr_zero,
                               "after_backward": self.backward_count > 0,
                               "total": len(snap), "changed": changed,
                               "with_grad": with_grad, "unchanged": unchanged[:50],
                               "zero_grad_after_backward": zg_between,
                               "not_stepped": orphans[:50],
                               "without_requires_grad": frozen[:50]})
        finally:
            self._mode_on(off)
            self.paused -= 1
        return None

    def _on_zero_grad(self, owner: str):
        if self.extended:
            return
        frame = _target_frame(self.target)
        for z in self.zero_grads:
            z.pop("pending", None)  # a zero_grad followed by another: only the last counts
        if len(self.zero_grads) >= 64:
            return
        self.zero_grads.append({"line": frame.f_lineno if frame is not None else None,
                                "owner": owner,
                                "after_backward": self.backward_count > 0,
                                # between a backward and the next step?
                                "pending": self.backward_count > 0})

    # --- install / uninstall ------------------------------------------------------

    def install(self) -> None:
        rec = self
        orig_tensor_backward = torch.Tensor.backward
        orig_autograd_backward = torch.autograd.backward
        state = {"inside": False}

        def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
            if state["inside"] or rec.paused:
                return orig_tensor_backward(self, gradient, retain_graph, create_graph, inputs)

            def call():
                state["inside"] = True
                try:
                    orig_tensor_backward(self, gradient, retain_graph, create_graph, inputs)
                finally:
                    state["inside"] = False
            return rec.on_backward([self], call, gradient)

        def autograd_backward(tensors, *a, **k):
            if state["inside"] or rec.paused:
                return orig_autograd_backward(tensors, *a, **k)
            roots = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)

            def call():
                state["inside"] = True
                try:
                    orig_autograd_backward(tensors, *a, **k)
                finally:
                    state["inside"] = False
            return rec.on_backward(roots, call)

        torch.Tensor.backward = tensor_backward
        torch.autograd.backward = autograd_backward
        self._installed.append(lambda: setattr(torch.Tensor, "backward", orig_tensor_backward))
        self._installed.append(lambda: setattr(torch.autograd, "backward", orig_autograd_backward))

        from torch.optim import optimizer as _optmod
        h1 = _optmod.register_optimizer_step_pre_hook(self._step_pre)
        h2 = _optmod.register_optimizer_step_post_hook(self._step_post)
        self._installed.append(h1.remove)
        self._installed.append(h2.remove)

        orig_opt_zero = torch.optim.Optimizer.zero_grad
        orig_mod_zero = torch.nn.Module.zero_grad

        def opt_zero_grad(self_, *a, **k):
            rec._on_zero_grad("optimizer")
            rec.paused += 1
            try:
                return orig_opt_zero(self_, *a, **k)
            finally:
                rec.paused -= 1

        def mod_zero_grad(self_, *a, **k):
            rec._on_zero_grad("module")
            rec.paused += 1
            try:
                return orig_mod_zero(self_, *a, **k)
            finally:
                rec.paused -= 1

        orig_mod_init = torch.nn.Module.__init__
        orig_opt_init = torch.optim.Optimizer.__init__

        def mod_init(self_, *a, **k):
            orig_mod_init(self_, *a, **k)
            if threading.get_ident() == rec.thread:
                rec.modules.append(self_)

        def opt_init(self_, *a, **k):
            orig_opt_init(self_, *a, **k)
            if threading.get_ident() == rec.thread and not rec.paused:
                frame = _target_frame(rec.target)
                rec.optimizers.append((self_, frame.f_lineno if frame is not None else None))

        torch.nn.Module.__init__ = mod_init
        torch.optim.Optimizer.__init__ = opt_init
        self._installed.append(lambda: setattr(torch.nn.Module, "__init__", orig_mod_init))
        self._installed.append(lambda: setattr(torch.optim.Optimizer, "__init__", orig_opt_init))
        try:
            from torch.optim.lr_scheduler import LRScheduler as _Sched
        except ImportError:  # pragma: no cover - older torch
            from torch.optim.lr_scheduler import _LRScheduler as _Sched
        orig_sched_step = _Sched.step

        def sched_step(self_, *a, **k):
            if rec.backward_count and not rec.extended and len(rec.scheduler_steps) < 64:
                frame = _target_frame(rec.target)
                rec.scheduler_steps.append(frame.f_lineno if frame is not None else None)
            return orig_sched_step(self_, *a, **k)

        _Sched.step = sched_step
        self._installed.append(lambda: setattr(_Sched, "step", orig_sched_step))
        orig_grad = torch.autograd.grad

        def autograd_grad(outputs, inputs, *a, **k):
            if rec.paused or threading.get_ident() != rec.thread:
                return orig_grad(outputs, inputs, *a, **k)
            rec.grad_calls += 1
            result = orig_grad(outputs, inputs, *a, **k)
            rec.paused += 1
            try:
                ins = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
                for t, g in zip(ins, result):
                    if isinstance(t, torch.Tensor) and g is not None:
                        r = rec.track.get(id(t))
                        if r is None or r.obj is not t:
                            r = rec.track[id(t)] = _Track(t, "grad_input")
                            r.first = False
                        r.ever_rg = True
                        if not r.nonzero and bool((g != 0).any()):
                            r.nonzero = True
            except Exception:
                pass
            finally:
                rec.paused -= 1
            return result

        torch.autograd.grad = autograd_grad
        self._installed.append(lambda: setattr(torch.autograd, "grad", orig_grad))

        torch.optim.Optimizer.zero_grad = opt_zero_grad
        torch.nn.Module.zero_grad = mod_zero_grad
        self._installed.append(lambda: setattr(torch.optim.Optimizer, "zero_grad", orig_opt_zero))
        self._installed.append(lambda: setattr(torch.nn.Module, "zero_grad", orig_mod_zero))

        orig_from_numpy = torch.from_numpy

        def from_numpy(arr):
            out = orig_from_numpy(arr)
            if rec.paused:
                return out
            got = rec._pyval_taint(arr)
            if not got and getattr(arr, "base", None) is not None:
                got = rec._pyval_taint(arr.base)
            if got:
                rec._set_taint(out, got)
            if rec.cuda:
                out = out.to(torch.get_default_device())
            return out

        torch.from_numpy = from_numpy
        self._installed.append(lambda: setattr(torch, "from_numpy", orig_from_numpy))

        base_new = torch._C.TensorBase.__new__
        own_new = torch.Tensor.__dict__.get("__new__")

        def tensor_new(cls, *args, **kwargs):
            out = base_new(cls, *args, **kwargs)
            if (cls is torch.Tensor and args and isinstance(args[0], (list, tuple))
                    and not rec.paused and threading.get_ident() == rec.thread):
                rec.on_legacy_constructor(args[0], out)
            return out

        torch.Tensor.__new__ = staticmethod(tensor_new)
        if own_new is not None:
            self._installed.append(lambda: setattr(torch.Tensor, "__new__", own_new))
        else:
            self._installed.append(lambda: delattr(torch.Tensor, "__new__"))

        self.mode.__enter__()
        self._installed.append(lambda: self.mode.__exit__(None, None, None))
        if self.trace_lines:
            sys.settrace(self._make_global_trace())
            self._installed.append(lambda: sys.settrace(None))

    def uninstall(self) -> None:
        while self._installed:
            undo = self._installed.pop()
            try:
                undo()
            except Exception:
                pass

    # --- result -------------------------------------------------------------------

    def observation(self) -> dict:
        return {
            "breaks": [b.to_json() for b in self.breaks_by_id.values()],
            "failures": self.failures,
            "lines": {str(k): v for k, v in sorted(self.lines.items())},
            "backward": self.backward,
            "steps": self.steps,
            "zero_grads": self.zero_grads,
            "freezes": self._freezes(),
            "watched": {str(k): v for k, v in self.watched.items()},
            "probed": {str(k): v for k, v in self.probed.items()},
            "stop_reason": self.stop_reason,
            "notes": self.notes,
            "training": self.training(),
            "flow": self.flow(),
        }


# --- helpers -------------------------------------------------------------------------

_LIB_MARKERS = ("/torch/", "/site-packages/", "/dist-packages/", "/gradls/shadow/", "<frozen",
                "/lib/python3")


def _is_library(fname: str) -> bool:
    return any(m in fname for m in _LIB_MARKERS)


def _target_frame(target: str):
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == target:
            return frame
        frame = frame.f_back
    return None


def _anon(t: torch.Tensor) -> str:
    return f"<tensor {tuple(t.shape)}>"


def _zero_grads(tensors) -> set[int]:
    """ids of the tensors whose .grad exists and is all zero, with one device sync."""
    have = [t for t in tensors if t.is_leaf and t.grad is not None and not t.grad.is_sparse]
    if not have:
        return set()
    by_device: dict = {}
    for t in have:
        by_device.setdefault((t.grad.device, t.grad.dtype), []).append(t)
    out = set()
    for group in by_device.values():
        try:
            grads = [t.grad for t in group]
            if grads[0].device.type == "cpu":  # the CPU foreach inf-norm is ~10x slower
                norms = torch.stack([g.abs().amax() if g.numel() else g.new_zeros(())
                                     for g in grads]).tolist()
            else:
                # the largest |element| of every gradient in one foreach call (fused
                # kernels on a GPU instead of two launches per tensor); empty counts as zero
                full = [g for g in grads if g.numel()]
                got = iter(torch.stack(torch._foreach_norm(full, float("inf"))).tolist()
                           if full else ())
                norms = [next(got) if g.numel() else 0.0 for g in grads]
        except Exception:
            norms = [float(bool(t.grad.count_nonzero())) for t in group]
        for t, n in zip(group, norms):
            if n == 0:
                out.add(id(t))
    return out


def _all_lr_zero(opt) -> bool:
    try:
        groups = list(opt.param_groups)
        return bool(groups) and all(float(g.get("lr", 1.0)) == 0.0 for g in groups)
    except Exception:
        return False


def _grad_norms(tensors) -> list[tuple]:
    """(tensor, gradient norm, tensor norm) for tensors whose .grad exists, with one device
    sync per device and dtype; the norms are None where they cannot be computed (sparse)."""
    out = []
    by_device: dict = {}
    for t in tensors:
        g = t.grad
        if g is None:
            continue
        if g.is_sparse or g.layout != torch.strided:
            out.append((t, None, None))
            continue
        by_device.setdefault((g.device, g.dtype), []).append(t)
    for group in by_device.values():
        try:
            with torch.no_grad():
                # accumulates in fp32 without a copy; off the CPU one foreach call per list
                # (fused kernels instead of a launch per tensor)
                if group[0].grad.device.type == "cpu":
                    norm = torch.linalg.vector_norm
                    gs = torch.stack([norm(t.grad.detach(), dtype=torch.float32) for t in group])
                    vs = torch.stack([norm(t.detach(), dtype=torch.float32) for t in group])
                else:
                    fnorm = torch._foreach_norm
                    gs = torch.stack(fnorm([t.grad.detach() for t in group], 2, dtype=torch.float32))
                    vs = torch.stack(fnorm([t.detach() for t in group], 2, dtype=torch.float32))
                norms = torch.stack([gs, vs]).tolist()
            out.extend(zip(group, norms[0], norms[1]))
        except Exception:
            for t in group:
                try:
                    out.append((t, float(torch.linalg.vector_norm(t.grad.detach())),
                                float(torch.linalg.vector_norm(t.detach()))))
                except Exception:
                    out.append((t, None, None))
    return out


# a gradient is "tiny" when its norm is this small relative to the tensor's own (at least 1)
TINY_GRAD = 1e-8


def grad_state(gnorm, vnorm) -> str:
    if gnorm is None:
        return "none"
    if gnorm != gnorm:  # nan
        return "normal"
    if gnorm == 0:
        return "zero"
    if gnorm <= TINY_GRAD * max(1.0, vnorm or 0.0):
        return "tiny"
    return "normal"


def _upstream_leaves(sources) -> dict[int, torch.Tensor]:
    leaves: dict[int, torch.Tensor] = {}
    seen = set()
    stack = []
    for s in sources:
        if isinstance(s, torch.Tensor):
            if s.requires_grad:
                leaves[id(s)] = s
        elif s is not None:
            stack.append(s)
    budget = 200000
    while stack and budget:
        budget -= 1
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        var = getattr(node, "variable", None)
        if isinstance(var, torch.Tensor):
            leaves[id(var)] = var
        for nxt, _ in getattr(node, "next_functions", ()):
            if nxt is not None and id(nxt) not in seen:
                stack.append(nxt)
    return leaves


def _resolve(frame, dotted: str):
    parts = dotted.split(".")
    head = parts[0]
    if head in frame.f_locals:
        value = frame.f_locals[head]
    elif head in frame.f_globals:
        value = frame.f_globals[head]
    else:
        return _MISSING
    for part in parts[1:]:
        try:
            value = getattr(value, part)
        except Exception:
            return _MISSING
    return value


_MISSING = object()


def describe(value) -> dict:
    if value is _MISSING:
        return {"type": "missing"}
    if isinstance(value, torch.Tensor):
        return {"type": "parameter" if isinstance(value, torch.nn.Parameter) else "tensor",
                "requires_grad": value.requires_grad, "is_leaf": value.is_leaf,
                "grad_fn": type(value.grad_fn).__name__ if value.grad_fn is not None else None,
                "shape": list(value.shape), "dtype": str(value.dtype).replace("torch.", ""),
                "device": str(value.device)}
    if isinstance(value, (list, tuple)):
        items = list(value)
        last = describe(items[-1]) if items else None
        with_graph = sum(1 for v in items if isinstance(v, torch.Tensor) and v.grad_fn is not None)
        return {"type": type(value).__name__, "len": len(items), "with_graph": with_graph,
                "last": last}
    if isinstance(value, (int, float, complex, bool)):
        return {"type": type(value).__name__}
    return {"type": type(value).__name__}


def collect_named_leaves(target: str, extra: dict | None = None) -> dict[int, tuple[str, torch.Tensor]]:
    """Name every parameter reachable from the target file's frames and globals.

    Root modules (those not inside another found module) give their parameters by
    ``named_parameters`` path (``encoder.0.weight``), prefixed by the variable name when
    more than one root module is found; loose leaf tensors that require grad are named by
    their variable; parameters seen only through an optimizer get ``optimizer[g][i]``.
    """
    modules: dict[int, tuple[str, torch.nn.Module]] = {}
    loose: dict[int, tuple[str, torch.Tensor]] = {}
    optims: list[tuple[str, object]] = []

    def visit(name, value, depth=0):
        if isinstance(value, torch.nn.Module):
            if id(value) not in modules:
                modules[id(value)] = (name, value)
        elif isinstance(value, torch.Tensor):
            if id(value) not in loose:
                loose[id(value)] = (name, value)
        elif isinstance(value, torch.optim.Optimizer):
            optims.append((name, value))
        elif depth == 0 and isinstance(value, (list, tuple)):
            for i, item in enumerate(value[:64]):
                visit(f"{name}[{i}]", item, 1)
        elif depth == 0 and isinstance(value, dict):
            for i, (k, item) in enumerate(list(value.items())[:64]):
                visit(f"{name}[{k!r}]", item, 1)

    frame = sys._getframe(1)
    frames = []
    while frame is not None:
        if frame.f_code.co_filename == target:
            frames.append(frame)
        frame = frame.f_back
    seen_globals = set()
    if extra is not None and not frames:
        seen_globals.add(id(extra))
        for k, v in list(extra.items()):
            if not k.startswith("__"):
                visit(k, v)
    for fr in frames:
        for k, v in list(fr.f_locals.items()):
            if k == "self" and isinstance(v, torch.nn.Module):
                visit("self", v)
            elif not k.startswith("__"):
                visit(k, v)
        if id(fr.f_globals) not in seen_globals:
            seen_globals.add(id(fr.f_globals))
            for k, v in list(fr.f_globals.items()):
                if not k.startswith("__"):
                    visit(k, v)
    inner = set()
    for _, (_, m) in modules.items():
        for sub in m.modules():
            if sub is not m:
                inner.add(id(sub))
    roots = [(n, m) for mid, (n, m) in modules.items() if mid not in inner]
    # the same module under two names: keep the first
    named: dict[int, tuple[str, torch.Tensor]] = {}
    prefix = len(roots) > 1
    for name, mod in roots:
        for pname, p in mod.named_parameters():
            if id(p) not in named:
                named[id(p)] = (f"{name}.{pname}" if prefix else pname, p)
    for tid, (name, t) in loose.items():
        if tid not in named and t.is_leaf:
            named[tid] = (name, t)
    for oname, opt in optims:
        for gi, group in enumerate(getattr(opt, "param_groups", [])):
            for pi, p in enumerate(group.get("params", [])):
                if id(p) not in named:
                    named[id(p)] = (f"{oname}.param_groups[{gi}][{pi}]", p)
    return named
