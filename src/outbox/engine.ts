import { addMilliseconds, addSeconds } from "date-fns";
import type { AnyBulkWriteOperation, MongoBulkWriteError } from "mongodb";
import { isDuplicateKey } from "../db/history.js";
import type { Logger } from "../logger.js";
import { addWorkingDays, nextWorkingMoment, type WorkingHours } from "../time/workingHours.js";
import type { MessageView } from "../views/types.js";
import { noteDue, SlotReader } from "./dueSlots.js";
import {
  type Delivery,
  DeliveryClaimModel,
  DeliveryModel,
  DeliveryPauseModel,
  type DeliveryState,
  SendTokenModel,
  UndeliverableModel,
} from "./models.js";
import {
  DeliveryFailure,
  type MessagingPort,
  type Posted,
  type Recipient,
  type StoredContact,
} from "./port.js";

/** A worker that died mid-send leaves its claim; after this long the attempt counts as uncertain. */
export const CLAIM_LEASE_MS = 2 * 60_000;
const UNCERTAIN_RECHECK_S = 30;
const MAX_ATTEMPTS = 12;

export interface Clock {
  now(): Date;
}

/** What the engine asks of the core: it knows records, people and workspaces; the engine does not. */
export interface DeliveryCore {
  /** The message a delivery sends now; null when there is nothing to say any more. */
  render(delivery: Delivery, zone: string): Promise<MessageView | null>;
  /** How to reach a recipient, in which zone, within which working hours. */
  recipient(
    delivery: Delivery,
  ): Promise<{ zone: string; hours: WorkingHours; contact: StoredContact | null }>;
  /** A contact the platform created while sending (a new personal chat), to keep. */
  keepContact(workspaceId: string, contact: StoredContact): Promise<void>;
  /** After a message went out: its pointer, for the record's history (a triage post). */
  sent(delivery: Delivery, posted: Posted): Promise<void>;
}

export interface DeliveryDeps {
  logger: Logger;
  clock: Clock;
  port: MessagingPort;
  core: DeliveryCore;
  /** Names this process in claims (host:pid), for the record. */
  workerId: string;
  /** How long a claim may go without a result before its attempt counts as uncertain. */
  claimLeaseMs?: number;
}

export interface PassResult {
  sent: number;
  deferred: number;
  retried: number;
  uncertain: number;
  failed: number;
  skipped: number;
}

const WAITING_STATES: DeliveryState[] = ["pending", "uncertain"];
const dueBy = (now: Date) => ({ state: { $in: WAITING_STATES }, notBefore: { $lte: now } });

/** Claims inserted with one command (and deliveries handled together) in a pass. */
const CLAIM_BATCH = 32;
/** Deliveries of a batch sent at once (each: its own message, under its own claim). */
const SEND_CONCURRENCY = 8;
const READ_CONCURRENCY = 32;
/**
 * A delivery read a little before its time (its note was out of date) is held until then when
 * it falls due this soon; later than that, it has a later note in the wheel.
 */
const SOON_MS = 2_000;

// ---------------------------------------------------------------- the pause, shared by workers

/**
 * The workspaces the platform told to slow down, as every worker sees them in the database,
 * read once per workspace and pass and refreshed after a second.
 */
