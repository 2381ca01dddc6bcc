import { systemContext } from "../../commands/context.js";
import type { NewDelivery } from "../../outbox/enqueue.js";
import { workingDayOf } from "../../time/workingHours.js";
import { addDays, dayOf, daysBetween, startOfDay } from "../../time/zone.js";
import { buttons, message, paragraph } from "../../views/build.js";
import { day, rich } from "../../views/rich.js";
import { dueDayOf } from "../common.js";
import type { RecordKindDef } from "../kind.js";
import { buttonsFor } from "../lifecycle.js";
import { holders, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { ACTION_TRANSITIONS, dueSeries, effectivenessOccasion } from "./lifecycle.js";
import { type CorrectiveAction, CorrectiveActionModel, WORKING_ACTION_STATES } from "./model.js";

/** Days after the due day from which the QMs hear of an action whose owner let every reminder pass. */
export const ESCALATE_AFTER_DAYS = 8;

export function ignoredActions(
  actions: CorrectiveAction[],
  workspace: Workspace,
  now: Date,
): CorrectiveAction[] {
  const today = dayOf(now, zoneOf(workspace));
  return actions.filter(
    (a) =>
      WORKING_ACTION_STATES.includes(a.state) &&
      !(a.snoozedUntil && now < a.snoozedUntil) &&
      daysBetween(dueDayOf(a, workspace), today) >= ESCALATE_AFTER_DAYS,
  );
}

/**
 * The reminders due about actions: the owner 2 days before the due day, on it, and weekly while
 * it is overdue; the QMs when an effectiveness check is due, and (one list per QM and working
 * day, drawn when it is sent) of actions whose owners let every reminder pass. Each occasion's
 * key names the action, its due day and the step, so running this every hour records each once.
 */
export async function actionReminders(
  def: RecordKindDef,
  workspace: Workspace,
  now: Date,
): Promise<NewDelivery[]> {
  const workspaceId = workspace.workspaceId;
  const zone = zoneOf(workspace);
  const today = dayOf(now, zone);
  const ctx = systemContext(workspaceId, now);
  const qms = holders(workspace, "qm");
  const actions = (await CorrectiveActionModel.find({ workspaceId }).lean()) as CorrectiveAction[];
  const items: NewDelivery[] = [];
  for (const a of actions) {
    const ref = a.ref ?? "";
    const snoozed = a.snoozedUntil && now < a.snoozedUntil;
    if (WORKING_ACTION_STATES.includes(a.state) && !snoozed) {
      const dueDay = dueDayOf(a, workspace);
      const series = dueSeries(a, workspace);
      const view = (text: ReturnType<typeof rich>) =>
        message(text, [
          paragraph(text),
          paragraph(`Problem: ${a.problem.slice(0, 300)}`),
          ...buttons(buttonsFor(ctx, def, ACTION_TRANSITIONS, a, { userId: a.owner.id, roles: [] })),
        ]);
      const remind = (step: string, from: string, text: ReturnType<typeof rich>) =>
        items.push({
          workspaceId,
          occasion: `${series}:${step}`,
          recipientId: a.owner.id,
          notBefore: startOfDay(from, zone),
          content: { view: view(text) },
          recordKey: a._id,
        });
      const twoBefore = addDays(dueDay, -2);
      if (today >= twoBefore && today < dueDay)
        remind("2-days", twoBefore, rich`${ref} is due in 2 days (${day(dueDay)}).`);
      // Each reminder only within its own window: after a snooze, no stale "due today".
      if (today === dueDay) remind("on-the-day", dueDay, rich`${ref} is due today (${day(dueDay)}).`);
      const weeks = Math.floor(daysBetween(dueDay, today) / 7);
      if (weeks >= 1)
        remind(
          `overdue-week-${weeks}`,
          addDays(dueDay, weeks * 7),
          rich`${ref} is ${weeks} week${weeks > 1 ? "s" : ""} overdue (due ${day(dueDay)}).`,
        );
    }
    if (a.state === "done" && a.effectivenessCheckAt && now >= a.effectivenessCheckAt) {
      for (const qm of qms) {
        const text = rich`Time to check whether ${ref} was effective (owner ${a.owner.name}).`;
        items.push({
          workspaceId,
          occasion: effectivenessOccasion(a),
          recipientId: qm.id,
          notBefore: a.effectivenessCheckAt,
          content: {
            view: message(text, [
              paragraph(text),
              paragraph(`Problem: ${a.problem.slice(0, 300)}`),
              ...buttons(buttonsFor(ctx, def, ACTION_TRANSITIONS, a, { userId: qm.id, roles: ["qm"] })),
            ]),
          },
          recordKey: a._id,
        });
      }
    }
  }
  if (ignoredActions(actions, workspace, now).length) {
    for (const qm of qms) {
      // One list per QM and working day (a weekend's runs fall on Monday's), drawn when it goes out.
      const workingDay = workingDayOf(now, zone, workspace.workingHours);
      items.push({
        workspaceId,
        occasion: `escalation:actions:${workingDay}`,
        recipientId: qm.id,
        notBefore: now,
        content: { dynamic: { type: "actionEscalation" } },
      });
    }
  }
  return items;
}
