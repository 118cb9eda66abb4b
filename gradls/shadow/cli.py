"""``gradls confirm FILE[::FUNCTION]``: the shadow pass from the command line.

Wiring (in ``gradls/cli.py``)::

    from gradls.shadow import cli as shadow_cli
    p = subparsers.add_parser("confirm", help="run the code once and confirm findings")
    shadow_cli.add_arguments(p)
    p.set_defaults(func=shadow_cli.run)     # then: return args.func(args)

Exit status (the README's table):

* 0: the run finished (or stopped where the shadow pass stops it) and showed no problem;
* 1: some finding was confirmed, or the run showed one the static pass did not report;
* 2: the target could not be run at all: missing file, bad arguments, the worker did not
  start, or FILE::FUNCTION names no function of the file;
* 3: the run did not finish: it timed out, was killed (memory) or crashed in native code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .client import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="FILE[::FUNCTION]",
                        help="a script (run until its first backward and the optimizer step "
                             "after it) or FILE::FUNCTION (a zero-argument function)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where to run: auto = CUDA when the worker has it (default)")
    parser.add_argument("--worker", metavar="COMMAND", default=None,
                        help="start the worker with this shell command instead of a local "
                             "subprocess, e.g. \"ssh gpu-box python -m gradls.shadow.worker\"")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"wall-clock limit for the run, seconds (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--memory-limit", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        dest="memory_limit",
                        help=f"address-space limit for the run, MiB (default {DEFAULT_MEMORY_MB}; "
                             "not applied on CUDA); 0 for none")
    parser.add_argument("--report", metavar="HTML", default=None,
                        help="also write a self-contained HTML page of the run's gradient flow "
                             "(each parameter's gradient status and norm, the statement that cut it)")
    existing = getattr(parser, "_option_string_actions", {})
    if "--output-format" not in existing and "--format" not in existing:
        parser.add_argument("--output-format", choices=("text", "json"), default="text",
                            dest="format", help="output format (default text)")
        parser.add_argument("--format", choices=("text", "json"), default=argparse.SUPPRESS,
                            dest="format", help=argparse.SUPPRESS)  # the older name
    elif "--output-format" not in existing:
        parser.add_argument("--output-format", dest="format", default=argparse.SUPPRESS,
                            choices=existing["--format"].choices, help="output format")
    elif "--format" not in existing:
        parser.add_argument("--format", dest=existing["--output-format"].dest,
                            default=argparse.SUPPRESS,
                            choices=existing["--output-format"].choices, help=argparse.SUPPRESS)


def split_target(target: str) -> tuple[str, str | None]:
    if "::" in target:
        path, function = target.split("::", 1)
        return path, function or None
    return target, None


def run(args) -> int:
    from .client import confirm

    path, function = split_target(args.target)
    fmt = getattr(args, "format", "text") or "text"
    if not os.path.isfile(path):
        print(f"gradls confirm: no such file: {path}", file=sys.stderr)
        return 2
    try:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"gradls confirm: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    settings = getattr(args, "settings", None)
    if settings is None:
        try:
            from pathlib import Path

            from ..config import find_pyproject, load_pyproject_settings

            settings, _warnings = load_pyproject_settings(find_pyproject(Path(path).resolve().parent))
        except Exception:
            settings = None
    memory = getattr(args, "memory_limit", DEFAULT_MEMORY_MB) or None
    report = confirm(path, function=function, source=source, device=args.device,
                     timeout=args.timeout, memory_mb=memory, worker=args.worker,
                     settings=settings)
    report_failed = False
    if getattr(args, "report", None):  # the HTML page of the run's gradient flow
        from ..report import write_flow_report

        try:
            write_flow_report(args.report, report.to_json(), path, source)
            print(f"gradls confirm: gradient flow report written to {args.report}", file=sys.stderr)
        except OSError as exc:
            print(f"gradls confirm: cannot write {args.report}: {exc}", file=sys.stderr)
            report_failed = True
    if fmt == "json":
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(render_text(report))
    return EXIT_NOT_RUN if report_failed else exit_code(report)


EXIT_CLEAN, EXIT_FOUND, EXIT_NOT_RUN, EXIT_UNFINISHED = 0, 1, 2, 3


def exit_code(report) -> int:
    if report.outcome in ("error", "not_found"):
        return EXIT_NOT_RUN
    if report.outcome in ("timeout", "killed", "crashed", "memory"):
        return EXIT_UNFINISHED
    counts = report.counts()
    return EXIT_FOUND if counts["confirmed"] or counts["runtime_only"] else EXIT_CLEAN


_LABEL = {"confirmed": "confirmed", "refuted": "refuted", "not_reached": "not reached",
          "unverified": "unverified", "runtime_only": "run time only"}


def render_text(report) -> str:
    out = []
    for f, shadow in report.items:
        out.append(f"{f.path}:{f.span.line}:{f.span.column}: {f.code} [{_LABEL[shadow['status']]}] "
                   f"{f.message}")
        if shadow["status"] != "runtime_only":
            out.append(f"    shadow: {shadow['evidence']}")
    data = report.to_json()
    dev = data.get("device") or "?"
    wall = data.get("wall_s")
    wall_txt = f", {wall:.2f} s" if isinstance(wall, (int, float)) else ""
    out.append(f"shadow run ({dev}{wall_txt}): {data['outcome']}: {data['message']}")
    if data.get("params_without_grad"):
        names = data["params_without_grad"]
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        out.append(f"parameters without gradient after backward: {shown}")
    for note in data.get("notes", []):
        if note.startswith("address space limited"):
            continue
        out.append(f"note: {note}")
    tail = report.result.get("output_tail")
    if tail and data["outcome"] not in ("backward",):
        lines = tail.rstrip().splitlines()[-8:]
        out.append("script output (last lines):")
        out.extend("  | " + ln for ln in lines)
    c = data["counts"]
    out.append(f"{c['confirmed']} confirmed, {c['refuted']} refuted, {c['not_reached']} not reached, "
               f"{c['unverified']} unverified, {c['runtime_only']} seen only at run time")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gradls confirm")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
