"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("path");
const { load } = require("./stub");

const EXT = path.join(__dirname, "..", "out", "lib", "extension.js");

function fakeDeps(over = {}) {
  return {
    isExecutable: async (f) => (over.executables || []).includes(f),
    canImportGradls: async (py) => (over.importable || []).includes(py[0]),
    which: async (name) => (over.onPath ? `/usr/local/bin/${name}` : undefined),
    platform: "linux", homedir: "/home/u", env: {},
  };
}

async function activate(state, deps) {
  const { mod, vscode } = load(EXT, state);
  mod.setDiscoveryDeps(deps);
  const context = { subscriptions: [], extensionPath: state.extensionPath || "/nonexistent-extension" };
  await mod.activate(context);
  return { mod, vscode, context };
}

test("activation registers the commands and starts the server from gradls.interpreter", async () => {
  const state = { config: { interpreter: ["/venv/bin/python"], select: ["GRD1"] }, folder: "/ws" };
  const { vscode } = await activate(state, fakeDeps({ importable: ["/venv/bin/python"] }));
  assert.deepEqual(Object.keys(vscode.commands.registered).sort(),
    ["gradls.applyFixAll", "gradls.confirm", "gradls.confirmFile", "gradls.fixAll", "gradls.restart",
      "gradls.showFlow", "gradls.showOutput", "gradls.showRuleDocs"]);
  assert.equal(state.clients.length, 1);
  const c = state.clients[0];
  assert.equal(c.serverOptions.command, "/venv/bin/python");
  assert.deepEqual(c.serverOptions.args, ["-m", "gradls", "serve"]);
  assert.equal(c.serverOptions.options.cwd, "/ws");
  assert.deepEqual(c.clientOptions.initializationOptions, { settings: { select: ["GRD1"] } });
  // the folder's server takes the Python files and notebook cells under the folder
  assert.deepEqual(c.clientOptions.documentSelector, [
    { language: "python", scheme: "file", pattern: "/ws/**" },
    { notebook: { notebookType: "jupyter-notebook", pattern: "/ws/**" }, language: "python" },
  ]);
  assert.equal(c.clientOptions.workspaceFolder.uri.fsPath, "/ws");
  assert.equal(c.state, 2);
});

test("the Python extension's interpreter is asked when gradls.interpreter is empty", async () => {
  const py = {
    isActive: true,
    exports: {
      environments: {
        getActiveEnvironmentPath: () => ({ path: "/envs/x/bin/python", id: "x" }),
        resolveEnvironment: async () => ({ executable: { uri: { fsPath: "/envs/x/bin/python3.11" } } }),
        onDidChangeActiveEnvironmentPath: () => ({ dispose() {} }),
      },
    },
  };
  const state = { config: {}, folder: "/ws", extensions: { "ms-python.python": py } };
  await activate(state, fakeDeps({ importable: ["/envs/x/bin/python3.11"] }));
  assert.equal(state.clients[0].serverOptions.command, "/envs/x/bin/python3.11");
});

test("no server: an error message with the install command, and no client", async () => {
  const state = { config: {}, folder: "/ws" };
  const { vscode } = await activate(state, fakeDeps());
  assert.equal(state.clients.length, 0);
  const err = vscode.window.messages.find((m) => m.kind === "error");
  assert.ok(err, "an error message is shown");
  assert.match(err.msg, /python3 -m pip install \/path\/to\/gradls-checkout/);
  assert.ok(err.items.includes("Copy Install Command"));
  assert.ok(state.output.some((l) => l.includes("tried: PATH: gradls")));
});

