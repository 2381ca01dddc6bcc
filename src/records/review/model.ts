import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";

export const REVIEW_STATES = ["scheduled", "held", "minutes_approved"] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export interface ManagementReview extends RecordBase {
  state: ReviewState;
  /** The QM who scheduled it and prepares the pack. */
  owner: PersonRef | null;
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  heldAt: Date | null;
  /** The meeting's day in the workspace's zone, and the instant it starts there. */
  day?: string | null;
  scheduledFor: Date;
  attendees: PersonRef[];
  periodStart: Date | null;
  manualInputs: Record<string, string>;
  minutes: string;
  decisions: { text: string; actionRef: string | null }[];
  minutesApprovedBy: PersonRef | null;
  minutesApprovedAt?: Date | null;
  /** The pack's lines (9.3.2 inputs) as they stood when the minutes were approved. */
  packAtApproval?: string[];
}

const person = { type: { id: String, name: String }, _id: false };

const reviewSchema = new Schema<ManagementReview>(
  {
    ...recordBaseFields,
    state: { type: String, enum: REVIEW_STATES, required: true },
    owner: { ...person, default: null },
    stateChangedBy: { ...person, required: true },
    stateChangedAt: { type: Date, required: true },
    heldAt: { type: Date, default: null },
    day: { type: String, default: null },
    scheduledFor: { type: Date, required: true },
    attendees: { type: [{ id: String, name: String, _id: false }], default: [] },
    periodStart: { type: Date, default: null },
    manualInputs: { type: Schema.Types.Mixed, default: {} },
    minutes: { type: String, default: "" },
    decisions: { type: [{ text: String, actionRef: String, _id: false }], default: [] },
    minutesApprovedBy: { ...person, default: null },
    minutesApprovedAt: { type: Date, default: null },
    packAtApproval: { type: [String], default: undefined },
  },
  { ...recordSchemaOptions, collection: "management_reviews" },
);
reviewSchema.index({ workspaceId: 1, scheduledFor: 1 });

export const ManagementReviewModel = defineRecordModel<ManagementReview>(
  "review",
  "ManagementReview",
  reviewSchema,
);
