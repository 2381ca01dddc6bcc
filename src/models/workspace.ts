import mongoose, { Schema } from "mongoose";
import { type PersonRef, type RecordBase, recordBaseFields, recordSchemaOptions } from "./recordBase.js";

/** Days from logging to the due date, per severity. */
export interface SeveritySla {
  low: number;
  medium: number;
  high: number;
  critical: number;
}
export const DEFAULT_SLA_DAYS: SeveritySla = { low: 30, medium: 14, high: 5, critical: 1 };

/** A Slack workspace or a Teams tenant and its QMS settings; keyed `<workspaceId>/workspace`. */
export interface Workspace extends RecordBase {
  platform: "slack" | "teams";
  externalId: string;
  setupBy: PersonRef;
  qualityChannelId: string | null;
  slaDays: SeveritySla;
  workingHours: { start: string; end: string; days: number[] };
  /** Whether guest accounts count as members (asked to acknowledge the policy). */
  includeGuests: boolean;
}

const workspaceSchema = new Schema<Workspace>(
  {
    ...recordBaseFields,
    platform: { type: String, enum: ["slack", "teams"], required: true },
    externalId: { type: String, required: true },
    setupBy: { type: { id: String, name: String }, _id: false, required: true },
    qualityChannelId: { type: String, default: null },
    slaDays: {
      type: { low: Number, medium: Number, high: Number, critical: Number },
      _id: false,
      default: () => ({ ...DEFAULT_SLA_DAYS }),
    },
    includeGuests: { type: Boolean, default: false },
    workingHours: {
      type: { start: String, end: String, days: [Number] },
      _id: false,
      default: () => ({ start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] }),
    },
  },
  { ...recordSchemaOptions, collection: "workspaces" },
);

export const WorkspaceModel = mongoose.model<Workspace>("Workspace", workspaceSchema);
