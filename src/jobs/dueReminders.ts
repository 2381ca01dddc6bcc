import type { Agenda } from "agenda";
import { addDays, differenceInCalendarDays, format, startOfDay, subDays } from "date-fns";
import { ComplaintModel, type ComplaintState } from "../models/complaint.js";
import { CorrectiveActionModel } from "../models/correctiveAction.js";
import { MemberModel } from "../models/member.js";
import { WorkspaceModel } from "../models/workspace.js";
import { cancelDeliveries, enqueueDeliveries, type NewDelivery } from "./deliveryEngine.js";
import type { JobDeps } from "./deps.js";

export const DUE_REMINDERS = "due-reminders";

const day = (d: Date) => format(d, "yyyy-MM-dd");
/** Days after the first overdue reminder before the QMs are told. */
const ESCALATE_AFTER_DAYS = 1;
const OPEN_ACTION: string[] = ["open", "in_progress", "reopened"];
const OPEN_COMPLAINT: ComplaintState[] = ["new", "accepted", "investigating", "resolved"];

/**
 * Records the reminders that are due about actions and complaints. Each occasion's key names
 * the record, the due date and the step, so running this every hour (on every worker) records
 * each reminder once, and a changed due date starts a fresh series.
 */
export async function recordDueReminders(deps: JobDeps): Promise<number> {
  const now = deps.clock.now();
  const items: NewDelivery[] = [];
  for (const workspace of await WorkspaceModel.find({}, { workspaceId: 1 }).lean()) {
    const workspaceId = workspace.workspaceId;
    const qms = (
      await MemberModel.find({ workspaceId, roles: "qm", active: true }, { userId: 1 }).lean()
    ).map((m) => m.userId);

    const actions = await CorrectiveActionModel.find({ workspaceId }).lean();
    for (const action of actions) {
      const ref = action.ref ?? "";
      const snoozed = action.snoozedUntil && now < action.snoozedUntil;
      if (!OPEN_ACTION.includes(action.state) || snoozed) {
        // Done, closed or snoozed: nothing about its due date (until the snooze ends).
        await cancelDeliveries(workspaceId, action.owner.id, `action:${ref}:due`);
      } else {
        const due = action.dueAt;
        const series = `action:${ref}:due-${day(due)}`;
        const buttons = [
          ...(action.state === "in_progress"
            ? []
            : [{ actionId: "action.start", text: "Start", value: ref }]),
          { actionId: "action.complete", text: "Mark done", value: ref, style: "primary" as const },
          { actionId: "action.snooze", text: "Snooze", value: ref },
        ];
        const line = `Problem: ${action.problem.slice(0, 300)}`;
        const twoDaysBefore = startOfDay(subDays(due, 2));
        if (now >= twoDaysBefore && now < due) {
          items.push({
            workspaceId,
            occasion: `${series}:2-days`,
            recipientId: action.owner.id,
            notBefore: twoDaysBefore,
            content: {
              text: `${ref} is due in 2 days (${day(due)}).`,
              title: `${ref} due ${day(due)}`,
              lines: [line],
              buttons,
            },
          });
        }
        // Each reminder only within its own window: after a snooze, no stale "due today".
        if (now >= startOfDay(due) && now < addDays(startOfDay(due), 1)) {
          items.push({
            workspaceId,
            occasion: `${series}:on-the-day`,
            recipientId: action.owner.id,
            notBefore: startOfDay(due),
            content: { text: `${ref} is due today.`, title: `${ref} due today`, lines: [line], buttons },
          });
        }
        const overdueWeeks = Math.floor(differenceInCalendarDays(now, due) / 7);
        if (overdueWeeks >= 1) {
          items.push({
            workspaceId,
            occasion: `${series}:overdue-week-${overdueWeeks}`,
            recipientId: action.owner.id,
            notBefore: addDays(startOfDay(due), overdueWeeks * 7),
            content: {
              text: `${ref} is ${overdueWeeks} week${overdueWeeks > 1 ? "s" : ""} overdue (due ${day(due)}).`,
              title: `${ref} overdue`,
              lines: [line],
              buttons,
            },
          });
        }
      }
      if (action.state === "done" && action.effectivenessCheckAt && now >= action.effectivenessCheckAt) {
        for (const qm of qms) {
          items.push({
            workspaceId,
            occasion: `action:${ref}:effectiveness-${day(action.effectivenessCheckAt)}`,
            recipientId: qm,
            notBefore: action.effectivenessCheckAt,
            content: {
              text: `Time to check whether ${ref} was effective.`,
              title: `Effectiveness check: ${ref}`,
              lines: [`Problem: ${action.problem.slice(0, 300)}`, `Owner: ${action.owner.name}`],
              buttons: [
                { actionId: "action.effective", text: "Effective", value: ref, style: "primary" },
                { actionId: "action.not_effective", text: "Not effective", value: ref, style: "danger" },
              ],
            },
          });
        }
      }
    }

    // Owners who let the reminders pass (2 days before, on the day, a week overdue): the QMs get
    // the list, one message a day, not one per action.
    const ignored = actions.filter(
      (a) =>
        OPEN_ACTION.includes(a.state) &&
        !(a.snoozedUntil && now < a.snoozedUntil) &&
        differenceInCalendarDays(now, a.dueAt) >= 7 + ESCALATE_AFTER_DAYS,
    );
    if (ignored.length) {
      for (const qm of qms) {
        items.push({
          workspaceId,
          occasion: `escalation:actions:${day(now)}`,
          recipientId: qm,
          notBefore: now,
          content: {
            text: `${ignored.length} corrective action${ignored.length > 1 ? "s are" : " is"} overdue despite reminders.`,
            title: "Overdue corrective actions",
            lines: ignored
              .slice(0, 50)
              .map((a) => `${a.ref} (owner ${a.owner.name}, due ${day(a.dueAt)}): ${a.problem.slice(0, 80)}`),
          },
        });
      }
    }

    const breached = (
      await ComplaintModel.find({ workspaceId, state: { $in: OPEN_COMPLAINT } }).lean()
    ).filter((c) => c.dueAt < now);
    for (const complaint of breached) {
      const to = complaint.owner?.id;
      if (to) {
        items.push({
          workspaceId,
          occasion: `complaint:${complaint.ref}:sla-${day(complaint.dueAt)}:owner`,
          recipientId: to,
          notBefore: complaint.dueAt,
          content: {
            text: `${complaint.ref} is past its due date (${day(complaint.dueAt)}).`,
            title: `${complaint.ref} overdue`,
            lines: [complaint.title],
          },
        });
      }
    }
    // The QMs hear of breaches a day later, all in one message per day.
    const forQms = breached.filter((c) => now.getTime() - c.dueAt.getTime() >= 24 * 3600_000);
    if (forQms.length) {
      for (const qm of qms) {
        items.push({
          workspaceId,
          occasion: `escalation:complaints:${day(now)}`,
          recipientId: qm,
          notBefore: now,
          content: {
            text: `${forQms.length} complaint${forQms.length > 1 ? "s are" : " is"} past due.`,
            title: "Complaints past due",
            lines: forQms
              .slice(0, 50)
              .map((c) => `${c.ref} (${c.severity}, due ${day(c.dueAt)}): ${c.title.slice(0, 80)}`),
          },
        });
      }
    }
  }
  return enqueueDeliveries(items, now);
}

export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(DUE_REMINDERS, async () => {
    await recordDueReminders(deps);
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("1 hour", DUE_REMINDERS);
}
