import { effectsDone, pendingEffects } from "../db/history.js";
import { PendingEffectsModel } from "../db/historyModels.js";
import { findByIds } from "../db/read.js";
import type { Logger } from "../logger.js";
import { enqueueDeliveries, type NewDelivery, retimePending } from "../outbox/enqueue.js";
import {
  DeliveryClaimModel,
  DeliveryModel,
  DeliveryPauseModel,
  DueSlotModel,
  SendTokenModel,
} from "../outbox/models.js";
import { applyEffects } from "../records/effects.js";
import { syncMembers } from "../records/member/directory.js";
import { currentPolicy } from "../records/policy/commands.js";
import { askMembers } from "../records/policy/requests.js";
import { policyEscalations } from "../records/policy/status.js";
import { RECORD_KINDS } from "../records/registry.js";
import { readWorkspace } from "../records/workspace/access.js";
import { type Workspace, WorkspaceModel } from "../records/workspace/model.js";
import { nextDigest } from "./digest.js";

/**
 * The scheduled work, as the jobs call it: each task is safe to run twice and on several workers
 * at once (what it records is keyed, what it sends goes through the delivery engine).
 */
async function workspaces(): Promise<Workspace[]> {
  const docs = (await WorkspaceModel.find({}, { _id: 1, workspaceId: 1 }).lean()) as Pick<
    Workspace,
    "workspaceId"
  >[];
  const out: Workspace[] = [];
  for (const d of docs) {
    const w = await readWorkspace(d.workspaceId);
    if (w) out.push(w);
  }
  return out;
}

/**
 * Records what is due in every workspace: each kind's reminders, the policy escalations, and the
 * next weekly digest (recorded ahead, to go out at Monday 09:00 workspace time). One workspace's
 * problem does not hold the others back.
 */
export async function recordReminders(now: Date, logger: Logger): Promise<number> {
  let recorded = 0;
  for (const workspace of await workspaces()) {
    try {
      const items: NewDelivery[] = [];
      for (const def of RECORD_KINDS) if (def.reminders) items.push(...(await def.reminders(workspace, now)));
      items.push(...(await policyEscalations(workspace, now)));
      const digest = nextDigest(workspace, now);
      if (digest) items.push(digest);
      recorded += await enqueueDeliveries(items, now);
      // Recorded a week ahead: a zone changed since moves this week's to the new 09:00.
      if (digest) await retimePending(digest, now);
    } catch (error) {
      logger.error(
        { err: error, workspaceId: workspace.workspaceId },
        "reminders could not be recorded for a workspace",
      );
    }
  }
  return recorded;
}

/** Daily: each workspace's members from the platform; people new to QOps are asked to acknowledge the policy. */
export async function syncAllMembers(now: Date, logger: Logger): Promise<number> {
  let fresh = 0;
  for (const workspace of await workspaces()) {
    try {
      const result = await syncMembers(workspace.workspaceId, now, workspace.includeGuests);
      const policy = await currentPolicy(workspace);
      if (policy && result.fresh.length) await askMembers(policy, result.fresh, now);
      fresh += result.fresh.length;
    } catch (error) {
      logger.error(
        { err: error, workspaceId: workspace.workspaceId },
        "member sync failed; will retry next run",
      );
    }
  }
  return fresh;
}

/**
 * Finishes what a crash left half-done, however long ago: every change whose follow-ups were not
 * all carried out has a pending entry, and its effects run again (each is safe to run twice). An
 * entry whose change was never committed goes.
 */
export async function repairPending(
  now: Date,
  logger: Logger,
  olderThanMs = 30_000,
): Promise<{ completed: number; dropped: number }> {
  let completed = 0;
  let dropped = 0;
  for (;;) {
    const batch = await pendingEffects(new Date(now.getTime() - olderThanMs));
    for (const { id, event } of batch) {
      if (!event) {
        await effectsDone(id);
        dropped++;
      } else if (await applyEffects(event, id)) completed++;
    }
    if (batch.length < 200) break;
    // Everything in this batch failed again: the rest waits for the next run.
    if (completed + dropped === 0) break;
  }
  if (completed || dropped) logger.info({ completed, dropped }, "finished half-done changes");
  return { completed, dropped };
}

/**
 * Old claims, except one that still stands for an unsettled attempt (its worker died mid-send
 * and no worker has looked since): that claim is what makes the next worker check the platform
 * before sending again, so it stays until the attempt is settled.
 */
async function pruneClaims(before: Date): Promise<number> {
  const old = (await DeliveryClaimModel.find({ at: { $lt: before } }, { _id: 1 }).lean()) as {
    _id: string;
  }[];
  if (!old.length) return 0;
  const deliveryOf = (claimId: string) => claimId.slice(0, claimId.lastIndexOf("#"));
  const attemptOf = (claimId: string) => Number(claimId.slice(claimId.lastIndexOf("#") + 1));
  const deliveries = await findByIds(DeliveryModel, [...new Set(old.map((c) => deliveryOf(c._id)))], {
    state: 1,
    attempts: 1,
  });
  const byId = new Map(deliveries.flatMap((d) => (d ? [[String(d._id), d] as const] : [])));
  const stale = old
    .filter((c) => {
      const d = byId.get(deliveryOf(c._id));
      const unsettled =
        d && (d.state === "pending" || d.state === "uncertain") && d.attempts === attemptOf(c._id);
      return !unsettled;
    })
    .map((c) => c._id);
  let deleted = 0;
  for (let i = 0; i < stale.length; i += 500)
    deleted += (await DeliveryClaimModel.deleteMany({ _id: { $in: stale.slice(i, i + 500) } })).deletedCount;
  return deleted;
}

export interface RetentionDays {
  workingRows: number;
  cancelled: number;
}
export const DEFAULT_RETENTION: RetentionDays = { workingRows: 7, cancelled: 90 };

/**
 * Prunes the delivery engine's working rows after a retention period: due-time slots, claims,
 * send tokens, expired pauses, and cancelled deliveries. What is evidence stays: a sent or failed
 * delivery is kept as long as QOps keeps records at all.
 */
export async function prune(
  now: Date,
  retention: RetentionDays = DEFAULT_RETENTION,
): Promise<Record<string, number>> {
  const before = new Date(now.getTime() - retention.workingRows * 86_400_000);
  const slotBefore = `${Math.floor(before.getTime() / 1000)}`;
  const [slots, claims, tokens, pauses, cancelled, pending] = await Promise.all([
    DueSlotModel.deleteMany({ _id: { $lt: slotBefore } }),
    pruneClaims(before),
    SendTokenModel.deleteMany({ at: { $lt: before } }),
    DeliveryPauseModel.deleteMany({ until: { $lt: before } }),
    DeliveryModel.deleteMany({
      state: "cancelled",
      createdAt: { $lt: new Date(now.getTime() - retention.cancelled * 86_400_000) },
    }),
    PendingEffectsModel.countDocuments({}),
  ]);
  return {
    slots: slots.deletedCount,
    claims,
    tokens: tokens.deletedCount,
    pauses: pauses.deletedCount,
    cancelled: cancelled.deletedCount,
    pendingChanges: pending,
  };
}
