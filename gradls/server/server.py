"""The gradls language server: registers LSP features and wires the pieces together.

Behaviour follows ruff's server: push diagnostics (versioned) for clients without pull
support, `textDocument/diagnostic` for those with it; quick fixes, ignore comments and
`source.fixAll.gradls`; hover with the rule's explanation. The analysis itself runs in
`scheduler.Scheduler` worker threads so the event loop keeps answering.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Callable
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcServerNotInitialized,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import RPCRequest

from .. import __version__
from . import actions, hover, notebooks
from . import shadow as shadow_pass
from .convert import rule_url
from .documents import use_lsp_documents
from .scheduler import Analysis, Job, Scheduler, default_check
from .settings import WATCH_GLOB, SettingsStore

log = logging.getLogger("gradls.server")

CMD_FIX_ALL = "gradls.applyFixAll"
CMD_RULE_DOCS = "gradls.showRuleDocs"
CMD_CONFIRM = "gradls.confirm"
PYTHON_SUFFIXES = (".py", ".pyi")


class _Ignored:
    """Stands in for a message that could not be parsed; pygls drops it."""

    jsonrpc = "ignored"


class GradlsProtocol(LanguageServerProtocol):
    initialized_once = False  # set by the initialize handler

    def handle_message(self, message):
        """The LSP's lifecycle rules for requests, which pygls leaves out (it drops a request
        after shutdown unanswered, so the client waits forever)."""
        if isinstance(message, RPCRequest) and message.method != types.EXIT:
            refusal = self._lifecycle_refusal(message.method)
            if refusal is not None:
                self._send_response(message.id, error=types.ResponseError(code=refusal.CODE, message=str(refusal)))
                return
        super().handle_message(message)

    def _lifecycle_refusal(self, method: str) -> JsonRpcException | None:
        if self._shutdown:
            return JsonRpcInvalidRequest(f"{method}: the server is shutting down")
        if method == types.INITIALIZE and self.initialized_once:
            return JsonRpcInvalidRequest("initialize: the server is already initialized")
        if method != types.INITIALIZE and not self.initialized_once:
            return JsonRpcServerNotInitialized(f"{method}: initialize first")
        return None

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            # pygls would drop a request with malformed params without answering it,
            # leaving the client waiting: answer with InvalidParams instead.
            if isinstance(data, dict) and "method" in data and "id" in data:
                try:
                    self._send_response(
                        data["id"],
                        error=types.ResponseError(
                            code=JsonRpcInvalidParams.CODE,
                            message=f"invalid params for {data.get('method')!r}: {exc}",
                        ),
                    )
                except Exception:
                    log.exception("cannot answer malformed request")
            return _Ignored()


class GradlsServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "gradls",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=notebooks.SYNC,
            protocol_cls=GradlsProtocol,
        )
        self.notebook_diagnostics: dict[str, list] = {}  # cell uri -> diagnostics of its notebook's check
        self.notebook_cells: dict[str, set[str]] = {}    # notebook uri -> its code cells' uris
        self.settings_store = SettingsStore()
        refine = _load_refine(self)
        self.scheduler = Scheduler(self._publish, check=_load_check(), refine=refine,
                                   root_causes=_load_root_causes() if refine is not None else None)
        self.pull_mode = False
        self._pending_warnings: list[str] = []
        self._told_too_large: set[str] = set()
        self.shadow = shadow_pass.ShadowService()
        self.blocks: dict[str, Any] = {}  # uri -> top-level statement lines of a recent text
        self.pulled: dict[str, tuple[int | None, str]] = {}  # uri -> (version, result id) last pulled

    # --- errors: log, do not pop up dialogs for every hiccup ------------------------------
    def report_server_error(self, error: Exception, source) -> None:
        log.error("gradls server error (%s): %s", getattr(source, "__name__", source), error)
        try:
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Error, message=f"gradls: {error}")
            )
        except Exception:
            pass

    def warn(self, messages: list[str]) -> None:
        for message in messages:
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))

    def show(self, kind: types.MessageType, message: str) -> None:
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception:
            log.exception("showMessage failed")

    # --- capabilities ------------------------------------------------------------------------
    def capability(self, dotted: str) -> Any:
        node: Any = self.client_capabilities
        for part in dotted.split("."):
            node = getattr(node, part, None)
            if node is None:
                return None
        return node

    @property
    def versioned_edits(self) -> bool:
        return bool(self.capability("workspace.workspace_edit.document_changes"))

    @property
    def resolve_edits(self) -> bool:
        props = self.capability("text_document.code_action.resolve_support.properties") or []
        return "edit" in props

    # --- documents ------------------------------------------------------------------------------
    def document(self, uri: str):
        try:
            docs = self.workspace.text_documents
        except RuntimeError:  # not initialized
            return None
        return docs.get(unquote(uri)) if isinstance(uri, str) else None

    def is_python(self, doc) -> bool:
        if doc.language_id:
            return doc.language_id == "python"
        return str(doc.uri).endswith(PYTHON_SUFFIXES)

    def schedule(self, uri: str) -> None:
        doc = self.document(uri)
        if doc is None or not self.is_python(doc):
            return
        try:
            source = doc.source
        except Exception:
            log.exception("cannot read %s", uri)
            return
        path = doc.path or uri
        settings, warnings = self.settings_store.for_path(path if os.path.isabs(path) else None)
        self.warn(warnings)
        if self.settings_store.is_excluded(path, settings):
            self.scheduler.forget(uri)
            self._send(uri, [], doc.version)
            return
        encoding = str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)
        self.scheduler.submit(Job(uri, doc.version, source, path, settings, encoding))

    def reanalyse_all(self) -> None:
        try:
            uris = [doc.uri for doc in self.workspace.text_documents.values()]  # as the client spelt them
        except RuntimeError:
            return
        for uri in uris:
            self.schedule(uri)
        if self.pull_mode and self.capability("workspace.diagnostics.refresh_support"):
            self.workspace_diagnostic_refresh(None)

    def _send(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
        if not self.pull_mode:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
            )

    def _publish(self, analysis: Analysis) -> None:
        if analysis.skipped == "too large" and analysis.uri not in self._told_too_large:
            self._told_too_large.add(analysis.uri)
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Warning,
                                       message=f"gradls: {analysis.uri} is too large to analyse")
            )
        if self.pull_mode:
            self._refresh_if_pulled_before(analysis)
        if analysis.uri in self.notebook_diagnostics:
            return  # a notebook cell: notebooks.publish sends its notebook's check, not this cell's alone
        self._send(analysis.uri, self.diagnostics_of(analysis), analysis.version)

    def _refresh_if_pulled_before(self, analysis: Analysis) -> None:
        """New findings for a version the client already pulled (the cross-module pass finished
        after the pull): ask the client to pull again."""
        pulled = self.pulled.get(analysis.uri)
        if pulled is None or pulled[0] != analysis.version or pulled[1] == self.result_id_of(analysis):
            return
        if self.capability("workspace.diagnostics.refresh_support"):
            self.workspace_diagnostic_refresh(None)

    def diagnostics_of(self, analysis: Analysis) -> list[types.Diagnostic]:
        """The analysis's diagnostics, with the shadow run's verdicts while they apply."""
        return shadow_pass.merge(analysis, self.shadow.result_for(analysis))

    def result_id_of(self, analysis: Analysis) -> str:
        result = self.shadow.result_for(analysis)
        return analysis.result_id if result is None else f"{analysis.result_id}+run{result.serial}"

    def republish(self, uri: str) -> None:
        """Send the document's diagnostics again (after a shadow run changed them)."""
        analysis = self.scheduler.current(uri)
        if analysis is None:
            return
        if self.pull_mode:
            if self.capability("workspace.diagnostics.refresh_support"):
                self.workspace_diagnostic_refresh(None)
        else:
            self._send(uri, self.diagnostics_of(analysis), analysis.version)

    async def analysis_for(self, uri: str, timeout: float = 10.0) -> Analysis | None:
        if self.document(uri) is None:
            return None
        if self.scheduler.current(uri) is None and uri not in self.scheduler.known():
            self.schedule(uri)
        return await self.scheduler.wait(uri, timeout)

    # --- settings ----------------------------------------------------------------------------------
    def set_folders(self) -> None:
        folders = []
        try:
            for folder in self.workspace.folders.values():
                path = _uri_path(folder.uri)
                if path:
                    folders.append(path)
            if not folders and self.workspace.root_path:
                folders.append(self.workspace.root_path)
        except Exception:
            pass
        self.settings_store.folders = folders


