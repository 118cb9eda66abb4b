"""Match static findings against what the shadow run observed.

Each static finding gets a ``shadow`` object: ``{"status": ..., "evidence": ...}`` with
status one of

* ``confirmed``   the run shows the problem (evidence says how);
* ``refuted``     the code ran and the problem did not happen (evidence says what did);
* ``not_reached`` the run ended before the finding's code ran, or before the backward
  that would tell;
* ``unverified``  the code ran but a single forward/backward cannot judge this rule
  (e.g. GRD111, a loss that ignores its target).

A problem is what the run shows about the tensors the code trains (those an optimizer
holds; without an optimizer, the leaves that require grad): one never got a non-zero
gradient, or did not change after the optimizer's steps; or torch raised. A cut that only
stops gradient into tensors nothing trains (a target network, an EMA teacher, a frozen
backbone) is no problem: its finding is refuted. Each problem is pinned on the statement
the run can tell (the cut, the freeze, the ``zero_grad`` before ``step``, the scheduler
step that ran instead of the optimizer's) or else on the backward/optimizer line; a static
finding there is confirmed, otherwise the problem becomes a finding of its own with
status ``runtime_only``.

This module does not import torch.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field

from ..model import Finding, Span

CUT_CODES = ("GRD101", "GRD102", "GRD103", "GRD104", "GRD105", "GRD106")
_WATCH_CODES = ("GRD107", "GRD112", "GRD123", "GRD124")

_KIND = {
    "GRD101": "detached",
    "GRD102": "turned into a Python/numpy value",
    "GRD103": "rebuilt by torch.tensor from a list",
    "GRD104": "copied by torch.tensor/new_tensor",
    "GRD105": "passed through a non-differentiable op",
    "GRD106": "computed under no_grad",
}


@dataclass
class ShadowReport:
    path: str
    result: dict
    items: list[tuple[Finding, dict]] = field(default_factory=list)
    static_error: str | None = None
    flow: list[dict] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return self.result.get("outcome", "error")

    def counts(self) -> dict[str, int]:
        out = {"confirmed": 0, "refuted": 0, "not_reached": 0, "unverified": 0, "runtime_only": 0}
        for _, shadow in self.items:
            out[shadow["status"]] = out.get(shadow["status"], 0) + 1
        return out

    def to_json(self) -> dict:
        obs = self.result.get("observation") or {}
        bw = obs.get("backward") or {}
        return {
            "path": self.path,
            "outcome": self.outcome,
            "message": self.result.get("message", ""),
            "device": self.result.get("device"),
            "wall_s": self.result.get("wall_s"),
            "stop_reason": obs.get("stop_reason"),
            "backward_line": bw.get("line"),
            "params_without_grad": [p["name"] for p in bw.get("params", [])
                                    if p.get("grad") in ("none", "zero")],
            "notes": list(self.result.get("notes", [])) + list(obs.get("notes", []))
            + ([f"static analysis unavailable: {self.static_error}"] if self.static_error else []),
            "counts": self.counts(),
            "findings": [{**f.to_json(), "shadow": shadow} for f, shadow in self.items],
            "flow": [{k: v for k, v in e.items() if k != "tid"} for e in self.flow],
        }


# --- source helpers -------------------------------------------------------------------


class _Source:
    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines()
        try:
            self.tree = ast.parse(text)
        except SyntaxError:
            self.tree = None
        self.stmts: list[ast.stmt] = []
        if self.tree is not None:
            for node in ast.walk(self.tree):
                if isinstance(node, ast.stmt):
                    self.stmts.append(node)

    def line_text(self, line: int | None) -> str:
        if line and 0 < line <= len(self.lines):
            return self.lines[line - 1].strip()
        return ""

    def stmt_at(self, line: int) -> ast.stmt | None:
        best = None
        for node in self.stmts:
            end = getattr(node, "end_lineno", node.lineno) or node.lineno
            if node.lineno <= line <= end:
                if best is None or (end - node.lineno) < (best.end_lineno - best.lineno):
                    best = node
        return best

    def range_of(self, finding: Finding) -> tuple[int, int]:
        lo, hi = finding.span.line, max(finding.span.end_line, finding.span.line)
        node = self.stmt_at(lo)
        if node is not None and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.ClassDef)):
            lo = min(lo, node.lineno)
            hi = max(hi, node.end_lineno or node.lineno)
        return lo, hi


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _targets(node: ast.stmt) -> list[str]:
    names: list[str] = []

    def add(t):
        if isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                add(e)
        else:
            d = _dotted(t)
            if d:
                names.append(d)

    if isinstance(node, ast.Assign):
        for t in node.targets:
            add(t)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        add(node.target)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        if isinstance(func, ast.Attribute):  # losses.append(loss)
            d = _dotted(func.value)
            if d:
                names.append(d)
    return names


def watch_for(findings: list[Finding], source: str) -> dict[str, dict]:
    """Variables the worker should snapshot after the findings' statements run."""
    src = _Source(source)
    watch: dict[str, dict] = {}
    for f in findings:
        if f.code not in _WATCH_CODES:
            continue
        node = src.stmt_at(f.span.line)
        if node is None:
            continue
        names = _buffer_names(node) if f.code == "GRD123" else _targets(node)
        if names:
            entry = watch.setdefault(str(node.lineno), {"names": [], "end": node.end_lineno or node.lineno})
            for n in names:
                if n not in entry["names"]:
                    entry["names"].append(n)
    return watch


def _buffer_names(node: ast.stmt) -> list[str]:
    """`self.register_buffer("w", ...)` / `self.w = nn.Buffer(...)`: the buffer, as `self.w`."""
    call = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if isinstance(node, ast.Assign):
        return [d for d in map(_dotted, node.targets) if d]
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "register_buffer"
            and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
        owner = _dotted(call.func.value)
        return [f"{owner}.{call.args[0].value}"] if owner else []
    return []


def _enclosing_function(src: "_Source", line: int):
    best = None
    for node in src.stmts:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if first <= line <= (node.end_lineno or node.lineno):
                if best is None or node.lineno > best.lineno:
                    best = node
    return best


