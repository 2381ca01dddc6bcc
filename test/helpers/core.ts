import { type CommandContext, SLACK_SURFACE, TEAMS_SURFACE } from "../../src/commands/context.js";
import { type Core, createCore } from "../../src/commands/core.js";
import type { Actor } from "../../src/db/historyModels.js";
import { createLogger } from "../../src/logger.js";
import type { Action } from "../../src/records/kind.js";
import { setupWorkspace } from "../../src/records/workspace/commands.js";
import { plainMessage } from "../../src/views/plain.js";
import type { Answer, MessageView, Token } from "../../src/views/types.js";

/**
 * The product's core without a chat platform in front of it: what both adapters call. For tests
 * of rules and records; what a person sees on Slack or Teams is tested over HTTP.
 */
export const core: Core = createCore(createLogger("silent", false));

export function ctxFor(
  workspaceId: string,
  actor: Actor,
  now: Date = new Date(),
  requestId?: string,
): CommandContext {
  const platform = workspaceId.startsWith("teams:") ? "teams" : "slack";
  return {
    workspaceId,
    platform,
    actor,
    now,
    requestId,
    surface: platform === "teams" ? TEAMS_SURFACE : SLACK_SURFACE,
  };
}

/** A fresh workspace whose quality manager is `qm`, working in `timezone`. */
export async function setUp(
  ctx: CommandContext,
  timezone = "UTC",
  qualityChannelId = "CQUALITY",
): Promise<void> {
  await setupWorkspace(ctx, {
    externalId: ctx.workspaceId.split(":")[1] ?? "",
    timezone,
    qualityChannelId,
  });
}

/** Words as an adapter hands them over (`<@U1|Name>` as a person, `<#C1>` as a channel). */
export function tokens(line: string): Token[] {
  return [...line.matchAll(/<@(\w+)\|([^>]+)>|<#(\w+)(?:\|[^>]*)?>|\S+/g)].map((m) =>
    m[1] ? { person: { id: m[1], name: m[2] ?? "" } } : m[3] ? { channel: m[3] } : { word: m[0] },
  );
}

/** What a person reads in an answer, as plain text. */
export function textOf(answer: Answer | MessageView): string {
  const view: MessageView | null =
    "blocks" in answer ? answer : answer.kind === "form" || answer.kind === "invalid" ? null : answer.view;
  if (!view) {
    const form = (answer as Extract<Answer, { kind: "form" | "invalid" }>).form;
    const errors = Object.entries(form.errors ?? {}).map(([field, error]) => `${field}: ${error}`);
    return [form.title, ...errors, ...form.fields.map((f) => f.label)].join("\n");
  }
  const note =
    "note" in answer && answer.note ? `\n${plainMessage(answer.note, { zone: "UTC", slash: true })}` : "";
  return plainMessage(view, { zone: "UTC", slash: true }) + note;
}

/** A typed command (`complaint list open`), answered as text. */
export async function typed(ctx: CommandContext, line: string): Promise<string> {
  const [, name = "", rest = ""] = /^(\S+)\s*(.*)$/s.exec(line.trim()) ?? [];
  return textOf(await core.command(ctx, name, tokens(rest)));
}

/** A button press or a submitted form on a record. */
export function act(
  ctx: CommandContext,
  id: string,
  ref: string,
  inputs: Action["inputs"] = {},
  options: { submitted?: boolean; source?: Action["source"] } = {},
): Promise<Answer> {
  return core.act(ctx, id, {
    target: { ws: ctx.workspaceId, ref },
    inputs,
    source: options.source ?? "channel",
    submitted: options.submitted ?? Object.keys(inputs).length > 0,
  });
}
