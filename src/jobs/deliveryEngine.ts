import { addMilliseconds, addSeconds } from "date-fns";
import type { AnyBulkWriteOperation, MongoBulkWriteError } from "mongodb";
import type { DeliveryFailure, MessagingPort } from "../bot/ports.js";
import { isDuplicateKey } from "../db/history.js";
import type { DeliveryContent, DeliveryState, ReminderDelivery } from "../models/delivery.js";
import { ReminderDeliveryModel } from "../models/delivery.js";
import { DeliveryClaimModel } from "../models/deliveryClaim.js";
import { MemberModel } from "../models/member.js";
import { WorkspaceModel } from "../models/workspace.js";
import type { JobDeps } from "./deps.js";
import { noteDue, SlotReader } from "./dueSlots.js";
import { DEFAULT_WORKING_HOURS, nextWorkingMoment, type WorkingHours } from "./workingHours.js";

/** A worker that died mid-send leaves its claim; after this long the attempt counts as uncertain. */
export const CLAIM_LEASE_MS = 2 * 60_000;
const UNCERTAIN_RECHECK_S = 30;
const MAX_ATTEMPTS = 12;

export interface DeliveryDeps extends Omit<JobDeps, "ports" | "workerId"> {
  port: MessagingPort;
  /** Names this process in claims (host:pid), for the record. */
  workerId: string;
  /** How long a claim may go without a result before its attempt counts as uncertain. */
  claimLeaseMs?: number;
}

export interface NewDelivery {
  workspaceId: string;
  occasion: string;
  recipientId: string;
  notBefore: Date;
  content: DeliveryContent;
  workingHoursOnly?: boolean;
}

/**
 * The key of one (occasion, recipient) in one workspace. References (CMP-2026-0001) repeat
 * across workspaces, and one person can be in several (Slack Enterprise Grid), so the
 * workspace is part of it.
 */
export const deliveryId = (workspaceId: string, occasion: string, recipientId: string) =>
  `${workspaceId}|${occasion}|${recipientId}`;

/**
 * Records deliveries before anything is sent. The `_id` is workspace + occasion + recipient, so enqueuing
 * the same occasion twice (a retried publish, a restarted job) adds nothing. Returns how many
 * are new.
 */
