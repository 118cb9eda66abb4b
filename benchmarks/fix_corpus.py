"""Apply every fix (safe and unsafe, to a fixed point) to the real-library corpus and the
fixtures, in memory, and check that every fixed file still compiles and that a second
pass changes nothing.

    python benchmarks/fix_corpus.py [CORPUS_DIR] [--write-results]

CORPUS_DIR defaults to .corpus/src (`../shared/tools/fetch-corpus DIR` fetches it).
With --write-results the counts replace the "Fixes" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import collections
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gradls.engine import check_source  # noqa: E402
from gradls.fixes.apply import compiles, fix_source  # noqa: E402
from gradls.fixes.cli import NotText, read_source  # noqa: E402
from gradls.fixes.apply import apply_edits  # noqa: E402
from gradls.fixes.suppress import suppression_edits  # noqa: E402
from gradls.suppression import is_suppressed, suppressions  # noqa: E402


def suppress_everything(text: str, path: Path, stats) -> bool:
    """Stress test of the suppression edit: one on the first line of every statement.

    True when the result compiles and every one of those lines is then suppressed."""
    import ast

    lines = sorted({node.lineno for node in ast.walk(ast.parse(text)) if isinstance(node, ast.stmt)})
    edits = suppression_edits(text, [(line, "GRD101") for line in lines])
    kept = [e for e in edits if e is not None]
    stats["suppression edits"] += len(kept)
    stats["suppression impossible (string/continuation)"] += len(edits) - len(kept)
    fixed = apply_edits(text, kept)
    table = suppressions(fixed)
    return compiles(fixed, str(path)) and all(is_suppressed(table, e.span.line, "GRD101") for e in kept)


def run(folder: Path, label: str) -> dict:
    stats = collections.Counter()
    by_rule = collections.Counter()
    by_safety = collections.Counter()
    broken, unstable, not_converged, failed = [], [], [], []
    start = time.monotonic()
    for path in sorted(folder.rglob("*.py")):
        try:
            text = read_source(path).text
        except (NotText, OSError):
            stats["skipped"] += 1
            continue
        stats["files"] += 1
        if not compiles(text, str(path)):
            stats["not compilable before"] += 1
            continue
        if not suppress_everything(text, path, stats):
            broken.append(f"{path} (suppression edits)")
        findings = check_source(text, str(path))
        stats["findings"] += len(findings)
        stats["findings with a fix"] += sum(1 for f in findings if f.fix)
        if not any(f.fix for f in findings):
            continue
        result = fix_source(text, str(path), unsafe=True, findings=findings)
        if not result.changed:
            continue
        stats["files changed"] += 1
        stats["fixes applied"] += result.fixed
        stats["rounds > 1"] += result.rounds > 1
        for finding in result.applied:
            by_rule[finding.code] += 1
            by_safety[finding.fix.applicability] += 1
        failed += [f"{path}:{f.line} {f.code}" for f in result.failed]
        if not result.converged:
            not_converged.append(str(path))
        if not compiles(result.text, str(path)):
            broken.append(str(path))
        again = fix_source(result.text, str(path), unsafe=True)
        if again.changed:
            unstable.append(str(path))
    stats["seconds"] = round(time.monotonic() - start, 1)
    return {"label": label, "stats": stats, "by_rule": by_rule, "by_safety": by_safety, "broken": broken,
            "unstable": unstable, "not_converged": not_converged, "failed": failed}


def table(results: list[dict]) -> str:
    rows = ["| set | files | findings | with a fix | fixes applied (safe / unsafe) | files changed | "
            "needed >1 round | not compilable after | changed by a 2nd pass | fixes refused (would not compile) |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        s = r["stats"]
        rows.append(f"| {r['label']} | {s['files']} | {s['findings']} | {s['findings with a fix']} | "
                    f"{s['fixes applied']} ({r['by_safety']['safe']} / {r['by_safety']['unsafe']}) | "
                    f"{s['files changed']} | {s['rounds > 1']} | {len(r['broken'])} | {len(r['unstable'])} | "
                    f"{len(r['failed'])} |")
    lines = ["\n".join(rows), ""]
    for r in results:
        rules = ", ".join(f"{code} {n}" for code, n in sorted(r["by_rule"].items())) or "none"
        s = r["stats"]
        lines.append(f"- {r['label']}: fixes by rule: {rules}; suppression stress test: "
                     f"`# gradls: ignore[...]` appended to the first line of every statement, "
                     f"{s['suppression edits']} edits (all files still compile, every line suppressed: "
                     f"{'yes' if not any('suppression' in b for b in r['broken']) else 'NO'}), "
                     f"{s['suppression impossible (string/continuation)']} lines refused (inside a string "
                     f"or a backslash continuation); {s['seconds']} s.")
    return "\n".join(lines)


def write_results(body: str) -> None:
    target = REPO / "benchmarks" / "RESULTS.md"
    text = target.read_text(encoding="utf-8") if target.exists() else "# Benchmark results\n"
    section = ("## Fixes\n\n`python benchmarks/fix_corpus.py --write-results`: every fix (safe and unsafe) "
               "applied to a fixed point, in memory, to each file of the real-library corpus and the "
               f"fixtures; Python {platform.python_version()}.\n\n{body}\n")
    start = text.find("\n## Fixes\n")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + section + (text[end:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    target.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else REPO / ".corpus" / "src"
    results = []
    if corpus.is_dir():
        results.append(run(corpus, f"corpus ({', '.join(sorted(p.name for p in corpus.iterdir() if p.is_dir()))})"))
    else:
        print(f"no corpus at {corpus}: fetch it with ../shared/tools/fetch-corpus", file=sys.stderr)
    results.append(run(REPO / "fixtures", "fixtures"))
    body = table(results)
    print(body)
    for r in results:
        for key in ("broken", "unstable", "not_converged", "failed"):
            for item in r[key]:
                print(f"{r['label']}: {key}: {item}")
    if "--write-results" in argv:
        write_results(body)
    return 1 if any(r["broken"] or r["unstable"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
