"""gradls reports exactly the diagnostics each fixture's `# expect:` markers name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FIXTURES = sorted(p for p in (Path(__file__).resolve().parent.parent / "fixtures").glob("*/*.py"))
EXPECT_RE = re.compile(r"#\s*expect:\s*([A-Z]{3}\d{3}(?:\s*,\s*[A-Z]{3}\d{3})*)\s*$")


def expected_markers(text: str) -> set[tuple[str, int]]:
    out: set[tuple[str, int]] = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = EXPECT_RE.search(line)
        if m:
            out.update((code.strip(), lineno) for code in m.group(1).split(","))
    return out


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_diagnostics(path: Path):
    from gradls.engine import check_source

    text = path.read_text()
    findings = check_source(text, path=str(path))
    got = {(f.code, f.line) for f in findings}
    assert got == expected_markers(text)
    shown = [(f.code, f.span, f.message) for f in findings]
    assert len(shown) == len(set(shown)), "the same finding is reported more than once"
