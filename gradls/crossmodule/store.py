"""What the cross-module pass has learnt, in memory and (for `gradls check`) on disk.

Every entry carries the content hashes of the files it was computed from and is used only
while they all still match, so edits anywhere in a chain of imports are seen:

* locations: (importer folder, module, name) -> (defining file, line, name) or "none";
* exports:   (file content hash, file) -> {symbol: ExternalFunction | ExternalClass};
* importers: file -> (its content key, the files its findings depended on), for the
  result cache of `gradls check`.

On disk: `.gradls_cache/crossmodule-<salt>.pickle`, the salt made of gradls' version, its code
fingerprint, jedi's version and a format number; any other file is ignored. The folder is
the one `gradls check` already writes (with a `*` .gitignore); the pickle is only ever read
from there.

Saving prunes: entries that can never match again (a file they depend on is gone or has
other content; an importer whose content changed; an importer folder that is gone) are
dropped, and `crossmodule-*.pickle` files of other salts in the folder are deleted.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from .. import __version__

FORMAT = 1


def _salt() -> str:
    from ..cache import _code_fingerprint

    try:
        import jedi

        jedi_version = jedi.__version__
    except ImportError:  # pragma: no cover - jedi is a dependency
        jedi_version = "-"
    text = f"{FORMAT}|{__version__}|{_code_fingerprint()}|{jedi_version}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Store:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.name = f"crossmodule-{_salt()}.pickle"
        self.locations: dict[str, tuple] = {}
        self.exports_: dict[tuple[str, str], tuple] = {}
        self.importers: dict[str, tuple] = {}
        self.dirty = False
        self.loaded = False
        if self.folder is not None:
            self._load()

    # ----- entries -------------------------------------------------------------------------

    @staticmethod
    def _valid(deps: dict, hash_of) -> bool:
        return all(hash_of(path) == digest for path, digest in deps.items())

    def location(self, key: str, hash_of):
        """The stored answer ((path, line, name), or () for "not in the project"), or None."""
        entry = self.locations.get(key)
        if entry is None or not self._valid(entry[1], hash_of):
            return None
        return entry[0] if entry[0] is not None else ()

    def set_location(self, key: str, found, deps: dict) -> None:
        self.locations[key] = (found, deps)
        self.dirty = True

    def exports(self, digest: str, path: str, hash_of):
        entry = self.exports_.get((digest, path))
        if entry is None or not self._valid(entry[1], hash_of):
            return None
        return entry[0], entry[1]

    def set_exports(self, digest: str, path: str, exports: dict, deps: dict) -> None:
        self.exports_[(digest, path)] = (exports, deps)
        self.dirty = True

    def importer_deps(self, path: str, own_key: str):
        entry = self.importers.get(path)
        if entry is None or entry[0] != own_key:
            return None
        return entry[1]

    def set_importer_deps(self, path: str, own_key: str, deps: list[str]) -> None:
        if self.importers.get(path) != (own_key, deps):
            self.importers[path] = (own_key, deps)
            self.dirty = True

    # ----- pruning ---------------------------------------------------------------------------

    def prune(self, hash_of) -> None:
        """Drop the entries no future lookup can use, judged by today's file hashes."""
        locations = {key: entry for key, entry in self.locations.items() if self._location_live(key, entry, hash_of)}
        exports = {key: entry for key, entry in self.exports_.items()
                   if hash_of(key[1]) == key[0] and self._valid(entry[1], hash_of)}
        importers = {path: entry for path, entry in self.importers.items() if hash_of(path) == entry[0]}
        if (len(locations), len(exports), len(importers)) != (len(self.locations), len(self.exports_),
                                                              len(self.importers)):
            self.locations, self.exports_, self.importers = locations, exports, importers
            self.dirty = True

    def _location_live(self, key: str, entry: tuple, hash_of) -> bool:
        folder = key.split("|", 1)[0]
        return os.path.isdir(folder) and self._valid(entry[1], hash_of)

    def _remove_other_salts(self) -> None:
        """Caches of other gradls or jedi versions: never read by this one, so never useful."""
        for other in self.folder.glob("crossmodule-*.pickle"):
            if other.name != self.name:
                try:
                    other.unlink()
                except OSError:
                    pass  # another process's, or read-only: left for a later run

    # ----- disk ------------------------------------------------------------------------------

    def _load(self) -> None:
        try:
            with open(self.folder / self.name, "rb") as handle:
                data = pickle.load(handle)
            if data.get("format") == FORMAT:
                self.locations = data["locations"]
                self.exports_ = data["exports"]
                self.importers = data["importers"]
                self.loaded = True
        except Exception:  # noqa: BLE001 - a missing or unreadable cache is an empty one
            self.locations, self.exports_, self.importers = {}, {}, {}

    def save(self, hash_of=None) -> None:
        """Write the store (pruned first when `hash_of`, path -> content hash or None, is given)."""
        if self.folder is None:
            return
        if hash_of is not None:
            self.prune(hash_of)
        if self.dirty:
            self._write()
        self._remove_other_salts()

    def _write(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            marker = self.folder / ".gitignore"
            if not marker.exists():
                marker.write_text("# Created by gradls\n*\n", encoding="utf-8")
            data = {"format": FORMAT, "locations": self.locations, "exports": self.exports_,
                    "importers": self.importers}
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.folder / self.name)
            self.dirty = False
        except (OSError, pickle.PicklingError, RecursionError, TypeError):
            pass  # a read-only tree still gets its results, just not cached
