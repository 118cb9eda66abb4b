// Drives a real VS Code workbench (code-server) in headless Chromium with playwright-core
// and checks the gradls extension end to end. Started by tests/test_editors_vscode.py
// (which starts code-server); runnable by hand:
//
//   GRADLS_E2E_URL=http://127.0.0.1:PORT GRADLS_E2E_WORKSPACE=/tmp/ws \
//   GRADLS_E2E_FILE=detach_bug.py GRADLS_E2E_EXPECTED=.../detach_bug.fixed.py \
//   GRADLS_E2E_ARTIFACTS=tests/e2e/artifacts/vscode GRADLS_E2E_PLAYWRIGHT=.../playwright-core \
//   node tests/e2e/vscode/drive.js
//
// Writes screenshots and result.json into GRADLS_E2E_ARTIFACTS; exits 1 on failure.
"use strict";
const fs = require("fs");
const path = require("path");

const env = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === "") {
    if (def === undefined) throw new Error(`${name} is required`);
    return def;
  }
  return v;
};
const URL = env("GRADLS_E2E_URL");
const WORKSPACE = env("GRADLS_E2E_WORKSPACE");
const FILE = env("GRADLS_E2E_FILE", "detach_bug.py");
const EXPECTED = env("GRADLS_E2E_EXPECTED");
const ARTIFACTS = env("GRADLS_E2E_ARTIFACTS");
const PLAYWRIGHT = env("GRADLS_E2E_PLAYWRIGHT", "playwright-core");
const CHROMIUM = env("GRADLS_E2E_CHROMIUM"); // tests/e2e/setup.sh's CACHE/bin/chromium
const TIMEOUT = Number(env("GRADLS_E2E_TIMEOUT_MS", "60000"));
// "main": squiggle, hover, Problems, quick fix, status bar (workspace trust off).
// "trust": the folder opened untrusted (restricted mode), then trusted; see trustScenario().
// "notebook", "multiroot", "folders" (workspace folders added and removed): see their scenarios.
const MODE = env("GRADLS_E2E_MODE", "main");
// trust mode: a file the workspace's gradls.path wrapper creates when it is started
const PATH_MARKER = env("GRADLS_E2E_PATH_MARKER", "");
// trust mode: a file the workspace's gradls.shadow.worker wrapper creates when it is started
const WORKER_MARKER = env("GRADLS_E2E_WORKER_MARKER", "");
// > 1: slow the page's CPU down this many times (Chrome DevTools throttling), to try the
// driver's waits as on a loaded machine without loading it
const CPU_THROTTLE = Number(env("GRADLS_E2E_CPU_THROTTLE", "1"));
const BUG_LINE = 6; // 1-based
const BUG_TEXT = ".detach()";
const FIX_TITLE = "gradls (GRD101): Remove `.detach()`";

const { chromium } = require(PLAYWRIGHT);
fs.mkdirSync(ARTIFACTS, { recursive: true });
const report = { steps: [], screenshots: [] };
const t0 = Date.now();
const step = (name, data = {}) => {
  report.steps.push({ step: name, ms: Date.now() - t0, ...data });
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${name} ${JSON.stringify(data)}`);
};

async function shot(page, name) {
  const file = path.join(ARTIFACTS, `${String(report.screenshots.length + 1).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file });
  report.screenshots.push(file);
}

/** Geometry of the error squiggles, and of the line/column each one sits on. */
async function squiggles(page) {
  return page.evaluate((bugText) => {
    const editor = [...document.querySelectorAll(".monaco-editor")].find((e) => e.querySelector(".view-lines"));
    if (!editor) return [];
    const lineNumbers = [...editor.querySelectorAll(".margin-view-overlays .line-numbers")];
    const viewLines = [...editor.querySelectorAll(".view-lines .view-line")];
    const mid = (r) => r.top + r.height / 2;
    const nearest = (els, y) => {
      let best, dist = Infinity;
      for (const el of els) {
        const r = el.getBoundingClientRect();
        const d = Math.abs(mid(r) - y);
        if (d < dist) { dist = d; best = el; }
      }
      return best;
    };
    return [...editor.querySelectorAll(".squiggly-error")].map((sq) => {
      const r = sq.getBoundingClientRect();
      const y = mid(r);
      const ln = nearest(lineNumbers, y);
      const vl = nearest(viewLines, y);
      const text = vl ? vl.textContent.replace(/\u00a0/g, " ") : "";
      // where `bugText` is drawn on that line
      let target = null;
      const at = text.indexOf(bugText);
      if (vl && at >= 0) {
        const walker = document.createTreeWalker(vl, NodeFilter.SHOW_TEXT);
        let offset = 0, startNode, startOff, endNode, endOff;
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const len = n.textContent.length;
          if (!startNode && at < offset + len) { startNode = n; startOff = at - offset; }
          if (startNode && at + bugText.length <= offset + len) { endNode = n; endOff = at + bugText.length - offset; break; }
          offset += len;
        }
        if (startNode && endNode) {
          const range = document.createRange();
          range.setStart(startNode, startOff);
          range.setEnd(endNode, endOff);
          const tr = range.getBoundingClientRect();
          target = { left: tr.left, right: tr.right };
        }
      }
      return {
        x: r.left + r.width / 2, y, left: r.left, right: r.right, width: r.width,
        line: ln ? Number(ln.textContent.trim()) : null, lineText: text, target,
      };
    });
  }, BUG_TEXT);
}

