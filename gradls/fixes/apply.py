"""Applying fixes to source text: one round of non-overlapping edits, then to a fixed point.

Spans are 1-based line/column in characters, end exclusive (see `gradls.model`). Lines
are counted the way Python's tokenizer counts them (`\\r\\n`, `\\r`, `\\n`), so a form feed
or a U+2028 inside a line never shifts the edits.

The public entry points (shared by `gradls check --fix` and the language server):

* `apply_edits(text, edits) -> str` applies edits that must not overlap
  (`OverlappingEdits` otherwise);
* `apply_fixes(text, findings, unsafe=False) -> RoundResult` one round: picks the fixes
  whose applicability is allowed, skips those overlapping an earlier one (they are
  reported in `deferred`, never silently lost), and keeps the result compilable;
* `fix_source(text, path, settings, unsafe=False) -> FixResult` repeats rounds, re-running
  `check_source` on the result each time, until nothing is left to fix (at most
  `MAX_ROUNDS` rounds).
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field

from ..config import Settings
from ..model import Edit, Finding, Fix, Span

MAX_ROUNDS = 10
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class OverlappingEdits(ValueError):
    pass


# --------------------------------------------------------------------------------------
# positions
# --------------------------------------------------------------------------------------


def line_starts(text: str) -> list[int]:
    """Offsets where each 1-based line starts (index 0 is line 1)."""
    return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]


def offset_of(text: str, starts: list[int], line: int, column: int) -> int:
    """Character offset of a 1-based (line, column); positions past the end clamp to it."""
    if line < 1:
        return 0
    if line > len(starts):
        return len(text)
    begin = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    return min(begin + max(column, 1) - 1, end)


def edit_range(text: str, starts: list[int], edit: Edit) -> tuple[int, int]:
    span = edit.span
    start = offset_of(text, starts, span.line, span.column)
    end = offset_of(text, starts, span.end_line, span.end_column)
    if end < start:
        raise ValueError(f"edit ends before it starts: {span}")
    return start, end


def dominant_newline(text: str) -> str:
    """The line ending the file uses most (`\\n` when it has none)."""
    counts = {"\r\n": text.count("\r\n")}
    counts["\r"] = text.count("\r") - counts["\r\n"]
    counts["\n"] = text.count("\n") - counts["\r\n"]
    best = max(counts, key=lambda k: (counts[k], k == "\n"))
    return best if counts[best] else "\n"


def _normalize_newlines(content: str, newline: str) -> str:
    if newline == "\n" or not content:
        return content
    return _LINE_BREAK.sub(newline, content)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a == b:
        return True  # the same range (two insertions at one point: order undefined)
    return a[0] < b[1] and b[0] < a[1]


# --------------------------------------------------------------------------------------
# edits
# --------------------------------------------------------------------------------------


def apply_edits(text: str, edits, newline: str | None = None) -> str:
    """Apply `edits` (which must not overlap) to `text`.

    Line breaks inside an edit's content are written in the file's own style (`newline`,
    by default the text's dominant line ending), so a CRLF file stays CRLF.
    """
    starts = line_starts(text)
    newline = newline or dominant_newline(text)
    ranged = sorted(((edit_range(text, starts, e), i, e) for i, e in enumerate(edits)),
                    key=lambda item: (item[0], item[1]))
    for (r1, _, _), (r2, _, _) in zip(ranged, ranged[1:]):
        if _overlaps(r1, r2):
            raise OverlappingEdits(f"edits overlap at offsets {r1} and {r2}")
    out, position = [], 0
    for (start, end), _, edit in ranged:
        out.append(text[position:start])
        out.append(_normalize_newlines(edit.content, newline))
        position = end
    out.append(text[position:])
    return "".join(out)


def allowed(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and bool(fix.edits) and (fix.applicability == "safe" or unsafe)


def compiles(text: str, path: str = "<fixed>") -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


@dataclass
class RoundResult:
    text: str
    applied: list[Finding] = field(default_factory=list)    # their fixes are in `text`
    deferred: list[Finding] = field(default_factory=list)   # overlapped an applied fix: next round
    failed: list[Finding] = field(default_factory=list)     # their fix would not compile: never applied


def apply_fixes(text: str, findings: list[Finding], unsafe: bool = False, path: str = "<fixed>") -> RoundResult:
    """One round: apply every allowed fix that does not overlap an earlier one.

    A fix's edits go in together or not at all. When the source compiled before and the
    combined result does not, the fixes are retried one at a time and any that breaks
    compilation is reported in `failed`.
    """
    starts = line_starts(text)
    candidates = sorted((f for f in findings if allowed(f.fix, unsafe)), key=lambda f: (f.span, f.code))
    taken: list[tuple[int, int]] = []
    chosen: list[Finding] = []
    result = RoundResult(text)
    seen_fixes = set()
    for finding in candidates:
        key = finding.fix.edits
        if key in seen_fixes:  # two findings sharing one fix: applied once, both fixed
            chosen.append(finding)
            continue
        try:
            ranges = [edit_range(text, starts, e) for e in finding.fix.edits]
        except ValueError:
            result.failed.append(finding)
            continue
        if _self_overlapping(ranges):
            result.failed.append(finding)  # a malformed fix: never applied, reported
            continue
        if any(_overlaps(r, t) for r in ranges for t in taken):
            result.deferred.append(finding)
            continue
        taken.extend(ranges)
        chosen.append(finding)
        seen_fixes.add(key)
    if not chosen:
        return result
    new_text = _apply_findings(text, chosen)
    if compiles(new_text, path) or not compiles(text, path):
        result.text, result.applied = new_text, chosen
        return result
    # Some fix breaks compilation: keep the ones that do not, one by one.
    current, kept = text, []
    for finding in chosen:
        trial = _apply_findings(text, kept + [finding])
        if compiles(trial, path):
            kept.append(finding)
            current = trial
        else:
            result.failed.append(finding)
    result.text, result.applied = current, kept
    return result


def _self_overlapping(ranges) -> bool:
    ordered = sorted(ranges)
    return any(_overlaps(a, b) for a, b in zip(ordered, ordered[1:]))


def _apply_findings(text: str, findings: list[Finding]) -> str:
    edits, seen = [], set()
    for finding in findings:
        if finding.fix.edits in seen:
            continue
        seen.add(finding.fix.edits)
        edits.extend(finding.fix.edits)
    return apply_edits(text, edits)


# --------------------------------------------------------------------------------------
# fixed point
# --------------------------------------------------------------------------------------


@dataclass
class FixResult:
    original: str
    text: str
    applied: list[Finding] = field(default_factory=list)    # every fix applied, over all rounds
    remaining: list[Finding] = field(default_factory=list)  # findings in the fixed text
    failed: list[Finding] = field(default_factory=list)     # fixes not applied because they broke compilation
    rounds: int = 0
    converged: bool = True   # False: MAX_ROUNDS reached with fixes still applicable

    @property
    def changed(self) -> bool:
        return self.text != self.original

    @property
    def fixed(self) -> int:
        return len(self.applied)

    def fixable_remaining(self, unsafe: bool) -> list[Finding]:
        return [f for f in self.remaining if allowed(f.fix, unsafe)]


def fix_source(text: str, path: str = "<stdin>", settings: Settings | None = None, unsafe: bool = False,
               max_rounds: int = MAX_ROUNDS, findings: list[Finding] | None = None,
               resolver=None) -> FixResult:
    """Apply fixes to `text` until none is left that can be applied.

    `findings`, when given, are the findings of `text` (saves the first analysis); `resolver`
    is the cross-module pass every analysis of the file consults (None: the file alone).
    Each round re-analyses the new text, so a fix that was deferred because it overlapped
    another one is recomputed against the text it will now edit: nothing is dropped.
    """
    from ..engine import check_source

    result = FixResult(text, text)
    current = findings if findings is not None else check_source(text, path, settings, resolver=resolver)
    failed_keys: set[tuple] = set()
    seen_texts = {text}
    for _ in range(max_rounds):
        todo = [f for f in current if allowed(f.fix, unsafe) and _key(f) not in failed_keys]
        if not todo:
            break
        round_result = apply_fixes(result.text, todo, unsafe, path)
        for finding in round_result.failed:
            failed_keys.add(_key(finding))
            result.failed.append(finding)
        result.rounds += 1
        if not round_result.applied:
            break  # every remaining fix failed (the first non-failing candidate never overlaps)
        result.applied.extend(round_result.applied)
        result.text = round_result.text
        current = check_source(result.text, path, settings, resolver=resolver)
        if result.text in seen_texts:  # a fix undone by another: stop instead of cycling
            result.converged = False
            break
        seen_texts.add(result.text)
    else:
        result.converged = not any(allowed(f.fix, unsafe) and _key(f) not in failed_keys for f in current)
    result.remaining = current
    return result


def _key(finding: Finding) -> tuple:
    return (finding.code, finding.fix.edits if finding.fix else None)


def fix_span(fix: Fix, text: str) -> list[tuple[int, int]]:
    """Character ranges of a fix's edits in `text` (for tools that want to check locality)."""
    starts = line_starts(text)
    return [edit_range(text, starts, e) for e in fix.edits]


__all__ = [
    "MAX_ROUNDS", "Edit", "Finding", "FixResult", "OverlappingEdits", "RoundResult", "Span",
    "apply_edits", "apply_fixes", "compiles", "dominant_newline", "fix_source", "line_starts", "offset_of",
]
