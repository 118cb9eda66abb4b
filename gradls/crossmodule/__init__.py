"""The cross-module pass: facts about names imported from other files of the project (jedi).

`ProjectResolver(root, Store(folder))` is the `Resolver` the engine consults
(gradls/analysis/external.py); `gradls check` builds one per run (`--no-cross-module` turns
it off) and the language server refines its first, single-file diagnostics with one in a
background thread (gradls/crossmodule/refine.py).
"""

from __future__ import annotations

from .resolver import ProjectResolver
from .store import Store


def resolver_for(root, cache_folder=None, overlay=None, share_analyses=False, files_stable=False) -> ProjectResolver:
    """A resolver for the project at `root`, persisting to `cache_folder` when given, reading
    the texts in `overlay` (path -> text) instead of those files on disk; `share_analyses`:
    a file's analysis serves both its own check and its importers (one pass over a tree);
    `files_stable`: no file changes while it lives (a file is read and hashed once)."""
    return ProjectResolver(root, Store(cache_folder), overlay, share_analyses, files_stable)


__all__ = ["ProjectResolver", "Store", "resolver_for"]