def _load_check():
    """The analysis function: the engine, or `module:function` from GRADLS_SERVER_CHECK
    (used by the test-suite to plug in a deliberately slow engine)."""
    spec = os.environ.get("GRADLS_SERVER_CHECK")
    if not spec:
        return default_check
    import importlib

    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _load_refine(server=None):
    """The cross-module refinement (jedi, in the background), unless GRADLS_CROSS_MODULE=0
    or a stand-in engine is plugged in (its findings could not be compared). It reads the
    documents open in `server`'s workspace from their buffers (unsaved edits included)."""
    if os.environ.get("GRADLS_CROSS_MODULE", "1") == "0" or os.environ.get("GRADLS_SERVER_CHECK"):
        return None
    try:
        from ..crossmodule.refine import refine_check, workspace_texts
    except ImportError:
        return None
    if server is None:
        return refine_check
    from functools import partial

    return partial(refine_check, open_texts=lambda: workspace_texts(server.workspace))


def _load_root_causes():
    """Which files' findings a training script's refinement changes (root causes elsewhere)."""
    try:
        from ..crossmodule.refine import root_cause_files
    except ImportError:
        return None
    return root_cause_files


def _uri_path(uri: str) -> str | None:
    from pygls.uris import to_fs_path

    try:
        return to_fs_path(uri)
    except Exception:
        return None


