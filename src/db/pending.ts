import { eventId, materialize } from "./history.js";
import {
  type HistoryAnchor,
  HistoryAnchorModel,
  type HistoryEvent,
  HistoryEventModel,
  PendingEffectsModel,
} from "./historyModels.js";
import { loadRecord } from "./read.js";

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
