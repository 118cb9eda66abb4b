"""The language server's second opinion: the same engine, with the cross-module resolver.

The server publishes the single-file findings first; `refine_check` then runs in the
scheduler's one cross-module thread (never on the event loop) and the scheduler republishes
only when the findings differ and the document version is still current.

A resolver per project root (the nearest folder above the document holding pyproject.toml,
setup.py, setup.cfg or .git; else the document's folder), caches in memory only. Other
files are read from disk: unsaved edits in other open editors are not seen until saved.
"""

from __future__ import annotations

import ast
import os
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


def may_import_project_names(source: str) -> bool:
    """A cheap look at the imports: is there anything the resolver could answer for?"""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] not in SKIP_TOP):
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] not in SKIP_TOP for a in node.names):
            return True
    return False


def refine_check(source: str, path: str, settings: Settings):
    """Findings with the cross-module pass, or None when it cannot add anything here."""
    from ..engine import check_source

    if not os.path.isabs(path) or not os.path.exists(os.path.dirname(path)) \
            or not may_import_project_names(source):
        return None
    resolver = resolver_for_document(path)
    with resolver._lock:  # the document's own unsaved text, for its star imports
        resolver.overrides[os.path.abspath(path)] = source
        try:
            return check_source(source, path, settings, resolver=resolver)
        finally:
            resolver.overrides.pop(os.path.abspath(path), None)
