/**
 * Every Slack entry point QOps registers, in one place: the manifest test checks these
 * against manifests/slack/manifest.json in both directions.
 */
export const SLASH_COMMANDS = {
  complaint: "/complaint",
  idea: "/idea",
  qms: "/qms",
  policy: "/policy",
} as const;

export const SHORTCUTS = {
  logComplaint: "complaint.from_message",
} as const;

export const VIEWS = {
  newComplaint: "complaint.new",
  rejectComplaint: "complaint.reject_reason",
  closeComplaint: "complaint.close",
  newIdea: "idea.new",
  rejectIdea: "idea.reject_reason",
  newAction: "action.new",
  actionNotEffective: "action.not_effective_reason",
  draftPolicy: "policy.draft",
  snoozeAction: "action.snooze",
} as const;

export const ACTIONS = {
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
  qmsSetChannel: "qms.set_channel",
  policyApprove: "policy.approve",
  policyPublish: "policy.publish",
  policyAcknowledge: "policy.acknowledge",
} as const;

export const EVENTS = {
  appHomeOpened: "app_home_opened",
} as const;