def _uri_arg(args: tuple) -> str:
    if len(args) > 1 and all(isinstance(a, str) and len(a) == 1 for a in args):
        args = ("".join(args),)  # `"arguments": "file:///x.py"` (a string, not a list) arrives spelt out
    if not args:
        raise JsonRpcInvalidParams.of(ValueError("expected a document URI argument"))
    first = args[0]
    if isinstance(first, dict):
        first = first.get("uri") or (first.get("textDocument") or {}).get("uri")
    if not isinstance(first, str):
        raise JsonRpcInvalidParams.of(ValueError("expected a document URI argument"))
    return first


def _confirm_args(args: tuple) -> tuple[str, dict]:
    """`gradls.confirm` arguments: `[uri]`, `[uri, {overrides}]` or `[{"uri": ..., overrides}]`,
    overrides being any of `device`, `worker`, `timeout`, `memory_mb`."""
    uri = _uri_arg(args)
    overrides: dict = {}
    if isinstance(args[0], dict):
        overrides.update({k: v for k, v in args[0].items() if k not in ("uri", "textDocument", "version")})
    if len(args) > 1:
        if isinstance(args[1], dict):
            overrides.update(args[1])
        elif args[1] is not None:
            raise JsonRpcInvalidParams.of(ValueError("the second argument must be an object of overrides "
                                                     "(device, worker, timeout, memory_mb)"))
    return uri, overrides


class _Progress:
    """Work-done progress for one request (nothing when the client does not support it)."""

    def __init__(self, ls: GradlsServer):
        self.ls = ls
        self.token: str | None = None

    async def begin(self, title: str, message: str) -> None:
        if not self.ls.capability("window.work_done_progress"):
            return
        import uuid

        token = f"gradls-confirm-{uuid.uuid4().hex[:12]}"
        try:
            await asyncio.wait_for(self.ls.work_done_progress.create_async(token), 10)
        except Exception as err:
            log.warning("client refused a progress token: %s", err)
            return
        self.token = token
        self.ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, message=message,
                                                                            cancellable=False))

    def report(self, message: str) -> None:
        if self.token:
            self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(message=message))

    def end(self, message: str) -> None:
        if self.token:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)
            self.token = None


