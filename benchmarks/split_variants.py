"""Multi-file variants of the single-file development cases, made mechanically.

Each execution-labelled positive case of `../shared/bugbench`, `benchmarks/probes` and
`benchmarks/probes2` is split in two: its classes and helper functions go to `lib.py` (with the
file's imports), the rest stays in `train.py`, which imports them. With `--all`, the functions
that train (call backward or step) move too: the script only builds and calls. The bug is the
same code, so it is the same bug; a variant whose script fails with NameError (a moved function
reading a global of the script) is left out with `--run`, which executes each variant first.

For each variant whose single-file case gradls finds at its labelled line, it asks: is it still
found at that line, now in `lib.py`? Misses name what the cross-module pass cannot follow yet.

    python benchmarks/split_variants.py [--all] [--run] [--gradls PATH] [--out DIR]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = [ROOT.parent / "shared" / "bugbench", ROOT / "benchmarks" / "probes", ROOT / "benchmarks" / "probes2"]


def _trains(node: ast.AST, text: str) -> bool:
    segment = ast.get_source_segment(text, node) or ""
    return "backward(" in segment or ".step(" in segment


def split(text: str, move_training: bool):
    """(lib text, train text, original line -> lib line), or None when nothing moves."""
    tree = ast.parse(text)
    lines = text.splitlines()
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    moved = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
             and (move_training or not _trains(n, text))]
    if not moved:
        return None
    lib, mapping, moved_lines = [], {}, set()
    for node in [*imports, *moved]:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        for number in range(first, node.end_lineno + 1):
            lib.append(lines[number - 1])
            mapping[number] = len(lib)
            if node in moved:
                moved_lines.add(number)
        lib.append("")
    importing = f"from lib import {', '.join(n.name for n in moved)}"
    last_import = max((n.end_lineno for n in imports), default=0)
    train = [importing] if last_import == 0 else []
    for number, line in enumerate(lines, 1):
        if number not in moved_lines:
            train.append(line)
        if number == last_import:
            train.append(importing)
    return "\n".join(lib) + "\n", "\n".join(train) + "\n", mapping


def variants(out: Path, move_training: bool) -> list[tuple]:
    found = []
    for root in SETS:
        for manifest in sorted(root.glob("manifest-*.json")):
            for case in json.loads(manifest.read_text()):
                if not case.get("bug") or not case.get("lines"):
                    continue
                path = root / case["file"]
                made = split(path.read_text(), move_training)
                if made is None:
                    continue
                lib, train, mapping = made
                at = [mapping[line] for line in case["lines"] if line in mapping]
                if not at:
                    continue  # the labelled line stays in the script: no cross-file case
                folder = out / path.stem
                folder.mkdir(parents=True)
                (folder / "lib.py").write_text(lib)
                (folder / "train.py").write_text(train)
                found.append((path, case["lines"], folder, at))
    return found


def _hits(diagnostic: dict, lines: list[int]) -> bool:  # as ../shared/bugbench/score.py counts one
    start, end = int(diagnostic["line"]), int(diagnostic.get("end_line") or diagnostic["line"])
    return any(start <= line <= end or line <= start <= line + 3 for line in lines)


def _check(folder: Path, target: str, gradls: str) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=gradls)
    done = subprocess.run([sys.executable, "-m", "gradls", "check", "--no-cache", "--exit-zero",
                           "--output-format", "json", target], cwd=folder, capture_output=True, text=True, env=env)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true", help="move the training functions too")
    parser.add_argument("--run", action="store_true", help="execute each variant; leave out NameError ones")
    parser.add_argument("--gradls", default=str(ROOT), help="the gradls checkout to measure")
    parser.add_argument("--out", default=None, help="where the variants are written (a temporary folder)")
    args = parser.parse_args()
    out = Path(args.out or f"/tmp/gradls-split-variants{'-all' if args.all else ''}")
    shutil.rmtree(out, ignore_errors=True)
    found = missed = skipped = 0
    for path, lines, folder, at in variants(out, args.all):
        if args.run:
            done = subprocess.run([sys.executable, "train.py"], cwd=folder, capture_output=True, text=True, timeout=300)
            if "NameError" in done.stderr:
                skipped += 1
                continue
        if not any(_hits(d, lines) for d in _check(path.parent, path.name, args.gradls)):
            continue  # not found in its single-file form either
        diagnostics = _check(folder, ".", args.gradls)
        if any(_hits(d, at) for d in diagnostics if Path(d["path"]).name == "lib.py"):
            found += 1
        else:
            missed += 1
            got = [(Path(d["path"]).name, d["line"], d["code"]) for d in diagnostics][:4]
            print(f"MISS {folder.name}: lib.py lines {at}, reported {got}")
    print(f"found at the root cause in lib.py: {found}, missed: {missed}" + (f", left out (NameError): {skipped}" if args.run else ""))


if __name__ == "__main__":
    main()
