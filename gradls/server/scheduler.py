"""Run the analysis off the event loop; the newest edit wins.

Each open document has at most one analysis in flight. Edits that arrive meanwhile only
replace the document's *latest job*; when the running analysis finishes, its result is
dropped if a newer job exists and the newest job runs next (intermediate versions are
skipped, never analysed). Results are only ever published for the version that is
current at the time, so stale diagnostics can never overwrite newer ones.

Python threads cannot be interrupted, so an analysis that is already running is allowed
to finish and is then discarded; everything queued behind it is coalesced.

Syntax errors while typing (see `_syntax_policy`): the editor shows the previous good
diagnostics for the unchanged text *above the first edited line* (their positions are still
right) and for the unchanged text *below the edit* (moved by the lines the edit added or
removed), plus one GRD000 diagnostic at the error; only findings inside the edited lines
disappear until the code parses again. Dropping everything on every keystroke would make
the whole file flicker between "all findings" and "one syntax error"; keeping everything
unmoved would show findings at shifted, wrong lines.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import os
import re
from bisect import bisect_left
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Callable

from lsprotocol import types

from ..config import Settings
from ..model import Finding, Span
from .checkers import CheckerPool
from .convert import LineIndex, finding_to_diagnostic

log = logging.getLogger(__name__)

SYNTAX_CODE = "GRD000"
MAX_SOURCE_CHARS = 4_000_000  # bigger documents are not analysed (logged once)

CheckFn = Callable[[str, str, Settings], list[Finding]]


@dataclass
class Job:
    uri: str
    version: int | None
    source: str
    path: str
    settings: Settings
    encoding: str = types.PositionEncodingKind.Utf16


@dataclass
class Analysis:
    uri: str
    version: int | None
    source: str
    settings_key: str
    encoding: str
    index: LineIndex
    findings: list[Finding]
    diagnostics: list[types.Diagnostic]
    syntax_error: bool = False
    skipped: str | None = None  # why the document was not analysed
    result_id: str = ""
    path: str = ""
    settings: Settings | None = None
    # per-analysis caches filled lazily by the code actions (e.g. suppression edits)
    cache: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass
class _DocState:
    latest: Job | None = None
    current: Analysis | None = None
    last_good: Analysis | None = None
    task: asyncio.Task | None = None
    waiters: list[asyncio.Future] = field(default_factory=list)
    refine_queued: bool = False  # a refinement for an edit of another file waits to start


_POOL = CheckerPool()  # the engine's incremental checkers, one per open document


def default_check(source: str, path: str, settings: Settings) -> list[Finding]:
    return _POOL.check(source, path, settings)


def _postprocess(findings: list[Finding], settings: Settings) -> list[Finding]:
    """Apply select/ignore/severity again (idempotent): the server must honour them even
    if the engine did not."""
    out = []
    for finding in findings:
        if finding.code != SYNTAX_CODE and not settings.is_enabled(finding.code):
            continue
        severity = settings.severity_for(finding.code, finding.severity)
        if severity != finding.severity:
            finding = replace(finding, severity=severity)
        out.append(finding)
    return out


def _first_changed_line(old: str, new: str) -> int:
    """1-based number of the first line that differs between two texts."""
    if old == new:
        return 10**9
    limit = min(len(old), len(new))
    lo, hi = 0, limit
    # Binary search the length of the common prefix using slice comparisons (C speed).
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[:mid] == new[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return new.count("\n", 0, lo) + new.count("\r", 0, lo) - new.count("\r\n", 0, lo) + 1


def _syntax_policy(findings: list[Finding], source: str, index: LineIndex,
                   last_good: Analysis | None) -> list[Finding]:
    syntax = [f for f in findings if f.code == SYNTAX_CODE]
    if not syntax or last_good is None:
        return findings
    error_line = min(f.span.line for f in syntax)
    old = last_good.source
    stable_until = min(error_line, _first_changed_line(old, source))
    moved = _unchanged_tail(old, source, last_good.index, index)
    kept = []
    for f in last_good.findings:
        if f.code == SYNTAX_CODE:
            continue
        if f.span.end_line < stable_until:  # above the edit: where it was
            related = tuple(r for r in f.related if r.span.end_line < stable_until)
            kept.append(f if related == f.related else replace(f, related=related))
        elif moved is not None and f.span.line >= moved[0]:  # below the edit, in unchanged text: moved with it
            related = tuple(r for r in f.related if r.span.end_line < stable_until or r.span.line >= moved[0])
            kept.append(_shifted(replace(f, related=related), moved[1], moved[0]))
    return sorted(kept + syntax, key=lambda f: (f.span, f.code))


def _unchanged_tail(old: str, new: str, old_index: LineIndex, new_index: LineIndex) -> tuple[int, int] | None:
    """(first old line of the text both end with, whole lines only; lines added by the edit),
    or None when nothing after the edit is unchanged."""
    limit = min(len(old), len(new))
    lo, hi = 0, limit
    while lo < hi:  # the length of the common suffix, by binary search on slices (C speed)
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid:] == new[len(new) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    tail_start = len(old) - lo
    first = bisect_left(old_index.starts, tail_start)  # the first line starting inside the tail
    if first >= len(old_index.starts):
        return None
    return first + 1, new_index.line_count - old_index.line_count


_LINE_REFERENCE = re.compile(r"\bline (\d+)")


def _shifted(finding: Finding, delta: int, from_line: int) -> Finding:
    """`finding` of the previous text with every position (and "line N" of its message) at or
    after `from_line` moved by `delta` lines."""
    def span(s: Span) -> Span:
        return Span(s.line + delta, s.column, s.end_line + delta, s.end_column) if s.line >= from_line else s

    def message(text: str) -> str:
        return _LINE_REFERENCE.sub(
            lambda m: f"line {int(m.group(1)) + delta}" if int(m.group(1)) >= from_line else m.group(0), text)

    fix = finding.fix
    if fix is not None:
        fix = replace(fix, edits=tuple(replace(e, span=span(e.span)) for e in fix.edits))
    return replace(finding, span=span(finding.span), message=message(finding.message), fix=fix,
                   related=tuple(replace(r, span=span(r.span), message=message(r.message)) for r in finding.related))


def _result_id(version: int | None, findings: list[Finding]) -> str:
    digest = hashlib.blake2b(repr(findings).encode("utf-8", "surrogatepass"), digest_size=8)
    return digest.hexdigest()


def run_analysis(job: Job, last_good: Analysis | None, check: CheckFn) -> Analysis:
    """Analyse one job (runs in a worker thread). Never raises."""
    index = LineIndex(job.source, job.encoding)
    key = job.settings.cache_key()
    base = dict(uri=job.uri, version=job.version, source=job.source, settings_key=key,
                encoding=job.encoding, index=index, path=job.path, settings=job.settings)
    if not job.settings.enable:
        return Analysis(**base, findings=[], diagnostics=[], skipped="disabled", result_id="disabled")
    if len(job.source) > MAX_SOURCE_CHARS:
        return Analysis(**base, findings=[], diagnostics=[], skipped="too large", result_id="too-large")
    try:
        findings = list(check(job.source, job.path, job.settings))
    except Exception:  # the engine must never take the server down
        log.exception("gradls engine failed on %s", job.uri)
        return Analysis(**base, findings=[], diagnostics=[], skipped="engine error", result_id="error")
    findings = _postprocess(findings, job.settings)
    syntax_error = any(f.code == SYNTAX_CODE for f in findings)
    if syntax_error:
        findings = _syntax_policy(findings, job.source, index, last_good)
    diagnostics, converted = [], []
    for finding in findings:  # findings[i] <-> diagnostics[i]
        try:
            diagnostics.append(finding_to_diagnostic(finding, index, job.uri))
            converted.append(finding)
        except Exception:
            log.exception("cannot convert finding %r", finding)
    findings = converted
    return Analysis(**base, findings=findings, diagnostics=diagnostics, syntax_error=syntax_error,
                    result_id=_result_id(job.version, findings))


class Scheduler:
    def __init__(
        self,
        on_result: Callable[[Analysis], None],
        check: CheckFn = default_check,
        workers: int | None = None,
        refine: Callable[[str, str, Settings], list[Finding] | None] | None = None,
        root_causes: Callable[[str], list[str]] | None = None,
    ):
        self._on_result = on_result
        self._check = check
        # the cross-module pass (jedi): one thread of its own, after the first publish
        self._refine = refine
        self._refiner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradls-crossmodule") if refine else None
        self._refining: set[asyncio.Task] = set()
        self._executor = ThreadPoolExecutor(
            max_workers=workers or min(4, os.cpu_count() or 1), thread_name_prefix="gradls-analysis"
        )
        self._docs: dict[str, _DocState] = {}
        # root causes in other files (gradls/analysis/external.py): a training script's refinement
        # shows breaks of other files, whose findings are published to those files' documents
        self._root_causes = root_causes
        self._shown_elsewhere: dict[str, set[str]] = {}   # training script uri -> files it confirmed
        self._unopened: dict[str, list[Finding]] = {}     # file path -> findings published, not open

    # --- public API (event loop only) ---------------------------------------------------
    def submit(self, job: Job) -> None:
        state = self._docs.setdefault(job.uri, _DocState())
        state.latest = job
        if state.task is None or state.task.done():
            state.task = asyncio.get_running_loop().create_task(self._run(job.uri, state))

    def forget(self, uri: str) -> None:
        state = self._docs.pop(uri, None)
        if state is not None and state.latest is not None:
            # closed: what a training script shows in it is published again at its next refinement
            self._unopened.pop(os.path.abspath(state.latest.path), None)
        if state is not None:
            if state.current is not None:
                _POOL.close(state.current.path)
            state.latest = None
            self._wake(state)

    def current(self, uri: str) -> Analysis | None:
        """The analysis of the latest submitted version, if finished."""
        state = self._docs.get(uri)
        if state is None or state.current is None or state.latest is None:
            return None
        if state.current.version != state.latest.version or state.current.source is not state.latest.source:
            return None
        return state.current

    def latest_finished(self, uri: str) -> Analysis | None:
        state = self._docs.get(uri)
        return state.current if state else None

    def known(self) -> list[str]:
        return list(self._docs)

    async def wait(self, uri: str, timeout: float = 10.0) -> Analysis | None:
        """Wait until the latest submitted version of `uri` is analysed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            state = self._docs.get(uri)
            if state is None or state.latest is None:
                return None
            done = self.current(uri)
            if done is not None:
                return done
            remaining = deadline - loop.time()
            if remaining <= 0:
                return state.current
            fut = loop.create_future()
            state.waiters.append(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except asyncio.TimeoutError:
                return state.current

    async def run_blocking(self, fn: Callable, *args):
        """Run `fn(*args)` in an analysis thread (for costly work outside the analysis,
        e.g. fix-all) and return its result."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def warm_up(self) -> None:
        """Import and exercise the engine in a worker so the first real edit is fast."""
        def _warm() -> None:
            try:
                self._check("import torch\n", "<warm-up>", Settings())
            except Exception:
                pass
            # What is alive now (modules, pygls, lsprotocol) lives as long as the server: keep
            # it out of the cyclic collector's full passes, which otherwise walk it after every
            # analysis that allocates a syntax tree.
            gc.freeze()

        try:
            self._executor.submit(_warm)
        except RuntimeError:
            pass

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._refiner is not None:
            self._refiner.shutdown(wait=False, cancel_futures=True)

    # --- internals ------------------------------------------------------------------------
    def _wake(self, state: _DocState) -> None:
        waiters, state.waiters = state.waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _run(self, uri: str, state: _DocState) -> None:
        loop = asyncio.get_running_loop()
        while True:
            job = state.latest
            if job is None or self._docs.get(uri) is not state:
                return
            previous = state.current
            if (
                previous is not None
                and previous.skipped is None
                and previous.source == job.source
                and previous.settings_key == job.settings.cache_key()
                and previous.encoding == job.encoding
            ):
                result = replace(previous, version=job.version, source=job.source, path=job.path,
                                 settings=job.settings)  # same text: caches stay valid
            else:
                try:
                    result = await loop.run_in_executor(
                        self._executor, run_analysis, job, state.last_good, self._check
                    )
                except RuntimeError:  # executor shut down
                    return
            if state.latest is not job or self._docs.get(uri) is not state:
                continue  # a newer edit arrived (or the document closed): drop this result
            state.current = result
            if result.skipped is None and not result.syntax_error:
                state.last_good = result
            self._wake(state)
            try:
                self._on_result(result)
            except Exception:
                log.exception("publishing diagnostics for %s failed", uri)
            self._start_refine(uri, state, job, result)
            self._refine_importers(uri, job)
            return

    def _refine_importers(self, changed_uri: str, changed: Job) -> None:
        """Other open documents that import the edited file get their cross-module findings
        again (its new text is read from the editor's buffer): at most one waiting per document."""
        if self._refiner is None:
            return
        module = _module_name(changed.path)
        if not module:
            return
        for uri, state in list(self._docs.items()):
            current, latest = state.current, state.latest
            if (uri == changed_uri or state.refine_queued or current is None or latest is None
                    or current.version != latest.version or current.skipped is not None
                    or current.syntax_error or not _imports_module(latest.source, module)):
                continue
            state.refine_queued = True
            self._start_refine(uri, state, latest, current)

    def _start_refine(self, uri: str, state: _DocState, job: Job, first: Analysis) -> None:
        """Re-run `job` with the cross-module pass in the background; republish only if the
        findings changed and `job` is still the document's current version."""
        if self._refiner is None or first.skipped is not None or first.syntax_error:
            return
        loop = asyncio.get_running_loop()
        last_good = state.last_good

        def work() -> Analysis | None:
            state.refine_queued = False
            if state.latest is not job:
                return None  # superseded before it started: the newer version refines itself
            try:
                findings = self._refine(job.source, job.path, job.settings)
            except Exception:
                log.exception("cross-module pass failed on %s", uri)
                return None
            if findings is None:
                return None
            return run_analysis(job, last_good, lambda *_: findings)

        async def finish() -> None:
            try:
                refined = await loop.run_in_executor(self._refiner, work)
            except RuntimeError:  # executor shut down
                return
            if refined is not None and state.latest is job and self._docs.get(uri) is state:
                self._refresh_root_causes(uri, job)
            if (refined is None or refined.skipped is not None or state.latest is not job
                    or state.current is not first or self._docs.get(uri) is not state
                    or refined.findings == first.findings):
                return
            state.current = refined
            if not refined.syntax_error:
                state.last_good = refined
            try:
                self._on_result(refined)
            except Exception:
                log.exception("publishing refined diagnostics for %s failed", uri)

        task = loop.create_task(finish())
        self._refining.add(task)
        task.add_done_callback(self._refining.discard)


    def _refresh_root_causes(self, uri: str, job: Job) -> None:
        """After the refinement of a training script: the files holding breaks it shows now, or
        showed before, get their findings again: an open one is refined (its document's version
        stays), one not open gets them published from its text on disk."""
        if self._root_causes is None or self._refiner is None:
            return
        try:
            now = {os.path.abspath(p) for p in self._root_causes(job.path)}
        except Exception:
            log.exception("root causes of %s", uri)
            return
        open_paths = {os.path.abspath(s.latest.path): (u, s) for u, s in self._docs.items()
                      if s.latest is not None and s.latest.path}
        # what the training script showed before; unknown when its earlier refinements were all
        # superseded by edits (an open file may show what its text on disk showed): every open file
        before = self._shown_elsewhere.get(uri)
        if before is None:
            before = set(open_paths)
        self._shown_elsewhere[uri] = now
        for path in sorted(now | before):
            if path == os.path.abspath(job.path):
                continue
            if path in open_paths:
                other_uri, other = open_paths[path]
                if other.refine_queued or other.current is None or other.current.version != other.latest.version:
                    continue
                other.refine_queued = True
                self._start_refine(other_uri, other, other.latest, other.current)
            else:
                self._publish_unopened(path, job.settings, job.encoding)

    def _publish_unopened(self, path: str, settings: Settings, encoding: str) -> None:
        """Findings of a file no editor has open, read from disk (the Problems panel shows them)."""
        from pygls.uris import from_fs_path

        loop = asyncio.get_running_loop()
        uri = from_fs_path(path)

        def work() -> Analysis | None:
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                findings = self._refine(text, path, settings) or []
            except Exception:
                log.exception("cross-module pass failed on %s", path)
                return None
            if findings == self._unopened.get(path, []):
                return None
            self._unopened[path] = findings
            return run_analysis(Job(uri, None, text, path, settings, encoding), None, lambda *_: findings)

        async def finish() -> None:
            try:
                result = await loop.run_in_executor(self._refiner, work)
            except RuntimeError:
                return
            if result is None or uri in self._docs:  # opened meanwhile: its own analysis publishes
                return
            try:
                self._on_result(result)
            except Exception:
                log.exception("publishing diagnostics for %s failed", uri)

        task = loop.create_task(finish())
        self._refining.add(task)
        task.add_done_callback(self._refining.discard)


def _module_name(path: str) -> str:
    """The name other files import `path` by (its last part): `utils` for utils.py, `models`
    for models/__init__.py."""
    base = os.path.basename(path)
    if base == "__init__.py":
        return os.path.basename(os.path.dirname(path))
    return base[:-3] if base.endswith(".py") else ""


def _imports_module(source: str, module: str) -> bool:
    pattern = rf"^[ \t]*(?:from|import)[ \t][^\n]*\b{re.escape(module)}\b"
    return re.search(pattern, source, re.MULTILINE) is not None
