import { randomUUID } from "node:crypto";
import type { Collection, OptionalUnlessRequiredId } from "mongodb";
import type { Model } from "mongoose";
import { QopsError } from "../errors.js";
import { canonicalJson, GENESIS_HASH, sha256, toPlain } from "./canonical.js";
import {
  type Actor,
  type Effect,
  type FieldChange,
  type HistoryAnchor,
  HistoryAnchorModel,
  type HistoryEvent,
  HistoryEventModel,
  PendingEffectsModel,
  StreamHeadModel,
} from "./historyModels.js";
import { recordModel } from "./kinds.js";
import { effectsDone } from "./pending.js";
import { loadRecord } from "./read.js";
import type { RecordBase } from "./recordBase.js";
import { noteCommitted, noteUncertain, type RequestScope } from "./scope.js";
import { markChanged } from "./snapshots.js";

/** Contended writers retry; this bounds a pathological loop, not normal contention. */
export const MAX_ATTEMPTS = 200;

export const eventId = (recordKey: string, seq: number) => `${recordKey}#${String(seq).padStart(6, "0")}`;
export const anchorId = (stream: string, n: number) => `${stream}#${String(n).padStart(6, "0")}`;
/** The stream of numbered references `PREFIX-YEAR-NNNN` of a workspace (CMP-2026 of slack:T1). */
export const referenceStreamId = (workspaceId: string, prefix: string, year: number) =>
  `${workspaceId}/${prefix}-${year}`;

/**
 * The anchor that claimed a numbered reference's number (`slack:T1/CMP-2026-0007` was claimed by
 * `slack:T1/CMP-2026#000007`), or null for a record not numbered that way. It holds the whole
 * creation, so a record whose first event was never written can still be read.
 */
export function anchorIdOfRecord(recordKey: string): string | null {
  const m = /^(.+)\/([A-Z]+)-(\d{4})-(\d{4,})$/.exec(recordKey);
  if (!m) return null;
  return anchorId(referenceStreamId(m[1] ?? "", m[2] ?? "", Number(m[3])), Number(m[4]));
}

export const creationIntentId = (workspaceId: string, idempotencyKey: string) =>
  `create:${workspaceId}:${idempotencyKey}`;

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === 11000;
}

export type EventBody = Omit<HistoryEvent, "_id" | "hash">;

export function hashEvent(event: EventBody): string {
  return sha256(
    canonicalJson({
      workspaceId: event.workspaceId,
      recordKey: event.recordKey,
      kind: event.kind,
      seq: event.seq,
      type: event.type,
      actor: event.actor,
      at: event.at,
      changes: event.changes,
      reason: event.reason,
      idempotencyKey: event.idempotencyKey,
      // Absent on events that cause nothing (and on every event before effects existed).
      effects: event.effects?.length ? event.effects : undefined,
      prevHash: event.prevHash,
    }),
  );
}

export function hashAnchor(anchor: Omit<HistoryAnchor, "_id" | "hash" | "event">, eventHash: string): string {
  return sha256(
    canonicalJson({
      workspaceId: anchor.workspaceId,
      stream: anchor.stream,
      n: anchor.n,
      recordKey: anchor.recordKey,
      idempotencyKey: anchor.idempotencyKey,
      at: anchor.at,
      eventHash,
    }),
  );
}

/** Field → {before, after} for the fields whose value really changes. */
export function diff(
  current: Record<string, unknown> | null,
  next: Record<string, unknown>,
): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const [field, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const before = toPlain(current?.[field]);
    const after = toPlain(value);
    if (canonicalJson(before) !== canonicalJson(after)) changes[field] = { before, after };
  }
  return changes;
}

/** The record's fields after an event: the `after` of every change. */
export function afterValues(changes: Record<string, FieldChange>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(changes).map(([f, c]) => [f, c.after]));
}

/**
 * Inserts through the driver, not mongoose: an insert is our commit point and must be exactly
 * this document, with no defaults or casting added after its hash was computed.
 */
export async function insertRaw<T extends { _id: string }>(model: Model<T>, doc: T): Promise<void> {
  const collection = model.collection as unknown as Collection<T>;
  await collection.insertOne(doc as OptionalUnlessRequiredId<T>);
}

export function castRecord<T extends RecordBase>(kind: string, plain: Record<string, unknown>): T {
  return recordModel(kind).castObject(plain) as unknown as T;
}

