"""Unit tests of the server's pure parts: position conversions, edits, syntax policy."""

from __future__ import annotations

from dataclasses import replace

from lsprotocol import types

from gradls.config import Settings
from gradls.model import Edit, Finding, Fix, Related, Span
from gradls.server.actions import ignore_edit, kind_wanted
from gradls.server.convert import LineIndex, diff_edits, finding_to_diagnostic, minimal_edit
from gradls.server.scheduler import Analysis, Job, _first_changed_line, run_analysis
from gradls.server.settings import SettingsStore, unwrap

U8, U16, U32 = (types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16,
                types.PositionEncodingKind.Utf32)
TEXT = 's = "😋é"; y = x.detach()\r\nz = 1\rw = 2\n'


def test_columns_in_each_encoding():
    col = TEXT.index(".detach") + 1  # 1-based code point column
    assert LineIndex(TEXT, U32).position(1, col).character == col - 1
    assert LineIndex(TEXT, U16).position(1, col).character == col  # the emoji is 2 units
    assert LineIndex(TEXT, U8).position(1, col).character == col - 1 + 3 + 1  # 4-byte emoji, 2-byte é


def test_round_trip_and_line_endings():
    for enc in (U8, U16, U32):
        index = LineIndex(TEXT, enc)
        assert index.line_count == 4
        assert index.line_text(0).endswith("x.detach()")
        assert index.line_text(1) == "z = 1" and index.line_text(2) == "w = 2"
        for column in range(1, len(index.line_text(0)) + 2):
            assert index.to_line_column(index.position(1, column)) == (1, column)


def test_invalid_positions_clamp():
    index = LineIndex(TEXT, U16)
    assert index.to_line_column(types.Position(line=99, character=5)) == (4, 1)
    assert index.to_line_column(types.Position(line=1, character=999)) == (2, 6)
    # character 6 is inside the surrogate pair of the emoji (starts at unit 5): round down
    assert index.to_line_column(types.Position(line=0, character=6)) == (1, 6)
    assert index.position(0, 0) == types.Position(line=0, character=0)
    assert index.position(99, 1) == types.Position(line=3, character=0)
    assert index.offset_of(99, 99) == len(TEXT)


def test_diagnostic_fields():
    span = Span(1, 17, 1, 26)
    finding = Finding("GRD101", "cut", span, "warning", "x.py",
                      Fix("safe", "Remove `.detach()`", (Edit(span, ""),)),
                      (Related(Span(2, 1, 2, 6), "reaches backward here"),))
    diag = finding_to_diagnostic(finding, LineIndex(TEXT, U16), "file:///x.py")
    assert diag.code == "GRD101" and diag.source == "gradls"
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert diag.code_description.href == "https://gradls.dev/rules/GRD101"
    assert diag.related_information[0].location.range.start.line == 1
    assert diag.data["fix"]["title"] == "gradls (GRD101): Remove `.detach()`"
    assert diag.data["fix"]["edits"][0]["range"]["start"]["character"] == 17


def _apply(text: str, edits, encoding=U16) -> str:
    index = LineIndex(text, encoding)
    spans = sorted(((index.offset_at(e.range.start), index.offset_at(e.range.end), e.new_text) for e in edits),
                   reverse=True)
    for a, b, new in spans:
        text = text[:a] + new + text[b:]
    return text


