import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Collection, OptionalUnlessRequiredId } from "mongodb";
import type { Model } from "mongoose";
import { QopsError } from "../errors.js";
import { canonicalJson, GENESIS_HASH, sha256, toPlain } from "./canonical.js";
import { engineCaps } from "./engineCaps.js";
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
import type { RecordBase } from "./recordBase.js";
import { noteCommitted, noteUncertain } from "./scope.js";
import { markChanged } from "./snapshots.js";

/** Contended writers retry; this bounds a pathological loop, not normal contention. */
const MAX_ATTEMPTS = 200;

export const eventId = (recordKey: string, seq: number) => `${recordKey}#${String(seq).padStart(6, "0")}`;
export const anchorId = (stream: string, n: number) => `${stream}#${String(n).padStart(6, "0")}`;
export const creationIntentId = (workspaceId: string, idempotencyKey: string) =>
  `create:${workspaceId}:${idempotencyKey}`;

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

function castRecord<T extends RecordBase>(kind: string, plain: Record<string, unknown>): T {
  return recordModel(kind).castObject(plain) as unknown as T;
}

const refOf = (recordKey: string) => recordKey.slice(recordKey.indexOf("/") + 1);

/** An insert that failed for another reason than a duplicate key may still have landed. */
function commitFailed(error: unknown, what: string): never {
  noteUncertain(what);
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
      if (!isDuplicateKey(error)) commitFailed(error, `the new ${input.kind}`);
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
    noteCommitted(ref ?? recordKey);
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

// ------------------------------------------------------------------ reading

type Loaded = { record: RecordBase; last: HistoryEvent };

/**
 * The events newer than a document (and the one it is at), read the plain way on MongoDB: one
 * indexed query. On the embedded FerretDB every query but `_id` reads the whole collection, so
 * the events are read by `_id`, one at a time (see `eventsById`).
 */
async function eventsFrom(recordKey: string, seq: number): Promise<HistoryEvent[]> {
  if (engineCaps().scansQueries) return eventsById(recordKey, seq);
  return (await HistoryEventModel.find({ recordKey, seq: { $gte: seq } })
    .sort({ seq: 1 })
    .lean()) as HistoryEvent[];
}

async function eventsById(recordKey: string, seq: number, known?: HistoryEvent[]): Promise<HistoryEvent[]> {
  const out: HistoryEvent[] = known ? [...known] : [];
  if (!known) {
    const [at, next] = await eventPair(recordKey, seq);
    if (at) out.push(at);
    if (next) out.push(next);
    if (!next) return out;
  }
  for (let s = (out[out.length - 1]?.seq ?? seq) + 1; ; s++) {
    const next = (await HistoryEventModel.findById(eventId(recordKey, s)).lean()) as HistoryEvent | null;
    if (!next) break;
    out.push(next);
  }
  return out;
}

function eventPair(recordKey: string, seq: number): Promise<[HistoryEvent | null, HistoryEvent | null]> {
  return Promise.all([
    HistoryEventModel.findById(eventId(recordKey, seq)).lean() as Promise<HistoryEvent | null>,
    HistoryEventModel.findById(eventId(recordKey, seq + 1)).lean() as Promise<HistoryEvent | null>,
  ]);
}

/**
 * The sequence number each record had when this process last read it (embedded engine only):
 * the next read fetches the events at that number alongside the document (one round trip
 * instead of two), and uses them only if the document is still at that number.
 */
const seenSeq = new Map<string, number>();
const MAX_SEEN = 10_000;

async function loadWithLast(kind: string, recordKey: string): Promise<Loaded | null> {
  const scans = engineCaps().scansQueries;
  const guess = scans ? seenSeq.get(recordKey) : undefined;
  const guessed = guess === undefined ? null : eventPair(recordKey, guess);
  guessed?.catch(() => undefined);
  const doc = (await recordModel(kind).findById(recordKey).lean()) as RecordBase | null;
  if (!doc) {
    // A crash between the anchor and the document: the first event says what to build.
    const first = await HistoryEventModel.findById(eventId(recordKey, 1)).lean();
    const anchor = first
      ? await HistoryAnchorModel.findOne({
          workspaceId: first.workspaceId,
          idempotencyKey: first.idempotencyKey,
        }).lean()
      : null;
    if (!anchor) return null;
    await materialize(anchor as HistoryAnchor);
    return loadWithLast(kind, recordKey);
  }
  let events: HistoryEvent[];
  if (guessed && doc.seq === guess) {
    const [at, next] = await guessed;
    events = !at ? [] : next ? await eventsById(recordKey, doc.seq, [at, next]) : [at];
  } else {
    events = await eventsFrom(recordKey, doc.seq);
  }
  const last = events.find((e) => e.seq === doc.seq);
  if (!last) return null;
  const newer = events.filter((e) => e.seq > doc.seq);
  const record = newer.length ? await catchUp(kind, doc, newer) : castRecord(kind, doc as never);
  const lastEvent = newer[newer.length - 1] ?? last;
  if (scans) {
    seenSeq.delete(recordKey);
    seenSeq.set(recordKey, lastEvent.seq);
    if (seenSeq.size > MAX_SEEN) seenSeq.delete(seenSeq.keys().next().value ?? "");
  }
  return { record, last: lastEvent };
}

/** Folds events newer than the document into it and stores the result (never going back). */
async function catchUp(kind: string, doc: RecordBase, newer: HistoryEvent[]): Promise<RecordBase> {
  let state: Record<string, unknown> = { ...doc };
  for (const event of newer)
    state = { ...state, ...afterValues(event.changes), seq: event.seq, updatedAt: event.at };
  const record = castRecord(kind, state);
  await storeState(kind, record, doc.seq);
  return record;
}

/**
 * Stores a record's whole state at its seq, written over the document that was at `fromSeq`.
 * On MongoDB the filter makes it conditional, so a document never goes back nor skips an event:
 * if another writer moved it meanwhile, this write does nothing. The embedded FerretDB applies a
 * conditional update as a read and a write (and reads every document for a filter on anything
 * but `_id`), so there the whole state is written by `_id` and the next event is looked for
 * afterwards: whichever write lands last, the writer of the older state finds the newer event
 * and writes again.
 */
async function storeState(kind: string, record: RecordBase, fromSeq: number): Promise<void> {
  const { _id, ...state } = record as RecordBase & Record<string, unknown>;
  const model = recordModel(kind);
  if (engineCaps().scansQueries) {
    await model.updateOne({ _id }, { $set: state });
    const next = await HistoryEventModel.findById(eventId(_id, record.seq + 1)).lean();
    if (next) await loadRecord(kind, _id);
  } else {
    await model.updateOne({ _id, seq: fromSeq }, { $set: state });
  }
  await markChanged(kind, _id);
}

/** The current state of a record: its document brought up to its last event. */
export async function loadRecord<T extends RecordBase>(kind: string, recordKey: string): Promise<T | null> {
  const loaded = await loadWithLast(kind, recordKey);
  return loaded ? (loaded.record as T) : null;
}

/** Every event of a record, oldest first. */
export async function recordHistory(recordKey: string): Promise<HistoryEvent[]> {
  return eventsFrom(recordKey, 1);
}

// ------------------------------------------------------------------ transitions

export interface Decision {
  /** The fields to change. */
  fields: Record<string, unknown>;
  /** What the change causes, stored with it. */
  effects?: Effect[];
}

export interface TransitionInput<T> {
  kind: string;
  recordKey: string;
  /** The event type; a function when it depends on the state (a vote added or taken back). */
  type: string | ((record: T) => string);
  actor: Actor;
  at?: Date;
  reason?: string | null;
  /** The caller makes it specific to the record and the person (see createRecord). */
  idempotencyKey?: string;
  /**
   * Given the current record and its last event, decides the change (or throws a QopsError
   * saying why not). Called again with fresh data if another change won the race, so every
   * rule about the record (state, owner, a rule that spans records kept on it) is checked
   * against what the commit will follow.
   */
  decide: (record: T, last: HistoryEvent) => Decision;
}

export interface TransitionResult<T> {
  record: T;
  event: HistoryEvent;
  /** True when this exact request had already been applied (a retried delivery). */
  replayed: boolean;
  /** The pending-effects entry to clear once the effects are carried out (null: none). */
  pendingId: string | null;
}

/**
 * Changes a record through a named transition. The commit point is the insert of event
 * seq+1: of two concurrent transitions exactly one inserts it; the other re-reads and asks
 * `decide` again, which usually refuses ("already accepted by …").
 */
export async function transition<T extends RecordBase>(
  input: TransitionInput<T>,
): Promise<TransitionResult<T>> {
  if (input.idempotencyKey) {
    const earlier = await replayOf<T>(input);
    if (earlier) return earlier;
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const loaded = await loadWithLast(input.kind, input.recordKey);
    if (!loaded) throw new QopsError("not_found", `There is no record ${refOf(input.recordKey)}.`);
    const record = loaded.record as T;
    const decision = input.decide(record, loaded.last);
    const changes = diff(record as unknown as Record<string, unknown>, decision.fields);
    if (Object.keys(changes).length === 0) {
      throw new QopsError("invalid_transition", `Nothing to change on ${refOf(input.recordKey)}.`);
    }
    const at = input.at ?? new Date();
    const seq = loaded.last.seq + 1;
    const id = eventId(input.recordKey, seq);
    const effects = decision.effects ?? [];
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
      ...(effects.length ? { effects } : {}),
      prevHash: loaded.last.hash,
    };
    const event: HistoryEvent = { _id: id, ...body, hash: hashEvent(body) };
    if (effects.length)
      await PendingEffectsModel.replaceOne(
        { _id: id },
        {
          _id: id,
          workspaceId: record.workspaceId,
          eventId: id,
          idempotencyKey: body.idempotencyKey,
          createdAt: at,
        },
        { upsert: true },
      );
    try {
      await insertRaw(HistoryEventModel, event);
    } catch (error) {
      if (!isDuplicateKey(error)) commitFailed(error, record.ref ?? input.recordKey);
      // Another change took this number (its own pending entry, if any, has its own key).
      if (effects.length)
        await PendingEffectsModel.deleteOne({ _id: id, idempotencyKey: body.idempotencyKey });
      if (input.idempotencyKey) {
        const earlier = await replayOf<T>(input);
        if (earlier) return earlier;
      }
      await sleep(Math.random() * Math.min(20, attempt + 1));
      continue;
    }
    noteCommitted(record.ref ?? input.recordKey);
    const next = castRecord<T>(input.kind, {
      ...(record as unknown as Record<string, unknown>),
      ...afterValues(changes),
      seq,
      updatedAt: at,
    });
    // Committed: a failed projection is caught up by the next read or the repair.
    await project(input.kind, next, changes, loaded.last.seq).catch(() => undefined);
    return { record: next, event, replayed: false, pendingId: effects.length ? id : null };
  }
  throw new QopsError(
    "unavailable",
    `Too many changes to ${refOf(input.recordKey)} at once; nothing was changed. Please try again.`,
  );
}