async def run_confirm(ls: GradlsServer, args: tuple) -> dict:
    """`gradls.confirm`: run the document once under the shadow pass (in the shadow
    thread, with the warm worker), attach the verdicts to its diagnostics, report errors
    with `window/showMessage`. Returns a summary object."""
    uri, overrides = _confirm_args(args)
    doc = ls.document(uri)
    if doc is None:
        raise JsonRpcInvalidParams.of(ValueError(f"unknown document {uri}"))
    if not ls.is_python(doc):
        raise JsonRpcInvalidParams.of(ValueError(f"not a Python document: {uri}"))
    doc_path = doc.path if doc.path and os.path.isabs(doc.path) and str(uri).startswith("file:") else None
    settings, warnings = ls.settings_store.for_path(doc_path)
    ls.warn(warnings)
    base, warnings = shadow_pass.parse_options(settings.shadow)
    ls.warn(warnings)
    try:
        opts, _ = shadow_pass.parse_options(overrides, base, strict=True)
    except ValueError as err:
        raise JsonRpcInvalidParams.of(ValueError(f"gradls.confirm: {err}"))
    analysis = await ls.analysis_for(uri)
    if analysis is None:
        raise JsonRpcInvalidParams.of(ValueError(f"unknown document {uri}"))
    source = analysis.source
    findings = [] if analysis.syntax_error or analysis.skipped else list(analysis.findings)
    # a file's run starts from the project-aware findings, as `gradls confirm`'s (other files' too)
    project = (doc_path is not None and not (analysis.syntax_error or analysis.skipped)
               and shadow_pass.project_pass_enabled())
    path = shadow_pass.run_path(doc_path, uri)
    name = os.path.basename(path)
    loop = asyncio.get_running_loop()
    out = {"uri": uri, "version": analysis.version, "attached": False}

    progress = _Progress(ls)
    await progress.begin(f"gradls: running {name}", "waiting for the shadow worker")
    try:
        if not ls.shadow.warm():
            progress.report("starting the shadow worker (imports torch)")
        error = await loop.run_in_executor(ls.shadow.executor, ls.shadow.start, opts)
        if error is not None:
            progress.end("the shadow worker did not start")
            ls.show(types.MessageType.Error, f"gradls confirm {name}: {error}")
            return {**out, "outcome": "error", "message": error}
        progress.report(f"running {name} until its first backward (device {opts.device}, "
                        f"timeout {opts.timeout:g} s)")
        report = await loop.run_in_executor(ls.shadow.executor, ls.shadow.run, opts, path, source, findings,
                                            settings, project)
    except Exception as err:  # never let a failed run take the server down
        log.exception("gradls.confirm failed for %s", uri)
        progress.end("failed")
        ls.show(types.MessageType.Error, f"gradls confirm {name}: {type(err).__name__}: {err}")
        return {**out, "outcome": "error", "message": str(err)}

    data = report.to_json()
    summary = shadow_pass.summary(report)
    progress.end(summary)
    current = ls.document(uri)
    attached = current is not None and current.source == source
    serial = ls.shadow.next_serial()
    if attached:
        own = shadow_pass.items_by_file(report, path).get(None, [])
        ls.shadow.results[uri] = shadow_pass.ShadowResult.of(uri, source, report, serial, own)
        ls.republish(uri)
    elsewhere = shadow_pass.attach_elsewhere(ls, report, path, settings, serial) if project else []
    if report.outcome not in shadow_pass.REACHED:
        detail = data["message"] or report.outcome
        ls.show(shadow_pass.message_type(report.outcome), f"gradls confirm {name}: {detail}")
    elif not attached:
        ls.show(types.MessageType.Info, f"gradls confirm {name}: the document changed while it ran; "
                                        "its results were not attached")
    else:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Info,
                                                     message=f"gradls confirm {name}: {summary}"))
    return {**out, "attached": attached, "outcome": report.outcome, "message": data["message"],
            "summary": summary, "device": data.get("device"), "wall_s": data.get("wall_s"),
            "counts": data["counts"], "params_without_grad": data["params_without_grad"],
            "attached_elsewhere": elsewhere,
            "findings": [{"uri": shadow_pass.finding_uri(finding, path, uri), "code": f["code"],
                          "line": f["line"], "column": f["column"],
                          "message": f["message"], "status": f["shadow"]["status"],
                          "evidence": f["shadow"]["evidence"]}
                         for (finding, _), f in zip(report.items, data["findings"])]}