def test_diff_edits_are_minimal_and_exact():
    old = "a = 1\nb = x.detach()\nc = 3\nd = 4\ntotal += loss\n"
    new = "a = 1\nb = x\nc = 3\nd = 4\ntotal += loss.item()\n"
    edits = diff_edits(old, new, LineIndex(old))
    assert [(e.range.start.line, e.range.start.character, e.range.end.character, e.new_text) for e in edits] == [
        (1, 5, 14, ""), (4, 13, 13, ".item()")]
    assert _apply(old, edits) == new
    assert diff_edits(old, old, LineIndex(old)) == []
    # CRLF, lines added and removed, non-BMP characters before the change, no final newline
    cases = [
        ("x = 1\r\ny = 2\r\n", "x = 1\r\nz = 0\r\ny = 2\r\n"),
        ("s = '😋'; y = x.detach()\nz = 1", "s = '😋'; y = x\nz = 1"),
        ("a\nb\nc\n", "c\n"),
        ("a\nb\n", "a\nb\nc"),
        ("", "import torch\n"),
        ("a\r\nb", "a\nb"),
    ]
    for before, after in cases:
        for enc in (U8, U16, U32):
            assert _apply(before, diff_edits(before, after, LineIndex(before, enc)), enc) == after, (before, after)


def test_diff_edits_are_exact_on_long_texts_of_repeated_lines():
    """Many identical lines (where difflib's popular-line heuristic applies), with lines
    rewritten in place and, in the second text, also inserted and removed."""
    import random

    rng = random.Random(5)
    old_lines = [rng.choice(["    x = x.detach()\n", "\n", "    loss.backward()\n", f"y{i} = {i}\n"]) for i in range(3000)]
    rewritten = [line.replace(".detach()", "") if rng.random() < 0.3 else line for line in old_lines]
    reshaped = list(rewritten)
    for _ in range(40):
        at = rng.randrange(len(reshaped))
        if rng.random() < 0.5:
            reshaped.insert(at, "    inserted = 1\n")
        else:
            del reshaped[at]
    old = "".join(old_lines)
    for new in ("".join(rewritten), "".join(reshaped)):
        edits = diff_edits(old, new, LineIndex(old))
        assert _apply(old, edits) == new
        assert len(edits) <= sum(a != b for a, b in zip(old_lines, rewritten)) + 80


def _analysis(source: str, findings) -> Analysis:
    return run_analysis(Job("u", 1, source, "x.py", Settings()), None, lambda *_: findings)


def test_minimal_edit_and_ignore_comment():
    old = "a = 1\nb = x.detach()\nc = 3\n"
    new = "a = 1\nb = x\nc = 3\n"
    index = LineIndex(old)
    edit = minimal_edit(old, new, index)
    assert edit.range.start.line == 1 and edit.new_text == ""
    assert minimal_edit(old, old, index) is None
    f = Finding("GRD101", "m", Span(2, 6, 2, 15), "error")
    edit = ignore_edit(_analysis(old, [f]), 0)
    assert edit.new_text == "  # gradls: ignore[GRD101]" and edit.range.start.character == len("b = x.detach()")
    src = "b = x.detach()  # gradls: ignore[GRD103]  # noqa\n"
    edit = ignore_edit(_analysis(src, [Finding("GRD101", "m", Span(1, 6, 1, 15), "error")]), 0)
    assert _apply(src, [edit]) == "b = x.detach()  # gradls: ignore[GRD103, GRD101]  # noqa\n"
    # a line that ends inside a multi-line string cannot take a comment
    src = 'y = x.detach(); doc = """\ntext\n"""\n'
    assert ignore_edit(_analysis(src, [Finding("GRD101", "m", Span(1, 6, 1, 15), "error")]), 0) is None


IGNORE_SRC = (
    "import torch\n"
    "@decorate(\n    arg)  # gradls: ignore[GRD103]\n"
    "def f(x):\n"
    '    """doc\n    y = x.detach()\n    """\n'
    "    y = x.detach() + \\\n        1\n"
    "    z = x.detach()  # noqa\n"
    "    return (y,\n            z)  # gradls: ignore[GRD102]\n"
    "a = 1; b = '''\nx\n'''\n"
    "\n"
    "# comment\n"
    "class C:\n    w = f'''{a}\n'''; v = 2\n"
    "if a:\r\n    a = 2  # c\r\n"
    "last = x.detach()"
)