export const refOf = (recordKey: string) => recordKey.slice(recordKey.indexOf("/") + 1);

/** An insert that failed for another reason than a duplicate key may still have landed. */
export function commitFailed(error: unknown, what: string, scope: RequestScope | undefined): never {
  noteUncertain(scope, what);
  throw error;
}

// ------------------------------------------------------------------ creation

export interface CreateRecordInput {
  kind: string;
  workspaceId: string;
  /** The chain the creation is numbered in, e.g. `slack:T1/CMP-2026`. */
  stream: string;
  /** Record key and reference for stream number n. */
  keyFor: (n: number) => { recordKey: string; ref: string | null };
  actor: Actor;
  /** The request this creation is part of, told what was saved (see RequestScope). */
  scope?: RequestScope | undefined;
  at?: Date;
  /** The record's first fields; a function when they depend on the stream number. */
  fields: Record<string, unknown> | ((n: number) => Record<string, unknown>);
  /**
   * Same key, same record: a retried request returns the first result. The caller makes it
   * specific to the person asking; a key another person used is refused, never answered with
   * their record.
   */
  idempotencyKey?: string;
  /**
   * The key names the record itself (a workspace's setup, a person's acknowledgement of a
   * version), not one person's request: whoever repeats it gets the record that exists.
   */
  keyIsIdentity?: boolean;
  type?: string;
  reason?: string | null;
  /** What the creation causes (a message to the reporter, a triage post…), for number n. */
  effects?: (n: number, ref: string | null) => Effect[];
}

export interface CreateRecordResult<T> {
  record: T;
  created: boolean;
  /** The first event (with its effects), whether created now or earlier. */
  event: HistoryEvent;
  /** The pending-effects entry to clear once the effects are carried out (null: none). */
  pendingId: string | null;
}

/**
 * Creates a record: claims the next number of its stream by inserting an anchor (unique
 * `_id`), then writes its first event and its document. Concurrent creators race on the
 * anchor insert and each loser moves to the next number, so numbers are consecutive and
 * never shared, on MongoDB and FerretDB alike, with no lock beyond the stream itself. Once the
 * anchor is in, the creation has happened: what is left (first event, document, effects) is
 * finished here or, after a crash, by the repair job from the pending-effects entry.
 */
