import { canonicalJson, GENESIS_HASH, sha256, toPlain } from "./canonical.js";
import { hashAnchor, hashEvent, pendingAnchors } from "./history.js";
import {
  type HistoryAnchor,
  HistoryAnchorModel,
  type HistoryEvent,
  HistoryEventModel,
} from "./historyModels.js";
import { recordKinds, recordModel } from "./kinds.js";

export type ProblemKind = "edited" | "deleted" | "inserted" | "reordered";

export interface HistoryProblem {
  kind: ProblemKind;
  /** The record or stream it concerns, and the event or anchor number. */
  where: string;
  seq: number | null;
  detail: string;
}

export interface VerifyReport {
  workspaceId: string;
  ok: boolean;
  records: number;
  events: number;
  problems: HistoryProblem[];
  /**
   * Creations a crash interrupted after their number was claimed, still to be finished by the
   * repair job (not a sign of tampering: their pending entry is there).
   */
  incomplete: string[];
  /**
   * SHA-256 over every creation and every record's last event. Keep it outside QOps (an
   * auditor's file, the weekly digest): cutting events from the end of a chain leaves every
   * remaining link valid, and only a seal taken earlier can show it.
   */
  seal: string;
  /** What the seal is computed over (sorted): `stream#n:hash` per creation, `recordKey:hash` per chain. */
  heads: string[];
}

/** Checks every chain of a workspace: streams of anchors, each record's events, each document. */
export async function verifyWorkspace(workspaceId: string): Promise<VerifyReport> {
  const problems: HistoryProblem[] = [];
  const anchors = (await HistoryAnchorModel.find({ workspaceId }).lean()) as HistoryAnchor[];
  const events = (await HistoryEventModel.find({ workspaceId }).lean()) as HistoryEvent[];

  const streams = groupBy(anchors, (a) => a.stream);
  const anchorByRecord = new Map<string, HistoryAnchor>();
  const heads: string[] = [];
  for (const [stream, list] of streams) {
    list.sort((a, b) => a.n - b.n);
    list.forEach((anchor, i) => {
      anchorByRecord.set(anchor.recordKey, anchor);
      const idNumber = Number(anchor._id.slice(anchor._id.lastIndexOf("#") + 1));
      const eventHash = hashEvent(anchor.event);
      const { event: _event, hash: _hash, _id, ...anchorBody } = anchor;
      if (anchor.hash !== hashAnchor(anchorBody, eventHash) || anchor.event.hash !== eventHash) {
        problems.push({
          kind: "edited",
          where: stream,
          seq: anchor.n,
          detail: `the creation of ${anchor.recordKey} was edited`,
        });
      } else if (idNumber !== anchor.n) {
        problems.push({
          kind: "reordered",
          where: stream,
          seq: idNumber,
          detail: `creation stored as number ${idNumber} says it is number ${anchor.n}`,
        });
      } else if (anchor.n > i + 1) {
        problems.push({
          kind: "deleted",
          where: stream,
          seq: i + 1,
          detail: `record number ${i + 1} of ${stream} is missing (its creation was deleted)`,
        });
      }
      heads.push(`${stream}#${anchor.n}:${anchor.hash}`);
    });
  }

  const byRecord = groupBy(events, (e) => e.recordKey);
  const pending = await pendingAnchors(workspaceId);
  const incomplete: string[] = [];
  for (const [recordKey, anchor] of anchorByRecord) {
    if (!byRecord.has(recordKey) && pending.has(anchor._id)) {
      incomplete.push(recordKey);
      continue;
    }
    if (!byRecord.has(recordKey)) {
      problems.push({
        kind: "deleted",
        where: recordKey,
        seq: 1,
        detail: `the whole history of ${recordKey} was deleted`,
      });
    }
  }

  for (const [recordKey, list] of byRecord) {
    list.sort((a, b) => a.seq - b.seq);
    const anchor = anchorByRecord.get(recordKey);
    if (!anchor) {
      problems.push({
        kind: "inserted",
        where: recordKey,
        seq: list[0]?.seq ?? 1,
        detail: `${recordKey} has events but no recorded creation`,
      });
    }
    const hashes = new Set(list.map((e) => e.hash));
    let prev: HistoryEvent | null = null;
    for (const [i, event] of list.entries()) {
      const expectedSeq = i + 1;
      const idSeq = Number(event._id.slice(event._id.lastIndexOf("#") + 1));
      const selfConsistent = hashEvent(event) === event.hash;
      if (!selfConsistent && hashEvent({ ...event, seq: idSeq }) === event.hash) {
        problems.push({
          kind: "reordered",
          where: recordKey,
          seq: idSeq,
          detail: `event ${idSeq} was renumbered ${event.seq}`,
        });
      } else if (!selfConsistent) {
        problems.push({
          kind: "edited",
          where: recordKey,
          seq: event.seq,
          detail: `event ${event.seq} (${event.type}) was edited after it was written`,
        });
      } else if (idSeq !== event.seq) {
        problems.push({
          kind: "reordered",
          where: recordKey,
          seq: idSeq,
          detail: `event stored as number ${idSeq} says it is number ${event.seq}`,
        });
      } else if (event.seq !== expectedSeq || (prev && event.prevHash !== prev.hash)) {
        const gap = event.seq > expectedSeq || (prev !== null && !hashes.has(event.prevHash));
        problems.push({
          kind: gap ? "deleted" : hashes.has(event.prevHash) ? "reordered" : "inserted",
          where: recordKey,
          seq: event.seq,
          detail: gap
            ? `event(s) before number ${event.seq} are missing`
            : `event ${event.seq} does not follow event ${prev?.seq ?? 0}`,
        });
      } else if (i === 0 && anchor && event.hash !== anchor.event.hash) {
        problems.push({
          kind: "edited",
          where: recordKey,
          seq: 1,
          detail: "the first event differs from the recorded creation",
        });
      }
      prev = event;
    }
    heads.push(`${recordKey}:${prev?.hash ?? ""}`);
  }

  problems.push(...(await verifyDocuments(workspaceId, byRecord)));
  heads.sort();
  return {
    workspaceId,
    ok: problems.length === 0,
    records: anchorByRecord.size,
    events: events.length,
    problems: problems.sort(byPosition),
    incomplete,
    seal: sha256(heads.join("\n")),
    heads,
  };
}

