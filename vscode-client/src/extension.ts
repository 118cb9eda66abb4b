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
export const SERVER_RULE_DOCS_COMMAND = "gradls.showRuleDocs";
/** The server's commands, registered once by the extension and sent to the server that owns
 * the document they name (each client registering them would fail from the second server on:
 * "command 'gradls.applyFixAll' already exists"). */
export const SERVER_COMMANDS = [SERVER_FIX_ALL_COMMAND, SERVER_CONFIRM_COMMAND, SERVER_RULE_DOCS_COMMAND];

/** One language server per workspace folder (its own interpreter, gradls.path, cwd and
 * settings, documents under that folder only), plus a default one, started when needed, for
 * untitled documents and files outside every folder (the layout of VS Code's
 * lsp-multi-server-sample: a client per folder, its documentSelector `<folder>/**`). */
export interface FolderServer {
  /** The folder's URI string; DEFAULT_KEY for the default server. */
  key: string;
  folder?: vscode.WorkspaceFolder;
  client?: LanguageClient;
  command?: ServerCommand;
  state: ServerState;
  detail?: string;
  starting?: Promise<void>;
  /** The discovery inputs the running server was started with (a change restarts it). */
  startedWith?: string;
  /** The settings last sent to the server (a change is sent as didChangeConfiguration). */
  sentSettings?: string;
}
export const DEFAULT_KEY = "";
const servers = new Map<string, FolderServer>();
let output: vscode.LogOutputChannel | undefined;
let discoveryDeps: DiscoveryDeps = defaultDeps();
let extensionPath: string | undefined;
let statusItem: vscode.StatusBarItem | undefined;
let flowPanel: vscode.WebviewPanel | undefined;
let flowTarget: vscode.Uri | undefined;
const status: { confirming: number } = { confirming: 0 };

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

/** The key of the server that owns `uri`: its workspace folder's (the innermost, for nested
 * folders), else the default server's. A notebook cell belongs with its notebook's file. */
export function ownerKey(uri: vscode.Uri): string {
  let target = uri;
  if (uri.scheme === "vscode-notebook-cell") {
    target = vscode.Uri.file(uri.fsPath || uri.path);
  }
  if (target.scheme !== "file") {
    return DEFAULT_KEY;
  }
  const folder = vscode.workspace.getWorkspaceFolder?.(target);
  return folder && folder.uri.scheme === "file" ? folder.uri.toString() : DEFAULT_KEY;
}

/** The server of `uri`'s folder (or the default server); without `uri`, that of the active
 * editor's document, else of the first folder, else the default one. */
export function serverFor(uri?: vscode.Uri): FolderServer | undefined {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (target) {
    return servers.get(ownerKey(target));
  }
  return firstServer();
}

function firstServer(): FolderServer | undefined {
  const first = vscode.workspace.workspaceFolders?.[0];
  return (first && servers.get(first.uri.toString())) ?? servers.get(DEFAULT_KEY);
}

export function getServers(): FolderServer[] {
  return [...servers.values()];
}

export function getClient(uri?: vscode.Uri): LanguageClient | undefined {
  return serverFor(uri)?.client;
}

export function getServerCommand(uri?: vscode.Uri): ServerCommand | undefined {
  return serverFor(uri)?.command;
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
  // the server of the active Python document's folder (the default server's for a file
  // outside them); with no Python document active, the first folder's
  const server = python ? serverFor(doc.uri) : firstServer();
  const view = statusView({
    server: server?.state ?? "starting",
    findings: python ? vscode.languages.getDiagnostics(doc.uri).filter(isGradls).length : undefined,
    total,
    fileName: python ? path.basename(doc.uri.fsPath || doc.uri.path) : undefined,
    confirming: status.confirming > 0,
    trusted: isTrusted(),
    detail: server?.detail,
  });
  statusItem.text = view.text;
  statusItem.tooltip = view.tooltip;
  statusItem.accessibilityInformation = { label: view.label };
  statusItem.backgroundColor =
    view.severity === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  statusItem.show();
}

