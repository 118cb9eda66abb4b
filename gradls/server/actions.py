"""Code actions: one quick fix per diagnostic, "Ignore GRDxxx for this line", fix-all.

* Quick fixes follow ruff's model: the fix travels with the diagnostic (its `data.fix`,
  already in LSP positions), and the quick fix for a diagnostic is a lookup of that
  fix. It is only offered while the diagnostic still matches the current analysis
  (same code and range), so a stale diagnostic never produces a wrong edit.
* "Ignore CODE for this line" is `gradls.fixes.suppress.suppression_edit`'s edit (merges
  into an existing `# gradls: ignore[...]` comment, appends after other comments). When
  the line cannot take a comment (it ends inside a multi-line string or with a
  backslash continuation) no ignore action is offered. The source is tokenized once per
  analysis, off the event loop, and cached.
* `source.fixAll.gradls` (and the `gradls.applyFixAll` command) run
  `gradls.fixes.apply.fix_source`, the fixed-point fixer (a fix can reveal another, which
  the next round fixes), and return a minimal diff: one TextEdit per changed block,
  computed with difflib (`convert.diff_edits`). Running the engine again for each round
  is costly, so the edit is computed in a worker thread, and only when the client asks
  (`codeAction/resolve`) if the client supports resolving `edit`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from lsprotocol import types

from ..model import Finding
from .convert import SOURCE, diff_edits, fix_title, spans_overlap
from .scheduler import SYNTAX_CODE, Analysis

log = logging.getLogger(__name__)

FIX_ALL_KIND = "source.fixAll.gradls"
QUICKFIX = types.CodeActionKind.QuickFix

_cache_lock = threading.Lock()


# --- fix-all ------------------------------------------------------------------------------
def fixed_text(analysis: Analysis, unsafe: bool = False) -> str:
    """The document after every (safe) fix, applied to a fixed point. Runs the engine:
    call it from a worker thread. Cached per analysis."""
    key = ("fixed", unsafe)
    cached = analysis.cache.get(key)
    if cached is not None:
        return cached
    from ..fixes.apply import fix_source

    if not can_fix_all(analysis):
        text = analysis.source
    else:
        try:
            result = fix_source(analysis.source, analysis.path or "<untitled>", settings=analysis.settings,
                                unsafe=unsafe, findings=list(analysis.findings))
            text = result.text
        except Exception:  # a fixer bug must not take the server down
            log.exception("fix-all failed on %s", analysis.uri)
            text = analysis.source
    with _cache_lock:
        analysis.cache[key] = text
    return text


def fix_all_edits(analysis: Analysis) -> list[types.TextEdit]:
    """Minimal TextEdits turning the analysed text into the fixed one (may be empty)."""
    return diff_edits(analysis.source, fixed_text(analysis), analysis.index)


def can_fix_all(analysis: Analysis) -> bool:
    # Findings kept from the last good analysis while the code does not parse have
    # positions in another text: never feed them to the fixer.
    return analysis.skipped is None and not analysis.syntax_error and has_safe_fix(analysis)


def has_safe_fix(analysis: Analysis) -> bool:
    return any(f.fix is not None and f.fix.applicability == "safe" and f.fix.edits for f in analysis.findings)


# --- ignore comments ------------------------------------------------------------------------
def suppression_edits(analysis: Analysis) -> list[types.TextEdit | None]:
    """The ignore-comment edit of each finding (None: the line cannot take a comment).

    Tokenizes the document once (tens of ms for a long file): call it from a worker
    thread; the result is cached on the analysis."""
    cached = analysis.cache.get("suppress")
    if cached is not None:
        return cached
    from ..fixes.suppress import suppression_edits as shared

    places = [(f.span.line, f.code) for f in analysis.findings]
    try:
        edits = shared(analysis.source, places)
    except Exception:
        log.exception("suppression edits failed on %s", analysis.uri)
        edits = [None] * len(places)
    out = [types.TextEdit(range=analysis.index.range(e.span), new_text=e.content) if e is not None else None
           for e in edits]
    with _cache_lock:
        analysis.cache["suppress"] = out
    return out


def needs_suppression_edits(analysis: Analysis) -> bool:
    return "suppress" not in analysis.cache and bool(analysis.findings)


# --- building actions -------------------------------------------------------------------------
def workspace_edit(uri: str, version: int | None, edits: list[types.TextEdit], versioned: bool) -> types.WorkspaceEdit:
    if versioned:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                    edits=edits,
                )
            ]
        )
    return types.WorkspaceEdit(changes={uri: edits})


def kind_wanted(kind: str, only: list[str] | None) -> bool:
    if not only:
        return True
    return any(kind == want or kind.startswith(want + ".") for want in only)


def _text_edits(raw: Any) -> list[types.TextEdit] | None:
    """The LSP edits stored in a diagnostic's `data.fix.edits` (JSON shapes)."""
    if not isinstance(raw, list) or not raw:
        return None
    out = []
    for item in raw:
        try:
            rng = item["range"]
            out.append(types.TextEdit(
                range=types.Range(
                    start=types.Position(line=int(rng["start"]["line"]), character=int(rng["start"]["character"])),
                    end=types.Position(line=int(rng["end"]["line"]), character=int(rng["end"]["character"])),
                ),
                new_text=str(item["newText"]),
            ))
        except (KeyError, TypeError, ValueError):
            return None
    return out


