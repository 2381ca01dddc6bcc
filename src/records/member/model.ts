import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import { type RecordBase, recordBaseFields, recordSchemaOptions } from "../../db/recordBase.js";

/**
 * A person in a workspace, keyed `<workspaceId>/member/<userId>`: name, time zone, whether they
 * are still there. Their roles are kept on the workspace record (see Workspace.roles).
 */
export interface Member extends RecordBase {
  userId: string;
  name: string;
  /** Their own IANA zone; null until known (the workspace's zone is used meanwhile). */
  tz: string | null;
  /** Roles held before roles moved to the workspace record (read once, by the migration). */
  roles?: string[];
  active: boolean;
  isGuest: boolean;
}

const memberSchema = new Schema<Member>(
  {
    ...recordBaseFields,
    userId: { type: String, required: true },
    name: { type: String, default: "" },
    tz: { type: String, default: null },
    roles: { type: [String], default: undefined },
    active: { type: Boolean, default: true },
    isGuest: { type: Boolean, default: false },
  },
  { ...recordSchemaOptions, collection: "members" },
);
memberSchema.index({ workspaceId: 1, userId: 1 }, { unique: true });
memberSchema.index({ workspaceId: 1, active: 1 });

export const MemberModel = defineRecordModel<Member>("member", "Member", memberSchema);

export const memberKey = (workspaceId: string, userId: string) => `${workspaceId}/member/${userId}`;
