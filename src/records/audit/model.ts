import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";

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
  /** The due day the auditor gave the nonconformity's action, if not the workspace's default. */
  actionDueDay?: string | null;
}

/** An answer to one checklist question (1-based), with the evidence seen. */
export const CHECK_ANSWERS = ["conforming", "finding", "not_applicable"] as const;
export type CheckAnswer = (typeof CHECK_ANSWERS)[number];
export interface ChecklistAnswer {
  question: number;
  answer: CheckAnswer;
  evidence: string;
}

/** The auditor's conclusion on the effectiveness of the process audited (ISO 19011 6.4.9). */
export const CONCLUSIONS = ["effective", "partly_effective", "not_effective"] as const;
export type Conclusion = (typeof CONCLUSIONS)[number];

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
  /** The audit's day in the workspace's zone, and the instant it starts there. */
  day?: string | null;
  scheduledFor: Date | null;
  checklist: string[];
  findings: AuditFinding[];
  /** What the audit was measured against (standard clauses, procedures, contracts). */
  criteria?: string;
  answers?: ChecklistAnswer[];
  strengths?: string[];
  conclusion?: { verdict: Conclusion; text: string } | null;
  reportedAt: Date | null;
  reportedBy?: PersonRef | null;
}

const person = { type: { id: String, name: String }, _id: false };

const findingSchema = new Schema<AuditFinding>(
  {
    id: { type: String, required: true },
    type: { type: String, enum: FINDING_TYPES, required: true },
    clause: { type: String, default: "" },
    evidence: { type: String, default: "" },
    actionRef: { type: String, default: null },
    actionDueDay: { type: String },
  },
  { _id: false },
);

const answerSchema = new Schema<ChecklistAnswer>(
  {
    question: { type: Number, required: true },
    answer: { type: String, enum: CHECK_ANSWERS, required: true },
    evidence: { type: String, default: "" },
  },
  { _id: false },
);

const auditSchema = new Schema<InternalAudit>(
  {
    ...recordBaseFields,
    state: { type: String, enum: AUDIT_STATES, required: true },
    owner: { ...person, default: null },
    stateChangedBy: { ...person, required: true },
    stateChangedAt: { type: Date, required: true },
    programmeSlot: { type: String, default: null },
    process: { type: String, required: true },
    clauses: { type: [String], default: [] },
    leadAuditor: { ...person, default: null },
    auditees: { type: [{ id: String, name: String, _id: false }], default: [] },
    day: { type: String, default: null },
    scheduledFor: { type: Date, default: null },
    checklist: { type: [String], default: [] },
    findings: { type: [findingSchema], default: [] },
    criteria: { type: String, default: "" },
    answers: { type: [answerSchema], default: [] },
    strengths: { type: [String], default: [] },
    conclusion: {
      type: { verdict: { type: String, enum: CONCLUSIONS }, text: String },
      _id: false,
      default: null,
    },
    reportedAt: { type: Date, default: null },
    reportedBy: { ...person, default: null },
  },
  { ...recordSchemaOptions, collection: "internal_audits" },
);
auditSchema.index({ workspaceId: 1, state: 1, scheduledFor: 1 });

export const InternalAuditModel = defineRecordModel<InternalAudit>("audit", "InternalAudit", auditSchema);
