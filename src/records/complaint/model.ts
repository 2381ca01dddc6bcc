import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";

export const COMPLAINT_STATES = [
  "new",
  "accepted",
  "rejected",
  "investigating",
  "resolved",
  "closed",
] as const;
export type ComplaintState = (typeof COMPLAINT_STATES)[number];
export const OPEN_COMPLAINT_STATES: ComplaintState[] = ["new", "accepted", "investigating", "resolved"];
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const COMPLAINT_CATEGORIES = [
  "product",
  "delivery",
  "service",
  "documentation",
  "billing",
  "other",
] as const;

export interface SourceMessage {
  permalink: string | null;
  authorId: string | null;
  postedAt: Date | null;
  channelId: string | null;
}

export interface Complaint extends RecordBase {
  state: ComplaintState;
  title: string;
  description: string;
  customer: string;
  productRef: string;
  severity: Severity;
  category: string;
  reporter: PersonRef;
  owner: PersonRef | null;
  /** The day it is due, in the workspace's zone; `dueAt` is when it becomes overdue (that day's end). */
  dueDay?: string;
  dueAt: Date;
  source: SourceMessage | null;
  linkedActions: string[];
  customerNotified: boolean | null;
  rejectionReason: string | null;
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  /** The delivery that posts it for triage in the quality channel (its edits follow every change). */
  post?: string | null;
  /** Where the triage post landed, recorded in the history once it did. */
  triageMessage: { channelId: string; ts: string } | null;
}

const person = { type: { id: String, name: String }, _id: false };

const complaintSchema = new Schema<Complaint>(
  {
    ...recordBaseFields,
    stateChangedBy: { ...person, required: true },
    stateChangedAt: { type: Date, required: true },
    state: { type: String, enum: COMPLAINT_STATES, required: true },
    title: { type: String, required: true },
    description: { type: String, default: "" },
    customer: { type: String, default: "" },
    productRef: { type: String, default: "" },
    severity: { type: String, enum: SEVERITIES, required: true },
    category: { type: String, default: "" },
    reporter: { ...person, required: true },
    owner: { ...person, default: null },
    dueDay: { type: String },
    dueAt: { type: Date, required: true },
    source: {
      type: { permalink: String, authorId: String, postedAt: Date, channelId: String },
      _id: false,
      default: null,
    },
    linkedActions: { type: [String], default: [] },
    customerNotified: { type: Boolean, default: null },
    rejectionReason: { type: String, default: null },
    post: { type: String, default: null },
    triageMessage: { type: { channelId: String, ts: String }, _id: false, default: null },
  },
  { ...recordSchemaOptions, collection: "complaints" },
);
complaintSchema.index({ workspaceId: 1, state: 1, dueAt: 1 });
complaintSchema.index({ workspaceId: 1, "owner.id": 1 });
complaintSchema.index({ workspaceId: 1, "reporter.id": 1 });

export const ComplaintModel = defineRecordModel<Complaint>("complaint", "Complaint", complaintSchema);
