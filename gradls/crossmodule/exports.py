"""A file's exports, each analysed when an importer first asks for it.

Importers use a handful of the names a file defines; summarising every function and class of
every imported file cost most of the whole-project pass. `Exports` knows the names from the
file's definitions and asks `compute(name, exports)` (the resolver: `export_one` on the file's
analysis) once per name. Pickled for the store, it keeps the answers it has; the resolver
attaches a `compute` again when it loads it.
"""

from __future__ import annotations

from ..analysis.lazy import LazyMapping


class Exports(LazyMapping):
    def __init__(self, module: str, names: dict[str, str], spans: dict[str, tuple[int, int]],
                 compute=None) -> None:
        super().__init__(names, compute)
        self.module = module
        self.names = names          # name -> "function", "class" or "instance" (`export_names`)
        self.spans = spans          # class name -> (first line, last line)

    def _compute_one(self, name: str):
        return self.compute(name, self)

    def qualified_names(self) -> dict[str, str]:
        """qualified name -> name, for the functions and classes, without analysing them."""
        return {f"{self.module}.{name}": name for name, kind in self.names.items() if kind != "instance"}

    def classes_around(self, line: int) -> list[str]:
        """The classes whose body holds `line` (where a method defined there is exported)."""
        return [name for name, (first, last) in self.spans.items() if first <= line <= last]

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "module": self.module, "spans": self.spans}

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.module, self.spans = state["module"], state["spans"]
