import { type CommandContext, requestKey } from "../../commands/context.js";
import { createRecord, type TransitionResult, transition } from "../../db/history.js";
import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { isZone } from "../../time/zone.js";
import { answer } from "../../views/build.js";
import { cmd, person, rich } from "../../views/rich.js";
import { ensureMember } from "../member/commands.js";
import { notifyEffect } from "../notify.js";
import { forbidden, holders, readWorkspace, requireWorkspace, roleName, rolesOf } from "./access.js";
import { DEFAULT_SLA_DAYS, type Role, type SeveritySla, type Workspace, workspaceKey } from "./model.js";

export interface SetupResult {
  workspace: Workspace;
  /** What is true now, for the person who ran setup. */
  outcome: "created" | "already_qm" | "not_qm";
}

/**
 * `qms setup`: the first person to run it in a fresh workspace becomes its quality manager, in
 * the same write that creates the workspace (the record has a fixed key, so of two people
 * setting up at once one wins, and nobody is ever left with a workspace and no QM).
 */
export async function setupWorkspace(
  ctx: CommandContext,
  options: { externalId: string; qualityChannelId?: string | null; timezone?: string | null },
): Promise<SetupResult> {
  const existing = await readWorkspace(ctx.workspaceId);
  const { record: workspace, created } = existing
    ? { record: existing, created: false }
    : await createRecord<Workspace>({
        kind: "workspace",
        workspaceId: ctx.workspaceId,
        stream: `${ctx.workspaceId}/workspace`,
        keyFor: () => ({ recordKey: workspaceKey(ctx.workspaceId), ref: null }),
        actor: ctx.actor,
        scope: ctx.scope,
        at: ctx.now,
        idempotencyKey: "workspace-setup",
        keyIsIdentity: true,
        type: "set_up",
        reason: "first person to set up QOps becomes its quality manager",
        fields: {
          platform: ctx.platform,
          externalId: options.externalId,
          setupBy: ctx.actor,
          qualityChannelId: options.qualityChannelId ?? null,
          slaDays: DEFAULT_SLA_DAYS,
          workingHours: { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] },
          includeGuests: false,
          timezone: isZone(options.timezone) ? options.timezone : "UTC",
          auditProgramme: [],
          auditReminderDays: [14, 1],
          roles: { [ctx.actor.id]: { name: ctx.actor.name, roles: ["qm"] } },
          currentPolicy: null,
        },
      });
  await ensureMember(ctx);
  const current = created ? workspace : ((await readWorkspace(ctx.workspaceId)) ?? workspace);
  const outcome = created
    ? "created"
    : rolesOf(current, ctx.actor.id).includes("qm")
      ? "already_qm"
      : "not_qm";
  return { workspace: current, outcome };
}

/**
 * A change to the workspace's settings by a quality manager, checked against the workspace as
 * the write finds it (a QM whose role was revoked a moment ago is refused).
 */
export function changeWorkspace(
  ctx: CommandContext,
  type: string,
  toDoWhat: string,
  fields: (workspace: Workspace) => Record<string, unknown>,
  who: Role[] = ["qm"],
): Promise<TransitionResult<Workspace>> {
  return transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type,
    actor: ctx.actor,
    scope: ctx.scope,
    at: ctx.now,
    idempotencyKey: requestKey(ctx, type),
    decide: (workspace) => {
      const mine = rolesOf(workspace, ctx.actor.id);
      if (!who.some((r) => mine.includes(r))) throw forbidden(workspace, who, toDoWhat);
      return { fields: fields(workspace) };
    },
  });
}

export interface RoleChange {
  workspace: Workspace;
  target: PersonRef;
  role: Role;
  granted: boolean;
}

/**
 * A QM grants or revokes a role. The rule that a workspace keeps at least one quality manager
 * spans people, so it is checked in the write on the workspace record: two QMs revoking each
 * other at once cannot both succeed.
 */
