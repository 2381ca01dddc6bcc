import { systemContext } from "../../commands/context.js";
import type { NewDelivery } from "../../outbox/enqueue.js";
import { addDays, dayOf, startOfDay } from "../../time/zone.js";
import { buttons, heading, message, paragraph } from "../../views/build.js";
import { day, rich } from "../../views/rich.js";
import { buttonsFor } from "../lifecycle.js";
import { zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { auditKind, auditLines } from "./index.js";
import { AUDIT_REMINDER_DAYS, REPORT_DUE_DAYS, start } from "./lifecycle.js";
import { type InternalAudit, InternalAuditModel } from "./model.js";
import { auditDay } from "./programme.js";
import { report } from "./report.js";

/**
 * The audit calendar: the lead auditor and auditees some days before (each in their working
 * hours), and the lead auditor when the report of an audit in progress is a week late.
 */
export async function auditReminders(workspace: Workspace, now: Date): Promise<NewDelivery[]> {
  const zone = zoneOf(workspace);
  const todayDay = dayOf(now, zone);
  const ctx = systemContext(workspace.workspaceId, now);
  const audits = (await InternalAuditModel.find({
    workspaceId: workspace.workspaceId,
    state: { $in: ["scheduled", "in_progress"] },
  }).lean()) as InternalAudit[];
  const items: NewDelivery[] = [];
  for (const a of audits) {
    const when = auditDay(a, workspace);
    if (!when || !a.leadAuditor) continue;
    const lead = a.leadAuditor;
    for (const days of workspace.auditReminderDays?.length
      ? workspace.auditReminderDays
      : AUDIT_REMINDER_DAYS) {
      const from = addDays(when, -days);
      if (a.state !== "scheduled" || todayDay < from || todayDay > when) continue;
      for (const p of [lead, ...a.auditees]) {
        const isLead = p.id === lead.id;
        const text = rich`${a.ref} — ${a.process} — is on ${day(when)}; you are ${isLead ? "the lead auditor" : "an auditee"}.`;
        items.push({
          workspaceId: workspace.workspaceId,
          occasion: `audit:${a.ref}:${when}:${days}-days`,
          recipientId: p.id,
          notBefore: startOfDay(from, zone),
          content: {
            view: message(text, [
              heading(`Internal audit ${a.ref} ${days === 1 ? "tomorrow" : `in ${days} days`}`),
              paragraph(text),
              ...auditLines(a, workspace),
              ...buttons(
                isLead ? buttonsFor(ctx, auditKind, [start], a, { userId: lead.id, roles: [] }) : [],
              ),
            ]),
          },
          recordKey: a._id,
        });
      }
    }
    const reportDue = addDays(when, REPORT_DUE_DAYS);
    // Chased only for an audit that was held: one never started shows as late in the programme.
    if (a.state === "in_progress" && todayDay >= reportDue) {
      const text = rich`The report of ${a.ref} (${a.process}, audited ${day(when)}) was due ${day(reportDue)}.`;
      items.push({
        workspaceId: workspace.workspaceId,
        occasion: `audit:${a.ref}:report-overdue-${reportDue}`,
        recipientId: lead.id,
        notBefore: startOfDay(reportDue, zone),
        content: {
          view: message(text, [
            heading(`Audit report ${a.ref} overdue`),
            paragraph(text),
            ...buttons(buttonsFor(ctx, auditKind, [report], a, { userId: lead.id, roles: [] })),
          ]),
        },
        recordKey: a._id,
      });
    }
  }
  return items;
}
