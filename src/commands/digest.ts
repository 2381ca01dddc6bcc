import { addDays, subDays } from "date-fns";
import type { OutboundMessage } from "../bot/ports.js";
import { ComplaintModel } from "../models/complaint.js";
import { QualityObjectiveModel } from "../models/controlledDocument.js";
import { CorrectiveActionModel } from "../models/correctiveAction.js";
import { InternalAuditModel, ManagementReviewModel } from "../models/internalAudit.js";
import { formatDate } from "./context.js";
import { objectiveStanding, withUnit } from "./objectives/objectiveCommands.js";
import { currentPolicy, policyStatus } from "./policy/policyCommands.js";

export type DigestContent = Omit<OutboundMessage, "deliveryId">;

/**
 * The weekly digest for the quality channel: new and closed complaints of the last 7 days,
 * overdue actions, audits and reviews in the next 30 days, objectives off target, and the
 * policy acknowledgement rate while it is below 100%. Null when there is nothing to say.
 */
export async function weeklyDigest(workspaceId: string, now: Date): Promise<DigestContent | null> {
  const weekAgo = subDays(now, 7);
  const in30 = addDays(now, 30);
  const ws = { workspaceId };
  const [complaints, actions, audits, reviews, objectives] = await Promise.all([
    ComplaintModel.find(ws).lean(),
    CorrectiveActionModel.find({ ...ws, state: { $in: ["open", "in_progress", "reopened"] } }).lean(),
    InternalAuditModel.find({ ...ws, state: { $in: ["planned", "scheduled", "in_progress"] } }).lean(),
    ManagementReviewModel.find({ ...ws, state: "scheduled" }).lean(),
    QualityObjectiveModel.find({ ...ws, state: "active" }).lean(),
  ]);
  const fresh = complaints.filter((c) => c.createdAt >= weekAgo && c.createdAt < now);
  const closed = complaints.filter(
    (c) => c.state === "closed" && c.stateChangedAt >= weekAgo && c.stateChangedAt < now,
  );
  const overdue = actions.filter((a) => a.dueAt < now);
  const comingAudits = audits.filter(
    (a) => a.scheduledFor && a.scheduledFor >= subDays(now, 1) && a.scheduledFor <= in30,
  );
  const comingReviews = reviews.filter((r) => r.scheduledFor >= subDays(now, 1) && r.scheduledFor <= in30);
  const offTarget = objectives.filter((o) => objectiveStanding(o).met === false);
  const lines: string[] = [];
  const list = (items: string[]) =>
    items.length > 10 ? `${items.slice(0, 10).join(", ")} and ${items.length - 10} more` : items.join(", ");
  if (fresh.length)
    lines.push(`New complaints: ${fresh.length} (${list(fresh.map((c) => `${c.ref} ${c.severity}`))})`);
  if (closed.length)
    lines.push(`Closed complaints: ${closed.length} (${list(closed.map((c) => c.ref ?? ""))})`);
  if (overdue.length)
    lines.push(
      `Overdue actions: ${overdue.length} (${list(overdue.map((a) => `${a.ref} due ${formatDate(a.dueAt)}, ${a.owner.name}`))})`,
    );
  if (comingAudits.length)
    lines.push(
      `Audits in the next 30 days: ${list(comingAudits.map((a) => `${a.ref} ${a.process} on ${formatDate(a.scheduledFor as Date)}`))}`,
    );
  if (comingReviews.length)
    lines.push(
      `Management reviews in the next 30 days: ${list(comingReviews.map((r) => `${r.ref} on ${formatDate(r.scheduledFor)}`))}`,
    );
  if (offTarget.length)
    lines.push(
      `Objectives off target: ${list(
        offTarget.map((o) => {
          const s = objectiveStanding(o);
          return `${o.name} ${withUnit(s.latest ?? "", o.unit)} (target ${o.direction === "at_least" ? "≥" : "≤"} ${withUnit(o.target, o.unit)})`;
        }),
      )}`,
    );
  const policy = await currentPolicy(workspaceId);
  if (policy) {
    const status = await policyStatus({
      workspaceId,
      platform: workspaceId.startsWith("teams:") ? "teams" : "slack",
      actor: { id: "qops", name: "QOps" },
      now,
    });
    if (status.rate < 1)
      lines.push(
        `Policy ${policy.ref} acknowledged by ${status.acknowledged} of ${status.members} members (${Math.round(status.rate * 100)}%)`,
      );
  }
  if (!lines.length) return null;
  return {
    title: `Quality week ending ${formatDate(now)}`,
    text: `📊 The QMS this week: ${lines.length} thing${lines.length === 1 ? "" : "s"} to know.`,
    lines,
  };
}
