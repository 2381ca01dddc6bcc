import { RECORD_ACTIONS } from "../../commands/buttons.js";

/**
 * Every Slack entry point QOps registers, in one place: the manifest test checks these
 * against manifests/slack/manifest.json in both directions.
 */
export const SLASH_COMMANDS = {
  complaint: "/complaint",
  idea: "/idea",
  qms: "/qms",
  policy: "/policy",
  audit: "/audit",
  review: "/review",
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
  scheduleAudit: "audit.schedule",
  objectiveValue: "objective.value",
} as const;

export const ACTIONS = {
  ...RECORD_ACTIONS,
  qmsSetChannel: "qms.set_channel",
} as const;

export const EVENTS = {
  appHomeOpened: "app_home_opened",
} as const;
