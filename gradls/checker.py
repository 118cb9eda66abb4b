"""`gradls check` over files and folders: discovery, reading, caching, the engine.

A path that cannot be checked (missing, unreadable, binary, undecodable, not a notebook)
is never passed over as clean: it becomes a GRD000 "could not check" finding and a problem
(exit code 2).
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .cache import ResultCache
from .config import ConfigResolver, ResolvedConfig, Settings
from .discovery import discover
from .engine import check_source
from .model import Finding, Span
from .rules import SYNTAX_ERROR_CODE
from .sourcefile import NotCheckable, Notebook, SourceBytes, read_source, source_from_bytes


@dataclass
class CheckRun:
    findings: list[Finding] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)   # paths that could not be checked: exit code 2
    notices: list[str] = field(default_factory=list)    # reported, not failures
    notebooks: dict[str, Notebook] = field(default_factory=dict)
    files: int = 0
    lines: int = 0


class FixedConfig:
    """One Settings for every file (callers that pass Settings instead of a ConfigResolver)."""

    def __init__(self, settings: Settings, root: Path) -> None:
        self.resolved = ResolvedConfig(settings, None, root)
        self.messages: list[str] = []

    def for_path(self, path: Path) -> ResolvedConfig:
        return self.resolved


def as_config(config, root: Path):
    return FixedConfig(config, root) if isinstance(config, Settings) else config


def could_not_check(shown: str, reason: str) -> Finding:
    return Finding(SYNTAX_ERROR_CODE, f"could not check: {reason}", Span(1, 1, 1, 1), "error", shown)


def read_text(path: Path) -> tuple[str | None, str | None, bytes | None]:
    """(text, why it cannot be checked, raw bytes); decodes like Python (BOM, coding cookie)."""
    try:
        source = read_source(path)
    except OSError as err:
        return None, f"cannot read: {err.strerror or err}", None
    except NotCheckable as err:
        return None, str(err), None
    return source.text, None, source.raw


def check_paths(paths: list[Path], config: ConfigResolver | Settings, root: Path, cache: ResultCache,
                resolver=None, force_exclude: bool = False) -> CheckRun:
    run = CheckRun()
    config = as_config(config, root)
    readable = []
    for path, error in discover(paths, config, force_exclude):
        shown = _display(path)
        if error:
            _unchecked(run, shown, error)
            continue
        try:
            source = read_source(path)
        except OSError as err:
            _unchecked(run, shown, f"cannot read: {err.strerror or err}")
            continue
        except NotCheckable as err:
            _unchecked(run, shown, str(err))
            continue
        readable.append((path, shown, source))
    # the cross-module pass: training scripts first, so what they show about the files they
    # import (root causes) is known when those files are checked, not analysed twice
    first = getattr(resolver, "checks_first", None)
    leading = 0
    if first is not None:
        readable.sort(key=lambda item: not first(item[2].text))
        leading = sum(1 for item in readable if first(item[2].text))
        resolver.deferred = set()  # training scripts whose own root causes wait for the others
    with _survivors_frozen() as collecting:
        for path, shown, source in _check_order(readable, resolver, leading):
            check_one(source, shown, config.for_path(path).settings, cache, resolver, run)
            _collect_young(collecting)
    if first is not None:
        _recheck_deferred(readable, config, cache, resolver, run)
        _root_causes_outside(readable, config, resolver, run)
    run.findings.sort(key=Finding.sort_key)
    return run


def _check_order(readable: list, resolver, leading: int):
    """`readable` in the order to check it: the first `leading` (training scripts) as they are,
    then, after each check, a file an importer just parsed or analysed, while the resolver still
    holds its tree or analysis (else it is built again), or else the next in order."""
    warm = getattr(resolver, "warm_paths", None)
    if warm is None:
        yield from readable
        return
    pending = {os.path.abspath(item[1]): item for item in readable}
    for key in list(pending)[:leading]:
        yield pending.pop(key)
    while pending:
        key = next((path for path in warm() if path in pending), None) or next(iter(pending))
        yield pending.pop(key)


@contextmanager
def _survivors_frozen():
    """Within the block, the collector runs only between files: what outlives a file's check
    (the analyses and trees the resolver keeps for importers) is moved out of its sight once,
    instead of being walked again by every later collection (measured: 6% of a project's
    check), and nothing a check still holds is walked by a collection the check's last
    allocations would start; released after the run."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield collecting
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()