def _first_line(node) -> int:
    return min([node.lineno] + [d.lineno for d in node.decorator_list])


def probes_for(findings: list[Finding], source: str) -> list[int]:
    """Functions (first code line) whose tensor arguments the worker follows to the result."""
    src = _Source(source)
    lines = []
    for f in findings:
        if f.code == "GRD111":
            node = _enclosing_function(src, f.span.line)
            if node is not None and _first_line(node) not in lines:
                lines.append(_first_line(node))
    return lines


# --- evidence helpers -----------------------------------------------------------------


def _names(items: list[str], limit: int = 4) -> str:
    shown = [f"`{n}`" for n in items[:limit]]
    more = len(items) - limit
    text = ", ".join(shown)
    if more > 0:
        text += f" and {more} more"
    return text


class _Ctx:
    def __init__(self, result: dict, src: _Source):
        self.result = result
        self.src = src
        self.obs = result.get("observation") or None
        obs = self.obs or {}
        self.lines = {int(k): v for k, v in (obs.get("lines") or {}).items()}
        self.breaks = {b["id"]: b for b in obs.get("breaks", [])}
        self.bw = obs.get("backward")
        self.root_taint = set((self.bw or {}).get("root_taint", []))
        self.failures = obs.get("failures", [])
        self.failure_taint = set()
        for fl in self.failures:
            self.failure_taint.update(fl.get("taint", []))
        err = result.get("error") or {}
        self.error = err if err else None
        if self.error and self.error.get("taint"):
            self.failure_taint.update(self.error["taint"])
        self.used_breaks: set[int] = set()
        self.confirmed_codes: set[str] = set()
        self.training = obs.get("training") or {}
        self.problems = list(self.training.get("problems") or [])
        self.problem_tids = {p["tid"] for p in self.problems}
        self.explained: set[int] = set()  # problem tids pinned on a finding already
        self.raised = None  # (line, type, message) of an error torch raised
        bw_err = (self.bw or {}).get("error")
        if bw_err:
            self.raised = ((self.bw or {}).get("line"), bw_err["type"], bw_err["message"])
        elif self.training.get("later_backward_error"):
            # a backward after the first raised (a second backward through a freed graph)
            later = self.training["later_backward_error"]
            self.raised = (later.get("line"), later.get("type", "RuntimeError"),
                           later.get("message", ""))
        elif self.error and self.error.get("from_torch") and self.result.get("outcome") in (
                "exception", "memory", "backward"):
            # torch raised, before the first backward or after it
            self.raised = (self.error.get("line"), self.error["type"], self.error["message"])
        self.nonleaf = [w for w in obs.get("warnings", []) if w.get("kind") == "nonleaf_grad"]
        self.error_used = False
        masked = any(c.get("masked") for c in ((self.bw or {}).get("cuts") or {}).values())
        self.cut_of: dict[int, tuple[int | None, str]] = {}  # tid -> (line, why), for the flow
        self.path: str | None = None  # the target's path as the findings show it
        self._target_cache: dict[str, bool] = {}
        # the run showed a problem with training (the labellers' verdict)
        self.bug = bool(self.problems or self.raised or self.nonleaf or masked)

    def is_target(self, f: Finding) -> bool:
        """A finding of the script that ran (not one of another file of the project, as the
        cross-module pass reports a break where it is)."""
        if self.path is None or f.path == self.path:
            return True
        got = self._target_cache.get(f.path)
        if got is None:
            got = self._target_cache[f.path] = (
                os.path.abspath(f.path) == os.path.abspath(self.path) or not os.path.isfile(f.path))
        return got

    def lost_trained(self, b: dict) -> list[dict]:
        """The trained tensors that the cut `b` left without gradient."""
        cut = ((self.bw or {}).get("cuts") or {}).get(str(b["id"])) or {}
        return [x for x in cut.get("lost", []) if x.get("tid") in self.problem_tids]

    def claim(self, b: dict) -> tuple[str, str]:
        """cut_evidence, kept only where the cut is a problem: it led to an error, or
        it left a tensor the code trains without gradient."""
        kind, evidence = self.cut_evidence(b)
        if kind == "error":
            return kind, evidence
        if kind == "lost":
            hit = self.lost_trained(b)
            if hit:
                self.explained.update(x["tid"] for x in hit)
                for x in hit:
                    self.cut_of.setdefault(x["tid"], (b.get("line"), self.cut_reason(b)))
                return kind, evidence
        if kind in ("lost", "partial"):
            masked = self.masked(b)
            if masked:
                parts = [f"`{x['name']}`.grad is exactly zero on the {x['elements']} of its "
                         f"{x['of']} elements that reach the loss only through it"
                         for x in masked[:3]]
                return "masked", (f"the value cut by {self.break_text(b)} feeds the loss of "
                                  f"{self.bw_text()}, and it was the only way there for part "
                                  f"of a trained tensor: {'; '.join(parts)}")
        return "", ""

    def masked(self, b: dict) -> list[dict]:
        cut = ((self.bw or {}).get("cuts") or {}).get(str(b["id"])) or {}
        return list(cut.get("masked") or [])

    def cut_reason(self, b: dict) -> str:
        return f"{_KIND.get(b['code'], 'cut')} by {self.break_text(b)}"

    def harmless(self, b: dict) -> str | None:
        """Why a cut that feeds the loss is no problem, when it is one of those."""
        kind, _ = self.cut_evidence(b)
        if kind not in ("lost", "partial"):
            return None
        cut = ((self.bw or {}).get("cuts") or {}).get(str(b["id"])) or {}
        lost = [x["name"] for x in cut.get("lost", [])]
        if lost:
            return (f"the value cut by {self.break_text(b)} stops gradient only into "
                    f"{_names(lost)}, which no optimizer trains; every trained tensor gets "
                    "gradient")
        return (f"the loss of {self.bw_text()} depends on the value cut by {self.break_text(b)}, "
                "but every trained tensor still gets gradient")

    def executed(self, lo: int, hi: int) -> int:
        return sum(self.lines.get(ln, 0) for ln in range(lo, hi + 1))

    def bw_text(self) -> str:
        bw = self.bw or {}
        if not bw.get("line"):
            return "the worker's backward() on the function's result"
        text = self.src.line_text(bw.get("line"))
        call = text if text and len(text) <= 60 and "backward" in text else "backward()"
        return f"`{call}` at line {bw.get('line')}"

    def end_reason(self) -> str:
        return self.result.get("message") or self.result.get("outcome", "the run ended")

    def break_text(self, b: dict) -> str:
        ops = ", ".join(sorted(b.get("ops", {}))) or "?"
        where = f"line {b['line']}" if b.get("line") else b.get("where", "?")
        place = _place(b.get("where"))
        if place is not None and self.path is not None and b.get("line") \
                and place[0] != os.path.abspath(self.path):
            try:
                shown = os.path.relpath(place[0])
            except ValueError:
                shown = place[0]
            where = f"{shown}:{place[1]} (called from line {b['line']})"
        return f"`{ops}` at {where}"

    def cut_evidence(self, b: dict) -> tuple[str, str]:
        """(kind, evidence) for a break that feeds the loss or an error."""
        bid = b["id"]
        btxt = self.break_text(b)
        if bid in self.root_taint and self.bw is not None:
            err = self.bw.get("error")
            if err:
                self.error_used = True
                return "error", (f"{self.bw_text()} raised {err['type']}: {_short(err['message'])}; "
                                 f"the loss depends on the value cut by {btxt}")
            cut = (self.bw.get("cuts") or {}).get(str(bid), {"lost": [], "kept": []})
            lost = cut.get("lost", [])
            if lost:
                parts = [f"`{x['name']}`.grad is {'None' if x['grad'] == 'none' else 'all zero'}"
                         for x in lost[:4]]
                more = f" (and {len(lost) - 4} more)" if len(lost) > 4 else ""
                return "lost", (f"{', '.join(parts)}{more} after {self.bw_text()}: "
                                f"the loss depends on the value cut by {btxt}")
            kept = cut.get("kept", [])
            via = f"; {_names(kept)} still get gradient by another path" if kept else ""
            return "partial", (f"the loss of {self.bw_text()} depends on the value cut by {btxt}: "
                               f"that path contributes no gradient{via}")
        cut = ((self.bw or {}).get("cuts") or {}).get(str(bid))
        if cut and cut.get("untracked") and cut.get("lost") and not (self.bw or {}).get("error"):
            lost = cut["lost"]
            parts = [f"`{x['name']}`.grad is {'None' if x['grad'] == 'none' else 'all zero'}"
                     for x in lost[:4]]
            more = f" (and {len(lost) - 4} more)" if len(lost) > 4 else ""
            return "lost", (f"{', '.join(parts)}{more} after {self.bw_text()}, and a value computed "
                            f"from {'it' if len(lost) == 1 else 'them'} was cut by {btxt} (its way "
                            "into the loss, through Python/numpy, was not tracked)")
        for fl in self.failures:
            if bid in fl.get("taint", []):
                self.error_used = True
                return "error", (f"the value cut by {btxt} made `{fl['op']}` fail at line "
                                 f"{fl.get('line')}: {_short(fl['error'])}")
        if self.error and bid in (self.error.get("taint") or []):
            self.error_used = True
            return "error", (f"the value cut by {btxt} led to {self.error['type']}: "
                             f"{_short(self.error['message'])}")
        return "", ""


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- verdicts ---------------------------------------------------------------------------


