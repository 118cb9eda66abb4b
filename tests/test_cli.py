"""`gradls check` end to end: formats, exit codes, configuration, suppression, bad input."""

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
CLEAN = DETACHED.replace(".detach()", "")


def gradls(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradls", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(DETACHED)
    return tmp_path


def test_text_output_points_at_the_detach(project):
    result = gradls("check", "train.py", "--no-cache", cwd=project)
    assert result.returncode == 1
    assert "train.py:5:15: GRD101" in result.stdout
    assert "`model` gets no gradient from `loss.backward()` (line 7)" in result.stdout
    assert "^^^^^^^^^" in result.stdout  # the caret line under `.detach()`


def test_clean_file_exits_zero(tmp_path):
    (tmp_path / "train.py").write_text(CLEAN)
    result = gradls("check", ".", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "All checks passed!" in result.stdout


def test_json_output_fields(project):
    result = gradls("check", "train.py", "--output-format", "json", "--no-cache", cwd=project)
    findings = json.loads(result.stdout)
    assert len(findings) == 1
    finding = findings[0]
    assert {k: finding[k] for k in ("path", "line", "column", "end_line", "end_column", "code", "severity")} == {
        "path": "train.py", "line": 5, "column": 15, "end_line": 5, "end_column": 24, "code": "GRD101",
        "severity": "error",
    }
    assert finding["fix"]["applicability"] == "safe"
    assert finding["fix"]["edits"] == [{"line": 5, "column": 15, "end_line": 5, "end_column": 24, "content": ""}]


def test_sarif_is_2_1_0_with_rules_and_locations(project):
    result = gradls("check", "train.py", "--output-format", "sarif", "--no-cache", cwd=project)
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert "GRD101" in rule_ids and "GRD113" in rule_ids
    (only,) = run["results"]
    assert only["ruleId"] == "GRD101" and rule_ids[only["ruleIndex"]] == "GRD101"
    region = only["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (5, 15)
    assert only["level"] == "error"


def test_github_annotations(project):
    result = gradls("check", "train.py", "--output-format", "github", "--no-cache", cwd=project)
    assert result.stdout.startswith("::error title=gradls (GRD101),file=train.py,line=5,col=15,")


def test_select_ignore_and_exit_zero(project):
    assert gradls("check", "train.py", "--ignore", "GRD101", "--no-cache", cwd=project).returncode == 0
    assert gradls("check", "train.py", "--select", "GRD11", "--no-cache", cwd=project).returncode == 0
    assert gradls("check", "train.py", "--select", "GRD1", "--no-cache", cwd=project).returncode == 1
    assert gradls("check", "train.py", "--exit-zero", "--no-cache", cwd=project).returncode == 0


def test_bad_rule_code_is_a_usage_error(project):
    result = gradls("check", "train.py", "--select", "E501", cwd=project)
    assert result.returncode == 2
    assert "--select: unknown rule code E501" in result.stderr
    assert "usage: gradls check" in result.stderr  # the subcommand's own usage
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing was checked


def test_pyproject_configuration_and_unknown_key(project):
    (project / "pyproject.toml").write_text('[tool.gradls]\nignore = ["GRD101"]\ncolour = "red"\n')
    result = gradls("check", "train.py", "--no-cache", cwd=project)
    assert result.returncode == 0
    assert "unknown gradls setting 'colour' ignored" in result.stderr


def test_pyproject_exclude(project):
    (project / "pyproject.toml").write_text('[tool.gradls]\nexclude = ["vendored/*"]\n')
    (project / "vendored").mkdir()
    (project / "vendored" / "copy.py").write_text(DETACHED)
    (project / "train.py").write_text(CLEAN)
    assert gradls("check", ".", "--no-cache", cwd=project).returncode == 0


def test_gitignore_is_respected(project):
    (project / ".gitignore").write_text("generated/\n")
    (project / "generated").mkdir()
    (project / "generated" / "bad.py").write_text(DETACHED)
    (project / "train.py").write_text(CLEAN)
    assert gradls("check", ".", "--no-cache", cwd=project).returncode == 0
    (project / ".gitignore").write_text("")
    assert gradls("check", ".", "--no-cache", cwd=project).returncode == 1


@pytest.mark.parametrize("comment, suppressed", [
    ("# gradls: ignore", True),
    ("# gradls: ignore[GRD101]", True),
    ("# gradls: ignore[GRD105, GRD101]", True),
    ("# gradls: ignore[GRD105]", False),
])
def test_suppression_comments(tmp_path, comment, suppressed):
    source = DETACHED.replace("out = model(x).detach()", f"out = model(x).detach()  {comment}")
    (tmp_path / "train.py").write_text(source)
    result = gradls("check", "train.py", "--no-cache", cwd=tmp_path)
    assert result.returncode == (0 if suppressed else 1)


def test_suppression_inside_a_string_does_not_count(tmp_path):
    source = DETACHED.replace("out = model(x).detach()", 'out = model(x).detach(); s = "# gradls: ignore"')
    (tmp_path / "train.py").write_text(source)
    assert gradls("check", "train.py", "--no-cache", cwd=tmp_path).returncode == 1


def test_bad_input_is_reported_and_other_files_still_checked(project):
    (project / "broken.py").write_text("def f(:\n    pass\n")
    (project / "binary.py").write_bytes(b"\x00\x01\x02torch backward")
    (project / "latin1.py").write_bytes("x = 'caf\xe9' # backward\n".encode("latin-1"))  # no cookie
    result = gradls("check", ".", "--output-format", "json", "--no-cache", cwd=project)
    found = json.loads(result.stdout)
    codes = sorted((f["path"], f["code"]) for f in found)
    assert codes == [("binary.py", "GRD000"), ("broken.py", "GRD000"), ("latin1.py", "GRD000"),
                     ("train.py", "GRD101")]
    messages = {f["path"]: f["message"] for f in found}
    assert messages["binary.py"].startswith("could not check: binary file")
    assert messages["latin1.py"].startswith("could not check: not valid UTF-8")
    assert "binary.py: binary file" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.returncode == 2  # a file that could not be checked is never passed as clean


def test_missing_path_is_reported_without_traceback(project):
    result = gradls("check", "train.py", "nowhere.py", "--no-cache", cwd=project)
    assert result.returncode == 2
    assert "nowhere.py: no such file or directory" in result.stderr
    assert "train.py:5:15: GRD101" in result.stdout
    assert "Traceback" not in result.stderr


def test_columns_count_characters_not_bytes(tmp_path):
    source = DETACHED.replace("out = model(x).detach()", "ausgabe_ä = model(x).detach()").replace(
        "loss = out.pow", "loss = ausgabe_ä.pow")
    (tmp_path / "train.py").write_text(source, encoding="utf-8")
    result = gradls("check", "train.py", "--output-format", "json", "--no-cache", cwd=tmp_path)
    (finding,) = json.loads(result.stdout)
    assert (finding["column"], finding["end_column"]) == (21, 30)


def test_cache_reuses_and_invalidates(project):
    first = gradls("check", "train.py", cwd=project)
    assert (project / ".gradls_cache").is_dir()
    second = gradls("check", "train.py", cwd=project)
    assert first.stdout == second.stdout and second.returncode == 1
    (project / "train.py").write_text(CLEAN)
    assert gradls("check", "train.py", cwd=project).returncode == 0


def test_rules_and_explain(tmp_path):
    listing = gradls("rules", cwd=tmp_path)
    codes = [line.split()[0] for line in listing.stdout.splitlines()]
    assert codes[0] == "GRD000" and codes[1:14] == [f"GRD{n}" for n in range(101, 114)]
    assert "GRD000" in gradls("explain", "GRD000", cwd=tmp_path).stdout
    explained = gradls("explain", "grd103", cwd=tmp_path)
    assert explained.returncode == 0
    for section in ("## What it finds", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert section in explained.stdout
    unknown = gradls("explain", "GRD999", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown rule" in unknown.stderr


def test_add_ignore_suppresses_every_finding_and_merges(tmp_path):
    source = DETACHED.replace("out = model(x).detach()", "out = model(x).detach()  # gradls: ignore[GRD105]")
    (tmp_path / "train.py").write_text(source)
    result = gradls("check", "--add-ignore", "train.py", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0 and "Added 1 ignore comment." in result.stdout
    text = (tmp_path / "train.py").read_text()
    assert "out = model(x).detach()  # gradls: ignore[GRD105, GRD101]\n" in text
    assert text.replace("  # gradls: ignore[GRD105, GRD101]", "") == DETACHED
    assert gradls("check", "train.py", "--no-cache", cwd=tmp_path).returncode == 0


def test_fix_hints_count_safe_and_unsafe_fixes_apart():
    from gradls.model import Edit, Finding, Fix, Span
    from gradls.output import text

    span = Span(1, 1, 1, 2)
    unsafe = Finding("GRD101", "m", span, "error", "a.py", Fix("unsafe", "remove", (Edit(span, ""),)))
    safe = Finding("GRD101", "m", span, "error", "a.py", Fix("safe", "remove", (Edit(span, ""),)))
    only_unsafe = text([unsafe], {}, fixable_hint=True)
    assert "1 fixable with `gradls check --fix --unsafe-fixes`" in only_unsafe and "more" not in only_unsafe
    both = text([safe, unsafe], {}, fixable_hint=True)
    assert "[*] 1 fixable with `gradls check --fix`" in both and "1 more fixable" in both
