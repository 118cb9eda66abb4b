"""Which files `gradls check PATH...` reads: Python files and Jupyter notebooks, minus
.gitignore'd and excluded ones (each file's `exclude` comes from its own configuration)."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

ALWAYS_SKIPPED = {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox",
                  ".mypy_cache", ".pytest_cache", ".ruff_cache", ".gradls_cache", "node_modules",
                  "build", "dist", ".eggs", "site-packages"}


@dataclass(frozen=True)
class IgnorePattern:
    base: Path
    pattern: str
    negated: bool
    directory_only: bool
    anchored: bool

    def matches(self, path: Path, is_dir: bool) -> bool:
        if self.directory_only and not is_dir:
            return False
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:
            return False
        if self.anchored:
            return fnmatch.fnmatchcase(relative, self.pattern) or _globstar(relative, self.pattern)
        return fnmatch.fnmatchcase(path.name, self.pattern) or _globstar(relative, "**/" + self.pattern)


def _globstar(relative: str, pattern: str) -> bool:
    if "**" not in pattern:
        return False
    parts = pattern.split("**/")
    if len(parts) == 2 and parts[0] == "":
        segments = relative.split("/")
        return any(fnmatch.fnmatchcase("/".join(segments[i:]), parts[1]) for i in range(len(segments)))
    return fnmatch.fnmatchcase(relative, pattern.replace("**/", "*"))


def read_gitignore(folder: Path) -> list[IgnorePattern]:
    file = folder / ".gitignore"
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    patterns = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line[1:] if negated else line
        directory_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        patterns.append(IgnorePattern(folder, line.lstrip("/"), negated, directory_only, anchored))
    return patterns


def _ignored(path: Path, is_dir: bool, patterns: list[IgnorePattern]) -> bool:
    ignored = False
    for pattern in patterns:
        if pattern.matches(path, is_dir):
            ignored = not pattern.negated
    return ignored


def excluded(path: Path, root: Path, exclude: tuple[str, ...]) -> bool:
    """`path` matches one of the `exclude` patterns, read relative to `root` (the folder of the
    configuration that set them): a glob of the relative path or of the file name, or a folder
    prefix. The CLI's discovery and the language server both decide with this."""
    if not exclude:
        return False
    try:
        relative = path.resolve().relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    return any(fnmatch.fnmatchcase(relative, p) or fnmatch.fnmatchcase(path.name, p)
               or relative.startswith(p.rstrip("/") + "/") for p in exclude)


def python_files(paths: list[Path], root: Path, exclude: tuple[str, ...] = ()):
    """Yield (path, error) pairs: files to check, or a path that cannot be read."""
    for path in paths:
        if not path.exists():
            yield path, "no such file or directory"
        elif path.is_file():
            yield path, None  # named explicitly: checked even if ignored
        else:
            yield from _walk(path, root, exclude)


def _walk(top: Path, root: Path, exclude: tuple[str, ...]):
    inherited = []
    for parent in reversed(top.resolve().parents):
        inherited += read_gitignore(parent)
    stack = [(top, inherited)]
    while stack:
        folder, patterns = stack.pop()
        patterns = patterns + read_gitignore(folder)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            yield folder, f"cannot read directory: {err.strerror}"
            continue
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir and (entry.name in ALWAYS_SKIPPED or entry.name.endswith(".egg-info")):
                continue
            if _ignored(path, is_dir, patterns) or excluded(path, root, exclude):
                continue
            if is_dir:
                subfolders.append((path, patterns))
            elif entry.name.endswith(CHECKED_SUFFIXES) and entry.is_file():
                yield path, None
        stack.extend(reversed(subfolders))


CHECKED_SUFFIXES = (".py", ".pyi", ".ipynb")


def discover(paths: list[Path], config, force_exclude: bool = False):
    """Like `python_files`, with each file's exclusions taken from `config.for_path(path)`
    (a `gradls.config.ConfigResolver`). A file named explicitly is checked even when excluded,
    unless `force_exclude` (as ruff's `--force-exclude`, for pre-commit)."""
    seen = set()
    for path in paths:
        if not path.exists():
            yield path, "no such file or directory"
        elif not path.is_dir():
            if force_exclude and _excluded_by(path, False, config):
                continue
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                yield path, None
        else:
            if force_exclude and _excluded_by(path, True, config):
                continue
            for found, error in _walk_with(path, config):
                key = found.resolve()
                if error or key not in seen:
                    seen.add(key)
                    yield found, error


def _excluded_by(path: Path, is_dir: bool, config) -> bool:
    resolved = config.for_path(path if is_dir else path)
    return excluded(path, resolved.base, resolved.settings.exclude)


def _walk_with(top: Path, config):
    inherited = []
    for parent in reversed(top.resolve().parents):
        inherited += read_gitignore(parent)
    stack = [(top, inherited)]
    while stack:
        folder, patterns = stack.pop()
        patterns = patterns + read_gitignore(folder)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            yield folder, f"cannot read directory: {err.strerror}"
            continue
        resolved = config.for_path(folder)
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir and (entry.name in ALWAYS_SKIPPED or entry.name.endswith(".egg-info")):
                continue
            if _ignored(path, is_dir, patterns):
                continue
            if excluded(path, resolved.base, resolved.settings.exclude):
                continue
            if is_dir:
                subfolders.append((path, patterns))
            elif entry.name.endswith(CHECKED_SUFFIXES) and entry.is_file():
                yield path, None
        stack.extend(reversed(subfolders))
