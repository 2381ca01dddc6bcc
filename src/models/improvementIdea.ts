import mongoose, { Schema } from "mongoose";
import { type PersonRef, type RecordBase, recordBaseFields, recordSchemaOptions } from "./recordBase.js";

export const IDEA_STATES = ["submitted", "approved", "rejected", "in_progress", "implemented"] as const;
export type IdeaState = (typeof IDEA_STATES)[number];

export interface ImprovementIdea extends RecordBase {
  state: IdeaState;
  title: string;
  description: string;
  expectedBenefit: string;
  submitter: PersonRef;
  owner: PersonRef | null;
  /** User ids; one vote per person. */
  votes: string[];
  rejectionReason: string | null;
  /** Who moved it into its current state, and when (for "already accepted by …"). */
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  linkedActions: string[];
  channelMessage: { channelId: string; ts: string } | null;
}

const ideaSchema = new Schema<ImprovementIdea>(
  {
    ...recordBaseFields,
    stateChangedBy: { type: { id: String, name: String }, _id: false, required: true },
    stateChangedAt: { type: Date, required: true },
    state: { type: String, enum: IDEA_STATES, required: true },
    title: { type: String, required: true },
    description: { type: String, default: "" },
    expectedBenefit: { type: String, default: "" },
    submitter: { type: { id: String, name: String }, _id: false, required: true },
    owner: { type: { id: String, name: String }, _id: false, default: null },
    votes: { type: [String], default: [] },
    rejectionReason: { type: String, default: null },
    linkedActions: { type: [String], default: [] },
    channelMessage: { type: { channelId: String, ts: String }, _id: false, default: null },
  },
  { ...recordSchemaOptions, collection: "improvement_ideas" },
);
ideaSchema.index({ workspaceId: 1, state: 1 });

export const ImprovementIdeaModel = mongoose.model<ImprovementIdea>("ImprovementIdea", ideaSchema);
