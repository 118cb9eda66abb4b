// "gradls: Show Gradient Flow": the page that `gradls confirm FILE --report HTML` writes
// (gradls/report/flow_html.py), shown in a webview. The page's line links post
// {type: "reveal", line} (1-based) to the extension, which opens the file at that line.
// Pure helpers, unit-tested without VS Code.

/** The arguments after the gradls executable's own (`[...base]`) for one flow run. */
export function flowArgs(base: string[], file: string, reportPath: string, shadowArgs: string[]): string[] {
  return [...base, "confirm", file, "--output-format", "json", "--report", reportPath, ...shadowArgs];
}

/** The 1-based line a message from the flow webview asks to reveal, else undefined. */
export function revealLine(message: unknown): number | undefined {
  if (!message || typeof message !== "object") {
    return undefined;
  }
  const m = message as Record<string, unknown>;
  if (m.type !== "reveal") {
    return undefined;
  }
  const line = Number(m.line);
  return Number.isInteger(line) && line >= 1 ? line : undefined;
}

/** The webview panel's title for a file. */
export function flowTitle(fileName: string): string {
  return `Gradient Flow: ${fileName}`;
}
