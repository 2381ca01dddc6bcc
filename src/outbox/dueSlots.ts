import { isDuplicateKey } from "../db/history.js";
import { DueSlotModel } from "./models.js";

/**
 * The delivery engine's timer wheel: deliveries are noted in one-second slots by when they fall
 * due, and a pass reads the slots up to now by `_id`. A slot is written by unique insert
 * (`<second>#<n>`), never updated, so two writers cannot lose each other's entries.
 *
 * What could be missed, and what covers it:
 * - an entry written a little after a reader passed its second (a slow write, clocks apart):
 *   readers read the last RECHECK_SLOTS seconds again at every pass;
 * - anything due while no reader ran for longer than that (a restart, a long pause, a clock
 *   moved by hours in the tests): the reader's first pass and a gap ask for a sweep within the
 *   pass ("now"), the query over the deliveries themselves, as before the wheel; a timer every
 *   SWEEP_MS (up to twice that while the wheel keeps it busy) asks for one beside the passes
 *   ("background"), for notes lost while this reader runs (another process crashed between
 *   recording and noting). A sweep goes on pass after
 *   pass until one finds less than it could take.
 */
const SLOT_MS = 1000;
const RECHECK_SLOTS = 15;
/** A reader that falls further behind than this sweeps instead of reading every slot. */
const MAX_SLOTS_PER_PASS = 300;
const SWEEP_MS = 5 * 60_000;
const IDS_PER_ENTRY = 1000;

/** The slot a delivery due at `at` goes in: read once the clock reaches its second. */
const slotOf = (at: number) => Math.ceil(at / SLOT_MS);

/** Per slot, the first entry number this process has not seen taken. */
const firstFree = new Map<number, number>();

/** Notes deliveries in the slots of when they fall due (now, at the earliest). */
export async function noteDue(entries: { id: string; at: Date }[], now: Date): Promise<void> {
  const bySlot = new Map<number, { ids: string[]; at: number[] }>();
  const earliest = slotOf(now.getTime());
  for (const { id, at } of entries) {
    const slot = Math.max(slotOf(at.getTime()), earliest);
    const notes = bySlot.get(slot) ?? { ids: [], at: [] };
    notes.ids.push(id);
    notes.at.push(at.getTime());
    bySlot.set(slot, notes);
  }
  await Promise.all(
    [...bySlot].map(async ([slot, { ids, at }]) => {
      for (let i = 0; i < ids.length; i += IDS_PER_ENTRY)
        await insertEntry(slot, ids.slice(i, i + IDS_PER_ENTRY), at.slice(i, i + IDS_PER_ENTRY));
    }),
  );
  if (firstFree.size > 10_000) firstFree.clear();
}

async function insertEntry(slot: number, ids: string[], at: number[]): Promise<void> {
  for (let n = firstFree.get(slot) ?? 0; ; n++) {
    try {
      await DueSlotModel.collection.insertOne({ _id: `${slot}#${n}` as never, ids, at });
      firstFree.set(slot, n + 1);
      return;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

/** A delivery noted in the wheel, and when it falls due (ms since the epoch). */
export interface Note {
  id: string;
  at: number;
}

/** A sweep within the pass, or beside the passes. */
export type Sweep = "now" | "background";

/** What one worker has read of the wheel. */
export class SlotReader {
  /** The last slot read at least once. */
  private readUpTo: number | null = null;
  /** Per recent slot, the next entry number to read. */
  private readonly nextEntry = new Map<number, number>();
  private lastSweep = 0;
  /** The last read found notes. */
  private busy = false;
  /** A sweep that found as much as it could take goes on at the next pass, the same way. */
  private continuing: Sweep | null = null;

  /**
   * Deliveries noted as due up to a second after `now` since the last call, each with when it
   * falls due (some not yet), and whether a sweep is needed besides: "now", within this pass (first
   * call, a gap, a sweep going on), or "background" (time for the periodic one).
   */
  async due(now: Date): Promise<{ notes: Note[]; sweep: Sweep | null }> {
    // The slot ending within the next second too: what falls due in it is held until its time
    // (see dueDeliveries) rather than read a second late.
    const nowSlot = Math.floor(now.getTime() / SLOT_MS) + 1;
    // The periodic sweep waits for a pass that found nothing new in the wheel (the sweep reads
    // every delivery on the embedded FerretDB, and a busy worker has work it knows of), for at
    // most twice as long.
    const every = this.busy ? 2 * SWEEP_MS : SWEEP_MS;
    let sweep = this.continuing ?? (Date.now() - this.lastSweep >= every ? "background" : null);
    if (this.readUpTo === null || nowSlot - this.readUpTo > MAX_SLOTS_PER_PASS || nowSlot < this.readUpTo) {
      sweep = "now";
      this.readUpTo = nowSlot - RECHECK_SLOTS;
      this.nextEntry.clear();
    }
    if (sweep) this.lastSweep = Date.now();
    const from = Math.min(this.readUpTo, nowSlot) - RECHECK_SLOTS;
    const slots = Array.from({ length: nowSlot - from }, (_, i) => from + 1 + i);
    const found = await Promise.all(slots.map((slot) => this.readSlot(slot)));
    this.readUpTo = nowSlot;
    for (const slot of this.nextEntry.keys())
      if (slot <= nowSlot - 2 * RECHECK_SLOTS) this.nextEntry.delete(slot);
    const notes = found.flat();
    this.busy = notes.length > 0;
    return { notes, sweep };
  }

  /** After a sweep: whether it found everything that was due (else it goes on, the same way). */
  swept(everything: boolean, how: Sweep): void {
    this.continuing = everything ? null : how;
  }

  private async readSlot(slot: number): Promise<Note[]> {
    const notes: Note[] = [];
    let n = this.nextEntry.get(slot) ?? 0;
    for (;;) {
      const entry = await DueSlotModel.findById(`${slot}#${n}`).lean();
      if (!entry) break;
      // An entry written before notes carried their time: due by the end of its second.
      entry.ids.forEach((id, i) => {
        notes.push({ id, at: entry.at?.[i] ?? slot * SLOT_MS });
      });
      n++;
    }
    this.nextEntry.set(slot, n);
    return notes;
  }
}
