"use strict";
// Multi-root workspaces: one language server per workspace folder (its own interpreter,
// gradls.path, cwd, settings and documents), a default server for untitled documents and
// files outside every folder, and commands that go to the active document's folder's server.
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
  // how long a folder just added waits for its settings (short here: the stub sends them at once)
  mod.setFolderSettingsWait(state.folderSettingsWaitMs ?? 20);
  await mod.activate({ subscriptions: [], extensionPath: "/nonexistent-extension" });
  return { mod, vscode };
}

const byCwd = (state, cwd) => state.clients.filter((c) => c.serverOptions.options.cwd === cwd);
const live = (state) => state.clients.filter((c) => !c.stopped);

function twoFolders(extra = {}) {
  return {
    config: {},
    folders: ["/ws/a", "/ws/b"],
    folderConfig: {
      "/ws/a": { interpreter: ["/ws/a/.venv/bin/python"], select: ["GRD101"] },
      "/ws/b": { interpreter: ["/ws/b/.venv/bin/python"], ignore: ["GRD105"] },
    },
    ...extra,
  };
}
const importable = fakeDeps({ importable: ["/ws/a/.venv/bin/python", "/ws/b/.venv/bin/python", "/ws/c/.venv/bin/python"] });

test("two folders: two servers, each with its folder's interpreter, cwd, settings and documents", async () => {
  const state = twoFolders();
  await activate(state, importable);
  assert.equal(state.clients.length, 2, "one server per folder, no default server");
  const [a, b] = [byCwd(state, "/ws/a")[0], byCwd(state, "/ws/b")[0]];
  assert.ok(a && b);
  assert.deepEqual([a.serverOptions.command, a.serverOptions.args], ["/ws/a/.venv/bin/python", ["-m", "gradls", "serve"]]);
  assert.deepEqual([b.serverOptions.command, b.serverOptions.args], ["/ws/b/.venv/bin/python", ["-m", "gradls", "serve"]]);
  assert.deepEqual(a.clientOptions.initializationOptions, { settings: { select: ["GRD101"] } });
  assert.deepEqual(b.clientOptions.initializationOptions, { settings: { ignore: ["GRD105"] } });
  assert.deepEqual(a.clientOptions.documentSelector, [
    { language: "python", scheme: "file", pattern: "/ws/a/**" },
    { notebook: { notebookType: "jupyter-notebook", pattern: "/ws/a/**" }, language: "python" },
  ]);
  assert.deepEqual(b.clientOptions.documentSelector.map((f) => f.pattern ?? f.notebook.pattern), ["/ws/b/**", "/ws/b/**"]);
  assert.equal(a.clientOptions.workspaceFolder.uri.fsPath, "/ws/a");
  assert.equal(b.clientOptions.workspaceFolder.uri.fsPath, "/ws/b");
  // each watches its own folder's pyproject.toml files
  assert.equal(b.clientOptions.synchronize.fileEvents.glob.base.uri.fsPath, "/ws/b");
  assert.ok(state.clients.every((c) => c.state === 2));
});

test("two folders: the Python extension's interpreter is asked per folder", async () => {
  const asked = [];
  const py = {
    isActive: true,
    exports: {
      environments: {
        getActiveEnvironmentPath: (resource) => {
          asked.push(resource && resource.fsPath);
          return { path: `${resource.fsPath}/env/bin/python`, id: resource.fsPath };
        },
        resolveEnvironment: async (env) => ({ executable: { uri: { fsPath: env.path } } }),
        onDidChangeActiveEnvironmentPath: (fn) => { py._fire = fn; return { dispose() {} }; },
      },
    },
  };
  const state = { config: {}, folders: ["/ws/a", "/ws/b"], extensions: { "ms-python.python": py } };
  await activate(state, fakeDeps({ importable: ["/ws/a/env/bin/python", "/ws/b/env/bin/python"] }));
  assert.deepEqual(asked.sort(), ["/ws/a", "/ws/b"]);
  assert.equal(byCwd(state, "/ws/a")[0].serverOptions.command, "/ws/a/env/bin/python");
  assert.equal(byCwd(state, "/ws/b")[0].serverOptions.command, "/ws/b/env/bin/python");
  // the interpreter of folder b changes: only b's server restarts
  await py._fire({ id: "x", path: "/ws/b/env/bin/python", resource: { uri: { scheme: "file", fsPath: "/ws/b", path: "/ws/b" }, name: "b" } });
  assert.equal(state.clients.length, 3);
  assert.equal(byCwd(state, "/ws/a")[0].stopped, false);
  assert.deepEqual(byCwd(state, "/ws/b").map((c) => c.stopped), [true, false]);
});

