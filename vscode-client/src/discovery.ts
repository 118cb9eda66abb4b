// Finding the gradls language server, the way ruff's extension finds ruff:
//
//   1. `gradls.path`: the first listed executable that exists, started as `<path> serve`;
//   2. `gradls.interpreter`, else the Python extension's selected interpreter, when it can
//      import gradls: `<python> -m gradls serve`;
//   3. `gradls` on PATH: `gradls serve`;
//   4. otherwise an error that says how to install it: the gradls wheel bundled in the .vsix
//      (`bundled/gradls-*.whl`), installed into the interpreter with pip (gradls is not on
//      PyPI, so the install command never names a package index).
//
// Nothing here imports `vscode`: the editor-facing parts are passed in, so the logic is
// unit-tested under `node --test`.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from, for the log: "gradls.path", "gradls.interpreter", ... */
  source: string;
}

export interface DiscoveryFailure {
  error: string;
  /** The command the user should run to install gradls. */
  installCommand: string;
  /** What was tried, in order, for the log. */
  tried: string[];
}

export interface DiscoveryInput {
  /** `gradls.path` (a string is accepted as a one-element list). */
  path: string[] | string | undefined;
  /** `gradls.interpreter`. */
  interpreter: string[] | string | undefined;
  /** The Python extension's interpreter for this workspace, if any. */
  pythonExtensionInterpreter?: string[] | undefined;
  workspaceFolder?: string | undefined;
  /** The gradls wheel bundled with the extension, if any. */
  bundledWheel?: string | undefined;
  /** false in an untrusted workspace: the Python extension's interpreter (often the
   * workspace's own .venv) is not run. */
  trusted?: boolean;
}

export interface DiscoveryDeps {
  isExecutable(file: string): Promise<boolean>;
  /** Can `python` import gradls's language server? */
  canImportGradls(python: string[]): Promise<boolean>;
  /** PATH-like search; returns the full path or undefined. */
  which(name: string): Promise<string | undefined>;
  platform: NodeJS.Platform;
  homedir: string;
  env: NodeJS.ProcessEnv;
}

export function asList(value: string[] | string | undefined | null): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v) => typeof v === "string" && v.trim() !== "").map((v) => v.trim());
}

/** Expand `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}` in a setting. */
export function expand(value: string, deps: Pick<DiscoveryDeps, "homedir" | "env">, workspaceFolder?: string): string {
  let out = value;
  if (out === "~" || out.startsWith("~/") || out.startsWith("~\\")) {
    out = deps.homedir + out.slice(1);
  }
  out = out.replace(/\$\{userHome\}/g, deps.homedir);
  if (workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  out = out.replace(/\$\{env:([^}]+)\}/g, (_m, name: string) => deps.env[name] ?? "");
  return out;
}

/** Placeholder used when no wheel is bundled (a development build of the extension). */
export const CHECKOUT_PLACEHOLDER = "/path/to/gradls-checkout";

export function installCommandFor(interpreter: string[] | undefined, wheel?: string): string {
  const python = interpreter && interpreter.length > 0 ? interpreter.map(quoteIfNeeded).join(" ") : "python3";
  return `${python} -m pip install ${quoteIfNeeded(wheel ?? CHECKOUT_PLACEHOLDER)}`;
}

function quoteIfNeeded(part: string): string {
  return /[\s"']/.test(part) ? JSON.stringify(part) : part;
}

export async function findServer(
  input: DiscoveryInput,
  deps: DiscoveryDeps,
): Promise<ServerCommand | DiscoveryFailure> {
  const tried: string[] = [];
  const ws = input.workspaceFolder;

  // 1. gradls.path
  const paths = asList(input.path).map((p) => expand(p, deps, ws));
  for (const candidate of paths) {
    tried.push(`gradls.path: ${candidate}`);
    if (await deps.isExecutable(candidate)) {
      return { command: candidate, args: ["serve"], source: "gradls.path" };
    }
  }
  if (paths.length > 0) {
    return {
      error: `gradls: none of the executables in the setting gradls.path exists: ${paths.join(", ")}.`,
      installCommand: installCommandFor(undefined, input.bundledWheel),
      tried,
    };
  }

  // 2. gradls.interpreter, else the Python extension's interpreter
  const configured = asList(input.interpreter).map((p) => expand(p, deps, ws));
  const fromExtension = input.trusted === false ? [] : asList(input.pythonExtensionInterpreter);
  const interpreter = configured.length > 0 ? configured : fromExtension;
  const interpreterSource = configured.length > 0 ? "gradls.interpreter" : "Python extension interpreter";
  if (interpreter.length > 0) {
    tried.push(`${interpreterSource}: ${interpreter.join(" ")} -m gradls`);
    if (await deps.canImportGradls(interpreter)) {
      return {
        command: interpreter[0],
        args: [...interpreter.slice(1), "-m", "gradls", "serve"],
        source: interpreterSource,
      };
    }
    if (configured.length > 0) {
      return {
        error:
          `gradls: the interpreter in gradls.interpreter (${interpreter.join(" ")}) cannot import gradls. ` +
          `Install it with: ${installCommandFor(interpreter, input.bundledWheel)}`,
        installCommand: installCommandFor(interpreter, input.bundledWheel),
        tried,
      };
    }
  }

  // 3. gradls on PATH
  const exe = deps.platform === "win32" ? "gradls.exe" : "gradls";
  tried.push(`PATH: ${exe}`);
  const onPath = await deps.which(exe);
  if (onPath) {
    return { command: onPath, args: ["serve"], source: "PATH" };
  }

  // 4. nothing
  const install = installCommandFor(interpreter.length > 0 ? interpreter : undefined, input.bundledWheel);
  return {
    error:
      "gradls: could not find the gradls language server" +
      (interpreter.length > 0 ? ` (the interpreter ${interpreter.join(" ")} cannot import gradls` : " (no Python interpreter selected") +
      `, and there is no gradls on PATH). Install it with: ${install} ` +
      "or set gradls.path / gradls.interpreter.",
    installCommand: install,
    tried,
  };
}

export function isFailure(result: ServerCommand | DiscoveryFailure): result is DiscoveryFailure {
  return (result as DiscoveryFailure).error !== undefined;
}

// --- real implementations of the dependencies ------------------------------------------------

export function defaultDeps(): DiscoveryDeps {
  return {
    isExecutable,
    canImportGradls,
    which: (name) => which(name, process.env, process.platform),
    platform: process.platform,
    homedir: os.homedir(),
    env: process.env,
  };
}

export async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) {
      return false;
    }
    if (process.platform === "win32") {
      return true;
    }
    await fs.promises.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function which(
  name: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): Promise<string | undefined> {
  const dirs = (env.PATH ?? env.Path ?? "").split(platform === "win32" ? ";" : ":").filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

export const IMPORT_CHECK =
  "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('gradls.server') else 3)";

export function canImportGradls(python: string[], timeoutMs = 15000): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(python[0], [...python.slice(1), "-c", IMPORT_CHECK], { timeout: timeoutMs }, (err) => {
      resolve(!err);
    });
  });
}
