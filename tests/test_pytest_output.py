"""The test run starts clean: no warning (a deprecation from a pytest plugin's configuration,
say) printed before the first test. Runs pytest on one small test of this suite, with the
project's own configuration, and reads what it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_no_warning_before_or_after_the_tests():
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "default",
         "tests/test_editors_neovim.py::test_lsp_config_file_shape"],
        cwd=REPO, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert lines[0].startswith("=") and "test session starts" in lines[0], lines[:5]
    assert "Warning" not in out, out
    assert "1 passed" in lines[-1], lines[-1]
