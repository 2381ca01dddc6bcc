import mongoose, { Schema } from "mongoose";
import { type PersonRef, type RecordBase, recordBaseFields, recordSchemaOptions } from "./recordBase.js";

export const COMPLAINT_STATES = [
  "new",
  "accepted",
  "rejected",
  "investigating",
  "resolved",
  "closed",
] as const;
export type ComplaintState = (typeof COMPLAINT_STATES)[number];
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

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
  dueAt: Date;
  source: SourceMessage | null;
  linkedActions: string[];
  customerNotified: boolean | null;
  rejectionReason: string | null;
  /** Who moved it into its current state, and when (for "already accepted by …"). */
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  /** Where the triage message lives, so buttons can update it in place. */
  triageMessage: { channelId: string; ts: string } | null;
}

const complaintSchema = new Schema<Complaint>(
  {
    ...recordBaseFields,
    stateChangedBy: { type: { id: String, name: String }, _id: false, required: true },
    stateChangedAt: { type: Date, required: true },
    state: { type: String, enum: COMPLAINT_STATES, required: true },
    title: { type: String, required: true },
    description: { type: String, default: "" },
    customer: { type: String, default: "" },
    productRef: { type: String, default: "" },
    severity: { type: String, enum: SEVERITIES, required: true },
    category: { type: String, default: "" },
    reporter: { type: { id: String, name: String }, _id: false, required: true },
    owner: { type: { id: String, name: String }, _id: false, default: null },
    dueAt: { type: Date, required: true },
    source: {
      type: { permalink: String, authorId: String, postedAt: Date, channelId: String },
      _id: false,
      default: null,
    },
    linkedActions: { type: [String], default: [] },
    customerNotified: { type: Boolean, default: null },
    rejectionReason: { type: String, default: null },
    triageMessage: { type: { channelId: String, ts: String }, _id: false, default: null },
  },
  { ...recordSchemaOptions, collection: "complaints" },
);
complaintSchema.index({ workspaceId: 1, state: 1, dueAt: 1 });
complaintSchema.index({ workspaceId: 1, "owner.id": 1 });
complaintSchema.index({ workspaceId: 1, "reporter.id": 1 });

export const ComplaintModel = mongoose.model<Complaint>("Complaint", complaintSchema);
