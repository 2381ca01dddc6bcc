import mongoose, { Schema } from "mongoose";
import { type PersonRef, type RecordBase, recordBaseFields, recordSchemaOptions } from "./recordBase.js";

export const ACTION_STATES = ["open", "in_progress", "done", "verified_effective", "reopened"] as const;
export type ActionState = (typeof ACTION_STATES)[number];
export const ACTION_SOURCES = ["complaint", "audit_finding", "idea", "management_review", "manual"] as const;
export type ActionSource = (typeof ACTION_SOURCES)[number];

export interface CorrectiveAction extends RecordBase {
  state: ActionState;
  actionType: "corrective" | "preventive";
  source: ActionSource;
  /** Reference of the record that raised it (CMP-…, IDEA-…, AUD-…#F2, MR-…), if any. */
  sourceRef: string | null;
  problem: string;
  containment: string;
  rootCause: string;
  plan: string;
  owner: PersonRef;
  dueAt: Date;
  doneAt: Date | null;
  effectivenessCheckAt: Date | null;
  reopenReason: string | null;
  /** Due-date reminders are paused until then (the owner said why, in the history). */
  snoozedUntil: Date | null;
  /** Who moved it into its current state, and when (for "already accepted by …"). */
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  createdBy: PersonRef;
}

const actionSchema = new Schema<CorrectiveAction>(
  {
    ...recordBaseFields,
    stateChangedBy: { type: { id: String, name: String }, _id: false, required: true },
    stateChangedAt: { type: Date, required: true },
    state: { type: String, enum: ACTION_STATES, required: true },
    actionType: { type: String, enum: ["corrective", "preventive"], default: "corrective" },
    source: { type: String, enum: ACTION_SOURCES, required: true },
    sourceRef: { type: String, default: null },
    problem: { type: String, required: true },
    containment: { type: String, default: "" },
    rootCause: { type: String, default: "" },
    plan: { type: String, default: "" },
    owner: { type: { id: String, name: String }, _id: false, required: true },
    dueAt: { type: Date, required: true },
    doneAt: { type: Date, default: null },
    effectivenessCheckAt: { type: Date, default: null },
    reopenReason: { type: String, default: null },
    snoozedUntil: { type: Date, default: null },
    createdBy: { type: { id: String, name: String }, _id: false, required: true },
  },
  { ...recordSchemaOptions, collection: "corrective_actions" },
);
actionSchema.index({ workspaceId: 1, state: 1, dueAt: 1 });
actionSchema.index({ workspaceId: 1, "owner.id": 1 });

export const CorrectiveActionModel = mongoose.model<CorrectiveAction>("CorrectiveAction", actionSchema);
