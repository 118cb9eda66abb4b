"""Latency and memory of the gradls language server, driven over stdio with raw JSON-RPC.

    python benchmarks/server_latency.py [--lines 1000] [--samples 200] [--edits 1000]

Starts `python -m gradls.server`, opens a generated ~1,000-line PyTorch training file and
prints p50/p95 for didOpen -> publishDiagnostics, didChange -> publishDiagnostics (waiting
for the diagnostics of that exact version), codeAction and hover round trips, plus the
server's RSS before and after a burst of edits. Use --write to update benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import queue
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"
BLOCK = '''model_{i} = nn.Sequential(nn.Linear({dim}, 16), nn.ReLU(), nn.Linear(16, 1))
opt_{i} = torch.optim.SGD(model_{i}.parameters(), lr=0.1)


def train_{i}(loader):
    for x, y in loader:
        opt_{i}.zero_grad()
        pred = model_{i}(x){cut}
        loss = F.mse_loss(pred, y)
        stats = torch.tensor([loss.item(), pred.mean().item()])
        loss.backward()
        opt_{i}.step()
    return stats


'''


def generate(lines: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    parts, count, i = [HEADER], HEADER.count("\n"), 0
    while count < lines:
        block = BLOCK.format(i=i, dim=rng.choice([16, 32, 64]), cut=rng.choice(["", "", ".detach()"]))
        parts.append(block)
        count += block.count("\n")
        i += 1
    return "".join(parts)


_CACHED: list | None = None


def stub_check(source: str, path: str, settings=None) -> list:
    """Stand-in engine for `--overhead`: the real findings of the first text, reused, so
    what is measured is the server (transport, scheduling, conversion, serialisation)."""
    global _CACHED
    if _CACHED is None:
        from gradls.engine import check_source

        _CACHED = check_source(source, path, settings)
    return list(_CACHED)


class Server:
    def __init__(self, stub: bool = False) -> None:
        env = dict(os.environ)
        if stub:
            env["GRADLS_SERVER_CHECK"] = "server_latency:stub_check"
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "benchmarks"), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gradls.server"], cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None if os.environ.get("GRADLS_BENCH_STDERR") else subprocess.DEVNULL,
        )
        self.next_id = 0
        self.responses: dict[int, queue.Queue] = {}
        self.publishes: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    return
                if line.startswith(b"Content-Length:"):
                    length = int(line.split(b":")[1])
                elif line in (b"\r\n", b"\n"):
                    break
            message = json.loads(out.read(length))
            arrived = time.perf_counter()
            if "id" in message and "method" in message:  # server -> client request
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                self.responses.setdefault(message["id"], queue.Queue()).put((arrived, message))
            elif message.get("method") == "textDocument/publishDiagnostics":
                self.publishes.put((arrived, message["params"]))

    def send(self, message: dict) -> float:
        body = json.dumps(message).encode()
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()
        return time.perf_counter()

    def request(self, method: str, params) -> tuple[float, dict]:
        self.next_id += 1
        msg_id = self.next_id
        self.responses.setdefault(msg_id, queue.Queue())
        sent = self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        arrived, message = self.responses[msg_id].get(timeout=60)
        return arrived - sent, message

    def notify(self, method: str, params) -> float:
        return self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_publish(self, uri: str, version: int | None) -> tuple[float, dict]:
        while True:
            arrived, params = self.publishes.get(timeout=60)
            if params["uri"] == uri and params.get("version") == version:
                return arrived, params

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def run(lines: int, samples: int, edits: int, stub: bool = False) -> dict:
    source = generate(lines)
    n_lines = source.count("\n")
    flagged = [i for i, line in enumerate(source.split("\n")) if ".detach()" in line]
    server = Server(stub)
    server.request("initialize", {
        "processId": os.getpid(), "rootUri": None,
        "capabilities": {"textDocument": {"publishDiagnostics": {"versionSupport": True},
                                          "codeAction": {"resolveSupport": {"properties": ["edit"]}}},
                         "workspace": {"workspaceEdit": {"documentChanges": True}}},
    })
    server.notify("initialized", {})

    # warm up (imports, first analysis)
    warm = "file:///bench/warm.py"
    server.notify("textDocument/didOpen", {"textDocument": {"uri": warm, "languageId": "python", "version": 1, "text": source}})
    server.wait_publish(warm, 1)
    server.notify("textDocument/didClose", {"textDocument": {"uri": warm}})

    open_times = []
    for i in range(max(10, samples // 5)):
        uri = f"file:///bench/open_{i}.py"
        text = source.replace("import torch\n", f"import torch  # {i}\n", 1)  # defeat any caching
        sent = server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
        arrived, params = server.wait_publish(uri, 1)
        open_times.append(arrived - sent)
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    reopen_times = []  # the same files again, unchanged since they were closed
    for i in range(max(10, samples // 5)):
        uri = f"file:///bench/open_{i}.py"
        text = source.replace("import torch\n", f"import torch  # {i}\n", 1)
        sent = server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
        arrived, params = server.wait_publish(uri, 1)
        reopen_times.append(arrived - sent)
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    uri = "file:///bench/train.py"
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": source}})
    _, first = server.wait_publish(uri, 1)
    diagnostics_count = len(first["diagnostics"])
    version = 1
    change_times, action_times, hover_times = [], [], []
    rng = random.Random(7)
    for i in range(samples):
        version += 1
        line = rng.randrange(5, n_lines - 5)
        # type a character into a comment-free spot: append to a line, then remove it again
        # even steps insert a statement line, odd steps delete it again
        if i % 2 == 0:
            last_insert = line
            change = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                      "text": f"v{i} = {i}\n"}
        else:
            change = {"range": {"start": {"line": last_insert, "character": 0},
                                "end": {"line": last_insert + 1, "character": 0}}, "text": ""}
        sent = server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        arrived, _ = server.wait_publish(uri, version)
        change_times.append(arrived - sent)
        target = rng.choice(flagged) if flagged else 0
        if i % 2 == 1:  # text equals the original again: flagged lines are where they were
            elapsed, _ = server.request("textDocument/codeAction", {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": target, "character": 0}, "end": {"line": target, "character": 40}},
                "context": {"diagnostics": []},
            })
            action_times.append(elapsed)
            elapsed, _ = server.request("textDocument/hover", {
                "textDocument": {"uri": uri}, "position": {"line": target, "character": 20}})
            hover_times.append(elapsed)

    rss_before = server.rss_mib()
    burst_start = time.perf_counter()
    for i in range(edits):
        version += 1
        line = rng.randrange(5, n_lines - 5)
        text = f"tmp_{i} = {i}\n" if i % 2 == 0 else ""
        rng_ = ({"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}} if i % 2 == 0 else
                {"start": {"line": last, "character": 0}, "end": {"line": last + 1, "character": 0}})
        if i % 2 == 0:
            last = line
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"range": rng_, "text": text}]})
        if i % 10 == 9:
            server.wait_publish(uri, version)  # an editor's typing rhythm: a pause every few keys
    if edits % 10:
        server.wait_publish(uri, version)
    burst = time.perf_counter() - burst_start
    time.sleep(0.5)
    rss_after = server.rss_mib()
    server.close()
    engine_times = []
    from gradls.engine import check_source

    for _ in range(max(10, samples // 5)):
        start = time.perf_counter()
        check_source(source, "/bench/train.py", None)
        engine_times.append(time.perf_counter() - start)
    incremental_times, syntax_errors = incremental_engine(source, samples)
    parse_times = []
    for _ in range(max(10, samples // 5)):
        start = time.perf_counter()
        ast.parse(source)
        parse_times.append(time.perf_counter() - start)
    return {
        "lines": n_lines, "diagnostics": diagnostics_count, "samples": samples, "edits": edits,
        "open": open_times, "reopen": reopen_times, "change": change_times, "action": action_times, "hover": hover_times,
        "engine": engine_times, "incremental": incremental_times, "syntax_errors": syntax_errors,
        "parse": parse_times, "rss_before": rss_before, "rss_after": rss_after, "burst_s": burst,
    }


def incremental_engine(source: str, samples: int) -> tuple[list[float], int]:
    """The didChange edits above, through the engine's incremental path in this process."""
    from gradls.engine import DocumentChecker

    checker = DocumentChecker("/bench/train.py")
    checker.check(source)
    lines = source.split("\n")
    rng = random.Random(7)
    times, syntax_errors = [], 0
    for i in range(samples):
        if i % 2 == 0:
            edited = list(lines)
            edited.insert(rng.randrange(5, len(lines) - 6), f"v{i} = {i}")
            text = "\n".join(edited)
        else:
            text = source
        start = time.perf_counter()
        findings = checker.check(text)
        times.append(time.perf_counter() - start)
        syntax_errors += any(f.code == "GRD000" for f in findings)
    return times, syntax_errors


