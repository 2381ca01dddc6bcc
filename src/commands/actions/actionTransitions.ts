import { addDays, isValid, parseISO } from "date-fns";
import { QopsError } from "../../errors.js";
import type { CorrectiveAction } from "../../models/correctiveAction.js";
import type { CommandContext } from "../context.js";
import {
  requireReason,
  runTransition,
  runUpdate,
  type TransitionOutcome,
  type TransitionSpec,
} from "../lifecycle.js";

/** Days after "done" when the QM checks whether the action worked. */
export const EFFECTIVENESS_CHECK_DAYS = 30;

export const ACTION_TRANSITIONS = {
  start: {
    name: "started",
    from: ["open", "reopened"],
    to: "in_progress",
    done: "started",
    who: "owner_or_qm",
    action: "start this action",
  },
  complete: {
    name: "done",
    from: ["in_progress"],
    to: "done",
    done: "marked done",
    who: "owner_or_qm",
    action: "mark this action done",
  },
  effective: {
    name: "verified_effective",
    from: ["done"],
    to: "verified_effective",
    done: "verified effective",
    who: "qm",
    action: "verify effectiveness",
  },
  notEffective: {
    name: "not_effective",
    from: ["done"],
    to: "reopened",
    done: "reopened as not effective",
    who: "qm",
    action: "verify effectiveness",
  },
} as const satisfies Record<string, TransitionSpec>;

type Outcome = Promise<TransitionOutcome<CorrectiveAction>>;

export const startAction = (ctx: CommandContext, ref: string): Outcome =>
  runTransition<CorrectiveAction>(ctx, "action", ref, ACTION_TRANSITIONS.start);

export const completeAction = (ctx: CommandContext, ref: string): Outcome =>
  runTransition<CorrectiveAction>(ctx, "action", ref, ACTION_TRANSITIONS.complete, () => ({
    doneAt: ctx.now,
    effectivenessCheckAt: addDays(ctx.now, EFFECTIVENESS_CHECK_DAYS),
  }));

export const verifyActionEffective = (ctx: CommandContext, ref: string): Outcome =>
  runTransition<CorrectiveAction>(ctx, "action", ref, ACTION_TRANSITIONS.effective);

export function markActionNotEffective(
  ctx: CommandContext,
  ref: string,
  reason: string | undefined,
): Outcome {
  const why = requireReason(reason, "why the action was not effective");
  return runTransition<CorrectiveAction>(
    ctx,
    "action",
    ref,
    ACTION_TRANSITIONS.notEffective,
    () => ({ reopenReason: why, doneAt: null, effectivenessCheckAt: null }),
    why,
  );
}

/** The owner (or a QM) pauses due-date reminders until a date, saying why; recorded in history. */
export async function snoozeActionReminders(
  ctx: CommandContext,
  ref: string,
  until: string | undefined,
  reason: string | undefined,
): Outcome {
  const why = requireReason(reason, "for snoozing the reminders");
  const date = until ? parseISO(until) : null;
  if (!date || !isValid(date) || date <= ctx.now || date > addDays(ctx.now, 90)) {
    throw new QopsError("invalid_input", "Choose a date between tomorrow and 90 days from now.", {
      fieldErrors: { until: "Choose a date between tomorrow and 90 days from now." },
    });
  }
  return runUpdate<CorrectiveAction>(ctx, "action", ref, {
    type: "reminders_snoozed",
    allowedIn: ["open", "in_progress", "reopened"],
    who: "owner_or_qm",
    action: "snooze its reminders",
    reason: why,
    fields: () => ({ snoozedUntil: date }),
  });
}