def _data(diag: types.Diagnostic) -> dict:
    return diag.data if isinstance(diag.data, dict) else {}


def code_actions(
    analysis: Analysis,
    params: types.CodeActionParams,
    *,
    resolve_edits: bool,
    versioned: bool,
    ignore_edits: list[types.TextEdit | None] | None = None,
) -> list[types.CodeAction]:
    """Quick fixes and ignore actions for the diagnostics in the request (those the client
    sent, and those of the current analysis under the range), and the fix-all action.

    `ignore_edits` is `suppression_edits(analysis)` (computed by the caller off the event
    loop); None: offer no ignore actions."""
    uri, version, index = analysis.uri, analysis.version, analysis.index
    only = list(params.context.only) if params.context and params.context.only else None
    start = index.to_line_column(params.range.start)
    end = index.to_line_column(params.range.end)
    context_diags = list(params.context.diagnostics or []) if params.context else []
    actions: list[types.CodeAction] = []

    if kind_wanted(QUICKFIX, only):
        current = {
            (diag.code, diag.range.start.line, diag.range.start.character, diag.range.end.line,
             diag.range.end.character): i
            for i, diag in enumerate(analysis.diagnostics)
        }
        picked: dict[int, types.Diagnostic] = {}  # index into the analysis -> diagnostic to cite
        for diag in context_diags:
            if diag.source != SOURCE:
                continue  # another tool's, or one seen only by the shadow run (no fix)
            key = (diag.code, diag.range.start.line, diag.range.start.character, diag.range.end.line,
                   diag.range.end.character)
            i = current.get(key)
            if i is not None and i not in picked:
                picked[i] = diag
        for i, finding in enumerate(analysis.findings):
            if i not in picked and spans_overlap(finding.span, start, end):
                picked[i] = analysis.diagnostics[i]
        for i in sorted(picked):
            finding: Finding = analysis.findings[i]
            if finding.code == SYNTAX_CODE:
                continue
            cited = picked[i]
            stored = _data(analysis.diagnostics[i]).get("fix") or {}
            edits = _text_edits(stored.get("edits"))
            if edits:
                actions.append(
                    types.CodeAction(
                        title=stored.get("title") or fix_title(finding),
                        kind=QUICKFIX,
                        diagnostics=[cited],
                        is_preferred=stored.get("applicability") == "safe",
                        edit=workspace_edit(uri, version, edits, versioned),
                    )
                )
            ignore = ignore_edits[i] if ignore_edits is not None and i < len(ignore_edits) else None
            if ignore is not None:
                actions.append(
                    types.CodeAction(
                        title=f"Ignore {finding.code} for this line",
                        kind=QUICKFIX,
                        diagnostics=[cited],
                        edit=workspace_edit(uri, version, [ignore], versioned),
                    )
                )

    if kind_wanted(FIX_ALL_KIND, only) and can_fix_all(analysis):
        action = types.CodeAction(
            title=f"{SOURCE}: Fix all auto-fixable problems",
            kind=FIX_ALL_KIND,
            data={"uri": uri, "version": version, "action": "fixAll"},
        )
        if not resolve_edits:
            resolve_fix_all(action, analysis, versioned)  # the caller runs this off the loop
        actions.append(action)
    return actions


def wants_eager_fix_all(analysis: Analysis, params: types.CodeActionParams, resolve_edits: bool) -> bool:
    """Whether `code_actions` will compute the fix-all edit (so run it in a thread)."""
    only = list(params.context.only) if params.context and params.context.only else None
    return not resolve_edits and kind_wanted(FIX_ALL_KIND, only) and can_fix_all(analysis)


def resolve_fix_all(action: types.CodeAction, analysis: Analysis, versioned: bool) -> types.CodeAction:
    action.edit = workspace_edit(analysis.uri, analysis.version, fix_all_edits(analysis), versioned)
    return action
