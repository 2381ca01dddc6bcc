import type { Collection } from "mongodb";
import type { Model } from "mongoose";
import { engineCaps } from "./engineCaps.js";
import { afterValues, anchorIdOfRecord, castRecord, eventId, materialize } from "./history.js";
import {
  type HistoryAnchor,
  HistoryAnchorModel,
  type HistoryEvent,
  HistoryEventModel,
} from "./historyModels.js";
import { recordModel } from "./kinds.js";
import type { RecordBase } from "./recordBase.js";
import { markChanged } from "./snapshots.js";

// ------------------------------------------------------------------ reading

/**
 * Documents by `_id`, in the order asked (null where there is none): one `$in` query on
 * MongoDB; on the embedded FerretDB, where only `_id` equality is indexed, one read by `_id`
 * each, all at once.
 */
export async function findByIds<T>(
  model: Model<T>,
  ids: readonly string[],
  projection?: Record<string, 1>,
): Promise<(T | null)[]> {
  if (!ids.length) return [];
  if (engineCaps().scansQueries)
    return (await Promise.all(ids.map((_id) => model.findById(_id, projection).lean()))) as (T | null)[];
  const found = (await model.find({ _id: { $in: ids } }, projection).lean()) as (T & { _id: string })[];
  const byId = new Map(found.map((doc) => [String(doc._id), doc as T]));
  return ids.map((id) => byId.get(id) ?? null);
}

export type Loaded = { record: RecordBase; last: HistoryEvent };

/**
 * The events newer than a document (and the one it is at), read the plain way on MongoDB: one
 * indexed query. On the embedded FerretDB every query but `_id` reads the whole collection, so
 * the events are read by `_id`, one at a time (see `eventsById`).
 */
export async function eventsFrom(recordKey: string, seq: number): Promise<HistoryEvent[]> {
  if (engineCaps().scansQueries) return eventsById(recordKey, seq);
  return (await HistoryEventModel.find({ recordKey, seq: { $gte: seq } })
    .sort({ seq: 1 })
    .lean()) as HistoryEvent[];
}

export async function eventsById(
  recordKey: string,
  seq: number,
  known?: HistoryEvent[],
): Promise<HistoryEvent[]> {
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

export function eventPair(
  recordKey: string,
  seq: number,
): Promise<[HistoryEvent | null, HistoryEvent | null]> {
  // Through the driver: events are stored as written (see insertRaw), nothing to cast.
  const events = HistoryEventModel.collection as unknown as Collection<HistoryEvent>;
  return Promise.all([
    events.findOne({ _id: eventId(recordKey, seq) }),
    events.findOne({ _id: eventId(recordKey, seq + 1) }),
  ]);
}

/**
 * Records this process read or wrote lately, with their last event (embedded engine only). A
 * record's state is its chain of events, so while the event held is still there (same hash)
 * and has no successor, the state held is the current one: a read is then two reads by `_id`
 * of history events instead of the document and its events. When the chain moved on, the pair
 * read saves the events' read if the document is where this process last saw it.
 */
const held = new Map<string, Loaded>();
export const MAX_HELD = 10_000;

export function holdLoaded(loaded: Loaded): void {
  if (!engineCaps().scansQueries) return;
  const key = loaded.record._id;
  held.delete(key);
  held.set(key, copyOf(loaded));
  if (held.size > MAX_HELD) held.delete(held.keys().next().value ?? "");
}

/** Forgets every held record, as a restart does. */
export const forgetHeld = () => held.clear();

/** A copy no caller's change can reach: arrays and plain objects copied, dates too. */
function plainCopy(value: unknown): unknown {
  if (Array.isArray(value)) return Array.from(value, plainCopy);
  if (value instanceof Date) return new Date(value.getTime());
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainCopy(v)]));
  return value;
}

// Held as cast when it was read, so a copy needs no casting again.
const copyOf = (loaded: Loaded): Loaded => ({
  record: plainCopy(loaded.record) as RecordBase,
  last: loaded.last,
});

export async function loadWithLast(kind: string, recordKey: string): Promise<Loaded | null> {
  const mine = engineCaps().scansQueries ? held.get(recordKey) : undefined;
  let pair: [HistoryEvent | null, HistoryEvent | null] | null = null;
  if (mine) {
    pair = await eventPair(recordKey, mine.last.seq);
    if (pair[0]?.hash === mine.last.hash && !pair[1]) return copyOf(mine);
    held.delete(recordKey);
  }
  const doc = (await recordModel(kind).findById(recordKey).lean()) as RecordBase | null;
  if (!doc) {
    // A crash between the anchor (the commit point) and the document: the first event says
    // what to build; without it, the anchor that claimed a numbered reference does.
    const first = await HistoryEventModel.findById(eventId(recordKey, 1)).lean();
    const numbered = first ? null : anchorIdOfRecord(recordKey);
    const anchor = first
      ? await HistoryAnchorModel.findOne({
          workspaceId: first.workspaceId,
          idempotencyKey: first.idempotencyKey,
        }).lean()
      : numbered
        ? await HistoryAnchorModel.findById(numbered).lean()
        : null;
    if (!anchor || anchor.recordKey !== recordKey) return null;
    await materialize(anchor as HistoryAnchor);
    return loadWithLast(kind, recordKey);
  }
  let events: HistoryEvent[];
  if (pair && doc.seq === mine?.last.seq) {
    const [at, next] = pair;
    events = !at ? [] : next ? await eventsById(recordKey, doc.seq, [at, next]) : [at];
  } else {
    events = await eventsFrom(recordKey, doc.seq);
  }
  const last = events.find((e) => e.seq === doc.seq);
  if (!last) return null;
  const newer = events.filter((e) => e.seq > doc.seq);
  const record = newer.length ? await catchUp(kind, doc, newer) : castRecord(kind, doc as never);
  const loaded = { record, last: newer[newer.length - 1] ?? last };
  holdLoaded(loaded);
  return loaded;
}

/** Folds events newer than the document into it and stores the result (never going back). */
export async function catchUp(kind: string, doc: RecordBase, newer: HistoryEvent[]): Promise<RecordBase> {
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
export async function storeState(kind: string, record: RecordBase, fromSeq: number): Promise<void> {
  const { _id, ...state } = record as RecordBase & Record<string, unknown>;
  const model = recordModel(kind);
  if (engineCaps().scansQueries) {
    await model.updateOne({ _id }, { $set: state });
    const next = await HistoryEventModel.findById(eventId(_id, record.seq + 1)).lean();
    if (next) {
      // What this process holds may be the newer state, served without reading the document:
      // read the document again so it is folded forward and stored.
      held.delete(_id);
      await loadRecord(kind, _id);
    }
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
