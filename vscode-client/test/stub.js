// A stubbed `vscode` module (and, optionally, `vscode-languageclient/node`) installed through
// Module._load, so the extension's code runs under plain `node --test`.
"use strict";
const Module = require("module");

function makeConfig(values, workspaceValues = {}) {
  // values: { "select": [...], "shadow.device": "cpu", ... } (explicit user values);
  // workspaceValues: the same from the workspace's .vscode/settings.json
  const defaults = {
    enable: true, select: [], ignore: [], severity: {}, path: [], interpreter: [],
    "shadow.device": "auto", "shadow.worker": "", "shadow.timeout": 60, "trace.server": "off",
  };
  return {
    get(key) { return key in workspaceValues ? workspaceValues[key] : key in values ? values[key] : defaults[key]; },
    inspect(key) {
      return { key: "gradls." + key, defaultValue: defaults[key], globalValue: values[key],
        workspaceValue: workspaceValues[key] };
    },
  };
}

function createVscode(state) {
  const listeners = { config: [], trust: [], diagnostics: [], editor: [], folders: [], openText: [], openNotebook: [] };
  const folderOf = (f, index) => ({ uri: vscode_uri(f), name: f.split("/").pop() || `ws${index}`, index });
  let folders = (state.folders || (state.folder ? [state.folder] : [])).map(folderOf);
  const vscode = {
    _state: state,
    _listeners: listeners,
    Uri: {
      file: (p) => ({ scheme: "file", fsPath: p, path: p, toString: () => "file://" + p }),
      parse: (s) => {
        const m = /^([a-z][\w+.-]*):(?:\/\/)?(.*)$/i.exec(s);
        if (!m) throw new Error("not a URI: " + s);
        return m[1] === "file" ? vscode_uri(decodeURIComponent(m[2]))
          : { scheme: m[1], fsPath: m[2], path: m[2], toString: () => s };
      },
    },
    ProgressLocation: { Notification: 15 },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    Position: class { constructor(line, character) { this.line = line; this.character = character; } },
    Range: class { constructor(start, end) { this.start = start; this.end = end; } },
    StatusBarAlignment: { Left: 1, Right: 2 },
    RelativePattern: class { constructor(base, pattern) { this.base = base; this.pattern = pattern; } },
    ThemeColor: class { constructor(id) { this.id = id; } },
    languages: {
      // state.diagnostics: { "file:///ws/a.py": [{ source: "gradls" }, ...] }
      getDiagnostics(uri) {
        const all = state.diagnostics || {};
        if (uri) return all[uri.toString()] || [];
        return Object.entries(all).map(([u, d]) => [vscode_uri(u.replace(/^file:\/\//, "")), d]);
      },
      onDidChangeDiagnostics(fn) { listeners.diagnostics.push(fn); return { dispose() {} }; },
    },
    window: {
      messages: [],
      createOutputChannel(name) {
        const lines = [];
        state.output = lines;
        const push = (lvl) => (msg) => lines.push(`[${lvl}] ${msg}`);
        return { name, lines, info: push("info"), warn: push("warn"), error: push("error"),
          trace: push("trace"), debug: push("debug"), appendLine: push("line"), append: push("raw"),
          show() { state.shown = true; }, dispose() {}, replace() {}, clear() {}, hide() {} };
      },
      showErrorMessage(msg, ...items) { vscode.window.messages.push({ kind: "error", msg, items }); return Promise.resolve(undefined); },
      showWarningMessage(msg, ...items) { vscode.window.messages.push({ kind: "warning", msg, items }); return Promise.resolve(undefined); },
      showInformationMessage(msg, ...items) { vscode.window.messages.push({ kind: "info", msg, items }); return Promise.resolve(undefined); },
      withProgress(_opts, task) {
        return task({ report() {} }, { isCancellationRequested: false, onCancellationRequested() { return { dispose() {} }; } });
      },
      activeTextEditor: undefined,
      statusItems: [],
      createStatusBarItem(id, alignment, priority) {
        const item = { id, alignment, priority, text: "", shown: false, show() { this.shown = true; },
          hide() { this.shown = false; }, dispose() {} };
        vscode.window.statusItems.push(item);
        return item;
      },
      onDidChangeActiveTextEditor(fn) { listeners.editor.push(fn); return { dispose() {} }; },
      // webviews: state.panels collects them; panel._post(msg) plays a message from the page
      createWebviewPanel(viewType, title, showOptions, options) {
        const handlers = { message: [], dispose: [] };
        const panel = {
          viewType, title, showOptions, options, revealed: [], disposed: false,
          webview: { html: "", onDidReceiveMessage(fn) { handlers.message.push(fn); return { dispose() {} }; } },
          reveal(column, preserveFocus) { panel.revealed.push({ column, preserveFocus }); },
          onDidDispose(fn) { handlers.dispose.push(fn); return { dispose() {} }; },
          dispose() { panel.disposed = true; for (const fn of handlers.dispose) fn(); },
          async _post(msg) { for (const fn of handlers.message) await fn(msg); },
        };
        (state.panels = state.panels || []).push(panel);
        return panel;
      },
      shownDocuments: [],
      async showTextDocument(document, options) {
        vscode.window.shownDocuments.push({ document, options });
        return { document };
      },
    },
    commands: {
      registered: {},
      // like VS Code: registering an id twice throws
      registerCommand(id, fn) {
        if (vscode.commands.registered[id]) throw new Error(`command '${id}' already exists`);
        vscode.commands.registered[id] = fn;
        return { dispose() { if (vscode.commands.registered[id] === fn) delete vscode.commands.registered[id]; } };
      },
      executed: [],
      // run a registered command as VS Code would (executeCommand only records)
      async executeCommandById(id, ...args) {
        const fn = vscode.commands.registered[id];
        if (!fn) throw new Error(`command '${id}' not found`);
        return fn(...args);
      },
      executeCommand(...args) { vscode.commands.executed.push(args); return Promise.resolve(); },
    },
    workspace: {
      get isTrusted() { return state.trusted !== false; },
      onDidGrantWorkspaceTrust(fn) { listeners.trust.push(fn); return { dispose() {} }; },
      get workspaceFolders() { return folders.length > 0 ? folders : undefined; },
      // like VS Code: the innermost folder that contains the resource
      getWorkspaceFolder(uri) {
        if (uri.scheme !== "file") return undefined;
        return folders.filter((f) => uri.fsPath === f.uri.fsPath || uri.fsPath.startsWith(f.uri.fsPath + "/"))
          .sort((a, b) => b.uri.fsPath.length - a.uri.fsPath.length)[0];
      },
      onDidChangeWorkspaceFolders(fn) { listeners.folders.push(fn); return { dispose() {} }; },
      onDidOpenTextDocument(fn) { listeners.openText.push(fn); return { dispose() {} }; },
      onDidOpenNotebookDocument(fn) { listeners.openNotebook.push(fn); return { dispose() {} }; },
      textDocuments: [],
      notebookDocuments: [],
      getConfiguration(section, scope) {
        if (section !== "gradls") throw new Error("unexpected section " + section);
        // state.folderConfig: { "/folder": { ...values } } for a scope inside that folder
        const folder = scope && scope.fsPath && Object.keys(state.folderConfig || {})
          .find((f) => scope.fsPath === f || scope.fsPath.startsWith(f + "/"));
        return makeConfig(state.config, { ...(state.workspaceConfig || {}), ...(folder ? state.folderConfig[folder] : {}) });
      },
      onDidChangeConfiguration(fn) { listeners.config.push(fn); return { dispose() {} }; },
      createFileSystemWatcher(glob) { return { glob, dispose() {} }; },
      asRelativePath(uri) { return String(uri.fsPath || uri); },
      async openTextDocument(uri) { return { uri, lineCount: state.lineCount || 100 }; },
    },
    extensions: { getExtension(id) { return state.extensions ? state.extensions[id] : undefined; } },
    env: { clipboard: { writeText(t) { state.clipboard = t; return Promise.resolve(); } } },
    async _grantTrust() {
      state.trusted = true;
      for (const fn of listeners.trust) await fn();
    },
    _fireDiagnostics() { for (const fn of listeners.diagnostics) fn({ uris: [] }); },
    // keys: the changed settings; inFolders (optional): the folders whose settings changed
    // (a check for another scope is then false, as VS Code answers for folder settings)
    async _fireConfigChange(keys, inFolders) {
      const event = {
        affectsConfiguration: (k, scope) => keys.some((key) => key === k || key.startsWith(k + ".")) &&
          (!inFolders || !scope || inFolders.some((f) => scope.fsPath === f || scope.fsPath.startsWith(f + "/"))),
      };
      for (const fn of listeners.config) await fn(event);
    },
    async _changeFolders({ added = [], removed = [] }) {
      const removedFolders = folders.filter((f) => removed.includes(f.uri.fsPath));
      folders = folders.filter((f) => !removed.includes(f.uri.fsPath));
      const addedFolders = added.map((p, i) => folderOf(p, folders.length + i));
      folders = [...folders, ...addedFolders];
      for (const fn of listeners.folders) await fn({ added: addedFolders, removed: removedFolders });
    },
    async _openTextDocument(document) {
      vscode.workspace.textDocuments.push(document);
      for (const fn of listeners.openText) await fn(document);
    },
  };
  return vscode;
}

function vscode_uri(p) {
  return { scheme: "file", fsPath: p, path: p, toString: () => "file://" + p };
}

function createLanguageClientStub(state, vscode) {
  state.clients = [];
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions });
      this.state = 1;
      this.notifications = [];
      this.requests = [];
      this.stopped = false;
      this.initializeResult = { capabilities: { executeCommandProvider: { commands: state.serverCommands || [] } } };
      this.stateListeners = [];
      state.clients.push(this);
    }
    onDidChangeState(fn) { this.stateListeners.push(fn); return { dispose() {} }; }
    // vscode-languageclient's ExecuteCommandFeature: at start it registers each command the
    // server offers with VS Code, and disposes them at stop
    getFeature(method) {
      if (method !== "workspace/executeCommand") return undefined;
      const client = this;
      this._executeFeature = this._executeFeature || {
        disposables: [],
        initialize(capabilities) {
          if (capabilities.executeCommandProvider) this.register({ registerOptions: capabilities.executeCommandProvider });
        },
        register(data) {
          for (const command of data.registerOptions.commands || []) {
            this.disposables.push(vscode.commands.registerCommand(command, (...args) =>
              client.sendRequest({ method: "workspace/executeCommand" }, { command, arguments: args })));
          }
        },
        clear() { for (const d of this.disposables.splice(0)) d.dispose(); },
      };
      return this._executeFeature;
    }
    registerFeature(feature) { (this.features = this.features || []).push(feature); }
    async start() {
      this.getFeature("workspace/executeCommand").initialize(this.initializeResult.capabilities);
      this.state = 2;
    }
    async stop() { this.state = 1; this.stopped = true; if (this._executeFeature) this._executeFeature.clear(); }
    async sendNotification(type, params) { this.notifications.push({ method: type.method, params }); }
    async sendRequest(type, params) { this.requests.push({ method: type.method, params }); return state.requestResult; }
  }
  return {
    LanguageClient,
    State: { Stopped: 1, Running: 2, Starting: 3 },
    TransportKind: { stdio: 0, ipc: 1, pipe: 2, socket: 3 },
    RevealOutputChannelOn: { Info: 1, Warn: 2, Error: 3, Never: 4 },
    DidChangeConfigurationNotification: { type: { method: "workspace/didChangeConfiguration" } },
    ExecuteCommandRequest: { method: "workspace/executeCommand", type: { method: "workspace/executeCommand" } },
  };
}

/** Install the stubs and load a fresh copy of the module at `path`. */
function load(path, state) {
  const vscode = createVscode(state);
  const lc = createLanguageClientStub(state, vscode);
  const original = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request === "vscode") return vscode;
    if (request === "vscode-languageclient/node") return lc;
    return original.call(this, request, parent, isMain);
  };
  try {
    for (const key of Object.keys(require.cache)) {
      if (key.includes("/out/lib/")) delete require.cache[key];
    }
    return { mod: require(path), vscode, lc };
  } finally {
    Module._load = original;
  }
}

module.exports = { load, makeConfig };
