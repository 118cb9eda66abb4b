"""Applying fixes (overlaps, fixed point, CRLF), the suppression edit, fixes of single rules,
and the `gradls check --fix / --diff / --unsafe-fixes` CLI."""

from __future__ import annotations

import ast
import codecs
import os
import textwrap
from pathlib import Path

import pytest

from gradls.cli import main
from gradls.engine import check_source
from gradls.fixes import cli as fix_cli
from gradls.fixes.apply import OverlappingEdits, apply_edits, apply_fixes, dominant_newline, fix_source
from gradls.fixes.suppress import suppression_edit
from gradls.model import Edit, Finding, Fix, Span

DETACH_TOTAL = textwrap.dedent("""\
    import torch
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(4, 3)
    loss = model(x).detach().sum()
    loss.backward()
    opt.step()
""")

DETACH_PARTIAL = textwrap.dedent("""\
    import torch
    enc = torch.nn.Linear(4, 3)
    head = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(list(enc.parameters()) + list(head.parameters()), lr=0.1)
    x = torch.randn(8, 4)
    loss = head(enc(x).detach()).sum()
    loss.backward()
    opt.step()
""")


def _finding(line, col, end_line, end_col, content="", code="GRD999", applicability="safe", span=None):
    edit = Edit(Span(line, col, end_line, end_col), content)
    return Finding(code, "m", span or edit.span, "warning", "<t>", Fix(applicability, "do it", (edit,)))


# --------------------------------------------------------------------------------------
# apply
# --------------------------------------------------------------------------------------


def test_apply_edits_in_characters_and_any_order():
    text = "a = 'é'.x\nb = 2\n"
    out = apply_edits(text, [Edit(Span(2, 5, 2, 6), "3"), Edit(Span(1, 8, 1, 10), "")])
    assert out == "a = 'é'\nb = 3\n"


def test_apply_edits_rejects_overlaps():
    with pytest.raises(OverlappingEdits):
        apply_edits("abcdef\n", [Edit(Span(1, 1, 1, 4), "x"), Edit(Span(1, 3, 1, 5), "y")])


def test_apply_edits_writes_newlines_in_the_files_style():
    text = "if x:\r\n    y = 1\r\n"
    out = apply_edits(text, [Edit(Span(2, 5, 2, 10), "with a:\n        y = 1")])
    assert out == "if x:\r\n    with a:\r\n        y = 1\r\n"
    assert dominant_newline("a\r\nb\r\nc\n") == "\r\n"
    assert dominant_newline("abc") == "\n"


def test_form_feed_does_not_shift_lines():
    text = "x = 1\x0c + 2\ny = 3\n"
    assert apply_edits(text, [Edit(Span(2, 5, 2, 6), "4")]) == "x = 1\x0c + 2\ny = 4\n"


def test_overlapping_fix_is_deferred_not_dropped():
    text = "abcdef\n"
    first = _finding(1, 1, 1, 4, "X")
    second = _finding(1, 3, 1, 5, "Y")
    result = apply_fixes(text, [second, first])
    assert result.applied == [first] and result.deferred == [second]
    assert result.text == "Xdef\n"


def test_unsafe_fixes_need_the_flag():
    text = "abc\n"
    unsafe = _finding(1, 1, 1, 2, "X", applicability="unsafe")
    assert apply_fixes(text, [unsafe]).text == text
    assert apply_fixes(text, [unsafe], unsafe=True).text == "Xbc\n"


def test_a_fix_that_breaks_compilation_is_refused_and_reported():
    text = "x = 1\ny = 2\n"
    bad = _finding(1, 1, 1, 2, "(")
    good = _finding(2, 5, 2, 6, "3")
    result = apply_fixes(text, [bad, good])
    assert result.text == "x = 1\ny = 3\n"
    assert result.failed == [bad]


