import { addMilliseconds } from "date-fns";
import type { AnyBulkWriteOperation, MongoBulkWriteError } from "mongodb";
import { noteDue } from "./dueSlots.js";
import { type Delivery, DeliveryClaimModel, DeliveryModel } from "./models.js";
import type { Posted } from "./port.js";
import type { Clock } from "./types.js";

export type Claim = { ok: true; at: Date } | { ok: false; lookAgainAt: Date };

// ---------------------------------------------------------------- claims

/**
 * Claims attempt `attempts` of each delivery, with one insert command of one document each:
 * each document is refused on its own when that attempt is claimed already. Each claim is
 * stamped with the time it is inserted.
 */
export async function claimAll(
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
export async function claimedBefore(delivery: Delivery, now: Date, leaseMs: number): Promise<Claim> {
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
export class PassWrites {
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
