import type { CommandContext } from "../../commands/context.js";
import { QopsError } from "../../errors.js";
import { deliveryId } from "../../outbox/enqueue.js";
import { addDays, daysBetween, startOfDay } from "../../time/zone.js";
import { answer } from "../../views/build.js";
import { cmd, day, rich } from "../../views/rich.js";
import { dueDayOf, inputText, reasonField, requireDay, requireReason, today } from "../common.js";
import type { AnySpec, TransitionSpec } from "../lifecycle.js";
import { holders, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import type { CorrectiveAction } from "./model.js";

/** Days after "done" when the QM checks whether the action worked. */
export const EFFECTIVENESS_CHECK_DAYS = 30;

type Spec<P = Record<string, never>> = TransitionSpec<CorrectiveAction, P>;

export const dueSeries = (a: CorrectiveAction, workspace: Workspace) =>
  `action:${a.ref}:due-${dueDayOf(a, workspace)}`;

/** The due-date reminders of an action's current due day, so a change that makes them moot cancels them. */
export function dueReminderIds(a: CorrectiveAction, workspace: Workspace, ctx: CommandContext): string[] {
  const series = dueSeries(a, workspace);
  const weeks = Math.max(0, Math.floor(daysBetween(dueDayOf(a, workspace), today(ctx, workspace)) / 7)) + 1;
  return [
    `${series}:2-days`,
    `${series}:on-the-day`,
    ...Array.from({ length: weeks }, (_, k) => `${series}:overdue-week-${k + 1}`),
  ].map((occasion) => deliveryId(a.workspaceId, occasion, a.owner.id));
}

const tellOwner =
  (about: string, say: (a: CorrectiveAction, actor: string) => ReturnType<typeof rich>) =>
  (after: CorrectiveAction, _b: CorrectiveAction, ctx: CommandContext) =>
    after.owner.id === ctx.actor.id
      ? []
      : [{ to: after.owner.id, about, view: answer(say(after, ctx.actor.name)) }];

export const start: Spec = {
  id: "start",
  event: "started",
  from: ["open", "reopened"],
  to: "in_progress",
  who: "owner_or_qm",
  label: "Start",
  done: "started",
  action: "start this action",
};

/** Required text of a "done" form's field, at most 3,000 characters. */
function requireField(inputs: Parameters<typeof inputText>[0], field: string, what: string): string {
  const text = (inputText(inputs, field) ?? "").trim();
  if (!text || text.length > 3000)
    throw new QopsError(
      "invalid_input",
      `${what} is needed (at most 3,000 characters) before the action is done. Nothing was changed.`,
      { fieldErrors: { [field]: text ? "At most 3,000 characters." : `Please say ${what.toLowerCase()}.` } },
    );
  return text;
}

/**
 * Done: ISO 9001 10.2.1 wants the cause found (b) and the action taken (c) on the record, so
 * whichever of them is still empty is asked for before it is marked done.
 */
export const complete: Spec<{ rootCause?: string; actionTaken?: string }> = {
  id: "complete",
  event: "done",
  from: ["in_progress"],
  to: "done",
  who: "owner_or_qm",
  label: "Mark done",
  style: "primary",
  done: "marked done",
  action: "mark this action done",
  input: (a) => [
    ...(a.rootCause.trim()
      ? []
      : [
          {
            type: "text" as const,
            id: "rootCause",
            label: `The root cause of ${a.ref}`,
            multiline: true,
            max: 3000,
          },
        ]),
    ...((a.actionTaken ?? "").trim()
      ? []
      : [{ type: "text" as const, id: "actionTaken", label: "What was done", multiline: true, max: 3000 }]),
  ],
  parse: (inputs, a) => ({
    ...(a.rootCause.trim() ? {} : { rootCause: requireField(inputs, "rootCause", "The root cause") }),
    ...((a.actionTaken ?? "").trim()
      ? {}
      : { actionTaken: requireField(inputs, "actionTaken", "What was done") }),
  }),
  apply: (_a, p, ctx, workspace) => {
    const check = addDays(today(ctx, workspace), EFFECTIVENESS_CHECK_DAYS);
    return {
      ...(p.rootCause ? { rootCause: p.rootCause } : {}),
      ...(p.actionTaken ? { actionTaken: p.actionTaken } : {}),
      doneAt: ctx.now,
      effectivenessCheckDay: check,
      effectivenessCheckAt: startOfDay(check, zoneOf(workspace)),
    };
  },
  effects: (after) => [{ type: "cancelActionReminders", recordKey: after._id, reason: "the action is done" }],
};

export const effective: Spec = {
  id: "effective",
  event: "verified_effective",
  from: ["done"],
  to: "verified_effective",
  who: "qm",
  label: "Effective",
  style: "primary",
  done: "verified effective",
  action: "verify effectiveness",
  notices: tellOwner(
    "effective",
    (a, actor) => rich`✅ ${actor} verified ${a.ref} as effective. It is closed.`,
  ),
  effects: (_after, before) => [
    {
      type: "cancelActionReminders",
      recordKey: before._id,
      effectivenessDay: before.effectivenessCheckDay ?? null,
      reason: "effectiveness was judged",
    },
  ],
};

export const notEffective: Spec<{ reason: string }> = {
  id: "not_effective",
  event: "not_effective",
  from: ["done"],
  to: "reopened",
  who: "qm",
  label: "Not effective",
  style: "danger",
  done: "reopened as not effective",
  action: "verify effectiveness",
  input: (a) => [reasonField(`Why was ${a.ref} not effective? It will be reopened.`)],
  parse: (inputs) => ({
    reason: requireReason(inputText(inputs, "reason"), "why the action was not effective"),
  }),
  apply: (_a, p) => ({
    reopenReason: p.reason,
    doneAt: null,
    effectivenessCheckAt: null,
    effectivenessCheckDay: null,
  }),
  reason: (p) => p.reason,
  notices: tellOwner(
    "not-effective",
    (a, actor) =>
      rich`🔁 ${actor} found ${a.ref} not effective and reopened it: ${a.reopenReason ?? ""}. See it with ${cmd(`qms action ${a.ref}`)}.`,
  ),
  effects: (_after, before) => [
    {
      type: "cancelActionReminders",
      recordKey: before._id,
      effectivenessDay: before.effectivenessCheckDay ?? null,
      reason: "effectiveness was judged",
    },
  ],
};

/** The owner (or a QM) pauses due-date reminders until a day, saying why; recorded in history. */
export const snooze: Spec<{ until: string; reason: string }> = {
  id: "snooze",
  event: "reminders_snoozed",
  from: ["open", "in_progress", "reopened"],
  who: "owner_or_qm",
  label: "Snooze",
  done: "snoozed",
  action: "snooze its reminders",
  input: () => [
    { type: "date", id: "until", label: "Remind me again on" },
    reasonField("Why wait? (kept in the action's history)"),
  ],
  parse: (inputs, _a, ctx, workspace) => {
    const reason = requireReason(inputText(inputs, "reason"), "for snoozing the reminders");
    const first = addDays(today(ctx, workspace), 1);
    const until = requireDay(inputText(inputs, "until"), "until", "the day to remind again", first);
    if (until > addDays(today(ctx, workspace), 90))
      throw new QopsError(
        "invalid_input",
        "Choose a day between tomorrow and 90 days from now. Nothing was changed.",
        {
          fieldErrors: { until: "Choose a day between tomorrow and 90 days from now." },
        },
      );
    return { until, reason };
  },
  apply: (_a, p, _ctx, workspace) => ({ snoozedUntil: startOfDay(p.until, zoneOf(workspace)) }),
  reason: (p) => p.reason,
  notices: (after, _b, ctx, p) => [
    {
      to: ctx.actor.id,
      about: `snoozed:${ctx.actor.id}`,
      view: answer(
        rich`😴 Reminders about ${after.ref} are paused until ${day(p.until)} (by ${ctx.actor.name}: ${p.reason}).`,
      ),
    },
  ],
  effects: (after) => [{ type: "cancelActionReminders", recordKey: after._id, reason: "reminders snoozed" }],
};

export const ACTION_TRANSITIONS: readonly AnySpec<CorrectiveAction>[] = [
  start,
  complete,
  effective,
  notEffective,
  snooze,
];

/** Who is asked to check an action's effectiveness: every QM, on the check day. */
export const effectivenessOccasion = (a: CorrectiveAction, checkDay = a.effectivenessCheckDay) =>
  `action:${a.ref}:effectiveness-${checkDay ?? ""}`;

export function effectivenessIds(
  a: CorrectiveAction,
  workspace: Workspace,
  checkDay = a.effectivenessCheckDay,
): string[] {
  if (!checkDay) return [];
  return holders(workspace, "qm").map((qm) =>
    deliveryId(a.workspaceId, effectivenessOccasion(a, checkDay), qm.id),
  );
}
