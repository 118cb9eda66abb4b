// The settings sent to the server (initializationOptions and
// workspace/didChangeConfiguration). The server gives explicit editor settings precedence
// over `[tool.gradls]` in pyproject.toml key by key, so only the keys the user actually set
// are sent: a default value from package.json must not override the project's file.

/** The part of `vscode.WorkspaceConfiguration` used here. */
export interface ConfigLike {
  get<T>(section: string): T | undefined;
  inspect<T>(section: string):
    | {
        key: string;
        defaultValue?: T;
        globalValue?: T;
        workspaceValue?: T;
        workspaceFolderValue?: T;
        globalLanguageValue?: T;
        workspaceLanguageValue?: T;
        workspaceFolderLanguageValue?: T;
      }
    | undefined;
}

export interface ServerSettings {
  enable?: boolean;
  select?: string[];
  ignore?: string[];
  severity?: Record<string, string>;
  shadow?: { device?: string; worker?: string; timeout?: number };
}

/** Settings that only the client uses: changing them restarts the server. */
export const RESTART_KEYS = ["gradls.path", "gradls.interpreter", "gradls.trace.server"];
/** Settings sent to the server: changing them sends workspace/didChangeConfiguration. */
export const SERVER_KEYS = [
  "gradls.enable",
  "gradls.select",
  "gradls.ignore",
  "gradls.severity",
  "gradls.shadow",
];

export function isExplicit(config: ConfigLike, key: string): boolean {
  const info = config.inspect(key);
  if (!info) {
    return false;
  }
  return (
    info.globalValue !== undefined ||
    info.workspaceValue !== undefined ||
    info.workspaceFolderValue !== undefined ||
    info.globalLanguageValue !== undefined ||
    info.workspaceLanguageValue !== undefined ||
    info.workspaceFolderLanguageValue !== undefined
  );
}

/** `config` is `workspace.getConfiguration("gradls", scope)`: keys are relative ("select"). */
export function serverSettings(config: ConfigLike): ServerSettings {
  const out: ServerSettings = {};
  if (isExplicit(config, "enable")) {
    out.enable = config.get<boolean>("enable") !== false;
  }
  for (const key of ["select", "ignore"] as const) {
    if (isExplicit(config, key)) {
      const value = config.get<string[] | string>(key);
      const list = (Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [])
        .map((v) => String(v).trim())
        .filter((v) => v !== "");
      // An explicitly empty `select` means "not set": the server's default then applies.
      if (list.length > 0 || key === "ignore") {
        out[key] = list;
      }
    }
  }
  if (isExplicit(config, "severity")) {
    const value = config.get<Record<string, string>>("severity");
    if (value && typeof value === "object" && Object.keys(value).length > 0) {
      out.severity = { ...value };
    }
  }
  const shadow: ServerSettings["shadow"] = {};
  if (isExplicit(config, "shadow.device")) {
    shadow.device = config.get<string>("shadow.device");
  }
  if (isExplicit(config, "shadow.worker")) {
    const worker = (config.get<string>("shadow.worker") ?? "").trim();
    if (worker !== "") {
      shadow.worker = worker;
    }
  }
  if (isExplicit(config, "shadow.timeout")) {
    const timeout = Number(config.get<number>("shadow.timeout"));
    if (Number.isFinite(timeout) && timeout > 0) {
      shadow.timeout = timeout;
    }
  }
  if (Object.keys(shadow).length > 0) {
    out.shadow = shadow;
  }
  return out;
}

/** The shadow-pass options for `gradls confirm` on the command line (all values, defaults included). */
export function confirmArgs(config: ConfigLike): string[] {
  const args: string[] = [];
  const device = config.get<string>("shadow.device");
  if (device && device !== "auto") {
    args.push("--device", device);
  }
  const worker = (config.get<string>("shadow.worker") ?? "").trim();
  if (worker) {
    args.push("--worker", worker);
  }
  const timeout = Number(config.get<number>("shadow.timeout"));
  if (Number.isFinite(timeout) && timeout > 0) {
    args.push("--timeout", String(timeout));
  }
  return args;
}

/** Which kind of reaction a configuration change needs. */
export function changeKind(affects: (key: string) => boolean): "restart" | "notify" | "none" {
  if (RESTART_KEYS.some(affects)) {
    return "restart";
  }
  if (SERVER_KEYS.some(affects)) {
    return "notify";
  }
  return "none";
}

// --- workspace trust ------------------------------------------------------------------------

/** Settings that choose a command to run (package.json `restrictedConfigurations`): in an
 * untrusted workspace only the user's own (global) value counts, never the workspace's. */
export const RESTRICTED_KEYS = ["path", "interpreter", "shadow.worker"];

/**
 * `config` as seen in a workspace that is (not) trusted. VS Code itself already hides the
 * workspace values of `restrictedConfigurations` from `get()` in restricted mode; `inspect()`
 * still shows them, so the client filters both the same way rather than rely on one of them.
 */
export function trustedView(config: ConfigLike, trusted: boolean): ConfigLike {
  if (trusted) {
    return config;
  }
  const restricted = (key: string) => RESTRICTED_KEYS.includes(key);
  return {
    get<T>(key: string): T | undefined {
      if (!restricted(key)) {
        return config.get<T>(key);
      }
      const info = config.inspect<T>(key);
      if (!info) {
        return undefined;
      }
      return info.globalValue !== undefined ? info.globalValue : info.defaultValue;
    },
    inspect<T>(key: string) {
      const info = config.inspect<T>(key);
      if (!info || !restricted(key)) {
        return info;
      }
      return { key: info.key, defaultValue: info.defaultValue, globalValue: info.globalValue };
    },
  };
}