test("changing a server setting sends didChangeConfiguration; changing gradls.path restarts", async () => {
  const state = { config: {}, folder: "/ws" };
  const { vscode } = await activate(state, fakeDeps({ onPath: true, executables: ["/opt/gradls"] }));
  const first = state.clients[0];
  assert.equal(first.serverOptions.command, "/usr/local/bin/gradls");
  assert.deepEqual(first.serverOptions.args, ["serve"]);

  state.config.ignore = ["GRD105"];
  await vscode._fireConfigChange(["gradls.ignore"]);
  assert.deepEqual(first.notifications, [
    { method: "workspace/didChangeConfiguration", params: { settings: { ignore: ["GRD105"] } } },
  ]);
  assert.equal(state.clients.length, 1);

  state.config.path = ["/opt/gradls"];
  await vscode._fireConfigChange(["gradls.path"]);
  assert.equal(first.stopped, true);
  assert.equal(state.clients.length, 2);
  assert.equal(state.clients[1].serverOptions.command, "/opt/gradls");
});

test("the restart command starts a fresh client", async () => {
  const state = { config: {}, folder: "/ws" };
  const { vscode } = await activate(state, fakeDeps({ onPath: true }));
  await vscode.commands.registered["gradls.restart"]();
  assert.equal(state.clients.length, 2);
  assert.equal(state.clients[0].stopped, true);
});

test("workspace/configuration pulls get the same filtered settings", async () => {
  const state = { config: { "shadow.device": "cpu", path: ["/x"] }, folder: "/ws" };
  await activate(state, fakeDeps({ executables: ["/x"] }));
  const mw = state.clients[0].clientOptions.middleware.workspace.configuration;
  const got = await mw({ items: [{ section: "gradls" }, { section: "python" }] }, {}, async () => [{ raw: 1 }, { py: 2 }]);
  assert.deepEqual(got, [{ shadow: { device: "cpu" } }, { py: 2 }]);
});

test("confirm uses the server's gradls.confirm command when the server offers it", async () => {
  const state = {
    config: {}, folder: "/ws", serverCommands: ["gradls.applyFixAll", "gradls.confirm"],
    requestResult: { message: "backward raised", counts: { confirmed: 1, refuted: 0 } },
  };
  const { vscode, mod } = await activate(state, fakeDeps({ onPath: true }));
  const uri = vscode.Uri.file("/ws/train.py");
  const result = await mod.confirmFile(uri);
  assert.deepEqual(result, state.requestResult);
  assert.deepEqual(state.clients[0].requests, [
    { method: "workspace/executeCommand", params: { command: "gradls.confirm", arguments: ["file:///ws/train.py"] } },
  ]);
  const info = vscode.window.messages.find((m) => m.kind === "info");
  assert.equal(info.msg, "gradls: backward raised. 1 confirmed, 0 refuted");
});

test("confirm without an open file warns", async () => {
  const state = { config: {}, folder: "/ws" };
  const { vscode, mod } = await activate(state, fakeDeps({ onPath: true }));
  assert.equal(await mod.confirmFile(undefined), undefined);
  assert.ok(vscode.window.messages.some((m) => m.kind === "warning" && /open a Python file/.test(m.msg)));
});

test("confirm falls back to `gradls confirm FILE --format json` when the server lacks the command", async () => {
  const fs = require("fs");
  const os = require("os");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradls-cli-"));
  const fake = path.join(dir, "gradls");
  // a fake gradls that echoes its arguments back as the JSON result
  fs.writeFileSync(fake, `#!${process.execPath}\nconsole.log(JSON.stringify({message: "ran", argv: process.argv.slice(2)}));\n`);
  fs.chmodSync(fake, 0o755);
  const state = { config: { path: [fake], "shadow.device": "cpu" }, folder: dir };
  const { vscode, mod } = await activate(state, fakeDeps({ executables: [fake] }));
  const result = await mod.confirmFile(vscode.Uri.file(path.join(dir, "t.py")));
  assert.deepEqual(result.argv, ["confirm", path.join(dir, "t.py"), "--format", "json", "--device", "cpu", "--timeout", "60"]);
});