test("adding a folder starts one server; removing a folder stops only its server", async () => {
  const state = twoFolders();
  state.folderConfig["/ws/c"] = { interpreter: ["/ws/c/.venv/bin/python"] };
  const { vscode } = await activate(state, importable);
  assert.equal(state.clients.length, 2);
  await vscode._changeFolders({ added: ["/ws/c"] });
  assert.equal(state.clients.length, 3);
  const c = state.clients[2];
  assert.equal(c.serverOptions.options.cwd, "/ws/c");
  assert.equal(c.serverOptions.command, "/ws/c/.venv/bin/python");
  assert.equal(c.clientOptions.documentSelector[0].pattern, "/ws/c/**");
  assert.deepEqual(live(state).length, 3, "the other servers keep running");

  await vscode._changeFolders({ removed: ["/ws/a"] });
  assert.equal(state.clients.length, 3, "nothing new is started");
  assert.equal(byCwd(state, "/ws/a")[0].stopped, true);
  assert.deepEqual(live(state).map((x) => x.serverOptions.options.cwd).sort(), ["/ws/b", "/ws/c"]);
});

test("a folder added starts its server with the folder's own settings, which VS Code loads after reporting the folder", async () => {
  const state = twoFolders({ folderSettingsWaitMs: 60000 });
  const { vscode } = await activate(state, importable);
  assert.equal(state.clients.length, 2);
  // VS Code reports the folder first; its .vscode/settings.json is not loaded yet (nothing
  // finds gradls without it: no user interpreter, nothing on PATH)
  const changing = vscode._changeFolders({ added: ["/ws/c"] });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(state.clients.length, 2, "no server before the folder's settings are loaded");
  assert.deepEqual(vscode.window.messages, [], "no error for the user's settings");
  assert.match(vscode.window.statusItems[0].accessibilityInformation.label, /^gradls: /);
  // then its settings arrive
  state.folderConfig["/ws/c"] = { interpreter: ["/ws/c/.venv/bin/python"], select: ["GRD106"] };
  await vscode._fireConfigChange(["gradls.interpreter", "gradls.select"], ["/ws/c"]);
  await changing;
  const c = byCwd(state, "/ws/c");
  assert.equal(c.length, 1, "started once, with the folder's settings");
  assert.equal(c[0].serverOptions.command, "/ws/c/.venv/bin/python");
  assert.deepEqual(c[0].clientOptions.initializationOptions, { settings: { select: ["GRD106"] } });
  assert.equal(c[0].stopped, false);
  assert.deepEqual(vscode.window.messages, []);
  assert.equal(live(state).length, 3);
});

test("a folder added with no gradls settings of its own starts after the wait; one removed meanwhile never starts", async () => {
  const state = twoFolders({ folderSettingsWaitMs: 50 });
  const { vscode } = await activate(state, fakeDeps({ importable: ["/ws/a/.venv/bin/python", "/ws/b/.venv/bin/python"], onPath: true }));
  // a settings change for another folder does not end the wait
  const adding = vscode._changeFolders({ added: ["/ws/c"] });
  await vscode._fireConfigChange(["gradls.select"], ["/ws/a"]);
  assert.equal(byCwd(state, "/ws/c").length, 0);
  await adding;
  const c = byCwd(state, "/ws/c");
  assert.equal(c.length, 1);
  assert.equal(c[0].serverOptions.command, "/usr/local/bin/gradls");
  // removed before its settings came: never started
  const addingD = vscode._changeFolders({ added: ["/ws/d"] });
  await vscode._changeFolders({ removed: ["/ws/d"] });
  await addingD;
  assert.equal(byCwd(state, "/ws/d").length, 0);
  assert.equal(live(state).length, 3);
});

