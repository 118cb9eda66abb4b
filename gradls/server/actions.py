"""Code actions: one quick fix per diagnostic, "Ignore GRDxxx for this line", fix-all.

* Quick fixes follow ruff's model: the fix travels with the diagnostic (its `data.fix`,
  already in LSP positions), and the quick fix for a diagnostic is a lookup of that
  fix. It is only offered while the diagnostic still matches the current analysis
  (same code and range), so a stale diagnostic never produces a wrong edit.
* "Ignore CODE for this line" is `gradls.fixes.suppress.suppression_edit`'s edit (merges
  into an existing `# gradls: ignore[...]` comment, appends after other comments). When
  the line cannot take a comment (it ends inside a multi-line string or with a
  backslash continuation) no ignore action is offered. Only the top-level statement
  around the line is tokenized (see `ignore_edit`), off the event loop, cached.
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
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..model import Finding
from .convert import SOURCE, diff_edits, fix_title, spans_overlap
from .scheduler import SYNTAX_CODE, Analysis

if TYPE_CHECKING:
    from .blocks import Blocks

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
    """Minimal TextEdits turning the analysed text into the fixed one (may be empty). Runs the
    engine and a diff: call it from a worker thread. Cached per analysis."""
    cached = analysis.cache.get("fix_all_edits")
    if cached is not None:
        return cached
    edits = diff_edits(analysis.source, fixed_text(analysis), analysis.index)
    with _cache_lock:
        analysis.cache["fix_all_edits"] = edits
    return edits


def can_fix_all(analysis: Analysis) -> bool:
    # Findings kept from the last good analysis while the code does not parse have
    # positions in another text: never feed them to the fixer.
    return analysis.skipped is None and not analysis.syntax_error and has_safe_fix(analysis)


def has_safe_fix(analysis: Analysis) -> bool:
    return any(f.fix is not None and f.fix.applicability == "safe" and f.fix.edits for f in analysis.findings)


# --- ignore comments ------------------------------------------------------------------------
def statement_blocks(analysis: Analysis, base: "Blocks | None" = None) -> "Blocks":
    """Top-level statement line ranges of the analysed text (see `blocks.py`), updated
    from `base` (those of an earlier text of the document) when given. Cached."""
    cached = analysis.cache.get("blocks")
    if cached is not None:
        return cached
    from . import blocks as _blocks

    result = _blocks.update(base, analysis.source, analysis.index.starts)
    with _cache_lock:
        analysis.cache["blocks"] = result
    return result


def ignore_edit(analysis: Analysis, i: int, base: "Blocks | None" = None) -> types.TextEdit | None:
    """The "Ignore CODE for this line" edit of `analysis.findings[i]`: the shared
    `gradls.fixes.suppress.suppression_edit` (None: the line cannot take a comment).

    Tokenizing a whole long file costs tens of ms in Python 3.11, so the function is given
    only the top-level statement(s) around the finding's line: whole lines, starting at
    column 0, containing every string and comment that touches the line, so its answer
    is the same as for the whole file (the whole text when it does not parse). Call from
    a worker thread; cached per finding."""
    from ..fixes.suppress import suppression_edit

    cache = analysis.cache.setdefault("ignore", {})
    if i in cache:
        return cache[i]
    finding = analysis.findings[i]
    line = finding.span.line
    block = statement_blocks(analysis, base).around(line)
    edit = None
    try:
        if block is None:
            edit = suppression_edit(analysis.source, finding)
            shift = 0
        else:
            index = analysis.index
            begin = index.starts[block[0] - 1]
            end = index.starts[block[1]] if block[1] < len(index.starts) else len(analysis.source)
            shift = block[0] - 1
            moved = replace(finding, span=replace(finding.span, line=line - shift,
                                                  end_line=line - shift))
            edit = suppression_edit(analysis.source[begin:end], moved)
    except Exception:
        log.exception("suppression edit failed on %s", analysis.uri)
        edit = None
    out = None
    if edit is not None:
        span = replace(edit.span, line=edit.span.line + shift, end_line=edit.span.end_line + shift)
        out = types.TextEdit(range=analysis.index.range(span), new_text=edit.content)
    with _cache_lock:
        cache[i] = out
    return out


def needs_ignore_edits(analysis: Analysis, indices: list[int]) -> bool:
    cache = analysis.cache.get("ignore", {})
    return any(i not in cache for i in indices)


def ignore_edits(analysis: Analysis, indices: list[int], base: "Blocks | None" = None
                 ) -> dict[int, types.TextEdit | None]:
    """`ignore_edit` for several findings; `base`: the blocks of an earlier text of the
    document, so that only the edited region is parsed again."""
    return {i: ignore_edit(analysis, i, base) for i in indices}


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


def picked(analysis: Analysis, params: types.CodeActionParams) -> dict[int, types.Diagnostic]:
    """The findings a quick-fix request is about: index into `analysis.findings` -> the
    diagnostic to cite. Those the client sent (while they still match the current
    analysis: same code and range) and those under the requested range."""
    only = list(params.context.only) if params.context and params.context.only else None
    if not kind_wanted(QUICKFIX, only):
        return {}
    index = analysis.index
    start = index.to_line_column(params.range.start)
    end = index.to_line_column(params.range.end)
    context_diags = list(params.context.diagnostics or []) if params.context else []
    current = {
        (diag.code, diag.range.start.line, diag.range.start.character, diag.range.end.line,
         diag.range.end.character): i
        for i, diag in enumerate(analysis.diagnostics)
    }
    out: dict[int, types.Diagnostic] = {}
    for diag in context_diags:
        if diag.source != SOURCE:
            continue  # another tool's, or one seen only by the shadow run (no fix)
        i = current.get((diag.code, diag.range.start.line, diag.range.start.character, diag.range.end.line,
                         diag.range.end.character))
        if i is not None and i not in out:
            out[i] = diag
    for i, finding in enumerate(analysis.findings):
        if i not in out and spans_overlap(finding.span, start, end):
            out[i] = analysis.diagnostics[i]
    return {i: d for i, d in sorted(out.items()) if analysis.findings[i].code != SYNTAX_CODE}


def code_actions(
    analysis: Analysis,
    params: types.CodeActionParams,
    *,
    resolve_edits: bool,
    versioned: bool,
    chosen: dict[int, types.Diagnostic] | None = None,
    ignore: dict[int, types.TextEdit | None] | None = None,
) -> list[types.CodeAction]:
    """Quick fixes and ignore actions for the `chosen` findings (`picked(...)`), and the
    fix-all action. `ignore` holds their ignore edits (`ignore_edits(...)`, computed by the
    caller off the event loop); a finding without one gets no ignore action."""
    uri, version = analysis.uri, analysis.version
    only = list(params.context.only) if params.context and params.context.only else None
    chosen = picked(analysis, params) if chosen is None else chosen
    ignore = ignore or {}
    actions: list[types.CodeAction] = []
    for i, cited in chosen.items():
        finding: Finding = analysis.findings[i]
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
        edit = ignore.get(i)
        if edit is not None:
            actions.append(
                types.CodeAction(
                    title=f"Ignore {finding.code} for this line",
                    kind=QUICKFIX,
                    diagnostics=[cited],
                    edit=workspace_edit(uri, version, [edit], versioned),
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
