import * as vscode from "vscode";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile, ChildProcess } from "child_process";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  StaticFeature,
} from "vscode-languageclient/node";
import { asList, defaultDeps, DiscoveryDeps, expand, findServer, isFailure, ServerCommand } from "./discovery";
import { changeKind, confirmArgs, ConfigLike, serverSettings, trustedView } from "./settings";
import { summarizeConfirm } from "./confirm";
import { flowArgs, flowTitle, revealLine } from "./flow";
import { ServerState, statusView } from "./status";

export const SERVER_CONFIRM_COMMAND = "gradls.confirm";
export const SERVER_FIX_ALL_COMMAND = "gradls.applyFixAll";

let client: LanguageClient | undefined;
let serverCommand: ServerCommand | undefined;
let output: vscode.LogOutputChannel | undefined;
let starting: Promise<void> | undefined;
let discoveryDeps: DiscoveryDeps = defaultDeps();
let extensionPath: string | undefined;
let statusItem: vscode.StatusBarItem | undefined;
let flowPanel: vscode.WebviewPanel | undefined;
let flowTarget: vscode.Uri | undefined;
const status: { server: ServerState; confirming: number; detail?: string } = { server: "starting", confirming: 0 };

/** Installs a wheel into an interpreter: `python -m pip install WHEEL`. Replaceable in tests. */
export type WheelInstaller = (python: string[], wheel: string) => Promise<{ ok: boolean; output: string }>;
let wheelInstaller: WheelInstaller = pipInstall;

export function setWheelInstaller(fn: WheelInstaller): void {
  wheelInstaller = fn;
}

/** Whether this workspace is trusted (VS Code's restricted mode when not). */
export function isTrusted(): boolean {
  return vscode.workspace.isTrusted !== false;
}

/** The gradls settings, with the command-starting ones limited to the user's own values
 * while the workspace is not trusted. */
function gradlsConfig(scope?: vscode.Uri): ConfigLike {
  return trustedView(vscode.workspace.getConfiguration("gradls", scope), isTrusted());
}

/** The gradls wheel shipped inside the .vsix (`bundled/gradls-*.whl`), if there is one. */
export function bundledWheel(): string | undefined {
  if (!extensionPath) {
    return undefined;
  }
  const dir = path.join(extensionPath, "bundled");
  try {
    const wheels = fs.readdirSync(dir).filter((f) => /^gradls-.*\.whl$/.test(f)).sort();
    return wheels.length > 0 ? path.join(dir, wheels[wheels.length - 1]) : undefined;
  } catch {
    return undefined;
  }
}

/** For tests: replace how executables and interpreters are probed. */
export function setDiscoveryDeps(deps: DiscoveryDeps): void {
  discoveryDeps = deps;
}

export function getClient(): LanguageClient | undefined {
  return client;
}

export function getServerCommand(): ServerCommand | undefined {
  return serverCommand;
}

function log(): vscode.LogOutputChannel {
  if (!output) {
    output = vscode.window.createOutputChannel("gradls", { log: true });
  }
  return output;
}

export function getStatusItem(): vscode.StatusBarItem | undefined {
  return statusItem;
}

/** Redraw the status bar item from the server state and the diagnostics VS Code holds. */
export function updateStatus(): void {
  if (!statusItem) {
    return;
  }
  const isGradls = (d: vscode.Diagnostic) => d.source === "gradls";
  let total = 0;
  for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
    total += diagnostics.filter(isGradls).length;
  }
  const doc = vscode.window.activeTextEditor?.document;
  const python = doc && doc.languageId === "python";
  const view = statusView({
    server: status.server,
    findings: python ? vscode.languages.getDiagnostics(doc.uri).filter(isGradls).length : undefined,
    total,
    fileName: python ? path.basename(doc.uri.fsPath || doc.uri.path) : undefined,
    confirming: status.confirming > 0,
    trusted: isTrusted(),
    detail: status.detail,
  });
  statusItem.text = view.text;
  statusItem.tooltip = view.tooltip;
  statusItem.accessibilityInformation = { label: view.label };
  statusItem.backgroundColor =
    view.severity === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  statusItem.show();
}