test("a settings change in one folder restarts or updates only that folder's server", async () => {
  const state = twoFolders();
  const { vscode } = await activate(state, fakeDeps({ importable: ["/ws/a/.venv/bin/python", "/ws/b/.venv/bin/python", "/ws/b/other/bin/python"] }));
  const [a, b] = [byCwd(state, "/ws/a")[0], byCwd(state, "/ws/b")[0]];
  // a server setting of folder a: a gets its new settings, b is not told anything
  state.folderConfig["/ws/a"].select = ["GRD1"];
  await vscode._fireConfigChange(["gradls.select"], ["/ws/a"]);
  assert.deepEqual(a.notifications, [{ method: "workspace/didChangeConfiguration", params: { settings: { select: ["GRD1"] } } }]);
  assert.deepEqual(b.notifications, []);
  // the interpreter of folder b: only b's server restarts, with the new interpreter
  state.folderConfig["/ws/b"].interpreter = ["/ws/b/other/bin/python"];
  await vscode._fireConfigChange(["gradls.interpreter"], ["/ws/b"]);
  assert.equal(a.stopped, false);
  assert.equal(b.stopped, true);
  assert.equal(state.clients.length, 3);
  assert.equal(state.clients[2].serverOptions.options.cwd, "/ws/b");
  assert.equal(state.clients[2].serverOptions.command, "/ws/b/other/bin/python");
  // a change event that reaches every folder but changes nothing restarts nothing
  await vscode._fireConfigChange(["gradls.path"]);
  assert.equal(state.clients.length, 3);
});

test("a user-level change of gradls.path restarts every folder's server it changes", async () => {
  const state = { config: {}, folders: ["/ws/a", "/ws/b"], folderConfig: { "/ws/b": { path: ["/ws/b/gradls"] } } };
  const deps = fakeDeps({ onPath: true, executables: ["/opt/gradls", "/ws/b/gradls"] });
  const { vscode, mod } = await activate(state, deps);
  assert.deepEqual(state.clients.map((c) => c.serverOptions.command), ["/usr/local/bin/gradls", "/ws/b/gradls"]);
  state.config.path = ["/opt/gradls"];
  mod.setDiscoveryDeps(deps);
  await vscode._fireConfigChange(["gradls.path"]);
  // folder a now finds /opt/gradls; folder b's own gradls.path still wins there, so b keeps running
  assert.deepEqual(state.clients.map((c) => [c.serverOptions.command, c.stopped]),
    [["/usr/local/bin/gradls", true], ["/ws/b/gradls", false], ["/opt/gradls", false]]);
});

test("commands and the status bar address the server of the active document's folder", async () => {
  const state = twoFolders({ serverCommands: ["gradls.applyFixAll", "gradls.confirm"], requestResult: { applied: true, edits: 1 } });
  const { vscode, mod } = await activate(state, importable);
  const [a, b] = [byCwd(state, "/ws/a")[0], byCwd(state, "/ws/b")[0]];
  const inB = vscode.Uri.file("/ws/b/train.py");
  vscode.window.activeTextEditor = { document: { uri: inB, languageId: "python" } };
  await vscode.commands.registered["gradls.fixAll"]();
  assert.deepEqual(b.requests, [{ method: "workspace/executeCommand", params: { command: "gradls.applyFixAll", arguments: ["file:///ws/b/train.py"] } }]);
  assert.deepEqual(a.requests, []);
  await vscode.commands.registered["gradls.confirmFile"]();
  assert.deepEqual(b.requests[1].params, { command: "gradls.confirm", arguments: ["file:///ws/b/train.py"] });
  assert.deepEqual(a.requests, []);
  const inA = vscode.Uri.file("/ws/a/sub/train.py");
  vscode.window.activeTextEditor = { document: { uri: inA, languageId: "python" } };
  await vscode.commands.registered["gradls.confirmFile"]();
  assert.deepEqual(a.requests, [{ method: "workspace/executeCommand", params: { command: "gradls.confirm", arguments: ["file:///ws/a/sub/train.py"] } }]);
  assert.equal(b.requests.length, 2);
  assert.equal(mod.getClient(inB), b);
  assert.equal(mod.getClient(), a);

  // the status bar shows the state of the active document's server
  const item = vscode.window.statusItems[0];
  for (const fn of vscode._listeners.editor) fn();
  assert.equal(item.text, "$(check) gradls");
  const server = mod.getServers().find((s) => s.client === b);
  server.client.stateListeners.forEach((fn) => fn({ oldState: 2, newState: 1 }));
  assert.equal(item.text, "$(check) gradls", "b stopping does not change a's status");
  vscode.window.activeTextEditor = { document: { uri: inB, languageId: "python" } };
  for (const fn of vscode._listeners.editor) fn();
  assert.equal(item.text, "$(error) gradls: stopped");
});