async function waitFor(fn, what, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The gradls status bar entry: its accessible label and visible text (undefined: none). */
async function gradlsStatus(page) {
  return page.evaluate(() => {
    const bar = document.querySelector("#workbench\\.parts\\.statusbar") || document;
    for (const el of bar.querySelectorAll(".statusbar-item, .statusbar-item-label, [aria-label]")) {
      const label = el.getAttribute("aria-label") || "";
      if (label.startsWith("gradls:")) return { label, text: (el.textContent || "").trim() };
    }
    return undefined;
  });
}

async function waitStatus(page, re, what) {
  let last;
  try {
    return await waitFor(async () => {
      last = await gradlsStatus(page);
      return last && re.test(last.label) ? last : undefined;
    }, what);
  } catch (err) {
    throw new Error(`${err.message}; the gradls status bar item is ${JSON.stringify(last)}`);
  }
}

// The quick input (command palette, quick open, go to line). Nothing here types with the
// keyboard: the text is put into the quick input's own input box (locator.fill), and only once
// that box is shown and has the keyboard focus, so that on a loaded machine no keystroke meant
// for the palette can land in an editor (a run once typed "gradls: Show Gradient" into the
// fixture because the palette took focus late). Keys are pressed only to open and close it.
const QUICK_INPUT = ".quick-input-widget";
const QUICK_INPUT_BOX = ".quick-input-widget .quick-input-box input";
const QUICK_ROWS = ".quick-input-widget .quick-input-list .monaco-list-row";

/** Whether the quick input is shown, whether its input box has the focus, and its value. */
async function quickInputState(page) {
  return page.evaluate(({ widgetSel, boxSel }) => {
    const widget = document.querySelector(widgetSel);
    const box = document.querySelector(boxSel);
    const shown = !!widget && getComputedStyle(widget).display !== "none" && widget.getBoundingClientRect().height > 0;
    return { shown, focused: shown && !!box && document.activeElement === box, value: box ? box.value : null };
  }, { widgetSel: QUICK_INPUT, boxSel: QUICK_INPUT_BOX });
}

async function closeQuickInput(page) {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!(await quickInputState(page)).shown) return;
    await page.keyboard.press("Escape");
    await page.waitForTimeout(200);
  }
  throw new Error(`the quick input does not close: ${JSON.stringify(await quickInputState(page))}`);
}

/**
 * Opens the quick input with `key` and sets its value to `value` (its prefix picks the mode:
 * ">" commands, ":" go to line, none: files). Returns once the box is shown, focused and holds
 * exactly `value`; retries the key when the quick input does not come up focused in time.
 */
async function quickInput(page, key, value) {
  let last;
  for (let attempt = 0; attempt < 4; attempt++) {
    await closeQuickInput(page);
    await page.keyboard.press(key);
    last = await waitFor(async () => {
      const st = await quickInputState(page);
      return st.shown && st.focused ? st : undefined;
    }, `the quick input (${key}) to open with the focus`, 10000).catch(() => quickInputState(page));
    if (!last.shown || !last.focused) continue;
    await page.locator(QUICK_INPUT_BOX).fill(value);
    last = await quickInputState(page);
    if (last.shown && last.focused && last.value === value) return;
  }
  throw new Error(`could not put ${JSON.stringify(value)} into the quick input (${key}): ${JSON.stringify(last)}`);
}

/** The visible rows of the quick input's list: data-index, label (first line of text), aria-label. */
async function quickRows(page) {
  return page.locator(QUICK_ROWS).evaluateAll((rows) => rows.map((r) => ({
    index: r.dataset.index,
    text: (r.innerText || "").replace(/\s+/g, " ").trim(),
    aria: r.getAttribute("aria-label") || "",
  })));
}

/** The rows once the list has been filtered for the quick input's value (same rows twice). */
async function settledRows(page) {
  let prev = null;
  return waitFor(async () => {
    const rows = await quickRows(page);
    const key = JSON.stringify(rows);
    const settled = rows.length > 0 && key === prev ? rows : undefined;
    prev = key;
    if (!settled) await page.waitForTimeout(250);
    return settled;
  }, "the quick input's list", TIMEOUT).catch(() => quickRows(page));
}

/**
 * Clicks the row `pick(row)` selects (waiting for it to be listed) and waits for the quick
 * input to close. Throws a `Retry` when the quick input closed (lost the focus) before.
 */
