import type { Actor } from "../models/historyEvent.js";

/** Who is asking, where, and when: everything a command needs to know about the request. */
export interface CommandContext {
  /** `slack:T0123` or `teams:<tenant id>`. */
  workspaceId: string;
  platform: "slack" | "teams";
  actor: Actor;
  now: Date;
  /**
   * The chat request's own identity (Slack trigger_id or view id, Teams activity id). A
   * retried delivery carries the same one, and the history applies it once.
   */
  requestId?: string;
}

/** "26 Nov 2026, 10:32 UTC": unambiguous in any time zone. */
export function formatWhen(date: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const hh = String(date.getUTCHours()).padStart(2, "0");
  const mm = String(date.getUTCMinutes()).padStart(2, "0");
  return `${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

export function formatDate(date: Date): string {
  return formatWhen(date).split(",")[0] ?? "";
}

/** Human words for a state or event type: `in_progress` → "in progress". */
export function words(value: string): string {
  return value.replaceAll("_", " ");
}
