import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";

export const DOCUMENT_STATES = ["draft", "approved", "published", "superseded"] as const;
export type DocumentState = (typeof DOCUMENT_STATES)[number];

/**
 * One issue of a controlled document, numbered as the quality team numbers it ("3.0", "2.1",
 * "Rev C"). A new version is a draft until a QM approves it; the approval makes it current and
 * the one before it obsolete (ISO 9001 7.5.3.2 d: obsolete documents are kept out of use).
 */
export interface DocumentVersion {
  label: string;
  link: string | null;
  /** What changed (7.5.3.2: changes identified); required from the second version on. */
  summary: string;
  contentHash: string;
  state: "draft" | "current" | "obsolete" | "rejected";
  proposedBy: PersonRef;
  proposedAt: Date;
  approvedBy: PersonRef | null;
  approvedAt: Date | null;
  /** When it stopped being current, or why it was not approved. */
  endedAt: Date | null;
  rejectedReason?: string | null;
}

/**
 * A version of the quality policy (`documentType: "policy"`, ref POL-v3) or a controlled
 * document (the manual, a procedure; ref DOC-2026-0001). Each policy version is its own record;
 * a document keeps one record whose versions follow each other in its history.
 */
export interface ControlledDocument extends RecordBase {
  state: DocumentState;
  documentType: "policy" | "manual" | "procedure";
  title: string;
  /** A policy's number (POL-v3); for a document, how many versions it has had in QOps. */
  version: number;
  /** A document's current version as its team numbers it ("3.0", "Rev C"). */
  versionLabel?: string | null;
  /** A document's versions, oldest first (older records have none: their one version is `version`). */
  versions?: DocumentVersion[];
  text: string;
  link: string | null;
  summary: string;
  /** SHA-256 of the content an acknowledgement refers to. */
  contentHash: string;
  owner: PersonRef;
  reviewIntervalMonths: number | null;
  nextReviewAt: Date | null;
  /** The day its next review is due, in the workspace's zone. */
  nextReviewDay?: string | null;
  lastReviewedAt?: Date | null;
  approvedBy: PersonRef | null;
  publishedAt: Date | null;
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
}

const person = { type: { id: String, name: String }, _id: false };

const versionSchema = new Schema<DocumentVersion>(
  {
    label: { type: String, required: true },
    link: { type: String, default: null },
    summary: { type: String, default: "" },
    contentHash: { type: String, required: true },
    state: { type: String, enum: ["draft", "current", "obsolete", "rejected"], required: true },
    proposedBy: { ...person, required: true },
    proposedAt: { type: Date, required: true },
    approvedBy: { ...person, default: null },
    approvedAt: { type: Date, default: null },
    endedAt: { type: Date, default: null },
    rejectedReason: { type: String, default: null },
  },
  { _id: false },
);

const documentSchema = new Schema<ControlledDocument>(
  {
    ...recordBaseFields,
    state: { type: String, enum: DOCUMENT_STATES, required: true },
    documentType: { type: String, enum: ["policy", "manual", "procedure"], required: true },
    title: { type: String, required: true },
    version: { type: Number, required: true },
    versionLabel: { type: String, default: null },
    versions: { type: [versionSchema], default: undefined },
    text: { type: String, default: "" },
    link: { type: String, default: null },
    summary: { type: String, default: "" },
    contentHash: { type: String, required: true },
    owner: { ...person, required: true },
    reviewIntervalMonths: { type: Number, default: null },
    nextReviewAt: { type: Date, default: null },
    nextReviewDay: { type: String, default: null },
    lastReviewedAt: { type: Date, default: null },
    approvedBy: { ...person, default: null },
    publishedAt: { type: Date, default: null },
    stateChangedBy: { ...person, required: true },
    stateChangedAt: { type: Date, required: true },
  },
  { ...recordSchemaOptions, collection: "controlled_documents" },
);
documentSchema.index({ workspaceId: 1, documentType: 1, state: 1 });

export const ControlledDocumentModel = defineRecordModel<ControlledDocument>(
  "document",
  "ControlledDocument",
  documentSchema,
);