export async function enqueueDeliveries(items: NewDelivery[], now: Date): Promise<number> {
  if (items.length === 0) return 0;
  const docs = items.map((d) => ({
    _id: deliveryId(d.workspaceId, d.occasion, d.recipientId),
    workspaceId: d.workspaceId,
    occasion: d.occasion,
    recipientId: d.recipientId,
    state: "pending" as const,
    attempts: 0,
    notBefore: d.notBefore,
    workingHoursOnly: d.workingHoursOnly ?? true,
    content: d.content,
    sentAt: null,
    lastError: null,
    createdAt: now,
  }));
  let inserted: number;
  try {
    inserted = (await ReminderDeliveryModel.collection.insertMany(docs as never[], { ordered: false }))
      .insertedCount;
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
  return inserted;
}

/** Stops the pending deliveries of an occasion for one person (they answered already). */
export async function cancelDeliveries(
  workspaceId: string,
  recipientId: string,
  occasionPrefix: string,
): Promise<void> {
  const pending = await ReminderDeliveryModel.find(
    { workspaceId, recipientId, state: "pending" },
    { occasion: 1 },
  ).lean();
  const ids = pending.filter((d) => d.occasion.startsWith(occasionPrefix)).map((d) => d._id);
  for (const id of ids) await ReminderDeliveryModel.updateOne({ _id: id }, { $set: { state: "cancelled" } });
}

export interface PassResult {
  sent: number;
  deferred: number;
  retried: number;
  uncertain: number;
  failed: number;
  skipped: number;
}

/**
 * One pass over due deliveries. Each send happens under a claim (`<delivery>#<attempt>`,
 * unique), so several workers share the work and never send the same attempt twice; a new
 * attempt is made only after the previous one is known not to have been posted. Claims are
 * inserted CLAIM_BATCH at a time (one insert command, each document still refused on its own).
 */
export async function runDeliveryPass(
  deps: DeliveryDeps,
  limit = 200,
  forWorkspace: (workspaceId: string) => boolean = () => true,
): Promise<PassResult> {
  const now = deps.clock.now();
  const result: PassResult = { sent: 0, deferred: 0, retried: 0, uncertain: 0, failed: 0, skipped: 0 };
  // Each platform's passes read the wheel for themselves and keep only their own deliveries.
  const wheelKey = `${deps.workerId}|${deps.port.platform}`;
  const chunks = await dueDeliveries(wheelKey, now, limit);
  const pausedUntil = new Map<string, Date>();
  const hoursCache = new Map<string, WorkingHours>();
  const writes = new PassWrites(now);

  /** Before claiming: what must wait (a paused workspace, outside working hours) is put off. */
  const ready = async (delivery: ReminderDelivery): Promise<boolean> => {
    const paused = pausedUntil.get(delivery.workspaceId);
    if (paused) {
      // The platform said to slow down for this workspace: everything waits as long.
      await writes.postpone(delivery._id, paused);
      result.retried++;
      return false;
    }
    if (delivery.workingHoursOnly) {
      const when = await workingMoment(delivery, now, hoursCache);
      if (when > now) {
        await writes.postpone(delivery._id, when);
        result.deferred++;
        return false;
      }
    }
    return true;
  };
  /** Under a claim: sends, unless the workspace was paused since the claim was taken. */
  const send = async (delivery: ReminderDelivery) => {
    const paused = pausedUntil.get(delivery.workspaceId);
    if (paused) {
      // This attempt ends unsent, known not posted: the next one waits out the pause.
      await ReminderDeliveryModel.collection.updateOne(
        { _id: delivery._id as never },
        {
          $set: {
            attempts: delivery.attempts + 1,
            notBefore: paused,
            lastError: "rate_limited: the workspace was paused before this was sent",
          },
        },
      );
      writes.lookAgain(delivery._id, paused);
      result.retried++;
      return;
    }
    const outcome = await attempt(deps, delivery, now);
    result[outcome.counter]++;
    if (outcome.counter === "sent") await writes.sent(delivery._id);
    if (outcome.retryAt) writes.lookAgain(delivery._id, outcome.retryAt);
    if (outcome.pauseUntil) pausedUntil.set(delivery.workspaceId, outcome.pauseUntil);
  };
  try {
    // Each chunk is read while the one before it is claimed and sent: on the embedded FerretDB
    // the reads run beside the writes (SQLite takes one writer at a time, readers besides).
    for (const chunk of chunks) {
      const queue = (await chunk).filter((d) => forWorkspace(d.workspaceId));
      for (let i = 0; i < queue.length; i += CLAIM_BATCH) {
        const batch: ReminderDelivery[] = [];
        for (const delivery of queue.slice(i, i + CLAIM_BATCH))
          if (await ready(delivery)) batch.push(delivery);
        const claims = await claimAll(batch, deps.workerId, now, deps.claimLeaseMs ?? CLAIM_LEASE_MS);
        const claimed: ReminderDelivery[] = [];
        for (const { delivery, claim } of claims) {
          if (claim.ok) claimed.push(delivery);
          else {
            // Looked at again when the claim's lease runs out (or at once, now that it has).
            writes.lookAgain(delivery._id, claim.lookAgainAt);
            result.skipped++;
          }
        }
        // A few sends at a time: each is its own message under its own claim.
        await Promise.all(
          Array.from({ length: Math.min(SEND_CONCURRENCY, claimed.length) }, async () => {
            for (let next = claimed.shift(); next; next = claimed.shift()) await send(next);
          }),
        );
      }
    }
    await writes.finish();
  } catch (error) {
    // What this pass took from the wheel and did not settle is found by the next pass's sweep.
    workers.get(wheelKey)?.reader.swept(false, "now");
    throw error;
  }
  return result;
}

/** What each worker has read of the wheel, and the due deliveries it has not handled yet. */
const workers = new Map<
  string,
  { reader: SlotReader; backlog: Set<string>; soon: Map<string, number>; sweeping?: Promise<void> }
>();

/**
 * Up to `limit` deliveries due at `now`, in chunks as they are read: those the wheel noted (read
 * by `_id`), plus, when the wheel asks for it, those a sweep of the deliveries finds. A noted
 * delivery that is no longer waiting (sent, cancelled) or was put off (it has a later note) is
 * passed over.
 */
async function dueDeliveries(
  workerId: string,
  now: Date,
  limit: number,
): Promise<Promise<ReminderDelivery[]>[]> {
  let worker = workers.get(workerId);
  if (!worker) {
    worker = { reader: new SlotReader(), backlog: new Set(), soon: new Map() };
    workers.set(workerId, worker);
  }
  const { notes, sweep } = await worker.reader.due(now);
  // A note says when its delivery falls due: what is not due yet is held until then and read
  // once, when it is (a note can be out of date; the delivery read then decides).
  for (const { id, at } of notes) {
    if (at <= now.getTime()) worker.backlog.add(id);
    else worker.soon.set(id, Math.min(at, worker.soon.get(id) ?? at));
  }
  for (const [id, at] of worker.soon) {
    if (at > now.getTime()) continue;
    worker.soon.delete(id);
    worker.backlog.add(id);
  }
  const taken = [...worker.backlog].slice(0, limit);
  for (const id of taken) worker.backlog.delete(id);
  const held = worker.soon;
  const waiting = (d: ReminderDelivery) => WAITING_STATES.includes(d.state);
  const dueOf = (found: (ReminderDelivery | null)[]) => {
    const due: ReminderDelivery[] = [];
    for (const d of found) {
      if (!d || !waiting(d)) continue;
      const wait = d.notBefore.getTime() - now.getTime();
      if (wait <= 0) due.push(d);
      // Due within the second: held here until then. Later than that: put off, with a later note.
      else if (wait <= SOON_MS) held.set(d._id, d.notBefore.getTime());
    }
    return due;
  };
  // Read in chunks one after another, beside the pass that handles them (see runDeliveryPass).
  const chunks: Promise<ReminderDelivery[]>[] = [];
  let previous: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < taken.length; i += READ_CONCURRENCY) {
    const ids = taken.slice(i, i + READ_CONCURRENCY);
    // The driver's own findOne: these are the engine's most frequent reads, and mongoose's
    // query building adds nothing to a lookup by `_id`.
    const chunk = previous.then(async () =>
      dueOf(
        (await Promise.all(
          ids.map((id) => ReminderDeliveryModel.collection.findOne({ _id: id as never })),
        )) as (ReminderDelivery | null)[],
      ),
    );
    // A failed read surfaces where the pass awaits its chunk.
    previous = chunk.catch(() => undefined);
    chunks.push(chunk);
  }
  if (sweep === "background" && !worker.sweeping) {
    // The periodic sweep reads every delivery on the embedded FerretDB (seconds at 100,000):
    // it runs beside the passes, and what it finds joins the backlog, read again by `_id`.
    const state = worker;
    state.sweeping = ReminderDeliveryModel.collection
      .find(dueBy(now), { projection: { _id: 1 } })
      .limit(limit)
      .toArray()
      .then((found) => {
        // Not continued at once: while the wheel has a backlog, the sweep finds that backlog
        // too, and sweeping again would only read the table again. The next one, in
        // SWEEP_MS, takes up what this one could not.
        for (const d of found) state.backlog.add(String(d._id));
      })
      // The database failed: the next pass fails too, or sweeps within itself.
      .catch(() => state.reader.swept(false, "now"))
      .finally(() => {
        state.sweeping = undefined;
      });
  }
  if (sweep === "now") {
    const room = limit - taken.length;
    const seen = new Set(taken);
    const swept =
      room > 0
        ? ((await ReminderDeliveryModel.find(dueBy(now)).limit(room).lean()) as ReminderDelivery[])
        : [];
    // A restart with a backlog larger than a pass: the sweep goes on until it runs dry.
    worker.reader.swept(room > 0 && swept.length < room, "now");
    chunks.push(Promise.resolve(swept.filter((d) => !seen.has(d._id))));
  }
  return chunks;
}