def _verdict(f: Finding, ctx: _Ctx) -> dict:
    if ctx.obs is None:
        return {"status": "not_reached", "evidence": f"no observation: {ctx.end_reason()}"}
    if not ctx.is_target(f):
        return _elsewhere_verdict(f, ctx)
    lo, hi = ctx.src.range_of(f)
    ran = ctx.executed(lo, hi)
    where = f"line {lo}" if lo == hi else f"lines {lo}-{hi}"
    if f.code in CUT_CODES:
        return _cut_verdict(f, ctx, lo, hi, ran, where)
    if f.code == "GRD107":
        return _watch_verdict(f, ctx, lo, ran, where, nonleaf=True)
    if f.code == "GRD112":
        return _watch_verdict(f, ctx, lo, ran, where, nonleaf=False)
    if f.code == "GRD123":
        return _buffer_verdict(f, ctx, lo, ran, where)
    if f.code == "GRD124":
        return _rebound_leaf_verdict(f, ctx, lo, ran, where)
    if f.code == "GRD121":
        return _freed_graph_verdict(f, ctx, ran, where)
    if f.code == "GRD108":
        err = ctx.error
        if err and err.get("line") and lo <= err["line"] <= hi and "leaf variable" in err["message"].lower():
            ctx.confirmed_codes.add("GRD108")
            return {"status": "confirmed", "evidence": f"line {err['line']} raised {err['type']}: {_short(err['message'])}"}
        if ran:
            return {"status": "refuted", "evidence": f"{where} ran without an in-place error"}
        return _not_reached(ctx, where)
    if f.code == "GRD109":
        bw = ctx.bw
        if ran and bw and bw.get("error") and "inplace operation" in bw["error"]["message"]:
            ctx.confirmed_codes.add("GRD109")
            return {"status": "confirmed", "evidence": f"{ctx.bw_text()} raised {bw['error']['type']}: {_short(bw['error']['message'])}"}
        if ran and bw and not bw.get("error"):
            return {"status": "refuted", "evidence": f"{where} ran and {ctx.bw_text()} succeeded"}
        return _not_reached(ctx, where)
    if f.code == "GRD113":
        bw = ctx.bw
        if bw and bw.get("line") and lo <= bw["line"] <= hi:
            if bw.get("error") and "scalar outputs" in bw["error"]["message"]:
                ctx.confirmed_codes.add("GRD113")
                shape = (bw.get("roots") or [{}])[0].get("shape")
                return {"status": "confirmed", "evidence": f"{ctx.bw_text()} raised: {_short(bw['error']['message'])} (loss shape {shape})"}
            shape = (bw.get("roots") or [{}])[0].get("shape")
            return {"status": "refuted", "evidence": f"{ctx.bw_text()} ran on a tensor of shape {shape}"}
        err = ctx.error  # torch.autograd.grad is no backward call: it raises at its own line
        if err and err.get("line") and lo <= err["line"] <= hi and "scalar outputs" in err["message"]:
            ctx.confirmed_codes.add("GRD113")
            return {"status": "confirmed", "evidence": f"line {err['line']} raised {err['type']}: {_short(err['message'])}"}
        if ran:
            return {"status": "unverified", "evidence": f"{where} ran, but the first backward was elsewhere"}
        return _not_reached(ctx, where)
    if f.code == "GRD110":
        return _optimizer_verdict(f, ctx, lo, hi, ran, where)
    if f.code == "GRD125" and ran and ctx.bw is not None:
        return _autograd_none_verdict(f, ctx, where)
    if f.code == "GRD118":
        got = _freeze_verdict(f, ctx, lo, hi)
        if got is not None:
            return got
    if f.code == "GRD111":
        node = _enclosing_function(ctx.src, f.span.line)
        probe = ((ctx.obs or {}).get("probed") or {}).get(str(_first_line(node))) if node else None
        if probe and probe.get("calls") and probe.get("returned_tensor"):
            args = probe.get("args", {})
            ignored = [a for a, used in args.items() if not used]
            used = [a for a, used in args.items() if used]
            calls = probe["calls"]
            if ignored:
                return {"status": "confirmed",
                        "evidence": f"`{node.name}()` returned a value that does not depend on "
                                    f"{_names(ignored)} (followed through {calls} call(s); it depends on "
                                    f"{_names(used) if used else 'none of its tensor arguments'})"}
            if used:
                return {"status": "refuted",
                        "evidence": f"`{node.name}()`'s result depends on every tensor argument "
                                    f"({_names(used)}), followed through {calls} call(s)"}
        if ran:
            return {"status": "unverified", "evidence": f"{where} ran; one forward/backward cannot tell whether the loss ignores its target"}
        return _not_reached(ctx, where)
    if ran:
        return {"status": "unverified", "evidence": f"{where} ran; the shadow pass has no run-time check for {f.code}"}
    return _not_reached(ctx, where)


