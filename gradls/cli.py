"""The `gradls` command: check, rules, explain, serve, confirm."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

from . import __version__
from .cache import ResultCache
from .checker import check_paths, check_stdin
from .config import ConfigResolver, Settings, find_pyproject, unknown_code_message
from .output import FORMATS, all_rules, render, rule_for, use_colour

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """Usage errors print the usage of the subcommand they belong to."""

    def parse_args(self, args=None, namespace=None):
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            sub = getattr(self, "subparsers_by_name", {}).get(getattr(parsed, "command", None), self)
            sub.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    args.parser = parser.subparsers_by_name.get(args.command, parser)
    try:
        code = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    if argv is None and args.command == "check":
        _exit_now(code)
    return code


def _exit_now(code: int) -> None:
    """End the `gradls check` process without tearing down what it built: freeing the syntax
    trees and analyses of a big project one object at a time costs 8% of the run, and everything
    is written already (output, result cache, cross-module store)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass  # a reader that went away: nothing left to tell it
    os._exit(code)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gradls", description="Find PyTorch code that silently breaks gradient flow.")
    parser.add_argument("--version", action="version", version=f"gradls {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=argparse.ArgumentParser)
    parser.subparsers_by_name = {}

    check = commands.add_parser("check", help="check files, folders and notebooks")
    parser.subparsers_by_name["check"] = check
    check.add_argument("paths", nargs="*", default=["."],
                       help="files, folders or notebooks (.ipynb); `-` reads the source from stdin")
    check.add_argument("--output-format", choices=FORMATS, default=os.environ.get("GRADLS_OUTPUT_FORMAT", "text")
                       if os.environ.get("GRADLS_OUTPUT_FORMAT") in FORMATS else "text")
    check.add_argument("--select", help="comma-separated codes or prefixes to enable, replacing the configuration's")
    check.add_argument("--extend-select", help="comma-separated codes or prefixes to enable in addition")
    check.add_argument("--ignore", help="comma-separated codes or prefixes to disable")
    check.add_argument("--exclude", help="comma-separated glob patterns to exclude, replacing the configuration's")
    check.add_argument("--extend-exclude", help="comma-separated glob patterns to exclude in addition")
    check.add_argument("--force-exclude", action="store_true",
                       help="apply the exclusions to files named on the command line too (for pre-commit)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    check.add_argument("--exit-non-zero-on-fix", action="store_true",
                       help="with --fix/--fix-only: exit 1 when something was fixed, even if nothing remains")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    check.add_argument("--cache-dir", type=Path, default=os.environ.get("GRADLS_CACHE_DIR") or None,
                       help="where to keep the cache (default: .gradls_cache in the project; env GRADLS_CACHE_DIR)")
    check.add_argument("--config", type=Path,
                       help="a pyproject.toml (its [tool.gradls]) or a TOML file of settings, used for every file")
    check.add_argument("--stdin-filename", help="the name of the file read from stdin (`-`): shown, and used "
                                                "to find its configuration; `.ipynb` reads a notebook")
    check.add_argument("--statistics", action="store_true", help="print the number of findings per rule")
    check.add_argument("--show-fixes", action="store_true", help="with --fix: list what was fixed, per file")
    check.add_argument("-q", "--quiet", action="store_true", help="print the findings only, no summary")
    check.add_argument("--show-settings", action="store_true",
                       help="print the configuration file and settings used for the first path, and exit")
    check.add_argument("--watch", action="store_true", help="check again whenever a checked file changes")
    check.add_argument("--no-cross-module", action="store_true",
                       help="analyse each file alone (no jedi look-ups of names imported from other files)")
    _add_fix_arguments(check)
    check.set_defaults(handler=run_check)

    rules = commands.add_parser("rules", help="list the rule catalog")
    parser.subparsers_by_name["rules"] = rules
    rules.add_argument("--output-format", choices=("text", "json"), default="text")
    rules.set_defaults(handler=run_rules)

    explain = commands.add_parser("explain", help="print a rule's documentation")
    parser.subparsers_by_name["explain"] = explain
    explain.add_argument("code")
    explain.set_defaults(handler=run_explain)

    serve = commands.add_parser("serve", help="start the language server (stdio)")
    parser.subparsers_by_name["serve"] = serve
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (debugging)")
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    serve.set_defaults(handler=run_serve)

    confirm = _add_confirm(commands)
    if confirm is not None:
        parser.subparsers_by_name["confirm"] = confirm
    return parser


def _add_fix_arguments(check: argparse.ArgumentParser) -> None:
    try:
        from .fixes import cli as fix_cli
    except ImportError:
        return
    fix_cli.add_arguments(check)


def _add_confirm(commands):
    try:
        from .shadow import cli as shadow_cli
    except ImportError:
        return None
    confirm = commands.add_parser("confirm", help="prove findings by running a shadow forward/backward pass")
    shadow_cli.add_arguments(confirm)
    confirm.set_defaults(handler=shadow_cli.run)
    return confirm


# --------------------------------------------------------------------------------------
# settings from the command line
# --------------------------------------------------------------------------------------


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def cli_overrides(args) -> tuple[dict, list[str]]:
    """The settings the command line overrides, and errors (unknown rule codes)."""
    overrides, errors = {}, []
    for option in ("select", "extend_select", "ignore"):
        value = getattr(args, option, None)
        if value is None:
            continue
        codes = _split(value)
        for code in codes:
            message = unknown_code_message(code)
            if message:
                errors.append(f"--{option.replace('_', '-')}: {message}")
        overrides[option.replace("_", "-")] = codes
    if getattr(args, "exclude", None) is not None:
        overrides["exclude"] = _split(args.exclude)
    if getattr(args, "extend_exclude", None):
        overrides["extend-exclude"] = _split(args.extend_exclude)
    if overrides.get("select") == []:
        errors.append("--select: no rule code given")
    return overrides, errors


def load_settings(args, start: Path) -> tuple[Settings, Path | None, list[str]]:
    """The settings for `start` (kept for callers outside the CLI)."""
    overrides, errors = cli_overrides(args)
    config = ConfigResolver(overrides, getattr(args, "config", None))
    resolved = config.for_path(start)
    return resolved.settings, resolved.source, errors + config.messages


def _usage_error(args, message: str) -> int:
    parser = getattr(args, "parser", None)
    if parser is not None:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
    else:
        print(f"gradls: error: {message}", file=sys.stderr)
    return EXIT_ERROR


# --------------------------------------------------------------------------------------
# gradls check
# --------------------------------------------------------------------------------------


def run_check(args) -> int:
    overrides, errors = cli_overrides(args)
    if errors:
        return _usage_error(args, "\n".join(errors))
    if args.config is not None and not args.config.is_file():
        return _usage_error(args, f"--config {args.config}: no such file")
    stdin = args.paths == ["-"]
    if "-" in args.paths and not stdin:
        return _usage_error(args, "`-` (stdin) cannot be combined with other paths")
    if args.stdin_filename and not stdin:
        args.paths = args.paths if args.paths != ["."] else ["-"]
        stdin = args.paths == ["-"]
    if getattr(args, "fix_only", False):
        args.fix = True
    paths = [Path(p) for p in args.paths] if not stdin else [Path(args.stdin_filename or "-")]
    args.paths = paths
    config = ConfigResolver(overrides, args.config)
    if args.show_settings:
        return _show_settings(config, paths[0])
    if args.watch:
        if stdin:
            return _usage_error(args, "--watch cannot read stdin")
        return watch(args, paths, overrides)
    return check_once(args, paths, config, stdin)


def check_once(args, paths: list[Path], config: ConfigResolver, stdin: bool = False) -> int:
    from .discovery import discover

    for path in paths:  # load every configuration first: its errors stop the run before any check
        config.for_path(path if path.name != "-" else Path.cwd() / "-")
    if not stdin:
        list(discover(paths, config, args.force_exclude))
    settings_stdin = config.for_path(paths[0] if paths[0].name != "-" else Path.cwd() / "-").settings if stdin else None
    for message in config.messages:
        kind = "error" if message in config.errors else "warning"
        print(f"gradls: {kind}: {message}", file=sys.stderr)
    if config.errors:
        return EXIT_ERROR
    root = _project_root(paths)
    cache_dir = None if args.no_cache else (args.cache_dir or root / ".gradls_cache")
    cache = ResultCache(cache_dir, Settings())
    resolver = _cross_module_resolver(args, root, cache_dir)
    fixer = getattr(args, "fix_handler", None)
    if fixer is not None and (args.fix or args.diff or getattr(args, "add_ignore", False)):
        args.stdin = stdin
        code = fixer(args, config, root, cache, resolver)
        if resolver is not None:
            resolver.save()
        return code
    if stdin:
        raw = sys.stdin.buffer.read()
        run = check_stdin(raw, args.stdin_filename, settings_stdin, cache, resolver)
    else:
        run = check_paths(paths, config, root.resolve(), cache, resolver,
                          args.force_exclude)
    cache.save()
    if resolver is not None:
        resolver.save()
    for message in run.notices + run.problems:
        print(f"gradls: {message}", file=sys.stderr)
    colour = args.output_format in ("text", "concise", "grouped") and use_colour(sys.stdout)
    output = render(run.findings, args.output_format, run.sources, notebooks=run.notebooks, colour=colour,
                    summary=not args.quiet)
    if output:
        print(output)
    elif args.output_format in ("text", "concise", "grouped") and not run.problems and not args.quiet:
        print("All checks passed!")
    if args.statistics:
        print(statistics(run.findings), file=sys.stdout if args.output_format in ("text", "concise", "grouped")
              else sys.stderr)
    if run.problems:
        return EXIT_ERROR
    return EXIT_CLEAN if args.exit_zero or not run.findings else EXIT_FINDINGS


def statistics(findings) -> str:
    """Findings per rule, most frequent first (like ruff --statistics)."""
    counts = Counter(f.code for f in findings)
    fixable = {f.code for f in findings if f.fix and f.fix.applicability == "safe"}
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = rule_for(code)
        name = rule.name if rule is not None else ""
        lines.append(f"{count:>5}\t{code}\t{'[*]' if code in fixable else '   '} {name}")
    return "\n".join(lines)


def _show_settings(config: ConfigResolver, path: Path) -> int:
    resolved = config.for_path(path if path.name != "-" else Path.cwd())
    for message in config.messages:
        print(f"gradls: {'error' if message in config.errors else 'warning'}: {message}", file=sys.stderr)
    s = resolved.settings
    print(f"Settings for {path}:")
    print(f"  configuration file: {resolved.source or '(none: defaults)'}")
    print(f"  exclude patterns relative to: {resolved.base}")
    print(f"  enable = {str(s.enable).lower()}")
    print(f"  select = {list(s.select)}")
    print(f"  ignore = {list(s.ignore)}")
    print(f"  exclude = {list(s.exclude)}")
    print(f"  severity = {dict(sorted(s.severity.items()))}")
    enabled = [r.code for r in all_rules() if r.code == "GRD000" or s.is_enabled(r.code)]
    print(f"  enabled rules = {enabled}")
    return EXIT_ERROR if config.errors else EXIT_CLEAN


def _project_root(paths: list[Path]) -> Path:
    """The folder of the configuration that covers all the paths (the same whatever their order):
    where the cache lives and where the cross-module pass resolves imports from."""
    try:
        common = Path(os.path.commonpath([str(p.resolve()) for p in paths]))
    except ValueError:
        common = Path.cwd()
    while not common.exists() and common != common.parent:
        common = common.parent
    pyproject = find_pyproject(common)
    return pyproject.parent if pyproject else Path.cwd()


def _cross_module_resolver(args, root: Path, cache_dir: Path | None):
    """The cross-module pass for this run (None with `--no-cross-module`); `--fix`, `--diff`
    and `--add-ignore` see the same findings as `check` through it."""
    if args.no_cross_module:
        return None
    from .crossmodule import resolver_for

    writes = args.fix or getattr(args, "add_ignore", False)  # a fixed file changes during the run
    return resolver_for(root, cache_dir, share_analyses=True, files_stable=not writes)


# --------------------------------------------------------------------------------------
# --watch
# --------------------------------------------------------------------------------------


def _snapshot(paths: list[Path], config: ConfigResolver) -> dict:
    from .discovery import discover

    state = {}
    for path, error in discover(paths, config):
        try:
            info = path.stat()
            state[str(path)] = (info.st_mtime_ns, info.st_size)
        except OSError:
            state[str(path)] = None
    for source in {c.source for c in config._by_file.values() if c.source is not None}:
        try:
            state[str(source)] = (source.stat().st_mtime_ns, source.stat().st_size)
        except OSError:
            state[str(source)] = None
    return state


def watch(args, paths: list[Path], overrides: dict) -> int:
    """Check, then poll the checked files (and their configuration) and check again on a change.
    GRADLS_WATCH_INTERVAL (seconds, default 0.5); GRADLS_WATCH_MAX_RUNS ends it after that many
    checks (for tests and scripts). Ends with Ctrl-C."""
    interval = float(os.environ.get("GRADLS_WATCH_INTERVAL", "0.5"))
    max_runs = int(os.environ.get("GRADLS_WATCH_MAX_RUNS", "0")) or None
    runs, code = 0, EXIT_CLEAN
    while True:
        config = ConfigResolver(overrides, args.config)
        print(f"[{time.strftime('%H:%M:%S')}] Checking...", file=sys.stderr, flush=True)
        code = check_once(args, paths, config)
        sys.stdout.flush()
        runs += 1
        if max_runs is not None and runs >= max_runs:
            return code
        before = _snapshot(paths, config)
        while _snapshot(paths, ConfigResolver(overrides, args.config)) == before:
            time.sleep(interval)


# --------------------------------------------------------------------------------------
# other commands
# --------------------------------------------------------------------------------------


def run_rules(args) -> int:
    if args.output_format == "json":
        import json

        print(json.dumps([{"code": r.code, "name": r.name, "summary": r.summary,
                           "severity": r.default_severity} for r in all_rules()], indent=2))
        return 0
    for rule in all_rules():
        print(f"{rule.code}  {rule.name:<32} {rule.summary}")
    return 0


def run_explain(args) -> int:
    rule = rule_for(args.code)
    if rule is None:
        message = unknown_code_message(args.code) or f"unknown rule {args.code!r}"
        codes = ", ".join(r.code for r in all_rules())
        print(f"gradls: {message.replace('unknown rule code', 'unknown rule')}; known rules: {codes}",
              file=sys.stderr)
        return 2
    print(rule.documentation())
    return 0


def run_serve(args) -> int:
    try:
        from .server import serve
    except ImportError as err:
        print(f"gradls: the language server is unavailable: {err}", file=sys.stderr)
        return 2
    return serve(args.tcp)


if __name__ == "__main__":
    sys.exit(main())