const READ_CONCURRENCY = 32;
/**
 * A delivery read a little before its time (its note was out of date) is held until then when
 * it falls due this soon; later than that, it has a later note in the wheel.
 */
const SOON_MS = 2_000;

/** Deliveries still to be sent (or checked) that are due by `now`: what a sweep looks for. */
const WAITING_STATES: DeliveryState[] = ["pending", "uncertain"];
const dueBy = (now: Date) => ({ state: { $in: WAITING_STATES }, notBefore: { $lte: now } });

/**
 * The pass's routine writes, each addressed to one delivery by `_id`, sent BULK_WRITE at a time
 * as one update command. A send whose "sent" is not written yet when the process dies keeps its
 * claim, which expires into an uncertain attempt that is checked against the conversation
 * before anything is sent again.
 *
 * Why batches, and why small ones: on the embedded FerretDB an update command of one statement
 * costs about as much as a batch of several, so batching is what lets one worker keep up with
 * hundreds of deliveries a second; but FerretDB 1.24 keeps one SQLite connection open per
 * statement until the whole command ends (out of 100), and a command of about a hundred
 * statements, or a few large ones at once, waits forever for a connection. So a batch is 16
 * statements, and a process sends one batch at a time (`bulkLane`).
 */
class PassWrites {
  private batch: AnyBulkWriteOperation<ReminderDelivery>[] = [];
  private readonly sending: Promise<unknown>[] = [];
  /** Deliveries to look at again later: noted in the wheel once the pass's writes are done. */
  private readonly later: { id: string; at: Date }[] = [];