test("the server is started without extra transport arguments (`gradls serve` takes no --stdio)", async () => {
  const state = { config: { path: ["/opt/gradls"] }, folder: "/ws" };
  await activate(state, fakeDeps({ executables: ["/opt/gradls"] }));
  const so = state.clients[0].serverOptions;
  assert.equal(so.transport, undefined);
  assert.deepEqual(so.args, ["serve"]);
});

// --- workspace trust ---------------------------------------------------------------------

test("untrusted workspace: its gradls.path / gradls.interpreter are ignored, the user's PATH gradls starts", async () => {
  const state = {
    trusted: false, config: {}, folder: "/ws",
    workspaceConfig: { path: ["/ws/evil.sh"], interpreter: ["/ws/.venv/bin/python"], "shadow.worker": "curl x | sh" },
  };
  const { vscode } = await activate(state, fakeDeps({ executables: ["/ws/evil.sh"], importable: ["/ws/.venv/bin/python"], onPath: true }));
  assert.equal(state.clients.length, 1);
  assert.equal(state.clients[0].serverOptions.command, "/usr/local/bin/gradls");
  // the worker from the workspace is not sent to the server either
  assert.deepEqual(state.clients[0].clientOptions.initializationOptions, { settings: {} });
  const item = vscode.window.statusItems[0];
  assert.match(item.text, /\$\(shield\)/);
  assert.match(item.tooltip, /Restricted mode/);
});

test("untrusted workspace: the Python extension's interpreter is not run", async () => {
  const py = {
    isActive: true,
    exports: { environments: {
      getActiveEnvironmentPath: () => ({ path: "/ws/.venv/bin/python", id: "x" }),
      resolveEnvironment: async () => ({ executable: { uri: { fsPath: "/ws/.venv/bin/python" } } }),
      onDidChangeActiveEnvironmentPath: () => ({ dispose() {} }),
    } },
  };
  const state = { trusted: false, config: {}, folder: "/ws", extensions: { "ms-python.python": py } };
  await activate(state, fakeDeps({ importable: ["/ws/.venv/bin/python"], onPath: true }));
  assert.equal(state.clients[0].serverOptions.command, "/usr/local/bin/gradls");
});

test("untrusted workspace: the user's own gradls.interpreter still counts", async () => {
  const state = { trusted: false, config: { interpreter: ["/home/u/py"] }, folder: "/ws",
    workspaceConfig: { interpreter: ["/ws/.venv/bin/python"] } };
  await activate(state, fakeDeps({ importable: ["/home/u/py", "/ws/.venv/bin/python"] }));
  assert.equal(state.clients[0].serverOptions.command, "/home/u/py");
});

test("untrusted workspace: Confirm is refused (command and middleware) and nothing runs", async () => {
  const state = { trusted: false, config: {}, folder: "/ws", serverCommands: ["gradls.confirm"], requestResult: { message: "ran" } };
  const { vscode, mod } = await activate(state, fakeDeps({ onPath: true }));
  assert.equal(await mod.confirmFile(vscode.Uri.file("/ws/train.py")), undefined);
  assert.deepEqual(state.clients[0].requests, []);
  assert.ok(vscode.window.messages.some((m) => m.kind === "warning" && /trust this folder/.test(m.msg)));
  let called = false;
  const mw = state.clients[0].clientOptions.middleware.executeCommand;
  assert.equal(await mw("gradls.confirm", ["file:///ws/train.py"], async () => { called = true; }), undefined);
  assert.equal(called, false);
  // other server commands pass through
  await mw("gradls.applyFixAll", ["file:///ws/train.py"], async () => { called = true; });
  assert.equal(called, true);
});