function setServerState(server: ServerState, detail?: string): void {
  status.server = server;
  status.detail = detail;
  updateStatus();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const channel = log();
  context.subscriptions.push(channel);
  extensionPath = context.extensionPath;

  statusItem = vscode.window.createStatusBarItem("gradls.status", vscode.StatusBarAlignment.Right, 100);
  statusItem.name = "gradls";
  statusItem.command = "gradls.showOutput";
  context.subscriptions.push(
    statusItem,
    vscode.languages.onDidChangeDiagnostics(() => updateStatus()),
    vscode.window.onDidChangeActiveTextEditor(() => updateStatus()),
  );
  updateStatus();

  context.subscriptions.push(
    vscode.commands.registerCommand("gradls.restart", () => restart()),
    vscode.commands.registerCommand("gradls.showOutput", () => channel.show()),
    vscode.commands.registerCommand("gradls.confirmFile", (uri?: vscode.Uri) => confirmFile(uri)),
    vscode.commands.registerCommand("gradls.fixAll", (uri?: vscode.Uri) => fixAll(uri)),
    vscode.commands.registerCommand("gradls.showFlow", (uri?: vscode.Uri) => showFlow(uri)),
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      // the workspace's gradls.path / gradls.interpreter / gradls.shadow.worker now count
      channel.info("the workspace is now trusted: restarting the server with the workspace's settings");
      await restart();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      const kind = changeKind((key) => event.affectsConfiguration(key));
      if (kind === "restart") {
        channel.info("gradls.path / gradls.interpreter changed: restarting the server");
        await restart();
      } else if (kind === "notify" && client && client.state === State.Running) {
        await client.sendNotification(DidChangeConfigurationNotification.type, {
          settings: currentServerSettings(),
        });
      }
    }),
  );

  await watchPythonInterpreter(context);
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

function currentServerSettings() {
  return serverSettings(gradlsConfig());
}

function firstWorkspaceFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}

/** The folder a file's code runs in: its own workspace folder in a multi-root workspace,
 * else the first one (the shadow pass runs the file as it would run from its project). */
function folderOf(file: string): string | undefined {
  const own = vscode.workspace.getWorkspaceFolder?.(vscode.Uri.file(file));
  return (own ?? firstWorkspaceFolder())?.uri.fsPath;
}

async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string[] | undefined> {
  const ext = vscode.extensions.getExtension("ms-python.python");
  if (!ext) {
    return undefined;
  }
  try {
    const api: any = ext.isActive ? ext.exports : await ext.activate();
    const environments = api?.environments;
    if (environments?.getActiveEnvironmentPath) {
      const active = environments.getActiveEnvironmentPath(resource);
      const resolved = active ? await environments.resolveEnvironment(active) : undefined;
      const exe = resolved?.executable?.uri?.fsPath ?? active?.path;
      if (exe) {
        return [exe];
      }
    }
    const details = api?.settings?.getExecutionDetails?.(resource);
    if (details?.execCommand?.length) {
      return details.execCommand as string[];
    }
  } catch (err) {
    log().warn(`could not ask the Python extension for its interpreter: ${err}`);
  }
  return undefined;
}

async function watchPythonInterpreter(context: vscode.ExtensionContext): Promise<void> {
  const ext = vscode.extensions.getExtension("ms-python.python");
  if (!ext) {
    return;
  }
  try {
    const api: any = ext.isActive ? ext.exports : await ext.activate();
    const onChange = api?.environments?.onDidChangeActiveEnvironmentPath;
    if (typeof onChange === "function") {
      context.subscriptions.push(
        onChange(async () => {
          const config = gradlsConfig();
          if ((config.get<string[]>("path") ?? []).length === 0 && (config.get<string[]>("interpreter") ?? []).length === 0) {
            log().info("the Python interpreter changed: restarting the server");
            await restart();
          }
        }),
      );
    }
  } catch {
    // the Python extension is optional
  }
}