def test_ignore_edit_on_a_statement_equals_the_whole_file_answer():
    """`ignore_edit` tokenizes only the top-level statement around the line: it must give
    what `suppression_edit` gives on the whole file, line for line."""
    from gradls.fixes.suppress import suppression_edit

    lines = LineIndex(IGNORE_SRC).line_count
    findings = [Finding("GRD101", "m", Span(n, 1, n, 2), "error") for n in range(1, lines + 1)]
    analysis = _analysis(IGNORE_SRC, findings)
    nones = 0
    for i, f in enumerate(findings):
        want = suppression_edit(IGNORE_SRC, f)
        got = ignore_edit(analysis, i)
        if want is None:
            nones += 1
            assert got is None, f.span.line
        else:
            assert got is not None, f.span.line
            assert (got.range, got.new_text) == (analysis.index.range(want.span), want.content), f.span.line
    assert nones >= 4  # the lines ending inside strings or with a backslash
    # a source that does not parse: the whole text is given to suppression_edit
    broken = "y = x.detach(\n"
    assert ignore_edit(_analysis(broken, [Finding("GRD101", "m", Span(1, 1, 1, 2), "error")]), 0) is not None


def test_blocks_update_equals_a_full_parse_after_random_edits():
    """The incremental top-level statement index (used by the ignore action) matches a
    full parse after thousands of random edits of real files, including ones that open
    strings, add `else:` branches and decorators."""
    import random

    from gradls.server import blocks
    from tests.server_client.corpus import generate, real_files

    rng = random.Random(7)
    snippets = ["x = 1\n", "    y = 2\n", '"""\n', "'''", "else:\n    pass\n", "@dec\n", "\\\n", "(", ")",
                "# c\n", "\n", "def g():\n    return 1\n", "a = 1; b = '''\nq\n'''\n", "\r\n", ""]
    texts = [t for t in real_files()[:6]] + [generate(200, seed=1)]
    checked = 0
    for text in texts:
        original = text
        current = blocks.full(text)
        for _ in range(150):
            if current.blocks is None:  # broken: the next edit starts from the original again
                text = original
            lines = text.splitlines(keepends=True)
            i = rng.randrange(len(lines) + 1)
            j = min(len(lines), i + rng.choice([0, 0, 1, 2, 5]))
            new_lines = lines[:i] + [rng.choice(snippets) for _ in range(rng.choice([0, 1, 1, 2]))] + lines[j:]
            if rng.random() < 0.3 and lines:  # an edit inside a line
                k = rng.randrange(len(lines))
                line = lines[k]
                cut = rng.randrange(len(line) + 1)
                new_lines = lines[:k] + [line[:cut] + rng.choice(snippets) + line[cut:]] + lines[k + 1:]
            text = "".join(new_lines)
            current = blocks.update(current, text)
            assert current.blocks == blocks.full(text).blocks
            checked += current.blocks is not None
    assert checked > 100  # most edits keep the text parseable




def test_kind_matching():
    assert kind_wanted("source.fixAll.gradls", ["source.fixAll"])
    assert kind_wanted("source.fixAll.gradls", ["source"])
    assert not kind_wanted("source.fixAll.gradls", ["quickfix"])
    assert kind_wanted("quickfix", None)


def test_first_changed_line():
    assert _first_changed_line("a\nb\nc\n", "a\nb\nX\n") == 3
    assert _first_changed_line("a\r\nb\r\n", "a\r\nc\r\n") == 2
    assert _first_changed_line("same", "same") > 10**6


def _fake(findings):
    return lambda source, path, settings: findings