test("granting trust restarts the server with the workspace's settings and enables Confirm", async () => {
  const state = { trusted: false, config: {}, folder: "/ws", serverCommands: ["gradls.confirm"],
    requestResult: { message: "ran" }, workspaceConfig: { path: ["/ws/tools/gradls"], "shadow.worker": "ssh gpu python -m gradls.shadow.worker" } };
  const { vscode, mod } = await activate(state, fakeDeps({ executables: ["/ws/tools/gradls"], onPath: true }));
  assert.equal(state.clients[0].serverOptions.command, "/usr/local/bin/gradls");
  await vscode._grantTrust();
  assert.equal(state.clients.length, 2);
  assert.equal(state.clients[0].stopped, true);
  assert.equal(state.clients[1].serverOptions.command, "/ws/tools/gradls");
  assert.deepEqual(state.clients[1].clientOptions.initializationOptions,
    { settings: { shadow: { worker: "ssh gpu python -m gradls.shadow.worker" } } });
  await mod.confirmFile(vscode.Uri.file("/ws/train.py"));
  assert.equal(state.clients[1].requests.length, 1);
  assert.doesNotMatch(vscode.window.statusItems[0].text, /shield/);
});

// --- status bar, fix all ---------------------------------------------------------------------

test("the status bar item shows the server state and the active file's findings", async () => {
  const state = { config: {}, folder: "/ws" };
  const { vscode, mod } = await activate(state, fakeDeps({ onPath: true }));
  const item = vscode.window.statusItems[0];
  assert.equal(item.id, "gradls.status");
  assert.equal(item.command, "gradls.showOutput");
  assert.equal(item.shown, true);
  assert.equal(item.text, "$(check) gradls");
  const uri = vscode.Uri.file("/ws/train.py");
  vscode.window.activeTextEditor = { document: { uri, languageId: "python" } };
  state.diagnostics = { "file:///ws/train.py": [{ source: "gradls" }, { source: "gradls" }, { source: "Pylance" }],
    "file:///ws/other.py": [{ source: "gradls" }] };
  vscode._fireDiagnostics();
  assert.equal(item.text, "$(warning) gradls: 2");
  assert.equal(item.accessibilityInformation.label, "gradls: 2 findings in train.py");
  assert.match(item.tooltip, /3 findings in open files/);
  // a running shadow pass shows as such, and goes back after
  let seen;
  state.requestResult = { message: "ok" };
  state.serverCommands = [];
  mod.setWheelInstaller(async () => ({ ok: true, output: "" }));
  const origProgress = vscode.window.withProgress;
  vscode.window.withProgress = (opts, task) => origProgress(opts, async (p, t) => {
    const r = task(p, t); seen = item.text; return r;
  });
  state.clients[0].initializeResult.capabilities.executeCommandProvider.commands = ["gradls.confirm"];
  await mod.confirmFile(uri);
  assert.equal(seen, "$(loading~spin) gradls: confirming");
  assert.equal(item.text, "$(warning) gradls: 2");
});

test("no server found: the status bar says so", async () => {
  const state = { config: {}, folder: "/ws" };
  const { vscode } = await activate(state, fakeDeps());
  assert.equal(vscode.window.statusItems[0].text, "$(error) gradls: not found");
});

test("Fix All Gradient Issues runs the server's gradls.applyFixAll on the active file", async () => {
  const state = { config: {}, folder: "/ws", serverCommands: ["gradls.applyFixAll"], requestResult: { applied: true, edits: 2 } };
  const { vscode } = await activate(state, fakeDeps({ onPath: true }));
  const uri = vscode.Uri.file("/ws/train.py");
  vscode.window.activeTextEditor = { document: { uri, languageId: "python" } };
  const result = await vscode.commands.registered["gradls.fixAll"]();
  assert.deepEqual(result, { applied: true, edits: 2 });
  assert.deepEqual(state.clients[0].requests, [
    { method: "workspace/executeCommand", params: { command: "gradls.applyFixAll", arguments: ["file:///ws/train.py"] } },
  ]);
  assert.ok(vscode.window.messages.some((m) => m.kind === "info" && /applied the safe fixes to train.py/.test(m.msg)));
});

