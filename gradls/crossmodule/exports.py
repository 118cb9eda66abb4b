"""A file's exports, each analysed when an importer first asks for it.

Importers use a handful of the names a file defines; summarising every function and class of
every imported file cost most of the whole-project pass. `Exports` knows the names from the
file's definitions and asks `compute(name, exports)` (the resolver: `export_one` on the file's
analysis) once per name. Pickled for the store, it keeps the answers it has; the resolver
attaches a `compute` again when it loads it.
"""

from __future__ import annotations

from collections.abc import Mapping


class Exports(Mapping):
    def __init__(self, module: str, names: dict[str, str], spans: dict[str, tuple[int, int]],
                 compute=None) -> None:
        self.module = module
        self.names = names          # name -> "function", "class" or "instance" (`export_names`)
        self.spans = spans          # class name -> (first line, last line)
        self.known: dict = {}       # name -> its export, or None where it exports nothing
        self.compute = compute

    def __getitem__(self, name: str):
        if name not in self.known:
            if name not in self.names or self.compute is None:
                raise KeyError(name)
            self.known[name] = self.compute(name, self)
        found = self.known[name]
        if found is None:
            raise KeyError(name)
        return found

    def __iter__(self):
        return (name for name in self.names if self.get(name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:  # (without analysing every name, as `len` would)
        return bool(self.names)

    def qualified_names(self) -> dict[str, str]:
        """qualified name -> name, for the functions and classes, without analysing them."""
        return {f"{self.module}.{name}": name for name, kind in self.names.items() if kind != "instance"}

    def classes_around(self, line: int) -> list[str]:
        """The classes whose body holds `line` (where a method defined there is exported)."""
        return [name for name, (first, last) in self.spans.items() if first <= line <= last]

    def __getstate__(self) -> dict:
        return {"module": self.module, "names": self.names, "spans": self.spans, "known": dict(self.known)}

    def __setstate__(self, state: dict) -> None:
        self.module, self.names, self.spans, self.known = state["module"], state["names"], state["spans"], state["known"]
        self.compute = None