def _autograd_none_verdict(f: Finding, ctx: _Ctx, where: str) -> dict:
    """GRD125: the custom Function's backward ran (its `return ... None` line) and the
    parameters the finding names got no gradient from the first backward."""
    bw = ctx.bw
    missing = [p["name"] for p in bw.get("params", []) if p.get("grad") == "none"]
    claimed = re.findall(r"`([A-Za-z_][\w.]*)`", f.message.split(" get")[0])
    tails = {c.split(".", 1)[-1] for c in claimed}  # `model.thresh` -> `thresh`, as the run names it
    hit = [n for n in missing if any(n == t or n.startswith(t + ".") for t in tails | set(claimed))]
    if hit:
        ctx.confirmed_codes.add(f.code)
        return {"status": "confirmed",
                "evidence": f"{where} ran (backward of the custom Function) and {_names(hit)} "
                            f"got no gradient from {ctx.bw_text()}"}
    return {"status": "refuted",
            "evidence": f"{where} ran and every parameter named got a gradient from {ctx.bw_text()}"}


def _freeze_verdict(f: Finding, ctx: _Ctx, lo: int, hi: int) -> dict | None:
    """A freeze the finding says reaches parameters it should not (it names them): the
    run shows whether the statement did set requires_grad=False on those."""
    frozen: list[str] = []
    for line, names in ((ctx.obs or {}).get("freezes") or {}).items():
        if lo <= int(line) <= hi:
            frozen.extend(names)
    if not frozen:
        return None
    claimed = [m for m in re.findall(r"`([A-Za-z_][\w.]*)`", f.message) if "." in m]
    hit = [n for n in frozen if any(n == c or n.endswith("." + c) for c in claimed)]
    if not hit:
        return None
    ctx.confirmed_codes.add(f.code)
    return {"status": "confirmed",
            "evidence": f"{_names(hit)} {'was' if len(hit) == 1 else 'were'} set to "
                        f"requires_grad=False at {'line ' + str(lo) if lo == hi else f'lines {lo}-{hi}'} "
                        f"({len(frozen)} tensor(s) frozen there in all)"}


def _place(where: str) -> tuple[str, int] | None:
    file, sep, line = (where or "").rpartition(":")
    if not sep or not line.isdigit():
        return None
    return os.path.abspath(file), int(line)


def _elsewhere_verdict(f: Finding, ctx: _Ctx) -> dict:
    """A finding of another file (a break in a module the script imports, reported where it
    is): matched to the cuts the run made at that place (the innermost frame outside torch)."""
    fabs = os.path.abspath(f.path)
    lo, hi = f.span.line, max(f.span.end_line, f.span.line)
    where = f"{f.path}:{lo}"
    inner, outer = [], []
    for b in ctx.breaks.values():
        got = _place(b.get("where"))
        if got is not None and got[0] == fabs and lo <= got[1] <= hi:
            inner.append(b)
            continue
        for w in b.get("elsewhere") or ():
            got = _place(w)
            if got is not None and got[0] == fabs and lo <= got[1] <= hi:
                outer.append(b)  # the statement is up the stack (a no_grad block, a call)
                break
    seen = inner or outer
    if f.code in CUT_CODES and seen:
        ordered = sorted(seen, key=lambda b: (b["code"] != f.code, b["id"]))
        for b in ordered:
            kind, evidence = ctx.claim(b)
            if kind:
                ctx.used_breaks.add(b["id"])
                return {"status": "confirmed", "evidence": f"at {where}: {evidence}", "kind": kind}
        for b in seen:
            ctx.used_breaks.add(b["id"])
        for b in ordered:
            why = ctx.harmless(b)
            if why:
                return {"status": "refuted", "evidence": f"at {where}: {why}"}
        if ctx.bw is None:
            return {"status": "not_reached",
                    "evidence": f"the cut at {where} happened, but no backward ran: {ctx.end_reason()}"}
        return {"status": "refuted",
                "evidence": f"the value cut at {where} ({ctx.break_text(ordered[0])}) does not "
                            f"reach the loss of {ctx.bw_text()}"}
    if f.code == "GRD110" and ctx.bw is not None:
        got = _unheld_verdict(ctx)
        if got is not None:
            return got
    return {"status": "unverified",
            "evidence": f"{where} is in another file: the run matches cuts there, and saw none "
                        "that carried gradient" if f.code in CUT_CODES else
                        f"{where} is in another file; the shadow pass follows the lines of the "
                        "script it runs"}