def test_syntax_policy_keeps_findings_above_first_edit():
    good_src = "a\nb\nc\nd\n"
    early = Finding("GRD101", "m", Span(1, 1, 1, 2), "error")
    late = Finding("GRD103", "m", Span(4, 1, 4, 2), "warning")
    job = Job("u", 1, good_src, "x.py", Settings())
    good = run_analysis(job, None, _fake([early, late]))
    broken_src = "a\nb\nc(\nd\n"
    syntax = Finding("GRD000", "syntax", Span(4, 1, 4, 2), "error")
    result = run_analysis(Job("u", 2, broken_src, "x.py", Settings()), good, _fake([syntax]))
    assert [f.code for f in result.findings] == ["GRD101", "GRD000", "GRD103"]  # line 4 is unchanged
    assert result.syntax_error
    # a broken line inserted above `late`: it moves down with its text (and so do its fix,
    # its related places and the lines its message names); `edited`, on the edited line, goes
    fix = Fix("safe", "remove", (Edit(Span(4, 1, 4, 2), ""),))
    late = replace(late, message="reaches backward (line 4)", fix=fix,
                   related=(Related(Span(1, 1, 1, 2), "source"), Related(Span(4, 1, 4, 2), "sink")))
    edited = Finding("GRD102", "m", Span(2, 1, 2, 2), "warning")
    good = run_analysis(job, None, _fake([early, edited, late]))
    inserted_src = "a\nb(\nX(\nc\nd\n"
    syntax = Finding("GRD000", "syntax", Span(2, 2, 2, 3), "error")
    result = run_analysis(Job("u", 3, inserted_src, "x.py", Settings()), good, _fake([syntax]))
    assert [f.code for f in result.findings] == ["GRD101", "GRD000", "GRD103"]
    moved = result.findings[-1]
    assert moved.span == Span(5, 1, 5, 2) and moved.message == "reaches backward (line 5)"
    assert [r.span.line for r in moved.related] == [1, 5] and moved.fix.edits[0].span.line == 5


def test_settings_filter_and_engine_failure():
    f = Finding("GRD101", "m", Span(1, 1, 1, 2), "error")
    settings = Settings(ignore=("GRD101",))
    assert run_analysis(Job("u", 1, "a\n", "x.py", settings), None, _fake([f])).findings == []
    settings = Settings(severity={"GRD101": "hint"})
    (out,) = run_analysis(Job("u", 1, "a\n", "x.py", settings), None, _fake([f])).diagnostics
    assert out.severity == types.DiagnosticSeverity.Hint

    def boom(*_):
        raise RuntimeError("engine bug")

    result = run_analysis(Job("u", 1, "a\n", "x.py", Settings()), None, boom)
    assert isinstance(result, Analysis) and result.diagnostics == [] and result.skipped == "engine error"


def test_settings_shapes_and_warnings():
    assert unwrap({"gradls": {"enable": False}}) == {"enable": False}
    assert unwrap({"settings": {"gradls": {"enable": False}}}) == {"enable": False}
    store = SettingsStore()
    assert store.set_client({"ignore": ["GRD101"]}) == []
    assert store.for_path(None)[0].ignore == ("GRD101",)
    assert store.set_client({"select": 3})
    assert store.for_path(None)[0].select == ("ALL",)
    assert store.set_client("nonsense")


def test_shadow_settings_merge_and_validate(tmp_path):
    from gradls.server.shadow import ShadowOptions, parse_options

    (tmp_path / "pyproject.toml").write_text('[tool.gradls.shadow]\nworker = "ssh gpu python -m gradls.shadow.worker"\n')
    store = SettingsStore()
    store.set_client({"shadow": {"device": "cuda"}})
    settings, _ = store.for_path(str(tmp_path / "train.py"))
    assert settings.shadow == {"worker": "ssh gpu python -m gradls.shadow.worker", "device": "cuda"}
    opts, warnings = parse_options(settings.shadow)
    assert opts == ShadowOptions(device="cuda", worker="ssh gpu python -m gradls.shadow.worker") and not warnings
    opts, warnings = parse_options({"device": "tpu", "timeout": "soon", "memory_mb": 512, "bogus": 1})
    assert opts.device == "auto" and opts.timeout == 60 and opts.memory_mb == 512 and len(warnings) == 3
    import pytest

    with pytest.raises(ValueError):
        parse_options({"timeout": 0}, strict=True)
