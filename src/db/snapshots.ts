import type { Collection } from "mongodb";
import { Schema } from "mongoose";
import { engineCaps } from "./engineCaps.js";
import { defineModel } from "./kinds.js";
import { dbWarning } from "./warnings.js";

/**
 * Register snapshots, on the embedded FerretDB only: a register's lines kept in one document
 * per workspace, so that a list is two reads by `_id` instead of a query over the collection
 * (there a query on anything but `_id` reads and decodes every document of the collection).
 * On MongoDB a register is its indexed query, and nothing here runs.
 *
 * Freshness rests on a change marker, not on timing: every committed change to a record of a
 * snapshotted kind writes `<workspace>/<kind>/changed` with the wall-clock time after the
 * commit, and a snapshot counts as fresh only while it was built (its read started) after the
 * last marker. A change that lands while a snapshot is being built marks it stale at once.
 * Clock skew between processes is covered by a margin.
 *
 * The marker also logs which records changed, so a stale snapshot is brought up to date by
 * reading just those records by `_id` (a full rebuild reads the whole collection: 26 s at
 * 100,000 complaints). A full rebuild happens when there is no snapshot yet or the log no longer
 * reaches back to it; and, in the background, when a snapshot is older than REBUILD_AFTER_MS,
 * which repairs what a process that died between a commit and its marker left out.
 */
interface Snapshot {
  _id: string;
  items?: unknown[];
  builtAt?: Date;
  at?: Date;
  /** On a marker: which records changed, and when (newest last), and a version for trimming. */
  log?: { key: string; at: Date }[];
  v?: number;
  /** The newest change trimmed from the log: a snapshot built before it cannot be patched. */
  trimmedTo?: Date;
  /** The first change logged (markers written before the log existed had changes it lacks). */
  logSince?: Date;
}

const snapshotSchema = new Schema<Snapshot>(
  {
    _id: { type: String, required: true },
    items: { type: [Schema.Types.Mixed], default: undefined },
    builtAt: { type: Date },
    at: { type: Date },
    log: { type: [Schema.Types.Mixed], default: undefined },
    v: { type: Number },
    trimmedTo: { type: Date },
    logSince: { type: Date },
  },
  { collection: "register_snapshots", versionKey: false },
);

export const SnapshotModel = defineModel<Snapshot>("RegisterSnapshot", snapshotSchema);

/** The kinds whose open records are read as snapshots (registers, App Home). */
export const SNAPSHOT_KINDS = new Set(["complaint", "action", "idea", "audit", "nc"]);
const SKEW_MS = 1_000;
/** A snapshot this old is rebuilt in full in the background (it is still patched and served). */
const REBUILD_AFTER_MS = 10 * 60_000;
/** Changes the marker's log keeps; trimmed back to LOG_KEEP when it grows past LOG_MAX. */
const LOG_MAX = 400;
const LOG_KEEP = 200;

const markerId = (workspaceId: string, kind: string) => `${workspaceId}/${kind}/changed`;
const snapshotId = (workspaceId: string, kind: string, name: string) => `${workspaceId}/${kind}/${name}`;

/**
 * Writes a document by `_id`, creating it if needed. Two concurrent upserts of a new `_id` can
 * both try to insert (FerretDB, and MongoDB too); the loser then updates the one that exists.
 */
async function put(doc: Snapshot): Promise<void> {
  try {
    await SnapshotModel.replaceOne({ _id: doc._id }, doc, { upsert: true });
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    await SnapshotModel.replaceOne({ _id: doc._id }, doc);
  }
}

/**
 * Called after every committed change to a record: marks the kind's snapshots stale and logs
 * the record. The change is committed already, so a failure here is not the caller's: the
 * background rebuild covers it.
 */
