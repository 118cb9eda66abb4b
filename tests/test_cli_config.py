"""Configuration the way ruff users expect: nearest [tool.gradls] per file, `extend`, `--config`,
unknown rule codes, `--force-exclude`, and results that do not depend on argument order."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DETACHED = textwrap.dedent("""\
    import torch
    import torch.nn as nn
    model = nn.Linear(4, 1)
    x = torch.randn(8, 4)
    out = model(x).detach()
    loss = out.pow(2).mean()
    loss.backward()
""")


def gradls(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradls", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def codes(result) -> list[tuple[str, str]]:
    return sorted((f["path"], f["code"]) for f in json.loads(result.stdout))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ has no gradls table; sub/ ignores GRD101; a.py and sub/b.py both have the bug."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "a.py").write_text(DETACHED)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.gradls]\nignore = ["GRD101"]\n')
    (tmp_path / "sub" / "b.py").write_text(DETACHED)
    return tmp_path


def test_each_file_uses_its_nearest_configuration_whatever_the_order(tree):
    forward = gradls("check", "a.py", "sub/b.py", "--no-cache", "--output-format", "json", cwd=tree)
    backward = gradls("check", "sub/b.py", "a.py", "--no-cache", "--output-format", "json", cwd=tree)
    assert codes(forward) == codes(backward) == [("a.py", "GRD101")]
    assert forward.stdout == backward.stdout


def test_a_pyproject_without_the_table_does_not_stop_the_search(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradls]\nignore = ["GRD101"]\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "pyproject.toml").write_text('[project]\nname = "pkg"\n')
    (tmp_path / "pkg" / "m.py").write_text(DETACHED)
    assert gradls("check", "pkg/m.py", "--no-cache", cwd=tmp_path).returncode == 0


def test_extend_shares_a_configuration(tmp_path):
    (tmp_path / "shared.toml").write_text('[tool.gradls]\nignore = ["GRD101"]\nseverity = { GRD110 = "info" }\n')
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text('[tool.gradls]\nextend = "../shared.toml"\n'
                                                      'severity = { GRD113 = "hint" }\n')
    (tmp_path / "proj" / "m.py").write_text(DETACHED)
    assert gradls("check", "proj/m.py", "--no-cache", cwd=tmp_path).returncode == 0
    shown = gradls("check", "proj/m.py", "--show-settings", cwd=tmp_path).stdout
    assert "ignore = ['GRD101']" in shown
    assert "'GRD110': 'info'" in shown and "'GRD113': 'hint'" in shown  # merged, the file's own on top


def test_extend_of_a_missing_file_is_an_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradls]\nextend = "nowhere.toml"\n')
    (tmp_path / "m.py").write_text(DETACHED)
    result = gradls("check", "m.py", "--no-cache", cwd=tmp_path)
    assert result.returncode == 2 and "extend: nowhere.toml: no such file" in result.stderr


def test_config_option_applies_to_every_file(tree):
    (tree / "strict.toml").write_text('[tool.gradls]\nselect = ["ALL"]\n')
    result = gradls("check", "a.py", "sub/b.py", "--config", "strict.toml", "--no-cache", "--output-format",
                    "json", cwd=tree)
    assert codes(result) == [("a.py", "GRD101"), ("sub/b.py", "GRD101")]
    missing = gradls("check", "a.py", "--config", "missing.toml", cwd=tree)
    assert missing.returncode == 2 and "--config missing.toml: no such file" in missing.stderr


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_unknown_code_on_the_command_line(tree, option):
    result = gradls("check", "a.py", option, "GDR101", "--no-cache", cwd=tree)
    assert result.returncode == 2
    assert f"{option}: unknown rule code GDR101; did you mean GRD101?" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("table, message", [
    ('select = ["GDR101"]', "[tool.gradls] select: unknown rule code GDR101; did you mean GRD101?"),
    ('ignore = ["grd101"]', "[tool.gradls] ignore: unknown rule code grd101; did you mean GRD101?"),
    ('severity = { GRD999 = "error" }', "[tool.gradls] severity: unknown rule code GRD999"),
])
def test_unknown_code_in_pyproject_names_file_and_key(tmp_path, table, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.gradls]\n{table}\n")
    (tmp_path / "m.py").write_text(DETACHED)
    result = gradls("check", "m.py", "--no-cache", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path / 'pyproject.toml'}: {message}" in result.stderr
    assert result.stdout == ""


def test_empty_select_is_reported(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\nselect = []\n")
    (tmp_path / "m.py").write_text(DETACHED)
    result = gradls("check", "m.py", "--no-cache", cwd=tmp_path)
    assert "select = [] enables no rule" in result.stderr


def test_force_exclude_applies_to_explicit_paths(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradls]\nexclude = ["vendored/*"]\n')
    (tmp_path / "vendored").mkdir()
    (tmp_path / "vendored" / "copy.py").write_text(DETACHED)
    assert gradls("check", "vendored/copy.py", "--no-cache", cwd=tmp_path).returncode == 1
    assert gradls("check", "vendored/copy.py", "--force-exclude", "--no-cache", cwd=tmp_path).returncode == 0


def test_pre_commit_hooks_use_force_exclude():
    hooks = (Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text()
    entries = [line.split(":", 1)[1].strip() for line in hooks.splitlines() if line.strip().startswith("entry:")]
    assert entries and all("--force-exclude" in entry for entry in entries)


def test_exclude_and_extend_exclude_options(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradls]\nexclude = ["a.py"]\n')
    (tmp_path / "a.py").write_text(DETACHED)
    (tmp_path / "b.py").write_text(DETACHED)
    args = ("check", ".", "--no-cache", "--output-format", "json")
    assert codes(gradls(*args, cwd=tmp_path)) == [("b.py", "GRD101")]
    assert codes(gradls(*args, "--exclude", "b.py", cwd=tmp_path)) == [("a.py", "GRD101")]
    assert codes(gradls(*args, "--extend-exclude", "b.py", cwd=tmp_path)) == []


def test_subfolder_configuration_in_a_directory_scan(tree):
    result = gradls("check", ".", "--no-cache", "--output-format", "json", cwd=tree)
    assert codes(result) == [("a.py", "GRD101")]


def test_the_cache_keeps_per_file_configurations_apart(tree):
    """a.py and sub/b.py have the same bytes but different configurations: cached results must
    not be shared between them."""
    for _ in range(2):  # the second run reads the cache
        result = gradls("check", "sub/b.py", "a.py", "--output-format", "json", cwd=tree)
        assert codes(result) == [("a.py", "GRD101")]
