// Builds gradls's wheel from this repository into bundled/, so that the .vsix carries it and
// the extension can offer to install it into the user's interpreter (gradls is not on PyPI).
// Python: $GRADLS_PYTHON, else python3. Uses the interpreter's setuptools when it is new
// enough (no download), else pip's isolated build (fetches setuptools from the package index).
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const python = process.env.GRADLS_PYTHON || "python3";
const repo = path.resolve(__dirname, "..", "..");
const out = path.resolve(__dirname, "..", "bundled");
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

function setuptoolsIsRecent() {
  try {
    execFileSync(python, ["-c",
      "import sys, setuptools; sys.exit(0 if int(setuptools.__version__.split('.')[0]) >= 77 else 1)"],
      { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const args = ["-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "--quiet", "--wheel-dir", out];
if (setuptoolsIsRecent()) args.push("--no-build-isolation");
args.push(repo);
execFileSync(python, args, { stdio: "inherit" });
// pip leaves build/ and an egg-info next to the sources; the repository ignores both
const wheels = fs.readdirSync(out).filter((f) => /^gradls-.*\.whl$/.test(f));
if (wheels.length !== 1) {
  console.error(`expected one gradls wheel in ${out}, found: ${wheels.join(", ") || "none"}`);
  process.exit(1);
}
console.log(`bundled ${path.join("bundled", wheels[0])}`);
