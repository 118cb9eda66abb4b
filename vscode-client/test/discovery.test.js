"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("path");
const fs = require("fs");
const os = require("os");
const d = require("../out/lib/discovery");

function deps(over = {}) {
  return {
    isExecutable: async (f) => (over.executables || []).includes(f),
    canImportGradls: async (py) => (over.importable || []).includes(py.join(" ")),
    which: async (name) => (over.onPath ? `/usr/bin/${name}` : undefined),
    platform: over.platform || "linux",
    homedir: "/home/u",
    env: { HOME: "/home/u", VENV: "/venvs/a" },
  };
}

test("gradls.path wins and runs `<path> serve`", async () => {
  const r = await d.findServer(
    { path: ["/missing/gradls", "~/bin/gradls"], interpreter: ["/py"] },
    deps({ executables: ["/home/u/bin/gradls"], importable: ["/py"], onPath: true }),
  );
  assert.deepEqual(r, { command: "/home/u/bin/gradls", args: ["serve"], source: "gradls.path" });
});

test("a gradls.path that does not exist is an error, not a silent fallback", async () => {
  const r = await d.findServer({ path: "/nope/gradls" }, deps({ onPath: true }));
  assert.ok(d.isFailure(r));
  assert.match(r.error, /gradls\.path/);
  assert.match(r.error, /\/nope\/gradls/);
});

test("gradls.interpreter runs `python -m gradls serve` and expands variables", async () => {
  const r = await d.findServer(
    { path: [], interpreter: ["${env:VENV}/bin/python"], pythonExtensionInterpreter: ["/other"] },
    deps({ importable: ["/venvs/a/bin/python", "/other"] }),
  );
  assert.deepEqual(r, { command: "/venvs/a/bin/python", args: ["-m", "gradls", "serve"], source: "gradls.interpreter" });
});

test("an interpreter given as several words keeps its arguments", async () => {
  const r = await d.findServer({ interpreter: ["py", "-3.11"] }, deps({ importable: ["py -3.11"] }));
  assert.deepEqual(r.args, ["-3.11", "-m", "gradls", "serve"]);
  assert.equal(r.command, "py");
});

test("a configured interpreter without gradls gives its own install command", async () => {
  const r = await d.findServer({ interpreter: ["/opt/my python/bin/python"] }, deps({ onPath: true }));
  assert.ok(d.isFailure(r));
  assert.equal(r.installCommand, '"/opt/my python/bin/python" -m pip install /path/to/gradls-checkout');
  assert.match(r.error, /cannot import gradls/);
});

test("the Python extension's interpreter is used when it can import gradls", async () => {
  const r = await d.findServer(
    { pythonExtensionInterpreter: ["/ws/.venv/bin/python"], workspaceFolder: "/ws" },
    deps({ importable: ["/ws/.venv/bin/python"], onPath: true }),
  );
  assert.equal(r.source, "Python extension interpreter");
  assert.equal(r.command, "/ws/.venv/bin/python");
});

test("falls back to gradls on PATH when the Python extension's interpreter lacks gradls", async () => {
  const r = await d.findServer({ pythonExtensionInterpreter: ["/ws/.venv/bin/python"] }, deps({ onPath: true }));
  assert.deepEqual(r, { command: "/usr/bin/gradls", args: ["serve"], source: "PATH" });
});

test("gradls.exe on Windows", async () => {
  const r = await d.findServer({}, deps({ onPath: true, platform: "win32" }));
  assert.equal(r.command, "/usr/bin/gradls.exe");
});

test("nothing found: a clear error with the install command for the selected interpreter", async () => {
  const r = await d.findServer({ pythonExtensionInterpreter: ["/ws/.venv/bin/python"] }, deps());
  assert.ok(d.isFailure(r));
  assert.equal(r.installCommand, "/ws/.venv/bin/python -m pip install /path/to/gradls-checkout");
  assert.match(r.error, /could not find the gradls language server/);
  assert.match(r.error, /\/ws\/\.venv\/bin\/python -m pip install \/path\/to\/gradls-checkout/);
  assert.deepEqual(r.tried, ["Python extension interpreter: /ws/.venv/bin/python -m gradls", "PATH: gradls"]);
});

test("nothing found and no interpreter: python3 -m pip install <checkout>", async () => {
  const r = await d.findServer({ path: [], interpreter: [] }, deps());
  assert.equal(r.installCommand, "python3 -m pip install /path/to/gradls-checkout");
});

test("blank entries are ignored", () => {
  assert.deepEqual(d.asList(["", "  ", "a"]), ["a"]);
  assert.deepEqual(d.asList(undefined), []);
  assert.deepEqual(d.asList("x"), ["x"]);
});

test("expand handles ~, ${userHome}, ${workspaceFolder}, ${env:X}", () => {
  const dep = { homedir: "/h", env: { X: "1" } };
  assert.equal(d.expand("~/a", dep), "/h/a");
  assert.equal(d.expand("${userHome}/b", dep), "/h/b");
  assert.equal(d.expand("${workspaceFolder}/.venv/bin/python", dep, "/ws"), "/ws/.venv/bin/python");
  assert.equal(d.expand("${env:X}${env:MISSING}", dep), "1");
});

test("real which/isExecutable/canImportGradls", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradls-which-"));
  const exe = path.join(dir, "gradls");
  fs.writeFileSync(exe, "#!/bin/sh\nexit 0\n");
  fs.chmodSync(exe, 0o755);
  fs.writeFileSync(path.join(dir, "plain"), "");
  assert.equal(await d.which("gradls", { PATH: `/nonexistent:${dir}` }, "linux"), exe);
  assert.equal(await d.isExecutable(path.join(dir, "plain")), false);
  assert.equal(await d.isExecutable(dir), false);
  // a "python" that exits 3 (gradls missing) and one that exits 0
  const no = path.join(dir, "py-no");
  fs.writeFileSync(no, "#!/bin/sh\nexit 3\n");
  fs.chmodSync(no, 0o755);
  assert.equal(await d.canImportGradls([no]), false);
  assert.equal(await d.canImportGradls([exe]), true);
  assert.equal(await d.canImportGradls([path.join(dir, "missing")]), false);
});

test("the install command names the bundled wheel, never a package index", async () => {
  const r = await d.findServer({ interpreter: [], bundledWheel: "/ext/bundled/gradls-0.1.0-py3-none-any.whl" }, deps());
  assert.equal(r.installCommand, "python3 -m pip install /ext/bundled/gradls-0.1.0-py3-none-any.whl");
  assert.doesNotMatch(r.error, /pip install gradls\b/);
});

test("untrusted: the Python extension's interpreter is not tried", async () => {
  const r = await d.findServer({ pythonExtensionInterpreter: ["/ws/.venv/bin/python"], trusted: false },
    deps({ importable: ["/ws/.venv/bin/python"], onPath: true }));
  assert.deepEqual(r, { command: "/usr/bin/gradls", args: ["serve"], source: "PATH" });
});
