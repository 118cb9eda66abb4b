"""The engine as the server calls it: one incremental checker per open document.

An edit re-analyses only what it touched (gradls.engine.DocumentChecker). Closing a document
drops its checker (syntax tree and analysis records are the bulk of the server's memory) but
keeps its last findings, keyed by its text and settings, so reopening an unchanged file
answers without analysing it again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from ..config import Settings
from ..model import Finding

MAX_OPEN = 8       # checkers kept (documents beyond that fall back to a fresh analysis)
MAX_CLOSED = 64    # closed documents whose findings are remembered


class CheckerPool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: OrderedDict = OrderedDict()    # path -> DocumentChecker
        self._last: dict = {}                      # path -> (text, settings, findings) of its latest check
        self._closed: OrderedDict = OrderedDict()  # (path, settings, text digest) -> findings

    def check(self, source: str, path: str, settings: Settings) -> list[Finding]:
        remembered = self._remembered(source, path, settings)
        if remembered is not None:
            return remembered
        findings = self._checker_for(path).check(source, settings)
        with self._lock:
            self._last[path] = (source, settings, findings)  # hashed only on close, not per keystroke
        return findings

    def close(self, path: str) -> None:
        with self._lock:
            self._open.pop(path, None)
            last = self._last.pop(path, None)
            if last is not None:
                source, settings, findings = last
                self._closed[_key(source, path, settings)] = findings
                while len(self._closed) > MAX_CLOSED:
                    self._closed.popitem(last=False)

    def _remembered(self, source: str, path: str, settings: Settings) -> list[Finding] | None:
        with self._lock:
            if path in self._open:
                return None
            findings = self._closed.pop(_key(source, path, settings), None)
        return list(findings) if findings is not None else None

    def _checker_for(self, path: str):
        from ..engine import DocumentChecker

        with self._lock:
            checker = self._open.pop(path, None) or DocumentChecker(path)
            self._open[path] = checker
            while len(self._open) > MAX_OPEN:
                evicted, _ = self._open.popitem(last=False)
                self._last.pop(evicted, None)
            return checker


def _key(source: str, path: str, settings: Settings) -> tuple:
    digest = hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return (path, settings.cache_key(), digest)