def _not_reached(ctx: _Ctx, where: str) -> dict:
    return {"status": "not_reached", "evidence": f"{where} did not run: {ctx.end_reason()}"}


def _cut_verdict(f: Finding, ctx: _Ctx, lo: int, hi: int, ran: int, where: str) -> dict:
    inner = [b for b in ctx.breaks.values() if b.get("line") is not None and lo <= b["line"] <= hi]
    outer = [b for b in ctx.breaks.values() if b not in inner
             and any(lo <= ln <= hi for ln in b.get("stack", []))]
    for group in (inner, outer):
        # prefer a break of the same code, then any cut
        ordered = sorted(group, key=lambda b: (b["code"] != f.code, b["id"]))
        for b in ordered:
            kind, evidence = ctx.claim(b)
            if kind:
                ctx.used_breaks.add(b["id"])
                return {"status": "confirmed", "evidence": evidence, "kind": kind}
    seen = inner or outer
    for b in sorted(seen, key=lambda b: (b["code"] != f.code, b["id"])):
        why = ctx.harmless(b)
        if why:
            for other in seen:
                ctx.used_breaks.add(other["id"])
            return {"status": "refuted", "evidence": why}
    if seen:
        for b in seen:
            ctx.used_breaks.add(b["id"])
        b = sorted(seen, key=lambda b: (b["code"] != f.code, b["id"]))[0]
        if ctx.bw is None:
            return {"status": "not_reached",
                    "evidence": f"the cut ({ctx.break_text(b)}) happened, but no backward ran: {ctx.end_reason()}"}
        bw = ctx.bw
        missing = [p["name"] for p in bw.get("params", []) if p.get("grad") in ("none", "zero")]
        tail = (f"; parameters without gradient: {_names(missing)} (not because of this line)"
                if missing else "; every parameter received gradient")
        extra = f" ({bw['error']['type']} raised for another reason)" if bw.get("error") else ""
        return {"status": "refuted",
                "evidence": f"the value cut by {ctx.break_text(b)} does not reach the loss of "
                            f"{ctx.bw_text()}{extra}{tail}"}
    if ran:
        return {"status": "refuted",
                "evidence": f"{where} ran ({ran}x) but cut no value that carried gradient"}
    return _not_reached(ctx, where)


def _watch_verdict(f: Finding, ctx: _Ctx, lo: int, ran: int, where: str, nonleaf: bool) -> dict:
    node = ctx.src.stmt_at(f.span.line)
    start = node.lineno if node is not None else lo
    seen = ((ctx.obs or {}).get("watched") or {}).get(str(start)) or {}
    err = ctx.error
    if nonleaf and err and "non-leaf" in err.get("message", ""):
        ctx.confirmed_codes.add(f.code)
        return {"status": "confirmed", "evidence": f"line {err.get('line')} raised {err['type']}: {_short(err['message'])}"}
    for name, d in seen.items():
        if d.get("type") in ("tensor", "parameter"):
            if nonleaf:
                if d.get("requires_grad") and not d.get("is_leaf"):
                    return {"status": "confirmed",
                            "evidence": f"`{name}` is not a leaf (grad_fn={d.get('grad_fn')}, on {d.get('device')}): "
                                        "backward leaves its .grad None and an optimizer over it updates nothing"}
                if d.get("is_leaf"):
                    text = ctx.src.line_text(start)
                    hint = (" (on CPU `.to()`/`.cpu()` to the same device returns the same leaf; "
                            "on CUDA it may not)" if ctx.result.get("device") == "cpu"
                            and any(k in text for k in (".to(", ".cuda(")) else "")
                    return {"status": "refuted", "evidence": f"`{name}` is a leaf tensor (requires_grad={d.get('requires_grad')}){hint}"}
            else:
                if d.get("grad_fn"):
                    return {"status": "confirmed",
                            "evidence": f"after line {start} `{name}` holds the autograd graph (grad_fn={d.get('grad_fn')}), "
                                        "keeping every step's graph alive"}
                return {"status": "refuted", "evidence": f"after line {start} `{name}` is a tensor without graph"}
        elif d.get("type") in ("list", "tuple") and not nonleaf:
            if d.get("with_graph"):
                return {"status": "confirmed",
                        "evidence": f"after line {start} `{name}` holds {d['with_graph']} tensor(s) with their autograd graph"}
            return {"status": "refuted", "evidence": f"after line {start} `{name}` holds no tensor with a graph"}
        elif d.get("type") in ("float", "int"):
            return {"status": "refuted", "evidence": f"after line {start} `{name}` is a Python {d['type']}"}
    if ran:
        return {"status": "unverified", "evidence": f"{where} ran, but its value could not be inspected"}
    return _not_reached(ctx, where)


def _freed_graph_verdict(f: Finding, ctx: _Ctx, ran: int, where: str) -> dict:
    """GRD121: a backward of the run raised because an earlier one freed the graph."""
    for err in (ctx.error, (ctx.bw or {}).get("error")):
        if err and "backward through the graph a second time" in err.get("message", ""):
            ctx.confirmed_codes.add(f.code)
            return {"status": "confirmed", "evidence": f"line {err.get('line')} raised {err['type']}: {_short(err['message'])}"}
    if ran:
        return {"status": "unverified", "evidence": f"{where} ran; no backward through a freed graph was seen"}
    return _not_reached(ctx, where)


