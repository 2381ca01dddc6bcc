import { dbWarning } from "../db/warnings.js";
import { SlotReader } from "./dueSlots.js";
import { type Delivery, DeliveryModel, type DeliveryState } from "./models.js";

export const WAITING_STATES: DeliveryState[] = ["pending", "uncertain"];
export const dueBy = (now: Date) => ({ state: { $in: WAITING_STATES }, notBefore: { $lte: now } });
export const READ_CONCURRENCY = 32;
/**
 * A delivery read a little before its time (its note was out of date) is held until then when
 * it falls due this soon; later than that, it has a later note in the wheel.
 */
export const SOON_MS = 2_000;

// ---------------------------------------------------------------- finding what is due

/** What each worker has read of the wheel, and the due deliveries it has not handled yet. */
export const workers = new Map<
  string,
  { reader: SlotReader; backlog: Set<string>; soon: Map<string, number>; sweeping?: Promise<void> }
>();

/**
 * Up to `limit` deliveries due at `now`, in chunks as they are read: those the wheel noted (read
 * by `_id`), plus, when the wheel asks for it, those a sweep of the deliveries finds. A noted
 * delivery that is no longer waiting (sent, cancelled) or was put off (it has a later note) is
 * passed over.
 */
export async function dueDeliveries(
  workerId: string,
  now: Date,
  limit: number,
): Promise<Promise<Delivery[]>[]> {
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
      // The database failed: logged, and the next pass sweeps within itself (or fails too).
      .catch((error: unknown) => {
        dbWarning(error, "the background sweep for due deliveries failed; the next pass sweeps");
        state.reader.swept(false, "now");
      })
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