async function chooseRow(page, pick, what) {
  let rows = [];
  let closed = false;
  const row = await waitFor(async () => {
    if (!(await quickInputState(page)).shown) {
      closed = true;
      return true;
    }
    rows = await quickRows(page);
    return rows.find(pick);
  }, what, TIMEOUT).catch(() => undefined);
  if (closed) throw new Retry(`${what}: the quick input closed before its row was chosen`);
  if (!row) throw new Error(`${what}: not among ${JSON.stringify(rows.map((r) => r.text))}`);
  try {
    await page.locator(`${QUICK_ROWS}[data-index="${row.index}"]`).click({ timeout: 10000 });
  } catch (err) {
    if (!(await quickInputState(page)).shown) throw new Retry(`${what}: the quick input closed before the click`);
    throw err;
  }
  await waitFor(async () => !(await quickInputState(page)).shown, `the quick input to close after choosing ${what}`);
  return row;
}

/** A step in the quick input that may be tried again from the start (it changed nothing). */
class Retry extends Error {}

async function withRetries(what, fn, tries = 3) {
  let last;
  for (let attempt = 0; attempt < tries; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof Retry)) throw err;
      last = err;
      step("retry", { what, why: err.message });
    }
  }
  throw new Error(`${what}: ${last.message} (${tries} tries)`);
}

/** A palette row's command title: its text up to the keybinding or "recently used". */
const isTitle = (title) => (r) => r.text === title || r.text.startsWith(`${title} `)
  || r.aria === title || r.aria.startsWith(`${title},`);

/** Titles the command palette lists for `query` (the palette is left open). */
async function paletteTitles(page, query) {
  return withRetries(`the palette's commands for "${query}"`, async () => {
    await quickInput(page, "Control+Shift+P", `>${query}`);
    const rows = await settledRows(page);
    const st = await quickInputState(page);
    // the rows of a palette that closed, or that lists something else, say nothing
    if (!st.shown || st.value !== `>${query}`) throw new Retry(`the palette changed while listing: ${JSON.stringify(st)}`);
    return rows.map((r) => r.text);
  });
}

/** Runs the command whose palette title is exactly `title` ("gradls: Show Gradient Flow"). */
async function runCommand(page, title) {
  await withRetries(`running "${title}"`, async () => {
    await quickInput(page, "Control+Shift+P", `>${title}`);
    await chooseRow(page, isTitle(title), `the command "${title}" in the palette`);
  });
  step("command", { title });
}

async function openFile(page, file = FILE) {
  await withRetries(`opening ${file}`, async () => {
    await quickInput(page, "Control+P", file);
    await chooseRow(page, (r) => r.aria.includes(file) || r.text.startsWith(file), `${file} in quick open`);
  });
  await page.waitForSelector(`.tab.active[aria-label*="${file}"]`, { timeout: TIMEOUT });
  step("opened", { file });
}

/** Fails when `file` (in the workspace) no longer holds `original` or its editor has unsaved
 * changes: the driver must never type into it. */
async function assertUntouched(page, file, original) {
  const dirty = await page.locator(`.tab.dirty[aria-label*="${file}"]`).count();
  const text = fs.readFileSync(path.join(WORKSPACE, file), "utf8");
  if (dirty || text !== original) {
    throw new Error(`${file} was changed by the driver (dirty tab: ${dirty > 0}); on disk: ${JSON.stringify(text.slice(0, 200))}`);
  }
}

/** The 1-based lines of the squiggles (error, warning or info) in the active editor. */
async function squiggleLines(page) {
  return page.evaluate(() => {
    const editors = [...document.querySelectorAll(".part.editor .monaco-editor")]
      .filter((e) => e.querySelector(".view-lines") && e.getBoundingClientRect().width > 0);
    const editor = editors[0];
    if (!editor) return [];
    const lineNumbers = [...editor.querySelectorAll(".margin-view-overlays .line-numbers")];
    const lineOf = (y) => {
      let best, dist = Infinity;
      for (const el of lineNumbers) {
        const r = el.getBoundingClientRect();
        const d = Math.abs(r.top + r.height / 2 - y);
        if (d < dist) { dist = d; best = el; }
      }
      return best ? Number(best.textContent.trim()) : null;
    };
    return [...editor.querySelectorAll(".squiggly-error, .squiggly-warning, .squiggly-info")].map((sq) => {
      const r = sq.getBoundingClientRect();
      return lineOf(r.top + r.height / 2);
    }).sort((a, b) => a - b);
  });
}

/**
 * A two-folder .code-workspace (GRADLS_E2E_MULTIROOT: [{file, lines, findings}]): both files have the
 * same two bugs; each folder's settings select a different rule, so each file must show only
 * the finding its own folder's server reports, on its line, and the status bar counts it.
 */