test("one folder without gradls: only that folder's server is missing, and its commands say so", async () => {
  const state = twoFolders({ serverCommands: ["gradls.applyFixAll"], requestResult: { applied: true, edits: 1 } });
  state.folderConfig["/ws/b"].interpreter = ["/ws/b/no-gradls/python"];
  const { vscode, mod } = await activate(state, importable);
  assert.deepEqual(state.clients.map((c) => c.serverOptions.options.cwd), ["/ws/a"]);
  const err = vscode.window.messages.find((m) => m.kind === "error");
  assert.match(err.msg, /no-gradls\/python.*\(folder b\)$/);
  assert.equal(await mod.fixAll(vscode.Uri.file("/ws/b/t.py")), undefined);
  assert.ok(vscode.window.messages.some((m) => m.kind === "warning" && /not running/.test(m.msg)));
  assert.deepEqual(await mod.fixAll(vscode.Uri.file("/ws/a/t.py")), { applied: true, edits: 1 });
  vscode.window.activeTextEditor = { document: { uri: vscode.Uri.file("/ws/b/t.py"), languageId: "python" } };
  for (const fn of vscode._listeners.editor) fn();
  assert.equal(vscode.window.statusItems[0].text, "$(error) gradls: not found");
});

test("untitled documents and files outside every folder go to one default server, started when one opens", async () => {
  const state = twoFolders({ config: { interpreter: ["/usr/bin/python3"] } });
  const { vscode } = await activate(state, fakeDeps({ importable: ["/ws/a/.venv/bin/python", "/ws/b/.venv/bin/python", "/usr/bin/python3"] }));
  assert.equal(state.clients.length, 2);
  // a file inside a folder does not start it
  await vscode._openTextDocument({ uri: vscode.Uri.file("/ws/a/x.py"), languageId: "python" });
  assert.equal(state.clients.length, 2);
  await vscode._openTextDocument({ uri: { scheme: "untitled", fsPath: "Untitled-1", path: "Untitled-1", toString: () => "untitled:Untitled-1" }, languageId: "python" });
  assert.equal(state.clients.length, 3);
  const d = state.clients[2];
  assert.equal(d.serverOptions.command, "/usr/bin/python3");
  assert.equal(d.clientOptions.workspaceFolder, undefined);
  assert.deepEqual(d.clientOptions.documentSelector, [
    { language: "python", scheme: "file" },
    { language: "python", scheme: "untitled" },
    { notebook: "jupyter-notebook", language: "python" },
  ]);
  // a second outside document reuses it
  await vscode._openTextDocument({ uri: vscode.Uri.file("/tmp/y.py"), languageId: "python" });
  assert.equal(state.clients.length, 3);

  // each server is given only the documents it owns
  const sent = async (client, uri) => {
    let passed = false;
    await client.clientOptions.middleware.didOpen({ uri }, async () => { passed = true; });
    return passed;
  };
  const [a] = byCwd(state, "/ws/a");
  assert.equal(await sent(d, vscode.Uri.file("/tmp/y.py")), true);
  assert.equal(await sent(d, vscode.Uri.file("/ws/a/x.py")), false, "the default server never gets a folder's file");
  assert.equal(await sent(a, vscode.Uri.file("/ws/a/x.py")), true);
  assert.equal(await sent(a, vscode.Uri.file("/ws/b/x.py")), false);
  // hovers and code actions too (a hover from two servers would be shown twice)
  let hovered = 0;
  const next = async () => { hovered += 1; return { contents: [] }; };
  assert.equal(await d.clientOptions.middleware.provideHover({ uri: vscode.Uri.file("/ws/a/x.py") }, {}, {}, next), undefined);
  await a.clientOptions.middleware.provideHover({ uri: vscode.Uri.file("/ws/a/x.py") }, {}, {}, next);
  assert.equal(hovered, 1);
  // notebooks (synced by the server's own notebook selector) likewise
  let nb = 0;
  await a.clientOptions.middleware.notebooks.didOpen({ uri: vscode.Uri.file("/ws/b/n.ipynb") }, [], async () => { nb += 1; });
  await a.clientOptions.middleware.notebooks.didOpen({ uri: vscode.Uri.file("/ws/a/n.ipynb") }, [], async () => { nb += 1; });
  await d.clientOptions.middleware.notebooks.didOpen({ uri: vscode.Uri.file("/ws/a/n.ipynb") }, [], async () => { nb += 10; });
  assert.equal(nb, 1);
});

test("a workspace without folders gets the default server at once", async () => {
  const state = { config: {}, folders: [] };
  const { vscode } = await activate(state, fakeDeps({ onPath: true }));
  assert.equal(state.clients.length, 1);
  assert.equal(state.clients[0].serverOptions.options.cwd, undefined);
  assert.equal(vscode.window.statusItems[0].text, "$(check) gradls");
});

