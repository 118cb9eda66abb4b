"""Shared plumbing for the editor end-to-end tests (tests/test_editors_*.py).

Environment:
  GRADLS_E2E=0            skip every editor end-to-end test
  GRADLS_E2E_SETUP=0      do not run tests/e2e/setup.sh; use only what is already installed
  GRADLS_E2E_CACHE=DIR    where setup.sh installs (default ~/.cache/gradls-e2e)
  GRADLS_E2E_ARTIFACTS=D  screenshots and logs (default tests/e2e/artifacts, git-ignored)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO = E2E_DIR.parent.parent
FIXTURES = E2E_DIR / "fixtures"
SETUP = E2E_DIR / "setup.sh"
SETUP_TIMEOUT_S = int(os.environ.get("GRADLS_E2E_SETUP_TIMEOUT", "1200"))

_setup_results: dict[str, tuple[bool, str]] = {}


def cache_dir() -> Path:
    return Path(os.environ.get("GRADLS_E2E_CACHE") or Path.home() / ".cache" / "gradls-e2e")


def artifacts_dir(name: str) -> Path:
    root = Path(os.environ.get("GRADLS_E2E_ARTIFACTS") or E2E_DIR / "artifacts")
    path = root / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def skip_if_disabled() -> None:
    if os.environ.get("GRADLS_E2E", "1") == "0":
        pytest.skip("editor end-to-end tests disabled (GRADLS_E2E=0)")


def ensure_setup(what: str) -> tuple[bool, str]:
    """Run setup.sh for `what` ("vscode" or "neovim") once per session; cached installs make
    a second run fast. Returns (ran ok, log tail)."""
    if what in _setup_results:
        return _setup_results[what]
    if os.environ.get("GRADLS_E2E_SETUP", "1") == "0":
        result = (True, "setup skipped (GRADLS_E2E_SETUP=0)")
    elif shutil.which("bash") is None:
        result = (False, "bash is not available to run tests/e2e/setup.sh")
    else:
        log = Path(os.environ.get("GRADLS_E2E_ARTIFACTS") or E2E_DIR / "artifacts") / f"setup-{what}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        try:
            with open(log, "w") as out:
                proc = subprocess.run(["bash", str(SETUP), what], stdout=out, stderr=subprocess.STDOUT,
                                      timeout=SETUP_TIMEOUT_S, cwd=REPO)
            ok = proc.returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
        elapsed = time.monotonic() - start
        tail = log.read_text(errors="replace")[-1500:]
        result = (ok, f"setup.sh {what} {'finished' if ok else 'FAILED'} in {elapsed:.0f} s (log: {log})\n{tail}")
        print(result[1][:200], file=sys.stderr)
    _setup_results[what] = result
    return result


def gradls_env() -> dict[str, str]:
    """An environment in which `gradls` and `python` are this interpreter's."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def gradls_command() -> list[str]:
    """How to start this interpreter's gradls server."""
    exe = shutil.which("gradls", path=str(Path(sys.executable).parent))
    return [exe, "serve"] if exe else [sys.executable, "-m", "gradls", "serve"]


def make_workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    ws.mkdir()
    for name in ("detach_bug.py", "pyproject.toml"):
        shutil.copy(FIXTURES / name, ws / name)
    return ws