async function multirootScenario(page) {
  const files = JSON.parse(env("GRADLS_E2E_MULTIROOT"));
  // `lines`: every line a squiggle is drawn on (a finding's range may span several lines);
  // `findings`: how many findings the status bar counts (default: one per line)
  for (const { file, lines, findings = lines.length } of files) {
    await openFile(page, file);
    const got = await waitFor(async () => {
      const l = await squiggleLines(page);
      return l.length > 0 ? l : undefined;
    }, `a squiggle in ${file}`);
    // give a wrong (another folder's, or a second) server time to publish too
    await page.waitForTimeout(2500);
    const settled = await squiggleLines(page);
    step("multiroot-squiggles", { file, first: got, lines: settled });
    if (JSON.stringify(settled) !== JSON.stringify(lines)) {
      throw new Error(`${file}: squiggles on lines ${JSON.stringify(settled)}, expected ${JSON.stringify(lines)}`);
    }
    const st = await waitStatus(page, new RegExp(`^gradls: ${findings} findings? in ${file.replace(/\./g, "\\.")}$`),
      `the status bar item to count ${file}'s findings`);
    step("multiroot-status", { file, ...st });
    await shot(page, `multiroot-${file.replace(/\W/g, "_")}`);
  }
}

/** The servers a gradls.path wrapper started: the lines it appended to `marker`
 * ("PID CWD ARGS...", the wrapper execs gradls, so PID is the server's), `serve` runs only. */
function serversFromMarker(marker) {
  if (!fs.existsSync(marker)) return [];
  return fs.readFileSync(marker, "utf8").split("\n").filter(Boolean).map((line) => {
    const [pid, cwd, ...args] = line.split(" ");
    return { pid: Number(pid), cwd, args };
  }).filter((s) => s.args.includes("serve"));
}

/** Whether process `pid` is still alive. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/** Waits until the active editor has squiggles on exactly `lines` (they stay so for a while,
 * long enough for a wrong or a second server to publish too) and the status bar counts
 * `findings` in `file`. */
async function expectFindings(page, file, lines, findings, what) {
  let last;
  const seen = await waitFor(async () => {
    last = await squiggleLines(page);
    if (JSON.stringify(last) !== JSON.stringify(lines)) return undefined;
    await page.waitForTimeout(2500);
    last = await squiggleLines(page);
    return JSON.stringify(last) === JSON.stringify(lines) ? last : undefined;
  }, `${what}: squiggles on lines ${JSON.stringify(lines)} in ${file}`).catch((err) => {
    throw new Error(`${err.message}; they are on ${JSON.stringify(last)}`);
  });
  const label = findings === 0 ? "no findings" : `${findings} findings?`;
  const st = await waitStatus(page, new RegExp(`^gradls: ${label} in ${file.replace(/\./g, "\\.")}$`),
    `${what}: the status bar item to count ${findings} in ${file}`);
  return { lines: seen, label: st.label };
}

async function activateTab(page, file) {
  await page.locator(`.tab[aria-label*="${file}"]`).first().click();
  await page.waitForSelector(`.tab.active[aria-label*="${file}"]`, { timeout: TIMEOUT });
}

/**
 * Workspace folders added and removed at run time (GRADLS_E2E_FOLDERS: {add, marker, defaultMarker,
 * fileA, fileB}). The .code-workspace (WORKSPACE) starts with folder a alone; a's pyproject
 * selects GRD101, b's selects every GRD1 rule but b's own VS Code settings ignore GRD101, and
 * each folder's gradls.path is a wrapper that appends "PID CWD ARGS" to a marker (the user's
 * gradls.path, the default server's, to defaultMarker). Adding b to the .code-workspace on disk
 * must start b's own server (in b, before any of b's files is open), which gives train_b.py
 * only GRD106; removing b must stop that server, and train_b.py, still open and now outside
 * every folder, is served by the default server alone (GRD101 and GRD106, counted once);
 * a's server keeps working: deleting line 6 of train_a.py and undoing it re-publishes.
 */
