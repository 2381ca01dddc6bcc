import { RECORD_ACTIONS } from "../../commands/buttons.js";

/**
 * Every Teams entry point in one place: the manifest test checks the commands against
 * manifests/teams/manifest.json in both directions.
 */
export const TEAMS_COMMANDS = {
  complaint: "complaint",
  idea: "idea",
  qms: "qms",
  policy: "policy",
  audit: "audit",
  review: "review",
  help: "help",
} as const;

/** Action.Execute verbs: the record buttons (shared with Slack) and the forms. */
export const VERBS = {
  ...RECORD_ACTIONS,
  complaintSubmit: "complaint.submit",
  ideaSubmit: "idea.submit",
  actionSubmit: "action.submit",
  policyDraftSubmit: "policy.draft_submit",
  auditSubmit: "audit.submit",
  /** A card asking for its current state (Universal Actions refresh). */
  refresh: "card.refresh",
} as const;
