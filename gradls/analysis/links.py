"""A dataclass field held by a weak reference, to keep an analysis free of reference cycles.

A scope lists its events and an event names its scope; a class lists its methods and a method
names its class. With strong links both ways every analysis is a cycle, which only Python's
cyclic collector frees: replaced versions then linger holding their whole syntax tree, and the
language server paused ~50 ms in a collection every few documents. With the back-link weak,
reference counting frees an analysis the moment it is replaced
(tests/test_engine_memory.py checks this on every fixture).
"""

from __future__ import annotations

import weakref


class WeakLink:
    """Use as `scope: Scope = WeakLink()` in a @dataclass: required in __init__, stored weakly.
    `WeakLink(optional=True)` makes the field default to None."""

    def __init__(self, optional: bool = False) -> None:
        self.optional = optional

    def __set_name__(self, owner, name: str) -> None:
        self.slot = f"_{name}_link"

    def __get__(self, obj, owner=None):
        if obj is None:
            if self.optional:
                return None  # tells @dataclass the default is None
            raise AttributeError("required")  # tells @dataclass the field has no default
        link = getattr(obj, self.slot)
        return link() if link is not None else None

    def __set__(self, obj, value) -> None:
        setattr(obj, self.slot, weakref.ref(value) if value is not None else None)