  constructor(private readonly now: Date) {}

  async postpone(id: string, until: Date): Promise<void> {
    this.lookAgain(id, until);
    await this.add({ updateOne: { filter: { _id: id }, update: { $set: { notBefore: until } } } });
  }

  lookAgain(id: string, at: Date): void {
    this.later.push({ id, at });
  }

  async sent(id: string): Promise<void> {
    await this.add({
      updateOne: {
        filter: { _id: id },
        update: { $set: { state: "sent", sentAt: this.now, lastError: null }, $inc: { attempts: 1 } },
      },
    });
  }

  private async add(write: AnyBulkWriteOperation<ReminderDelivery>): Promise<void> {
    this.batch.push(write);
    if (this.batch.length >= BULK_WRITE) await this.flush();
  }

  /**
   * Sends the batch once the process's previous batch has finished (the lane), and returns then,
   * without waiting for this one: the pass goes on claiming and sending meanwhile.
   */
  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const writes = this.batch as AnyBulkWriteOperation[];
    this.batch = [];
    const previous = bulkLane;
    const done = previous.then(() => ReminderDeliveryModel.collection.bulkWrite(writes, { ordered: false }));
    bulkLane = done.catch(() => undefined);
    // Surfaced by finish(); never an unhandled rejection meanwhile.
    done.catch(() => undefined);
    this.sending.push(done);
    await previous;
  }

  async finish(): Promise<void> {
    await this.flush();
    await Promise.all(this.sending.splice(0));
    await noteDue(this.later.splice(0), this.now);
  }
}

/** The last bulk update this process sent (see PassWrites): one at a time. */
let bulkLane: Promise<unknown> = Promise.resolve();
const BULK_WRITE = 16;
/** Claims inserted with one command (and deliveries handled together) in a pass. */
const CLAIM_BATCH = 32;
/** Deliveries of a batch sent at once (each: its own message, under its own claim). */
const SEND_CONCURRENCY = 8;

async function workingMoment(
  delivery: ReminderDelivery,
  now: Date,
  cache: Map<string, WorkingHours>,
): Promise<Date> {
  let hours = cache.get(delivery.workspaceId);
  if (!hours) {
    const workspace = await WorkspaceModel.findById(`${delivery.workspaceId}/workspace`, {
      workingHours: 1,
    }).lean();
    hours = (workspace?.workingHours as WorkingHours | undefined) ?? DEFAULT_WORKING_HOURS;
    cache.set(delivery.workspaceId, hours);
  }
  const member = await MemberModel.findById(`${delivery.workspaceId}/member/${delivery.recipientId}`, {
    tz: 1,
  }).lean();
  return nextWorkingMoment(now, member?.tz ?? "UTC", hours);
}

type Claim = { ok: true } | { ok: false; lookAgainAt: Date };

/**
 * Claims attempt `attempts` of each delivery, with one insert command of one document each:
 * each document is refused on its own when that attempt is claimed already.
 */
