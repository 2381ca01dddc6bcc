import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Collection, OptionalUnlessRequiredId } from "mongodb";
import type { Model } from "mongoose";
import { QopsError } from "../errors.js";
import type { Actor, FieldChange, HistoryAnchor, HistoryEvent } from "../models/historyEvent.js";
import {
  HistoryAnchorModel,
  HistoryEventModel,
  type RecordKind,
  recordModel,
  StreamHeadModel,
} from "../models/index.js";
import type { RecordBase } from "../models/recordBase.js";
import { canonicalJson, GENESIS_HASH, sha256, toPlain } from "./canonical.js";
import { markChanged } from "./snapshots.js";

/** Contended writers retry; this bounds a pathological loop, not normal contention. */
const MAX_ATTEMPTS = 200;

export const eventId = (recordKey: string, seq: number) => `${recordKey}#${String(seq).padStart(6, "0")}`;
export const anchorId = (stream: string, n: number) => `${stream}#${String(n).padStart(6, "0")}`;

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === 11000;
}

type EventBody = Omit<HistoryEvent, "_id" | "hash">;

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
function afterValues(changes: Record<string, FieldChange>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(changes).map(([f, c]) => [f, c.after]));
}

/**
 * Inserts through the driver, not mongoose: an insert is our commit point and must be exactly
 * this document, with no defaults or casting added after its hash was computed.
 */
async function insertRaw<T extends { _id: string }>(model: Model<T>, doc: T): Promise<void> {
  const collection = model.collection as unknown as Collection<T>;
  await collection.insertOne(doc as OptionalUnlessRequiredId<T>);
}

function castRecord<T extends RecordBase>(kind: RecordKind, plain: Record<string, unknown>): T {
  return recordModel(kind).castObject(plain) as unknown as T;
}

export interface CreateRecordInput {
  kind: RecordKind;
  workspaceId: string;
  /** The chain the creation is numbered in, e.g. `slack:T1/CMP-2026`. */
  stream: string;
  /** Record key and reference for stream number n. */
  keyFor: (n: number) => { recordKey: string; ref: string | null };
  actor: Actor;
  at?: Date;
  /** The record's first fields; a function when they depend on the stream number. */
  fields: Record<string, unknown> | ((n: number) => Record<string, unknown>);
  /** Same key, same record: a retried request returns the first result. */
  idempotencyKey?: string;
  type?: string;
  reason?: string | null;
}

export interface CreateRecordResult<T> {
  record: T;
  created: boolean;
}

/**
 * Creates a record: claims the next number of its stream by inserting an anchor (unique
 * `_id`), then writes its first event and its document. Concurrent creators race on the
 * anchor insert and each loser moves to the next number, so numbers are consecutive and
 * never shared, on MongoDB and FerretDB alike, with no lock beyond the stream itself.
 */