async function foldersScenario(page) {
  const cfg = JSON.parse(env("GRADLS_E2E_FOLDERS"));
  const { fileA, fileB, marker, defaultMarker } = cfg;
  const writeFolders = (folders) => {
    const ws = JSON.parse(fs.readFileSync(WORKSPACE, "utf8"));
    ws.folders = folders.map((f) => ({ path: f }));
    fs.writeFileSync(WORKSPACE, JSON.stringify(ws, null, 2));
  };

  // 1. folder a alone
  await openFile(page, fileA);
  step("folders-a", await expectFindings(page, fileA, [6], 1, "folder a's server"));
  if (serversFromMarker(marker).length) throw new Error(`folder b's server ran before b was added: ${fs.readFileSync(marker, "utf8")}`);

  // 2. add folder b: its own server starts, in b, with no file of b open yet
  writeFolders(["a", cfg.add]);
  step("folders-added-on-disk");
  const started = await waitFor(() => {
    const s = serversFromMarker(marker);
    return s.length ? s : undefined;
  }, `folder ${cfg.add}'s server to start once the folder is added`);
  step("folders-b-started", { servers: started });
  if (started.length !== 1) throw new Error(`folder b's server started ${started.length} times: ${JSON.stringify(started)}`);
  const bServer = started[0];
  if (!alive(bServer.pid)) throw new Error(`folder b's server (pid ${bServer.pid}) is not running`);
  await shot(page, "folders-added");

  // 3. b's file: only what b's own settings select (GRD106; b ignores GRD101)
  await openFile(page, fileB);
  step("folders-b", await expectFindings(page, fileB, [9, 10], 1, "folder b's server"));
  await shot(page, "folders-b");
  if (serversFromMarker(defaultMarker).length) throw new Error(`the default server ran while every file was in a folder: ${fs.readFileSync(defaultMarker, "utf8")}`);

  // 4. remove folder b: its server stops, and train_b.py (still open) goes to the default server
  writeFolders(["a"]);
  step("folders-removed-on-disk");
  await waitFor(() => !alive(bServer.pid), `folder b's server (pid ${bServer.pid}) to exit once the folder is removed`);
  step("folders-b-stopped", { pid: bServer.pid });
  await activateTab(page, fileB);
  step("folders-b-default", await expectFindings(page, fileB, [6, 9, 10], 2, "the default server, for b's file outside the folders"));
  const defaults = serversFromMarker(defaultMarker);
  step("folders-default-servers", { servers: defaults });
  if (defaults.length !== 1 || !alive(defaults[0].pid)) throw new Error(`expected one running default server: ${JSON.stringify(defaults)}`);
  if (serversFromMarker(marker).length !== 1) throw new Error(`folder b's server started again: ${fs.readFileSync(marker, "utf8")}`);
  await shot(page, "folders-b-default");

  // 5. a's server still answers edits: delete line 6 (the finding goes), then undo (it comes back)
  await activateTab(page, fileA);
  step("folders-a-after", await expectFindings(page, fileA, [6], 1, "folder a's server after b was removed"));
  const original = fs.readFileSync(path.join(path.dirname(WORKSPACE), "a", fileA), "utf8");
  await page.keyboard.press("Control+1");
  await quickInput(page, "Control+G", ":6");
  await page.keyboard.press("Enter");
  await waitFor(async () => !(await quickInputState(page)).shown, "go to line to close");
  await waitFor(async () => /Ln 6, Col 1/.test(await cursorText(page)), "the cursor at line 6");
  await runCommand(page, "Delete Line");
  step("folders-a-edited", await expectFindings(page, fileA, [], 0, "folder a's server after line 6 was deleted"));
  await page.keyboard.press("Control+1");
  await page.keyboard.press("Control+Z");
  step("folders-a-undone", await expectFindings(page, fileA, [6], 1, "folder a's server after the undo"));
  await shot(page, "folders-a-undone");
  const now = fs.readFileSync(path.join(path.dirname(WORKSPACE), "a", fileA), "utf8");
  if (now !== original) throw new Error(`${fileA} changed on disk`);
}

/**
 * The folder's .vscode/settings.json sets gradls.path to a wrapper that creates PATH_MARKER
 * (and gradls.shadow.worker). Opened untrusted: diagnostics still come (from the user's
 * gradls.interpreter), the wrapper never runs, the status bar shows restricted mode and the
 * palette has no Confirm. Trusting the folder restarts the server through the wrapper, and
 * "gradls: Fix All Gradient Issues" then fixes the file.
 */
