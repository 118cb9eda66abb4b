"""Code actions: one quick fix per finding, "Ignore GRDxxx for this line", fix-all.

Quick fixes and ignore comments are cheap (the edits come with the finding) and are
returned complete. The fix-all action has to apply every safe fix and diff the result,
so when the client supports `codeAction/resolve` for `edit` it is returned without its
edit and computed in `resolve_fix_all`.
"""

from __future__ import annotations

import re
from typing import Iterable

from lsprotocol import types

from ..model import Edit, Finding, Span
from .convert import LineIndex, SOURCE, edits_to_lsp, fix_title, minimal_edit, spans_overlap
from .scheduler import Analysis

FIX_ALL_KIND = "source.fixAll.gradls"
QUICKFIX = types.CodeActionKind.QuickFix
IGNORE_COMMENT = re.compile(r"#\s*gradls:\s*ignore\[([^\]]*)\]")


# --- applying fixes ---------------------------------------------------------------------
def _overlaps(a: Span, b: Span) -> bool:
    return (a.line, a.column) < (b.end_line, b.end_column) and (b.line, b.column) < (a.end_line, a.end_column)


def apply_edits_fallback(source: str, findings: Iterable[Finding], unsafe: bool = False) -> str:
    """Apply the fixes of `findings` (safe ones unless `unsafe`), skipping any fix that
    overlaps one already taken; edits are applied bottom-up so offsets stay valid."""
    index = LineIndex(source)
    taken: list[Edit] = []
    for finding in sorted(findings, key=lambda f: f.span):
        fix = finding.fix
        if fix is None or not fix.edits or (fix.applicability != "safe" and not unsafe):
            continue
        if any(_overlaps(e.span, t.span) or e.span == t.span for e in fix.edits for t in taken):
            continue
        taken.extend(fix.edits)
    pieces = sorted(
        ((index.offset_of(e.span.line, e.span.column), index.offset_of(e.span.end_line, e.span.end_column), e.content)
         for e in taken),
        reverse=True,
    )
    out = source
    for start, end, content in pieces:
        out = out[:start] + content + out[max(start, end):]
    return out


def apply_fixes(source: str, findings: list[Finding], unsafe: bool = False) -> str:
    """Use the shared fixer when it exists, else the local fallback."""
    try:
        from ..fixes import apply_fixes as shared  # type: ignore[attr-defined]
    except Exception:
        shared = None
    if shared is not None:
        try:
            result = shared(source, findings, unsafe=unsafe)
            if isinstance(result, str):
                return result
            text = getattr(result, "source", None) or getattr(result, "text", None)
            if isinstance(text, str):
                return text
        except Exception:
            pass
    return apply_edits_fallback(source, findings, unsafe=unsafe)


# --- ignore comments ------------------------------------------------------------------------
def ignore_edit(index: LineIndex, line: int, code: str) -> types.TextEdit:
    """Add `code` to the line's `# gradls: ignore[...]` comment, or append one."""
    text = index.line_text(line - 1)
    match = IGNORE_COMMENT.search(text)
    if match:
        codes = [c.strip() for c in match.group(1).split(",") if c.strip()]
        if code not in codes:
            codes.append(code)
        new = f"# gradls: ignore[{', '.join(codes)}]"
        span = Span(line, match.start() + 1, line, match.end() + 1)
        return types.TextEdit(range=index.range(span), new_text=new)
    stripped = len(text.rstrip())
    span = Span(line, stripped + 1, line, len(text) + 1)
    return types.TextEdit(range=index.range(span), new_text=f"  # gradls: ignore[{code}]")


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


def _matches_diagnostic(finding: Finding, diag: types.Diagnostic, index: LineIndex) -> bool:
    return diag.source == SOURCE and diag.code == finding.code and diag.range == index.range(finding.span)


def fix_all_edit(analysis: Analysis) -> types.TextEdit | None:
    fixed = apply_fixes(analysis.source, analysis.findings, unsafe=False)
    return minimal_edit(analysis.source, fixed, analysis.index)


def has_safe_fix(analysis: Analysis) -> bool:
    return any(f.fix is not None and f.fix.applicability == "safe" and f.fix.edits for f in analysis.findings)


def code_actions(
    analysis: Analysis,
    params: types.CodeActionParams,
    *,
    resolve_edits: bool,
    versioned: bool,
) -> list[types.CodeAction]:
    uri, version, index = analysis.uri, analysis.version, analysis.index
    only = list(params.context.only) if params.context and params.context.only else None
    start = index.to_line_column(params.range.start)
    end = index.to_line_column(params.range.end)
    context_diags = list(params.context.diagnostics or []) if params.context else []
    actions: list[types.CodeAction] = []

    wants_quickfix = kind_wanted(QUICKFIX, only)
    if wants_quickfix:
        for finding in analysis.findings:
            if finding.code == "GRD000":
                continue
            matching = [d for d in context_diags if _matches_diagnostic(finding, d, index)]
            if not matching and not spans_overlap(finding.span, start, end):
                continue
            diagnostic = matching[0] if matching else None
            diags = [diagnostic] if diagnostic else None
            if finding.fix is not None and finding.fix.edits:
                actions.append(
                    types.CodeAction(
                        title=fix_title(finding),
                        kind=QUICKFIX,
                        diagnostics=diags,
                        is_preferred=finding.fix.applicability == "safe",
                        edit=workspace_edit(uri, version, edits_to_lsp(finding.fix.edits, index), versioned),
                    )
                )
            actions.append(
                types.CodeAction(
                    title=f"Ignore {finding.code} for this line",
                    kind=QUICKFIX,
                    diagnostics=diags,
                    edit=workspace_edit(uri, version, [ignore_edit(index, finding.span.line, finding.code)], versioned),
                )
            )

    if kind_wanted(FIX_ALL_KIND, only) and has_safe_fix(analysis):
        action = types.CodeAction(
            title=f"{SOURCE}: Fix all auto-fixable problems",
            kind=FIX_ALL_KIND,
            data={"uri": uri, "version": version, "action": "fixAll"},
        )
        if not resolve_edits:
            resolve_fix_all(action, analysis, versioned)
        actions.append(action)
    return actions


def resolve_fix_all(action: types.CodeAction, analysis: Analysis, versioned: bool) -> types.CodeAction:
    edit = fix_all_edit(analysis)
    action.edit = workspace_edit(analysis.uri, analysis.version, [edit] if edit else [], versioned)
    return action