function setServerState(server: FolderServer, state: ServerState, detail?: string): void {
  server.state = state;
  server.detail = detail;
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
    ...SERVER_COMMANDS.map((command) =>
      vscode.commands.registerCommand(command, (...args: unknown[]) => executeServerCommand(command, args)),
    ),
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      // the workspace's gradls.path / gradls.interpreter / gradls.shadow.worker now count
      channel.info("the workspace is now trusted: restarting the servers with the workspace's settings");
      await restart();
    }),
    vscode.workspace.onDidChangeConfiguration((event) => onConfigurationChange(event)),
    vscode.workspace.onDidChangeWorkspaceFolders((event) => onFoldersChange(event)),
    vscode.workspace.onDidOpenTextDocument((document) => {
      // returned (not awaited by VS Code) so that tests can wait for it
      return document.languageId === "python" && ownerKey(document.uri) === DEFAULT_KEY ? ensureDefaultServer() : undefined;
    }),
  );
  if (vscode.workspace.onDidOpenNotebookDocument) {
    context.subscriptions.push(
      vscode.workspace.onDidOpenNotebookDocument((notebook) => {
        return notebook.notebookType === "jupyter-notebook" && ownerKey(notebook.uri) === DEFAULT_KEY
          ? ensureDefaultServer()
          : undefined;
      }),
    );
  }

  await watchPythonInterpreter(context);
  await startAll();
}

export async function deactivate(): Promise<void> {
  await Promise.all([...servers.values()].map((server) => stop(server)));
  servers.clear();
}

/** The workspace folders that get a server of their own (those on disk). */
function serverFolders(): readonly vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file");
}

/** Whether a document outside every folder (an untitled one included) is open. */
function needsDefaultServer(): boolean {
  if (serverFolders().length === 0) {
    return true;
  }
  const outside = (uri: vscode.Uri) => ownerKey(uri) === DEFAULT_KEY;
  return (
    (vscode.workspace.textDocuments ?? []).some((d) => d.languageId === "python" && outside(d.uri)) ||
    (vscode.workspace.notebookDocuments ?? []).some((n) => n.notebookType === "jupyter-notebook" && outside(n.uri))
  );
}

/** One server per folder, and the default one when a document outside them is open. */
async function startAll(): Promise<void> {
  for (const folder of serverFolders()) {
    serverOf(folder);
  }
  if (needsDefaultServer()) {
    serverOf(undefined);
  }
  await Promise.all([...servers.values()].map((server) => start(server)));
}

function serverOf(folder: vscode.WorkspaceFolder | undefined): FolderServer {
  const key = folder ? folder.uri.toString() : DEFAULT_KEY;
  let server = servers.get(key);
  if (!server) {
    server = { key, folder, state: "starting" };
    servers.set(key, server);
  }
  return server;
}

async function ensureDefaultServer(): Promise<void> {
  const server = servers.get(DEFAULT_KEY);
  if (!server) {
    log().info("a Python document outside the workspace folders is open: starting the default server");
    await start(serverOf(undefined));
  }
}

async function onFoldersChange(event: vscode.WorkspaceFoldersChangeEvent): Promise<void> {
  // listen at once: the added folders' settings may arrive while a removed one's server stops
  const settingsLoaded = new Map(
    event.added.filter((f) => f.uri.scheme === "file").map((f) => [f.uri.toString(), folderSettingsLoaded(f)]),
  );
  for (const folder of event.removed) {
    const server = servers.get(folder.uri.toString());
    if (server) {
      log().info(`folder ${folder.name} was removed from the workspace: stopping its server`);
      servers.delete(server.key);
      await stop(server);
    }
  }
  // the documents a folder took over from (or gave back to) the default server or an
  // enclosing folder's server: restart those so that no server keeps a document it no
  // longer owns (the others are left alone)
  // (only when a document under the added or removed folder is open: the others never
  // changed hands)
  const changed = [...event.added, ...event.removed]
    .filter((f) => f.uri.scheme === "file")
    .map((f) => f.uri.fsPath)
    .filter((p) => openDocumentPaths().some((doc) => doc === p || isInside(doc, p)));
  const affected = [...servers.values()].filter((server) =>
    server.key === DEFAULT_KEY
      ? changed.length > 0 && server.client !== undefined
      : changed.some((p) => isInside(p, server.folder!.uri.fsPath)),
  );
  const added = event.added.filter((f) => f.uri.scheme === "file" && !servers.has(f.uri.toString()));
  for (const folder of added) {
    log().info(`folder ${folder.name} was added to the workspace: starting its server`);
  }
  await Promise.all([
    ...added.map(async (folder) => {
      // registered now (the status bar shows it starting), started with the folder's own
      // settings once they are loaded, unless a settings change or a restart started it
      const server = serverOf(folder);
      await settingsLoaded.get(folder.uri.toString());
      if (servers.get(server.key) === server && server.startedWith === undefined) {
        await start(server);
      }
    }),
    ...affected.map((server) => restartServer(server)),
  ]);
  if (!servers.has(DEFAULT_KEY) && needsDefaultServer()) {
    await ensureDefaultServer();
  }
  updateStatus();
}

