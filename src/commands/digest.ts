import { getISOWeek, getISOWeekYear } from "date-fns";
import { chartBlock } from "../dashboard/chartLinks.js";
import type { NewDelivery } from "../outbox/enqueue.js";
import type { CorrectiveAction } from "../records/action/model.js";
import { CorrectiveActionModel } from "../records/action/model.js";
import { type InternalAudit, InternalAuditModel } from "../records/audit/model.js";
import { auditDay } from "../records/audit/programme.js";
import { dueDayOf } from "../records/common.js";
import { type Complaint, ComplaintModel } from "../records/complaint/model.js";
import {
  objectiveStanding,
  type QualityObjective,
  QualityObjectiveModel,
  withUnit,
} from "../records/objective/index.js";
import { currentPolicy } from "../records/policy/commands.js";
import { statusOf } from "../records/policy/status.js";
import { type ManagementReview, ManagementReviewModel } from "../records/review/model.js";
import { zoneOf } from "../records/workspace/access.js";
import type { Workspace } from "../records/workspace/model.js";
import { addDays, dayOf, timeOfDay, weekday } from "../time/zone.js";
import { heading, list, message } from "../views/build.js";
import { day, type Rich, rich } from "../views/rich.js";
import type { MessageView } from "../views/types.js";

/**
 * The weekly digest for the quality channel, drawn when it is sent: new and closed complaints of
 * the last 7 days, overdue actions, audits and reviews in the next 30 days, objectives off
 * target, and the policy acknowledgement rate while it is below 100%. Null when there is nothing
 * to say (the delivery is then cancelled).
 */
export async function weeklyDigest(workspace: Workspace, now: Date): Promise<MessageView | null> {
  const workspaceId = workspace.workspaceId;
  const zone = zoneOf(workspace);
  const today = dayOf(now, zone);
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000);
  const in30 = addDays(today, 30);
  const ws = { workspaceId };
  const [complaints, actions, audits, reviews, objectives] = (await Promise.all([
    ComplaintModel.find(ws).lean(),
    CorrectiveActionModel.find({ ...ws, state: { $in: ["open", "in_progress", "reopened"] } }).lean(),
    InternalAuditModel.find({ ...ws, state: { $in: ["planned", "scheduled", "in_progress"] } }).lean(),
    ManagementReviewModel.find({ ...ws, state: "scheduled" }).lean(),
    QualityObjectiveModel.find({ ...ws, state: "active" }).lean(),
  ])) as [Complaint[], CorrectiveAction[], InternalAudit[], ManagementReview[], QualityObjective[]];
  const fresh = complaints.filter((c) => c.createdAt >= weekAgo && c.createdAt < now);
  const closed = complaints.filter(
    (c) => c.state === "closed" && c.stateChangedAt >= weekAgo && c.stateChangedAt < now,
  );
  const overdue = actions.filter((a) => a.dueAt < now);
  const comingAudits = audits.filter((a) => {
    const d = auditDay(a, workspace);
    return d && d >= addDays(today, -1) && d <= in30;
  });
  const comingReviews = reviews.filter((r) => {
    const d = r.day ?? dayOf(r.scheduledFor, zone);
    return d >= addDays(today, -1) && d <= in30;
  });
  const offTarget = objectives.filter((o) => objectiveStanding(o).met === false);
  const lines: Rich[] = [];
  const some = <T>(items: T[], show: (item: T) => Rich): Rich => {
    const shown = items.slice(0, 10).flatMap((item, i) => (i ? [", ", ...show(item)] : show(item)));
    return items.length > 10 ? [...shown, ` and ${items.length - 10} more`] : shown;
  };
  if (fresh.length)
    lines.push(rich`New complaints: ${fresh.length} (${some(fresh, (c) => rich`${c.ref} ${c.severity}`)})`);
  if (closed.length)
    lines.push(rich`Closed complaints: ${closed.length} (${some(closed, (c) => rich`${c.ref}`)})`);
  if (overdue.length)
    lines.push(
      rich`Overdue actions: ${overdue.length} (${some(overdue, (a) => rich`${a.ref} due ${day(dueDayOf(a, workspace))}, ${a.owner.name}`)})`,
    );
  if (comingAudits.length)
    lines.push(
      rich`Audits in the next 30 days: ${some(comingAudits, (a) => rich`${a.ref} ${a.process} on ${day(auditDay(a, workspace) ?? "")}`)}`,
    );
  if (comingReviews.length)
    lines.push(
      rich`Management reviews in the next 30 days: ${some(comingReviews, (r) => rich`${r.ref} on ${day(r.day ?? dayOf(r.scheduledFor, zone))}`)}`,
    );
  if (offTarget.length)
    lines.push(
      rich`Objectives off target: ${some(offTarget, (o) => {
        const s = objectiveStanding(o);
        return rich`${o.name} ${withUnit(s.latest ?? "", o.unit)} (target ${o.direction === "at_least" ? "≥" : "≤"} ${withUnit(o.target, o.unit)})`;
      })}`,
    );
  const policy = await currentPolicy(workspace);
  if (policy) {
    const status = await statusOf(workspace, policy);
    if (status.rate < 1)
      lines.push(
        rich`Policy ${policy.ref} acknowledged by ${status.acknowledged} of ${status.members} members (${Math.round(status.rate * 100)}%)`,
      );
  }
  if (!lines.length) return null;
  const text = rich`📊 The QMS this week: ${lines.length} thing${lines.length === 1 ? "" : "s"} to know.`;
  return message(text, [
    heading(rich`Quality week ending ${day(today)}`),
    { type: "paragraph", text },
    list(lines),
    ...(await chartBlock(
      workspace.workspaceId,
      "complaints-per-month",
      "Complaints logged per month over the last 12 months",
      now,
    )),
  ]);
}

/**
 * The next weekly digest, recorded ahead to go out at Monday 09:00 in the workspace's zone (its
 * content is drawn then). Null without a quality channel.
 */
export function nextDigest(workspace: Workspace, now: Date): NewDelivery | null {
  if (!workspace.qualityChannelId) return null;
  const zone = zoneOf(workspace);
  let monday = dayOf(now, zone);
  while (weekday(monday) !== 1) monday = addDays(monday, 1);
  let at = timeOfDay(monday, "09:00", zone);
  if (at < now) {
    // This Monday's 09:00 has passed: the digest of this week was recorded before; the next one.
    monday = addDays(monday, 7);
    at = timeOfDay(monday, "09:00", zone);
  }
  const [y, m, d] = monday.split("-").map(Number) as [number, number, number];
  const local = new Date(Date.UTC(y, m - 1, d, 12));
  return {
    workspaceId: workspace.workspaceId,
    occasion: `digest:${getISOWeekYear(local)}-W${String(getISOWeek(local)).padStart(2, "0")}`,
    recipientId: workspace.qualityChannelId,
    to: "channel",
    notBefore: at,
    workingHoursOnly: false,
    content: { dynamic: { type: "digest" } },
  };
}
