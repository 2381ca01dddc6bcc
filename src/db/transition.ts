import { setTimeout as sleep } from "node:timers/promises";
import { QopsError } from "../errors.js";
import { engineCaps } from "./engineCaps.js";
import {
  afterValues,
  castRecord,
  commitFailed,
  diff,
  type EventBody,
  eventId,
  hashEvent,
  insertRaw,
  isDuplicateKey,
  MAX_ATTEMPTS,
  refOf,
} from "./history.js";
import {
  type Actor,
  type Effect,
  type FieldChange,
  type HistoryEvent,
  HistoryEventModel,
  PendingEffectsModel,
  TransitionKeyModel,
} from "./historyModels.js";
import { recordModel } from "./kinds.js";
import { holdLoaded, loadRecord, loadWithLast, storeState } from "./read.js";
import type { RecordBase } from "./recordBase.js";
import { noteCommitted, type RequestScope } from "./scope.js";
import { markChanged } from "./snapshots.js";

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
  /** The request this change is part of, told what was saved (see RequestScope). */
  scope?: RequestScope | undefined;
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
    // Each contender for this number has its own entry: two changes racing for the same event
    // never overwrite (or delete) each other's, and two inserts of one key cannot collide.
    const pendingId = `${id}|${body.idempotencyKey}`;
    if (effects.length) {
      const entry = {
        _id: pendingId,
        workspaceId: record.workspaceId,
        eventId: id,
        idempotencyKey: body.idempotencyKey,
        createdAt: at,
      };
      try {
        await PendingEffectsModel.replaceOne({ _id: pendingId }, entry, { upsert: true });
      } catch (error) {
        // The same request retried at once upserted first: the entry exists now.
        if (!isDuplicateKey(error)) throw error;
        await PendingEffectsModel.replaceOne({ _id: pendingId }, entry);
      }
    }
    if (input.idempotencyKey && engineCaps().scansQueries)
      await TransitionKeyModel.replaceOne(
        { _id: transitionKeyId(record.workspaceId, input.idempotencyKey) },
        { eventId: id },
        { upsert: true },
      ).catch(async (error: unknown) => {
        // The same request retried at once upserted first: the key exists now.
        if (!isDuplicateKey(error)) throw error;
        await TransitionKeyModel.updateOne(
          { _id: transitionKeyId(record.workspaceId, input.idempotencyKey ?? "") },
          { $set: { eventId: id } },
        );
      });
    try {
      await insertRaw(HistoryEventModel, event);
    } catch (error) {
      if (!isDuplicateKey(error)) commitFailed(error, record.ref ?? input.recordKey, input.scope);
      // Another change took this number: this attempt's entry goes (the winner's is its own).
      if (effects.length) await PendingEffectsModel.deleteOne({ _id: pendingId });
      if (input.idempotencyKey) {
        const earlier = await replayOf<T>(input);
        if (earlier) return earlier;
      }
      await sleep(Math.random() * Math.min(20, attempt + 1));
      continue;
    }
    noteCommitted(input.scope, record.ref ?? input.recordKey);
    const next = castRecord<T>(input.kind, {
      ...(record as unknown as Record<string, unknown>),
      ...afterValues(changes),
      seq,
      updatedAt: at,
    });
    // Committed: a failed projection is caught up by the next read (so the state is held for
    // the next read only once the document has it) or the repair.
    await project(input.kind, next, changes, loaded.last.seq).then(
      () => holdLoaded({ record: next, last: event }),
      () => undefined,
    );
    return { record: next, event, replayed: false, pendingId: effects.length ? pendingId : null };
  }
  throw new QopsError(
    "unavailable",
    `Too many changes to ${refOf(input.recordKey)} at once; nothing was changed. Please try again.`,
  );
}

/** The event a retried request already wrote, if it was this person's change to this record. */
export async function replayOf<T extends RecordBase>(
  input: TransitionInput<T>,
): Promise<TransitionResult<T> | null> {
  const workspaceId = input.recordKey.split("/")[0] ?? "";
  const earlier = await committedWith(workspaceId, input.idempotencyKey ?? "");
  if (!earlier) return null;
  if (earlier.recordKey !== input.recordKey || earlier.actor.id !== input.actor.id)
    throw new QopsError(
      "conflict",
      "This request was already used for another change; nothing was changed. Press the button again.",
    );
  const current = await loadRecord<T>(input.kind, input.recordKey);
  return { record: current as T, event: earlier, replayed: true, pendingId: null };
}

const transitionKeyId = (workspaceId: string, idempotencyKey: string) => `${workspaceId}|${idempotencyKey}`;

/** The committed event a request's key produced, if any (see TransitionKey for the embedded engine). */
async function committedWith(workspaceId: string, idempotencyKey: string): Promise<HistoryEvent | null> {
  if (!engineCaps().scansQueries)
    return (await HistoryEventModel.findOne({ workspaceId, idempotencyKey }).lean()) as HistoryEvent | null;
  const key = await TransitionKeyModel.findById(transitionKeyId(workspaceId, idempotencyKey)).lean();
  if (!key) return null;
  const event = (await HistoryEventModel.findById(key.eventId).lean()) as HistoryEvent | null;
  return event?.idempotencyKey === idempotencyKey ? event : null;
}

/** Writes a committed change onto its document (see storeState for how each engine does it). */
export async function project(
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
