// The status bar item: server state, the active file's findings, a running shadow pass,
// restricted mode. Pure, so that it is unit-tested without VS Code.

export type ServerState = "starting" | "running" | "stopped" | "notFound";

export interface StatusState {
  server: ServerState;
  /** gradls findings in the active Python file (undefined: no Python file is active). */
  findings?: number;
  /** gradls findings in all files the editor knows. */
  total: number;
  fileName?: string;
  confirming: boolean;
  trusted: boolean;
  /** Why the server is not running, for the tooltip. */
  detail?: string;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** For screen readers (and the end-to-end test). */
  label: string;
  /** Highlight the item (an error or warning background). */
  severity: "none" | "warning" | "error";
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

export function statusView(s: StatusState): StatusView {
  const lines: string[] = [];
  let text: string;
  let label: string;
  let severity: StatusView["severity"] = "none";
  if (s.confirming) {
    text = "$(loading~spin) gradls: confirming";
    label = "gradls: the shadow pass is running";
  } else if (s.server === "notFound") {
    text = "$(error) gradls: not found";
    label = "gradls: the language server was not found";
    severity = "error";
  } else if (s.server === "stopped") {
    text = "$(error) gradls: stopped";
    label = "gradls: the language server is not running";
    severity = "error";
  } else if (s.server === "starting") {
    text = "$(sync~spin) gradls";
    label = "gradls: starting the language server";
  } else if (s.findings !== undefined && s.findings > 0) {
    text = `$(warning) gradls: ${s.findings}`;
    label = `gradls: ${plural(s.findings, "finding")}${s.fileName ? ` in ${s.fileName}` : ""}`;
    severity = "warning";
  } else {
    text = "$(check) gradls";
    label = s.findings === undefined ? "gradls: running" : `gradls: no findings${s.fileName ? ` in ${s.fileName}` : ""}`;
  }
  lines.push(label);
  if (s.server === "running" || s.confirming) {
    lines.push(`${plural(s.total, "finding")} in open files`);
  }
  if (s.detail && (s.server === "notFound" || s.server === "stopped")) {
    lines.push(s.detail);
  }
  if (!s.trusted) {
    text = `$(shield) ${text}`;
    label = `${label} (restricted mode)`;
    lines.push(
      "Restricted mode: this folder is not trusted, so gradls.path, gradls.interpreter and " +
        "gradls.shadow.worker from the workspace are ignored, and Confirm Gradients and Show Gradient Flow are disabled.",
    );
  }
  lines.push("Click: gradls output");
  return { text, tooltip: lines.join("\n"), label, severity };
}
