"""A self-contained HTML page of a shadow run's gradient flow (``gradls confirm --report``).

Input: the ``flow`` list of ``gradls confirm --output-format json`` (one object per tensor the
run followed: ``name``, ``module``, ``shape``, ``held_by_optimizer``, ``requires_grad``,
``grad`` = "none" | "zero" | "tiny" | "normal", ``grad_norm``, ``changed_by_step``,
``cut_line``, ``cut_reason``; see docs/shadow.md) and the path of the script that ran.

Output: one HTML string with everything inline (CSS, an SVG chart, a little script; a
Content-Security-Policy that forbids any network access), showing

* a chart of the largest gradient norm per module, on a log scale, coloured by status;
* the statements that cut gradient, each with the tensors it cut, linked to its line;
* a table per module: each parameter's shape, whether it requires grad, whether an optimizer
  holds it, its gradient status and norm, whether the optimizer step changed it, and the
  statement that cut it;
* the script's source with the cut lines marked (when its text is given).

A line link is a plain ``#L<n>`` anchor in a browser; in a VS Code webview (where
``acquireVsCodeApi`` exists) it posts ``{type: "reveal", line: n}`` to the extension, which
opens the file at that line. The same function renders the page for both.

``render_flow_html`` is pure (no I/O); ``write_flow_report`` writes it to a file.
"""

from __future__ import annotations

import math
import os
import re
from html import escape
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

STATUSES = ("none", "zero", "tiny", "normal")

# verdict of one tensor, worst first
VERDICTS = ("problem", "warning", "untracked", "ok", "frozen")
_VERDICT_TEXT = {
    "problem": "does not train",
    "warning": "gradient negligible",
    "untracked": "gets gradient, no optimizer holds it",
    "ok": "trains",
    "frozen": "frozen (not trained)",
}
_STATUS_TEXT = {
    "none": "no gradient",
    "zero": "all-zero gradient",
    "tiny": "tiny gradient",
    "normal": "normal gradient",
}
_COLORS = {  # status colours, readable on light and dark backgrounds
    "none": "#d1242f",
    "zero": "#e16f24",
    "tiny": "#bf8700",
    "normal": "#1a7f37",
    "frozen": "#8c959f",
}


def verdict(entry: Mapping[str, Any]) -> str:
    """What one tensor's row says: ``problem`` (an optimizer holds it, or the run names a
    statement that cut it, and it got no usable gradient or did not change), ``warning``
    (a gradient, but negligible), ``untracked`` (gradient, but no optimizer holds it),
    ``ok``, or ``frozen`` (neither requires grad nor held by an optimizer: not trained by
    design, e.g. a target network)."""
    held = bool(entry.get("held_by_optimizer"))
    grad = entry.get("grad")
    if not held and not entry.get("requires_grad") and entry.get("cut_line") is None:
        return "frozen"
    if held or entry.get("cut_line") is not None:
        if grad in ("none", "zero") or entry.get("changed_by_step") is False:
            return "problem"
    if grad == "tiny":
        return "warning"
    if not held and grad in ("none", "zero"):
        return "frozen"
    if not held:
        return "untracked"
    return "ok"


def _worst(verdicts: Iterable[str]) -> str:
    seen = set(verdicts)
    for v in VERDICTS:
        if v in seen:
            return v
    return "ok"


def _fmt_norm(value: Any) -> str:
    if value is None:
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return escape(str(value))
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return escape(str(v))
    return f"{v:.3g}"


def _fmt_shape(shape: Any) -> str:
    if isinstance(shape, (list, tuple)):
        return "(" + ", ".join(str(int(s)) if isinstance(s, (int, float)) else escape(str(s)) for s in shape) + \
            ("," if len(shape) == 1 else "") + ")"
    return "—" if shape is None else escape(str(shape))


def _yes_no(value: Any) -> str:
    if value is None:
        return "—"
    return "yes" if value else "no"