def report(r: dict, title: str) -> str:
    rows = [
        ("didOpen → diagnostics (a file not seen before)", r["open"]),
        ("didOpen → diagnostics (reopened, unchanged since closed)", r["reopen"]),
        ("didChange → diagnostics", r["change"]),
        ("codeAction", r["action"]),
        ("hover", r["hover"]),
        ("(engine alone, fresh analysis: `check_source`)", r["engine"]),
        ("(engine alone, incremental: `DocumentChecker`, the didChange edits)", r["incremental"]),
        ("(`ast.parse` of the whole file, for reference)", r["parse"]),
    ]
    out = [
        f"### {title}",
        "",
        f"{r['lines']}-line generated PyTorch file, {r['diagnostics']} diagnostics; "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end of the run.",
        "",
        "| measurement | n | p50 (ms) | p95 (ms) | max (ms) |",
        "|---|---|---|---|---|",
    ]
    for name, values in rows:
        out.append(f"| {name} | {len(values)} | {pct(values, 0.5):.1f} | {pct(values, 0.95):.1f} | {max(values) * 1000:.1f} |")
    out.append("")
    out.append(
        f"Server RSS: {r['rss_before']:.1f} MiB before, {r['rss_after']:.1f} MiB after {r['edits']} more edits "
        f"({r['rss_after'] - r['rss_before']:+.1f} MiB); the burst of edits took {r['burst_s']:.2f} s."
    )
    out.append(f"{r['syntax_errors']} of the {len(r['incremental'])} versions (every other one reverts an edit) do not parse (a line "
               "typed at column 0 inside a function): those answer with one GRD000 and keep the last good findings.")
    return "\n".join(out)


def write_results(text: str) -> None:
    path = ROOT / "benchmarks" / "RESULTS.md"
    heading = "## Language server"
    body = (f"{heading}\n\n`python benchmarks/server_latency.py --overhead --write` (stdio, raw JSON-RPC; "
            f"goal: p50 ≤ 30 ms, p95 ≤ 60 ms, codeAction p95 ≤ 50 ms, memory flat).\n\n{text}\n\n")
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    if heading in old:
        start = old.index(heading)
        nxt = old.find("\n## ", start + len(heading))
        new = old[:start] + body + (old[nxt + 1:] if nxt != -1 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + body
    path.write_text(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--overhead", action="store_true",
                        help="also measure the server alone, with the engine replaced by a stub")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    text = report(run(args.lines, args.samples, args.edits), "End to end (real engine)")
    if args.overhead:
        text += "\n\n" + report(run(args.lines, args.samples, args.edits, stub=True),
                                 "Server overhead (engine replaced by a stub returning the same findings)")
    print(text)
    if args.write:
        write_results(text)


if __name__ == "__main__":
    main()
