"""A tiny stand-in engine for timing-sensitive server tests (GRADLS_SERVER_CHECK).

Flags every `.detach()` as GRD101 with a fix removing it, reports syntax errors as one
GRD000, and sleeps for N milliseconds when the source contains `# sleep: N`.
"""

from __future__ import annotations

import re
import time

from gradls.model import Edit, Finding, Fix, Span

_SLEEP = re.compile(r"# sleep: (\d+)")


def check(source: str, path: str, settings=None) -> list[Finding]:
    match = _SLEEP.search(source)
    if match:
        time.sleep(int(match.group(1)) / 1000)
    try:
        compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as err:
        line = getattr(err, "lineno", None) or 1
        return [Finding("GRD000", f"syntax error: {err}", Span(line, 1, line, 2), "error", path)]
    findings = []
    for number, text in enumerate(source.split("\n"), start=1):
        ignored = re.search(r"# gradls: ignore\[([^\]]*)\]", text)
        if ignored and "GRD101" in ignored.group(1):
            continue
        for m in re.finditer(r"\.detach\(\)", text):
            span = Span(number, m.start() + 1, number, m.end() + 1)
            fix = Fix("safe", "Remove .detach()", (Edit(span, ""),))
            findings.append(Finding("GRD101", "`.detach()` cuts the gradient", span, "error", path, fix))
    return findings
