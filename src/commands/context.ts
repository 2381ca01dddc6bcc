import type { Actor } from "../db/historyModels.js";
import type { RequestScope } from "../db/scope.js";
import { SLACK_SURFACE, type Surface, TEAMS_SURFACE } from "../views/surface.js";

/** Who is asking, where, and when: everything a command needs to know about the request. */
export interface CommandContext {
  /** `slack:T0123` or `teams:<tenant id>`. */
  workspaceId: string;
  platform: "slack" | "teams";
  actor: Actor;
  now: Date;
  /**
   * The chat request's own identity (Slack trigger_id or view id, Teams activity id or form id).
   * A retried delivery carries the same one, and the history applies it once.
   */
  requestId?: string;
  /** What the platform's surfaces can do, which decides how some answers are given. */
  surface: Surface;
  /** Display names the adapter learnt from the platform for people this request names. */
  names?: Record<string, string>;
  /** The conversation the request came from (a channel, or a personal chat). */
  here?: { id: string; personal: boolean };
  /** What this request has saved so far; the core starts one per request. */
  scope?: RequestScope;
}

// What each platform's surface can do lives with the neutral views (adapters read it too).
export { SLACK_SURFACE, type Surface, TEAMS_SURFACE };

export const SYSTEM: Actor = { id: "system", name: "QOps" };

/** A context for work QOps does on its own (jobs, repairs). */
export function systemContext(workspaceId: string, now: Date): CommandContext {
  const platform = workspaceId.startsWith("teams:") ? "teams" : "slack";
  return {
    workspaceId,
    platform,
    actor: SYSTEM,
    now,
    surface: platform === "teams" ? TEAMS_SURFACE : SLACK_SURFACE,
  };
}

/**
 * The idempotency key of a change: the request's identity, bound to what it changes and to the
 * person asking, so a request replayed by someone else (a form id echoed by a client) never
 * matches another person's change.
 */
export function requestKey(ctx: CommandContext, scope: string): string | undefined {
  return ctx.requestId ? `${scope}|${ctx.actor.id}|${ctx.requestId}` : undefined;
}

/** Human words for a state or event type: `in_progress` → "in progress". */
export function words(value: string): string {
  return value.replaceAll("_", " ");
}
