import mongoose, { Schema } from "mongoose";
import { type PersonRef, type RecordBase, recordBaseFields, recordSchemaOptions } from "./recordBase.js";

export const AUDIT_STATES = ["planned", "scheduled", "in_progress", "reported", "closed"] as const;
export type AuditState = (typeof AUDIT_STATES)[number];
export const FINDING_TYPES = ["major_nc", "minor_nc", "observation", "opportunity"] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

export interface AuditFinding {
  /** F1, F2, … within the audit. */
  id: string;
  type: FindingType;
  clause: string;
  evidence: string;
  actionRef: string | null;
}

export interface InternalAudit extends RecordBase {
  state: AuditState;
  /** The lead auditor, who moves the audit along (null while only planned). */
  owner: PersonRef | null;
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  /** The programme slot it was generated for (`2027:Purchasing:1`), if any. */
  programmeSlot: string | null;
  process: string;
  clauses: string[];
  leadAuditor: PersonRef | null;
  auditees: PersonRef[];
  scheduledFor: Date | null;
  checklist: string[];
  findings: AuditFinding[];
  reportedAt: Date | null;
}

const findingSchema = new Schema<AuditFinding>(
  {
    id: { type: String, required: true },
    type: { type: String, enum: FINDING_TYPES, required: true },
    clause: { type: String, default: "" },
    evidence: { type: String, default: "" },
    actionRef: { type: String, default: null },
  },
  { _id: false },
);

const auditSchema = new Schema<InternalAudit>(
  {
    ...recordBaseFields,
    state: { type: String, enum: AUDIT_STATES, required: true },
    owner: { type: { id: String, name: String }, _id: false, default: null },
    stateChangedBy: { type: { id: String, name: String }, _id: false, required: true },
    stateChangedAt: { type: Date, required: true },
    programmeSlot: { type: String, default: null },
    process: { type: String, required: true },
    clauses: { type: [String], default: [] },
    leadAuditor: { type: { id: String, name: String }, _id: false, default: null },
    auditees: { type: [{ id: String, name: String, _id: false }], default: [] },
    scheduledFor: { type: Date, default: null },
    checklist: { type: [String], default: [] },
    findings: { type: [findingSchema], default: [] },
    reportedAt: { type: Date, default: null },
  },
  { ...recordSchemaOptions, collection: "internal_audits" },
);
auditSchema.index({ workspaceId: 1, state: 1, scheduledFor: 1 });

export const InternalAuditModel = mongoose.model<InternalAudit>("InternalAudit", auditSchema);

export const REVIEW_STATES = ["scheduled", "held", "minutes_approved"] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export interface ManagementReview extends RecordBase {
  state: ReviewState;
  /** The QM who scheduled it and prepares the pack. */
  owner: PersonRef | null;
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  heldAt: Date | null;
  scheduledFor: Date;
  attendees: PersonRef[];
  periodStart: Date | null;
  manualInputs: Record<string, string>;
  minutes: string;
  decisions: { text: string; actionRef: string | null }[];
  minutesApprovedBy: PersonRef | null;
}

const reviewSchema = new Schema<ManagementReview>(
  {
    ...recordBaseFields,
    state: { type: String, enum: REVIEW_STATES, required: true },
    owner: { type: { id: String, name: String }, _id: false, default: null },
    stateChangedBy: { type: { id: String, name: String }, _id: false, required: true },
    stateChangedAt: { type: Date, required: true },
    heldAt: { type: Date, default: null },
    scheduledFor: { type: Date, required: true },
    attendees: { type: [{ id: String, name: String, _id: false }], default: [] },
    periodStart: { type: Date, default: null },
    manualInputs: { type: Schema.Types.Mixed, default: {} },
    minutes: { type: String, default: "" },
    decisions: { type: [{ text: String, actionRef: String, _id: false }], default: [] },
    minutesApprovedBy: { type: { id: String, name: String }, _id: false, default: null },
  },
  { ...recordSchemaOptions, collection: "management_reviews" },
);
reviewSchema.index({ workspaceId: 1, scheduledFor: 1 });

export const ManagementReviewModel = mongoose.model<ManagementReview>("ManagementReview", reviewSchema);