test("nested folders: a file of the inner folder belongs to the inner folder's server only", async () => {
  const state = { config: {}, folders: ["/ws/a", "/ws/a/inner"], folderConfig: { "/ws/a/inner": { interpreter: ["/ws/a/inner/py"] } } };
  const { vscode, mod } = await activate(state, fakeDeps({ onPath: true, importable: ["/ws/a/inner/py"] }));
  const [outer, inner] = [byCwd(state, "/ws/a")[0], byCwd(state, "/ws/a/inner")[0]];
  assert.equal(inner.serverOptions.command, "/ws/a/inner/py");
  const file = vscode.Uri.file("/ws/a/inner/t.py");
  let outerGot = false;
  let innerGot = false;
  await outer.clientOptions.middleware.didOpen({ uri: file }, async () => { outerGot = true; });
  await inner.clientOptions.middleware.didOpen({ uri: file }, async () => { innerGot = true; });
  assert.deepEqual([outerGot, innerGot], [false, true]);
  assert.equal(mod.getClient(file), inner);
  assert.equal(mod.getClient(vscode.Uri.file("/ws/a/t.py")), outer);
});

test("restricted mode: each folder's gradls.path is ignored, the user's settings count", async () => {
  const state = twoFolders({ trusted: false, config: { interpreter: ["/home/u/py"] } });
  state.folderConfig["/ws/b"].path = ["/ws/b/evil-gradls"];
  const { vscode } = await activate(state, fakeDeps({ importable: ["/home/u/py", "/ws/a/.venv/bin/python", "/ws/b/.venv/bin/python"], executables: ["/ws/b/evil-gradls"] }));
  assert.deepEqual(state.clients.map((c) => c.serverOptions.command), ["/home/u/py", "/home/u/py"]);
  // trusting restarts both with their folders' own settings
  await vscode._grantTrust();
  assert.deepEqual(live(state).map((c) => [c.serverOptions.options.cwd, c.serverOptions.command]).sort(),
    [["/ws/a", "/ws/a/.venv/bin/python"], ["/ws/b", "/ws/b/evil-gradls"]]);
});

test("Restart Server restarts every folder's server once", async () => {
  const state = twoFolders();
  const { vscode } = await activate(state, importable);
  await vscode.commands.registered["gradls.restart"]();
  assert.equal(state.clients.length, 4);
  assert.deepEqual(state.clients.map((c) => c.stopped), [true, true, false, false]);
});

test("two servers that offer the same commands both start; the commands go to the named document's server", async () => {
  const state = twoFolders({ serverCommands: ["gradls.applyFixAll", "gradls.confirm", "gradls.showRuleDocs"], requestResult: { ok: 1 } });
  const { vscode } = await activate(state, importable);
  // (a client registering the server's commands itself fails from the second on:
  // "command 'gradls.applyFixAll' already exists")
  assert.equal(state.clients.length, 2);
  assert.ok(state.clients.every((c) => c.state === 2), "both servers are running");
  assert.ok(!state.output.some((l) => /already exists|failed to start/.test(l)), state.output.join("\n"));
  const [a, b] = [byCwd(state, "/ws/a")[0], byCwd(state, "/ws/b")[0]];
  // run by id (a key binding, another extension): sent to the server of the document named
  assert.deepEqual(await vscode.commands.executeCommandById("gradls.applyFixAll", "file:///ws/b/t.py"), { ok: 1 });
  assert.deepEqual(b.requests, [{ method: "workspace/executeCommand", params: { command: "gradls.applyFixAll", arguments: ["file:///ws/b/t.py"] } }]);
  await vscode.commands.executeCommandById("gradls.confirm", { uri: "file:///ws/a/t.py", device: "cpu" });
  assert.deepEqual(a.requests, [{ method: "workspace/executeCommand", params: { command: "gradls.confirm", arguments: [{ uri: "file:///ws/a/t.py", device: "cpu" }] } }]);
  // no document named: the active document's folder's server
  vscode.window.activeTextEditor = { document: { uri: vscode.Uri.file("/ws/b/x.py"), languageId: "python" } };
  await vscode.commands.executeCommandById("gradls.showRuleDocs", "GRD101");
  assert.deepEqual(b.requests[1].params, { command: "gradls.showRuleDocs", arguments: ["GRD101"] });
  assert.equal(a.requests.length, 1);
});