def _rebound_leaf_verdict(f: Finding, ctx: _Ctx, lo: int, ran: int, where: str) -> dict:
    """GRD124: after `w = w - lr * w.grad` runs, `w` is no leaf that requires grad any more."""
    node = ctx.src.stmt_at(f.span.line)
    start = node.lineno if node is not None else lo
    seen = ((ctx.obs or {}).get("watched") or {}).get(str(start)) or {}
    for name, d in seen.items():
        if d.get("type") not in ("tensor", "parameter"):
            continue
        if d.get("requires_grad") and d.get("is_leaf"):
            return {"status": "refuted", "evidence": f"after line {start} `{name}` is still a leaf that requires grad"}
        what = (f"a non-leaf (grad_fn={d.get('grad_fn')}): the next backward leaves its .grad None"
                if d.get("requires_grad") else "a tensor that does not require grad: the next backward skips it")
        return {"status": "confirmed", "evidence": f"after line {start} `{name}` is {what}"}
    if ran:
        return {"status": "unverified", "evidence": f"{where} ran, but its value could not be inspected"}
    return _not_reached(ctx, where)


def _buffer_verdict(f: Finding, ctx: _Ctx, lo: int, ran: int, where: str) -> dict:
    """GRD123: the registered tensor, seen right after registration, is a buffer (no Parameter,
    no requires_grad), so no `parameters()` optimizer holds it and backward never reaches it."""
    node = ctx.src.stmt_at(f.span.line)
    start = node.lineno if node is not None else lo
    seen = ((ctx.obs or {}).get("watched") or {}).get(str(start)) or {}
    for name, d in seen.items():
        if d.get("type") == "parameter" or d.get("requires_grad"):
            return {"status": "refuted", "evidence": f"after line {start} `{name}` is trainable "
                                                     f"({d.get('type')}, requires_grad={d.get('requires_grad')})"}
        if d.get("type") == "tensor":
            return {"status": "confirmed",
                    "evidence": f"after line {start} `{name}` is a buffer (requires_grad=False, not a Parameter): "
                                "`parameters()` does not yield it and backward never gives it a gradient"}
    if ran:
        return {"status": "unverified", "evidence": f"{where} ran, but the buffer could not be inspected"}
    return _not_reached(ctx, where)


def _unheld_verdict(ctx: _Ctx) -> dict | None:
    """GRD110's claim that tensors are never stepped, as the run saw it: tensors that got a
    non-zero gradient while no optimizer holds them."""
    t = ctx.training
    names = t.get("unheld_with_grad") or []
    if not names or (ctx.bw or {}).get("error"):
        return None
    n = t.get("unheld_count") or len(names)
    more = f" ({n} tensors in all)" if n > len(names[:4]) else ""
    return {"status": "confirmed",
            "evidence": f"{_names(names)}{more} got gradient from {ctx.bw_text()}, but no optimizer "
                        f"holds {'it' if n == 1 else 'them'}: no step ever changes "
                        f"{'it' if n == 1 else 'them'}"}


def _optimizer_verdict(f: Finding, ctx: _Ctx, lo: int, hi: int, ran: int, where: str) -> dict:
    obs = ctx.obs or {}
    err = ctx.error
    if not ctx.bug and ctx.training.get("trained"):
        if ran:
            got = _unheld_verdict(ctx)
            if got is not None:
                return got
            t = ctx.training
            return {"status": "refuted",
                    "evidence": f"{where} ran; all {t['trained']} trained tensors got gradient"
                                + (f" and changed over {t['steps']} optimizer step(s)" if t.get("steps") else "")}
        return _not_reached(ctx, where)
    if err and err.get("line") and lo <= err["line"] <= hi and any(
            k in err.get("message", "") for k in ("optimizer", "non-leaf", "parameter")):
        return {"status": "confirmed", "evidence": f"line {err['line']} raised {err['type']}: {_short(err['message'])}"}
    for s in obs.get("steps", []):
        if s.get("without_requires_grad"):
            names = s["without_requires_grad"]
            return {"status": "confirmed",
                    "evidence": f"{_names(names)} {'is' if len(names) == 1 else 'are'} in the optimizer but "
                                f"{'does' if len(names) == 1 else 'do'} not require grad: `step()` at line "
                                f"{s.get('line')} never updates {'it' if len(names) == 1 else 'them'}"}
    for s in obs.get("steps", []):
        if s.get("after_backward") and s.get("not_stepped"):
            return {"status": "confirmed",
                    "evidence": f"{_names(s['not_stepped'])} got gradient but no optimizer steps "
                                f"{'it' if len(s['not_stepped']) == 1 else 'them'} (`step()` at line {s.get('line')} "
                                f"updated {s.get('changed')} of its {s.get('total')} parameters)"}
    for s in obs.get("steps", []):
        if s.get("line") is not None and lo <= s["line"] <= hi:
            if not s.get("after_backward"):
                return {"status": "confirmed", "evidence": f"`optimizer.step()` at line {s['line']} ran before any backward"}
            if s.get("zero_grad_after_backward"):
                return {"status": "confirmed", "evidence": f"gradients were zeroed between backward and `step()` at line {s['line']}"}
            if s.get("total") and s.get("changed") == 0 and not s.get("lr_zero"):
                return {"status": "confirmed", "evidence": f"`step()` at line {s['line']} changed none of its {s['total']} parameters"}
    for s in obs.get("steps", []):
        if s.get("after_backward") and s.get("total") and s.get("changed") == 0 \
                and not s.get("lr_zero"):
            return {"status": "confirmed",
                    "evidence": f"`step()` at line {s.get('line')} changed none of its {s['total']} "
                                "parameters: none of them got gradient from the backward"}
    for z in obs.get("zero_grads", []):
        if z.get("line") is not None and lo <= z["line"] <= hi and z.get("after_backward"):
            steps_after = [s for s in obs.get("steps", []) if s.get("zero_grad_after_backward")]
            if steps_after:
                return {"status": "confirmed", "evidence": f"`zero_grad()` at line {z['line']} cleared the gradients before `step()`"}
    if ran:
        got = _unheld_verdict(ctx)
        if got is not None:
            return got
        steps = obs.get("steps", [])
        if steps:
            s = steps[0]
            return {"status": "unverified",
                    "evidence": f"{where} ran; `step()` at line {s.get('line')} updated {s.get('changed')} of {s.get('total')} parameters"}
        return {"status": "unverified", "evidence": f"{where} ran; no optimizer step was observed"}
    return _not_reached(ctx, where)


