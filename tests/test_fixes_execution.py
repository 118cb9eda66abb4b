"""Fixes are proven by EXECUTION: every positive fixture whose findings carry a fix is fixed
(safe and unsafe fixes, to a fixed point) in a copy, and the fixed copy is run under
tests/execution_label.py. The effect must be gone: label negative (every trained
parameter gets a non-zero gradient, nothing raises). A fix that does not restore the
gradient FAILS here; it is never skipped.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gradls.engine import check_source
from gradls.fixes.apply import fix_source, line_starts, offset_of

_spec = importlib.util.spec_from_file_location("execution_label", Path(__file__).with_name("execution_label.py"))
execution_label = sys.modules.get("execution_label")
if execution_label is None:
    execution_label = importlib.util.module_from_spec(_spec)
    sys.modules["execution_label"] = execution_label
    _spec.loader.exec_module(execution_label)

ALL = execution_label.all_fixtures()


def _fixable_positives() -> list[Path]:
    out = []
    for path in ALL:
        text = path.read_text()
        if execution_label.parse_header(text).get("label") != "positive":
            continue
        if any(f.fix is not None for f in check_source(text, str(path))):
            out.append(path)
    return out


FIXABLE = _fixable_positives()


def test_enough_fixtures_have_fixes():
    assert len(FIXABLE) >= 25, [execution_label.fixture_id(p) for p in FIXABLE]


@pytest.fixture(scope="module")
def fixed_observations(tmp_path_factory) -> dict[str, tuple[str, dict]]:
    folder = tmp_path_factory.mktemp("fixed")
    copies = {}
    for path in FIXABLE:
        result = fix_source(path.read_text(), str(path), unsafe=True)
        target = folder / path.parent.name / path.name
        target.parent.mkdir(exist_ok=True)
        target.write_text(result.text)
        copies[execution_label.fixture_id(path)] = (target, result)
    paths = [str(t.resolve()) for t, _ in copies.values()]
    chunks = [paths[i::2] for i in range(2)]
    with ThreadPoolExecutor(2) as pool:
        parts = list(pool.map(execution_label.observe_many, chunks))
    merged = {}
    for part in parts:
        merged.update(part)
    return {key: (result, merged[str(target.resolve())]) for key, (target, result) in copies.items()}


@pytest.mark.parametrize("path", FIXABLE, ids=execution_label.fixture_id)
def test_fix_removes_the_effect_when_executed(path: Path, fixed_observations):
    result, obs = fixed_observations[execution_label.fixture_id(path)]
    assert result.changed and result.applied, "a fixture with a fix was not changed"
    label = execution_label.label_from_observation(obs)
    assert label == "negative", (
        f"after the fix ({[f.fix.message for f in result.applied]}) execution still shows "
        f"{execution_label.effect_from_observation(obs)}: {execution_label._summary(obs)}\n"
        f"--- fixed source ---\n{result.text}"
    )


@pytest.mark.parametrize("path", FIXABLE, ids=execution_label.fixture_id)
def test_fixed_fixture_compiles_and_is_stable(path: Path):
    original = path.read_text()
    result = fix_source(original, str(path), unsafe=True)
    ast.parse(result.text)
    assert result.converged
    assert not result.failed
    again = fix_source(result.text, str(path), unsafe=True)
    assert again.text == result.text and not again.applied, "a second --fix run changed the file"
    # the fixed findings are gone (their code no longer reported at a fix's place)
    assert len(result.remaining) < len(check_source(original, str(path)))


@pytest.mark.parametrize("path", FIXABLE, ids=execution_label.fixture_id)
def test_bytes_outside_the_edits_are_unchanged(path: Path):
    """Apply one round's fixes; the text outside the edit spans is byte-identical."""
    original = path.read_text()
    findings = [f for f in check_source(original, str(path)) if f.fix]
    from gradls.fixes.apply import apply_fixes

    round_result = apply_fixes(original, findings, unsafe=True)
    starts = line_starts(original)
    ranges = sorted(
        (offset_of(original, starts, e.span.line, e.span.column),
         offset_of(original, starts, e.span.end_line, e.span.end_column), e.content)
        for f in round_result.applied for e in f.fix.edits
    )
    # rebuild the expected text from the untouched pieces and the edit contents
    pieces, position = [], 0
    for start, end, content in ranges:
        pieces.append(original[position:start])
        pieces.append(content)
        position = end
    pieces.append(original[position:])
    assert round_result.text == "".join(pieces)
    # and every untouched piece appears, in order, in the result
    cursor = 0
    position = 0
    for start, end, content in ranges:
        piece = original[position:start]
        found = round_result.text.find(piece, cursor)
        assert found == cursor, "text before an edit moved or changed"
        cursor = found + len(piece) + len(content)
        position = end
    assert round_result.text[cursor:] == original[position:]