/** The event a retried request already wrote, if it was this person's change to this record. */
async function replayOf<T extends RecordBase>(
  input: TransitionInput<T>,
): Promise<TransitionResult<T> | null> {
  const workspaceId = input.recordKey.split("/")[0] ?? "";
  const earlier = (await HistoryEventModel.findOne({
    workspaceId,
    idempotencyKey: input.idempotencyKey,
  }).lean()) as HistoryEvent | null;
  if (!earlier) return null;
  if (earlier.recordKey !== input.recordKey || earlier.actor.id !== input.actor.id)
    throw new QopsError(
      "conflict",
      "This request was already used for another change; nothing was changed. Press the button again.",
    );
  const current = await loadRecord<T>(input.kind, input.recordKey);
  return { record: current as T, event: earlier, replayed: true, pendingId: null };
}

/** Writes a committed change onto its document (see storeState for how each engine does it). */
async function project(
  kind: string,
  record: RecordBase,
  changes: Record<string, FieldChange>,
  previousSeq: number,
): Promise<void> {
  if (engineCaps().scansQueries) {
    await storeState(kind, record, previousSeq);
    return;
  }
  const fields = { ...afterValues(changes), seq: record.seq, updatedAt: record.updatedAt };
  const result = await recordModel(kind).updateOne({ _id: record._id, seq: previousSeq }, { $set: fields });
  // The document was not at the previous event (a projection lost in a crash, or a later one
  // landed first): fold from wherever it is, never going back.
  if (result.matchedCount === 0) await loadRecord(kind, record._id);
  else await markChanged(kind, record._id);
}