export async function changeRole(
  ctx: CommandContext,
  target: PersonRef,
  role: Role,
  grant: boolean,
): Promise<RoleChange> {
  await requireWorkspace(ctx);
  await ensureMember(ctx, target);
  const { record } = await transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type: grant ? "role_granted" : "role_revoked",
    actor: ctx.actor,
    scope: ctx.scope,
    at: ctx.now,
    idempotencyKey: requestKey(ctx, `role:${target.id}:${role}`),
    decide: (workspace, last) => {
      if (!rolesOf(workspace, ctx.actor.id).includes("qm"))
        throw forbidden(workspace, ["qm"], "change roles");
      const has = rolesOf(workspace, target.id);
      if (has.includes(role) === grant)
        throw new QopsError(
          "invalid_transition",
          `${target.name} ${grant ? "is already" : "is not"} ${roleName(role)} (roles last changed by ${last.actor.name}). Nothing was changed.`,
        );
      if (!grant && role === "qm") {
        const qms = holders(workspace, "qm");
        if (qms.length === 1 && qms[0]?.id === target.id)
          throw new QopsError(
            "invalid_transition",
            `${target.name} is the only quality manager; grant the role to someone else first. Nothing was changed.`,
          );
      }
      const roles = { ...(workspace.roles ?? {}) };
      const next = grant ? [...has, role] : has.filter((r) => r !== role);
      if (next.length) roles[target.id] = { name: target.name, roles: next };
      else delete roles[target.id];
      const told = rich`${ctx.actor.name} ${grant ? "made you" : "removed you as"} ${roleName(role)} in QOps.${grant ? [" ", cmd("qms help"), " lists what you can do now."] : ""}`;
      return {
        fields: { roles },
        effects:
          target.id === ctx.actor.id
            ? []
            : notifyEffect(
                ctx,
                {
                  workspaceId: ctx.workspaceId,
                  record: "roles",
                  recordKey: workspace._id,
                  seq: last.seq + 1,
                },
                [{ to: target.id, about: `${role}:${target.id}`, view: answer(told) }],
              ),
      };
    },
  });
  return { workspace: record, target, role, granted: grant };
}

export function listRoles(workspace: Workspace): { role: Role; members: PersonRef[] }[] {
  return (["qm", "top_management", "auditor"] as const).map((role) => ({
    role,
    members: holders(workspace, role),
  }));
}

export const setQualityChannel = (ctx: CommandContext, channelId: string) =>
  changeWorkspace(ctx, "quality_channel_set", "set the quality channel", (w) => {
    if (w.qualityChannelId === channelId)
      throw new QopsError(
        "invalid_transition",
        "That channel is already the quality channel. Nothing was changed.",
      );
    return { qualityChannelId: channelId };
  });

export function setSeveritySla(ctx: CommandContext, severity: keyof SeveritySla, days: number) {
  if (!Number.isInteger(days) || days < 1 || days > 365)
    throw new QopsError(
      "invalid_input",
      "The number of days must be a whole number from 1 to 365. Nothing was changed.",
    );
  return changeWorkspace(ctx, "sla_changed", "change complaint due dates", (w) => ({
    slaDays: { ...w.slaDays, [severity]: days },
  }));
}

export const setGuestMembership = (ctx: CommandContext, include: boolean) =>
  changeWorkspace(
    ctx,
    include ? "guests_included" : "guests_excluded",
    "decide whether guests are members",
    (w) => {
      if (Boolean(w.includeGuests) === include)
        throw new QopsError(
          "invalid_transition",
          `Guests are already ${include ? "included" : "excluded"}. Nothing was changed.`,
        );
      return { includeGuests: include };
    },
  );

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** "mon-fri", "mon,wed,fri", "sun-thu" → day numbers (0 = Sunday); null if not understood. */
export function parseDays(text: string): number[] | null {
  const days = new Set<number>();
  for (const part of text.toLowerCase().split(",")) {
    const [from, to, extra] = part.split("-").map((d) => DAY_NAMES.indexOf(d.trim().slice(0, 3)));
    if (extra !== undefined || from === undefined || from < 0 || (to !== undefined && to < 0)) return null;
    if (to === undefined) days.add(from);
    else
      for (let d = from; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === to) break;
      }
  }
  return days.size ? [...days].sort() : null;
}

