import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";

export const ACTION_STATES = ["open", "in_progress", "done", "verified_effective", "reopened"] as const;
export type ActionState = (typeof ACTION_STATES)[number];
export const OPEN_ACTION_STATES: ActionState[] = ["open", "in_progress", "done", "reopened"];
/** Still to be worked on (done ones wait for the effectiveness check). */
export const WORKING_ACTION_STATES: ActionState[] = ["open", "in_progress", "reopened"];
export const ACTION_SOURCES = [
  "complaint",
  "audit_finding",
  "idea",
  "management_review",
  "nonconformity",
  "manual",
] as const;
export type ActionSource = (typeof ACTION_SOURCES)[number];

export interface CorrectiveAction extends RecordBase {
  state: ActionState;
  actionType: "corrective" | "preventive";
  source: ActionSource;
  /** Reference of the record that raised it (CMP-…, IDEA-…, AUD-…#F2, MR-…, NC-…), if any. */
  sourceRef: string | null;
  problem: string;
  containment: string;
  rootCause: string;
  plan: string;
  /** What was done (ISO 9001 10.2.1 c), asked for when it is marked done, if empty. */
  actionTaken?: string;
  owner: PersonRef;
  /** The day it is due in the workspace's zone; `dueAt` is when it becomes overdue. */
  dueDay?: string;
  dueAt: Date;
  doneAt: Date | null;
  /** The day the QM checks whether it worked. */
  effectivenessCheckDay?: string | null;
  effectivenessCheckAt: Date | null;
  reopenReason: string | null;
  /** Due-date reminders are paused until then (the owner said why, in the history). */
  snoozedUntil: Date | null;
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  createdBy: PersonRef;
}

const person = { type: { id: String, name: String }, _id: false };

const actionSchema = new Schema<CorrectiveAction>(
  {
    ...recordBaseFields,
    stateChangedBy: { ...person, required: true },
    stateChangedAt: { type: Date, required: true },
    state: { type: String, enum: ACTION_STATES, required: true },
    actionType: { type: String, enum: ["corrective", "preventive"], default: "corrective" },
    source: { type: String, enum: ACTION_SOURCES, required: true },
    sourceRef: { type: String, default: null },
    problem: { type: String, required: true },
    containment: { type: String, default: "" },
    rootCause: { type: String, default: "" },
    plan: { type: String, default: "" },
    actionTaken: { type: String, default: "" },
    owner: { ...person, required: true },
    dueDay: { type: String },
    dueAt: { type: Date, required: true },
    doneAt: { type: Date, default: null },
    effectivenessCheckDay: { type: String, default: null },
    effectivenessCheckAt: { type: Date, default: null },
    reopenReason: { type: String, default: null },
    snoozedUntil: { type: Date, default: null },
    createdBy: { ...person, required: true },
  },
  { ...recordSchemaOptions, collection: "corrective_actions" },
);
actionSchema.index({ workspaceId: 1, state: 1, dueAt: 1 });
actionSchema.index({ workspaceId: 1, "owner.id": 1 });

export const CorrectiveActionModel = defineRecordModel<CorrectiveAction>(
  "action",
  "CorrectiveAction",
  actionSchema,
);
