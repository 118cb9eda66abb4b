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


KNOWN_KEYS = {"enable", "select", "ignore", "severity", "exclude", "shadow", "extend-exclude"}


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
        return replace(settings, severity=dict(value))
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
    start = start.resolve()
    for folder in [start, *start.parents] if start.is_dir() else start.parents:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_pyproject_settings(pyproject: Path | None) -> tuple[Settings, list[str]]:
    if pyproject is None:
        return Settings(), []
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        return Settings(), [f"{pyproject}: cannot read [tool.gradls]: {err}"]
    table = data.get("tool", {}).get("gradls")
    warnings_prefixed = []
    settings, warnings = parse_settings(table)
    for warning in warnings:
        warnings_prefixed.append(f"{pyproject}: {warning}")
    return settings, warnings_prefixed
