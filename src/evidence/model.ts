import { Schema } from "mongoose";
import type { Actor } from "../db/historyModels.js";
import { defineModel } from "../db/kinds.js";

export type PackState = "queued" | "building" | "ready" | "failed";

/**
 * One evidence pack asked for with `qms evidence`: what it covers, how far its build got, and
 * where the finished ZIP is kept (GridFS bucket `evidence`). Not a QMS record: a pack is a view
 * of records, rebuilt byte for byte from the same data.
 */
export interface EvidencePack {
  /** `EVP-…` (also its reference). */
  _id: string;
  workspaceId: string;
  requestedBy: Actor;
  requestedAt: Date;
  /** Days in `zone`, inclusive. */
  from: string;
  to: string;
  zone: string;
  /** The clause asked for ("9.2"), or null for all. */
  clause: string | null;
  state: PackState;
  done: number;
  total: number;
  /** The worker building it and until when its claim holds (renewed after each section). */
  builder: string | null;
  leaseUntil: Date | null;
  fileId: string | null;
  bytes: number | null;
  sha256: string | null;
  readyAt: Date | null;
  expiresAt: Date | null;
  /** How many progress edits were recorded (each is its own delivery). */
  updates: number;
  error: string | null;
}

const packSchema = new Schema<EvidencePack>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    requestedBy: { type: { id: String, name: String }, _id: false, required: true },
    requestedAt: { type: Date, required: true },
    from: { type: String, required: true },
    to: { type: String, required: true },
    zone: { type: String, required: true },
    clause: { type: String, default: null },
    state: { type: String, enum: ["queued", "building", "ready", "failed"], required: true },
    done: { type: Number, default: 0 },
    total: { type: Number, default: 0 },
    builder: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
    fileId: { type: String, default: null },
    bytes: { type: Number, default: null },
    sha256: { type: String, default: null },
    readyAt: { type: Date, default: null },
    expiresAt: { type: Date, default: null },
    updates: { type: Number, default: 0 },
    error: { type: String, default: null },
  },
  { collection: "evidence_packs", versionKey: false },
);

export const EvidencePackModel = defineModel<EvidencePack>("EvidencePack", packSchema);

/** A pack as it is asked for: queued, nothing built yet. */
export function newPack(
  asked: Pick<
    EvidencePack,
    "_id" | "workspaceId" | "requestedBy" | "requestedAt" | "from" | "to" | "zone" | "clause" | "total"
  >,
): EvidencePack {
  return {
    ...asked,
    state: "queued",
    done: 0,
    builder: null,
    leaseUntil: null,
    fileId: null,
    bytes: null,
    sha256: null,
    readyAt: null,
    expiresAt: null,
    updates: 0,
    error: null,
  };
}
