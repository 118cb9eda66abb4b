"""`gradls check` over files and folders: discovery, reading, caching, the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .cache import ResultCache
from .config import Settings
from .discovery import python_files
from .engine import check_source
from .model import Finding


@dataclass
class CheckRun:
    findings: list[Finding] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)   # unreadable paths: exit code 2
    notices: list[str] = field(default_factory=list)    # skipped files: reported, not failures
    files: int = 0
    lines: int = 0


def read_text(path: Path) -> tuple[str | None, str | None, bytes | None]:
    """(text, reason skipped, raw bytes). Binary and non-UTF-8 files are skipped, not failed."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, f"cannot read: {err.strerror or err}", None
    if b"\x00" in raw[:8192]:
        return None, "skipped: binary file", raw
    try:
        return raw.decode("utf-8-sig"), None, raw
    except UnicodeDecodeError as err:
        return None, f"skipped: not UTF-8 text ({err.reason} at byte {err.start})", raw


def check_paths(paths: list[Path], settings: Settings, root: Path, cache: ResultCache,
                resolver=None) -> CheckRun:
    run = CheckRun()
    for path, error in python_files(paths, root, settings.exclude):
        shown = _display(path)
        if error:
            run.problems.append(f"{shown}: {error}")
            continue
        text, reason, raw = read_text(path)
        if text is None:
            target = run.problems if reason.startswith("cannot") else run.notices
            target.append(f"{shown}: {reason}")
            continue
        run.files += 1
        run.lines += text.count("\n") + 1
        findings = _check_cached(text, raw, shown, settings, cache, resolver)
        if findings:
            run.sources[shown] = text
            run.findings.extend(findings)
    return run


def _check_cached(text: str, raw: bytes, path: str, settings: Settings, cache: ResultCache,
                  resolver=None) -> list[Finding]:
    key = cache.key(raw)
    # with the cross-module pass, findings also depend on the files this one imports from
    full = resolver.cache_key(path, key) if resolver is not None else key
    cached = cache.get(full, path) if full is not None else None
    if cached is not None:
        return cached
    findings = check_source(text, path, settings, resolver=resolver)
    if resolver is not None:
        resolver.finish_file(path, key)
        full = resolver.cache_key(path, key)
    cache.put(full, findings)
    return findings


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
