"""`gradls check --fix`, `--unsafe-fixes` and `--diff`.

* `--fix` applies safe fixes in place, to a fixed point, and reports
  "Fixed N problems, M remaining." (M: findings left in the fixed files);
* `--unsafe-fixes` also applies unsafe fixes (with `--fix` or `--diff`);
* `--diff` prints a unified diff of what `--fix` would change and writes nothing; it exits
  1 when there would be changes, 0 otherwise.

Writing is careful: the file is decoded with its own encoding (PEP 263 cookie, BOM), line
breaks in the fixes follow the file's (CRLF stays CRLF), the new content goes to a
temporary file in the same folder which then replaces the original (`os.replace`), and a
file whose bytes changed on disk since it was read is left alone and reported.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..checker import _display
from ..sourcefile import NotCheckable, SourceBytes, encode_source, read_source  # noqa: F401 (re-exported)
from ..config import Settings
from ..checker import as_config, could_not_check
from ..discovery import discover
from ..engine import check_source
from ..model import Finding
from .apply import FixResult, allowed, apply_edits, fix_source
from .suppress import suppression_edit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="also apply unsafe fixes (they may change numerics or behaviour)")
    parser.add_argument("--diff", action="store_true",
                        help="print a unified diff of the fixes and write nothing (exit 1 if there are changes)")
    parser.add_argument("--fix-only", action="store_true",
                        help="apply safe fixes and report only what was fixed, not what remains (exit 0)")
    parser.add_argument("--add-ignore", action="store_true",
                        help="append `# gradls: ignore[CODE]` to every line with a finding (like ruff --add-noqa)")
    parser.set_defaults(fix_handler=run_fix)


# --------------------------------------------------------------------------------------
# reading and writing one file
# --------------------------------------------------------------------------------------


NotText = NotCheckable  # the name this module used before notebooks


class ChangedOnDisk(Exception):
    pass


def write_source(source: SourceBytes, text: str) -> None:
    """Atomically replace the file with `text`, unless it changed since `source` was read."""
    data = encode_source(source, text)
    path = source.path
    _ensure_unchanged(source)
    folder = path.parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".gradls-tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except OSError:
            pass
        _ensure_unchanged(source)  # the last moment before the rename
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _ensure_unchanged(source: SourceBytes) -> None:
    try:
        info = source.path.stat()
        now = source.path.read_bytes()
    except OSError as err:
        raise ChangedOnDisk(f"cannot re-read: {err.strerror or err}") from None
    if now != source.raw or info.st_size != source.size or info.st_mtime_ns != source.mtime_ns:
        raise ChangedOnDisk("changed on disk while being fixed; not overwritten")


# --------------------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------------------


@dataclass
class FixRun:
    fixed: int = 0
    remaining: list[Finding] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    changed_files: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    hidden_unsafe: int = 0
    not_converged: list[str] = field(default_factory=list)
    failed: list[Finding] = field(default_factory=list)
    applied: dict[str, list[Finding]] = field(default_factory=dict)
    notebooks: dict = field(default_factory=dict)
    fixed_texts: dict[str, str] = field(default_factory=dict)


def compute_fix(source: SourceBytes, shown: str, settings: Settings, unsafe: bool, resolver=None) -> FixResult:
    """The fixed text of one file (kept separate so tests can intervene between read and write)."""
    return fix_source(source.text, shown, settings, unsafe=unsafe, resolver=resolver)


def run_fix(args, settings, root: Path, cache=None, resolver=None) -> int:
    """`settings`: a Settings for every file or a `gradls.config.ConfigResolver` (each file its own);
    `resolver`: the cross-module pass `gradls check` uses (None: each file alone)."""
    config = as_config(settings, root.resolve())
    if getattr(args, "add_ignore", False):
        return run_add_ignore(args, config, root, resolver)
    unsafe = bool(getattr(args, "unsafe_fixes", False))
    write = bool(args.fix) and not args.diff
    run = FixRun()
    if getattr(args, "stdin", False):
        return _fix_stdin(args, config, unsafe, write, run, resolver)
    readable = []
    for path, error in discover([Path(p) for p in args.paths], config, getattr(args, "force_exclude", False)):
        shown = _display(path)
        if error:
            _unchecked(run, shown, error)
            continue
        try:
            readable.append((path, shown, read_source(path)))
        except NotCheckable as err:
            _unchecked(run, shown, str(err))
        except OSError as err:
            _unchecked(run, shown, f"cannot read: {err.strerror or err}")
    first = getattr(resolver, "checks_first", None)
    if first is not None:  # as `gradls check`: what the training scripts show of other files is known first
        readable.sort(key=lambda item: not first(item[2].text))
    for path, shown, source in readable:
        _fix_one(source, shown, config.for_path(path).settings, unsafe, write, run, resolver)
    if cache is not None:
        cache.save()
    return _report(args, run, unsafe, write)


def _unchecked(run: FixRun, shown: str, reason: str) -> None:
    run.problems.append(f"{shown}: {reason}")
    run.remaining.append(could_not_check(shown, reason))


def _fix_stdin(args, config, unsafe: bool, write: bool, run: FixRun, resolver) -> int:
    """`gradls check - --fix`: the fixed source goes to stdout (in the input's encoding), the
    report to stderr, like ruff."""
    from ..sourcefile import source_from_bytes

    raw = sys.stdin.buffer.read()
    shown = getattr(args, "stdin_filename", None) or "-"
    settings = config.for_path(Path.cwd() / shown).settings
    try:
        source = source_from_bytes(Path(shown), raw)
    except NotCheckable as err:
        sys.stdout.buffer.write(raw)  # nothing is lost
        sys.stdout.flush()
        print(f"gradls: {shown}: {err}", file=sys.stderr)
        return 2
    _fix_one(source, shown, settings, unsafe, False, run, resolver)
    if args.diff:
        return _report(args, run, unsafe, False)
    else:
        fixed = run.fixed_texts.get(shown, source.text)
        sys.stdout.flush()
        sys.stdout.buffer.write(encode_source(source, fixed) if fixed != source.text else raw)
        sys.stdout.flush()
    saved = sys.stdout
    sys.stdout = sys.stderr  # the report must not mix with the source
    try:
        return _report(args, run, unsafe, True, stdin=True)
    finally:
        sys.stdout = saved


def add_ignores(text: str, findings: list[Finding]) -> tuple[str, int]:
    """`text` with a suppression comment for each finding (merged per line), and how many were added."""
    added = 0
    for finding in findings:
        edit = suppression_edit(text, finding)  # re-read each time: several codes can share a line
        if edit is not None:
            text = apply_edits(text, [edit])
            added += 1
    return text, added


def run_add_ignore(args, settings, root: Path, resolver=None) -> int:
    config = as_config(settings, root.resolve())
    added, problems = 0, []
    for path, error in discover([Path(p) for p in args.paths], config, getattr(args, "force_exclude", False)):
        shown = _display(path)
        try:
            if error:
                raise OSError(error)
            source = read_source(path)
            findings = [f for f in check_source(source.text, shown, config.for_path(path).settings, resolver=resolver)
                        if f.code != "GRD000"]
            text, count = add_ignores(source.text, findings)
            if count:
                write_source(source, text)
                added += count
        except (OSError, ChangedOnDisk, NotCheckable) as err:
            problems.append(f"{shown}: {getattr(err, 'strerror', None) or err}")
    for problem in problems:
        print(f"gradls: {problem}", file=sys.stderr)
    print(f"Added {added} ignore comment{'s' if added != 1 else ''}.")
    return 2 if problems else 0


def _fix_one(source: SourceBytes, shown: str, settings: Settings, unsafe: bool, write: bool, run: FixRun,
             resolver=None) -> None:
    findings = check_source(source.text, shown, settings, resolver=resolver)
    if any(allowed(f.fix, unsafe) for f in findings):
        result = compute_fix(source, shown, settings, unsafe, resolver=resolver)
    else:
        result = FixResult(source.text, source.text, remaining=findings)
    final_text = result.text
    notebook = source.notebook
    if result.changed and notebook is not None:
        from ..sourcefile import read_notebook

        try:  # the fixed cells, read back as the notebook they will be
            notebook = read_notebook(notebook.write(final_text).encode("utf-8"))
        except NotCheckable as err:
            run.problems.append(f"{shown}: fixes not written: {err}")
            run.remaining.extend(findings)
            run.sources[shown] = source.text
            run.notebooks[shown] = source.notebook
            return
    if notebook is not None:
        run.notebooks[shown] = notebook
        for finding in result.remaining:
            finding.message = notebook.rewrite_message(finding.message)
    if result.changed:
        run.fixed_texts[shown] = final_text
        if write:
            try:
                write_source(source, final_text)
            except ChangedOnDisk as err:
                run.problems.append(f"{shown}: {err}")
                run.remaining.extend(findings)
                run.sources[shown] = source.text
                return
            except OSError as err:
                run.problems.append(f"{shown}: cannot write: {err.strerror or err}")
                run.remaining.extend(findings)
                run.sources[shown] = source.text
                return
        else:
            if source.notebook is not None:
                run.diffs.append(notebook_diff(source.notebook, final_text, shown))
            else:
                run.diffs.append(unified_diff(source.text, final_text, shown))
        run.changed_files.append(shown)
        run.applied[shown] = list(result.applied)
    run.fixed += result.fixed
    run.failed.extend(result.failed)
    if not result.converged:
        run.not_converged.append(shown)
    run.remaining.extend(result.remaining)
    if not unsafe:
        run.hidden_unsafe += sum(1 for f in result.remaining if allowed(f.fix, True) and not allowed(f.fix, False))
    if result.remaining:
        run.sources[shown] = final_text


def unified_diff(before: str, after: str, shown: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=shown, tofile=shown)
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def notebook_diff(notebook, after: str, shown: str) -> str:
    """One unified diff per changed code cell, named `x.ipynb:cell N`."""
    before_cells = notebook.cell_sources(notebook.text)
    after_cells = notebook.cell_sources(after)
    out = []
    for cell, old, new in zip(notebook.cells, before_cells, after_cells):
        if old != new:
            out.append(unified_diff(old, new, f"{shown}:cell {cell.index + 1}"))
    return "".join(out)


def _show_fixes(run: FixRun, out) -> None:
    """`--show-fixes`: what was fixed, per file and rule (like ruff)."""
    if not run.applied:
        return
    from collections import Counter

    print(f"\nFixed {run.fixed} problem{'s' if run.fixed != 1 else ''}:", file=out)
    for shown, applied in sorted(run.applied.items()):
        print(f"- {shown}:", file=out)
        for code, count in sorted(Counter(f.code for f in applied).items()):
            message = next(f.fix.message for f in applied if f.code == code)
            print(f"    {count} × {code} ({message})", file=out)


def _report(args, run: FixRun, unsafe: bool, write: bool, stdin: bool = False) -> int:
    from ..output import render

    fmt = getattr(args, "output_format", "text")
    err = sys.stderr
    for message in run.notices + run.problems:
        print(f"gradls: {message}", file=err)
    for finding in run.failed:
        print(f"gradls: {finding.path}:{finding.line}:{finding.column}: {finding.code} fix not applied: "
              "the result would not compile (please report)", file=err)
    for shown in run.not_converged:
        print(f"gradls: {shown}: fixes did not converge after the maximum number of rounds", file=err)
    summary_out = sys.stdout if fmt == "text" else err
    if not write:
        if run.diffs:
            sys.stdout.write("".join(run.diffs))
        n = run.fixed
        summary = (f"Would fix {n} problem{'s' if n != 1 else ''} in {len(run.changed_files)} "
                   f"file{'s' if len(run.changed_files) != 1 else ''}." if n else "No fixes available.")
        if run.hidden_unsafe:
            summary += f" ({run.hidden_unsafe} more with `--unsafe-fixes`.)"
        print(summary, file=err)
        if run.problems:
            return 2
        return 1 if run.changed_files else 0
    quiet = getattr(args, "quiet", False)
    fix_only = getattr(args, "fix_only", False)
    if getattr(args, "show_fixes", False):
        _show_fixes(run, summary_out)
    if not fix_only:
        from ..output import use_colour

        colour = fmt in ("text", "concise", "grouped") and not stdin and use_colour(sys.stdout)
        output = render(run.remaining, fmt, run.sources, fixable_hint=False, notebooks=run.notebooks,
                        colour=colour, summary=not quiet)
        if output:
            print(output)
    n, m = run.fixed, len(run.remaining)
    summary = f"Fixed {n} problem{'s' if n != 1 else ''}" + ("." if fix_only else f", {m} remaining.")
    if run.hidden_unsafe and not fix_only:
        summary += f"\n{run.hidden_unsafe} more fixable with `--unsafe-fixes`."
    if not quiet:
        print(summary, file=summary_out)
    if run.problems:
        return 2
    if getattr(args, "exit_non_zero_on_fix", False) and n:
        return 1
    if fix_only:
        return 0
    return 0 if getattr(args, "exit_zero", False) or not run.remaining else 1