export async function createRecord<T extends RecordBase>(
  input: CreateRecordInput,
): Promise<CreateRecordResult<T>> {
  const at = input.at ?? new Date();
  // Without a caller's key, every call is its own creation (the key must not depend on n).
  const idempotencyKey = input.idempotencyKey ?? `create:${randomUUID()}`;
  const intentId = creationIntentId(input.workspaceId, idempotencyKey);
  let n = (await StreamHeadModel.findById(input.stream).lean())?.n ?? 0;

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const number = n + 1;
    const { recordKey, ref } = input.keyFor(number);
    const effects = input.effects?.(number, ref) ?? [];
    const body: EventBody = {
      workspaceId: input.workspaceId,
      recordKey,
      kind: input.kind,
      seq: 1,
      type: input.type ?? "created",
      actor: input.actor,
      at,
      changes: diff(null, {
        ...(typeof input.fields === "function" ? input.fields(number) : input.fields),
        ref,
      }),
      reason: input.reason ?? null,
      idempotencyKey,
      ...(effects.length ? { effects } : {}),
      prevHash: GENESIS_HASH,
    };
    const event = { ...body, hash: hashEvent(body) };
    const anchorBody = {
      workspaceId: input.workspaceId,
      stream: input.stream,
      n: number,
      recordKey,
      idempotencyKey,
      at,
    };
    const anchor: HistoryAnchor = {
      _id: anchorId(input.stream, number),
      ...anchorBody,
      event,
      hash: hashAnchor(anchorBody, event.hash),
    };
    // Before the commit point: a crash after it leaves this entry, and the repair finishes
    // the creation (and its effects), or verify reports it as half-done rather than deleted.
    await PendingEffectsModel.replaceOne(
      { _id: intentId },
      {
        _id: intentId,
        workspaceId: input.workspaceId,
        anchorId: anchor._id,
        idempotencyKey,
        createdAt: at,
      },
      { upsert: true },
    ).catch(async (error: unknown) => {
      if (!isDuplicateKey(error)) throw error;
      await PendingEffectsModel.updateOne({ _id: intentId }, { $set: { anchorId: anchor._id } });
    });
    try {
      await insertRaw(HistoryAnchorModel, anchor);
    } catch (error) {
      if (!isDuplicateKey(error)) commitFailed(error, `the new ${input.kind}`, input.scope);
      // FerretDB does not say which index refused the insert: if the number is free, the
      // caller's key is what collided (a retried request), so return what it created.
      if (input.idempotencyKey && !(await HistoryAnchorModel.exists({ _id: anchor._id }))) {
        const earlier = (await HistoryAnchorModel.findOne({
          workspaceId: input.workspaceId,
          idempotencyKey,
        }).lean()) as HistoryAnchor | null;
        if (earlier) {
          const someoneElse = !input.keyIsIdentity && earlier.event.actor.id !== input.actor.id;
          if (someoneElse || earlier.event.kind !== input.kind)
            throw new QopsError(
              "conflict",
              "This form or request was already used by someone else; nothing was saved. Start again from the command.",
            );
          const record = await materialize<T>(earlier);
          return {
            record,
            created: false,
            event: { _id: eventId(earlier.recordKey, 1), ...earlier.event },
            pendingId: null,
          };
        }
      }
      // Taken: try the next number. Every number below the head hint is taken, so the
      // numbers stay consecutive; re-reading the hint now and then skips a long queue.
      n = number;
      if (attempt % 8 === 0) {
        n = Math.max(n, (await StreamHeadModel.findById(input.stream).lean())?.n ?? 0);
      }
      continue;
    }
    noteCommitted(input.scope, ref ?? recordKey);
    // Committed: the rest is repairable, so a failure from here on is not "nothing was saved".
    let materialized = true;
    const record = await materialize<T>(anchor).catch(() => {
      materialized = false;
      return castRecord<T>(input.kind, documentOf(anchor) as unknown as Record<string, unknown>);
    });
    await advanceStreamHead(input.stream, number).catch(() => undefined);
    // With effects, the entry stays until the caller has carried them out.
    if (materialized && !effects.length) await effectsDone(intentId).catch(() => undefined);
    return {
      record,
      created: true,
      event: { _id: eventId(recordKey, 1), ...event },
      pendingId: effects.length ? intentId : null,
    };
  }
  throw new QopsError(
    "unavailable",
    "Too many people are creating records at once; nothing was saved. Please try again.",
  );
}

async function advanceStreamHead(stream: string, n: number): Promise<void> {
  try {
    await StreamHeadModel.updateOne({ _id: stream }, { $max: { n } }, { upsert: true });
  } catch (error) {
    // Two first creations upserted at once; the head exists now, so update it plainly.
    if (!isDuplicateKey(error)) throw error;
    await StreamHeadModel.updateOne({ _id: stream }, { $max: { n } });
  }
}

function documentOf(anchor: HistoryAnchor): RecordBase {
  return {
    ...(afterValues(anchor.event.changes) as object),
    _id: anchor.recordKey,
    workspaceId: anchor.workspaceId,
    kind: anchor.event.kind,
    seq: 1,
    createdAt: anchor.at,
    updatedAt: anchor.at,
  } as RecordBase;
}

/** Writes an anchor's first event and the record document, if a crash left them out. */
export async function materialize<T extends RecordBase>(anchor: HistoryAnchor): Promise<T> {
  const kind = anchor.event.kind;
  const doc = castRecord<T>(kind, documentOf(anchor) as unknown as Record<string, unknown>);
  const eventFresh = await insertIfAbsent(HistoryEventModel, {
    _id: eventId(anchor.recordKey, 1),
    ...anchor.event,
  });
  const docFresh = await insertIfAbsent(recordModel(kind), doc as RecordBase);
  if (docFresh) await markChanged(kind, anchor.recordKey);
  // Both written just now: the document is exactly the first event, no need to read it back.
  if (eventFresh && docFresh) return doc;
  return (await loadRecord<T>(kind, anchor.recordKey)) as T;
}

/** Inserts; false when a document with that `_id` is already there. */
async function insertIfAbsent<T extends { _id: string }>(model: Model<T>, doc: T): Promise<boolean> {
  try {
    await insertRaw(model, doc);
    return true;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return false;
  }
}

// The history's public face: reading, changing and finishing records, each in its own file.
export { effectsDone, pendingAnchors, pendingEffects } from "./pending.js";
export { loadRecord, recordHistory } from "./read.js";
export { type Decision, type TransitionInput, type TransitionResult, transition } from "./transition.js";