/** Reminders go out only within these hours, in each person's own zone. */
export function setWorkingHours(ctx: CommandContext, hours: string, daysText: string) {
  const match = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(hours.trim());
  const days = parseDays(daysText);
  if (!match || !days || `${match[1]}:${match[2]}` >= `${match[3]}:${match[4]}`)
    throw new QopsError(
      "invalid_input",
      "Give the hours as HH:MM-HH:MM and the days, e.g. 08:30-16:30 mon-fri or 09:00-17:00 sun-thu; the start must be before the end. Nothing was changed.",
    );
  return changeWorkspace(ctx, "working_hours_changed", "change the working hours", () => ({
    workingHours: { start: `${match[1]}:${match[2]}`, end: `${match[3]}:${match[4]}`, days },
  }));
}

/** The workspace's time zone (IANA): its calendar days and the Monday digest. */
export function setWorkspaceTimezone(ctx: CommandContext, timezone: string) {
  const zone = timezone.trim();
  if (!isZone(zone))
    throw new QopsError(
      "invalid_input",
      `"${timezone.trim().slice(0, 40)}" is not a time zone; use a name like Europe/Berlin or America/Chicago. Nothing was changed.`,
    );
  return changeWorkspace(ctx, "timezone_changed", "set the workspace's time zone", () => ({
    timezone: zone,
  }));
}

/** How many days before an audit its people are reminded, e.g. "14 1" or "30,7,1". */
export function setAuditReminderDays(ctx: CommandContext, wordsTyped: string[]) {
  const days = [
    ...new Set(
      wordsTyped
        .join(" ")
        .split(/[\s,]+/)
        .filter(Boolean)
        .map(Number),
    ),
  ].sort((a, b) => b - a);
  if (!days.length || days.length > 5 || days.some((d) => !Number.isInteger(d) || d < 1 || d > 90))
    throw new QopsError(
      "invalid_input",
      "Give one to five numbers of days between 1 and 90, e.g. 14 1. Nothing was changed.",
    );
  return changeWorkspace(ctx, "audit_reminders_changed", "change audit reminders", () => ({
    auditReminderDays: days,
  }));
}

/** How many days a finding's corrective action gets: `MAJOR MINOR`, e.g. "30 60". */
export function setFindingActionDays(ctx: CommandContext, wordsTyped: string[]) {
  const days = wordsTyped
    .join(" ")
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  const [major, minor] = days;
  if (
    days.length !== 2 ||
    major === undefined ||
    minor === undefined ||
    days.some((d) => !Number.isInteger(d) || d < 1 || d > 365)
  )
    throw new QopsError(
      "invalid_input",
      "Give two numbers of days between 1 and 365, for a major and a minor nonconformity, e.g. 30 60. Nothing was changed.",
    );
  return changeWorkspace(
    ctx,
    "finding_action_days_changed",
    "change the days a finding's action gets",
    () => ({
      findingActionDays: { major_nc: major, minor_nc: minor },
    }),
  );
}

/** Says who set QOps up and whether the person holds the QM role now (the truth for `setup` run again). */
export function setupOutcomeText(result: SetupResult, ctx: CommandContext) {
  const { workspace, outcome } = result;
  if (outcome === "created")
    return rich`✅ QOps is set up, and you (${ctx.actor.name}) are its first quality manager.`;
  const by = workspace.setupBy.id === ctx.actor.id ? "you" : workspace.setupBy.name;
  if (outcome === "already_qm")
    return rich`✅ QOps was already set up (by ${by}); you are one of its quality managers.`;
  const qms = holders(workspace, "qm");
  return rich`QOps is already set up here (by ${by}), and you do not hold the quality manager role${workspace.setupBy.id === ctx.actor.id ? " any more" : ""}. Setup does not give it back: ask a quality manager${qms.length ? [" (", ...qms.flatMap((q, i) => (i ? [", ", person(q)] : [person(q)])), ")"] : ""} to grant it with ${cmd("qms roles grant @person qm")}.`;
}
