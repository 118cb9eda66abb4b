"""The `gradls` command: check, rules, explain, serve, confirm."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .cache import ResultCache
from .checker import check_paths
from .config import Settings, find_pyproject, load_pyproject_settings, parse_settings
from .output import render
from .rules import registry

FORMATS = ("text", "json", "sarif", "github")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradls", description="Find PyTorch code that silently breaks gradient flow.")
    parser.add_argument("--version", action="version", version=f"gradls {__version__}")
    commands = parser.add_subparsers(dest="command")

    check = commands.add_parser("check", help="check files and folders")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")])
    check.add_argument("--output-format", choices=FORMATS, default="text")
    check.add_argument("--select", help="comma-separated codes or prefixes to enable (default: all)")
    check.add_argument("--ignore", help="comma-separated codes or prefixes to disable")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write .gradls_cache")
    check.add_argument("--config", type=Path, help="pyproject.toml to read [tool.gradls] from")
    check.add_argument("--no-cross-module", action="store_true",
                       help="analyse each file alone (no jedi look-ups of names imported from other files)")
    _add_fix_arguments(check)
    check.set_defaults(handler=run_check)

    rules = commands.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--output-format", choices=("text", "json"), default="text")
    rules.set_defaults(handler=run_rules)

    explain = commands.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code")
    explain.set_defaults(handler=run_explain)

    serve = commands.add_parser("serve", help="start the language server (stdio)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (debugging)")
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    serve.set_defaults(handler=run_serve)

    _add_confirm(commands)
    return parser


def _add_fix_arguments(check: argparse.ArgumentParser) -> None:
    try:
        from .fixes import cli as fix_cli
    except ImportError:
        return
    fix_cli.add_arguments(check)


def _add_confirm(commands) -> None:
    try:
        from .shadow import cli as shadow_cli
    except ImportError:
        return
    confirm = commands.add_parser("confirm", help="prove findings by running a shadow forward/backward pass")
    shadow_cli.add_arguments(confirm)
    confirm.set_defaults(handler=shadow_cli.run)


def load_settings(args, start: Path) -> tuple[Settings, Path | None, list[str]]:
    pyproject = args.config if getattr(args, "config", None) else find_pyproject(start)
    settings, warnings = load_pyproject_settings(pyproject)
    overrides = {}
    if getattr(args, "select", None):
        overrides["select"] = args.select
    if getattr(args, "ignore", None):
        overrides["ignore"] = args.ignore
    settings, more = parse_settings(overrides, settings)
    return settings, pyproject, warnings + more


def run_check(args) -> int:
    start = args.paths[0] if args.paths else Path(".")
    settings, pyproject, warnings = load_settings(args, start if start.exists() else Path("."))
    for warning in warnings:
        print(f"gradls: warning: {warning}", file=sys.stderr)
    if any("not a rule code" in w for w in warnings):
        return 2
    root = pyproject.parent if pyproject else Path.cwd()
    cache = ResultCache(None if args.no_cache else root / ".gradls_cache", settings)
    resolver = _cross_module_resolver(args, root)
    fixer = getattr(args, "fix_handler", None)
    if fixer is not None and (args.fix or args.diff or getattr(args, "add_ignore", False)):
        code = fixer(args, settings, root, cache, resolver)
        if resolver is not None:
            resolver.save()
        return code
    run = check_paths(args.paths, settings, root.resolve(), cache, resolver)
    cache.save()
    if resolver is not None:
        resolver.save()
    for message in run.notices + run.problems:
        print(f"gradls: {message}", file=sys.stderr)
    output = render(run.findings, args.output_format, run.sources)
    if output:
        print(output)
    elif args.output_format == "text" and not run.problems:
        print("All checks passed!")
    if run.problems:
        return 2
    return 0 if args.exit_zero or not run.findings else 1


def _cross_module_resolver(args, root: Path):
    """The cross-module pass for this run (None with `--no-cross-module`); `--fix`, `--diff`
    and `--add-ignore` see the same findings as `check` through it."""
    if args.no_cross_module:
        return None
    from .crossmodule import resolver_for

    return resolver_for(root, None if args.no_cache else root / ".gradls_cache")


def run_rules(args) -> int:
    if args.output_format == "json":
        import json

        print(json.dumps([{"code": r.code, "name": r.name, "summary": r.summary,
                           "severity": r.default_severity} for r in registry], indent=2))
        return 0
    for rule in registry:
        print(f"{rule.code}  {rule.name:<32} {rule.summary}")
    return 0


def run_explain(args) -> int:
    rule = registry.get(args.code)
    if rule is None:
        codes = ", ".join(r.code for r in registry)
        print(f"gradls: unknown rule {args.code!r}; known rules: {codes}", file=sys.stderr)
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
