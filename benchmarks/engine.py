"""Measures the static engine: precision/recall on the fixtures, false positives and
throughput on real libraries, against TorchFix in the same run.

    python benchmarks/engine.py [--corpus DIR] [--skip-torchfix]

Prints numbers; writes nothing else. The corpus is fetched with ../shared/tools/fetch-corpus
when DIR does not exist. TorchFix runs from its own virtual environment
(benchmarks: `python3 -m venv .venv-torchfix && .venv-torchfix/bin/pip install torchfix==0.7.0`).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradls.engine import check_source  # noqa: E402

EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")


def fixture_scores() -> None:
    tp = fp = fn = 0
    per_code = collections.defaultdict(lambda: [0, 0, 0])
    files = sorted((ROOT / "fixtures").glob("*/*.py"))
    for path in files:
        text = path.read_text()
        expected = {(code.strip(), n) for n, line in enumerate(text.splitlines(), 1)
                    for m in [EXPECT.search(line)] if m for code in m.group(1).split(",") if code.strip()}
        got = {(f.code, f.line) for f in check_source(text, str(path))}
        for code, _ in expected & got:
            per_code[code][0] += 1
        for code, _ in got - expected:
            per_code[code][1] += 1
        for code, _ in expected - got:
            per_code[code][2] += 1
        tp += len(expected & got)
        fp += len(got - expected)
        fn += len(expected - got)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"fixtures: {len(files)} files, expected findings {tp + fn}, reported {tp + fp}")
    print(f"  precision {precision:.3f}  recall {recall:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    for code in sorted(per_code):
        t, f, n = per_code[code]
        print(f"  {code}: tp {t} fp {f} fn {n}")


def corpus_files(corpus: Path) -> list[Path]:
    if not corpus.exists():
        subprocess.run([str(ROOT.parent / "shared" / "tools" / "fetch-corpus"), str(corpus)], check=True)
    return sorted((corpus / "src").rglob("*.py"))


def corpus_findings(files: list[Path], corpus: Path) -> int:
    lines = 0
    findings = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        lines += text.count("\n") + 1
        findings += [f for f in check_source(text, str(path.relative_to(corpus / "src")))
                     if f.code != "GRD000" and f.severity in ("error", "warning")]
    per_100k = len(findings) / lines * 100_000
    print(f"corpus: {len(files)} files, {lines} lines, {len(findings)} warnings/errors = {per_100k:.2f} per 100k lines")
    for f in findings:
        print(f"  {f.path}:{f.line} {f.code} {f.message[:140]}")
    return lines


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    before, start = child_cpu(), time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return child_cpu() - before, time.perf_counter() - start


def throughput(corpus: Path, lines: int, skip_torchfix: bool) -> None:
    src = corpus / "src"
    with tempfile.TemporaryDirectory() as tmp:
        cache_root = Path(tmp) / "tree"
        shutil.copytree(src, cache_root)
        (cache_root / "pyproject.toml").write_text("[tool.gradls]\n")
        gradls = [sys.executable, "-m", "gradls", "check", ".", "--exit-zero"]
        cpu, wall = timed(gradls + ["--no-cache", "--no-cross-module"], cache_root)
        print(f"gradls cold (no cache, single-file pass): {cpu:.2f} CPU-s, {wall:.2f} s wall, "
              f"{lines / cpu:,.0f} lines per CPU-second")
        x_cpu, x_wall = timed(gradls + ["--no-cache"], cache_root)
        print(f"gradls cold with the cross-module pass (default): {x_cpu:.2f} CPU-s, {x_wall:.2f} s wall, "
              f"{lines / x_cpu:,.0f} lines per CPU-second")
        timed(gradls, cache_root)  # fills the cache
        warm_cpu, warm_wall = timed(gradls, cache_root)
        print(f"gradls re-run on an unchanged tree (cache): {warm_wall:.2f} s wall, "
              f"{warm_wall / lines * 100_000:.2f} s per 100k lines")
    torchfix = ROOT / ".venv-torchfix" / "bin" / "torchfix"
    if skip_torchfix or not torchfix.exists():
        print("torchfix: skipped (create .venv-torchfix with torchfix==0.7.0 to compare)")
        return
    tf_cpu, tf_wall = timed([str(torchfix), "--select", "ALL", str(src)], ROOT)
    print(f"torchfix 0.7.0: {tf_cpu:.2f} CPU-s, {tf_wall:.2f} s wall, {lines / tf_cpu:,.0f} lines per CPU-second")
    print(f"gradls single-file pass / torchfix lines per CPU-second: {tf_cpu / cpu:.1f}x")
    print(f"gradls default (cross-module pass) / torchfix lines per CPU-second: {tf_cpu / x_cpu:.1f}x "
          f"(issue 14's goal: >= 50x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=ROOT / ".corpus")
    parser.add_argument("--skip-torchfix", action="store_true")
    args = parser.parse_args()
    fixture_scores()
    files = corpus_files(args.corpus)
    lines = corpus_findings(files, args.corpus)
    throughput(args.corpus, lines, args.skip_torchfix)


if __name__ == "__main__":
    main()