export async function markChanged(kind: string, recordKey: string): Promise<void> {
  if (!engineCaps().scansQueries || !SNAPSHOT_KINDS.has(kind)) return;
  const workspaceId = recordKey.split("/")[0] ?? "";
  const _id = markerId(workspaceId, kind);
  const at = new Date();
  const change = {
    $set: { at },
    $inc: { v: 1 },
    $min: { logSince: at },
    $push: { log: { key: recordKey, at } },
  };
  try {
    let marker: Snapshot | null;
    try {
      marker = await markers().findOneAndUpdate({ _id }, change, { upsert: true, returnDocument: "after" });
    } catch (error) {
      // Two first changes at once: both tried to insert the marker; the loser updates it.
      if ((error as { code?: number }).code !== 11000) throw error;
      marker = await markers().findOneAndUpdate({ _id }, change, { returnDocument: "after" });
    }
    if (marker?.log && marker.log.length > LOG_MAX) await trimLog(marker);
  } catch (error) {
    dbWarning(error, "could not mark a register changed; its snapshot is rebuilt within minutes", {
      recordKey,
    });
  }
}

/**
 * Keeps the newest LOG_KEEP changes. Neither engine trims an array by condition here (FerretDB
 * 1.24 accepts `$slice` in `$push` and `$pull` with a condition but ignores them), so the log is
 * replaced as a whole, only if no change was logged meanwhile (`v`); otherwise the next change
 * trims it.
 */
async function trimLog(marker: Snapshot): Promise<void> {
  const log = marker.log ?? [];
  const dropped = log[log.length - LOG_KEEP - 1];
  await markers().updateOne(
    { _id: marker._id, v: marker.v },
    {
      $set: { log: log.slice(-LOG_KEEP), trimmedTo: dropped?.at ?? marker.trimmedTo },
      $inc: { v: 1 },
    },
  );
}

// Through the driver: markers are a few plain fields, nothing to cast.
const markers = () => SnapshotModel.collection as unknown as Collection<Snapshot>;

/** Snapshots this process read or built lately, so a list while nothing changed reads only the marker. */
const held = new Map<string, { builtAt: number; items: unknown[] }>();
const MAX_HELD = 500;

function hold(_id: string, builtAt: number, items: unknown[]): void {
  held.delete(_id);
  held.set(_id, { builtAt, items });
  if (held.size > MAX_HELD) held.delete(held.keys().next().value ?? "");
}

const freshAgainst = (builtAt: number, marker: { at?: Date } | null) =>
  !marker?.at || marker.at.getTime() < builtAt;

/** How to bring a stale snapshot up to date from the records that changed, instead of a rebuild. */
export interface SnapshotPatch<T> {
  /** The records by key (null where there is none), as the snapshot keeps them. */
  read(keys: string[]): Promise<(T | null)[]>;
  /** Whether a record belongs in the snapshot (an open complaint of this workspace). */
  keeps(record: T): boolean;
}

/** Patches `items` with the records logged as changed since `builtAt`, or null if the log does not reach back. */
async function patched<T>(
  items: unknown[],
  builtAt: number,
  marker: Snapshot | null,
  patch: SnapshotPatch<T>,
): Promise<unknown[] | null> {
  // `builtAt` is already the read's start less the clock-skew margin.
  const since = builtAt;
  // The log must hold every change since the snapshot was built: begun before it, trimmed after it.
  if (!marker?.log || !marker.logSince || marker.logSince.getTime() >= since) return null;
  if (marker.trimmedTo && marker.trimmedTo.getTime() >= since) return null;
  const keys = [...new Set(marker.log.filter((e) => new Date(e.at).getTime() >= since).map((e) => e.key))];
  const records = await patch.read(keys);
  const byKey = new Map(items.map((item) => [String((item as { _id: unknown })._id), item]));
  keys.forEach((key, i) => {
    const record = records[i];
    byKey.delete(key);
    if (record && patch.keeps(record)) byKey.set(key, record);
  });
  return [...byKey.values()];
}

const rebuilding = new Map<string, Promise<void>>();

