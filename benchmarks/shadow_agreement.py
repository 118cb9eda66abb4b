"""Agreement of the shadow pass with execution labels, on the bug bench.

    python benchmarks/shadow_agreement.py                       # ../shared/bugbench, CPU
    python benchmarks/shadow_agreement.py --bugbench DIR --device cuda --jobs 2

Runs the bench's own scorer (``shadow_score.py``: ``gradls confirm --device DEVICE
--output-format json`` on every case and on every project's entry script; the shadow pass
"says bug" when any finding's shadow status is ``confirmed`` or ``runtime_only``; the labels
come from running each case under torch) with this checkout's gradls, prints every
disagreement and then the agreement, and exits 0 (a printed number, not a timed test).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bugbench", default=os.path.join(os.path.dirname(ROOT), "shared", "bugbench"),
                    help="the bug bench folder (holds shadow_score.py); default ../shared/bugbench")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    scorer = os.path.join(a.bugbench, "shadow_score.py")
    if not os.path.isfile(scorer):
        print(f"no bug bench scorer at {scorer}", file=sys.stderr)
        return 2
    gradls = f"{shlex.quote(sys.executable)} -m gradls"
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    started = time.perf_counter()
    p = subprocess.run([sys.executable, scorer, "--gradls", gradls, "--device", a.device,
                        "--jobs", str(a.jobs)], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    sys.stdout.write(p.stdout)
    if p.returncode:
        sys.stderr.write(p.stderr[-2000:])
        return p.returncode
    m = re.search(r"shadow agreement (\d+)/(\d+)", p.stdout)
    if not m:
        print("the scorer printed no agreement line", file=sys.stderr)
        return 1
    agree, n = int(m.group(1)), int(m.group(2))
    print(f"AGREEMENT {agree}/{n} = {100.0 * agree / max(1, n):.1f}% "
          f"(device {a.device}, {wall:.0f} s wall, goal >= 97%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
