"""Does the engine's incremental path hold on to memory over a long editing session?

    python benchmarks/engine_memory.py [--bursts 4] [--edits 1000]

Drives `DocumentChecker` (the language server's per-document engine) through bursts of the
edits `benchmarks/server_latency.py` sends (insert a line, revert it) on its 1,010-line file,
and prints the Python memory traced by `tracemalloc` after each burst, relative to the start,
plus the lines that grew most. A leak grows burst after burst; caches level off. (The server
benchmark reports RSS, which also holds the allocator's free arenas.)
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_latency import generate  # noqa: E402

from gradls.engine import DocumentChecker  # noqa: E402


def edit_burst(checker: DocumentChecker, source: str, count: int, first: int, rng: random.Random) -> None:
    lines = source.split("\n")
    for i in range(first, first + count):
        if i % 2 == 0:
            edited = list(lines)
            edited.insert(rng.randrange(5, len(lines) - 6), f"tmp_{i} = {i}")
            checker.check("\n".join(edited))
        else:
            checker.check(source)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bursts", type=int, default=4)
    parser.add_argument("--edits", type=int, default=1000)
    args = parser.parse_args()
    source = generate(1000)
    checker = DocumentChecker("/bench/train.py")
    rng = random.Random(3)
    edit_burst(checker, source, 200, 0, rng)  # warm-up: imports, first analysis, caches
    gc.collect()
    tracemalloc.start(5)
    start = tracemalloc.take_snapshot()
    for burst in range(1, args.bursts + 1):
        edit_burst(checker, source, args.edits, burst * args.edits, rng)
        gc.collect()
        current, _ = tracemalloc.get_traced_memory()
        print(f"after {burst * args.edits:>6} edits: {current / 2**20:6.2f} MiB traced above the start")
    print("grew most:")
    for stat in tracemalloc.take_snapshot().compare_to(start, "lineno")[:5]:
        print(f"  {stat}")


if __name__ == "__main__":
    main()