// ------------------------------------------------------------------ pending effects

/** The follow-ups of a change are done: its pending entry goes. */
export async function effectsDone(pendingId: string): Promise<void> {
  await PendingEffectsModel.deleteOne({ _id: pendingId });
}

/**
 * Pending entries older than `before`, each with the event it is about if that change was
 * committed (null: it never was, and the entry can go).
 */
export async function pendingEffects(
  before: Date,
  limit = 200,
): Promise<{ id: string; event: HistoryEvent | null }[]> {
  const entries = await PendingEffectsModel.find({ createdAt: { $lt: before } })
    .limit(limit)
    .lean();
  const out: { id: string; event: HistoryEvent | null }[] = [];
  for (const entry of entries) {
    if (entry.anchorId) {
      const anchor = (await HistoryAnchorModel.findById(entry.anchorId).lean()) as HistoryAnchor | null;
      if (anchor && anchor.idempotencyKey === entry.idempotencyKey) {
        await materialize(anchor);
        out.push({ id: entry._id, event: { _id: eventId(anchor.recordKey, 1), ...anchor.event } });
      } else out.push({ id: entry._id, event: null });
      continue;
    }
    const event = (await HistoryEventModel.findById(entry.eventId).lean()) as HistoryEvent | null;
    if (event && event.idempotencyKey === entry.idempotencyKey) {
      await loadRecord(event.kind, event.recordKey);
      out.push({ id: entry._id, event });
    } else out.push({ id: entry._id, event: null });
  }
  return out;
}

/** The pending entries of a workspace (verify tells a half-done creation from a deletion). */
export async function pendingAnchors(workspaceId: string): Promise<Set<string>> {
  const entries = await PendingEffectsModel.find({ workspaceId }, { anchorId: 1 }).lean();
  return new Set(entries.map((e) => e.anchorId).filter((a): a is string => Boolean(a)));
}
