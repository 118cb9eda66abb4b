"""The language server's second opinion: the same engine, with the cross-module resolver.

The server publishes the single-file findings first; `refine_check` then runs in the
scheduler's one cross-module thread (never on the event loop) and the scheduler republishes
only when the findings differ and the document version is still current.

A resolver per project root (the nearest folder above the document holding pyproject.toml,
setup.py, setup.cfg or .git; else the document's folder), caches in memory only. Files open
in the editor are read from their buffers (`open_texts`, unsaved edits included), the others
from disk. After an edit of one open file, the scheduler refines again the other open
documents whose import lines name it (gradls/server/scheduler.py `_refine_importers`).
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from ..config import Settings
from .library import is_library_top
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
    relative import, a top-level module that is a file or folder of the project, or an
    installed library whose calls jedi may type (gradls/crossmodule/library.py)?"""
    for match in _IMPORT_LINE.finditer(source):
        dots, module, plain = match.groups()
        if dots:
            return True
        top = (module or plain or "").split(".")[0]
        if top and is_library_top(top):
            return True
        if not top or top in SKIP_TOP:
            continue
        if resolver is None or resolver._in_project(top, path):
            return True
    return False


def refine_check(source: str, path: str, settings: Settings, open_texts=None):
    """Findings with the cross-module pass, or None when it cannot add anything here.

    `open_texts()`, when given, returns the editor's open documents (path -> text); they are
    read instead of the disk, the document's own `source` (for its star imports) included.
    A file whose break a training script of the project reaches gets that finding here, at the
    break (the training script's backward is its related information)."""
    from ..engine import check_source

    if not os.path.isabs(path) or not os.path.exists(os.path.dirname(path)):
        return None
    resolver = resolver_for_document(path)
    overlay = {**_editor_texts(open_texts), path: source}
    with resolver.overlaid(overlay):
        if (not may_import_project_names(source, resolver, path) and not resolver.confirmations_for(path, source)
                and os.path.abspath(path) not in resolver.claimed):
            return None  # nothing imported to follow, and no training script reaches a break here
        return check_source(source, path, settings, resolver=resolver)


def root_cause_files(path: str) -> list[str]:
    """Files (absolute) holding breaks the training script at `path` showed in its last
    refinement: their findings change with it (gradls/analysis/external.py `Confirmation`)."""
    if not os.path.isabs(path):
        return []
    with _lock:
        resolver = _resolvers.get(str(project_root(path)))
    return resolver.confirmed_files(path) if resolver is not None else []


def _editor_texts(open_texts) -> dict[str, str]:
    """What `open_texts()` returns, or nothing when it fails: the disk is the fallback."""
    if open_texts is None:
        return {}
    try:
        return dict(open_texts())
    except Exception:  # noqa: BLE001 - a snapshot racing an edit must not cost the refinement
        return {}


def workspace_texts(workspace) -> dict[str, str]:
    """path -> text of the documents a pygls workspace holds (the editor's buffers)."""
    texts = {}
    for document in list(workspace.text_documents.values()):
        path, text = getattr(document, "path", None), _buffer_text(document)
        if isinstance(path, str) and text is not None and os.path.isabs(path):
            texts[path] = text
    return texts


def _buffer_text(document) -> str | None:
    try:
        text = document.source
    except Exception:  # noqa: BLE001 - a document without a buffer whose file is gone
        return None
    return text if isinstance(text, str) else None
