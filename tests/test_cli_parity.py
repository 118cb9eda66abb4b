"""`gradls check` options that ruff users expect: stdin, statistics, quiet, fix variants, cache
folder, watch, output formats, colour, GRD000 in the catalog, SARIF columns, GitHub escaping."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gradls.cli import main

DETACHED = textwrap.dedent("""\
    import torch
    import torch.nn as nn
    model = nn.Linear(4, 1)
    x = torch.randn(8, 4)
    out = model(x).detach()
    loss = out.pow(2).mean()
    loss.backward()
""")
CLEAN = DETACHED.replace(".detach()", "")


def gradls(*args: str, cwd: Path, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    for key in ("NO_COLOR", "FORCE_COLOR"):
        if env is None or key not in env:
            full_env.pop(key, None)
    return subprocess.run([sys.executable, "-m", "gradls", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, input=stdin, env=full_env)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(DETACHED)
    return tmp_path


def test_stdin_with_filename(project):
    result = gradls("check", "-", "--stdin-filename", "models/train.py", "--no-cache", cwd=project, stdin=DETACHED)
    assert result.returncode == 1 and "models/train.py:5:15: GRD101" in result.stdout
    clean = gradls("check", "-", "--no-cache", cwd=project, stdin=CLEAN)
    assert clean.returncode == 0 and "All checks passed!" in clean.stdout


def test_stdin_uses_the_configuration_of_the_filename(project):
    (project / "sub").mkdir()
    (project / "sub" / "pyproject.toml").write_text('[tool.gradls]\nignore = ["GRD101"]\n')
    result = gradls("check", "-", "--stdin-filename", "sub/x.py", "--no-cache", cwd=project, stdin=DETACHED)
    assert result.returncode == 0, result.stdout


def test_stdin_fix_prints_the_fixed_source(project):
    result = gradls("check", "-", "--fix", "--no-cache", cwd=project, stdin=DETACHED)
    assert result.stdout == CLEAN
    assert "Fixed 1 problem" in result.stderr and result.returncode == 0


def test_stdin_notebook(project):
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
                     "source": DETACHED}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    result = gradls("check", "-", "--stdin-filename", "n.ipynb", "--no-cache", cwd=project, stdin=json.dumps(nb))
    assert "n.ipynb:cell 1:5:15: GRD101" in result.stdout


def test_statistics(project):
    (project / "two.py").write_text(DETACHED)
    result = gradls("check", ".", "--statistics", "--no-cache", cwd=project)
    assert "    2\tGRD101\t[*] misplaced-detach" in result.stdout.splitlines()


def test_quiet_prints_findings_only(project):
    result = gradls("check", ".", "--quiet", "--output-format", "concise", "--no-cache", cwd=project)
    assert result.stdout.strip().splitlines()[-1].startswith("train.py:5:15: GRD101")
    assert "Found" not in result.stdout
    (project / "train.py").write_text(CLEAN)
    assert gradls("check", ".", "-q", "--no-cache", cwd=project).stdout == ""


def test_show_fixes_lists_what_was_fixed(project):
    result = gradls("check", ".", "--fix", "--show-fixes", "--no-cache", cwd=project)
    assert "- train.py:" in result.stdout and "1 × GRD101 (Remove `.detach()`)" in result.stdout


def test_fix_only_and_exit_non_zero_on_fix(project):
    result = gradls("check", ".", "--fix-only", "--no-cache", cwd=project)
    assert result.returncode == 0 and "Fixed 1 problem." in result.stdout
    assert "GRD101" not in result.stdout and (project / "train.py").read_text() == CLEAN
    (project / "train.py").write_text(DETACHED)
    result = gradls("check", ".", "--fix", "--exit-non-zero-on-fix", "--no-cache", cwd=project)
    assert result.returncode == 1 and (project / "train.py").read_text() == CLEAN
    assert gradls("check", ".", "--fix", "--exit-non-zero-on-fix", "--no-cache", cwd=project).returncode == 0


def test_extend_select(project):
    base = ("check", "train.py", "--no-cache", "--select", "GRD11")
    assert gradls(*base, cwd=project).returncode == 0
    assert gradls(*base, "--extend-select", "GRD101", cwd=project).returncode == 1


def test_cache_dir(project, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    gradls("check", "train.py", "--cache-dir", str(cache), cwd=project)
    assert any(cache.iterdir()) and not (project / ".gradls_cache").exists()


def test_show_settings_names_the_file(project):
    (project / "pyproject.toml").write_text('[tool.gradls]\nignore = ["GRD112"]\n')
    result = gradls("check", "train.py", "--show-settings", cwd=project)
    assert result.returncode == 0
    assert f"configuration file: {project / 'pyproject.toml'}" in result.stdout
    assert "ignore = ['GRD112']" in result.stdout and "GRD112" not in result.stdout.split("enabled rules")[1]


def test_watch_checks_again_after_a_change(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    monkeypatch.setenv("GRADLS_WATCH_MAX_RUNS", "2")
    monkeypatch.setenv("GRADLS_WATCH_INTERVAL", "0.05")

    def edit_later():
        time.sleep(1.0)
        (project / "train.py").write_text(CLEAN + "\n")

    editor = threading.Thread(target=edit_later)
    editor.start()
    code = main(["check", "--watch", "--no-cache", "--output-format", "concise", "train.py"])
    editor.join()
    out = capsys.readouterr()
    assert out.err.count("Checking...") == 2
    assert "train.py:5:15: GRD101" in out.out and out.out.rstrip().endswith("All checks passed!")
    assert code == 0


# --------------------------------------------------------------------------------------
# output formats
# --------------------------------------------------------------------------------------


def test_concise_and_grouped(project):
    concise = gradls("check", "train.py", "--output-format", "concise", "--no-cache", cwd=project).stdout
    assert concise.splitlines()[0].startswith("train.py:5:15: GRD101 [*] ") and "^^^" not in concise
    grouped = gradls("check", "train.py", "--output-format", "grouped", "--no-cache", cwd=project).stdout
    assert grouped.splitlines()[0] == "train.py:" and grouped.splitlines()[1].startswith("  5:15 GRD101")


def test_junit_is_valid_xml(project):
    out = gradls("check", "train.py", "--output-format", "junit", "--no-cache", cwd=project).stdout
    root = ET.fromstring(out)
    case = root.find("testsuite/testcase")
    assert root.tag == "testsuites" and case.get("classname") == "train.py:5:15"
    assert case.find("failure").get("type") == "GRD101"


def test_gitlab_code_quality(project):
    (project / "two.py").write_text(DETACHED)
    issues = json.loads(gradls("check", ".", "--output-format", "gitlab", "--no-cache", cwd=project).stdout)
    assert [i["location"] for i in issues] == [{"path": "train.py", "lines": {"begin": 5, "end": 5}},
                                              {"path": "two.py", "lines": {"begin": 5, "end": 5}}]
    assert issues[0]["check_name"] == "GRD101" and issues[0]["severity"] == "major"
    assert len({i["fingerprint"] for i in issues}) == 2


def test_colour_only_when_asked_or_on_a_terminal(project):
    plain = gradls("check", "train.py", "--no-cache", cwd=project).stdout
    assert "\x1b[" not in plain  # a pipe is not a terminal
    forced = gradls("check", "train.py", "--no-cache", cwd=project, env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" in forced
    assert "\x1b[" not in gradls("check", "train.py", "--no-cache", cwd=project,
                                 env={"NO_COLOR": "1"}).stdout
    json_out = gradls("check", "train.py", "--output-format", "json", "--no-cache", cwd=project,
                      env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in json_out


def test_use_colour_on_a_terminal(monkeypatch):
    from gradls.output import use_colour

    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_colour(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())


def test_subcommand_usage_on_usage_error(project):
    result = gradls("check", "--no-such-option", cwd=project)
    assert result.returncode == 2 and result.stderr.startswith("usage: gradls check")
    result = gradls("rules", "--no-such-option", cwd=project)
    assert result.returncode == 2 and result.stderr.startswith("usage: gradls rules")


def test_grd000_is_documented_everywhere(project):
    assert "GRD000" in gradls("rules", cwd=project).stdout
    assert "## What it finds" in gradls("explain", "GRD000", cwd=project).stdout
    (project / "broken.py").write_text("def f(:\n")
    sarif = json.loads(gradls("check", "broken.py", "--output-format", "sarif", "--no-cache", cwd=project).stdout)
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "GRD000" in rule_ids
    (result,) = run["results"]
    assert rule_ids[result["ruleIndex"]] == "GRD000"


def test_sarif_columns_are_utf16_code_units(tmp_path):
    source = DETACHED.replace("out = model(x).detach()", "𝔬 = model(x).detach()").replace(
        "loss = out.pow", "loss = 𝔬.pow")
    (tmp_path / "train.py").write_text(source, encoding="utf-8")
    sarif = json.loads(gradls("check", "train.py", "--output-format", "sarif", "--no-cache", cwd=tmp_path).stdout)
    run = sarif["runs"][0]
    assert run["columnKind"] == "utf16CodeUnits"
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    # `.detach()` starts at code point 13 (1-based); 𝔬 is two UTF-16 code units
    assert (region["startColumn"], region["endColumn"]) == (14, 23)


def test_sarif_rule_levels_match_results(project):
    (project / "pyproject.toml").write_text('[tool.gradls]\nseverity = { GRD101 = "info" }\n')
    sarif = json.loads(gradls("check", "train.py", "--output-format", "sarif", "--no-cache", cwd=project).stdout)
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    (result,) = run["results"]
    assert result["level"] == "note"
    assert rules["GRD101"]["defaultConfiguration"]["level"] == result["level"]


def test_github_annotations_escape_file_names(tmp_path):
    name = "a,b:c%d.py"
    (tmp_path / name).write_text(DETACHED)
    out = gradls("check", name, "--output-format", "github", "--no-cache", cwd=tmp_path).stdout
    assert "file=a%2Cb%3Ac%25d.py,line=5" in out


def test_github_message_escaping():
    from gradls.model import Finding, Span
    from gradls.output import github_line

    line = github_line(Finding("GRD101", "50% of\nit, a: b", Span(1, 1, 1, 2), "error", "x.py"))
    assert line.endswith("::GRD101 50%25 of%0Ait, a: b")