/** How long a folder just added waits for its settings before its server starts anyway. */
let folderSettingsWaitMs = 1500;

export function setFolderSettingsWait(ms: number): void {
  folderSettingsWaitMs = ms;
}

/** Resolves when VS Code reports a change of `folder`'s gradls settings, or after
 * folderSettingsWaitMs (a folder without gradls settings of its own gets no such event). VS Code
 * loads the settings of a folder just added (its .vscode/settings.json) after it reports the
 * folder: a server started at once would get the workspace's or the user's gradls.path /
 * gradls.interpreter, show a "not found" error where only the folder's own settings find
 * gradls, and be restarted a moment later. */
function folderSettingsLoaded(folder: vscode.WorkspaceFolder): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let listener: vscode.Disposable | undefined;
    const done = () => {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      listener?.dispose();
      resolve();
    };
    timer = setTimeout(done, folderSettingsWaitMs);
    listener = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("gradls", folder.uri)) {
        done();
      }
    });
  });
}

/** The paths of the open Python files and Jupyter notebooks. */
function openDocumentPaths(): string[] {
  return [
    ...(vscode.workspace.textDocuments ?? []).filter((d) => d.languageId === "python" && d.uri.scheme === "file"),
    ...(vscode.workspace.notebookDocuments ?? []).filter((n) => n.notebookType === "jupyter-notebook" && n.uri.scheme === "file"),
  ].map((d) => d.uri.fsPath);
}

/** Whether `child` is `parent` or lies under it (strictly: a different folder inside it). */
function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

/** What choosing and starting a server depends on, besides the Python extension. */
function startInputs(server: FolderServer): string {
  const config = gradlsConfig(server.folder?.uri);
  return JSON.stringify([config.get("path"), config.get("interpreter"), config.get("trace.server"), isTrusted()]);
}

/** A settings change restarts (gradls.path, gradls.interpreter) or updates (the server's
 * settings) only the servers of the folders whose effective settings it changed. */
async function onConfigurationChange(event: vscode.ConfigurationChangeEvent): Promise<void> {
  await Promise.all(
    [...servers.values()].map(async (server) => {
      const scope = server.folder?.uri;
      const kind = changeKind((key) => event.affectsConfiguration(key, scope));
      if (kind === "restart" && startInputs(server) !== server.startedWith) {
        log().info(
          server.startedWith === undefined
            ? `the settings of ${serverName(server)} are loaded: starting its server`
            : `gradls.path / gradls.interpreter changed for ${serverName(server)}: restarting its server`,
        );
        await restartServer(server);
      } else if (kind !== "none" && server.client && server.client.state === State.Running) {
        const settings = currentServerSettings(scope);
        if (JSON.stringify(settings) !== server.sentSettings) {
          server.sentSettings = JSON.stringify(settings);
          await server.client.sendNotification(DidChangeConfigurationNotification.type, { settings });
        }
      }
    }),
  );
}

function serverName(server: FolderServer): string {
  return server.folder ? `folder ${server.folder.name}` : "files outside the workspace folders";
}

function currentServerSettings(scope?: vscode.Uri) {
  return serverSettings(gradlsConfig(scope));
}