def test_safe_total_detach_fix_and_fixed_point():
    result = fix_source(DETACH_TOTAL, "t.py")
    assert "detach" not in result.text
    assert result.fixed == 1 and result.converged and not result.remaining
    assert fix_source(result.text, "t.py").applied == []


def test_nested_fixes_reach_a_fixed_point():
    """Two cuts nested in one expression: their edits touch one span, the second round fixes the rest."""
    text = DETACH_TOTAL.replace("model(x).detach().sum()", "model(x).detach().detach().sum()")
    result = fix_source(text, "t.py")
    assert "detach" not in result.text, result.text
    assert result.converged and not result.remaining


def test_partial_detach_fix_is_unsafe():
    findings = check_source(DETACH_PARTIAL, "t.py")
    fixes = [f.fix for f in findings if f.code == "GRD101"]
    assert fixes and fixes[0].applicability == "unsafe"
    assert fix_source(DETACH_PARTIAL, "t.py").text == DETACH_PARTIAL
    assert ".detach()" not in fix_source(DETACH_PARTIAL, "t.py", unsafe=True).text


def test_every_fix_has_a_message_saying_what_it_does():
    for path in Path(__file__).resolve().parent.parent.joinpath("fixtures").glob("*/*.py"):
        for finding in check_source(path.read_text(), str(path)):
            if finding.fix:
                assert finding.fix.message and finding.fix.message[0].isupper(), finding
                assert finding.fix.applicability in ("safe", "unsafe")


# --------------------------------------------------------------------------------------
# rule fixes
# --------------------------------------------------------------------------------------

FROM_TORCH_TENSOR = textwrap.dedent("""\
    from torch import nn, optim, randn, tensor

    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses = [model(randn(3)).sum() for _ in range(4)]
    loss = tensor(losses, requires_grad=True).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
""")


def test_grd103_adds_stack_to_the_from_torch_import():
    result = fix_source(FROM_TORCH_TENSOR, "t.py")
    assert "from torch import nn, optim, randn, tensor, stack\n" in result.text, result.text
    assert "loss = stack(losses).mean()" in result.text
    ast.parse(result.text)
    assert not [f for f in result.remaining if f.code == "GRD103"]


def test_grd103_keeps_dtype_as_to():
    text = FROM_TORCH_TENSOR.replace("import nn, optim, randn, tensor", "import nn, optim, randn, tensor, float64") \
        .replace("tensor(losses, requires_grad=True)", "tensor(losses, dtype=float64)")
    result = fix_source(text, "t.py")
    assert "stack(losses).to(dtype=float64).mean()" in result.text, result.text


NUMPY = textwrap.dedent("""\
    import numpy as np
    import torch

    model = torch.nn.Linear(3, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    out = model(torch.randn(5, 3))
    z = np.clip(np.maximum(np.exp(out.detach().cpu().numpy()), 0.5), 0.0, 10.0)
    loss = torch.from_numpy(np.sum(np.sqrt(z) * np.pi, axis=1)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
""")


def test_grd102_numpy_round_trip_becomes_torch_ops():
    findings = check_source(NUMPY, "t.py")
    grd102 = [f for f in findings if f.code == "GRD102"]
    assert grd102 and grd102[0].fix and grd102[0].fix.applicability == "unsafe"
    assert fix_source(NUMPY, "t.py").text == NUMPY  # unsafe: not without the flag
    result = fix_source(NUMPY, "t.py", unsafe=True)
    assert "torch.clamp(torch.clamp(torch.exp(out), min=0.5), 0.0, 10.0)" in result.text, result.text
    assert "torch.sum(torch.sqrt(z) * np.pi, dim=1)" in result.text, result.text
    assert "numpy()" not in result.text and "from_numpy" not in result.text
    namespace = {}
    exec(compile(result.text, "t.py", "exec"), namespace)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in namespace["model"].parameters())