test("Fix All without a running server warns and sends nothing", async () => {
  const state = { config: {}, folder: "/ws" };
  const { vscode, mod } = await activate(state, fakeDeps());
  assert.equal(await mod.fixAll(vscode.Uri.file("/ws/a.py")), undefined);
  assert.ok(vscode.window.messages.some((m) => m.kind === "warning" && /not running/.test(m.msg)));
});

// --- the bundled wheel -------------------------------------------------------------------------

function extensionWithWheel() {
  const fs = require("fs");
  const os = require("os");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradls-ext-"));
  fs.mkdirSync(path.join(dir, "bundled"));
  const wheel = path.join(dir, "bundled", "gradls-0.1.0-py3-none-any.whl");
  fs.writeFileSync(wheel, "");
  return { dir, wheel };
}

test("no server, a bundled wheel and a selected interpreter: offers to install it there", async () => {
  const { dir, wheel } = extensionWithWheel();
  const state = { config: { interpreter: ["/home/u/venv/bin/python"] }, folder: "/ws", extensionPath: dir };
  const { vscode, mod } = await activate(state, fakeDeps());
  const err = vscode.window.messages.find((m) => m.kind === "error");
  assert.ok(err.items.includes("Install gradls into python"), JSON.stringify(err.items));
  assert.ok(err.msg.includes(`/home/u/venv/bin/python -m pip install ${wheel}`), err.msg);
  assert.equal(mod.bundledWheel(), wheel);
  // installing runs pip on the wheel with that interpreter, then restarts (the server is found now)
  const calls = [];
  mod.setWheelInstaller(async (python, w) => { calls.push([python, w]); return { ok: true, output: "Successfully installed" }; });
  mod.setDiscoveryDeps(fakeDeps({ importable: ["/home/u/venv/bin/python"] }));
  assert.equal(await mod.installBundled(["/home/u/venv/bin/python"], wheel), true);
  assert.deepEqual(calls, [[["/home/u/venv/bin/python"], wheel]]);
  assert.equal(state.clients.length, 1);
  assert.deepEqual(state.clients[0].serverOptions.args, ["-m", "gradls", "serve"]);
});

test("the install offer is not made in an untrusted workspace", async () => {
  const { dir } = extensionWithWheel();
  const state = { trusted: false, config: {}, folder: "/ws", extensionPath: dir,
    workspaceConfig: { interpreter: ["/ws/.venv/bin/python"] } };
  const { vscode } = await activate(state, fakeDeps());
  const err = vscode.window.messages.find((m) => m.kind === "error");
  assert.ok(!err.items.some((i) => /^Install/.test(i)), JSON.stringify(err.items));
});

test("a failed pip install says so and starts nothing", async () => {
  const { dir, wheel } = extensionWithWheel();
  const state = { config: {}, folder: "/ws", extensionPath: dir };
  const { vscode, mod } = await activate(state, fakeDeps());
  mod.setWheelInstaller(async () => ({ ok: false, output: "No matching distribution found for pygls" }));
  assert.equal(await mod.installBundled(["/usr/bin/python3"], wheel), false);
  assert.ok(vscode.window.messages.some((m) => m.kind === "error" && /could not install/.test(m.msg)));
  assert.equal(state.clients.length, 0);
});

function fakeFlowGradls() {
  // a fake gradls: `confirm FILE ... --report HTML` writes a page naming its arguments and
  // prints confirm's JSON
  const fs = require("fs");
  const os = require("os");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradls-flow-"));
  const fake = path.join(dir, "gradls");
  fs.writeFileSync(fake, `#!${process.execPath}
const argv = process.argv.slice(2);
const i = argv.indexOf("--report");
require("fs").writeFileSync(argv[i + 1], "<html><body>flow of " + argv[1] + "</body></html>");
console.log(JSON.stringify({ outcome: "backward", message: "ran", counts: { confirmed: 1, refuted: 0 }, argv }));
process.exit(1);
`);
  fs.chmodSync(fake, 0o755);
  return { dir, fake };
}