/** A full rebuild in the background (one per snapshot per process), stored when done. */
function rebuildLater(_id: string, build: () => Promise<unknown[]>): void {
  if (rebuilding.has(_id)) return;
  const run = (async () => {
    const readStart = Date.now();
    const items = await build();
    await store(_id, items, readStart - SKEW_MS);
  })()
    .catch((error: unknown) =>
      dbWarning(error, "a register snapshot could not be rebuilt; retried later", { _id }),
    )
    .finally(() => rebuilding.delete(_id));
  rebuilding.set(_id, run);
}

async function store(_id: string, items: unknown[], builtAt: number): Promise<void> {
  // Not kept if it cannot be written: the next read builds it again.
  await put({ _id, items, builtAt: new Date(builtAt) }).catch((error: unknown) =>
    dbWarning(error, "could not store a register snapshot; the next read builds it again", { _id }),
  );
  hold(_id, builtAt, items);
}

/**
 * The snapshot `name` of a kind's register in a workspace. Fresh (nothing changed since it was
 * built) it is served as it is; stale, it is patched with the records that changed (`patch`) or,
 * without one or when the log does not reach back, rebuilt by `build`. A copy held in memory is
 * used under the same rule, checked against the marker in the database at every read, so a
 * change committed by any process is seen at once. The items returned are shared: callers
 * must not change them.
 */
export async function readSnapshot<T>(
  workspaceId: string,
  kind: string,
  name: string,
  build: () => Promise<T[]>,
  patch?: SnapshotPatch<T>,
): Promise<T[]> {
  if (!engineCaps().scansQueries) return build();
  const _id = snapshotId(workspaceId, kind, name);
  const mine = held.get(_id);
  // Taken before the marker is read: a change the marker does not show yet is marked after this.
  const readStart = Date.now();
  const markerRead = markers().findOne({ _id: markerId(workspaceId, kind) });
  // With nothing held, read the stored snapshot alongside the marker (one round trip).
  const storedRead = mine ? null : SnapshotModel.findById(_id).lean().exec();
  // Awaited below when used; a failure then is the read's failure.
  storedRead?.catch(() => undefined);
  const marker = await markerRead;
  // Without a marker (nothing changed yet, or the data was restored or wiped) the held copy
  // proves nothing: read the stored one.
  const stored = mine && marker?.at ? null : await (storedRead ?? SnapshotModel.findById(_id).lean());
  const base =
    mine && marker?.at
      ? mine
      : stored?.items && stored.builtAt
        ? { items: stored.items, builtAt: stored.builtAt.getTime() }
        : null;
  if (base && readStart - base.builtAt > REBUILD_AFTER_MS) rebuildLater(_id, build);
  if (base && freshAgainst(base.builtAt, marker)) {
    if (base !== mine) hold(_id, base.builtAt, base.items);
    return base.items as T[];
  }
  const builtAt = readStart - SKEW_MS;
  const patchedItems = base && patch ? await patched(base.items, base.builtAt, marker, patch) : null;
  if (patchedItems) {
    // Held at once; written back in the background (a large snapshot, such as the dashboard's
    // every complaint, is a large write that the reader need not wait for).
    storeLater(_id, patchedItems, builtAt);
    return patchedItems as T[];
  }
  const items = await build();
  await store(_id, items, builtAt);
  return items as T[];
}

const toStore = new Map<string, { items: unknown[]; builtAt: number }>();
const storing = new Set<string>();

/** Holds a snapshot now and stores it soon: one write at a time per snapshot, the newest wins. */
function storeLater(_id: string, items: unknown[], builtAt: number): void {
  hold(_id, builtAt, items);
  toStore.set(_id, { items, builtAt });
  if (storing.has(_id)) return;
  storing.add(_id);
  void (async () => {
    for (let next = toStore.get(_id); next; next = toStore.get(_id)) {
      toStore.delete(_id);
      await put({ _id, items: next.items, builtAt: new Date(next.builtAt) }).catch((error: unknown) =>
        dbWarning(error, "could not store a register snapshot; the next read builds it again", { _id }),
      );
    }
  })().finally(() => storing.delete(_id));
}