async function discover(): Promise<ServerCommand | undefined> {
  const config = gradlsConfig();
  const folder = firstWorkspaceFolder();
  const trusted = isTrusted();
  // In restricted mode the Python extension's interpreter (often the workspace's own .venv)
  // is not run: only the user's settings and `gradls` on PATH.
  const fromPythonExtension = trusted ? await pythonExtensionInterpreter(folder?.uri) : undefined;
  const wheel = bundledWheel();
  const result = await findServer(
    {
      path: config.get<string[] | string>("path"),
      interpreter: config.get<string[] | string>("interpreter"),
      pythonExtensionInterpreter: fromPythonExtension,
      workspaceFolder: folder?.uri.fsPath,
      bundledWheel: wheel,
      trusted,
    },
    discoveryDeps,
  );
  if (isFailure(result)) {
    log().error(result.error);
    log().info(`tried: ${result.tried.join("; ")}`);
    const copy = "Copy Install Command";
    const settings = "Open Settings";
    // Offer to install the bundled wheel into the interpreter the user has selected (never
    // into one chosen by an untrusted workspace, and never when gradls.path is set).
    const configured = asList(config.get<string[] | string>("interpreter")).map((p) =>
      expand(p, discoveryDeps, folder?.uri.fsPath),
    );
    const target = configured.length > 0 ? configured : fromPythonExtension;
    const install = target && wheel && trusted && asList(config.get<string[] | string>("path")).length === 0
      ? `Install gradls into ${path.basename(target[0])}`
      : undefined;
    const items = install ? [install, copy, settings, "Show Output"] : [copy, settings, "Show Output"];
    void vscode.window.showErrorMessage(result.error, ...items).then(async (choice) => {
      if (install && choice === install && target && wheel) {
        await installBundled(target, wheel);
      } else if (choice === copy) {
        await vscode.env.clipboard.writeText(result.installCommand);
      } else if (choice === settings) {
        await vscode.commands.executeCommand("workbench.action.openSettings", "gradls.");
      } else if (choice === "Show Output") {
        log().show();
      }
    });
    return undefined;
  }
  log().info(`starting the server (${result.source}): ${[result.command, ...result.args].join(" ")}`);
  return result;
}