def test_grd102_without_a_torch_equivalent_has_no_fix():
    text = NUMPY.replace("np.sqrt(z)", "np.fft.fft(z).real")
    findings = [f for f in check_source(text, "t.py") if f.code == "GRD102"]
    assert findings and all(f.fix is None for f in findings)


# --------------------------------------------------------------------------------------
# suppression
# --------------------------------------------------------------------------------------


def _at(line: int, code: str = "GRD101") -> Finding:
    return Finding(code, "m", Span(line, 1, line, 2), "warning")


def test_suppression_appends_a_comment():
    source = "x = 1\ny = f(x)   \nz = 3\n"
    edit = suppression_edit(source, _at(2))
    assert apply_edits(source, [edit]) == "x = 1\ny = f(x)  # gradls: ignore[GRD101]\nz = 3\n"


def test_suppression_merges_with_an_existing_directive():
    source = "y = f(x)  # gradls: ignore[GRD105]  # why\n"
    assert apply_edits(source, [suppression_edit(source, _at(1))]) == \
        "y = f(x)  # gradls: ignore[GRD105, GRD101]  # why\n"
    assert suppression_edit("y = f(x)  # gradls: ignore\n", _at(1)) is None
    assert suppression_edit("y = f(x)  # gradls: ignore[GRD101]\n", _at(1)) is None


def test_suppression_after_another_comment_and_crlf():
    source = "y = f(x)  # noqa: E501\r\nz = 1\r\n"
    out = apply_edits(source, [suppression_edit(source, _at(1))])
    assert out == "y = f(x)  # noqa: E501  # gradls: ignore[GRD101]\r\nz = 1\r\n"


def test_suppression_impossible_inside_a_string_or_continuation():
    assert suppression_edit('x = f("""a\nb""")\n', _at(1)) is None
    assert suppression_edit("x = 1 + \\\n    2\n", _at(1)) is None


def test_suppression_really_suppresses():
    findings = [f for f in check_source(DETACH_TOTAL, "t.py") if f.code == "GRD101"]
    fixed = apply_edits(DETACH_TOTAL, [suppression_edit(DETACH_TOTAL, findings[0])])
    assert not [f for f in check_source(fixed, "t.py") if f.code == "GRD101"]


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------


def _project(tmp_path: Path, text: str, name: str = "train.py", raw: bytes | None = None) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    path = tmp_path / name
    path.write_bytes(raw if raw is not None else text.encode())
    return path


