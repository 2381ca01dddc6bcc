import { TZDate } from "@date-fns/tz";
import type { Agenda } from "agenda";
import { addDays, format, getISOWeek, getISOWeekYear, startOfDay, subDays } from "date-fns";
import { AUDIT_REMINDER_DAYS, REPORT_DUE_DAYS } from "../commands/audits/auditCommands.js";
import { RECORD_ACTIONS } from "../commands/buttons.js";
import type { CommandContext } from "../commands/context.js";
import { weeklyDigest } from "../commands/digest.js";
import { periodOf, previousPeriod } from "../commands/objectives/objectiveCommands.js";
import { MINUTES_DUE_DAYS, REVIEW_PREP_DAYS, reviewPack } from "../commands/reviews/reviewCommands.js";
import { ControlledDocumentModel, QualityObjectiveModel } from "../models/controlledDocument.js";
import { ReminderDeliveryModel } from "../models/delivery.js";
import { InternalAuditModel, ManagementReviewModel } from "../models/internalAudit.js";
import { MemberModel } from "../models/member.js";
import { type Workspace, WorkspaceModel } from "../models/workspace.js";
import { deliveryId, enqueueDeliveries, type NewDelivery } from "./deliveryEngine.js";
import type { JobDeps } from "./deps.js";

export const QMS_CALENDAR = "qms-calendar";

const day = (d: Date) => format(d, "yyyy-MM-dd");

/** A context for reading on the system's behalf (the review pack for a reminder). */
const systemContext = (workspaceId: string, now: Date): CommandContext => ({
  workspaceId,
  platform: workspaceId.startsWith("teams:") ? "teams" : "slack",
  actor: { id: "qops", name: "QOps" },
  now,
});

/**
 * Records the QMS calendar's reminders (audits, management reviews, document reviews,
 * objective readings) and the weekly digest. Each occasion's key names the record, its date
 * and the step, so running this hourly on every worker records each once.
 */
export async function recordCalendar(deps: JobDeps): Promise<number> {
  const now = deps.clock.now();
  let recorded = 0;
  for (const workspace of await WorkspaceModel.find({}).lean()) {
    const workspaceId = workspace.workspaceId;
    // One workspace's problem does not hold the others' reminders back.
    try {
      const qms = (
        await MemberModel.find({ workspaceId, roles: "qm", active: true }, { userId: 1 }).lean()
      ).map((m) => m.userId);
      const items: NewDelivery[] = [
        ...(await auditReminders(workspaceId, now, (workspace as Workspace).auditReminderDays)),
        ...(await reviewReminders(workspaceId, now, qms)),
        ...(await documentReminders(workspaceId, now)),
        ...(await objectiveRequests(workspaceId, now)),
      ];
      const digest = await digestFor(workspace as Workspace, now);
      if (digest) items.push(digest);
      recorded += await enqueueDeliveries(items, now);
    } catch (error) {
      deps.logger.error(
        { err: error, workspaceId, job: QMS_CALENDAR },
        "calendar reminders failed for a workspace",
      );
    }
  }
  return recorded;
}