def create_server(extra_commands: dict[str, Callable] | None = None) -> GradlsServer:
    """Build a server. `extra_commands` lets other parts (e.g. the shadow pass's
    `gradls.confirm`) add `workspace/executeCommand` handlers: `fn(ls, *args)`."""
    server = GradlsServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: GradlsServer, params: types.InitializeParams):
        ls.protocol.initialized_once = True
        use_lsp_documents(ls.workspace)
        # pull only where the client can be asked to pull again: a shadow run's verdict or the
        # cross-module pass lands after the pull. Neovim 0.10/0.11 pull but cannot be asked:
        # they get pushes, and their pulls are answered empty (nothing shows twice).
        ls.pull_mode = ls.capability("text_document.diagnostic") is not None \
            and bool(ls.capability("workspace.diagnostics.refresh_support"))
        ls.set_folders()
        ls._pending_warnings.extend(ls.settings_store.set_client(params.initialization_options))

    @server.feature(types.INITIALIZED)
    async def initialized(ls: GradlsServer, params: types.InitializedParams):
        ls.scheduler.warm_up()
        ls.warn(ls._pending_warnings)
        ls._pending_warnings.clear()
        if ls.capability("workspace.did_change_watched_files.dynamic_registration"):
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=WATCH_GLOB)]
            )
            try:
                await ls.client_register_capability_async(
                    types.RegistrationParams(registrations=[
                        types.Registration(id="gradls-pyproject-watcher",
                                           method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                           register_options=options)
                    ])
                )
            except Exception as err:
                log.warning("client refused file watcher registration: %s", err)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_did_open(ls: GradlsServer, params: types.DidOpenNotebookDocumentParams):
        notebooks.publish(ls, params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_did_change(ls: GradlsServer, params: types.DidChangeNotebookDocumentParams):
        notebooks.publish(ls, params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_did_save(ls: GradlsServer, params: types.DidSaveNotebookDocumentParams):
        notebooks.publish(ls, params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(ls: GradlsServer, params: types.DidCloseNotebookDocumentParams):
        notebooks.close(ls, params.notebook_document.uri, [c.uri for c in params.cell_text_documents])

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GradlsServer, params: types.DidOpenTextDocumentParams):
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GradlsServer, params: types.DidChangeTextDocumentParams):
        ls.shadow.drop(params.text_document.uri)  # the code changed: the run no longer applies
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: GradlsServer, params: types.DidSaveTextDocumentParams):
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GradlsServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        ls.shadow.drop(uri)
        ls.blocks.pop(uri, None)
        ls.pulled.pop(uri, None)
        ls.scheduler.forget(uri)
        ls._send(uri, [], None)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="gradls", inter_file_dependencies=False, workspace_diagnostics=False),
    )
    async def pull_diagnostics(ls: GradlsServer, params: types.DocumentDiagnosticParams):
        if not ls.pull_mode:
            return types.RelatedFullDocumentDiagnosticReport(items=[])  # this client gets pushes
        if params.text_document.uri in ls.notebook_diagnostics:  # a notebook cell: its notebook's check
            return types.RelatedFullDocumentDiagnosticReport(items=ls.notebook_diagnostics[params.text_document.uri])
        analysis = await ls.analysis_for(params.text_document.uri)
        if analysis is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        result_id = ls.result_id_of(analysis)
        ls.pulled[analysis.uri] = (analysis.version, result_id)
        if params.previous_result_id and params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=ls.diagnostics_of(analysis), result_id=result_id)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND], resolve_provider=True
        ),
    )
    async def code_action(ls: GradlsServer, params: types.CodeActionParams):
        analysis = await ls.analysis_for(params.text_document.uri)
        if analysis is None:
            return None
        resolve, versioned = ls.resolve_edits, ls.versioned_edits
        chosen = actions.picked(analysis, params)
        if actions.needs_ignore_edits(analysis, list(chosen)):  # parses and tokenizes: not on the loop
            base = ls.blocks.get(analysis.uri)
            await ls.scheduler.run_blocking(actions.ignore_edits, analysis, list(chosen), base)
            if analysis.cache.get("blocks") is not None:
                ls.blocks[analysis.uri] = analysis.cache["blocks"]
        ignore = actions.ignore_edits(analysis, list(chosen))  # cached now
        if actions.wants_eager_fix_all(analysis, params, resolve):
            await ls.scheduler.run_blocking(actions.fix_all_edits, analysis)  # cached for the call below
        return actions.code_actions(analysis, params, resolve_edits=resolve, versioned=versioned,
                                    chosen=chosen, ignore=ignore) or None

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: GradlsServer, action: types.CodeAction):
        data = action.data if isinstance(action.data, dict) else {}
        if action.edit is not None or data.get("action") != "fixAll" or not isinstance(data.get("uri"), str):
            return action
        analysis = await ls.analysis_for(data["uri"])
        if analysis is None:
            return action
        await ls.scheduler.run_blocking(actions.fix_all_edits, analysis)  # cached for the call below
        document = ls.document(analysis.uri)
        if not ls.versioned_edits and (document is None or document.version != analysis.version):
            # edited meanwhile: an unversioned edit would be applied to text it was not made for
            raise JsonRpcException(code=int(types.LSPErrorCodes.ContentModified),
                                   message="the document changed while the fix-all edit was computed")
        return actions.resolve_fix_all(action, analysis, ls.versioned_edits)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: GradlsServer, params: types.HoverParams):
        analysis = await ls.analysis_for(params.text_document.uri, timeout=5.0)
        return hover.hover(analysis, params.position) if analysis is not None else None

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: GradlsServer, params: types.DidChangeConfigurationParams):
        raw = params.settings
        if not raw and ls.capability("workspace.configuration"):
            try:
                result = await ls.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section="gradls")])
                )
                raw = result[0] if result else None
            except Exception as err:
                log.warning("workspace/configuration failed: %s", err)
                raw = None
        ls.warn(ls.settings_store.set_client(raw))
        ls.reanalyse_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: GradlsServer, params: types.DidChangeWatchedFilesParams):
        if any(str(change.uri).endswith("pyproject.toml") for change in params.changes):
            ls.settings_store.invalidate()
            ls.reanalyse_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: GradlsServer, params: types.DidChangeWorkspaceFoldersParams):
        ls.set_folders()
        ls.settings_store.invalidate()
        ls.reanalyse_all()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: GradlsServer, params: None):
        ls.scheduler.shutdown()
        ls.shadow.close()

    @server.command(CMD_FIX_ALL)
    async def apply_fix_all(ls: GradlsServer, *args):
        uri = _uri_arg(args)
        analysis = await ls.analysis_for(uri)
        if analysis is None:
            raise JsonRpcInvalidParams.of(ValueError(f"unknown document {uri}"))
        if analysis.syntax_error:
            return {"applied": False, "reason": "the document does not parse"}
        edits = await ls.scheduler.run_blocking(actions.fix_all_edits, analysis)
        if not edits:
            return {"applied": False, "reason": "nothing to fix"}
        result = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(
                label="gradls: Fix all",
                edit=actions.workspace_edit(uri, analysis.version, edits, ls.versioned_edits),
            )
        )
        return {"applied": bool(getattr(result, "applied", False)), "edits": len(edits)}

    @server.command(CMD_CONFIRM)
    async def confirm(ls: GradlsServer, *args):
        return await run_confirm(ls, args)

    @server.command(CMD_RULE_DOCS)
    def show_rule_docs(ls: GradlsServer, *args):
        code = args[0] if args else None
        if isinstance(code, dict):
            code = code.get("code")
        if not isinstance(code, str) or not code:
            raise JsonRpcInvalidParams.of(ValueError("expected a rule code such as 'GRD101'"))
        info = hover.rule_info(code) or {}
        markdown = hover.rule_markdown(code) or f"### {code}\n\n[Documentation]({rule_url(code)})"
        return {"code": code, "name": info.get("name", ""), "summary": info.get("summary", ""),
                "markdown": markdown, "url": rule_url(code), "known": bool(info)}

    for name, fn in (extra_commands or {}).items():
        server.command(name)(fn)

    return server


def start(tcp: str | None = None) -> int:
    """Run the server on stdio, or on HOST:PORT (debugging) when `tcp` is given. Returns the
    process's exit code: 0 after a `shutdown` request, 1 when the client left without one."""
    logging.basicConfig(level=os.environ.get("GRADLS_LOG", "WARNING").upper(),
                        format="gradls %(levelname)s %(name)s: %(message)s")
    server = create_server()
    try:
        if tcp:
            host, _, port = tcp.rpartition(":")
            server.start_tcp(host or "127.0.0.1", int(port))
        else:
            server.start_io()
    finally:
        server.shadow.close()  # never leave a worker behind
    return 0 if server.protocol._shutdown else 1
