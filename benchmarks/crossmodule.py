"""What the cross-module pass (gradls/crossmodule, jedi) adds, and what it costs.

    python benchmarks/crossmodule.py            # prints a table; --write puts it in RESULTS.md

* findings with and without the pass on the fixture projects (fixtures/projects/*) and on
  the real-library corpus (.corpus/src/<library>, each library its own project root);
* cost, each measurement in a fresh process (CPU seconds of that process, imports excluded):
  single-file pass; cross-module pass with empty caches (cold); cross-module pass with the
  persisted `.gradls_cache/crossmodule-*.pickle` of the previous run (warm store, findings
  recomputed); and the whole `gradls check` re-run on an unchanged tree (result cache);
* jedi's cold start: the first `goto` in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / ".corpus" / "src"
PROJECTS = ROOT / "fixtures" / "projects"
HEADING = "## Cross-module pass"
NOTES = """\
- Default: on in `gradls check` (`--no-cross-module` turns it off). Cold it costs about four
  times the single-file pass on the corpus (jedi's look-ups and the analyses of imported files),
  with the persisted store under twice, and a re-run on an unchanged tree is served by the
  result cache (keyed by the content of the file and of every file its findings depended on).
  Even cold it stays above the engine's throughput goal (>= ~25k lines per CPU-second).
- Most names are answered without jedi: names whose top-level module is not a file or package
  of the project are refused by a file-existence check, and a name the module file itself
  defines once at top level (`def`/`class`) is read from its syntax tree; jedi (`goto` with
  `follow_imports`) handles re-exports, star imports and aliases.
- Module-level instances and aliases of another file cross files too (`model = Net()`,
  `criterion = nn.MSELoss()`, `loss_fn = functools.partial(F.mse_loss, ...)`, `loss_fn = my_loss`
  bound once at top level): calling one is a module, loss or function call in the importer, and
  `model.parameters()`, `model.to(...)` and its methods are followed. The persisted store is
  pruned on save (entries whose files are gone or changed, caches of other versions).
- Installed libraries (gradls/crossmodule/library.py): a call of a name from a package that is
  neither the project's nor known by the engine's tables (torch, numpy, stdlib) is typed by
  jedi's inference: an `nn.Module` instance (`timm.create_model(...)`, a library model class)
  becomes a gradient source, a `numpy.ndarray` or Python number result a round trip out of
  autograd. One jedi inference per name per project, persisted in the store and invalidated
  when the library files it came from change (column "library look-ups"). Projects and corpus
  run with `fixtures/libraries` on PYTHONPATH (the stand-in `zoo` package of the fixtures).
- A function or class defined in an `if`/`try`/`with` block is followed when that is its only
  binding in the file. Not followed: a name bound more than once in its file (two branches, a
  `def` as an import's fallback: which one runs is decided at import time); a tensor's own type
  (jedi cannot infer `model(x)` or `.detach()` results; the flow summaries carry a list of
  tensors, a scalar, a module across files instead). The language server's refinement reads
  other open documents from their buffers, and an edit of one open file refines again the open
  documents that import it.
"""


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".gradls_cache" not in p.parts)


def measure(root: str, mode: str, store: str | None) -> dict:
    """Runs in a child process: check every file under `root` in `mode`."""
    from gradls.crossmodule import ProjectResolver, Store
    from gradls.engine import check_source

    root_path = Path(root)
    files = [(p, p.read_text(encoding="utf-8", errors="replace")) for p in python_files(root_path)]
    resolver = None
    start = time.process_time()
    if mode != "single":
        resolver = ProjectResolver(root_path, Store(Path(store) if store else None))
    findings = []
    for path, text in files:
        for f in check_source(text, str(path), resolver=resolver):
            findings.append([str(path.relative_to(root_path)), f.line, f.code, f.message])
    if resolver is not None:
        resolver.save()
    cpu = time.process_time() - start
    lines = sum(t.count("\n") + 1 for _, t in files)
    return {"cpu": cpu, "lines": lines, "files": len(files), "findings": findings,
            "stats": resolver.stats if resolver else {},
            "store_loaded": bool(resolver and resolver.store.loaded)}


def jedi_cold_start() -> dict:
    """Runs in a child process: the first and second resolution through jedi."""
    from gradls.crossmodule import resolver_for

    project = PROJECTS / "pos_model_forward_no_grad"
    resolver = resolver_for(project)
    times = []
    for name in ("nets.Encoder", "losses.embedding_loss"):
        resolver.store.locations.clear()
        start = time.perf_counter()
        resolver._locate(str(project / "train.py"), *name.rsplit(".", 1))
        times.append(time.perf_counter() - start)
    import jedi

    start = time.perf_counter()
    jedi.Script("import torch\ntorch.nn.Linear", path=str(project / "train.py")).infer(2, 12)
    torch_infer = time.perf_counter() - start
    return {"first_goto_s": times[0], "second_goto_s": times[1], "first_torch_infer_s": torch_infer}


def child(*args: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT / "fixtures" / "libraries")}
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.splitlines()[-1])


def cli_rerun(root: Path) -> float:
    """`gradls check` twice on a copy-free tree with a private cache folder: the second run's CPU."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pyproject.toml").write_text("[tool.gradls]\n")
        cmd = [sys.executable, "-m", "gradls", "check", "--exit-zero", "--output-format", "json",
               "--config", str(Path(tmp) / "pyproject.toml"), str(root)]
        subprocess.run(cmd, capture_output=True, cwd=tmp, check=True)
        start = os.times()
        subprocess.run(cmd, capture_output=True, cwd=tmp, check=True)
        end = os.times()
        return (end.children_user - start.children_user) + (end.children_system - start.children_system)


def project_rows() -> tuple[list[str], dict]:
    single_total = cross_total = 0
    rows = []
    for project in sorted(p for p in PROJECTS.iterdir() if p.is_dir()):
        single = child("--measure", str(project), "single")
        cross = child("--measure", str(project), "cross")
        single_total += len(single["findings"])
        cross_total += len(cross["findings"])
        rows.append(f"| {project.name} | {len(single['findings'])} | {len(cross['findings'])} |")
    return rows, {"single": single_total, "cross": cross_total}


def corpus_rows() -> tuple[list[str], list[dict]]:
    rows, details = [], []
    totals = {"lines": 0, "single": 0.0, "cold": 0.0, "warm": 0.0, "rerun": 0.0, "fs": 0, "fc": 0}
    if not CORPUS.is_dir():  # fetched once, as benchmarks/engine.py does
        subprocess.run([str(ROOT.parent / "shared" / "tools" / "fetch-corpus"), str(CORPUS.parent)], check=True)
    for lib in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        single = child("--measure", str(lib), "single")
        with tempfile.TemporaryDirectory() as store:
            cold = child("--measure", str(lib), "cross", store)
            warm = child("--measure", str(lib), "cross", store)
        rerun = cli_rerun(lib)
        added = [f for f in cold["findings"] if f not in single["findings"]]
        lost = [f for f in single["findings"] if f not in cold["findings"]]
        details.append({"library": lib.name, "added": added, "lost": lost, "stats": cold["stats"],
                        "warm_stats": warm["stats"]})
        lines = single["lines"]
        rows.append(
            f"| {lib.name} | {single['files']} | {lines:,} | {len(single['findings'])} | {len(cold['findings'])} "
            f"| {single['cpu']:.2f} ({lines / single['cpu']:,.0f}) | {cold['cpu']:.2f} ({lines / cold['cpu']:,.0f}) "
            f"| {warm['cpu']:.2f} ({lines / warm['cpu']:,.0f}) | {rerun:.2f} "
            f"| {cold['stats'].get('resolve', 0)} / {cold['stats'].get('refused', 0)} / {cold['stats'].get('jedi', 0)} / {cold['stats'].get('found', 0)} "
            f"| {cold['stats'].get('library', 0)} / {warm['stats'].get('library_cached', 0)} |")
        totals["lines"] += lines
        totals["single"] += single["cpu"]
        totals["cold"] += cold["cpu"]
        totals["warm"] += warm["cpu"]
        totals["rerun"] += rerun
        totals["fs"] += len(single["findings"])
        totals["fc"] += len(cold["findings"])
    t = totals
    rows.append(
        f"| **all** | | {t['lines']:,} | {t['fs']} | {t['fc']} | {t['single']:.2f} ({t['lines'] / t['single']:,.0f}) "
        f"| {t['cold']:.2f} ({t['lines'] / t['cold']:,.0f}) | {t['warm']:.2f} ({t['lines'] / t['warm']:,.0f}) "
        f"| {t['rerun']:.2f} | | |")
    return rows, details


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--jedi", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help="replace the section in benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.measure:
        root, mode, *store = args.measure
        print(json.dumps(measure(root, mode, store[0] if store else None)))
        return 0
    if args.jedi:
        print(json.dumps(jedi_cold_start()))
        return 0

    jedi = child("--jedi")
    project_table, project_totals = project_rows()
    corpus_table, details = corpus_rows()
    lines = [
        HEADING, "",
        f"`python benchmarks/crossmodule.py --write`; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d')}. Every measurement in a fresh process; CPU seconds of that process "
        "(imports excluded), lines per CPU-second in parentheses.", "",
        "Fixture projects (fixtures/projects: a model module, a loss or helper module, a training script):", "",
        "| project | findings, single-file | findings, cross-module |", "|---|---|---|",
        *project_table,
        f"| **all** | {project_totals['single']} | {project_totals['cross']} |", "",
        "Real-library corpus (each library its own project root):", "",
        "| library | files | lines | findings single | findings cross | single-file CPU-s | cross, cold caches | "
        "cross, warm store | `gradls check` re-run (result cache) | resolve calls / refused fast / jedi look-ups / definitions found "
        "| library look-ups cold / from the store warm |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *corpus_table, "",
        f"Jedi cold start: first `goto` in a fresh process {jedi['first_goto_s'] * 1000:.0f} ms, the next "
        f"{jedi['second_goto_s'] * 1000:.1f} ms; (for comparison, a first `infer` into torch "
        f"{jedi['first_torch_infer_s']:.2f} s, which the pass never does).", "",
    ]
    lines += NOTES.splitlines() + [""]
    for d in details:
        for f in d["added"]:
            lines.append(f"- added on {d['library']}: `{f[0]}:{f[1]}` {f[2]}: {f[3][:200]}")
        for f in d["lost"]:
            lines.append(f"- lost on {d['library']}: `{f[0]}:{f[1]}` {f[2]}: {f[3][:200]}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        results = ROOT / "benchmarks" / "RESULTS.md"
        current = results.read_text()
        if HEADING in current:
            before, _, after = current.partition(HEADING)
            rest = after.split("\n## ", 1)
            current = before + text + ("\n## " + rest[1] if len(rest) > 1 else "")
        else:
            current = current.rstrip("\n") + "\n\n" + text
        results.write_text(current)
    return 0


if __name__ == "__main__":
    sys.exit(main())