class Pauses {
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
async function takeProbe(workspaceId: string, until: Date, now: Date): Promise<boolean> {
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
 * `perSecond` tokens of the current second, taken by unique insert.
 */
async function takeBudget(workspaceId: string, perSecond: number): Promise<void> {
  for (;;) {
    const second = Math.floor(Date.now() / 1000);
    const hintKey = `${workspaceId}|${second}`;
    for (let k = tokenHints.get(hintKey) ?? 0; k < perSecond; k++) {
      try {
        await SendTokenModel.collection.insertOne({
          _id: `${workspaceId}|${second}|${k}` as never,
          at: new Date(),
        });
        tokenHints.set(hintKey, k + 1);
        if (tokenHints.size > 1000) tokenHints.clear();
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
    tokenHints.set(hintKey, perSecond);
    await new Promise((resolve) => setTimeout(resolve, (second + 1) * 1000 - Date.now() + 5));
  }
}

// ---------------------------------------------------------------- a pass

type Claim = { ok: true; at: Date } | { ok: false; lookAgainAt: Date };

/**
 * One pass over due deliveries. Each send happens under a claim (`<delivery>#<attempt>`,
 * unique), so several workers share the work and never send the same attempt twice; a new
 * attempt is made only after the previous one is known not to have been posted.
 */
export async function runDeliveryPass(
  deps: DeliveryDeps,
  limit = 200,
  forWorkspace: (workspaceId: string) => boolean = () => true,
): Promise<PassResult> {
  const now = deps.clock.now();
  const wheelKey = `${deps.workerId}|${deps.port.platform}`;
  const chunks = await dueDeliveries(wheelKey, now, limit);
  const pass = new Pass(deps, now);
  try {
    for (const chunk of chunks) await pass.handle((await chunk).filter((d) => forWorkspace(d.workspaceId)));
    await pass.finish();
  } catch (error) {
    // What this pass took from the wheel and did not settle is found by the next pass's sweep.
    workers.get(wheelKey)?.reader.swept(false, "now");
    throw error;
  }
  return pass.result;
}

/**
 * Sends these deliveries now, if they are due: the same claims and checks as a pass, for what a
 * request just recorded (the answer to the person who acted, a post in the quality channel), so
 * it does not wait for the next pass. Anything this does not settle, a pass settles.
 */
export async function deliverNow(deps: DeliveryDeps, ids: string[]): Promise<PassResult> {
  const now = deps.clock.now();
  const found = (await Promise.all(
    ids.map((id) => DeliveryModel.collection.findOne({ _id: id as never })),
  )) as (Delivery | null)[];
  const pass = new Pass(deps, now);
  const due = found.filter(
    (d): d is Delivery =>
      d !== null &&
      WAITING_STATES.includes(d.state) &&
      d.notBefore <= now &&
      deps.port.platform === d.workspaceId.split(":")[0],
  );
  await pass.handle(due);
  await pass.finish();
  return pass.result;
}

class Pass {
  readonly result: PassResult = { sent: 0, deferred: 0, retried: 0, uncertain: 0, failed: 0, skipped: 0 };
  private readonly writes: PassWrites;
  private readonly pauses = new Pauses();
  /** Workspaces whose pause is over and whose probe this pass sends (one message, alone). */
  private readonly probing = new Map<string, Date>();
  private readonly recipients = new Map<string, Awaited<ReturnType<DeliveryCore["recipient"]>>>();
  private readonly lease: number;

  constructor(
    private readonly deps: DeliveryDeps,
    private readonly now: Date,
  ) {
    this.writes = new PassWrites(now);
    this.lease = deps.claimLeaseMs ?? CLAIM_LEASE_MS;
  }

  async handle(queue: Delivery[]): Promise<void> {
    for (let i = 0; i < queue.length; i += CLAIM_BATCH) {
      const batch: Delivery[] = [];
      for (const delivery of queue.slice(i, i + CLAIM_BATCH))
        if (await this.ready(delivery)) batch.push(delivery);
      const claims = await claimAll(batch, this.deps.workerId, this.deps.clock, this.lease);
      const claimed: { delivery: Delivery; at: Date }[] = [];
      for (const { delivery, claim } of claims) {
        if (claim.ok) claimed.push({ delivery, at: claim.at });
        else {
          // Looked at again when the claim's lease runs out (or at once, now that it has).
          this.writes.lookAgain(delivery._id, claim.lookAgainAt);
          this.result.skipped++;
        }
      }
      // A probe goes alone: its workspace's other messages wait for its answer.
      const probes = claimed.filter((c) => this.probing.has(c.delivery.workspaceId));
      const rest = claimed.filter((c) => !this.probing.has(c.delivery.workspaceId));
      for (const probe of probes) await this.send(probe.delivery, probe.at);
      await Promise.all(
        Array.from({ length: Math.min(SEND_CONCURRENCY, rest.length) }, async () => {
          for (let next = rest.shift(); next; next = rest.shift()) await this.send(next.delivery, next.at);
        }),
      );
    }
  }

  async finish(): Promise<void> {
    await this.writes.finish();
  }

  private async recipientOf(delivery: Delivery) {
    const key = `${delivery.workspaceId}|${delivery.recipientId}`;
    let found = this.recipients.get(key);
    if (!found) {
      found = await this.deps.core.recipient(delivery);
      this.recipients.set(key, found);
    }
    return found;
  }

  /** Before claiming: what must wait (a paused workspace, a reminder's request, working hours). */
  private async ready(delivery: Delivery): Promise<boolean> {
    if (delivery.after) {
      const waitUntil = await this.afterPredecessor(delivery);
      if (waitUntil === "moot") {
        await DeliveryModel.updateOne(
          { _id: delivery._id },
          {
            $set: { state: "cancelled", lastError: "cancelled: the message it follows up was not delivered" },
          },
        );
        return false;
      }
      if (waitUntil) {
        await this.writes.postpone(delivery._id, waitUntil);
        this.result.deferred++;
        return false;
      }
    }
    const paused = await this.pauses.until(delivery.workspaceId);
    if (paused && paused > this.now) {
      await this.writes.postpone(delivery._id, paused);
      this.result.retried++;
      return false;
    }
    if (delivery.workingHoursOnly) {
      const { zone, hours } = await this.recipientOf(delivery);
      const when = nextWorkingMoment(this.now, zone, hours);
      if (when > this.now) {
        await this.writes.postpone(delivery._id, when);
        this.result.deferred++;
        return false;
      }
    }
    if (paused) {
      // The pause is over: one message goes first, alone (taken by one worker); the rest of the
      // workspace's messages wait for its answer.
      if (
        this.probing.has(delivery.workspaceId) ||
        !(await takeProbe(delivery.workspaceId, paused, this.now))
      ) {
        this.writes.lookAgain(delivery._id, addMilliseconds(this.now, 500));
        this.result.skipped++;
        return false;
      }
      this.probing.set(delivery.workspaceId, paused);
    }
    return true;
  }

  /**
   * A follow-up (a reminder) goes `workingDays` working days after the message it follows was
   * sent, in the recipient's zone. Null: due now; a date: wait; "moot": that message never went.
   */
  private async afterPredecessor(delivery: Delivery): Promise<Date | null | "moot"> {
    const after = delivery.after as NonNullable<Delivery["after"]>;
    const before = (await DeliveryModel.findById(after.delivery).lean()) as Delivery | null;
    if (!before || before.state === "failed" || before.state === "cancelled") return "moot";
    if (before.state !== "sent" && before.state !== "unconfirmed")
      return addMilliseconds(this.now, 10 * 60_000);
    const { zone, hours } = await this.recipientOf(delivery);
    const due = addWorkingDays(before.sentAt ?? before.notBefore, after.workingDays, zone, hours);
    return due > this.now ? due : null;
  }

  /** Gives an unsent attempt back: its claim goes, so the attempt is not used up. */
  private async release(delivery: Delivery, until: Date): Promise<void> {
    await DeliveryClaimModel.deleteOne({ _id: `${delivery._id}#${delivery.attempts}` });
    await this.writes.postpone(delivery._id, until);
  }

  /** Under a claim: sends, unless the claim got old or the workspace was paused since. */
  private async send(delivery: Delivery, claimedAt: Date): Promise<void> {
    const now = this.deps.clock.now();
    if (now.getTime() - claimedAt.getTime() > this.lease / 2) {
      // Sending this late could land after another worker took the claim as expired.
      await this.release(delivery, now);
      this.result.skipped++;
      return;
    }
    const paused = await this.pauses.until(delivery.workspaceId);
    if (paused && paused > now) {
      await this.release(delivery, paused);
      this.result.retried++;
      return;
    }
    const outcome = await this.attempt(delivery);
    this.result[outcome.counter]++;
    if (outcome.counter === "sent") {
      const probe = this.probing.get(delivery.workspaceId);
      if (probe) {
        await this.pauses.clear(delivery.workspaceId, probe);
        this.probing.delete(delivery.workspaceId);
      }
    }
    if (outcome.retryAt) this.writes.lookAgain(delivery._id, outcome.retryAt);
  }

  private async attempt(delivery: Delivery): Promise<{ counter: keyof PassResult; retryAt?: Date }> {
    const { deps } = this;
    const next = delivery.attempts + 1;
    const log = deps.logger.child({ delivery: delivery._id, attempt: next });
    const info = await this.recipientOf(delivery);
    const recipient: Recipient = {
      workspaceId: delivery.workspaceId,
      id: delivery.recipientId,
      to: delivery.to ?? "person",
      zone: info.zone,
      contact: info.contact,
      knownChannel: delivery.posted?.channelId ?? null,
    };
    try {
      if (delivery.state === "uncertain") {
        if (!deps.port.canLookUp) {
          // The platform cannot be asked whether it arrived: it is not posted again (see README).
          await this.settle(delivery, "unconfirmed", { lastError: delivery.lastError });
          log.warn("uncertain delivery left unconfirmed: this platform offers no way to check it");
          return { counter: "uncertain" };
        }
        const found = await deps.port.findDelivered(recipient, delivery._id);
        if (found) {
          log.info("an uncertain delivery had been posted; not sending it again");
          await this.markSent(delivery, found);
          return { counter: "sent" };
        }
        // Known not posted: from here on a failure (a 429) keeps it pending, not uncertain.
        await DeliveryModel.updateOne({ _id: delivery._id }, { $set: { state: "pending" } });
        delivery = { ...delivery, state: "pending" };
      }
      const view = await deps.core.render(delivery, info.zone);
      if (!view) {
        await this.settle(delivery, "cancelled", { lastError: "cancelled: nothing to say any more" });
        return { counter: "skipped" };
      }
      if (deps.port.perWorkspacePerSecond)
        await takeBudget(delivery.workspaceId, deps.port.perWorkspacePerSecond);
      if (delivery.op === "update") {
        const post = delivery.updates
          ? ((await DeliveryModel.findById(delivery.updates).lean()) as Delivery | null)
          : null;
        if (!post || post.state === "failed" || post.state === "cancelled") {
          await this.settle(delivery, "cancelled", {
            lastError: "cancelled: the message to edit was never posted",
          });
          return { counter: "skipped" };
        }
        if (!post.posted) {
          // Not posted yet: the edit waits for it (the post shows the record as it is anyway).
          await this.release(delivery, addSeconds(this.deps.clock.now(), 5));
          return { counter: "deferred" };
        }
        await deps.port.update(recipient, post.posted, view);
        await this.markSent(delivery, post.posted);
        return { counter: "sent" };
      }
      const { posted, contact } = await deps.port.send(recipient, view, delivery._id);
      await this.markSent(delivery, posted);
      if (contact) await deps.core.keepContact(delivery.workspaceId, contact);
      return { counter: "sent" };
    } catch (error) {
      const failure =
        error instanceof DeliveryFailure
          ? error
          : new DeliveryFailure("uncertain", error instanceof Error ? error.message : String(error));
      const at = this.deps.clock.now();
      const base = {
        attempts: next,
        lastError: `${failure.kind}: ${failure.message}`.slice(0, 500),
      };
      if (failure.kind === "rate_limited") {
        // Counted from when the 429 arrived, for every worker.
        const until = await this.pauses.set(delivery.workspaceId, at, failure.retryAfterMs);
        await DeliveryModel.updateOne({ _id: delivery._id }, { $set: { ...base, notBefore: until } });
        return { counter: "retried", retryAt: until };
      }
      if (failure.kind === "permanent" || next >= MAX_ATTEMPTS) {
        await DeliveryModel.updateOne({ _id: delivery._id }, { $set: { ...base, state: "failed" } });
        await UndeliverableModel.replaceOne(
          { _id: delivery._id },
          {
            _id: delivery._id,
            workspaceId: delivery.workspaceId,
            occasion: delivery.occasion,
            recipientId: delivery.recipientId,
            reason: failure.message.slice(0, 300),
            at,
          },
          { upsert: true },
        ).catch((e: unknown) => log.error({ err: e }, "could not record an undeliverable message"));
        log.error({ err: error }, "delivery failed for good");
        return { counter: "failed" };
      }
      if (failure.kind === "uncertain") {
        const recheck = addSeconds(at, UNCERTAIN_RECHECK_S);
        await DeliveryModel.updateOne(
          { _id: delivery._id },
          { $set: { ...base, state: "uncertain", notBefore: recheck } },
        );
        log.warn({ err: error }, "delivery uncertain; will check before sending again");
        return { counter: "uncertain", retryAt: recheck };
      }
      const retryAt = addSeconds(at, Math.min(2 ** next * 5, 900));
      await DeliveryModel.updateOne({ _id: delivery._id }, { $set: { ...base, notBefore: retryAt } });
      return { counter: "retried", retryAt };
    }
  }

  private async markSent(delivery: Delivery, posted: Posted): Promise<void> {
    // The time the platform took it, not the pass's start.
    await this.writes.sent(delivery._id, posted, this.deps.clock.now());
    await this.deps.core
      .sent(delivery, posted)
      .catch((error: unknown) =>
        this.deps.logger.error(
          { err: error, delivery: delivery._id },
          "could not record where a message went",
        ),
      );
  }

  private async settle(
    delivery: Delivery,
    state: DeliveryState,
    fields: Record<string, unknown>,
  ): Promise<void> {
    await DeliveryModel.updateOne(
      { _id: delivery._id },
      { $set: { ...fields, state, attempts: delivery.attempts + 1 } },
    );
  }
}

// ---------------------------------------------------------------- finding what is due

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
async function dueDeliveries(workerId: string, now: Date, limit: number): Promise<Promise<Delivery[]>[]> {
  let worker = workers.get(workerId);
  if (!worker) {
    worker = { reader: new SlotReader(), backlog: new Set(), soon: new Map() };
    workers.set(workerId, worker);
  }
  const { notes, sweep } = await worker.reader.due(now);
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
  const dueOf = (found: (Delivery | null)[]) => {
    const due: Delivery[] = [];
    for (const d of found) {
      if (!d || !WAITING_STATES.includes(d.state)) continue;
      const wait = d.notBefore.getTime() - now.getTime();
      if (wait <= 0) due.push(d);
      // Due within the second: held here until then. Later than that: put off, with a later note.
      else if (wait <= SOON_MS) held.set(d._id, d.notBefore.getTime());
    }
    return due;
  };
  // Read in chunks one after another, beside the pass that handles them: on the embedded
  // FerretDB the reads run beside the writes (SQLite takes one writer at a time, readers besides).
  const chunks: Promise<Delivery[]>[] = [];
  let previous: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < taken.length; i += READ_CONCURRENCY) {
    const ids = taken.slice(i, i + READ_CONCURRENCY);
    const chunk = previous.then(async () =>
      dueOf(
        (await Promise.all(
          ids.map((id) => DeliveryModel.collection.findOne({ _id: id as never })),
        )) as (Delivery | null)[],
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
    state.sweeping = DeliveryModel.collection
      .find(dueBy(now), { projection: { _id: 1 } })
      .limit(limit)
      .toArray()
      .then((found) => {
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
    const swept = room > 0 ? ((await DeliveryModel.find(dueBy(now)).limit(room).lean()) as Delivery[]) : [];
    // A restart with a backlog larger than a pass: the sweep goes on until it runs dry.
    worker.reader.swept(room > 0 && swept.length < room, "now");
    chunks.push(Promise.resolve(swept.filter((d) => !seen.has(d._id))));
  }
  return chunks;
}

// ---------------------------------------------------------------- claims

/**
 * Claims attempt `attempts` of each delivery, with one insert command of one document each:
 * each document is refused on its own when that attempt is claimed already. Each claim is
 * stamped with the time it is inserted.
 */
async function claimAll(
  deliveries: Delivery[],
  workerId: string,
  clock: Clock,
  leaseMs: number,
): Promise<{ delivery: Delivery; claim: Claim }[]> {
  if (deliveries.length === 0) return [];
  const taken = new Set<number>();
  const at = clock.now();
  try {
    await DeliveryClaimModel.collection.insertMany(
      deliveries.map((d) => ({ _id: `${d._id}#${d.attempts}` as never, worker: workerId, at })),
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
      claim: taken.has(k) ? await claimedBefore(delivery, clock.now(), leaseMs) : ({ ok: true, at } as const),
    })),
  );
}

/**
 * The attempt is claimed already: by a worker still within its lease (look again as it runs
 * out), or by one that stopped mid-send, which makes the delivery uncertain.
 */
async function claimedBefore(delivery: Delivery, now: Date, leaseMs: number): Promise<Claim> {
  const id = `${delivery._id}#${delivery.attempts}`;
  const existing = await DeliveryClaimModel.findById(id).lean();
  if (existing && now.getTime() - existing.at.getTime() <= leaseMs) {
    return { ok: false, lookAgainAt: addMilliseconds(existing.at, leaseMs + 1000) };
  }
  if (existing) {
    // Its worker stopped between claim and result: the message may or may not be out.
    await DeliveryModel.updateOne(
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

// ---------------------------------------------------------------- batched writes

/**
 * The pass's routine writes, each addressed to one delivery by `_id`, sent BULK_WRITE at a time
 * as one update command. A send whose "sent" is not written yet when the process dies keeps its
 * claim, which expires into an uncertain attempt that is checked before anything is sent again.
 *
 * Why batches, and why small ones: on the embedded FerretDB an update command of one statement
 * costs about as much as a batch of several, so batching is what lets one worker keep up with
 * hundreds of deliveries a second; but FerretDB 1.24 keeps one SQLite connection open per
 * statement until the whole command ends (out of 100), and a command of about a hundred
 * statements waits forever for a connection. So a batch is 16 statements, and a process sends
 * one batch at a time (`bulkLane`).
 */
class PassWrites {
  private batch: AnyBulkWriteOperation<Delivery>[] = [];
  private readonly sending: Promise<unknown>[] = [];
  private readonly later: { id: string; at: Date }[] = [];

  constructor(private readonly now: Date) {}

  async postpone(id: string, until: Date): Promise<void> {
    this.lookAgain(id, until);
    await this.add({ updateOne: { filter: { _id: id }, update: { $set: { notBefore: until } } } });
  }

  lookAgain(id: string, at: Date): void {
    this.later.push({ id, at });
  }

  async sent(id: string, posted: Posted, at: Date): Promise<void> {
    await this.add({
      updateOne: {
        filter: { _id: id },
        update: { $set: { state: "sent", sentAt: at, lastError: null, posted }, $inc: { attempts: 1 } },
      },
    });
  }

  private async add(write: AnyBulkWriteOperation<Delivery>): Promise<void> {
    this.batch.push(write);
    if (this.batch.length >= BULK_WRITE) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const writes = this.batch as AnyBulkWriteOperation[];
    this.batch = [];
    const previous = bulkLane;
    const done = previous.then(() => DeliveryModel.collection.bulkWrite(writes, { ordered: false }));
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