/** `python -m pip install <bundled wheel>` with a progress notification, then a restart. */
export async function installBundled(python: string[], wheel: string): Promise<boolean> {
  log().info(`installing ${wheel} into ${python.join(" ")}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `gradls: installing gradls into ${python.join(" ")}` },
    () => wheelInstaller(python, wheel),
  );
  log().info(result.output.trim());
  if (!result.ok) {
    void vscode.window.showErrorMessage(`gradls: pip could not install gradls into ${python.join(" ")}.`, "Show Output").then(
      (choice) => choice && log().show(),
    );
    return false;
  }
  void vscode.window.showInformationMessage("gradls: installed; starting the language server.");
  await restart();
  return true;
}

function pipInstall(python: string[], wheel: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      python[0],
      [...python.slice(1), "-m", "pip", "install", "--disable-pip-version-check", wheel],
      { timeout: 15 * 60 * 1000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ ok: !err, output: `${stdout}\n${stderr}${err ? `\n${err}` : ""}` }),
    );
  });
}

export async function start(): Promise<void> {
  if (starting) {
    return starting;
  }
  starting = (async () => {
    const config = gradlsConfig();
    setServerState("starting");
    const found = await discover();
    serverCommand = found;
    if (!found) {
      setServerState("notFound", "See gradls: Show Output for what was tried.");
      return;
    }
    const folder = firstWorkspaceFolder();
    const serverOptions: ServerOptions = {
      command: found.command,
      args: found.args,
      // no `transport`: TransportKind.stdio would append `--stdio`, which `gradls serve` rejects
      options: { cwd: folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { language: "python", scheme: "file" },
        { language: "python", scheme: "untitled" },
        // the Python cells of Jupyter notebooks (synced with the server's notebook sync;
        // without this the client neither pulls their diagnostics nor asks for code actions)
        { notebook: "jupyter-notebook", language: "python" },
      ],
      outputChannel: log(),
      traceOutputChannel: log(),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: { settings: serverSettings(config) },
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/pyproject.toml"),
      },
      middleware: {
        // Diagnostics are pushed (see pushDiagnosticsOnly): a pull would duplicate them.
        provideDiagnostics: () => ({ kind: "full", items: [] }) as any,
        // The shadow pass runs the file's code (and gradls.shadow.worker): never in
        // restricted mode, whoever asks (a code lens, another extension, the palette).
        executeCommand: async (command, args, next) => {
          if (command === SERVER_CONFIRM_COMMAND && !isTrusted()) {
            void showUntrustedConfirm();
            return undefined;
          }
          return next(command, args);
        },
        workspace: {
          // Answer a pull for the "gradls" section with the same filtered settings.
          configuration: async (params, token, next) => {
            const results = await next(params, token);
            if (!Array.isArray(results)) {
              return results;
            }
            return params.items.map((item, i) =>
              item.section === "gradls" ? currentServerSettings() : results[i],
            );
          },
        },
      },
    };
    const created = new LanguageClient("gradls", "gradls", serverOptions, clientOptions);
    created.registerFeature(pushDiagnosticsOnly);
    client = created;
    created.onDidChangeState((event) => {
      if (client !== created) {
        return;
      }
      setServerState(event.newState === State.Running ? "running" : event.newState === State.Starting ? "starting" : "stopped");
    });
    try {
      await created.start();
      log().info("the server is running");
      setServerState("running");
    } catch (err) {
      log().error(`the server failed to start: ${err}`);
      setServerState("stopped", `The server failed to start: ${err}`);
      void vscode.window.showErrorMessage(`gradls: the language server failed to start: ${err}`, "Show Output").then(
        (choice) => choice && log().show(),
      );
    }
  })();
  try {
    await starting;
  } finally {
    starting = undefined;
  }
}

/** Ask the server to push its diagnostics (textDocument/publishDiagnostics) rather than wait
 * for pulls: vscode-languageclient 9 pulls only for documents shown in text tabs, so the cells
 * of a notebook (and files no tab shows, whose findings a cross-module check refines) would
 * never get theirs. The server pushes when the client does not declare pull support. */
export const pushDiagnosticsOnly: StaticFeature = {
  fillClientCapabilities(capabilities) {
    if (capabilities.textDocument) {
      delete capabilities.textDocument.diagnostic;
    }
  },
  initialize() {},
  getState() {
    return { kind: "static" };
  },
  clear() {},
};

export async function stop(): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.stop(5000);
    } catch (err) {
      log().warn(`stopping the server: ${err}`);
    }
  }
}

export async function restart(): Promise<void> {
  await stop();
  await start();
}

function serverHasCommand(name: string): boolean {
  const commands = client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  return commands.includes(name);
}

async function showUntrustedConfirm(): Promise<void> {
  const manage = "Manage Workspace Trust";
  const choice = await vscode.window.showWarningMessage(
    "gradls: Confirm Gradients runs this file's code (and gradls.shadow.worker), so it is disabled " +
      "until you trust this folder.",
    manage,
  );
  if (choice === manage) {
    await vscode.commands.executeCommand("workbench.trust.manage");
  }
}

/** "Fix All Gradient Issues": the server's fix-all (`gradls.applyFixAll`, the same edits as
 * the `source.fixAll.gradls` code action) on the active file. */
export async function fixAll(uri?: vscode.Uri): Promise<unknown> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showWarningMessage("gradls: open a Python file to fix its gradient issues.");
    return undefined;
  }
  if (!client || client.state !== State.Running || !serverHasCommand(SERVER_FIX_ALL_COMMAND)) {
    void vscode.window.showWarningMessage("gradls: the language server is not running (see gradls: Show Output).");
    return undefined;
  }
  try {
    const result: any = await client.sendRequest(ExecuteCommandRequest.type, {
      command: SERVER_FIX_ALL_COMMAND,
      arguments: [target.toString()],
    });
    const name = path.basename(target.fsPath || target.path);
    if (result && result.applied) {
      void vscode.window.showInformationMessage(`gradls: applied the safe fixes to ${name} (${result.edits} edits).`);
    } else {
      void vscode.window.showInformationMessage(`gradls: ${name}: ${result?.reason ?? "no fixes were applied"}.`);
    }
    return result;
  } catch (err) {
    log().error(`fix all failed: ${err}`);
    void vscode.window.showErrorMessage(`gradls: fix all failed: ${errorText(err)}`);
    return undefined;
  }
}

export async function confirmFile(uri?: vscode.Uri): Promise<unknown> {
  if (!isTrusted()) {
    void showUntrustedConfirm();
    return undefined;
  }
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showWarningMessage("gradls: open a Python file to confirm its gradients.");
    return undefined;
  }
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `gradls: confirming gradients in ${vscode.workspace.asRelativePath(target)}`,
      cancellable: true,
    },
    async (_progress, token) => {
      status.confirming += 1;
      updateStatus();
      try {
        let result: unknown;
        // a file of another workspace folder whose settings find another gradls (another
        // interpreter) runs through that one, not through the server's warm worker
        const own = target.scheme === "file" ? await commandFor(target.fsPath) : serverCommand;
        if (own === serverCommand && client && client.state === State.Running && serverHasCommand(SERVER_CONFIRM_COMMAND)) {
          result = await client.sendRequest(
            ExecuteCommandRequest.type,
            { command: SERVER_CONFIRM_COMMAND, arguments: [target.toString()] },
            token,
          );
        } else {
          if (target.scheme !== "file") {
            throw new Error("the shadow pass needs a file on disk; save it first");
          }
          if (document?.isDirty) {
            await document.save();
          }
          result = await confirmWithCli(target.fsPath, token, own);
        }
        if (token.isCancellationRequested) {
          return undefined;
        }
        const summary = summarizeConfirm(result);
        log().info(`confirm ${target.fsPath}: ${JSON.stringify(result)}`);
        void vscode.window.showInformationMessage(`gradls: ${summary}`, "Show Output").then(
          (choice) => choice && log().show(),
        );
        return result;
      } catch (err) {
        if (token.isCancellationRequested) {
          return undefined;
        }
        log().error(`confirm failed: ${err}`);
        void vscode.window.showErrorMessage(`gradls: the shadow pass failed: ${errorText(err)}`, "Show Output").then(
          (choice) => choice && log().show(),
        );
        return undefined;
      } finally {
        status.confirming -= 1;
        updateStatus();
      }
    },
  );
}

/** "Show Gradient Flow": run the file once under the shadow pass (`gradls confirm FILE
 * --report HTML`, the same executable as the server) and show the page in a webview beside
 * the editor; its line links open the file at that line. */
export async function showFlow(uri?: vscode.Uri): Promise<vscode.WebviewPanel | undefined> {
  if (!isTrusted()) {
    void showUntrustedConfirm();
    return undefined;
  }
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target || target.scheme !== "file") {
    void vscode.window.showWarningMessage("gradls: open a saved Python file to see its gradient flow.");
    return undefined;
  }
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
  if (document?.isDirty) {
    await document.save();
  }
  const name = path.basename(target.fsPath);
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `gradls: running ${vscode.workspace.asRelativePath(target)} to draw its gradient flow`,
      cancellable: true,
    },
    async (_progress, token) => {
      status.confirming += 1;
      updateStatus();
      const report = path.join(os.tmpdir(), `gradls-flow-${process.pid}-${Date.now()}.html`);
      try {
        const result = await runConfirmCli(target.fsPath, (base, file, shadow) => flowArgs(base, file, report, shadow), token,
          await commandFor(target.fsPath));
        if (token.isCancellationRequested) {
          return undefined;
        }
        let html: string;
        try {
          html = fs.readFileSync(report, "utf8");
        } catch {
          throw new Error(`gradls confirm wrote no report: ${summarizeConfirm(result)}`);
        }
        log().info(`gradient flow of ${target.fsPath}: ${summarizeConfirm(result)}`);
        if (!flowPanel) {
          const panel = vscode.window.createWebviewPanel(
            "gradls.flow",
            flowTitle(name),
            { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
            { enableScripts: true, localResourceRoots: [], enableFindWidget: true },
          );
          panel.webview.onDidReceiveMessage(async (message: unknown) => {
            const line = revealLine(message);
            if (line !== undefined && flowTarget) {
              await revealLineInEditor(flowTarget, line);
            }
          });
          panel.onDidDispose(() => {
            if (flowPanel === panel) {
              flowPanel = undefined;
            }
          });
          flowPanel = panel;
        }
        flowTarget = target;
        flowPanel.title = flowTitle(name);
        flowPanel.webview.html = html;
        flowPanel.reveal(vscode.ViewColumn.Beside, true);
        return flowPanel;
      } catch (err) {
        if (token.isCancellationRequested) {
          return undefined;
        }
        log().error(`show gradient flow failed: ${err}`);
        void vscode.window.showErrorMessage(`gradls: could not draw the gradient flow: ${errorText(err)}`, "Show Output").then(
          (choice) => choice && log().show(),
        );
        return undefined;
      } finally {
        fs.rmSync(report, { force: true });
        status.confirming -= 1;
        updateStatus();
      }
    },
  );
}

/** Open `uri` in the first editor column with the cursor at the start of 1-based `line`. */
export async function revealLineInEditor(uri: vscode.Uri, line: number): Promise<void> {
  const document = await vscode.workspace.openTextDocument(uri);
  const position = new vscode.Position(Math.min(line, document.lineCount) - 1, 0);
  await vscode.window.showTextDocument(document, {
    viewColumn: vscode.ViewColumn.One,
    selection: new vscode.Range(position, position),
    preserveFocus: false,
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run `gradls confirm FILE --format json` with `found` (default: the server's executable). */
function confirmWithCli(file: string, token: vscode.CancellationToken, found?: ServerCommand): Promise<unknown> {
  return runConfirmCli(file, (base, f, shadow) => [...base, "confirm", f, "--format", "json", ...shadow], token, found);
}

/** The gradls that runs `file`'s code. In a multi-root workspace a file of a folder other
 * than the first gets the one that folder's own `gradls.path` / `gradls.interpreter` (or the
 * Python extension's interpreter for that folder) find, so that its code runs with its
 * project's interpreter; otherwise, or when that folder finds none, the server's. */
export async function commandFor(file: string): Promise<ServerCommand | undefined> {
  const own = vscode.workspace.getWorkspaceFolder?.(vscode.Uri.file(file));
  const first = firstWorkspaceFolder();
  if (!own || !first || own.uri.toString() === first.uri.toString()) {
    return serverCommand;
  }
  const config = gradlsConfig(own.uri);
  const trusted = isTrusted();
  const result = await findServer(
    {
      path: config.get<string[] | string>("path"),
      interpreter: config.get<string[] | string>("interpreter"),
      pythonExtensionInterpreter: trusted ? await pythonExtensionInterpreter(own.uri) : undefined,
      workspaceFolder: own.uri.fsPath,
      bundledWheel: bundledWheel(),
      trusted,
    },
    discoveryDeps,
  );
  if (isFailure(result)) {
    log().warn(`folder ${own.name}: ${result.error}; running its files with the server's gradls`);
    return serverCommand;
  }
  const same = serverCommand && result.command === serverCommand.command &&
    result.args.join("\0") === serverCommand.args.join("\0");
  return same ? serverCommand : result;
}

