import { Schema } from "mongoose";
import type { Plain } from "./canonical.js";
import { defineModel } from "./kinds.js";

export interface Actor {
  /** Platform user id (Slack user id, Teams aadObjectId) or "system". */
  id: string;
  name: string;
}

export interface FieldChange {
  before: Plain;
  after: Plain;
}

/**
 * What a change causes besides itself: a message to someone, a linked record to create, another
 * record to update. Decided with the change and stored in its event, so what follows a change
 * is part of its evidence, and a crash between the change and its follow-ups is repaired from
 * the event (see `PendingEffects`). The core gives each type its meaning; every effect is safe
 * to carry out twice.
 */
export interface Effect {
  type: string;
  [key: string]: unknown;
}

/**
 * One change to one record. The insert of this document is the commit point of a transition:
 * `_id` is `<recordKey>#<seq>`, so two writers of the same seq cannot both succeed.
 */
export interface HistoryEvent {
  _id: string;
  workspaceId: string;
  recordKey: string;
  kind: string;
  seq: number;
  type: string;
  actor: Actor;
  at: Date;
  changes: Record<string, FieldChange>;
  reason: string | null;
  idempotencyKey: string;
  /** Follow-ups decided with the change (absent on events that cause none). */
  effects?: Effect[];
  prevHash: string;
  hash: string;
}

const actorSchema = new Schema<Actor>({ id: String, name: String }, { _id: false });

const historyEventSchema = new Schema<HistoryEvent>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    recordKey: { type: String, required: true },
    kind: { type: String, required: true },
    seq: { type: Number, required: true },
    type: { type: String, required: true },
    actor: { type: actorSchema, required: true },
    at: { type: Date, required: true },
    changes: { type: Schema.Types.Mixed, required: true },
    reason: { type: String, default: null },
    idempotencyKey: { type: String, required: true },
    effects: { type: [Schema.Types.Mixed], default: undefined },
    prevHash: { type: String, required: true },
    hash: { type: String, required: true },
  },
  { collection: "history_events", versionKey: false, minimize: false },
);
historyEventSchema.index({ recordKey: 1, seq: 1 }, { unique: true });
// A retried delivery (same request) carries the same key and cannot apply twice.
historyEventSchema.index({ workspaceId: 1, idempotencyKey: 1 }, { unique: true });
historyEventSchema.index({ workspaceId: 1, at: 1 });

export const HistoryEventModel = defineModel<HistoryEvent>("HistoryEvent", historyEventSchema);

/**
 * The creation of a record, numbered per stream (a workspace's complaints of one year, its
 * members, …). Inserting it is the commit point of a creation and claims the stream number,
 * which for referenced records is the number in the reference (CMP-2026-0007 is n = 7).
 * Numbers are consecutive, so deleting a record's creation leaves a hole in its stream that
 * `verify` finds (unless it was the stream's newest: only a seal taken before shows that); the
 * anchor's own hash covers the record's first event.
 */
export interface HistoryAnchor {
  _id: string;
  workspaceId: string;
  stream: string;
  n: number;
  recordKey: string;
  idempotencyKey: string;
  at: Date;
  /** The record's first event, kept whole so a crash before its insert can be repaired. */
  event: Omit<HistoryEvent, "_id">;
  hash: string;
}

const historyAnchorSchema = new Schema<HistoryAnchor>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    stream: { type: String, required: true },
    n: { type: Number, required: true },
    recordKey: { type: String, required: true },
    idempotencyKey: { type: String, required: true },
    at: { type: Date, required: true },
    event: { type: Schema.Types.Mixed, required: true },
    hash: { type: String, required: true },
  },
  { collection: "history_anchors", versionKey: false, minimize: false },
);
// `_id` is `<stream>#<n>`: its uniqueness is what allocates the number.
historyAnchorSchema.index({ workspaceId: 1, idempotencyKey: 1 }, { unique: true });
historyAnchorSchema.index({ workspaceId: 1, at: 1 });

export const HistoryAnchorModel = defineModel<HistoryAnchor>("HistoryAnchor", historyAnchorSchema);

/**
 * On the embedded FerretDB only: which event a request's idempotency key last tried to commit,
 * so a retried request is recognised by reading two documents by `_id` instead of a query over
 * every event (FerretDB's SQLite backend filters nothing but `_id`). Written before the event's
 * insert, so a key whose event is missing or carries another key was never committed. On
 * MongoDB the same question is an indexed query on `history_events`.
 */
export interface TransitionKey {
  _id: string;
  eventId: string;
}
const transitionKeySchema = new Schema<TransitionKey>(
  { _id: { type: String, required: true }, eventId: { type: String, required: true } },
  { collection: "history_transition_keys", versionKey: false },
);
export const TransitionKeyModel = defineModel<TransitionKey>("TransitionKey", transitionKeySchema);

/** A hint of a stream's last number, so allocation does not scan. Never authoritative. */
export interface StreamHead {
  _id: string;
  n: number;
}
const streamHeadSchema = new Schema<StreamHead>(
  { _id: { type: String, required: true }, n: { type: Number, required: true } },
  { collection: "history_streams", versionKey: false },
);
export const StreamHeadModel = defineModel<StreamHead>("StreamHead", streamHeadSchema);

/**
 * A change whose follow-ups may not all be done: written before the change is committed, removed
 * once its effects are carried out. What a crash leaves here is finished by the repair job, however
 * long ago it happened; the collection holds only changes in flight, so reading it stays cheap.
 * `_id` is `<event id>|<idempotency key>` for a change (each contender for a number has its own), or, for a creation, `create:<workspace>:<key>`.
 */
export interface PendingEffects {
  _id: string;
  workspaceId: string;
  /** For a creation: the anchor it is trying to claim (updated when it moves to the next number). */
  anchorId?: string;
  /** For a change: the event. */
  eventId?: string;
  idempotencyKey: string;
  createdAt: Date;
}

const pendingEffectsSchema = new Schema<PendingEffects>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    anchorId: { type: String },
    eventId: { type: String },
    idempotencyKey: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: "history_pending_effects", versionKey: false },
);

export const PendingEffectsModel = defineModel<PendingEffects>("PendingEffects", pendingEffectsSchema);
