import type { SchemaDefinition } from "mongoose";

/** Fields every QMS record shares. `_id` is the record key, e.g. `slack:T1/CMP-2026-0007`. */
export interface RecordBase {
  _id: string;
  workspaceId: string;
  kind: string;
  /** Human reference (CMP-2026-0007, POL-v3), or null for records that have none. */
  ref: string | null;
  /** Sequence number of the last history event folded into this document. */
  seq: number;
  createdAt: Date;
  updatedAt: Date;
}

export const recordBaseFields: SchemaDefinition = {
  _id: { type: String, required: true },
  workspaceId: { type: String, required: true },
  kind: { type: String, required: true },
  ref: { type: String, default: null },
  seq: { type: Number, required: true },
  createdAt: { type: Date, required: true },
  updatedAt: { type: Date, required: true },
};

export const recordSchemaOptions = { versionKey: false as const, minimize: false };

/** Who did something, as stored on records (display name kept for registers and exports). */
export interface PersonRef {
  id: string;
  name: string;
}
export const personRefDefinition = {
  type: { id: { type: String }, name: { type: String } },
  _id: false,
  default: null,
};