async function trustScenario(page) {
  const original = fs.readFileSync(path.join(WORKSPACE, FILE), "utf8");
  // the workspace trust prompt: refuse
  const no = page.locator(".monaco-dialog-box .monaco-button", { hasText: /don.t trust/i }).first();
  await no.waitFor({ timeout: TIMEOUT });
  await shot(page, "trust-prompt");
  await no.click();
  step("refused-trust");
  await openFile(page);
  await page.waitForSelector(".monaco-editor .squiggly-error", { timeout: TIMEOUT });
  step("squiggle-in-restricted-mode");
  const restricted = await waitStatus(page, /1 finding.*restricted mode/, "the restricted-mode status bar item");
  step("status-restricted", restricted);
  await shot(page, "restricted-status");
  const titles = await paletteTitles(page, "gradls: ");
  step("palette-restricted", { titles });
  if (!titles.some((t) => /Fix All Gradient Issues/.test(t))) throw new Error(`no Fix All in ${JSON.stringify(titles)}`);
  if (titles.some((t) => /Confirm Gradients|Show Gradient Flow/.test(t))) {
    throw new Error(`Confirm / Show Gradient Flow offered in restricted mode: ${JSON.stringify(titles)}`);
  }
  await closeQuickInput(page);
  if (fs.existsSync(PATH_MARKER)) throw new Error("the workspace's gradls.path ran in restricted mode");
  if (WORKER_MARKER && fs.existsSync(WORKER_MARKER)) throw new Error("the workspace's gradls.shadow.worker ran in restricted mode");

  // trust the folder
  await runCommand(page, "Workspaces: Manage Workspace Trust");
  const trust = page.locator(".workspace-trust-editor .monaco-button", { hasText: /^Trust( Folder)?$/ }).first();
  await trust.waitFor({ timeout: TIMEOUT });
  await shot(page, "trust-editor");
  await trust.click();
  step("granted-trust");
  await waitFor(() => fs.existsSync(PATH_MARKER), "the server to restart through the workspace's gradls.path");
  step("restarted-through-workspace-path");
  // the trust editor (a modal editor in recent VS Code, else a tab) is now in front: close
  // it, so that the Python file is the active editor again
  const modal = page.locator(".monaco-modal-editor-block");
  if (await modal.count()) {
    await page.keyboard.press("Escape");
    await page.waitForTimeout(300);
    if (await modal.count()) {
      await modal.locator('[aria-label^="Close"], .codicon-close').first().click();
    }
    await modal.waitFor({ state: "detached", timeout: TIMEOUT });
  }
  await page.locator(`.tab[aria-label*="${FILE}"]`).first().click();
  await page.waitForSelector(`.tab.active[aria-label*="${FILE}"]`, { timeout: TIMEOUT });
  const trustedStatus = await waitStatus(page, /^gradls: 1 finding in detach_bug\.py$/,
    "the status bar to count the finding without restricted mode");
  step("status-trusted", trustedStatus);
  const trustedTitles = await paletteTitles(page, "gradls: ");
  await closeQuickInput(page);
  step("palette-trusted", { titles: trustedTitles });
  if (!trustedTitles.some((t) => /Confirm Gradients/.test(t))) throw new Error(`no Confirm once trusted: ${JSON.stringify(trustedTitles)}`);
  if (!trustedTitles.some((t) => /Show Gradient Flow/.test(t))) throw new Error(`no Show Gradient Flow once trusted: ${JSON.stringify(trustedTitles)}`);

  await assertUntouched(page, FILE, original);

  // the gradient flow webview: the shadow run's page, and its line link opens the editor there
  await flowScenario(page);
  await assertUntouched(page, FILE, original);

  // Fix All on the file
  await page.locator(`.tab[aria-label*="${FILE}"]`).first().click();
  await page.waitForSelector(`.tab.active[aria-label*="${FILE}"]`, { timeout: TIMEOUT });
  await runCommand(page, "gradls: Fix All Gradient Issues");
  await waitFor(async () => (await squiggles(page)).length === 0, "Fix All to remove the squiggle");
  await page.keyboard.press("Control+1");
  await page.keyboard.press("Control+S");
  const want = fs.readFileSync(EXPECTED, "utf8");
  const file = path.join(WORKSPACE, FILE);
  await waitFor(() => fs.readFileSync(file, "utf8") === want, "the file fixed by Fix All on disk");
  step("fix-all-saved");
  await waitStatus(page, /no findings/, "the status bar to show no findings");
  await shot(page, "fixed");
}

/**
 * A Jupyter notebook (FILE, a .ipynb) opened in VS Code's notebook editor: the code cell that
 * detaches the model's output gets the error squiggle under `.detach()`, the other cell none,
 * and the Problems panel lists GRD101.
 */
async function notebookScenario(page) {
  await openFile(page);
  await page.waitForSelector(".notebook-editor", { timeout: TIMEOUT });
  step("notebook-opened");
  const cells = await waitFor(async () => {
    const found = await page.evaluate((bugText) => {
      const editors = [...document.querySelectorAll(".notebook-editor .monaco-editor")]
        .filter((ed) => ed.querySelector(".view-lines"));
      return editors.map((ed) => {
        const text = [...ed.querySelectorAll(".view-lines .view-line")]
          .map((l) => l.textContent.replace(/\u00a0/g, " ")).join("\n");
        const squiggles = [...ed.querySelectorAll(".squiggly-error")].map((sq) => {
          // the text drawn under the squiggle, on the line it sits on
          const r = sq.getBoundingClientRect();
          const y = r.top + r.height / 2;
          const line = [...ed.querySelectorAll(".view-lines .view-line")].find((l) => {
            const lr = l.getBoundingClientRect();
            return lr.top <= y && y <= lr.bottom;
          });
          let under = "";
          if (line) {
            const t = line.textContent.replace(/\u00a0/g, " ");
            const at = t.indexOf(bugText);
            if (at >= 0) {
              const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
              let offset = 0;
              for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const len = n.textContent.length;
                if (at >= offset && at < offset + len) {
                  const range = document.createRange();
                  range.setStart(n, at - offset);
                  range.setEnd(n, Math.min(len, at - offset + bugText.length));
                  const tr = range.getBoundingClientRect();
                  if (r.left <= tr.left + 2 && r.right >= tr.right - 2) under = bugText;
                  break;
                }
                offset += len;
              }
            }
          }
          return { left: r.left, right: r.right, under };
        });
        return { text, squiggles };
      });
    }, BUG_TEXT);
    return found.length >= 2 && found.some((c) => c.squiggles.length > 0) ? found : undefined;
  }, "an error squiggle in a notebook cell");
  step("notebook-squiggle", { cells });
  await shot(page, "notebook-squiggle");
  await page.keyboard.press("Control+Shift+M");
  const row = await waitFor(async () => {
    const rows = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
    return rows.map((t) => t.replace(/\s+/g, " ").trim()).find((t) => /GRD101/.test(t));
  }, "GRD101 in the Problems panel");
  step("notebook-problems", { row });
  await shot(page, "notebook-problems");
}