/** The folder a file's code runs in: its own workspace folder, else the file's directory. */
function folderOf(file: string): string | undefined {
  const own = vscode.workspace.getWorkspaceFolder?.(vscode.Uri.file(file));
  return own ? own.uri.fsPath : path.dirname(file);
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
        onChange(async (event: any) => {
          // event.resource: the workspace folder (or a file) whose interpreter changed;
          // none: the global one (the default server's, and every folder's that follows it)
          const resource: vscode.Uri | undefined = event?.resource?.uri ?? event?.resource;
          const key = resource ? ownerKey(resource) : undefined;
          const affected = [...servers.values()].filter((server) => key === undefined || server.key === key);
          await Promise.all(
            affected.map(async (server) => {
              const config = gradlsConfig(server.folder?.uri);
              if (asList(config.get<string[]>("path")).length === 0 && asList(config.get<string[]>("interpreter")).length === 0) {
                log().info(`the Python interpreter changed for ${serverName(server)}: restarting its server`);
                await restartServer(server);
              }
            }),
          );
        }),
      );
    }
  } catch {
    // the Python extension is optional
  }
}

async function discover(server: FolderServer): Promise<ServerCommand | undefined> {
  const config = gradlsConfig(server.folder?.uri);
  const folder = server.folder;
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
    const multi = (vscode.workspace.workspaceFolders ?? []).length > 1 || server.key === DEFAULT_KEY;
    const where = multi ? ` (${serverName(server)})` : "";
    log().error(`${result.error}${where}`);
    log().info(`tried${where}: ${result.tried.join("; ")}`);
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
    void vscode.window.showErrorMessage(`${result.error}${where}`, ...items).then(async (choice) => {
      if (install && choice === install && target && wheel) {
        await installBundled(target, wheel, server);
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
  log().info(`starting the server for ${serverName(server)} (${result.source}): ${[result.command, ...result.args].join(" ")}`);
  return result;
}

/** `python -m pip install <bundled wheel>` with a progress notification, then a restart. */
export async function installBundled(python: string[], wheel: string, server?: FolderServer): Promise<boolean> {
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
  if (server) {
    await restartServer(server);
  } else {
    await restart();
  }
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

/** The documents a server is given: Python files and notebook cells under its folder
 * (`<folder>/**`); the default server's: untitled documents and any Python file, of which
 * the ownership guard below keeps only those outside every folder. */
export function documentSelectorFor(folder: vscode.WorkspaceFolder | undefined): LanguageClientOptions["documentSelector"] {
  if (!folder) {
    return [
      { language: "python", scheme: "file" },
      { language: "python", scheme: "untitled" },
      { notebook: "jupyter-notebook", language: "python" },
    ];
  }
  const pattern = folderGlob(folder.uri.fsPath);
  return [
    { language: "python", scheme: "file", pattern },
    // the Python cells of Jupyter notebooks under the folder (synced with the server's
    // notebook sync; without this the client neither pulls their diagnostics nor asks for
    // code actions)
    { notebook: { notebookType: "jupyter-notebook", pattern }, language: "python" },
  ];
}

/** Everything under the folder at `fsPath` as a glob. A character globs read as syntax
 * (`[` `]` `{` `}` `*` `?` `!`, in a folder named `runs [old]`, say) is matched by `?`: a
 * `[`-class cannot hold `]` in VS Code's globs, and a folder whose name differs there only
 * matches too, which the ownership guard below sorts out. */
export function folderGlob(fsPath: string): string {
  return `${fsPath.replace(/\\/g, "/").replace(/\/$/, "").replace(/[[\]{}*?!]/g, "?")}/**`;
}

/** Middleware that gives a server only the documents it owns (ownerKey): a nested folder's
 * files go to the nested folder's server, not also to the enclosing one's, and the default
 * server, whose selector takes every Python file, keeps only those outside every folder.
 * Notebook sync follows the server's own notebook selector, so it is filtered here too. */
function ownershipGuard(key: string) {
  const owns = (uri: vscode.Uri) => ownerKey(uri) === key;
  return {
    didOpen: (document: vscode.TextDocument, next: (d: vscode.TextDocument) => Promise<void>) =>
      owns(document.uri) ? next(document) : Promise.resolve(),
    didChange: (event: vscode.TextDocumentChangeEvent, next: (e: vscode.TextDocumentChangeEvent) => Promise<void>) =>
      owns(event.document.uri) ? next(event) : Promise.resolve(),
    didSave: (document: vscode.TextDocument, next: (d: vscode.TextDocument) => Promise<void>) =>
      owns(document.uri) ? next(document) : Promise.resolve(),
    didClose: (document: vscode.TextDocument, next: (d: vscode.TextDocument) => Promise<void>) =>
      owns(document.uri) ? next(document) : Promise.resolve(),
    provideHover: (document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken, next: any) =>
      owns(document.uri) ? next(document, position, token) : undefined,
    provideCodeActions: (document: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext,
      token: vscode.CancellationToken, next: any) =>
      owns(document.uri) ? next(document, range, context, token) : undefined,
    notebooks: {
      didOpen: (notebook: vscode.NotebookDocument, cells: vscode.NotebookCell[], next: any) =>
        owns(notebook.uri) ? next(notebook, cells) : Promise.resolve(),
      didSave: (notebook: vscode.NotebookDocument, next: any) => (owns(notebook.uri) ? next(notebook) : Promise.resolve()),
      didChange: (event: any, next: any) => (owns(event.notebook.uri) ? next(event) : Promise.resolve()),
      didClose: (notebook: vscode.NotebookDocument, cells: vscode.NotebookCell[], next: any) =>
        owns(notebook.uri) ? next(notebook, cells) : Promise.resolve(),
    },
  };
}

/** Start `server` (a folder's, or the default one) with its folder's settings: the gradls its
 * gradls.path / gradls.interpreter / Python extension interpreter find, run in the folder. */
export async function start(server: FolderServer): Promise<void> {
  if (server.starting) {
    return server.starting;
  }
  server.starting = (async () => {
    const scope = server.folder?.uri;
    const config = gradlsConfig(scope);
    setServerState(server, "starting");
    server.startedWith = startInputs(server);
    const found = await discover(server);
    server.command = found;
    if (servers.get(server.key) !== server) {
      return; // the folder was removed meanwhile
    }
    if (!found) {
      setServerState(server, "notFound", "See gradls: Show Output for what was tried.");
      return;
    }
    const serverOptions: ServerOptions = {
      command: found.command,
      args: found.args,
      // no `transport`: TransportKind.stdio would append `--stdio`, which `gradls serve` rejects
      options: { cwd: server.folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const settings = serverSettings(config);
    server.sentSettings = JSON.stringify(settings);
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelectorFor(server.folder),
      workspaceFolder: server.folder,
      outputChannel: log(),
      traceOutputChannel: log(),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: { settings },
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher(
          server.folder ? new vscode.RelativePattern(server.folder, "**/pyproject.toml") : "**/pyproject.toml",
        ),
      },
      middleware: {
        ...ownershipGuard(server.key),
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
              item.section === "gradls" ? currentServerSettings(scope) : results[i],
            );
          },
        },
      },
    };
    const name = server.folder ? `gradls (${server.folder.name})` : "gradls";
    const created = new LanguageClient("gradls", name, serverOptions, clientOptions);
    created.registerFeature(pushDiagnosticsOnly);
    skipCommandRegistration(created);
    server.client = created;
    created.onDidChangeState((event) => {
      if (server.client !== created) {
        return;
      }
      setServerState(server, event.newState === State.Running ? "running" : event.newState === State.Starting ? "starting" : "stopped");
    });
    try {
      await created.start();
      log().info(`the server for ${serverName(server)} is running`);
      setServerState(server, "running");
    } catch (err) {
      log().error(`the server for ${serverName(server)} failed to start: ${err}`);
      setServerState(server, "stopped", `The server failed to start: ${err}`);
      void vscode.window.showErrorMessage(`gradls: the language server failed to start: ${err}`, "Show Output").then(
        (choice) => choice && log().show(),
      );
    }
  })();
  try {
    await server.starting;
  } finally {
    server.starting = undefined;
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

export async function stop(server: FolderServer): Promise<void> {
  if (server.starting) {
    await server.starting.catch(() => undefined);
  }
  const old = server.client;
  server.client = undefined;
  if (old) {
    try {
      await old.stop(5000);
    } catch (err) {
      log().warn(`stopping the server for ${serverName(server)}: ${err}`);
    }
  }
}

/** Restart one folder's server (the others keep running). */
export async function restartServer(server: FolderServer): Promise<void> {
  await stop(server);
  if (servers.get(server.key) === server) {
    await start(server);
  }
}

/** Restart every server ("gradls: Restart Server", workspace trust granted). */
export async function restart(): Promise<void> {
  await Promise.all([...servers.values()].map((server) => stop(server)));
  await startAll();
}

/** The document a server command's first argument names (a URI string, a Uri, or an object
 * with a `uri`), if any. */
function uriArgument(arg: unknown): vscode.Uri | undefined {
  const value = arg && typeof arg === "object" && !(arg as any).scheme && "uri" in (arg as any) ? (arg as any).uri : arg;
  if (typeof value === "string") {
    try {
      return vscode.Uri.parse(value);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === "object" && typeof (value as any).scheme === "string" ? (value as vscode.Uri) : undefined;
}

/** `gradls.applyFixAll`, `gradls.confirm`, `gradls.showRuleDocs` run by anyone (a key
 * binding, another extension): sent to the server of the document they name, else of the
 * active document's folder. The shadow pass is refused in restricted mode. */
export async function executeServerCommand(command: string, args: unknown[]): Promise<unknown> {
  if (command === SERVER_CONFIRM_COMMAND && !isTrusted()) {
    void showUntrustedConfirm();
    return undefined;
  }
  const server = serverFor(uriArgument(args[0]));
  const client = server?.client;
  if (!client || client.state !== State.Running || !serverHasCommand(server, command)) {
    throw new Error(`gradls: no running language server offers ${command} for this document`);
  }
  const params = { command, arguments: args.map((a) => (a && typeof a === "object" && typeof (a as any).scheme === "string" ? String(a) : a)) };
  return client.sendRequest(ExecuteCommandRequest.type, params);
}

/** Keep a client from registering the server's commands with VS Code (the extension has
 * registered them once, see SERVER_COMMANDS). */
function skipCommandRegistration(client: LanguageClient): void {
  const feature: any = (client as any).getFeature?.(ExecuteCommandRequest.method);
  if (feature) {
    feature.register = () => undefined;
  }
}

function serverHasCommand(server: FolderServer | undefined, name: string): boolean {
  const commands = server?.client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
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
  // the server of the file's own folder (the default server's for a file outside them)
  const server = serverFor(target);
  const client = server?.client;
  if (!client || client.state !== State.Running || !serverHasCommand(server, SERVER_FIX_ALL_COMMAND)) {
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
        // the server of the file's own folder: started with that folder's interpreter, in it
        const server = serverFor(target);
        const client = server?.client;
        if (client && client.state === State.Running && serverHasCommand(server, SERVER_CONFIRM_COMMAND)) {
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
          result = await confirmWithCli(target.fsPath, token, await commandFor(target.fsPath));
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

/** The gradls that runs `file`'s code: the one its folder's server was started with (that
 * folder's gradls.path / gradls.interpreter / Python extension interpreter), or the default
 * server's for a file outside every folder. */
export async function commandFor(file: string): Promise<ServerCommand | undefined> {
  const uri = vscode.Uri.file(file);
  if (!servers.has(ownerKey(uri)) && ownerKey(uri) === DEFAULT_KEY) {
    await ensureDefaultServer();
  }
  const server = serverFor(uri);
  if (server?.starting) {
    await server.starting;
  }
  return server?.command;
}

/** Run gradls (`found`, default the server's executable) with `makeArgs(the executable's own
 * arguments, file, the shadow settings' arguments)` and parse its JSON output. */
function runConfirmCli(
  file: string,
  makeArgs: (base: string[], file: string, shadowArgs: string[]) => string[],
  token: vscode.CancellationToken,
  command?: ServerCommand,
): Promise<unknown> {
  const found = command;
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