def _collect_young(collecting: bool) -> None:
    """Free the cycles one file's check left, then freeze what survived (see `_survivors_frozen`)."""
    if collecting:
        gc.collect(1)
        gc.freeze()


def _recheck_deferred(readable, config, cache, resolver, run: CheckRun) -> None:
    """A training script checked before the other training scripts were known: checked again
    (rarely) when one of them reaches a break of its own."""
    deferred, resolver.deferred = resolver.deferred, None
    for path, shown, source in readable:
        absolute = os.path.abspath(shown)
        if absolute not in deferred or not resolver.confirmations_for(absolute, source.text):
            continue
        run.findings = [f for f in run.findings if f.path != shown]
        settings = config.for_path(path).settings
        findings = check_source(source.text, shown, settings, resolver=resolver)
        key = cache.key(source.raw)
        resolver.finish_file(shown, key)
        full = resolver.cache_key(shown, key)
        if full is not None:
            cache.put(f"{full}:{cache.key(settings.cache_key().encode())}", findings)
        if findings:
            run.sources[shown] = source.text
            run.findings.extend(_related_shown(f) for f in findings)


def _root_causes_outside(readable, config, resolver, run: CheckRun) -> None:
    """`gradls check train.py`: a break the training script reaches in a file not checked in this
    run (models/encoder.py) is still reported, in that file, and only that finding of it."""
    checked = {os.path.abspath(shown) for _, shown, _ in readable}
    elsewhere = sorted({path for _, shown, source in readable if resolver.checks_first(source.text)
                        for path in resolver.confirmed_files(os.path.abspath(shown))} - checked)
    for path in elsewhere:
        try:
            source = read_source(Path(path))
        except (OSError, NotCheckable):
            continue
        shown = _display(Path(path))
        findings = [_related_shown(f) for f in check_source(source.text, shown, config.for_path(Path(path)).settings,
                                                              resolver=resolver) if any(r.path for r in f.related)]
        if findings:
            run.sources[shown] = source.text
            run.findings.extend(findings)


def check_stdin(raw: bytes, filename: str | None, settings: Settings, cache: ResultCache, resolver=None) -> CheckRun:
    """`gradls check -`: the bytes read from stdin, shown (and configured) as `filename`."""
    run = CheckRun()
    shown = filename or "-"
    try:
        source = source_from_bytes(Path(shown), raw)
    except NotCheckable as err:
        _unchecked(run, shown, str(err))
        return run
    check_one(source, shown, settings, cache, resolver, run)
    return run


def check_one(source: SourceBytes, shown: str, settings: Settings, cache: ResultCache, resolver,
              run: CheckRun) -> None:
    run.files += 1
    run.lines += source.text.count("\n") + 1
    findings = [_related_shown(f) for f in _check_cached(source.text, source.raw, shown, settings, cache, resolver)]
    if source.notebook is not None:
        run.notebooks[shown] = source.notebook
        for finding in findings:
            finding.message = source.notebook.rewrite_message(finding.message)
    if findings:
        run.sources[shown] = source.text
        run.findings.extend(findings)


def _related_shown(finding: Finding) -> Finding:
    """Places in other files (a root cause's training script) named the way paths are shown."""
    if not any(r.path for r in finding.related):
        return finding
    from dataclasses import replace

    related = tuple(replace(r, path=_display(Path(r.path))) if r.path else r for r in finding.related)
    return replace(finding, related=related)


def _unchecked(run: CheckRun, shown: str, reason: str) -> None:
    run.problems.append(f"{shown}: {reason}")
    run.findings.append(could_not_check(shown, reason))


def _check_cached(text: str, raw: bytes, path: str, settings: Settings, cache: ResultCache,
                  resolver=None) -> list[Finding]:
    key = cache.key(raw)
    salt = cache.key(settings.cache_key().encode())  # files can have different configurations
    # with the cross-module pass, findings also depend on the files this one imports from
    full = resolver.cache_key(path, key) if resolver is not None else key
    cached = cache.get(f"{full}:{salt}", path) if full is not None else None
    if cached is not None:
        return cached
    findings = check_source(text, path, settings, resolver=resolver)
    if resolver is not None:
        resolver.finish_file(path, key)
        full = resolver.cache_key(path, key)
    if full is not None:
        cache.put(f"{full}:{salt}", findings)
    return findings


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
