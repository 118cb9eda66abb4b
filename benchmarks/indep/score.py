#!/usr/bin/env python3
"""Score `gradls check` on the independently written, execution-labelled cases of this folder.

    python3 benchmarks/indep/score.py [--gradls CMD] [--verbose]

`single*/` hold one-file scripts with `LABELS.json` ({file: {bug, lines, why}}); `multi*/` hold
projects, each with `LABEL.json` ({bug, root_cause: [{file, line}], why}). Labels come from running
each case with `../shared/bugbench/label.py` / `label_projects.py` (see README.md). A hit is a
diagnostic in the labelled file on a labelled line or up to 3 lines after it; any diagnostic on
a correct case is a false alarm.
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
FINDING = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):\d+: (?P<code>GRD\d{3})", re.M)


def findings(command: list, cwd: Path, target: str) -> list:
    run = subprocess.run([*command, "check", "--no-cache", "--exit-zero", "--output-format", "concise", target],
                         cwd=cwd, capture_output=True, text=True, timeout=600)
    return [(Path(m["path"]).as_posix(), int(m["line"]), m["code"]) for m in FINDING.finditer(run.stdout)]


def hit(found: list, places: list) -> bool:
    return any(Path(path).as_posix().endswith(file) and line <= at <= line + 3
               for path, at, _ in found for file, line in places)


def cases():
    """(name, folder to run in, target, bug, [(file, line)])."""
    for folder in sorted(HERE.glob("single*")):
        for name, label in sorted(json.loads((folder / "LABELS.json").read_text()).items()):
            yield f"{folder.name}/{name}", folder, name, label["bug"], [(name, line) for line in label["lines"]]
    for folder in sorted(HERE.glob("multi*")):
        for project in sorted(p for p in folder.iterdir() if (p / "LABEL.json").exists()):
            label = json.loads((project / "LABEL.json").read_text())
            places = [(place["file"], place["line"]) for place in label["root_cause"]]
            yield f"{folder.name}/{project.name}", project, ".", label["bug"], places


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gradls", default="gradls")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    command = shlex.split(args.gradls)
    tally = {"hit": 0, "miss": 0, "false alarm": 0, "quiet": 0}
    for name, cwd, target, bug, places in cases():
        found = findings(command, cwd, target)
        verdict = ("hit" if hit(found, places) else "miss") if bug else ("false alarm" if found else "quiet")
        tally[verdict] += 1
        if args.verbose or verdict in ("miss", "false alarm"):
            print(f"{verdict:11} {name} {sorted({(p, line, c) for p, line, c in found})}")
    bugs = tally["hit"] + tally["miss"]
    print(f"bugs found at their line: {tally['hit']}/{bugs}; correct cases quiet: "
          f"{tally['quiet']}/{tally['quiet'] + tally['false alarm']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