/** A document must equal the fold of its events; a change made behind the history shows here. */
async function verifyDocuments(
  workspaceId: string,
  byRecord: Map<string, HistoryEvent[]>,
): Promise<HistoryProblem[]> {
  const problems: HistoryProblem[] = [];
  for (const kind of recordKinds()) {
    const docs = await recordModel(kind).find({ workspaceId }).lean();
    for (const doc of docs) {
      const list = byRecord.get(doc._id) ?? [];
      for (const field of fieldsOffHistory(doc, list))
        problems.push({
          kind: "edited",
          where: doc._id,
          seq: null,
          detail: `field "${field}" of ${doc._id} was changed outside its history`,
        });
    }
  }
  return problems;
}

function byPosition(a: HistoryProblem, b: HistoryProblem): number {
  // Within a record, broken events come before the document check they cause to fail.
  const position = (p: HistoryProblem) => p.seq ?? Number.MAX_SAFE_INTEGER;
  return a.where === b.where ? position(a) - position(b) : a.where < b.where ? -1 : 1;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

/**
 * The workspace seal as `verifyWorkspace` computes it, read as a stream (each creation's hash,
 * each event's record, number and hash): memory grows with the number of records, not with
 * their history. The chains themselves are not checked here (the evidence pack checks those it
 * holds; `npm run verify` checks them all).
 */
export async function sealOf(workspaceId: string): Promise<{ seal: string; heads: string[] }> {
  const heads: string[] = [];
  const anchors = HistoryAnchorModel.find({ workspaceId }, { stream: 1, n: 1, hash: 1 })
    .lean()
    .cursor({ batchSize: 1000 });
  for await (const a of anchors) heads.push(`${a.stream}#${a.n}:${a.hash}`);
  const last = new Map<string, { seq: number; hash: string }>();
  const events = HistoryEventModel.find({ workspaceId }, { recordKey: 1, seq: 1, hash: 1 })
    .lean()
    .cursor({ batchSize: 1000 });
  for await (const e of events) {
    const known = last.get(e.recordKey);
    if (!known || e.seq > known.seq) last.set(e.recordKey, { seq: e.seq, hash: e.hash });
  }
  for (const [recordKey, { hash }] of last) heads.push(`${recordKey}:${hash}`);
  heads.sort();
  return { seal: sha256(heads.join("\n")), heads };
}

/** One record's chain, as held: null when every event's hash matches and links to the one before. */
export function chainProblem(events: readonly HistoryEvent[]): string | null {
  let prev = GENESIS_HASH;
  for (const [i, e] of events.entries()) {
    if (e.seq !== i + 1 || e.prevHash !== prev) return `event ${i + 1} does not follow the one before it`;
    if (hashEvent(e) !== e.hash) return `event ${e.seq} (${e.type}) was altered`;
    prev = e.hash;
  }
  return null;
}

/**
 * The fields of a record that differ from the last value its history gave them (events up to
 * the record's own `seq`): a change made behind the history. Also used on a pack's records.
 */
export function fieldsOffHistory(record: { seq?: number }, events: readonly HistoryEvent[]): string[] {
  const folded: Record<string, unknown> = {};
  for (const event of events) {
    if (record.seq !== undefined && event.seq > record.seq) break;
    for (const [field, change] of Object.entries(event.changes)) folded[field] = change.after;
  }
  const plain = toPlain(record) as Record<string, unknown>;
  return Object.entries(folded)
    .filter(([field, value]) => canonicalJson(plain[field]) !== canonicalJson(value))
    .map(([field]) => field);
}
