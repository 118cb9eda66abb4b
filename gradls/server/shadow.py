"""`gradls.confirm`: the shadow pass on explicit request, from the language server.

The server keeps one warm `gradls.shadow.client.ShadowClient` (started lazily by the
first confirm, closed when the server shuts down or exits) and runs every shadow request
in one dedicated thread, never on the event loop. The verdicts are attached to the
document's diagnostics until its text changes:

* confirmed: the message gains " (confirmed by running: EVIDENCE)";
* refuted: severity Hint and " (refuted by running: EVIDENCE)";
* not_reached / unverified: unchanged;
* cuts seen only at run time: extra diagnostics with source `gradls-run`.

The run starts from the same findings as `gradls confirm FILE` (`static_findings`): for a
document in a folder, the project-aware pass, cross-module findings included, over the
document's text (unsaved edits included) and the other files as on disk (what the run
imports). A break the script reaches in another file (a detach in the imported model) is a
finding of that file: its verdict is attached to that file's diagnostics (an open document's
while its buffer is the text on disk that ran; a file no editor has open gets its diagnostics
published again with it), and the command's result lists it with that file's URI. An
untitled document, or a server without the cross-module pass (GRADLS_CROSS_MODULE=0), starts
from the document's own findings.

Settings (`shadow` table of the gradls settings, editor or `[tool.gradls.shadow]`):
`device` ("auto" | "cpu" | "cuda"), `worker` (a shell command that starts a worker on
stdio, e.g. "ssh gpu-box python -m gradls.shadow.worker"), `timeout` (seconds),
`memory_mb` (address-space limit of a run; 0: none). The command's arguments override
them per request.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import attrs
from lsprotocol import types

from ..model import Finding
from .convert import SOURCE, finding_to_diagnostic
from .scheduler import SYNTAX_CODE, Analysis

log = logging.getLogger(__name__)

RUN_SOURCE = "gradls-run"  # diagnostics seen only by the shadow run
DEVICES = ("auto", "cpu", "cuda")
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_MB = 8192
# outcomes where the run reached backward: anything else is reported to the user
REACHED = ("backward", "backward_error")
FAILED = ("error", "timeout", "crashed", "killed", "memory")


@dataclass(frozen=True)
class ShadowOptions:
    device: str = "auto"
    worker: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB


def parse_options(raw: object, base: ShadowOptions | None = None, strict: bool = False
                  ) -> tuple[ShadowOptions, list[str]]:
    """Options from a settings/arguments mapping. Invalid values: a warning and the
    base value (or ValueError when `strict`, for command arguments)."""
    opts = base or ShadowOptions()
    warnings: list[str] = []
    if raw is None:
        return opts, warnings
    if not isinstance(raw, dict):
        msg = f"gradls shadow settings must be an object, got {type(raw).__name__}; using defaults"
        if strict:
            raise ValueError(msg)
        return opts, [msg]
    values = {}
    for key, value in raw.items():
        norm = key.replace("-", "_")
        problem = None
        if norm == "device":
            if value in DEVICES:
                values["device"] = value
            else:
                problem = f"expected one of {', '.join(DEVICES)}"
        elif norm == "worker":
            if value is None or (isinstance(value, str) and not value.strip()):
                values["worker"] = None
            elif isinstance(value, str):
                values["worker"] = value
            else:
                problem = "expected a shell command (a string)"
        elif norm == "timeout":
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 86400:
                values["timeout"] = float(value)
            else:
                problem = "expected a number of seconds > 0"
        elif norm in ("memory_mb", "memory_limit"):
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                values["memory_mb"] = value
            else:
                problem = "expected a whole number of MiB (0: no limit)"
        elif norm in ("uri", "textDocument", "text_document"):
            continue  # command arguments carry the document too
        else:
            problem = "unknown setting"
        if problem:
            msg = f"gradls shadow setting {key!r}: {problem}; using the default"
            if strict:
                raise ValueError(f"{key!r}: {problem}")
            warnings.append(msg)
    return (replace(opts, **values) if values else opts), warnings


# --- results attached to a document ------------------------------------------------------
def _key(finding: Finding) -> tuple:
    s = finding.span
    return (finding.code, s.line, s.column, s.end_line, s.end_column)


@dataclass
class ShadowResult:
    uri: str
    source: str           # the text that ran; attached only while the document has it
    report: object        # gradls.shadow.compare.ShadowReport
    serial: int
    verdicts: dict = field(default_factory=dict)   # finding key -> {"status", "evidence"}
    runtime: list = field(default_factory=list)    # [(Finding, shadow)] seen only at run time

    @classmethod
    def of(cls, uri: str, source: str, report, serial: int, items=None) -> "ShadowResult":
        """The verdicts of `items` (default: all of the report's) for the document `uri`."""
        result = cls(uri, source, report, serial)
        for finding, shadow in (report.items if items is None else items):
            if shadow.get("status") == "runtime_only":
                result.runtime.append((finding, shadow))
            else:
                result.verdicts[_key(finding)] = shadow
        return result


def merge(analysis: Analysis, result: ShadowResult | None) -> list[types.Diagnostic]:
    """The analysis's diagnostics with the shadow verdicts applied (when `result` ran
    this very text), plus the run-time-only findings."""
    if result is None or result.source != analysis.source:
        return analysis.diagnostics
    out: list[types.Diagnostic] = []
    for finding, diag in zip(analysis.findings, analysis.diagnostics):
        shadow = result.verdicts.get(_key(finding))
        status = shadow.get("status") if shadow else None
        if status == "confirmed":
            diag = attrs.evolve(diag, message=f"{diag.message} (confirmed by running: {shadow['evidence']})",
                                data={**(diag.data or {}), "shadow": dict(shadow)})
        elif status == "refuted":
            diag = attrs.evolve(diag, message=f"{diag.message} (refuted by running: {shadow['evidence']})",
                                severity=types.DiagnosticSeverity.Hint,
                                data={**(diag.data or {}), "shadow": dict(shadow)})
        out.append(diag)
    for finding, shadow in result.runtime:
        try:
            diag = finding_to_diagnostic(finding, analysis.index, analysis.uri)
        except Exception:
            log.exception("cannot convert run-time finding %r", finding)
            continue
        out.append(attrs.evolve(diag, source=RUN_SOURCE, data={"code": finding.code, "fix": None,
                                                               "shadow": dict(shadow)}))
    return out


# --- findings of other files ---------------------------------------------------------------
def project_pass_enabled() -> bool:
    """Whether confirm starts from the project-aware findings (as the cross-module pass of
    the server runs: not with GRADLS_CROSS_MODULE=0 nor a stand-in engine)."""
    return os.environ.get("GRADLS_CROSS_MODULE", "1") != "0" and not os.environ.get("GRADLS_SERVER_CHECK")


def _same_file(a: str, b: str) -> bool:
    """Whether a finding at `a` is one of the document that ran at `b` (as `confirm` tells
    them apart: a path that is no file, e.g. an untitled document's name, is the document's)."""
    return a == b or not os.path.isfile(a) or os.path.abspath(a) == os.path.abspath(b)


def items_by_file(report, path: str) -> dict[str | None, list]:
    """The report's (finding, shadow) pairs by file: None for the document that ran (`path`),
    else the absolute path of the other file."""
    out: dict[str | None, list] = {}
    for finding, shadow in report.items:
        where = None if _same_file(finding.path, path) else os.path.abspath(finding.path)
        out.setdefault(where, []).append((finding, shadow))
    return out


def finding_uri(finding: Finding, path: str, uri: str) -> str:
    """The URI of the document a finding of the report is in."""
    if _same_file(finding.path, path):
        return uri
    from pygls.uris import from_fs_path

    try:
        return from_fs_path(os.path.abspath(finding.path)) or uri
    except Exception:
        return uri


def _disk_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return None


def attach_elsewhere(ls, report, path: str, settings, serial: int) -> list[str]:
    """Attach the verdicts of findings in other files than the document that ran to those
    files' diagnostics, while their text is the one on disk that the run imported (event loop
    side; never raises). Returns the URIs they were attached to."""
    from pygls.uris import from_fs_path

    attached: list[str] = []
    for other, items in items_by_file(report, path).items():
        if other is None:
            continue
        try:
            uri = from_fs_path(other)
            ran = _disk_text(other)
            doc = ls.document(uri)
            if ran is None:
                continue
            if doc is not None:
                if doc.source != ran:
                    continue  # an unsaved buffer: not the text that ran
                ls.shadow.results[uri] = ShadowResult.of(uri, ran, report, serial, items)
                ls.republish(uri)
            else:
                ls.shadow.results[uri] = ShadowResult.of(uri, ran, report, serial, items)
                _publish_unopened(ls, uri, other, ran, [f for f, _ in items], settings)
            attached.append(uri)
        except Exception:
            log.exception("cannot attach the verdicts of %s", other)
    return attached


def _publish_unopened(ls, uri: str, path: str, text: str, findings: list[Finding], settings) -> None:
    """Publish a file no editor has open again, its findings with the run's verdicts: the
    findings the cross-module pass last published for it when known, else those of the run."""
    from .scheduler import Job, run_analysis

    known = getattr(ls.scheduler, "_unopened", {}).get(path)
    shown = list(known) if known is not None else findings
    encoding = str(getattr(ls.workspace, "position_encoding", None) or types.PositionEncodingKind.Utf16)
    analysis = run_analysis(Job(uri, None, text, path, settings, encoding), None, lambda *_: shown)
    ls._publish(analysis)


def summary(report) -> str:
    data = report.to_json()
    c = data["counts"]
    parts = [f"{c[k]} {label}" for k, label in (("confirmed", "confirmed"), ("refuted", "refuted"),
                                                ("runtime_only", "seen only at run time"),
                                                ("not_reached", "not reached"), ("unverified", "unverified"))
             if c.get(k)]
    wall = data.get("wall_s")
    where = f" on {data['device']}" if data.get("device") else ""
    took = f" in {wall:.2f} s" if isinstance(wall, (int, float)) else ""
    return f"{data['message']}{where}{took}: " + (", ".join(parts) if parts else "no findings to check")


def run_path(doc_path: str | None, uri: str) -> str:
    """The path the worker is told the code lives at. An untitled document gets a name
    in a directory that does not exist, so the worker runs a copy of the text."""
    if doc_path and os.path.isabs(doc_path):
        return doc_path
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", uri.rsplit("/", 1)[-1].split(":")[-1]) or "untitled"
    if not name.endswith(".py"):
        name += ".py"
    return os.path.join(tempfile.gettempdir(), f"gradls-untitled-{os.getpid()}", name)


# --- the warm worker ---------------------------------------------------------------------
class ShadowService:
    """One warm worker and one thread that runs the shadow requests."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradls-shadow")
        self.results: dict[str, ShadowResult] = {}
        self._client = None
        self._client_key: tuple | None = None
        self._lock = threading.Lock()
        self._serial = 0
        self._closed = False
        atexit.register(self.close)

    def next_serial(self) -> int:
        self._serial += 1
        return self._serial

    # event loop side
    def drop(self, uri: str) -> bool:
        return self.results.pop(uri, None) is not None

    def result_for(self, analysis: Analysis) -> ShadowResult | None:
        result = self.results.get(analysis.uri)
        return result if result is not None and result.source == analysis.source else None

    # worker-thread side
    def client(self, opts: ShadowOptions):
        """The warm client for these options (started lazily; a different worker command
        or device class replaces it)."""
        from ..shadow.client import ShadowClient

        key = (opts.worker, opts.device != "cpu", opts.memory_mb)
        with self._lock:
            if self._closed:
                raise RuntimeError("the language server is shutting down")
            if self._client is not None and self._client_key != key:
                self._client.close()
                self._client = None
            if self._client is None:
                self._client = ShadowClient(opts.worker, memory_mb=opts.memory_mb or None,
                                            cuda=opts.device != "cpu")
                self._client_key = key
            return self._client

    def warm(self) -> bool:
        client = self._client
        return client is not None and client.alive()

    def start(self, opts: ShadowOptions) -> str | None:
        """Start the worker if needed; returns an error message or None."""
        from ..shadow.client import WorkerError

        try:
            self.client(opts).start()
        except (WorkerError, OSError, RuntimeError) as exc:
            return str(exc)
        return None

    def run(self, opts: ShadowOptions, path: str, source: str, findings: list[Finding], settings=None,
            project: bool = False):
        """One confirm (shadow thread). With `project` the run starts from the project-aware
        findings `gradls confirm` starts from, other files' included (the document's `source`,
        the other files as on disk: what the run imports); `findings` (the document's own, as
        the editor shows them) are the fallback when that pass fails."""
        from ..shadow.client import confirm, static_findings

        client = self.client(opts)
        if project:
            try:
                from ..crossmodule.refine import project_root

                found, error = static_findings(path, source, settings, root=project_root(path))
                if error is None:
                    findings = found
            except Exception:
                log.exception("the project pass failed for %s; confirming the document's own findings", path)
        return confirm(path, source=source, findings=[f for f in findings if f.code != SYNTAX_CODE],
                       device=opts.device, timeout=opts.timeout, client=client, settings=settings)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:
                log.exception("closing the shadow worker failed")
        self.executor.shutdown(wait=False, cancel_futures=True)


def message_type(outcome: str) -> types.MessageType:
    return types.MessageType.Error if outcome in FAILED else types.MessageType.Warning


__all__ = ["RUN_SOURCE", "ShadowOptions", "ShadowResult", "ShadowService", "attach_elsewhere", "finding_uri",
           "items_by_file", "merge", "parse_options", "project_pass_enabled", "run_path",
           "summary", "SOURCE"]
