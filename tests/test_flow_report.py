"""The gradient-flow HTML report (gradls/report/flow_html.py, `gradls confirm --report`).

Renderer tests use hand-written flow data; the CLI test runs a small script whose encoder is
detached and reads the page it writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gradls.report.flow_html import render_flow_html, verdict

REPO = Path(__file__).resolve().parent.parent


def entry(name, module, grad, norm, *, held=True, rg=True, changed=None, cut=None, reason=None, shape=(8, 4)):
    return {"name": name, "module": module, "shape": list(shape), "held_by_optimizer": held,
            "requires_grad": rg, "grad": grad, "grad_norm": norm, "changed_by_step": changed,
            "cut_line": cut, "cut_reason": reason}


FLOW = [
    entry("model.enc.weight", "model.enc", "none", None, changed=False, cut=3,
          reason="detached by `detach` at line 3"),
    entry("model.enc.bias", "model.enc", "none", None, changed=False, cut=3,
          reason="detached by `detach` at line 3", shape=(8,)),
    entry("model.mid.weight", "model.mid", "zero", 0.0, changed=False, cut=4,
          reason="passed through a non-differentiable op by `round` at line 4"),
    entry("model.faint.weight", "model.faint", "tiny", 2e-30, changed=True),
    entry("model.head.weight", "model.head", "normal", 0.4321, changed=True),
    entry("target.head.weight", "target.head", "none", None, held=False, rg=False),
]
SOURCE = "import torch\nmodel = Net()\nh = model.enc(x).detach()\nr = model.mid(h).round()\nloss.backward()\n"

VOID = {"meta", "br", "input", "img", "link", "hr", "line", "rect", "circle"}


class Page(HTMLParser):
    """Collects the parameter rows, the line links, the source lines, and checks that every
    element is closed in order."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.rows: list[dict] = []
        self.links: list[dict] = []
        self.lines: dict[str, dict] = {}
        self.errors: list[str] = []
        self.scripts: list[str] = []
        self._in_row: dict | None = None
        self._in_line: dict | None = None
        self._in_script = False
        self._cells: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "param" in (a.get("class") or "").split():
            self._in_row = {"name": a.get("data-name"), "grad": a.get("data-grad"), "class": a["class"], "text": []}
            self.rows.append(self._in_row)
        if tag == "a" and "data-line" in a:
            self.links.append(a)
        if tag == "span" and (a.get("id") or "").startswith("L"):
            self._in_line = {"class": a.get("class"), "text": []}
            self.lines[a["id"]] = self._in_line
        if tag == "script":
            self._in_script = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:
            self.errors.append(f"self-closed <{tag}/>")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag == "tr":
            self._in_row = None
        if tag == "span" and self._in_line is not None and "span" not in self.stack[-1:]:
            self._in_line = None
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_row is not None:
            self._in_row["text"].append(data)
        if self._in_line is not None:
            self._in_line["text"].append(data)
        if self._in_script:
            self.scripts.append(data)


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    p.close()
    assert not p.errors, p.errors[:5]
    assert p.stack == [], p.stack
    return p


def test_each_status_is_shown_with_its_norm_and_verdict():
    page = parse(render_flow_html(FLOW, "/proj/train.py", source=SOURCE))
    rows = {r["name"]: r for r in page.rows}
    assert list(rows) == [e["name"] for e in FLOW]
    assert rows["model.enc.weight"]["grad"] == "none" and "v-problem" in rows["model.enc.weight"]["class"]
    assert rows["model.mid.weight"]["grad"] == "zero" and "v-problem" in rows["model.mid.weight"]["class"]
    assert rows["model.faint.weight"]["grad"] == "tiny" and "v-warning" in rows["model.faint.weight"]["class"]
    assert rows["model.head.weight"]["grad"] == "normal" and "v-ok" in rows["model.head.weight"]["class"]
    assert "v-frozen" in rows["target.head.weight"]["class"]
    text = {n: " ".join(" ".join(r["text"]).split()) for n, r in rows.items()}
    assert "0.432" in text["model.head.weight"] and "2e-30" in text["model.faint.weight"]
    assert "(8, 4)" in text["model.enc.weight"] and "(8,)" in text["model.enc.bias"]
    # requires grad / optimizer holds it / changed by step
    assert "yes yes none — no" in text["model.enc.weight"], text["model.enc.weight"]
    assert "no no none — —" in text["target.head.weight"], text["target.head.weight"]


def test_counts_in_the_header():
    html = render_flow_html(FLOW, "train.py")
    assert '<b class="count-none">3</b>' in html  # two detached + the frozen copy
    assert '<b class="count-zero">1</b>' in html and '<b class="count-tiny">1</b>' in html
    assert '<b class="count-normal">1</b>' in html
    assert '<b class="count-problem">3</b>' in html  # enc.weight, enc.bias, mid.weight


def test_cut_statements_link_to_their_source_lines():
    page = parse(render_flow_html(FLOW, "/proj/train.py", source=SOURCE))
    lines = sorted({(a["data-line"], a["href"]) for a in page.links})
    assert lines == [("3", "#L3"), ("4", "#L4")]
    # the listing has an anchor per line; the cut lines are marked and say what they cut
    assert len(page.lines) == 5
    l3 = page.lines["L3"]
    assert "cut" in l3["class"].split() and "h = model.enc(x).detach()" in "".join(l3["text"])
    assert "model.enc.weight" in "".join(l3["text"])
    assert "cut" not in page.lines["L5"]["class"].split()
    # in a VS Code webview a link posts the line to the extension
    script = "".join(page.scripts)
    assert "acquireVsCodeApi" in script and 'type: "reveal"' in script


