"""Line ranges of a module's top-level statements, updated incrementally between edits.

The ignore-comment action hands `gradls.fixes.suppress.suppression_edit` only the
top-level statement around a finding (tokenizing a long file in Python 3.11 costs tens
of ms). Finding those statements needs a parse (~15 ms for 1,000 lines), so after an edit
only the changed region is parsed again:

* statements wholly above the first changed line are kept, those wholly below the last
  changed line are kept and shifted by the change in line count;
* the lines in between are parsed on their own. They start and end at top-level
  statement boundaries (a clean tokenizer state), so when they parse as a module they
  tokenize exactly as they do inside the whole file. When they do not (an `else:`
  typed after an `if`, an opened triple-quoted string), the whole text is parsed.
"""

from __future__ import annotations

import ast
import warnings
from bisect import bisect_right
from dataclasses import dataclass

from ..analysis.incremental import common_prefix, common_suffix, line_starts

Block = tuple[int, int]  # 1-based first and last line, inclusive


@dataclass(frozen=True)
class Blocks:
    source: str
    starts: list[int]
    blocks: list[Block] | None  # None: the text does not parse

    def around(self, line: int) -> Block | None:
        if not self.blocks:
            return None
        k = bisect_right(self.blocks, (line, float("inf"))) - 1
        if k >= 0 and self.blocks[k][0] <= line <= self.blocks[k][1]:
            return self.blocks[k]
        return None


def _parse(text: str, first_line: int = 1) -> list[Block] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    shift = first_line - 1
    blocks: list[Block] = []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) + shift
        last = (node.end_lineno or node.lineno) + shift
        if blocks and first <= blocks[-1][1]:  # statements sharing a line: one block
            blocks[-1] = (blocks[-1][0], max(blocks[-1][1], last))
        else:
            blocks.append((first, last))
    return blocks


def full(source: str, starts: list[int] | None = None) -> Blocks:
    return Blocks(source, starts if starts is not None else line_starts(source), _parse(source))


def _line_of(starts: list[int], offset: int) -> int:
    return bisect_right(starts, offset)  # 1-based


def update(old: Blocks | None, source: str, starts: list[int] | None = None) -> Blocks:
    """The blocks of `source`, reusing `old` (the blocks of an earlier text) where the
    text did not change."""
    starts = starts if starts is not None else line_starts(source)
    if old is None or old.blocks is None:
        return full(source, starts)
    if old.source == source:
        return Blocks(source, starts, old.blocks)
    prefix = common_prefix(old.source, source)
    suffix = common_suffix(old.source, source, min(len(old.source), len(source)) - prefix)
    first = _line_of(starts, prefix)                            # first changed line (both texts)
    old_last = _line_of(old.starts, len(old.source) - suffix)   # last changed line, old text
    delta = len(starts) - len(old.starts)
    kept = [b for b in old.blocks if b[1] < first]
    after = [(b[0] + delta, b[1] + delta) for b in old.blocks if b[0] > old_last]
    seg_first = kept[-1][1] + 1 if kept else 1
    seg_last = after[0][0] - 1 if after else len(starts)
    if seg_last < seg_first:
        return Blocks(source, starts, kept + after)
    begin = starts[seg_first - 1]
    end = starts[seg_last] if seg_last < len(starts) else len(source)
    middle = _parse(source[begin:end], seg_first)
    if middle is None:
        return full(source, starts)
    return Blocks(source, starts, kept + middle + after)
