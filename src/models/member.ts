import mongoose, { Schema } from "mongoose";
import { type RecordBase, recordBaseFields, recordSchemaOptions } from "./recordBase.js";

export const ROLES = ["qm", "top_management", "auditor"] as const;
export type Role = (typeof ROLES)[number];

/** A person in a workspace, keyed `<workspaceId>/member/<userId>`; roles change through history. */
export interface Member extends RecordBase {
  userId: string;
  name: string;
  tz: string;
  roles: Role[];
  active: boolean;
  isGuest: boolean;
}

const memberSchema = new Schema<Member>(
  {
    ...recordBaseFields,
    userId: { type: String, required: true },
    name: { type: String, default: "" },
    tz: { type: String, default: "UTC" },
    roles: { type: [String], enum: ROLES, default: [] },
    active: { type: Boolean, default: true },
    isGuest: { type: Boolean, default: false },
  },
  { ...recordSchemaOptions, collection: "members" },
);
memberSchema.index({ workspaceId: 1, userId: 1 }, { unique: true });
memberSchema.index({ workspaceId: 1, roles: 1 });

export const MemberModel = mongoose.model<Member>("Member", memberSchema);
