"""Results of `gradls check` kept between runs, keyed by file content, settings and version."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from . import __version__
from .config import Settings
from .model import Finding, finding_from_json


def _code_fingerprint() -> str:
    """Size and mtime of gradls' own modules, so an edited checkout never reads stale results."""
    package = Path(__file__).parent
    stats = []
    for path in sorted(package.rglob("*.py")):
        try:
            info = path.stat()
        except OSError:
            continue
        stats.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("|".join(stats).encode()).hexdigest()[:16]


class ResultCache:
    def __init__(self, folder: Path | None, settings: Settings) -> None:
        self.folder = folder
        salt = f"{__version__}|{_code_fingerprint()}|{settings.cache_key()}".encode()
        self.name = f"results-{hashlib.sha256(salt).hexdigest()[:16]}.json"
        self.entries: dict[str, list] = {}
        self.dirty = False
        if folder is not None:
            self._load()

    def _load(self) -> None:
        try:
            self.entries = json.loads((self.folder / self.name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    @staticmethod
    def key(content: bytes) -> str:
        return hashlib.blake2b(content, digest_size=16).hexdigest()

    def get(self, key: str, path: str) -> list[Finding] | None:
        cached = self.entries.get(key)
        if cached is None:
            return None
        findings = []
        for item in cached:
            finding = finding_from_json(item)
            finding.path = path
            findings.append(finding)
        return findings

    def put(self, key: str, findings: list[Finding]) -> None:
        self.entries[key] = [f.to_json() for f in findings]
        self.dirty = True

    def save(self) -> None:
        if self.folder is None or not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            marker = self.folder / ".gitignore"
            if not marker.exists():
                marker.write_text("# Created by gradls\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.entries, handle)
            os.replace(tmp, self.folder / self.name)
        except OSError:
            pass  # a read-only tree still gets its results, just not cached
