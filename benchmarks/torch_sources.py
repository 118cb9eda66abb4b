"""False positives on PyTorch's own Python sources (the installed `torch` package).

    python benchmarks/torch_sources.py

torch's internals are full of legitimate `.detach()`, `no_grad`, in-place updates and
`.item()` (optimizers, autograd tests, the compiler), so nearly every finding there is a false
positive, or a test that expects the error. Prints the findings per 100k lines and each one.
Writes nothing.
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradls.engine import check_source  # noqa: E402


def main() -> None:
    import torch

    package = Path(torch.__file__).parent
    files = sorted(package.rglob("*.py"))
    lines = 0
    findings = []
    start = time.process_time()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines += text.count("\n")
        findings += [f for f in check_source(text, str(path)) if f.code != "GRD000"]
    cpu = time.process_time() - start
    print(f"torch {torch.__version__}: {len(files)} files, {lines:,} lines, {cpu:.1f} CPU-s "
          f"({lines / cpu:,.0f} lines per CPU-second)")
    print(f"findings (syntax errors of files for newer Pythons left out): {len(findings)} = "
          f"{len(findings) * 100_000 / lines:.2f} per 100k lines")
    print("by rule:", dict(collections.Counter(f.code for f in findings)))
    for f in findings:
        print(f"  {Path(f.path).relative_to(package.parent)}:{f.line} {f.code} {f.message[:110]}")


if __name__ == "__main__":
    main()