async function auditReminders(
  workspaceId: string,
  now: Date,
  reminderDays: number[] | undefined,
): Promise<NewDelivery[]> {
  const items: NewDelivery[] = [];
  const audits = await InternalAuditModel.find({
    workspaceId,
    state: { $in: ["scheduled", "in_progress"] },
  }).lean();
  for (const audit of audits) {
    const ref = audit.ref ?? "";
    const date = audit.scheduledFor;
    if (!date || !audit.leadAuditor) continue;
    for (const days of reminderDays?.length ? reminderDays : AUDIT_REMINDER_DAYS) {
      const from = startOfDay(subDays(date, days));
      if (audit.state !== "scheduled" || now < from || now >= addDays(date, 1)) continue;
      for (const person of [audit.leadAuditor, ...audit.auditees]) {
        const lead = person.id === audit.leadAuditor.id;
        items.push({
          workspaceId,
          occasion: `audit:${ref}:${day(date)}:${days}-days`,
          recipientId: person.id,
          notBefore: from,
          content: {
            title: `Internal audit ${ref} ${days === 1 ? "tomorrow" : `in ${days} days`}`,
            text: `${ref} — ${audit.process} — is on ${day(date)}; you are ${lead ? "the lead auditor" : "an auditee"}.`,
            lines: [
              `Clauses: ${audit.clauses.join(", ") || "—"}`,
              `Lead auditor: ${audit.leadAuditor.name}; auditees: ${audit.auditees.map((a) => a.name).join(", ") || "—"}`,
              ...(lead && audit.checklist.length ? [`Checklist: ${audit.checklist.length} questions`] : []),
            ],
            buttons: lead ? [{ actionId: RECORD_ACTIONS.auditStart, text: "Start audit", value: ref }] : [],
          },
        });
      }
    }
    const reportDue = startOfDay(addDays(date, REPORT_DUE_DAYS));
    if (now >= reportDue) {
      items.push({
        workspaceId,
        occasion: `audit:${ref}:report-overdue-${day(reportDue)}`,
        recipientId: audit.leadAuditor.id,
        notBefore: reportDue,
        content: {
          title: `Audit report ${ref} overdue`,
          text: `The report of ${ref} (${audit.process}, audited ${day(date)}) was due ${day(reportDue)}.`,
          lines: [`Findings so far: ${audit.findings.length}`],
          buttons:
            audit.state === "in_progress"
              ? [
                  {
                    actionId: RECORD_ACTIONS.auditReport,
                    text: "Issue report",
                    value: ref,
                    style: "primary" as const,
                  },
                ]
              : [{ actionId: RECORD_ACTIONS.auditStart, text: "Start audit", value: ref }],
        },
      });
    }
  }
  return items;
}

async function reviewReminders(workspaceId: string, now: Date, qms: string[]): Promise<NewDelivery[]> {
  const items: NewDelivery[] = [];
  const reviews = await ManagementReviewModel.find({ workspaceId, state: "scheduled" }).lean();
  for (const review of reviews) {
    const ref = review.ref ?? "";
    const date = review.scheduledFor;
    const prep = startOfDay(subDays(date, REVIEW_PREP_DAYS));
    if (now >= prep && now < date) {
      for (const qm of qms) {
        items.push({
          workspaceId,
          occasion: `review:${ref}:${day(date)}:prepare`,
          recipientId: qm,
          notBefore: prep,
          content: {
            title: `Prepare management review ${ref}`,
            text: `${ref} is on ${day(date)}. Check the pack (\`review ${ref} pack\`) and fill in what QOps cannot know (\`review ${ref} input KEY text\`).`,
          },
        });
      }
    }
    const eve = startOfDay(subDays(date, 1));
    const eveOccasion = `review:${ref}:${day(date)}:eve`;
    // The pack is compiled once, when the eve reminders are first recorded, not every hour.
    if (
      now >= eve &&
      now < addDays(date, 1) &&
      !(await recorded(workspaceId, eveOccasion, review.attendees))
    ) {
      const pack = await reviewPack(systemContext(workspaceId, now), ref);
      const lines = [
        `Complaints: ${pack.complaints.total} (previous period ${pack.complaints.previousTotal}); overdue now ${pack.complaints.overdueNow}`,
        `Actions raised: ${pack.actions.raised}; open ${pack.actions.open}; overdue ${pack.actions.overdue}; verified effective ${pack.actions.verifiedEffective}`,
        `Audits: ${pack.audits.done} of ${pack.audits.planned} done; nonconformities ${pack.actions.nonconformities}`,
        `Ideas: ${pack.ideas.submitted} submitted, ${pack.ideas.approved} approved, ${pack.ideas.implemented} implemented`,
        ...(pack.policy
          ? [`Policy ${pack.policy.ref}: ${Math.round(pack.policy.rate * 100)}% acknowledged`]
          : []),
      ];
      for (const attendee of review.attendees) {
        items.push({
          workspaceId,
          occasion: eveOccasion,
          recipientId: attendee.id,
          notBefore: eve,
          content: {
            title: `Management review ${ref} tomorrow`,
            text: `${ref} is on ${day(date)}. The pack, in short:`,
            lines,
          },
        });
      }
    }
    const minutesDue = startOfDay(addDays(date, MINUTES_DUE_DAYS));
    if (now >= minutesDue) {
      for (const qm of qms) {
        items.push({
          workspaceId,
          occasion: `review:${ref}:minutes-overdue-${day(minutesDue)}`,
          recipientId: qm,
          notBefore: minutesDue,
          content: {
            title: `Minutes of ${ref} overdue`,
            text: `The minutes of ${ref} (held ${day(date)}) were due ${day(minutesDue)}: \`review ${ref} minutes …\`.`,
          },
        });
      }
    }
  }
  return items;
}

