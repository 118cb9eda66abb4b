"""Where the server's settings come from, and in which order they win.

1. defaults (`gradls.config.Settings()`),
2. `[tool.gradls]` of the pyproject.toml nearest to the document (for untitled documents:
   the one in the first workspace folder), reloaded when the client reports a change
   through `workspace/didChangeWatchedFiles`,
3. the editor's settings (`initializationOptions`, `workspace/didChangeConfiguration`):
   like ruff's default `configurationPreference = "editorFirst"`, explicit editor
   settings override the project file key by key.

Editors nest settings differently; all of these are accepted::

    {"enable": true, "select": [...]}                     # flat
    {"gradls": {...}}                                     # section
    {"settings": {...}}  /  {"settings": {"gradls": {...}}}   # ruff-style

Invalid values are reported once (the server turns them into a `window/showMessage`
warning) and the default is used; nothing here raises.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import Settings, find_pyproject, load_pyproject_settings, parse_settings
from ..discovery import excluded

log = logging.getLogger(__name__)

SECTION = "gradls"
WATCH_GLOB = "**/pyproject.toml"


def unwrap(raw: Any) -> Any:
    """Find the gradls table inside whatever shape the editor sent."""
    for _ in range(3):
        if not isinstance(raw, dict):
            return raw
        if SECTION in raw and isinstance(raw[SECTION], dict):
            raw = raw[SECTION]
            continue
        if "settings" in raw and isinstance(raw["settings"], dict) and len(raw) <= 2:
            raw = raw["settings"]
            continue
        break
    return raw


class SettingsStore:
    def __init__(self) -> None:
        self.client_raw: dict | None = None
        self._pyproject_of_dir: dict[str, Path | None] = {}
        self._project: dict[Path | None, Settings] = {}
        self._reported: set[str] = set()
        self.folders: list[str] = []

    # --- editor settings ----------------------------------------------------------------
    def set_client(self, raw: Any) -> list[str]:
        """Store editor settings; return warnings about invalid values."""
        raw = unwrap(raw)
        if raw is None:
            self.client_raw = None
            return []
        if not isinstance(raw, dict):
            self.client_raw = None
            return [f"gradls settings must be an object, got {type(raw).__name__}; using defaults"]
        _, warnings = parse_settings(raw)
        if isinstance(raw.get("shadow"), dict):  # checked now, not first when `gradls.confirm` runs
            from .shadow import parse_options

            warnings += parse_options(raw["shadow"])[1]
        self.client_raw = raw
        return warnings

    # --- project settings ---------------------------------------------------------------
    def invalidate(self) -> None:
        self._pyproject_of_dir.clear()
        self._project.clear()
        self._reported.clear()

    def _pyproject_for(self, path: str | None) -> Path | None:
        if path and os.path.isabs(path):
            folder = os.path.dirname(path)
        elif self.folders:
            folder = self.folders[0]
        else:
            return None
        if folder not in self._pyproject_of_dir:
            try:
                self._pyproject_of_dir[folder] = find_pyproject(Path(folder)) if os.path.isdir(folder) else None
            except OSError:
                self._pyproject_of_dir[folder] = None
        return self._pyproject_of_dir[folder]

    def for_path(self, path: str | None) -> tuple[Settings, list[str]]:
        """Settings for a document; also returns warnings not reported before."""
        pyproject = self._pyproject_for(path)
        new_warnings: list[str] = []
        if pyproject not in self._project:
            try:
                project, warnings = load_pyproject_settings(pyproject)
            except Exception as err:  # never let a bad file break the server
                project, warnings = Settings(), [f"{pyproject}: {err}"]
            self._project[pyproject] = project
            for warning in warnings:
                if warning not in self._reported:
                    self._reported.add(warning)
                    new_warnings.append(warning)
        base = self._project[pyproject]
        if self.client_raw:
            try:
                settings, _ = parse_settings(self.client_raw, base=base)
            except Exception:
                settings = base
            if base.shadow and settings.shadow is not base.shadow:
                # the shadow table merges key by key too (editor: device; project: worker)
                settings = replace(settings, shadow={**base.shadow, **settings.shadow})
        else:
            settings = base
        return settings, new_warnings

    def is_excluded(self, path: str | None, settings: Settings) -> bool:
        """As `gradls check` decides: patterns relative to the folder of the pyproject.toml that
        configures the file, or (editor settings alone) to the workspace folder holding it."""
        if not path or not settings.exclude:
            return False
        pyproject = self._pyproject_for(path)
        if pyproject is not None:
            base = pyproject.parent
        else:
            holding = [f for f in self.folders if path.startswith(f.rstrip("/") + "/")]
            base = Path(max(holding, key=len)) if holding else Path(os.path.dirname(path))
        return excluded(Path(path), base.resolve(), settings.exclude)