test("Show Gradient Flow runs gradls confirm --report and shows the page in a webview", async () => {
  const fs = require("fs");
  const { dir, fake } = fakeFlowGradls();
  const state = { config: { path: [fake], "shadow.device": "cpu" }, folder: dir };
  const { vscode, mod } = await activate(state, fakeDeps({ executables: [fake] }));
  const file = path.join(dir, "train.py");
  const panel = await mod.showFlow(vscode.Uri.file(file));
  assert.ok(panel, JSON.stringify(vscode.window.messages));
  assert.equal(state.panels.length, 1);
  assert.equal(panel.viewType, "gradls.flow");
  assert.equal(panel.title, "Gradient Flow: train.py");
  assert.equal(panel.options.enableScripts, true);
  assert.deepEqual(panel.options.localResourceRoots, []);
  assert.equal(panel.webview.html, `<html><body>flow of ${file}</body></html>`);
  // the report went to a temporary file, removed afterwards
  const leftovers = fs.readdirSync(require("os").tmpdir()).filter((f) => f.startsWith(`gradls-flow-${process.pid}-`));
  assert.deepEqual(leftovers, []);
  // a second run reuses the panel
  assert.equal(await mod.showFlow(vscode.Uri.file(file)), panel);
  assert.equal(state.panels.length, 1);
});

test("a line link in the flow page opens the file at that line", async () => {
  const { dir, fake } = fakeFlowGradls();
  const state = { config: { path: [fake] }, folder: dir };
  const { vscode, mod } = await activate(state, fakeDeps({ executables: [fake] }));
  const file = path.join(dir, "train.py");
  const panel = await mod.showFlow(vscode.Uri.file(file));
  await panel._post({ type: "reveal", line: 19 });
  await panel._post({ type: "reveal", line: "x" });
  await panel._post({ type: "other", line: 3 });
  assert.equal(vscode.window.shownDocuments.length, 1);
  const shown = vscode.window.shownDocuments[0];
  assert.equal(shown.document.uri.fsPath, file);
  assert.equal(shown.options.viewColumn, vscode.ViewColumn.One);
  assert.deepEqual([shown.options.selection.start.line, shown.options.selection.start.character], [18, 0]);
});

test("flow helpers: confirm arguments with the shadow settings, reveal messages, title", async () => {
  const { flowArgs, revealLine, flowTitle } = require(path.join(__dirname, "..", "out", "lib", "flow.js"));
  assert.deepEqual(flowArgs(["-m", "gradls"], "/w/t.py", "/tmp/r.html", ["--device", "cpu"]),
    ["-m", "gradls", "confirm", "/w/t.py", "--output-format", "json", "--report", "/tmp/r.html", "--device", "cpu"]);
  assert.equal(revealLine({ type: "reveal", line: 7 }), 7);
  assert.equal(revealLine({ type: "reveal", line: 0 }), undefined);
  assert.equal(revealLine({ type: "reveal", line: 2.5 }), undefined);
  assert.equal(revealLine("reveal"), undefined);
  assert.equal(flowTitle("a.py"), "Gradient Flow: a.py");
});

test("untrusted workspace: Show Gradient Flow is refused and nothing runs", async () => {
  const { dir, fake } = fakeFlowGradls();
  const state = { trusted: false, config: { path: [fake] }, folder: dir };
  const { vscode, mod } = await activate(state, fakeDeps({ onPath: true }));
  assert.equal(await mod.showFlow(vscode.Uri.file(path.join(dir, "train.py"))), undefined);
  assert.equal((state.panels || []).length, 0);
  assert.ok(vscode.window.messages.some((m) => m.kind === "warning" && /trust this folder/.test(m.msg)));
});

test("Show Gradient Flow without a file warns", async () => {
  const state = { config: {}, folder: "/ws" };
  const { vscode, mod } = await activate(state, fakeDeps({ onPath: true }));
  assert.equal(await mod.showFlow(undefined), undefined);
  assert.ok(vscode.window.messages.some((m) => m.kind === "warning" && /gradient flow/.test(m.msg)));
});