async function documentReminders(workspaceId: string, now: Date): Promise<NewDelivery[]> {
  const docs = await ControlledDocumentModel.find({
    workspaceId,
    documentType: { $in: ["manual", "procedure"] },
    state: "published",
  }).lean();
  return docs
    .filter((d) => d.nextReviewAt && d.nextReviewAt <= now)
    .map((d) => ({
      workspaceId,
      occasion: `document:${d.ref}:review-${day(d.nextReviewAt as Date)}`,
      recipientId: d.owner.id,
      notBefore: d.nextReviewAt as Date,
      content: {
        title: `Review due: ${d.ref} ${d.title}`,
        text: `${d.ref} "${d.title}" (version ${d.version}) is due for its review. Record "reviewed, no change", or a new version with \`qms docs ${d.ref} version LINK\`.`,
        lines: d.link ? [d.link] : [],
        buttons: [
          { actionId: RECORD_ACTIONS.documentReviewed, text: "Reviewed, no change", value: d.ref ?? "" },
        ],
      },
    }));
}

async function objectiveRequests(workspaceId: string, now: Date): Promise<NewDelivery[]> {
  const objectives = await QualityObjectiveModel.find({ workspaceId, state: "active" }).lean();
  const items: NewDelivery[] = [];
  for (const o of objectives) {
    const period = previousPeriod(o.frequency, now);
    // Ask from the start of the period after it, once, and only for periods since it was set.
    if (o.readings.some((r) => r.period === period) || periodOf(o.frequency, o.createdAt) > period) continue;
    items.push({
      workspaceId,
      occasion: `objective:${o.ref}:${period}`,
      recipientId: o.owner.id,
      notBefore: now,
      content: {
        title: `${o.name}: value for ${period}`,
        text: `Please record ${o.name} for ${period} (target ${o.direction === "at_least" ? "at least" : "at most"} ${o.target}${o.unit}).`,
        buttons: [{ actionId: RECORD_ACTIONS.objectiveRecord, text: "Record value", value: o.ref ?? "" }],
      },
    });
  }
  return items;
}

/** Monday from 09:00 workspace time (until noon, should a run be missed), once per ISO week. */
async function digestFor(workspace: Workspace, now: Date): Promise<NewDelivery | null> {
  if (!workspace.qualityChannelId) return null;
  const local = new TZDate(now.getTime(), workspace.timezone || "UTC");
  if (local.getDay() !== 1 || local.getHours() < 9 || local.getHours() >= 12) return null;
  const occasion = `digest:${getISOWeekYear(local)}-W${String(getISOWeek(local)).padStart(2, "0")}`;
  const channel = { id: workspace.qualityChannelId };
  if (await recorded(workspace.workspaceId, occasion, [channel])) return null;
  const content = await weeklyDigest(workspace.workspaceId, now);
  if (!content) return null;
  return {
    workspaceId: workspace.workspaceId,
    occasion,
    recipientId: workspace.qualityChannelId,
    notBefore: now,
    workingHoursOnly: false,
    content,
  };
}

/** Whether an occasion is already recorded for every one of these recipients (reads by `_id`). */
async function recorded(
  workspaceId: string,
  occasion: string,
  recipients: { id: string }[],
): Promise<boolean> {
  if (!recipients.length) return false;
  const found = await Promise.all(
    recipients.map((r) => ReminderDeliveryModel.exists({ _id: deliveryId(workspaceId, occasion, r.id) })),
  );
  return found.every(Boolean);
}

export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(QMS_CALENDAR, async () => {
    await recordCalendar(deps);
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("1 hour", QMS_CALENDAR);
}
