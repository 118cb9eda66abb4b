"""Values of another file computed when an importer first reads them.

Importers read a handful of what a file defines: a few of its functions, the `forward` of a
class, rarely what a class's methods freeze. Summarising everything a file exports cost most
of the whole-project pass. `LazyMapping` knows its names up front and computes each value once,
when it is first read; `Deferred` does the same for one value.

Pickled (the cross-module store), both keep only what they know and lose their `compute`:
whoever loads them attaches one again (`attach`), or finds the missing values absent.
"""

from __future__ import annotations

from collections.abc import Mapping


class LazyMapping(Mapping):
    """name -> value, each computed by `compute(name)` when first read; a value of None is
    absent (the name is left out of iteration and `in`)."""

    def __init__(self, names, compute=None, known: dict | None = None) -> None:
        self.names = dict.fromkeys(names)   # ordered, as iteration gives them
        self.known: dict = dict(known or {})
        self.compute = compute

    def __getitem__(self, name: str):
        if name not in self.known:
            if name not in self.names or self.compute is None:
                raise KeyError(name)
            self.known[name] = self._compute_one(name)
        found = self.known[name]
        if found is None:
            raise KeyError(name)
        return found

    def _compute_one(self, name: str):
        return self.compute(name)

    def __iter__(self):
        return (name for name in self.names if self.get(name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:  # (without computing every value, as `len` would)
        return bool(self.names)

    def complete(self) -> bool:
        """Is every value computed (nothing lost when pickled)?"""
        return all(name in self.known for name in self.names)

    def __getstate__(self) -> dict:
        return {"names": self.names, "known": dict(self.known)}

    def __setstate__(self, state: dict) -> None:
        self.names, self.known, self.compute = state["names"], state["known"], None


class Deferred:
    """One value, computed by `compute()` when first read; `default` while it cannot be."""

    def __init__(self, compute=None, default=()) -> None:
        self.compute = compute
        self.default = default
        self.known = False
        self._value = default

    def value(self):
        if not self.known and self.compute is not None:
            self._value, self.known = self.compute(), True
        return self._value

    def __getstate__(self) -> dict:
        return {"default": self.default, "known": self.known, "value": self._value}

    def __setstate__(self, state: dict) -> None:
        self.default, self.known, self._value = state["default"], state["known"], state["value"]
        self.compute = None
