"""The language server's second opinion: the same engine, with the cross-module resolver.

The server publishes the single-file findings first; `refine_check` then runs in the
scheduler's one cross-module thread (never on the event loop) and the scheduler republishes
only when the findings differ and the document version is still current.

A resolver per project root (the nearest folder above the document holding pyproject.toml,
setup.py, setup.cfg or .git; else the document's folder), caches in memory only. Other
files are read from disk: unsaved edits in other open editors are not seen until saved.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from ..config import Settings
from .resolver import SKIP_TOP, ProjectResolver
from .store import Store

ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")

_resolvers: dict[str, ProjectResolver] = {}
_lock = threading.Lock()


def project_root(path: str) -> Path:
    folder = Path(path).resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return folder


def resolver_for_document(path: str) -> ProjectResolver:
    root = project_root(path)
    with _lock:
        resolver = _resolvers.get(str(root))
        if resolver is None:
            resolver = _resolvers[str(root)] = ProjectResolver(root, Store(None))
        return resolver


_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import\b|import[ \t]+([\w.]+))", re.MULTILINE)


def may_import_project_names(source: str, resolver: ProjectResolver | None = None, path: str = "") -> bool:
    """A cheap look at the import lines (no parse: this runs after every edit): is there a
    relative import, or a top-level module that is a file or folder of the project?"""
    for match in _IMPORT_LINE.finditer(source):
        dots, module, plain = match.groups()
        if dots:
            return True
        top = (module or plain or "").split(".")[0]
        if not top or top in SKIP_TOP:
            continue
        if resolver is None or resolver._in_project(top, path):
            return True
    return False


def refine_check(source: str, path: str, settings: Settings):
    """Findings with the cross-module pass, or None when it cannot add anything here."""
    from ..engine import check_source

    if not os.path.isabs(path) or not os.path.exists(os.path.dirname(path)):
        return None
    resolver = resolver_for_document(path)
    if not may_import_project_names(source, resolver, path):
        return None
    with resolver._lock:  # the document's own unsaved text, for its star imports
        resolver.overrides[os.path.abspath(path)] = source
        try:
            return check_source(source, path, settings, resolver=resolver)
        finally:
            resolver.overrides.pop(os.path.abspath(path), None)
