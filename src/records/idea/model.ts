import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";

export const IDEA_STATES = ["submitted", "approved", "rejected", "in_progress", "implemented"] as const;
export type IdeaState = (typeof IDEA_STATES)[number];
export const OPEN_IDEA_STATES: IdeaState[] = ["submitted", "approved", "in_progress"];

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
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  linkedActions: string[];
  /** The delivery that posts it in the quality channel for votes. */
  post?: string | null;
  /** Where that post landed, recorded in the history once it did. */
  channelMessage: { channelId: string; ts: string } | null;
}

const person = { type: { id: String, name: String }, _id: false };

const ideaSchema = new Schema<ImprovementIdea>(
  {
    ...recordBaseFields,
    stateChangedBy: { ...person, required: true },
    stateChangedAt: { type: Date, required: true },
    state: { type: String, enum: IDEA_STATES, required: true },
    title: { type: String, required: true },
    description: { type: String, default: "" },
    expectedBenefit: { type: String, default: "" },
    submitter: { ...person, required: true },
    owner: { ...person, default: null },
    votes: { type: [String], default: [] },
    rejectionReason: { type: String, default: null },
    linkedActions: { type: [String], default: [] },
    post: { type: String, default: null },
    channelMessage: { type: { channelId: String, ts: String }, _id: false, default: null },
  },
  { ...recordSchemaOptions, collection: "improvement_ideas" },
);
ideaSchema.index({ workspaceId: 1, state: 1 });

export const ImprovementIdeaModel = defineRecordModel<ImprovementIdea>("idea", "ImprovementIdea", ideaSchema);
