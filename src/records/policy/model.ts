import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";

/** One person's acknowledgement of one policy version; its key makes a second one impossible. */
export interface Acknowledgement extends RecordBase {
  policyRef: string;
  contentHash: string;
  member: PersonRef;
  acknowledgedAt: Date;
}

const acknowledgementSchema = new Schema<Acknowledgement>(
  {
    ...recordBaseFields,
    policyRef: { type: String, required: true },
    contentHash: { type: String, required: true },
    member: { type: { id: String, name: String }, _id: false, required: true },
    acknowledgedAt: { type: Date, required: true },
  },
  { ...recordSchemaOptions, collection: "acknowledgements" },
);
acknowledgementSchema.index({ workspaceId: 1, policyRef: 1 });

export const AcknowledgementModel = defineRecordModel<Acknowledgement>(
  "acknowledgement",
  "Acknowledgement",
  acknowledgementSchema,
);

export const ackKey = (workspaceId: string, policyRef: string, userId: string) =>
  `${workspaceId}/ack/${policyRef}/${userId}`;