def test_cli_fix_writes_safe_fixes_and_reports(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _project(tmp_path, DETACH_TOTAL)
    assert main(["check", "--fix", "--no-cache", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Fixed 1 problem, 0 remaining." in out
    assert "detach" not in path.read_text()
    # a second run changes nothing
    before = path.read_bytes()
    assert main(["check", "--fix", "--no-cache", str(path)]) == 0
    assert "Fixed 0 problems, 0 remaining." in capsys.readouterr().out
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".gradls-tmp")]


def test_cli_unsafe_fixes_need_the_flag(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _project(tmp_path, DETACH_PARTIAL)
    assert main(["check", "--fix", "--no-cache", str(path)]) == 1
    captured = capsys.readouterr()
    assert "Fixed 0 problems, 1 remaining." in captured.out
    assert "1 more fixable with `--unsafe-fixes`" in captured.out
    assert path.read_text() == DETACH_PARTIAL
    assert main(["check", "--fix", "--unsafe-fixes", "--no-cache", str(path)]) == 0
    assert ".detach()" not in path.read_text()


def test_cli_diff_prints_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _project(tmp_path, DETACH_TOTAL)
    stat = path.stat()
    assert main(["check", "--diff", "--no-cache", str(path)]) == 1
    captured = capsys.readouterr()
    assert "-loss = model(x).detach().sum()\n+loss = model(x).sum()\n" in captured.out
    assert "--- train.py\n+++ train.py\n" in captured.out
    assert path.read_text() == DETACH_TOTAL and path.stat().st_mtime_ns == stat.st_mtime_ns
    # --diff wins over --fix
    assert main(["check", "--diff", "--fix", "--no-cache", str(path)]) == 1
    assert path.read_text() == DETACH_TOTAL
    capsys.readouterr()
    # nothing to change: exit 0
    clean = _project(tmp_path, DETACH_TOTAL.replace(".detach()", ""), "clean.py")
    assert main(["check", "--diff", "--no-cache", str(clean)]) == 0
    assert capsys.readouterr().out == ""


def test_cli_diff_of_unsafe_fix_only_with_flag(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _project(tmp_path, DETACH_PARTIAL)
    assert main(["check", "--diff", "--no-cache", str(path)]) == 0
    assert main(["check", "--diff", "--unsafe-fixes", "--no-cache", str(path)]) == 1
    assert "+loss = head(enc(x)).sum()" in capsys.readouterr().out


def test_cli_fix_keeps_crlf_bom_and_other_bytes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = DETACH_TOTAL.replace("import torch\n", "import torch  # café\n").replace("\n", "\r\n")
    raw = codecs.BOM_UTF8 + text.encode()
    path = _project(tmp_path, "", raw=raw)
    assert main(["check", "--fix", "--no-cache", str(path)]) == 0
    after = path.read_bytes()
    assert after.startswith(codecs.BOM_UTF8)
    assert after == raw.replace(b".detach()", b"")


def test_cli_fix_keeps_a_latin1_encoding(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + DETACH_TOTAL
    path = _project(tmp_path, "", raw=text.encode("latin-1"))
    assert main(["check", "--fix", "--no-cache", str(path)]) == 0
    assert path.read_bytes() == text.replace(".detach()", "").encode("latin-1")


def test_cli_crlf_with_multiline_fix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = textwrap.dedent("""\
        import torch
        w = torch.randn(3, requires_grad=True)
        lr = 0.1
        for _ in range(2):
            loss = (w * 2).sum()
            loss.backward()
            w -= lr * w.grad
            w.grad.zero_()
    """).replace("\n", "\r\n")
    path = _project(tmp_path, text)
    main(["check", "--fix", "--no-cache", str(path)])
    after = path.read_bytes()
    assert b"with torch.no_grad():\r\n        w -= lr * w.grad\r\n" in after, after
    assert b"\n" not in after.replace(b"\r\n", b"")


def test_cli_file_changed_during_fixing_is_not_overwritten(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _project(tmp_path, DETACH_TOTAL)
    real = fix_cli.compute_fix

    def edit_meanwhile(source, shown, settings, unsafe, **options):
        result = real(source, shown, settings, unsafe, **options)
        path.write_text(DETACH_TOTAL + "# edited by the user\n")
        return result

    monkeypatch.setattr(fix_cli, "compute_fix", edit_meanwhile)
    assert main(["check", "--fix", "--no-cache", str(path)]) == 2
    assert "changed on disk while being fixed" in capsys.readouterr().err
    assert path.read_text() == DETACH_TOTAL + "# edited by the user\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".gradls-tmp")]


def test_cli_write_is_atomic_via_replace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _project(tmp_path, DETACH_TOTAL)
    os.chmod(path, 0o640)
    calls = []
    real_replace = os.replace

    def spy(src, dst):
        calls.append((Path(src).parent, Path(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(fix_cli.os, "replace", spy)
    assert main(["check", "--fix", "--no-cache", str(path)]) == 0
    assert calls == [(tmp_path, path)]
    assert path.stat().st_mode & 0o777 == 0o640


def test_cli_fix_json_output_keeps_stdout_json(tmp_path, capsys, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    path = _project(tmp_path, DETACH_PARTIAL)
    main(["check", "--fix", "--output-format", "json", "--no-cache", str(path)])
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0]["code"] == "GRD101"
    assert "Fixed 0 problems, 1 remaining." in captured.err
