import * as vscode from "vscode";
import { execFile, ChildProcess } from "child_process";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from "vscode-languageclient/node";
import { defaultDeps, DiscoveryDeps, findServer, isFailure, ServerCommand } from "./discovery";
import { changeKind, confirmArgs, serverSettings } from "./settings";
import { summarizeConfirm } from "./confirm";

export const SERVER_CONFIRM_COMMAND = "gradls.confirm";

let client: LanguageClient | undefined;
let serverCommand: ServerCommand | undefined;
let output: vscode.LogOutputChannel | undefined;
let starting: Promise<void> | undefined;
let discoveryDeps: DiscoveryDeps = defaultDeps();

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

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const channel = log();
  context.subscriptions.push(channel);

  context.subscriptions.push(
    vscode.commands.registerCommand("gradls.restart", () => restart()),
    vscode.commands.registerCommand("gradls.showOutput", () => channel.show()),
    vscode.commands.registerCommand("gradls.confirmFile", (uri?: vscode.Uri) => confirmFile(uri)),
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
  return serverSettings(vscode.workspace.getConfiguration("gradls"));
}

function firstWorkspaceFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
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
          const config = vscode.workspace.getConfiguration("gradls");
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
  const config = vscode.workspace.getConfiguration("gradls");
  const folder = firstWorkspaceFolder();
  const result = await findServer(
    {
      path: config.get<string[] | string>("path"),
      interpreter: config.get<string[] | string>("interpreter"),
      pythonExtensionInterpreter: await pythonExtensionInterpreter(folder?.uri),
      workspaceFolder: folder?.uri.fsPath,
    },
    discoveryDeps,
  );
  if (isFailure(result)) {
    log().error(result.error);
    log().info(`tried: ${result.tried.join("; ")}`);
    const copy = "Copy Install Command";
    const settings = "Open Settings";
    void vscode.window.showErrorMessage(result.error, copy, settings, "Show Output").then(async (choice) => {
      if (choice === copy) {
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

export async function start(): Promise<void> {
  if (starting) {
    return starting;
  }
  starting = (async () => {
    const config = vscode.workspace.getConfiguration("gradls");
    const found = await discover();
    serverCommand = found;
    if (!found) {
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
      ],
      outputChannel: log(),
      traceOutputChannel: log(),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: { settings: serverSettings(config) },
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/pyproject.toml"),
      },
      middleware: {
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
    client = new LanguageClient("gradls", "gradls", serverOptions, clientOptions);
    try {
      await client.start();
      log().info("the server is running");
    } catch (err) {
      log().error(`the server failed to start: ${err}`);
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

export async function confirmFile(uri?: vscode.Uri): Promise<unknown> {
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
      try {
        let result: unknown;
        if (client && client.state === State.Running && serverHasCommand(SERVER_CONFIRM_COMMAND)) {
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
          result = await confirmWithCli(target.fsPath, token);
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
      }
    },
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run `gradls confirm FILE --format json` with the same executable the server uses. */
function confirmWithCli(file: string, token: vscode.CancellationToken): Promise<unknown> {
  const found = serverCommand;
  if (!found) {
    return Promise.reject(new Error("the gradls server was not found (see gradls: Show Output)"));
  }
  const base = found.args[found.args.length - 1] === "serve" ? found.args.slice(0, -1) : found.args;
  const config = vscode.workspace.getConfiguration("gradls", vscode.Uri.file(file));
  const args = [...base, "confirm", file, "--format", "json", ...confirmArgs(config)];
  const timeoutS = Number(config.get<number>("shadow.timeout")) || 60;
  log().info(`running ${[found.command, ...args].join(" ")}`);
  return new Promise((resolve, reject) => {
    const child: ChildProcess = execFile(
      found.command,
      args,
      { cwd: firstWorkspaceFolder()?.uri.fsPath, timeout: (timeoutS + 60) * 1000, maxBuffer: 32 * 1024 * 1024 },
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