async function claimAll(
  deliveries: ReminderDelivery[],
  workerId: string,
  now: Date,
  leaseMs: number,
): Promise<{ delivery: ReminderDelivery; claim: Claim }[]> {
  if (deliveries.length === 0) return [];
  const taken = new Set<number>();
  try {
    await DeliveryClaimModel.collection.insertMany(
      deliveries.map((d) => ({ _id: `${d._id}#${d.attempts}` as never, worker: workerId, at: now })),
      { ordered: false },
    );
  } catch (error) {
    const refused = (error as Partial<MongoBulkWriteError>).writeErrors;
    const each = refused === undefined ? [] : Array.isArray(refused) ? refused : [refused];
    // Anything but "already claimed" (or no word on which were refused): nothing is sent. What
    // was claimed regardless expires into uncertain attempts, checked before any send.
    if (each.length === 0 || each.some((e) => e.code !== 11000)) throw error;
    for (const e of each) taken.add(e.index);
  }
  return Promise.all(
    deliveries.map(async (delivery, k) => ({
      delivery,
      claim: taken.has(k) ? await claimedBefore(delivery, now, leaseMs) : ({ ok: true } as const),
    })),
  );
}

/**
 * The attempt is claimed already: by a worker still within its lease (look again as it runs
 * out), or by one that stopped mid-send, which makes the delivery uncertain.
 */
async function claimedBefore(delivery: ReminderDelivery, now: Date, leaseMs: number): Promise<Claim> {
  const id = `${delivery._id}#${delivery.attempts}`;
  const existing = await DeliveryClaimModel.findById(id).lean();
  if (existing && now.getTime() - existing.at.getTime() <= leaseMs) {
    return { ok: false, lookAgainAt: addMilliseconds(existing.at, leaseMs + 1000) };
  }
  if (existing) {
    // Its worker stopped between claim and result: the message may or may not be out.
    await ReminderDeliveryModel.updateOne(
      { _id: delivery._id },
      {
        $set: {
          state: "uncertain",
          attempts: delivery.attempts + 1,
          lastError: `worker ${existing.worker} stopped mid-send`,
        },
      },
    );
  }
  return { ok: false, lookAgainAt: now };
}

type Counter = keyof PassResult;

async function attempt(
  deps: DeliveryDeps,
  delivery: ReminderDelivery,
  now: Date,
): Promise<{ counter: Counter; pauseUntil?: Date; retryAt?: Date }> {
  const next = delivery.attempts + 1;
  const log = deps.logger.child({ delivery: delivery._id, attempt: next });
  try {
    if (delivery.state === "uncertain") {
      const found = await deps.port.findDelivered(delivery.workspaceId, delivery.recipientId, delivery._id);
      if (found) {
        log.info("an uncertain delivery had been posted; not sending it again");
        return { counter: "sent" };
      }
    }
    await deps.port.sendDirect(delivery.workspaceId, delivery.recipientId, {
      ...delivery.content,
      deliveryId: delivery._id,
    });
    return { counter: "sent" };
  } catch (error) {
    const failure = error as DeliveryFailure;
    const kind = failure.name === "DeliveryFailure" ? failure.kind : "uncertain";
    const base = { attempts: next, lastError: `${kind}: ${failure.message ?? String(error)}`.slice(0, 500) };
    if (kind === "rate_limited") {
      const until = addMilliseconds(now, Math.max(failure.retryAfterMs, 1000));
      await ReminderDeliveryModel.updateOne({ _id: delivery._id }, { $set: { ...base, notBefore: until } });
      return { counter: "retried", pauseUntil: until, retryAt: until };
    }
    if (kind === "permanent" || next >= MAX_ATTEMPTS) {
      await ReminderDeliveryModel.updateOne({ _id: delivery._id }, { $set: { ...base, state: "failed" } });
      log.error({ err: error }, "delivery failed for good");
      return { counter: "failed" };
    }
    if (kind === "uncertain") {
      const recheck = addSeconds(now, UNCERTAIN_RECHECK_S);
      await ReminderDeliveryModel.updateOne(
        { _id: delivery._id },
        { $set: { ...base, state: "uncertain", notBefore: recheck } },
      );
      log.warn({ err: error }, "delivery uncertain; will check before sending again");
      return { counter: "uncertain", retryAt: recheck };
    }
    const retryAt = addSeconds(now, Math.min(2 ** next * 5, 900));
    await ReminderDeliveryModel.updateOne({ _id: delivery._id }, { $set: { ...base, notBefore: retryAt } });
    return { counter: "retried", retryAt };
  }
}