def test_without_source_links_point_at_the_file():
    page = parse(render_flow_html(FLOW, "/proj/train.py"))
    assert {a["href"] for a in page.links} == {"file:///proj/train.py#L3", "file:///proj/train.py#L4"}
    assert page.lines == {}


def test_names_reasons_and_source_are_escaped():
    evil = [entry('m.<script>alert("x")</script>', 'm.<i>', "none", None, cut=1,
                  reason='cut by `a<b` & "c"')]
    html = render_flow_html(evil, "/p/<evil>.py", source="x = '<img src=x onerror=alert(1)>'\n")
    assert "<script>alert" not in html and "<img src" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<code>a&lt;b</code> &amp; &quot;c&quot;" in html
    assert "&lt;evil&gt;.py" in html
    page = parse(html)
    assert page.rows[0]["name"] == 'm.<script>alert("x")</script>'  # the attribute round-trips


def test_self_contained_no_network():
    html = render_flow_html(FLOW, "/proj/train.py", source=SOURCE, run={"outcome": "backward", "message": "ran"})
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for needle in ("<link", "src=", "@import", "url(", "https://"):
        assert needle not in html, needle
    # the only http: the SVG namespace, which is a name, not a request
    assert html.count("http://") == html.count('xmlns="http://www.w3.org/2000/svg"') == 1
    assert "<svg" in html and "<style>" in html


def test_chart_has_one_bar_per_module_coloured_by_status():
    html = render_flow_html(FLOW, "train.py")
    chart = html[html.index("<svg"):html.index("</svg>")]
    assert chart.count('<g class="bar') == 5  # model.enc, model.mid, model.faint, model.head, target.head
    assert chart.count("<rect") == 2  # the two modules with a positive norm
    assert "no gradient" in chart and "0 (all-zero gradient)" in chart and "frozen" in chart


def test_empty_flow_says_why():
    page = parse(render_flow_html([], "train.py", run={"outcome": "error", "message": "the script raised"}))
    assert page.rows == []
    html = render_flow_html([], "train.py", run={"outcome": "error", "message": "the script raised"})
    assert "no gradient flow to show" in html and "the script raised" in html


@pytest.mark.parametrize(("fields", "want"), [
    ({"grad": "none", "held_by_optimizer": True, "requires_grad": True}, "problem"),
    ({"grad": "normal", "held_by_optimizer": True, "requires_grad": True, "changed_by_step": False}, "problem"),
    ({"grad": "normal", "held_by_optimizer": True, "requires_grad": True, "changed_by_step": True}, "ok"),
    ({"grad": "tiny", "held_by_optimizer": True, "requires_grad": True}, "warning"),
    ({"grad": "normal", "held_by_optimizer": False, "requires_grad": True}, "untracked"),
    ({"grad": "none", "held_by_optimizer": False, "requires_grad": False}, "frozen"),
    ({"grad": "none", "held_by_optimizer": False, "requires_grad": True, "cut_line": 7}, "problem"),
])
def test_verdict(fields, want):
    assert verdict(fields) == want


DETACHED = """\
import torch
import torch.nn as nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(4, 8)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        h = self.encoder(x).detach()
        return self.head(h)


model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(16, 4)
for _ in range(2):
    opt.zero_grad()
    loss = model(x).pow(2).mean()
    loss.backward()
    opt.step()
"""


def test_confirm_writes_the_report(tmp_path):
    pytest.importorskip("torch")
    script = tmp_path / "detached.py"
    script.write_text(DETACHED)
    detach_line = next(i for i, ln in enumerate(DETACHED.splitlines(), 1) if ".detach()" in ln)
    out = tmp_path / "flow.html"
    proc = subprocess.run([sys.executable, "-m", "gradls", "confirm", str(script), "--device", "cpu",
                           "--output-format", "json", "--report", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")})
    data = json.loads(proc.stdout)  # --report leaves stdout to the JSON
    assert data["outcome"] == "backward", data["message"]
    assert f"report written to {out}" in proc.stderr
    html = out.read_text()
    page = parse(html)
    rows = {r["name"]: r for r in page.rows}
    enc = [n for n in rows if n.endswith("encoder.weight") or n.endswith("encoder.bias")]
    head = [n for n in rows if n.endswith("head.weight") or n.endswith("head.bias")]
    assert len(enc) == 2 and len(head) == 2, list(rows)
    for n in enc:
        assert rows[n]["grad"] == "none" and "v-problem" in rows[n]["class"], rows[n]
        assert f"line {detach_line}" in "".join(rows[n]["text"])
    for n in head:
        assert rows[n]["grad"] == "normal" and "v-ok" in rows[n]["class"], rows[n]
    assert {a["data-line"] for a in page.links} == {str(detach_line)}
    assert "self.encoder(x).detach()" in "".join(page.lines[f"L{detach_line}"]["text"])
    assert "cut" in page.lines[f"L{detach_line}"]["class"].split()


def test_confirm_report_to_an_unwritable_path_fails(tmp_path):
    pytest.importorskip("torch")
    script = tmp_path / "detached.py"
    script.write_text(DETACHED)
    proc = subprocess.run([sys.executable, "-m", "gradls", "confirm", str(script), "--device", "cpu",
                           "--report", str(tmp_path / "no" / "such" / "dir" / "flow.html")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write" in proc.stderr