/** The frame of the gradient-flow webview (VS Code nests a webview two iframes deep); the
 * panel is created with the finished report, so its heading means the page is complete. */
async function flowFrame(page) {
  for (const frame of page.frames()) {
    try {
      if ((await frame.locator("h1", { hasText: /Gradient flow of/ }).count()) > 0) return frame;
    } catch {
      // a frame that went away
    }
  }
  return undefined;
}

async function flowScenario(page) {
  await page.locator(`.tab[aria-label*="${FILE}"]`).first().click();
  await page.waitForSelector(`.tab.active[aria-label*="${FILE}"]`, { timeout: TIMEOUT });
  await runCommand(page, "gradls: Show Gradient Flow");
  const frame = await waitFor(() => flowFrame(page), "the gradient flow webview", 120000);
  const heading = (await frame.locator("h1").innerText()).trim();
  const rows = await frame.locator("tr.param").evaluateAll((trs) =>
    trs.map((tr) => ({ name: tr.dataset.name, grad: tr.dataset.grad, cls: tr.className,
      text: tr.innerText.replace(/\s+/g, " ").trim() })));
  const links = await frame.locator("a[data-line]").evaluateAll((as) => as.map((a) => a.dataset.line));
  const summary = (await frame.locator("body").innerText()).replace(/\s+/g, " ").trim().slice(0, 600);
  step("flow", { heading, rows, links, summary });
  await shot(page, "flow");
  if (!/Gradient flow of detach_bug\.py/.test(heading)) throw new Error(`flow page heading: ${heading}`);
  // the fixture's model is detached before the loss: its weight and bias get no gradient
  const cut = rows.filter((r) => r.grad === "none" && /v-problem/.test(r.cls));
  if (cut.length !== 2) throw new Error(`expected 2 parameters without gradient: ${JSON.stringify(rows)}; the page: ${summary}`);
  if (!links.includes(String(BUG_LINE))) throw new Error(`no link to line ${BUG_LINE}: ${JSON.stringify(links)}`);
  // put the cursor elsewhere, then follow the link
  await page.locator(`.tab[aria-label*="${FILE}"]`).first().click();
  await page.keyboard.press("Control+Home");
  await waitFor(async () => /Ln 1, Col 1/.test(await cursorText(page)), "the cursor at line 1");
  await frame.locator(`a[data-line="${BUG_LINE}"]`).first().click();
  const where = await waitFor(async () => {
    const t = await cursorText(page);
    return new RegExp(`Ln ${BUG_LINE}, Col 1`).test(t) ? t : undefined;
  }, `the flow page's link to move the cursor to line ${BUG_LINE}`);
  step("flow-link", { cursor: where });
  await shot(page, "flow-link");
}

