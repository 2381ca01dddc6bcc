import { isDuplicateKey } from "../db/history.js";
import type { Logger } from "../logger.js";
import { noteDue } from "./dueSlots.js";
import { type Delivery, DeliveryClaimModel, type DeliveryContent, DeliveryModel } from "./models.js";

export interface NewDelivery {
  workspaceId: string;
  occasion: string;
  recipientId: string;
  to?: "person" | "channel";
  notBefore: Date;
  content: DeliveryContent;
  /** False for the few urgent kinds (see README): those go out at once, at any hour. */
  workingHoursOnly?: boolean;
  /** An edit of the message another delivery posted. */
  updates?: string;
  after?: { delivery: string; workingDays: number };
  recordKey?: string | null;
}

/**
 * The key of one (occasion, recipient) in one workspace. References (CMP-2026-0001) repeat
 * across workspaces, and one person can be in several (Slack Enterprise Grid), so the
 * workspace is part of it.
 */
export const deliveryId = (workspaceId: string, occasion: string, recipientId: string) =>
  `${workspaceId}|${occasion}|${recipientId}`;

/** Sends what was just recorded at once in this process, where a sender is set up (see app.ts). */
type Kick = (ids: string[]) => void;
let kick: Kick | undefined;

export function setKick(next: Kick | undefined): void {
  kick = next;
}

/** A message drawn now is kept as JSON text (see DeliveryContent); a dynamic one as it is. */
function storedContent(content: DeliveryContent): DeliveryContent {
  if (content.view === undefined) return content;
  const { view, ...rest } = content;
  return { ...rest, viewJson: JSON.stringify(view) };
}

/**
 * Records deliveries before anything is sent. The `_id` is workspace + occasion + recipient, so
 * enqueuing the same occasion twice (a retried publish, a restarted job, a repaired change) adds
 * nothing. Those due now are handed to this process's sender at once; the workers find the rest
 * (and these too, if this process dies first). Returns how many are new.
 */
export async function enqueueDeliveries(items: NewDelivery[], now: Date): Promise<number> {
  if (items.length === 0) return 0;
  const docs: Delivery[] = items.map((d) => ({
    _id: deliveryId(d.workspaceId, d.occasion, d.recipientId),
    workspaceId: d.workspaceId,
    occasion: d.occasion,
    recipientId: d.recipientId,
    to: d.to ?? "person",
    op: d.updates ? "update" : "post",
    updates: d.updates ?? null,
    state: "pending",
    attempts: 0,
    notBefore: d.notBefore,
    workingHoursOnly: d.workingHoursOnly ?? true,
    after: d.after ?? null,
    content: storedContent(d.content),
    recordKey: d.recordKey ?? null,
    posted: null,
    sentAt: null,
    lastError: null,
    createdAt: now,
  }));
  let inserted: number;
  try {
    inserted = (await DeliveryModel.collection.insertMany(docs as never[], { ordered: false })).insertedCount;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    inserted = (error as { insertedCount?: number }).insertedCount ?? 0;
  }
  // After the deliveries exist, so a reader never finds an entry for one not yet written. A
  // crash in between leaves them to the sweep.
  await noteDue(
    docs.map((d) => ({ id: d._id, at: d.notBefore })),
    now,
  );
  const dueNow = docs.filter((d) => d.notBefore <= now && !d.after).map((d) => d._id);
  if (dueNow.length) kick?.(dueNow);
  return inserted;
}

/**
 * Moves a delivery not yet attempted to the time `item` says, when a setting it was timed by has
 * changed since it was recorded (the digest's 09:00 after the workspace's zone changed). One
 * already attempted, sent or cancelled stays as it is. Returns whether it moved.
 */
export async function retimePending(item: NewDelivery, now: Date): Promise<boolean> {
  const _id = deliveryId(item.workspaceId, item.occasion, item.recipientId);
  const moved = await DeliveryModel.updateOne(
    { _id, state: "pending", attempts: 0, notBefore: { $ne: item.notBefore } },
    { $set: { notBefore: item.notBefore } },
  );
  if (!moved.modifiedCount) return false;
  await noteDue([{ id: _id, at: item.notBefore }], now);
  return true;
}

/**
 * Stops deliveries that became moot (the person acknowledged, the action is done). A delivery is
 * cancelled under the same claim its next attempt would be sent under, so one being sent right
 * now is not relabelled: it goes out and stays "sent". An uncertain one (it may have reached the
 * person) is not sent again, and its record keeps that it may have gone out.
 */
export async function cancelDeliveries(
  ids: string[],
  reason: string,
  now: Date,
  logger?: Logger,
): Promise<{ cancelled: number; inFlight: number }> {
  let cancelled = 0;
  let inFlight = 0;
  for (const id of ids) {
    const delivery = (await DeliveryModel.findById(id).lean()) as Delivery | null;
    if (!delivery || (delivery.state !== "pending" && delivery.state !== "uncertain")) continue;
    try {
      await DeliveryClaimModel.collection.insertOne({
        _id: `${id}#${delivery.attempts}` as never,
        worker: `cancel: ${reason}`.slice(0, 200),
        at: now,
      });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      inFlight++;
      logger?.debug({ delivery: id }, "not cancelled: an attempt is being sent");
      continue;
    }
    const note =
      delivery.state === "uncertain"
        ? `cancelled (${reason}); an earlier attempt may have reached them: ${delivery.lastError ?? ""}`
        : `cancelled: ${reason}`;
    await DeliveryModel.updateOne(
      { _id: id },
      { $set: { state: "cancelled", lastError: note.slice(0, 500) } },
    );
    cancelled++;
  }
  return { cancelled, inFlight };
}
