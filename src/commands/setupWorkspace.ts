import { createRecord, transition } from "../db/history.js";
import { QopsError } from "../errors.js";
import type { Member } from "../models/member.js";
import { DEFAULT_SLA_DAYS, type SeveritySla, type Workspace } from "../models/workspace.js";
import { type CommandContext, formatWhen } from "./context.js";
import { ensureMember, memberKey, requireRole, requireWorkspace, workspaceKey } from "./members.js";

export interface SetupResult {
  workspace: Workspace;
  /** False when the workspace was already set up (by this person: a repeated or retried setup). */
  created: boolean;
}

/**
 * `/qms setup`: the first person to run it in a fresh workspace becomes its quality manager.
 * The workspace record has a fixed key, so of two people setting up at once one wins.
 */
export async function setupWorkspace(
  ctx: CommandContext,
  options: { externalId: string; qualityChannelId?: string | null },
): Promise<SetupResult> {
  const { record: workspace, created } = await createRecord<Workspace>({
    kind: "workspace",
    workspaceId: ctx.workspaceId,
    stream: `${ctx.workspaceId}/workspace`,
    keyFor: () => ({ recordKey: workspaceKey(ctx.workspaceId), ref: null }),
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: "workspace-setup",
    type: "set_up",
    fields: {
      platform: ctx.platform,
      externalId: options.externalId,
      setupBy: ctx.actor,
      qualityChannelId: options.qualityChannelId ?? null,
      slaDays: DEFAULT_SLA_DAYS,
      workingHours: { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] },
    },
  });
  if (workspace.setupBy.id !== ctx.actor.id) {
    throw new QopsError(
      "conflict",
      `QOps is already set up here: ${workspace.setupBy.name} set it up on ${formatWhen(workspace.createdAt)}. Ask a quality manager (\`/qms roles\`) for a role.`,
    );
  }
  // Also completes a setup that died between the workspace and the first QM's role.
  const member = await ensureMember(ctx);
  if (!member.roles.includes("qm")) {
    await transition<Member>({
      kind: "member",
      recordKey: memberKey(ctx.workspaceId, ctx.actor.id),
      type: "role_granted",
      actor: ctx.actor,
      at: ctx.now,
      idempotencyKey: "setup-first-qm",
      reason: "first person to set up QOps",
      decide: (m) => ({ roles: [...new Set([...m.roles, "qm"])] }),
    });
  }
  return { workspace, created };
}

/** Where triage messages and new ideas are posted. */
export async function setQualityChannel(ctx: CommandContext, channelId: string): Promise<Workspace> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "set the quality channel");
  const { record } = await transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type: "quality_channel_set",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    decide: (w) => {
      if (w.qualityChannelId === channelId) {
        throw new QopsError(
          "invalid_transition",
          "That channel is already the quality channel. Nothing was changed.",
        );
      }
      return { qualityChannelId: channelId };
    },
  });
  return record;
}

/** A QM changes how many days a complaint of one severity has until it is due. */
export async function setSeveritySla(
  ctx: CommandContext,
  severity: keyof SeveritySla,
  days: number,
): Promise<Workspace> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "change complaint due dates");
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw new QopsError("invalid_input", "The number of days must be a whole number from 1 to 365.");
  }
  const { record } = await transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type: "sla_changed",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    decide: (w) => ({ slaDays: { ...w.slaDays, [severity]: days } }),
  });
  return record;
}

/** A QM decides whether guest accounts are members (asked to acknowledge the policy). */
export async function setGuestMembership(ctx: CommandContext, include: boolean): Promise<Workspace> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "decide whether guests are members");
  const { record } = await transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type: include ? "guests_included" : "guests_excluded",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    decide: (w) => {
      if (Boolean(w.includeGuests) === include) {
        throw new QopsError(
          "invalid_transition",
          `Guests are already ${include ? "included" : "excluded"}. Nothing was changed.`,
        );
      }
      return { includeGuests: include };
    },
  });
  return record;
}

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** "mon-fri", "mon,wed,fri", "sun-thu" → day numbers (0 = Sunday); null if not understood. */
export function parseDays(text: string): number[] | null {
  const days = new Set<number>();
  for (const part of text.toLowerCase().split(",")) {
    const [from, to] = part.split("-").map((d) => DAY_NAMES.indexOf(d.trim().slice(0, 3)));
    if (from === undefined || from < 0 || (to !== undefined && to < 0)) return null;
    if (to === undefined) days.add(from);
    else
      for (let d = from; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === to) break;
      }
  }
  return days.size ? [...days].sort() : null;
}

/** A QM sets the workspace's working hours: reminders go out only within them, in each person's zone. */
export async function setWorkingHours(
  ctx: CommandContext,
  hours: string,
  daysText: string,
): Promise<Workspace> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "change the working hours");
  const match = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(hours.trim());
  const days = parseDays(daysText);
  if (!match || !days || `${match[1]}:${match[2]}` >= `${match[3]}:${match[4]}`) {
    throw new QopsError(
      "invalid_input",
      "Use `/qms hours HH:MM-HH:MM DAYS`, e.g. `/qms hours 08:30-16:30 mon-fri` or `/qms hours 09:00-17:00 sun-thu`; the start must be before the end.",
    );
  }
  const { record } = await transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type: "working_hours_changed",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    decide: () => ({
      workingHours: { start: `${match[1]}:${match[2]}`, end: `${match[3]}:${match[4]}`, days },
    }),
  });
  return record;
}

/** The workspace's time zone (IANA), for the Monday digest. */
export async function setWorkspaceTimezone(ctx: CommandContext, timezone: string): Promise<Workspace> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "set the workspace's time zone");
  const zone = timezone.trim();
  let valid = false;
  try {
    valid =
      zone !== "" && Boolean(new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone);
  } catch {
    valid = false;
  }
  if (!valid)
    throw new QopsError(
      "invalid_input",
      `"${zone.slice(0, 40)}" is not a time zone; use a name like Europe/Berlin or America/Chicago.`,
    );
  const { record } = await transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type: "timezone_changed",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    decide: () => ({ timezone: zone }),
  });
  return record;
}

/** How many days before an audit its people are reminded, e.g. "14 1" or "30,7,1" (QM). */
export async function setAuditReminderDays(ctx: CommandContext, words: string[]): Promise<Workspace> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "change audit reminders");
  const days = [
    ...new Set(
      words
        .join(" ")
        .split(/[\s,]+/)
        .filter(Boolean)
        .map(Number),
    ),
  ].sort((a, b) => b - a);
  if (!days.length || days.length > 5 || days.some((d) => !Number.isInteger(d) || d < 1 || d > 90))
    throw new QopsError("invalid_input", "Give one to five numbers of days between 1 and 90, e.g. `14 1`.");
  const { record } = await transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type: "audit_reminders_changed",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    decide: () => ({ auditReminderDays: days }),
  });
  return record;
}
