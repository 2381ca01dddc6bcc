import type { HistoryAnchor } from "../models/historyEvent.js";
import { HistoryAnchorModel, HistoryEventModel, isRecordKind } from "../models/index.js";
import { loadRecord, materialize } from "./history.js";

/**
 * Brings documents up to their history after a crash between an event insert and the
 * document update: every creation and change since `since` is folded in again (idempotent).
 */
export async function repairSince(since: Date): Promise<{ anchors: number; records: number }> {
  const anchors = (await HistoryAnchorModel.find({ at: { $gte: since } }).lean()) as HistoryAnchor[];
  for (const anchor of anchors) await materialize(anchor);
  const events = await HistoryEventModel.find({ at: { $gte: since } }, { recordKey: 1, kind: 1 }).lean();
  const records = new Map(events.map((e) => [e.recordKey, e.kind]));
  for (const [recordKey, kind] of records) {
    if (isRecordKind(kind)) await loadRecord(kind, recordKey);
  }
  return { anchors: anchors.length, records: records.size };
}