export async function createRecord<T extends RecordBase>(
  input: CreateRecordInput,
): Promise<CreateRecordResult<T>> {
  const at = input.at ?? new Date();
  // Without a caller's key, every call is its own creation (the key must not depend on n).
  const idempotencyKey = input.idempotencyKey ?? `create:${randomUUID()}`;
  let n = (await StreamHeadModel.findById(input.stream).lean())?.n ?? 0;

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const number = n + 1;
    const { recordKey, ref } = input.keyFor(number);
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
    try {
      await insertRaw(HistoryAnchorModel, anchor);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      // FerretDB does not say which index refused the insert: if the number is free, the
      // caller's key is what collided (a retried request), so return what it created.
      if (input.idempotencyKey && !(await HistoryAnchorModel.exists({ _id: anchor._id }))) {
        const earlier = await HistoryAnchorModel.findOne({
          workspaceId: input.workspaceId,
          idempotencyKey,
        }).lean();
        if (earlier) return { record: await materialize<T>(earlier as HistoryAnchor), created: false };
      }
      // Taken: try the next number. Every number below the head hint is taken, so the
      // numbers stay consecutive; re-reading the hint now and then skips a long queue.
      n = number;
      if (attempt % 8 === 0) {
        n = Math.max(n, (await StreamHeadModel.findById(input.stream).lean())?.n ?? 0);
      }
      continue;
    }
    const record = await materialize<T>(anchor);
    await advanceStreamHead(input.stream, number);
    return { record, created: true };
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

/** Writes an anchor's first event and the record document, if a crash left them out. */
export async function materialize<T extends RecordBase>(anchor: HistoryAnchor): Promise<T> {
  const kind = anchor.event.kind as RecordKind;
  const doc = castRecord<T>(kind, {
    ...afterValues(anchor.event.changes),
    _id: anchor.recordKey,
    workspaceId: anchor.workspaceId,
    kind,
    seq: 1,
    createdAt: anchor.at,
    updatedAt: anchor.at,
  });
  const [eventFresh, docFresh] = [
    await insertIfAbsent(HistoryEventModel, { _id: eventId(anchor.recordKey, 1), ...anchor.event }),
    await insertIfAbsent(recordModel(kind), doc as RecordBase),
  ];
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

/**
 * Writes changed fields onto a record document. The filter is the `_id` alone: FerretDB pushes
 * only that down to SQLite (any other condition scans the collection), and a write that lands
 * out of order is harmless because every read folds in the events newer than the document.
 */
async function project(kind: RecordKind, recordKey: string, fields: Record<string, unknown>): Promise<void> {
  await recordModel(kind).updateOne({ _id: recordKey }, { $set: fields });
  await markChanged(kind, recordKey);
}

type EventPair = [HistoryEvent | null, HistoryEvent | null];

/** The event at `seq` and a probe for the one after it, in one round trip. */
function eventsAt(recordKey: string, seq: number): Promise<EventPair> {
  return Promise.all([
    HistoryEventModel.findById(eventId(recordKey, seq)).lean() as Promise<HistoryEvent | null>,
    HistoryEventModel.findById(eventId(recordKey, seq + 1)).lean() as Promise<HistoryEvent | null>,
  ]);
}

/** Folds events newer than the document into it and stores the result. */
async function catchUp(
  kind: RecordKind,
  doc: RecordBase,
  read?: EventPair,
): Promise<{ record: RecordBase; last: HistoryEvent | null }> {
  let record: Record<string, unknown> = { ...doc };
  let seq = doc.seq;
  const applied: Record<string, unknown> = {};
  const [lastRead, firstNext] = read ?? (await eventsAt(doc._id, seq));
  let last = lastRead;
  for (
    let next = firstNext;
    next;
    next = await HistoryEventModel.findById(eventId(doc._id, seq + 1)).lean()
  ) {
    Object.assign(applied, afterValues(next.changes));
    record = { ...record, ...afterValues(next.changes), seq: next.seq, updatedAt: next.at };
    seq = next.seq;
    last = next;
  }
  if (seq !== doc.seq) await project(kind, doc._id, { ...applied, seq, updatedAt: record.updatedAt });
  return { record: castRecord(kind, record), last: last as HistoryEvent | null };
}

/**
 * The sequence number each record had when this process last read it: the next read fetches
 * the events at that number alongside the document (one round trip instead of two), and uses
 * them only if the document is still at that number.
 */
const seenSeq = new Map<string, number>();
const MAX_SEEN = 10_000;

async function loadWithLast(
  kind: RecordKind,
  recordKey: string,
): Promise<{ record: RecordBase; last: HistoryEvent } | null> {
  const guess = seenSeq.get(recordKey);
  const guessed = guess === undefined ? null : eventsAt(recordKey, guess);
  guessed?.catch(() => undefined);
  const doc = await recordModel(kind).findById(recordKey).lean();
  if (!doc) {
    // A crash between the anchor and the document: the first event says what to build.
    const first = await HistoryEventModel.findById(eventId(recordKey, 1)).lean();
    if (!first) return null;
    const anchor = await HistoryAnchorModel.findOne({
      workspaceId: first.workspaceId,
      idempotencyKey: first.idempotencyKey,
    }).lean();
    if (!anchor) return null;
    await materialize(anchor as HistoryAnchor);
    return loadWithLast(kind, recordKey);
  }
  const read = guessed && (doc as RecordBase).seq === guess ? await guessed : undefined;
  const { record, last } = await catchUp(kind, doc as RecordBase, read);
  if (!last) return null;
  seenSeq.delete(recordKey);
  seenSeq.set(recordKey, last.seq);
  if (seenSeq.size > MAX_SEEN) seenSeq.delete(seenSeq.keys().next().value ?? "");
  return { record, last };
}

/** The current state of a record: its document brought up to its last event. */
export async function loadRecord<T extends RecordBase>(
  kind: RecordKind,
  recordKey: string,
): Promise<T | null> {
  const loaded = await loadWithLast(kind, recordKey);
  return loaded ? (loaded.record as T) : null;
}

export interface TransitionInput<T> {
  kind: RecordKind;
  recordKey: string;
  /** The event type; a function when it depends on the state (a vote added or taken back). */
  type: string | ((record: T) => string);
  actor: Actor;
  at?: Date;
  reason?: string | null;
  idempotencyKey?: string;
  /**
   * Given the current record and its last event, returns the fields to change, or throws a
   * QopsError saying why not. Called again with fresh data if another change won the race.
   */
  decide: (record: T, last: HistoryEvent) => Record<string, unknown>;
}

export interface TransitionResult<T> {
  record: T;
  event: HistoryEvent;
  /** True when this exact request had already been applied (a retried delivery). */
  replayed: boolean;
}

/**
 * Changes a record through a named transition. The commit point is the insert of event
 * seq+1: of two concurrent transitions exactly one inserts it; the other re-reads and asks
 * `decide` again, which usually refuses ("already accepted by …").
 */
export async function transition<T extends RecordBase>(
  input: TransitionInput<T>,
): Promise<TransitionResult<T>> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const loaded = await loadWithLast(input.kind, input.recordKey);
    if (!loaded) throw new QopsError("not_found", `There is no record ${refOf(input.recordKey)}.`);
    const record = loaded.record as T;
    const changes = diff(record as unknown as Record<string, unknown>, input.decide(record, loaded.last));
    if (Object.keys(changes).length === 0) {
      throw new QopsError("invalid_transition", `Nothing to change on ${refOf(input.recordKey)}.`);
    }
    const at = input.at ?? new Date();
    const seq = loaded.last.seq + 1;
    const id = eventId(input.recordKey, seq);
    const body: EventBody = {
      workspaceId: record.workspaceId,
      recordKey: input.recordKey,
      kind: input.kind,
      seq,
      type: typeof input.type === "function" ? input.type(record) : input.type,
      actor: input.actor,
      at,
      changes,
      reason: input.reason ?? null,
      idempotencyKey: input.idempotencyKey ?? id,
      prevHash: loaded.last.hash,
    };
    const event: HistoryEvent = { _id: id, ...body, hash: hashEvent(body) };
    try {
      await insertRaw(HistoryEventModel, event);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      if (input.idempotencyKey) {
        const earlier = await HistoryEventModel.findOne({
          workspaceId: record.workspaceId,
          idempotencyKey: input.idempotencyKey,
        }).lean();
        if (earlier) {
          const current = await loadRecord<T>(input.kind, input.recordKey);
          return { record: current as T, event: earlier as HistoryEvent, replayed: true };
        }
      }
      await sleep(Math.random() * Math.min(20, attempt + 1));
      continue;
    }
    await project(input.kind, input.recordKey, { ...afterValues(changes), seq, updatedAt: at });
    const next = castRecord<T>(input.kind, {
      ...(record as unknown as Record<string, unknown>),
      ...afterValues(changes),
      seq,
      updatedAt: at,
    });
    return { record: next, event, replayed: false };
  }
  throw new QopsError(
    "unavailable",
    `Too many changes to ${refOf(input.recordKey)} at once; nothing was changed. Please try again.`,
  );
}

/** Every event of a record, oldest first. */
export async function recordHistory(recordKey: string): Promise<HistoryEvent[]> {
  const events = await HistoryEventModel.find({ recordKey }).lean();
  return (events as HistoryEvent[]).sort((a, b) => a.seq - b.seq);
}

function refOf(recordKey: string): string {
  return recordKey.slice(recordKey.indexOf("/") + 1);
}
