import mongoose, { Schema } from "mongoose";
import { type PersonRef, type RecordBase, recordBaseFields, recordSchemaOptions } from "./recordBase.js";

export const DOCUMENT_STATES = ["draft", "approved", "published", "superseded"] as const;
export type DocumentState = (typeof DOCUMENT_STATES)[number];

/**
 * A version of the quality policy (`documentType: "policy"`, ref POL-v3) or of another
 * controlled document (manual, procedure). Each version is its own record with its own history.
 */
export interface ControlledDocument extends RecordBase {
  state: DocumentState;
  documentType: "policy" | "manual" | "procedure";
  title: string;
  version: number;
  text: string;
  link: string | null;
  summary: string;
  /** SHA-256 of the content an acknowledgement refers to. */
  contentHash: string;
  owner: PersonRef;
  reviewIntervalMonths: number | null;
  nextReviewAt: Date | null;
  /** When its owner last recorded a review (a new version counts too). */
  lastReviewedAt?: Date | null;
  approvedBy: PersonRef | null;
  publishedAt: Date | null;
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
}

const documentSchema = new Schema<ControlledDocument>(
  {
    ...recordBaseFields,
    state: { type: String, enum: DOCUMENT_STATES, required: true },
    documentType: { type: String, enum: ["policy", "manual", "procedure"], required: true },
    title: { type: String, required: true },
    version: { type: Number, required: true },
    text: { type: String, default: "" },
    link: { type: String, default: null },
    summary: { type: String, default: "" },
    contentHash: { type: String, required: true },
    owner: { type: { id: String, name: String }, _id: false, required: true },
    reviewIntervalMonths: { type: Number, default: null },
    nextReviewAt: { type: Date, default: null },
    lastReviewedAt: { type: Date, default: null },
    approvedBy: { type: { id: String, name: String }, _id: false, default: null },
    publishedAt: { type: Date, default: null },
    stateChangedBy: { type: { id: String, name: String }, _id: false, required: true },
    stateChangedAt: { type: Date, required: true },
  },
  { ...recordSchemaOptions, collection: "controlled_documents" },
);
documentSchema.index({ workspaceId: 1, documentType: 1, state: 1 });

export const ControlledDocumentModel = mongoose.model<ControlledDocument>(
  "ControlledDocument",
  documentSchema,
);

/** One person's acknowledgement of one policy version; the key makes a second one impossible. */
export interface Acknowledgement extends RecordBase {
  policyRef: string;
  contentHash: string;
  member: PersonRef;
  acknowledgedAt: Date;
}

const acknowledgementSchema = new Schema<Acknowledgement>(
  {
    ...recordBaseFields,
    policyRef: { type: String, required: true },
    contentHash: { type: String, required: true },
    member: { type: { id: String, name: String }, _id: false, required: true },
    acknowledgedAt: { type: Date, required: true },
  },
  { ...recordSchemaOptions, collection: "acknowledgements" },
);
acknowledgementSchema.index({ workspaceId: 1, policyRef: 1 });

export const AcknowledgementModel = mongoose.model<Acknowledgement>("Acknowledgement", acknowledgementSchema);

export interface QualityObjective extends RecordBase {
  state: "active" | "retired";
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  name: string;
  target: number;
  unit: string;
  direction: "at_least" | "at_most";
  owner: PersonRef;
  frequency: "monthly" | "quarterly";
  readings: { period: string; value: number; recordedAt: Date }[];
}

const objectiveSchema = new Schema<QualityObjective>(
  {
    ...recordBaseFields,
    state: { type: String, enum: ["active", "retired"], required: true },
    stateChangedBy: { type: { id: String, name: String }, _id: false, required: true },
    stateChangedAt: { type: Date, required: true },
    name: { type: String, required: true },
    target: { type: Number, required: true },
    unit: { type: String, default: "" },
    direction: { type: String, enum: ["at_least", "at_most"], required: true },
    owner: { type: { id: String, name: String }, _id: false, required: true },
    frequency: { type: String, enum: ["monthly", "quarterly"], required: true },
    readings: { type: [{ period: String, value: Number, recordedAt: Date, _id: false }], default: [] },
  },
  { ...recordSchemaOptions, collection: "quality_objectives" },
);
objectiveSchema.index({ workspaceId: 1, state: 1 });

export const QualityObjectiveModel = mongoose.model<QualityObjective>("QualityObjective", objectiveSchema);