/** The status bar's cursor position ("Ln 6, Col 1"). */
async function cursorText(page) {
  return page.evaluate(() => {
    const el = document.querySelector("#status\\.editor\\.selection");
    return el ? (el.textContent || "").trim() : "";
  });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  if (CPU_THROTTLE > 1) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_THROTTLE });
    step("cpu-throttle", { rate: CPU_THROTTLE });
  }
  try {
    const what = WORKSPACE.endsWith(".code-workspace") ? "workspace" : "folder";
    await page.goto(`${URL}/?${what}=${encodeURIComponent(WORKSPACE)}`);
    await page.waitForSelector(".monaco-workbench .part.editor", { timeout: TIMEOUT });
    step("workbench");
    if (MODE === "trust") {
      await trustScenario(page);
      report.ok = true;
      return;
    }
    if (MODE === "notebook") {
      await notebookScenario(page);
      report.ok = true;
      return;
    }
    if (MODE === "folders") {
      await foldersScenario(page);
      report.ok = true;
      return;
    }
    if (MODE === "multiroot") {
      await multirootScenario(page);
      report.ok = true;
      return;
    }

    // open the fixture
    await openFile(page);

    // 1. the squiggle, on the right line and under the right text
    await page.waitForSelector(".monaco-editor .squiggly-error", { timeout: TIMEOUT });
    const sq = await squiggles(page);
    step("squiggle", { squiggles: sq });
    if (sq.length !== 1) throw new Error(`expected one error squiggle, got ${sq.length}`);
    const s = sq[0];
    if (s.line !== BUG_LINE) throw new Error(`squiggle on line ${s.line}, expected ${BUG_LINE}`);
    if (!s.lineText.includes("model(x).detach()")) throw new Error(`squiggle line reads ${JSON.stringify(s.lineText)}`);
    if (!s.target || Math.abs(s.left - s.target.left) > 3 || Math.abs(s.right - s.target.right) > 3) {
      throw new Error(`squiggle spans x=${s.left}..${s.right}, ${BUG_TEXT} is at ${JSON.stringify(s.target)}`);
    }
    await shot(page, "squiggle");
    const st = await waitStatus(page, /^gradls: 1 finding in detach_bug\.py$/, "the status bar item to count the finding");
    step("status", st);

    // 2. hover
    await page.mouse.move(s.x - 20, s.y + 40);
    await page.mouse.move(s.x, s.y, { steps: 5 });
    const hover = await page.waitForSelector(".monaco-hover-content:has-text('GRD101')", { timeout: TIMEOUT });
    const hoverText = (await hover.innerText()).trim();
    step("hover", { text: hoverText.slice(0, 400) });
    if (!/gets no gradient/.test(hoverText)) throw new Error(`the hover does not explain GRD101: ${hoverText}`);
    await shot(page, "hover");
    await page.mouse.move(5, 5);
    await page.keyboard.press("Escape");

    // 3. the Problems panel
    await page.keyboard.press("Control+Shift+M");
    const row = await page.waitForSelector(".markers-panel .monaco-list-row:has-text('GRD101')", { timeout: TIMEOUT });
    const rowText = (await row.innerText()).replace(/\s+/g, " ").trim();
    const label = (await row.getAttribute("aria-label")) || "";
    step("problems", { row: rowText, ariaLabel: label });
    if (!/gradls/.test(rowText + label)) throw new Error(`the Problems row does not name gradls: ${rowText}`);
    if (!/\b6\b/.test(rowText + label)) throw new Error(`the Problems row is not on line 6: ${rowText} / ${label}`);
    await shot(page, "problems");

    // 4. Ctrl+. on the squiggle offers the quick fix
    await page.keyboard.press("Control+1"); // focus the editor
    await quickInput(page, "Control+G", `:${BUG_LINE}:16`);
    // Enter goes to the quick input: it still has the focus and holds the position
    const goto = await quickInputState(page);
    if (!goto.focused || goto.value !== `:${BUG_LINE}:16`) throw new Error(`go to line: ${JSON.stringify(goto)}`);
    await page.keyboard.press("Enter");
    await waitFor(async () => !(await quickInputState(page)).shown, "go to line to close");
    await waitFor(async () => new RegExp(`Ln ${BUG_LINE}, Col 16`).test(await cursorText(page)), `the cursor at ${BUG_LINE}:16`);
    await page.waitForTimeout(300);
    await page.keyboard.press("Control+.");
    const item = page.locator(".action-widget .monaco-list-row", { hasText: FIX_TITLE }).first();
    await item.waitFor({ timeout: TIMEOUT });
    const titles = await page.locator(".action-widget .monaco-list-row").allInnerTexts();
    step("quickfix-menu", { titles: titles.map((t) => t.trim()) });
    await shot(page, "quickfix");

    // 5. apply it and save
    await item.click();
    await waitFor(async () => (await squiggles(page)).length === 0, "the squiggle to go away");
    step("fixed-in-editor");
    await page.keyboard.press("Control+S");
    const want = fs.readFileSync(EXPECTED, "utf8");
    const file = path.join(WORKSPACE, FILE);
    await waitFor(() => fs.readFileSync(file, "utf8") === want, "the fixed file on disk");
    step("saved", { line6: fs.readFileSync(file, "utf8").split("\n")[BUG_LINE - 1] });
    await page.waitForSelector(".tab.dirty", { state: "detached", timeout: TIMEOUT }).catch(() => {});
    // the squiggle stays away and the Problems panel empties
    await page.waitForTimeout(1500);
    const after = await squiggles(page);
    if (after.length !== 0) throw new Error(`squiggles after the fix: ${JSON.stringify(after)}`);
    const rows = await page.locator(".markers-panel .monaco-list-row:has-text('GRD101')").count();
    if (rows !== 0) throw new Error(`the Problems panel still lists GRD101 (${rows} rows)`);
    step("clean", { status: await waitStatus(page, /no findings/, "the status bar to show no findings") });
    await shot(page, "fixed");
    report.ok = true;
  } catch (err) {
    report.ok = false;
    report.error = String(err && err.stack || err);
    await shot(page, "failure").catch(() => {});
  } finally {
    report.consoleErrors = consoleErrors.slice(0, 20);
    report.seconds = (Date.now() - t0) / 1000;
    fs.writeFileSync(path.join(ARTIFACTS, "result.json"), JSON.stringify(report, null, 2));
    await browser.close();
  }
  if (!report.ok) {
    console.error(report.error);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
