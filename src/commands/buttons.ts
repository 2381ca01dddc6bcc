import type { MessageButton } from "../bot/ports.js";
import type { Complaint } from "../models/complaint.js";
import type { CorrectiveAction } from "../models/correctiveAction.js";
import type { ImprovementIdea } from "../models/improvementIdea.js";
import type { Performer } from "./lifecycle.js";

/**
 * The buttons on records, the same on every platform: Slack action ids and Teams
 * `Action.Execute` verbs are these strings. The value is always the record's reference.
 */
export const RECORD_ACTIONS = {
  complaintAccept: "complaint.accept",
  complaintReject: "complaint.reject",
  complaintAssign: "complaint.assign",
  complaintInvestigate: "complaint.investigate",
  complaintResolve: "complaint.resolve",
  complaintClose: "complaint.close",
  complaintRaiseAction: "complaint.raise_action",
  ideaVote: "idea.vote",
  ideaApprove: "idea.approve",
  ideaReject: "idea.reject",
  ideaAssign: "idea.assign",
  ideaStart: "idea.start",
  ideaImplement: "idea.implement",
  ideaRaiseAction: "idea.raise_action",
  actionStart: "action.start",
  actionComplete: "action.complete",
  actionEffective: "action.effective",
  actionNotEffective: "action.not_effective",
  actionSnooze: "action.snooze",
  policyApprove: "policy.approve",
  policyPublish: "policy.publish",
  policyAcknowledge: "policy.acknowledge",
  auditStart: "audit.start",
  auditReport: "audit.report",
  auditClose: "audit.close",
  reviewApproveMinutes: "review.approve_minutes",
  documentReviewed: "document.reviewed",
  objectiveRecord: "objective.record",
} as const;

/**
 * Who sees the buttons: a shared place (a channel: everyone, every press checked on the
 * server) or one person (App Home, a direct message), who sees only what they may do.
 */
export type Viewer = { userId: string; isQm: boolean } | "channel";

const A = RECORD_ACTIONS;

function mayPress(viewer: Viewer, ownerId: string | undefined, who: Performer): boolean {
  return (
    viewer === "channel" ||
    who === "anyone" ||
    viewer.isQm ||
    (who === "owner_or_qm" && ownerId === viewer.userId)
  );
}

type Candidate = MessageButton & { who: Performer };

function visible(candidates: Candidate[], viewer: Viewer, ownerId: string | undefined): MessageButton[] {
  return candidates.filter((b) => mayPress(viewer, ownerId, b.who)).map(({ who: _who, ...b }) => b);
}

export function complaintButtons(c: Complaint, viewer: Viewer): MessageButton[] {
  const value = c.ref ?? "";
  const buttons: Candidate[] = [];
  if (c.state === "new") {
    buttons.push({ actionId: A.complaintAccept, text: "Accept", value, style: "primary", who: "qm" });
    buttons.push({ actionId: A.complaintReject, text: "Reject", value, style: "danger", who: "qm" });
  }
  if (c.state === "accepted")
    buttons.push({
      actionId: A.complaintInvestigate,
      text: "Start investigation",
      value,
      who: "owner_or_qm",
    });
  if (c.state === "investigating")
    buttons.push({ actionId: A.complaintResolve, text: "Mark resolved", value, who: "owner_or_qm" });
  if (c.state === "resolved")
    buttons.push({ actionId: A.complaintClose, text: "Close", value, style: "primary", who: "qm" });
  if (["accepted", "investigating", "resolved"].includes(c.state)) {
    buttons.push({
      actionId: A.complaintRaiseAction,
      text: "Raise corrective action",
      value,
      who: "owner_or_qm",
    });
  }
  return visible(buttons, viewer, c.owner?.id);
}

export function ideaButtons(i: ImprovementIdea, viewer: Viewer): MessageButton[] {
  const value = i.ref ?? "";
  const buttons: Candidate[] = [];
  if (["submitted", "approved", "in_progress"].includes(i.state)) {
    const voted = viewer !== "channel" && i.votes.includes(viewer.userId);
    buttons.push({
      actionId: A.ideaVote,
      text: `${voted ? "Unvote" : "Vote"} 👍 ${i.votes.length}`,
      value,
      who: "anyone",
    });
  }
  if (i.state === "submitted") {
    buttons.push({ actionId: A.ideaApprove, text: "Approve", value, style: "primary", who: "qm" });
    buttons.push({ actionId: A.ideaReject, text: "Reject", value, style: "danger", who: "qm" });
  }
  if (i.state === "approved")
    buttons.push({ actionId: A.ideaStart, text: "Start", value, who: "owner_or_qm" });
  if (i.state === "in_progress")
    buttons.push({ actionId: A.ideaImplement, text: "Mark implemented", value, who: "owner_or_qm" });
  if (["approved", "in_progress"].includes(i.state))
    buttons.push({ actionId: A.ideaRaiseAction, text: "Create action", value, who: "owner_or_qm" });
  return visible(buttons, viewer, i.owner?.id);
}

export function actionButtons(a: CorrectiveAction, viewer: Viewer): MessageButton[] {
  const value = a.ref ?? "";
  const buttons: Candidate[] = [];
  if (["open", "reopened"].includes(a.state))
    buttons.push({ actionId: A.actionStart, text: "Start", value, who: "owner_or_qm" });
  if (a.state === "in_progress")
    buttons.push({
      actionId: A.actionComplete,
      text: "Mark done",
      value,
      style: "primary",
      who: "owner_or_qm",
    });
  if (a.state === "done") {
    buttons.push({ actionId: A.actionEffective, text: "Effective", value, style: "primary", who: "qm" });
    buttons.push({
      actionId: A.actionNotEffective,
      text: "Not effective",
      value,
      style: "danger",
      who: "qm",
    });
  }
  return visible(buttons, viewer, a.owner.id);
}
