import { addMilliseconds } from "date-fns";
import { isDuplicateKey } from "../db/history.js";
import { DeliveryPauseModel, SendTokenModel } from "./models.js";

// ---------------------------------------------------------------- the pause, shared by workers

/**
 * The workspaces the platform told to slow down, as every worker sees them in the database,
 * read once per workspace and pass and refreshed after a second.
 */
export class Pauses {
  private readonly known = new Map<string, { until: Date | null; readAt: number }>();

  async until(workspaceId: string): Promise<Date | null> {
    const cached = this.known.get(workspaceId);
    if (cached && Date.now() - cached.readAt < 1000) return cached.until;
    const doc = await DeliveryPauseModel.findById(workspaceId).lean();
    const until = doc?.until ?? null;
    this.known.set(workspaceId, { until, readAt: Date.now() });
    return until;
  }

  /** A 429 arrived at `at`: nothing goes to the workspace before `at + retryAfter`, from any worker. */
  async set(workspaceId: string, at: Date, retryAfterMs: number): Promise<Date> {
    const until = addMilliseconds(at, Math.max(retryAfterMs, 1000));
    this.known.set(workspaceId, { until, readAt: Date.now() });
    const doc = { _id: workspaceId, until, at };
    await DeliveryPauseModel.replaceOne({ _id: workspaceId }, doc, { upsert: true }).catch(
      async (error: unknown) => {
        if (!isDuplicateKey(error)) throw error;
        await DeliveryPauseModel.replaceOne({ _id: workspaceId }, doc);
      },
    );
    return until;
  }

  /** The probe after a pause went through: the workspace is open again. */
  async clear(workspaceId: string, until: Date): Promise<void> {
    const doc = await DeliveryPauseModel.findById(workspaceId).lean();
    // A newer pause (another 429 meanwhile) stays.
    if (doc && doc.until.getTime() === until.getTime())
      await DeliveryPauseModel.deleteOne({ _id: workspaceId });
    this.known.set(workspaceId, { until: null, readAt: Date.now() });
  }
}

/**
 * One probe per workspace and pause, for all workers: taken by unique insert. A probe that never
 * answers (its worker died, its claim was another's) leaves the pause; another probe may go in
 * each 30 seconds after it.
 */
export async function takeProbe(workspaceId: string, until: Date, now: Date): Promise<boolean> {
  const round = Math.max(0, Math.floor((now.getTime() - until.getTime()) / 30_000));
  try {
    await SendTokenModel.collection.insertOne({
      _id: `probe|${workspaceId}|${until.getTime()}|${round}` as never,
      at: now,
    });
    return true;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return false;
  }
}

/** Per workspace, the next budget token number this process has not seen taken, per second. */
const tokenHints = new Map<string, number>();

/**
 * Waits for a send within the platform's per-workspace budget, shared by every worker: one of
 * `perSecond` tokens of the current second, taken by unique insert. Token k is a moment of its
 * second (k/perSecond into it) and is used no earlier; a token whose moment has passed is not
 * taken any more. So sends stay spread over each second: a platform counting over any rolling
 * second (as Teams does) never sees two seconds' budgets back to back.
 */
export async function takeBudget(workspaceId: string, perSecond: number): Promise<void> {
  const spacing = 1000 / perSecond;
  for (;;) {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    const hintKey = `${workspaceId}|${second}`;
    const current = Math.floor((now - second * 1000) / spacing);
    let late = false;
    for (let k = Math.max(tokenHints.get(hintKey) ?? 0, current); k < perSecond && !late; k++) {
      try {
        await SendTokenModel.collection.insertOne({
          _id: `${workspaceId}|${second}|${k}` as never,
          at: new Date(),
        });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        continue;
      }
      tokenHints.set(hintKey, k + 1);
      if (tokenHints.size > 1000) tokenHints.clear();
      const moment = second * 1000 + k * spacing;
      if (moment > Date.now()) await new Promise((resolve) => setTimeout(resolve, moment - Date.now()));
      // Every send within one spacing of its token's moment: then any rolling second holds at most
      // perSecond + 1 sends (the ports keep a margin of more than one under the platform's limit).
      // A token used later (a slow insert, a busy event loop) would crowd the next ones into one
      // rolling second: it is dropped, and a current one taken instead.
      if (Date.now() - moment < spacing) return;
      late = true;
    }
    if (late) continue;
    tokenHints.set(hintKey, perSecond);
    await new Promise((resolve) => setTimeout(resolve, (second + 1) * 1000 - Date.now() + 5));
  }
}
