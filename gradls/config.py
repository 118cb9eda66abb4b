"""Settings shared by the CLI and the language server.

Read from `[tool.gradls]` in the nearest pyproject.toml, from the command line, or from an
editor's initializationOptions. Unknown keys and bad values never raise: they are
reported as warnings and the default is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

SEVERITIES = ("error", "warning", "info", "hint")
_CODE_PREFIX = re.compile(r"^GRD\d{0,3}$|^ALL$")


@dataclass(frozen=True)
class Settings:
    enable: bool = True
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    # Room for the shadow pass; the static analysis ignores these.
    shadow: dict = field(default_factory=dict)

    def is_enabled(self, code: str) -> bool:
        if not self.enable:
            return False
        if _matches(code, self.ignore):
            return False
        return _matches(code, self.select)

    def severity_for(self, code: str, default: str) -> str:
        """The override of the longest matching code or prefix (`GRD101` over `GRD1` over `ALL`)."""
        matching = [key for key in self.severity if key == "ALL" or code.startswith(key)]
        if not matching:
            return default
        return self.severity[max(matching, key=lambda key: 0 if key == "ALL" else len(key))]

    def cache_key(self) -> str:
        return repr((self.enable, self.select, self.ignore, sorted(self.severity.items())))


def _matches(code: str, patterns: tuple[str, ...]) -> bool:
    return any(p == "ALL" or code.startswith(p) for p in patterns)


KNOWN_KEYS = {"enable", "select", "ignore", "severity", "exclude", "shadow", "extend-exclude", "extend-select",
              "extend"}


class ConfigError(str):
    """A message about the configuration that must stop `gradls check` (exit 2), such as an
    unknown rule code; the language server shows it like any other warning."""


def known_codes() -> list[str]:
    from .rules import SYNTAX_ERROR_CODE, registry

    return [SYNTAX_ERROR_CODE, *(rule.code for rule in registry)]


def unknown_code_message(code: str) -> str | None:
    """None when `code` is "ALL", a rule code or a prefix of one; else what is wrong and what was meant."""
    codes = known_codes()
    if code == "ALL" or (code.startswith("GRD") and any(c.startswith(code) for c in codes)):
        return None
    import difflib

    upper = code.upper().strip()
    guess = None
    if upper != code and unknown_code_message(upper) is None:
        guess = upper
    else:
        close = difflib.get_close_matches(upper, codes + ["ALL"], n=1, cutoff=0.6)
        guess = close[0] if close else None
    message = f"unknown rule code {code}"
    return message + (f"; did you mean {guess}?" if guess else f" (rule codes are GRD000-{codes[-1]}, prefixes such as GRD1, or ALL)")


def parse_settings(raw: dict | None, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Turn a mapping (TOML table, JSON options) into Settings; return them and warnings."""
    settings = base or Settings()
    warnings: list[str] = []
    if not raw:
        return settings, warnings
    if not isinstance(raw, dict):
        return settings, [f"gradls settings must be a table, got {type(raw).__name__}; using defaults"]
    for key, value in raw.items():
        norm = key.replace("_", "-")
        if norm not in KNOWN_KEYS:
            warnings.append(f"unknown gradls setting {key!r} ignored")
            continue
        if norm == "extend":
            continue  # read by load_pyproject_settings (a path is relative to its file)
        if norm in ("select", "ignore", "extend-select", "severity"):
            codes = value if norm != "severity" else (list(value) if isinstance(value, dict) else [])
            if isinstance(codes, str):
                codes = [v.strip() for v in codes.split(",") if v.strip()]
            bad = [c for c in codes if isinstance(c, str) and unknown_code_message(c)] if isinstance(codes, list) else []
            if bad:
                warnings.extend(ConfigError(f"{key}: {unknown_code_message(c)}") for c in bad)
                if not all(_CODE_PREFIX.match(c) for c in bad):
                    continue  # not even shaped like a code: the default (`gradls check` stops anyway)
            if norm == "select" and codes == []:
                warnings.append(f"{key} = [] enables no rule: nothing will be reported")
        try:
            settings = _apply(settings, norm, value)
        except ValueError as err:
            warnings.append(f"invalid value for gradls setting {key!r}: {err}; using the default")
    return settings, warnings


