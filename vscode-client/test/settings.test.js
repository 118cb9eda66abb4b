"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { makeConfig } = require("./stub");
const s = require("../out/lib/settings");
const { summarizeConfirm } = require("../out/lib/confirm");

test("defaults are not sent, so pyproject.toml keeps its say", () => {
  assert.deepEqual(s.serverSettings(makeConfig({})), {});
});

test("explicit settings are sent with the server's keys", () => {
  const got = s.serverSettings(makeConfig({
    enable: false, select: ["GRD1", " "], ignore: ["GRD105"], severity: { GRD105: "warning" },
    "shadow.device": "cpu", "shadow.worker": " ssh gpu python -m gradls.shadow.worker ", "shadow.timeout": 30,
    path: ["/x/gradls"], interpreter: ["/py"],
  }));
  assert.deepEqual(got, {
    enable: false, select: ["GRD1"], ignore: ["GRD105"], severity: { GRD105: "warning" },
    shadow: { device: "cpu", worker: "ssh gpu python -m gradls.shadow.worker", timeout: 30 },
  });
});

test("only keys the server knows are ever sent", () => {
  const got = s.serverSettings(makeConfig({ path: ["/x"], interpreter: ["/y"], "trace.server": "verbose" }));
  assert.deepEqual(got, {});
});

test("an explicitly empty select is not sent; an explicitly empty ignore is", () => {
  assert.deepEqual(s.serverSettings(makeConfig({ select: [], ignore: [] })), { ignore: [] });
});

test("a comma-separated string is accepted for select", () => {
  assert.deepEqual(s.serverSettings(makeConfig({ select: "GRD101, GRD102" })), { select: ["GRD101", "GRD102"] });
});

test("confirm CLI arguments", () => {
  assert.deepEqual(s.confirmArgs(makeConfig({})), ["--timeout", "60"]);
  assert.deepEqual(s.confirmArgs(makeConfig({ "shadow.device": "cuda", "shadow.worker": "ssh b w", "shadow.timeout": 5 })),
    ["--device", "cuda", "--worker", "ssh b w", "--timeout", "5"]);
});

test("which configuration changes restart and which notify", () => {
  const kind = (changed) => s.changeKind((k) => changed.some((c) => c === k || c.startsWith(k + ".")));
  assert.equal(kind(["gradls.path"]), "restart");
  assert.equal(kind(["gradls.interpreter"]), "restart");
  assert.equal(kind(["gradls.select"]), "notify");
  assert.equal(kind(["gradls.shadow.timeout"]), "notify");
  assert.equal(kind(["editor.fontSize"]), "none");
});

test("confirm summaries", () => {
  const r = {
    outcome: "backward_error", message: "backward at line 8 raised RuntimeError",
    device: "cpu", wall_s: 0.27, counts: { confirmed: 1, refuted: 0, not_reached: 0, unverified: 2, runtime_only: 0 },
  };
  assert.equal(summarizeConfirm(r), "backward at line 8 raised RuntimeError. 1 confirmed, 0 refuted, 2 unverified. (cpu, 0.3 s)");
  assert.equal(summarizeConfirm({ outcome: "ok_no_findings" }), "ok no findings");
  assert.equal(summarizeConfirm(undefined), "the shadow pass returned nothing");
  assert.equal(summarizeConfirm("done"), "done");
});

test("trustedView: in an untrusted workspace the workspace's command-starting settings vanish", () => {
  const config = makeConfig({ interpreter: ["/home/u/py"] },
    { path: ["/ws/x"], interpreter: ["/ws/py"], "shadow.worker": "sh -c evil", select: ["GRD1"] });
  const untrusted = s.trustedView(config, false);
  assert.deepEqual(untrusted.get("path"), []);
  assert.deepEqual(untrusted.get("interpreter"), ["/home/u/py"]);
  assert.equal(untrusted.get("shadow.worker"), "");
  assert.equal(untrusted.inspect("shadow.worker").workspaceValue, undefined);
  assert.deepEqual(untrusted.get("select"), ["GRD1"]);  // not a command: still the workspace's
  assert.deepEqual(s.serverSettings(untrusted), { select: ["GRD1"] });
  assert.deepEqual(s.confirmArgs(untrusted), ["--timeout", "60"]);
  // trusted: everything counts
  const trusted = s.trustedView(config, true);
  assert.deepEqual(trusted.get("path"), ["/ws/x"]);
  assert.equal(s.serverSettings(trusted).shadow.worker, "sh -c evil");
});

test("the restricted keys are exactly package.json's restrictedConfigurations", () => {
  const pkg = require("../package.json");
  const declared = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, "limited");
  assert.deepEqual(declared, s.RESTRICTED_KEYS.map((k) => "gradls." + k));
  // every setting that names a program to start is restricted
  for (const [key, spec] of Object.entries(pkg.contributes.configuration.properties)) {
    if (/path|interpreter|worker|command/i.test(key)) assert.ok(declared.includes(key), key);
    assert.ok(spec.scope !== "machine" || declared.includes(key), key);
  }
});
