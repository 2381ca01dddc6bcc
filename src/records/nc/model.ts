import { Schema } from "mongoose";
import { defineRecordModel } from "../../db/kinds.js";
import {
  type PersonRef,
  type RecordBase,
  recordBaseFields,
  recordSchemaOptions,
} from "../../db/recordBase.js";

/** A nonconforming output (ISO 9001 8.7): what was found, and what was done with it. */
export const NC_STATES = ["reported", "dispositioned", "verified", "closed"] as const;
export type NcState = (typeof NC_STATES)[number];
export const OPEN_NC_STATES: NcState[] = ["reported", "dispositioned", "verified"];

export const DISPOSITIONS = [
  "correction",
  "segregation",
  "return_to_supplier",
  "rework",
  "scrap",
  "use_as_is_under_concession",
] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export interface NonconformingOutput extends RecordBase {
  state: NcState;
  /** What is nonconforming. */
  title: string;
  whereFound: string;
  quantity: string;
  productRef: string;
  detectedBy: string;
  reporter: PersonRef;
  owner: PersonRef | null;
  /** The day a disposition is due (workspace zone); `dueAt` is when it becomes overdue. */
  dueDay: string;
  dueAt: Date;
  disposition: Disposition | null;
  dispositionNote: string;
  /** Who authorised use as is (a quality manager or top management), for a concession. */
  concessionBy: PersonRef | null;
  customerInformed: boolean | null;
  verificationNote: string;
  linkedActions: string[];
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
  post: string | null;
  triageMessage: { channelId: string; ts: string } | null;
}

const person = { type: { id: String, name: String }, _id: false };

const ncSchema = new Schema<NonconformingOutput>(
  {
    ...recordBaseFields,
    state: { type: String, enum: NC_STATES, required: true },
    title: { type: String, required: true },
    whereFound: { type: String, default: "" },
    quantity: { type: String, default: "" },
    productRef: { type: String, default: "" },
    detectedBy: { type: String, default: "" },
    reporter: { ...person, required: true },
    owner: { ...person, default: null },
    dueDay: { type: String, required: true },
    dueAt: { type: Date, required: true },
    disposition: { type: String, enum: [...DISPOSITIONS, null], default: null },
    dispositionNote: { type: String, default: "" },
    concessionBy: { ...person, default: null },
    customerInformed: { type: Boolean, default: null },
    verificationNote: { type: String, default: "" },
    linkedActions: { type: [String], default: [] },
    stateChangedBy: { ...person, required: true },
    stateChangedAt: { type: Date, required: true },
    post: { type: String, default: null },
    triageMessage: { type: { channelId: String, ts: String }, _id: false, default: null },
  },
  { ...recordSchemaOptions, collection: "nonconforming_outputs" },
);
ncSchema.index({ workspaceId: 1, state: 1 });

export const NonconformingOutputModel = defineRecordModel<NonconformingOutput>(
  "nc",
  "NonconformingOutput",
  ncSchema,
);
