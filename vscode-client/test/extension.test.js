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
  const context = { subscriptions: [] };
  await mod.activate(context);
  return { mod, vscode, context };
}

test("activation registers the three commands and starts the server from gradls.interpreter", async () => {
  const state = { config: { interpreter: ["/venv/bin/python"], select: ["GRD1"] }, folder: "/ws" };
  const { vscode } = await activate(state, fakeDeps({ importable: ["/venv/bin/python"] }));
  assert.deepEqual(Object.keys(vscode.commands.registered).sort(),
    ["gradls.confirmFile", "gradls.restart", "gradls.showOutput"]);
  assert.equal(state.clients.length, 1);
  const c = state.clients[0];
  assert.equal(c.serverOptions.command, "/venv/bin/python");
  assert.deepEqual(c.serverOptions.args, ["-m", "gradls", "serve"]);
  assert.equal(c.serverOptions.options.cwd, "/ws");
  assert.deepEqual(c.clientOptions.initializationOptions, { settings: { select: ["GRD1"] } });
  assert.deepEqual(c.clientOptions.documentSelector.map((s) => s.language), ["python", "python"]);
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
  assert.match(err.msg, /python3 -m pip install gradls/);
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