test("restricted mode: gradls.confirm run by id is refused whichever server it would go to", async () => {
  const state = twoFolders({ trusted: false, config: { interpreter: ["/ws/a/.venv/bin/python"] }, serverCommands: ["gradls.confirm"] });
  const { vscode } = await activate(state, importable);
  assert.equal(await vscode.commands.executeCommandById("gradls.confirm", "file:///ws/b/t.py"), undefined);
  assert.ok(state.clients.every((c) => c.requests.length === 0));
  assert.ok(vscode.window.messages.some((m) => m.kind === "warning" && /trust this folder/.test(m.msg)));
});

test("a folder added around an open outside file takes it from the default server; other folder changes leave it alone", async () => {
  const state = twoFolders({ config: { interpreter: ["/usr/bin/python3"] } });
  const { vscode } = await activate(state, fakeDeps({ importable: ["/ws/a/.venv/bin/python", "/ws/b/.venv/bin/python", "/usr/bin/python3"] }));
  await vscode._openTextDocument({ uri: vscode.Uri.file("/ext/c/y.py"), languageId: "python" });
  assert.equal(state.clients.length, 3);
  const d = state.clients[2];
  assert.equal(d.clientOptions.workspaceFolder, undefined);
  // a folder with no open document: one new server, the default one keeps running
  await vscode._changeFolders({ added: ["/ws/d"] });
  assert.equal(state.clients.length, 4);
  assert.equal(state.clients[3].serverOptions.options.cwd, "/ws/d");
  assert.equal(d.stopped, false);
  // the folder of the open file: its server starts, and the default server restarts so that
  // it lets go of the file (the folder's server is now given it)
  await vscode._changeFolders({ added: ["/ext/c"] });
  const c = byCwd(state, "/ext/c");
  assert.equal(c.length, 1);
  assert.equal(d.stopped, true);
  const restarted = live(state).filter((x) => x.clientOptions.workspaceFolder === undefined);
  assert.equal(restarted.length, 1);
  let sent = 0;
  await restarted[0].clientOptions.middleware.didOpen({ uri: vscode.Uri.file("/ext/c/y.py") }, async () => { sent += 1; });
  await c[0].clientOptions.middleware.didOpen({ uri: vscode.Uri.file("/ext/c/y.py") }, async () => { sent += 10; });
  assert.equal(sent, 10);
  assert.ok(byCwd(state, "/ws/a").every((x) => !x.stopped) && byCwd(state, "/ws/b").every((x) => !x.stopped));
});

test("a folder whose name has glob characters still selects its files; the guard keeps a look-alike folder's", async () => {
  const { Minimatch } = require("minimatch");  // the matcher vscode-languageclient uses for notebook filters
  const state = { config: {}, folders: ["/ws/runs [old]", "/ws/runs x", "/ws/{a,b}*"] };
  const { vscode, mod } = await activate(state, fakeDeps({ onPath: true }));
  const [old, lookalike, braces] = [byCwd(state, "/ws/runs [old]")[0], byCwd(state, "/ws/runs x")[0], byCwd(state, "/ws/{a,b}*")[0]];
  const pattern = old.clientOptions.documentSelector[0].pattern;
  assert.equal(old.clientOptions.documentSelector[1].notebook.pattern, pattern);
  const matches = (glob, file) => new Minimatch(glob, { noext: true }).match(file);
  assert.ok(matches(pattern, "/ws/runs [old]/train.py"), pattern);
  assert.ok(matches(pattern, "/ws/runs [old]/sub/model.py"), pattern);
  assert.ok(!matches(pattern, "/ws/runs old/train.py"), pattern);
  assert.ok(!matches("/ws/runs [old]/**", "/ws/runs [old]/train.py"), "the folder path itself is no glob of its files");
  assert.ok(matches(braces.clientOptions.documentSelector[0].pattern, "/ws/{a,b}*/train.py"));
  // `?` also matches a folder differing in one of those characters; the guard gives a file
  // to its own folder's server only
  const file = vscode.Uri.file("/ws/runs x/train.py");
  let oldGot = false;
  let lookalikeGot = false;
  await old.clientOptions.middleware.didOpen({ uri: file }, async () => { oldGot = true; });
  await lookalike.clientOptions.middleware.didOpen({ uri: file }, async () => { lookalikeGot = true; });
  assert.deepEqual([oldGot, lookalikeGot], [false, true]);
  assert.equal(mod.getClient(vscode.Uri.file("/ws/runs [old]/train.py")), old);
});
