"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { statusView } = require("../out/lib/status");

const base = { server: "running", total: 0, confirming: false, trusted: true };

test("running, no Python file active", () => {
  const v = statusView(base);
  assert.equal(v.text, "$(check) gradls");
  assert.equal(v.severity, "none");
});

test("findings in the active file are counted", () => {
  const v = statusView({ ...base, findings: 1, total: 4, fileName: "train.py" });
  assert.equal(v.text, "$(warning) gradls: 1");
  assert.equal(v.label, "gradls: 1 finding in train.py");
  assert.match(v.tooltip, /4 findings in open files/);
});

test("a clean active file", () => {
  assert.equal(statusView({ ...base, findings: 0, fileName: "a.py" }).label, "gradls: no findings in a.py");
});

test("shadow pass running wins over counts", () => {
  assert.equal(statusView({ ...base, findings: 3, confirming: true }).text, "$(loading~spin) gradls: confirming");
});

test("not found and stopped are errors, with the reason in the tooltip", () => {
  const v = statusView({ ...base, server: "notFound", detail: "see output" });
  assert.equal(v.text, "$(error) gradls: not found");
  assert.equal(v.severity, "error");
  assert.match(v.tooltip, /see output/);
  assert.equal(statusView({ ...base, server: "stopped" }).text, "$(error) gradls: stopped");
  assert.equal(statusView({ ...base, server: "starting" }).text, "$(sync~spin) gradls");
});

test("restricted mode is marked", () => {
  const v = statusView({ ...base, trusted: false, findings: 2 });
  assert.equal(v.text, "$(shield) $(warning) gradls: 2");
  assert.match(v.label, /restricted mode/);
  assert.match(v.tooltip, /Confirm Gradients and Show Gradient Flow are disabled/);
});