def _prose(text: str) -> str:
    """Escape `text`, showing its `code` spans (the run's reasons quote code) as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


def _line_link(line: int, text: str, source_path: str, have_source: bool) -> str:
    href = f"#L{line}" if have_source else f"{Path(os.path.abspath(source_path)).as_uri()}#L{line}"
    title = f"{source_path}:{line}"
    return (f'<a class="line" href="{escape(href)}" data-line="{line}" '
            f'title="{escape(title)}">{escape(text)}</a>')


def _module_of(entry: Mapping[str, Any]) -> str:
    module = entry.get("module")
    return module if isinstance(module, str) and module else ""


def _short_name(entry: Mapping[str, Any]) -> str:
    name = str(entry.get("name", "?"))
    module = _module_of(entry)
    if module and name.startswith(module + "."):
        return name[len(module) + 1:]
    return name


def _cut_line(entry: Mapping[str, Any]) -> int | None:
    line = entry.get("cut_line")
    return line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else None


# --- the chart ---------------------------------------------------------------------------


def _chart(groups: Sequence[tuple[str, list[Mapping[str, Any]]]]) -> str:
    """Horizontal bars: the largest gradient norm of each module's tensors, log scale."""
    rows = []
    for module, entries in groups:
        norms = [float(e["grad_norm"]) for e in entries
                 if isinstance(e.get("grad_norm"), (int, float)) and not isinstance(e.get("grad_norm"), bool)
                 and math.isfinite(float(e["grad_norm"]))]
        best = max(norms) if norms else None
        statuses = [e.get("grad") for e in entries]
        status = next((s for s in ("normal", "tiny", "zero", "none") if s in statuses), "none")
        v = _worst(verdict(e) for e in entries)
        rows.append((module or "(no module)", best, status, v))
    positive = [r[1] for r in rows if r[1] is not None and r[1] > 0]
    if positive:
        lo = math.floor(math.log10(min(positive)))
        hi = math.ceil(math.log10(max(positive)))
        if hi - lo < 2:
            lo, hi = lo - 1, hi + 1
    else:
        lo, hi = -3, 1
    label_w, bar_w, row_h, top = 240, 420, 20, 24
    width = label_w + bar_w + 150
    height = top + row_h * len(rows) + 8
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="largest gradient norm per module, log scale">']
    step = max(1, math.ceil((hi - lo) / 8))  # at most ~9 decade ticks
    for k in range(lo, hi + 1, step):
        x = label_w + (k - lo) / (hi - lo) * bar_w
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 4}" class="tick"/>')
        out.append(f'<text x="{x:.1f}" y="{top - 8}" class="ticklabel" text-anchor="middle">1e{k}</text>')
    for i, (module, best, status, v) in enumerate(rows):
        y = top + i * row_h
        colour = _COLORS["frozen"] if v == "frozen" else _COLORS[status]
        label = module if len(module) <= 34 else "…" + module[-33:]
        out.append(f'<g class="bar v-{v}"><title>{escape(module)}: {escape(_STATUS_TEXT[status])}, '
                   f'largest norm {_fmt_norm(best)} ({escape(_VERDICT_TEXT[v])})</title>')
        out.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" class="modlabel">{escape(label)}</text>')
        if best is not None and best > 0:
            w = max(2.0, (math.log10(best) - lo) / (hi - lo) * bar_w)
            out.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                       f'fill="{colour}" rx="2"/>')
            out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 14}" class="value">{_fmt_norm(best)}</text>')
        else:
            text = "0 (all-zero gradient)" if status == "zero" else "no gradient"
            if v == "frozen":
                text = "frozen"
            out.append(f'<circle cx="{label_w + 5}" cy="{y + row_h / 2:.1f}" r="4" fill="{colour}"/>')
            out.append(f'<text x="{label_w + 16}" y="{y + 14}" class="value">{escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


# --- the page ----------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light dark; }
body { font: 13px/1.45 var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  color: var(--vscode-editor-foreground, #1f2328); background: var(--vscode-editor-background, #ffffff);
  margin: 16px 24px; }
h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 22px 0 8px; }
code, .mono, pre { font-family: var(--vscode-editor-font-family, ui-monospace, SFMono-Regular, Menlo, monospace); }
.run { opacity: .85; margin: 0 0 10px; }
.counts span { display: inline-block; margin-right: 14px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; color: #fff; font-size: 12px; white-space: nowrap; }
.s-none { background: #d1242f; } .s-zero { background: #e16f24; } .s-tiny { background: #bf8700; }
.s-normal { background: #1a7f37; } .s-frozen { background: #8c959f; }
table { border-collapse: collapse; width: 100%; min-width: 760px; }
.table-wrap { overflow-x: auto; }
svg.chart { max-width: 100%; height: auto; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid rgba(127,127,127,.25); vertical-align: top; }
th { font-weight: 600; } td.mono { white-space: nowrap; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.module th { background: rgba(127,127,127,.12); border-top: 2px solid rgba(127,127,127,.35); }
tr.v-problem td:first-child { border-left: 3px solid #d1242f; }
tr.v-warning td:first-child { border-left: 3px solid #bf8700; }
tr.v-untracked td:first-child { border-left: 3px solid #e16f24; }
tr.v-frozen { opacity: .7; }
body.only-problems tr.v-ok, body.only-problems tr.v-frozen, body.only-problems tbody.v-ok,
body.only-problems tbody.v-frozen { display: none; }
a.line { color: var(--vscode-textLink-foreground, #0969da); }
svg.chart text { fill: currentColor; font-size: 12px; }
svg.chart .tick { stroke: rgba(127,127,127,.3); } svg.chart .ticklabel { opacity: .7; font-size: 11px; }
ul.cuts li { margin: 4px 0; }
pre.source { margin: 0; padding: 6px 0; overflow-x: auto; border: 1px solid rgba(127,127,127,.25); }
pre.source span.ln { display: block; padding: 0 8px; white-space: pre; }
pre.source span.ln::before { content: attr(data-n); display: inline-block; width: 4ch; margin-right: 12px;
  text-align: right; opacity: .5; }
pre.source span.cut { background: rgba(209,36,47,.16); }
pre.source span.ln:target, pre.source span.flash { outline: 2px solid #0969da; }
pre.source .note { opacity: .8; font-style: italic; }
.legend span { margin-right: 12px; }
"""

_JS = """
(function () {
  var vscode = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : null;
  document.addEventListener("click", function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest("a[data-line]") : null;
    if (!a) { return; }
    var line = Number(a.getAttribute("data-line"));
    if (vscode) {
      ev.preventDefault();
      vscode.postMessage({ type: "reveal", line: line });
      return;
    }
    var target = document.getElementById("L" + line);
    if (target) {
      target.classList.add("flash");
      setTimeout(function () { target.classList.remove("flash"); }, 1500);
    }
  });
  var box = document.getElementById("only-problems");
  if (box) {
    box.addEventListener("change", function () {
      document.body.classList.toggle("only-problems", box.checked);
    });
  }
})();
"""

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "img-src data:; font-src data:")


def _run_summary(run: Mapping[str, Any] | None) -> str:
    if not run:
        return ""
    parts = []
    outcome = run.get("outcome")
    message = run.get("message")
    if message:
        parts.append(escape(str(message)))
    elif outcome:
        parts.append(escape(str(outcome)))
    where = []
    if run.get("device"):
        where.append(escape(str(run["device"])))
    if isinstance(run.get("wall_s"), (int, float)):
        where.append(f"{float(run['wall_s']):.2f} s")
    if where:
        parts.append("(" + ", ".join(where) + ").")
    counts = run.get("counts")
    if isinstance(counts, Mapping):
        shown = [f"{int(counts[k])} {k.replace('_', ' ')}" for k in
                 ("confirmed", "refuted", "not_reached", "unverified", "runtime_only")
                 if isinstance(counts.get(k), int) and counts.get(k)]
        if shown:
            parts.append("Findings: " + ", ".join(shown) + ".")
    return f'<p class="run">Shadow run: {" ".join(parts)}</p>' if parts else ""


def render_flow_html(flow: Sequence[Mapping[str, Any]], source_path: str, *, source: str | None = None,
                     run: Mapping[str, Any] | None = None) -> str:
    """The HTML page for one run's ``flow``. ``source``: the script's text (adds the listing
    and makes line links anchors within the page); ``run``: the rest of confirm's JSON
    (outcome, message, device, wall_s, counts) for the header."""
    entries = [e for e in flow if isinstance(e, Mapping)]
    name = os.path.basename(source_path) or source_path
    have_source = source is not None

    groups: dict[str, list[Mapping[str, Any]]] = {}
    for e in entries:
        groups.setdefault(_module_of(e), []).append(e)
    ordered = list(groups.items())

    verdicts = [verdict(e) for e in entries]
    tally = {s: sum(1 for e in entries if e.get("grad") == s) for s in STATUSES}
    n_problem = verdicts.count("problem")

    out: list[str] = []
    out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
    out.append(f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">')
    out.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    out.append(f"<title>gradls: gradient flow of {escape(name)}</title>")
    out.append(f"<style>{_CSS}</style></head><body>")
    out.append(f'<h1>Gradient flow of <code>{escape(name)}</code></h1>')
    out.append(f'<p class="run mono">{escape(source_path)}</p>')
    out.append(_run_summary(run))

    if not entries:
        out.append("<p>The run followed no tensor (it did not reach a model, or ended before "
                   "its first backward), so there is no gradient flow to show.</p>")
    else:
        out.append('<p class="counts">'
                   f'<span><b>{len(entries)}</b> tensors in <b>{len(ordered)}</b> modules</span>'
                   + "".join(f'<span><span class="badge s-{s}">{escape(_STATUS_TEXT[s])}</span> '
                             f'<b class="count-{s}">{tally[s]}</b></span>' for s in STATUSES)
                   + f'<span><b class="count-problem">{n_problem}</b> do not train although they should</span>'
                   + "</p>")
        out.append('<p class="legend">Status from the run: <b>none</b> = no gradient after any backward; '
                   "<b>zero</b> = gradients, all exactly zero; <b>tiny</b> = at most 1e-8 of the "
                   "tensor's own norm; <b>normal</b> otherwise. Norms are the largest L2 norm seen.</p>")

        out.append("<h2>Largest gradient norm per module</h2>")
        out.append(_chart(ordered))

        cuts: dict[tuple[int, str], list[str]] = {}
        for e in entries:
            line = _cut_line(e)
            if line is not None:
                cuts.setdefault((line, str(e.get("cut_reason") or "")), []).append(str(e.get("name", "?")))
        out.append("<h2>Statements that cut gradient</h2>")
        if cuts:
            out.append('<ul class="cuts">')
            for (line, reason), names in sorted(cuts.items()):
                shown = ", ".join(f"<code>{escape(n)}</code>" for n in names[:12])
                more = f" and {len(names) - 12} more" if len(names) > 12 else ""
                out.append(f"<li>{_line_link(line, f'line {line}', source_path, have_source)}: "
                           f"{_prose(reason) or 'cut here'} — {shown}{more}</li>")
            out.append("</ul>")
        else:
            out.append("<p>The run blamed no statement: every tensor that should train got a gradient "
                       "(or the run cannot tell where it was lost).</p>")

        out.append("<h2>Parameters</h2>")
        out.append('<p><label><input type="checkbox" id="only-problems"> show only tensors that do not '
                   "train as they should</label></p>")
        out.append('<div class="table-wrap"><table><thead><tr><th>tensor</th><th>shape</th><th>requires grad</th>'
                   "<th>optimizer holds it</th><th>gradient</th><th class=\"num\">norm</th>"
                   "<th>changed by step</th><th>cut by</th></tr></thead>")
        for module, group in ordered:
            gv = _worst(verdict(e) for e in group)
            label = module or "(tensors outside any module)"
            out.append(f'<tbody class="v-{gv}" data-module="{escape(module)}">')
            out.append(f'<tr class="module v-{gv}"><th colspan="8"><code>{escape(label)}</code> — '
                       f"{escape(_VERDICT_TEXT[gv])} ({len(group)} tensor{'s' if len(group) != 1 else ''})"
                       "</th></tr>")
            for e in group:
                v = verdict(e)
                grad = e.get("grad") if e.get("grad") in STATUSES else "none"
                badge_class = "frozen" if v == "frozen" else grad
                line = _cut_line(e)
                cut = "—"
                if line is not None:
                    reason = _prose(str(e.get("cut_reason") or ""))
                    cut = _line_link(line, f"line {line}", source_path, have_source) + (f": {reason}" if reason else "")
                out.append(
                    f'<tr class="param v-{v}" data-name="{escape(str(e.get("name", "")))}" data-grad="{grad}">'
                    f'<td><code title="{escape(str(e.get("name", "")))}">{escape(_short_name(e))}</code></td>'
                    f'<td class="mono">{_fmt_shape(e.get("shape"))}</td>'
                    f"<td>{_yes_no(e.get('requires_grad'))}</td>"
                    f"<td>{_yes_no(e.get('held_by_optimizer'))}</td>"
                    f'<td><span class="badge s-{badge_class}">{escape(grad)}</span></td>'
                    f'<td class="num">{_fmt_norm(e.get("grad_norm"))}</td>'
                    f"<td>{_yes_no(e.get('changed_by_step'))}</td>"
                    f"<td>{cut}</td></tr>")
            out.append("</tbody>")
        out.append("</table></div>")

    if have_source:
        notes: dict[int, list[str]] = {}
        for e in entries:
            line = _cut_line(e)
            if line is not None:
                notes.setdefault(line, []).append(str(e.get("name", "?")))
        out.append(f"<h2>Source: <code>{escape(name)}</code></h2>")
        out.append('<pre class="source">')
        for n, text in enumerate(source.splitlines(), start=1):
            cls = "ln cut" if n in notes else "ln"
            note = ""
            if n in notes:
                names = notes[n]
                note = (f'  <span class="note"># cuts {escape(", ".join(names[:6]))}'
                        f'{escape(f" and {len(names) - 6} more") if len(names) > 6 else ""}</span>')
            out.append(f'<span class="{cls}" id="L{n}" data-n="{n}">{escape(text)}{note}</span>')
        out.append("</pre>")

    out.append(f"<script>{_JS}</script></body></html>\n")
    return "".join(out)


def write_flow_report(path: str, data: Mapping[str, Any], source_path: str, source: str | None = None) -> None:
    """Write the page for ``data`` (confirm's JSON: its ``flow`` and run summary) to ``path``."""
    html = render_flow_html(data.get("flow") or [], source_path, source=source, run=data)
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
