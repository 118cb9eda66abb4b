// A one-line summary of a shadow-pass result (the JSON of `gradls confirm --format json`,
// or what the server's `gradls.confirm` command returns).

export function summarizeConfirm(result: unknown): string {
  if (result === null || result === undefined) {
    return "the shadow pass returned nothing";
  }
  if (typeof result !== "object") {
    return String(result);
  }
  const r = result as Record<string, any>;
  const parts: string[] = [];
  if (typeof r.message === "string" && r.message) {
    parts.push(r.message);
  } else if (typeof r.summary === "string" && r.summary) {
    parts.push(r.summary);
  } else if (typeof r.outcome === "string") {
    parts.push(r.outcome.replace(/_/g, " "));
  }
  const counts = r.counts;
  if (counts && typeof counts === "object") {
    const order = ["confirmed", "refuted", "not_reached", "unverified", "runtime_only"];
    const labels: Record<string, string> = { not_reached: "not reached", runtime_only: "seen only at run time" };
    const shown = order
      .filter((k) => typeof counts[k] === "number" && (counts[k] > 0 || k === "confirmed" || k === "refuted"))
      .map((k) => `${counts[k]} ${labels[k] ?? k}`);
    if (shown.length > 0) {
      parts.push(shown.join(", "));
    }
  }
  if (typeof r.device === "string" && typeof r.wall_s === "number") {
    parts.push(`(${r.device}, ${r.wall_s.toFixed(1)} s)`);
  }
  return parts.length > 0 ? parts.join(". ").replace(/\.\. /g, ". ") : JSON.stringify(result).slice(0, 300);
}