# --- runtime-only findings ------------------------------------------------------------


def _column(text_line: str, ops: list[str]) -> tuple[int, int]:
    for op in ops:
        key = op.lstrip(".")
        if key.startswith("__") and key.endswith("__"):
            key = key.strip("_")
        idx = text_line.find(key)
        if idx >= 0:
            return idx + 1, idx + 1 + len(key)
    stripped = len(text_line) - len(text_line.lstrip())
    return stripped + 1, len(text_line) + 1


def _runtime_only(ctx: _Ctx, path: str) -> list[tuple[Finding, dict]]:
    out: list[tuple[Finding, dict]] = []
    for b in ctx.breaks.values():
        if b["id"] in ctx.used_breaks or b.get("line") is None:
            continue
        kind, evidence = ctx.claim(b)
        if not kind:
            continue
        raw = ctx.src.lines[b["line"] - 1] if 0 < b["line"] <= len(ctx.src.lines) else ""
        c0, c1 = _column(raw, list(b.get("ops", {})))
        severity = {"error": "error", "lost": "warning", "masked": "warning", "partial": "info"}[kind]
        what = _KIND.get(b["code"], "cut")
        message = f"gradient cut seen at run time: a value carrying gradient is {what} here. {evidence}"
        finding = Finding(code=b["code"], message=message,
                          span=Span(b["line"], c0, b["line"], c1), severity=severity, path=path)
        out.append((finding, {"status": "runtime_only", "evidence": evidence, "kind": kind}))
    # loud errors of other kinds
    err = ctx.error
    if err and err.get("line") and "leaf variable" in err.get("message", "").lower() \
            and "GRD108" not in ctx.confirmed_codes:
        out.append(_error_finding(ctx, path, "GRD108", err["line"], "in-place operation on a leaf that requires grad",
                                  f"line {err['line']} raised {err['type']}: {_short(err['message'])}"))
    bw = ctx.bw
    if bw and bw.get("error") and bw.get("line"):
        msg = bw["error"]["message"]
        if "inplace operation" in msg and "GRD109" not in ctx.confirmed_codes:
            out.append(_error_finding(ctx, path, "GRD109", bw["line"],
                                      "a tensor saved for backward was modified in place",
                                      f"{ctx.bw_text()} raised {bw['error']['type']}: {_short(msg)}"))
        elif "scalar outputs" in msg and "GRD113" not in ctx.confirmed_codes:
            out.append(_error_finding(ctx, path, "GRD113", bw["line"], "backward on a non-scalar",
                                      f"{ctx.bw_text()} raised {bw['error']['type']}: {_short(msg)}"))
    return out


def _error_finding(ctx: _Ctx, path: str, code: str, line: int, what: str, evidence: str):
    raw = ctx.src.lines[line - 1] if 0 < line <= len(ctx.src.lines) else ""
    c0 = len(raw) - len(raw.lstrip()) + 1
    f = Finding(code=code, message=f"seen at run time: {what}. {evidence}",
                span=Span(line, c0, line, len(raw) + 1), severity="error", path=path)
    return f, {"status": "runtime_only", "evidence": evidence, "kind": "error"}


# --- what the run showed about training ------------------------------------------------

# torch's error messages -> the rule whose problem they are
_ERROR_CODES = (
    ("modified by an inplace operation", "GRD109"),
    ("leaf variable", "GRD108"),
    ("scalar outputs", "GRD113"),
    ("backward through the graph a second time", "GRD112"),
    ("numpy() on tensor that requires grad", "GRD102"),
    ("inference tensors", "GRD106"),
    ("only tensors of floating point", "GRD105"),
    ("empty parameter list", "GRD110"),
    ("optimize a non-leaf", "GRD107"),
    ("does not require grad and does not have a grad_fn", "GRD101"),
)


def _error_code(message: str) -> str:
    low = message.lower()
    for key, code in _ERROR_CODES:
        if key in low:
            return code
    return "GRD100"


def _causes(ctx: _Ctx) -> list[tuple[str, int | None, str, list[dict]]]:
    """Group the problems not pinned on a cut by the statement the run blames:
    (code, line, what happened, problems)."""
    t = ctx.training
    opts = t.get("optimizers") or []
    opt_line = opts[0].get("line") if opts else None
    bw_line = (ctx.bw or {}).get("line")
    steps = [s for s in (ctx.obs or {}).get("steps", []) if s.get("after_backward")]
    step_line = steps[0].get("line") if steps else None
    groups: dict[tuple, list[dict]] = {}
    for p in ctx.problems:
        if p["tid"] in ctx.explained:
            continue
        if p.get("orphan"):
            key = ("GRD110", p.get("opt_line") or opt_line, "got gradient, but no optimizer "
                   "holds {them} (the optimizer is built here), so {they} never change")
        elif not p.get("requires_grad"):
            if p.get("freeze_line"):
                key = ("GRD110", p["freeze_line"], "set to requires_grad=False here, but an "
                       "optimizer holds {them} to train")
            else:
                key = ("GRD110", opt_line, "held by the optimizer built here, but {they} do not "
                       "require grad")
        elif p.get("grad") == "none":
            key = ("GRD110" if opts else "GRD101", opt_line if opts else bw_line,
                   "never got a gradient from {bw} ({n} backward call(s)): the loss does not "
                   "depend on {them}")
        elif p.get("grad") == "zero":
            key = ("GRD105", bw_line, "got only all-zero gradients from {bw}: the loss is "
                   "constant in {them}")
        elif opts and not t.get("steps_after_backward"):
            sched = [ln for ln in t.get("scheduler_steps") or [] if ln]
            if sched:
                key = ("GRD110", sched[0], "never changed: a learning-rate scheduler stepped "
                       "here, but no optimizer step ran after a backward")
            else:
                key = ("GRD110", opt_line, "never changed: this optimizer never stepped after a "
                       "backward")
        elif t.get("zero_grad_between"):
            key = ("GRD110", t["zero_grad_between"], "unchanged: the gradients were zeroed here, "
                   "between backward and step()")
        else:
            key = ("GRD110", step_line or opt_line, "got gradient but did not change at the "
                   "optimizer step")
        groups.setdefault(key, []).append(p)
    out = []
    for (code, line, what), probs in groups.items():
        names = [p["name"] for p in probs]
        plural = len(names) > 1
        text = what.format(them="them" if plural else "it", they="they" if plural else "it",
                           bw=ctx.bw_text() if ctx.bw else "backward",
                           n=t.get("backward_calls", 0))
        if line is None:
            line = bw_line or step_line
        out.append((code, line, f"{_names(names)}: {text}", probs))
    return out