def _apply(settings: Settings, key: str, value) -> Settings:
    if key == "enable":
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return replace(settings, enable=value)
    if key in ("select", "ignore"):
        codes = _code_list(value)
        return replace(settings, **{key: codes})
    if key == "extend-select":
        return replace(settings, select=settings.select + _code_list(value))
    if key in ("exclude", "extend-exclude"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("expected a list of glob patterns")
        if key == "exclude":
            return replace(settings, exclude=tuple(value))
        return replace(settings, exclude=settings.exclude + tuple(value))
    if key == "severity":
        if not isinstance(value, dict):
            raise ValueError("expected a table of CODE = severity")
        for code, sev in value.items():
            if not _CODE_PREFIX.match(str(code)) or sev not in SEVERITIES:
                raise ValueError(f"{code} = {sev!r} (severity must be one of {', '.join(SEVERITIES)})")
        return replace(settings, severity={**settings.severity, **value})
    if key == "shadow":
        if not isinstance(value, dict):
            raise ValueError("expected a table")
        return replace(settings, shadow=dict(value))
    raise ValueError("unsupported")


def _code_list(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of rule codes such as ['GRD101']")
    bad = [v for v in value if not _CODE_PREFIX.match(v)]
    if bad:
        raise ValueError(f"not a rule code or prefix: {', '.join(bad)}")
    return tuple(value)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.gradls] table, from `start` (a folder, or a
    file's folder) upwards. A pyproject.toml without the table does not stop the search
    (like ruff); when no file has the table, the nearest pyproject.toml (or None)."""
    start = Path(start).resolve()
    first = None
    for folder in [start, *start.parents] if start.is_dir() else start.parents:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            if has_gradls_table(candidate):
                return candidate
            first = first or candidate
    return first


def has_gradls_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # reported when it is read
    tool = data.get("tool")
    return isinstance(tool, dict) and "gradls" in tool


def load_pyproject_settings(pyproject: Path | None, base: Settings | None = None,
                            _seen: tuple = ()) -> tuple[Settings, list[str]]:
    """Settings of a pyproject.toml's [tool.gradls] (after those of the file its `extend` names,
    relative to its folder); messages carry the file and the key."""
    if pyproject is None:
        return base or Settings(), []
    try:
        data = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        return base or Settings(), [ConfigError(f"{pyproject}: cannot read [tool.gradls]: {err}")]
    tool = data.get("tool", {})
    table = tool.get("gradls") if isinstance(tool, dict) else None
    if table is None and Path(pyproject).name != "pyproject.toml" and isinstance(data, dict):
        table = data  # a gradls.toml-style file: the settings at top level
    messages: list[str] = []
    settings = base or Settings()
    extend = table.get("extend") if isinstance(table, dict) else None
    if extend is not None:
        if not isinstance(extend, str):
            messages.append(ConfigError(f"{pyproject}: [tool.gradls] extend: expected a path"))
        else:
            target = (Path(pyproject).parent / Path(extend).expanduser()).resolve()
            if target in _seen or target == Path(pyproject).resolve():
                messages.append(ConfigError(f"{pyproject}: [tool.gradls] extend: circular reference to {target}"))
            elif not target.is_file():
                messages.append(ConfigError(f"{pyproject}: [tool.gradls] extend: {extend}: no such file"))
            else:
                settings, more = load_pyproject_settings(target, settings, (*_seen, Path(pyproject).resolve()))
                messages += more
    settings, warnings = parse_settings(table, settings)
    for warning in warnings:
        text = f"{pyproject}: [tool.gradls] {warning}"
        messages.append(ConfigError(text) if isinstance(warning, ConfigError) else text)
    return settings, messages


@dataclass
class ResolvedConfig:
    settings: Settings
    source: Path | None     # the configuration file (None: defaults)
    base: Path              # exclude patterns are relative to this folder


class ConfigResolver:
    """Settings per file, like ruff: each file uses the nearest pyproject.toml with a
    [tool.gradls] table (or `config`, when given, for every file), then the command line's
    overrides. Messages about each configuration file are collected once, in `messages`."""

    def __init__(self, overrides: dict | None = None, config: Path | None = None,
                 cwd: Path | None = None) -> None:
        self.overrides = overrides or {}
        self.config = Path(config).resolve() if config else None
        self.cwd = (cwd or Path.cwd()).resolve()
        self.messages: list[str] = []
        self._by_folder: dict[Path, ResolvedConfig] = {}
        self._by_file: dict[Path | None, ResolvedConfig] = {}

    def for_path(self, path: Path) -> ResolvedConfig:
        path = Path(path)
        folder = path.resolve() if path.is_dir() else path.resolve().parent
        cached = self._by_folder.get(folder)
        if cached is None:
            source = self.config if self.config else find_pyproject(folder)
            cached = self._by_file.get(source)
            if cached is None:
                cached = self._load(source)
                self._by_file[source] = cached
            self._by_folder[folder] = cached
        return cached

    def _load(self, source: Path | None) -> ResolvedConfig:
        settings, messages = load_pyproject_settings(source)
        settings, more = parse_settings(self.overrides, settings)
        self.messages += messages
        self.messages += [m for m in more if m not in self.messages]
        return ResolvedConfig(settings, source, source.parent if source else self.cwd)

    @property
    def errors(self) -> list[str]:
        return [m for m in self.messages if isinstance(m, ConfigError)]