/** Run gradls (`found`, default the server's executable) with `makeArgs(the executable's own
 * arguments, file, the shadow settings' arguments)` and parse its JSON output. */
function runConfirmCli(
  file: string,
  makeArgs: (base: string[], file: string, shadowArgs: string[]) => string[],
  token: vscode.CancellationToken,
  command?: ServerCommand,
): Promise<unknown> {
  const found = command ?? serverCommand;
  if (!found) {
    return Promise.reject(new Error("the gradls server was not found (see gradls: Show Output)"));
  }
  const base = found.args[found.args.length - 1] === "serve" ? found.args.slice(0, -1) : found.args;
  const config = gradlsConfig(vscode.Uri.file(file));
  const args = makeArgs(base, file, confirmArgs(config));
  const timeoutS = Number(config.get<number>("shadow.timeout")) || 60;
  log().info(`running ${[found.command, ...args].join(" ")}`);
  return new Promise((resolve, reject) => {
    const child: ChildProcess = execFile(
      found.command,
      args,
      { cwd: folderOf(file), timeout: (timeoutS + 60) * 1000, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (stderr) {
          log().info(stderr.trim());
        }
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(err ?? new Error(`unexpected output from gradls confirm: ${stdout.slice(0, 200)}`));
        }
      },
    );
    token.onCancellationRequested(() => child.kill());
  });
}