def _covering(items, ctx: _Ctx, line: int, path: str):
    """The static finding (of this file) whose statement covers `line`, best first."""
    best = None
    for f, shadow in items:
        if shadow["status"] == "runtime_only":
            continue
        if ctx.is_target(f):
            lo, hi = ctx.src.range_of(f)
            hit = lo <= line <= hi
        else:
            # a finding of another file names its place in this script (the call, the
            # optimizer, the backward) as related information
            hit = False
            for r in f.related:
                if r.path is not None and os.path.abspath(r.path) == os.path.abspath(path):
                    rlo, rhi = r.span.line, max(r.span.end_line, r.span.line)
                    node = ctx.src.stmt_at(r.span.line)
                    if node is not None and not hasattr(node, "body"):
                        rlo, rhi = min(rlo, node.lineno), max(rhi, node.end_lineno or rhi)
                    hit = hit or rlo <= line <= rhi
        if hit:
            if best is None or shadow["status"] != "confirmed":
                best = (f, shadow)
    return best


def _problem_findings(ctx: _Ctx, items: list, path: str) -> list:
    """Problems the cuts did not account for, on the statement the run blames: a static
    finding there is confirmed, otherwise a finding of its own (status runtime_only)."""
    out = []

    def pin(code, line, evidence, what, severity="error"):
        if line is None:
            return
        hit = _covering(items, ctx, line, path)
        if hit is not None:
            f, shadow = hit
            if shadow["status"] != "confirmed":
                shadow["status"] = "confirmed"
                shadow["evidence"] = evidence
            return
        raw = ctx.src.lines[line - 1] if 0 < line <= len(ctx.src.lines) else ""
        c0 = len(raw) - len(raw.lstrip()) + 1
        f = Finding(code=code, message=f"seen at run time: {what}. {evidence}",
                    span=Span(line, c0, line, len(raw) + 1), severity=severity, path=path)
        shadow = {"status": "runtime_only", "evidence": evidence, "kind": "training"}
        out.append((f, shadow))
        items.append((f, shadow))

    # torch raised: the line that raised is confirmed, or the error is a finding; the
    # tensors left without gradient by the failed run are that error's effect
    if ctx.raised:
        line, etype, message = ctx.raised
        claimed = ctx.error_used or ctx.confirmed_codes or any(
            s["status"] in ("confirmed", "runtime_only") and s.get("kind") == "error"
            for _, s in items)
        if not claimed:
            pin(_error_code(message), line, f"line {line} raised {etype}: {_short(message)}",
                "torch raised an error")
        return out
    for w in ctx.nonleaf:
        if w.get("line"):
            pin("GRD107", w["line"], f"line {w['line']} read `.grad` of a tensor that is not a "
                "leaf: it is None, so nothing trains through it", ".grad of a non-leaf tensor",
                "warning")
    for code, line, text, probs in _causes(ctx):
        pin(code, line, text, "a tensor the code trains does not train")
        for p in probs:
            ctx.cut_of.setdefault(p["tid"], (line, text))
    return out


def _flow(ctx: _Ctx) -> list[dict]:
    """The recorder's per-tensor flow, with the statement that cut each tensor where the
    run can tell: the cut (or the freeze, the zero_grad, the step) blamed for a problem,
    else a cut whose upstream leaves it left without gradient."""
    flow = [dict(e) for e in (ctx.obs or {}).get("flow") or []]
    cut_of = dict(ctx.cut_of)
    cuts = (ctx.bw or {}).get("cuts") or {}
    for bid in sorted(cuts, key=lambda k: int(k)):
        b = ctx.breaks.get(int(bid))
        if b is None:
            continue
        for x in cuts[bid].get("lost", []):
            if x.get("tid") is not None:
                cut_of.setdefault(x["tid"], (b.get("line"), ctx.cut_reason(b)))
    for e in flow:
        got = cut_of.get(e.get("tid"))
        if got is not None and e.get("grad") in ("none", "zero") or (
                got is not None and e.get("changed_by_step") is False):
            e["cut_line"], e["cut_reason"] = got
    return flow


# --- entry point ------------------------------------------------------------------------


def compare(findings: list[Finding], result: dict, source: str, path: str,
            static_error: str | None = None) -> ShadowReport:
    src = _Source(source)
    ctx = _Ctx(result, src)
    ctx.path = path
    items: list[tuple[Finding, dict]] = []
    # cut findings first, so a break confirms the finding whose code matches best
    order = sorted(range(len(findings)), key=lambda i: (findings[i].code not in CUT_CODES, i))
    verdicts: dict[int, dict] = {}
    for i in order:
        verdicts[i] = _verdict(findings[i], ctx)
    for i, f in enumerate(findings):
        shadow = {k: v for k, v in verdicts[i].items() if k in ("status", "evidence")}
        items.append((f, shadow))
    items.extend(_runtime_only(ctx, path))
    _problem_findings(ctx, items, path)
    items.sort(key=lambda pair: (not ctx.is_target(pair[0]), pair[0].path, pair[0].span.line,
                                 pair[0].span.column, pair[0].code))
    return ShadowReport(path=path, result=result, items=items, static_error=static_error,
                        flow=_flow(ctx))