test("diagnostics are pushed: the client declares no pull support and answers pulls with nothing", async () => {
  const state = { config: {}, folder: "/ws" };
  await activate(state, fakeDeps({ onPath: true }));
  const c = state.clients[0];
  assert.equal(c.features.length, 1);
  // what vscode-languageclient's own features fill in, then ours
  const caps = { textDocument: { diagnostic: { dynamicRegistration: true }, publishDiagnostics: { relatedInformation: true } } };
  for (const f of c.features) f.fillClientCapabilities(caps);
  assert.deepEqual(caps, { textDocument: { publishDiagnostics: { relatedInformation: true } } });
  let pulled = false;
  const report = await c.clientOptions.middleware.provideDiagnostics({ uri: "file:///ws/a.py" }, undefined, {}, async () => {
    pulled = true;
    return { kind: "full", items: [{ message: "x" }] };
  });
  assert.deepEqual(report, { kind: "full", items: [] });
  assert.equal(pulled, false);
});

test("multi-root: a file's shadow run (Show Gradient Flow, the CLI confirm) runs in its own folder", async () => {
  const fs = require("fs");
  const { dir, fake } = fakeFlowGradls();
  // the fake also reports its working directory
  fs.writeFileSync(fake, fs.readFileSync(fake, "utf8").replace("argv }", "argv, cwd: process.cwd() }"));
  const second = fs.mkdtempSync(path.join(require("os").tmpdir(), "gradls-second-"));
  const state = { config: { path: [fake] }, folders: [dir, second] };
  const { vscode, mod } = await activate(state, fakeDeps({ executables: [fake] }));
  const result = await mod.confirmFile(vscode.Uri.file(path.join(second, "train.py")));
  assert.equal(fs.realpathSync(result.cwd), fs.realpathSync(second));
  const first = await mod.confirmFile(vscode.Uri.file(path.join(dir, "train.py")));
  assert.equal(fs.realpathSync(first.cwd), fs.realpathSync(dir));
});

test("multi-root: a file of another folder runs with that folder's own gradls (its interpreter)", async () => {
  const fs = require("fs");
  const first = fakeFlowGradls();
  const second = fakeFlowGradls();
  for (const f of [first.fake, second.fake]) {
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace("argv }", `argv, exe: ${JSON.stringify(f)}, cwd: process.cwd() }`));
  }
  const state = {
    config: { path: [first.fake] }, folders: [first.dir, second.dir],
    folderConfig: { [second.dir]: { path: [second.fake] } },
    // the servers offer no gradls.confirm: Confirm runs the CLI of the file's folder's gradls
    serverCommands: [],
  };
  const { vscode, mod } = await activate(state, fakeDeps({ executables: [first.fake, second.fake] }));
  assert.equal(state.clients.length, 2);
  assert.deepEqual(state.clients.map((c) => c.serverOptions.command), [first.fake, second.fake]);
  const inSecond = await mod.confirmFile(vscode.Uri.file(path.join(second.dir, "train.py")));
  assert.equal(inSecond.exe, second.fake);
  assert.equal(fs.realpathSync(inSecond.cwd), fs.realpathSync(second.dir));
  const inFirst = await mod.confirmFile(vscode.Uri.file(path.join(first.dir, "train.py")));
  assert.equal(inFirst.exe, first.fake);
  // Show Gradient Flow too: the page comes from the second folder's gradls
  const panel = await mod.showFlow(vscode.Uri.file(path.join(second.dir, "train.py")));
  assert.equal(panel.webview.html, `<html><body>flow of ${path.join(second.dir, "train.py")}</body></html>`);
  assert.equal((await mod.commandFor(path.join(second.dir, "x.py"))).command, second.fake);
  assert.equal((await mod.commandFor(path.join(first.dir, "x.py"))).command, first.fake);
});
