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
 * Clock skew between processes is covered by a margin, and a snapshot older than MAX_AGE_MS is
 * rebuilt regardless (a process that died between a commit and its marker).
 */
interface Snapshot {
  _id: string;
  items?: unknown[];
  builtAt?: Date;
  at?: Date;
}

const snapshotSchema = new Schema<Snapshot>(
  {
    _id: { type: String, required: true },
    items: { type: [Schema.Types.Mixed], default: undefined },
    builtAt: { type: Date },
    at: { type: Date },
  },
  { collection: "register_snapshots", versionKey: false },
);

export const SnapshotModel = defineModel<Snapshot>("RegisterSnapshot", snapshotSchema);

/** The kinds whose open records are read as snapshots (registers, App Home). */
export const SNAPSHOT_KINDS = new Set(["complaint", "action", "idea", "audit", "nc"]);
const SKEW_MS = 1_000;
const MAX_AGE_MS = 60_000;

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
 * Called after every committed change to a record: marks the kind's snapshots stale. The
 * change is committed already, so a failure here is not the caller's: the snapshot's age limit
 * covers it.
 */
export async function markChanged(kind: string, recordKey: string): Promise<void> {
  if (!engineCaps().scansQueries || !SNAPSHOT_KINDS.has(kind)) return;
  const workspaceId = recordKey.split("/")[0] ?? "";
  await put({ _id: markerId(workspaceId, kind), at: new Date() }).catch((error: unknown) =>
    dbWarning(error, "could not mark a register changed; its snapshot expires within a minute", {
      recordKey,
    }),
  );
}

/** Snapshots this process read or built lately, so a list while nothing changed reads only the marker. */
const held = new Map<string, { builtAt: number; items: unknown[] }>();
const MAX_HELD = 500;

function hold(_id: string, builtAt: number, items: unknown[]): void {
  held.delete(_id);
  held.set(_id, { builtAt, items });
  if (held.size > MAX_HELD) held.delete(held.keys().next().value ?? "");
}

const freshAgainst = (builtAt: number, marker: { at?: Date } | null, now: number) =>
  now - builtAt < MAX_AGE_MS && (!marker?.at || marker.at.getTime() < builtAt);

/**
 * The snapshot `name` of a kind's register in a workspace, rebuilt by `build` when a change
 * has been committed since it was built (or it is missing or old). A copy held in memory is
 * used under the same rule, checked against the marker in the database at every read, so a
 * change committed by any process is seen at once. The items returned are shared: callers
 * must not change them.
 */
export async function readSnapshot<T>(
  workspaceId: string,
  kind: string,
  name: string,
  build: () => Promise<T[]>,
): Promise<T[]> {
  if (!engineCaps().scansQueries) return build();
  const _id = snapshotId(workspaceId, kind, name);
  const mine = held.get(_id);
  // Through the driver: a marker is two fields, nothing to cast.
  const markers = SnapshotModel.collection as unknown as Collection<Snapshot>;
  const markerRead = markers.findOne({ _id: markerId(workspaceId, kind) });
  // With nothing held, read the stored snapshot alongside the marker (one round trip).
  const storedRead = mine ? null : SnapshotModel.findById(_id).lean().exec();
  // Awaited below when used; a failure then is the read's failure.
  storedRead?.catch(() => undefined);
  const marker = await markerRead;
  // Without a marker (nothing changed yet, or the data was restored or wiped) the held copy
  // proves nothing: read the stored one.
  if (mine && marker?.at && freshAgainst(mine.builtAt, marker, Date.now())) return mine.items as T[];
  const snapshot = await (storedRead ?? SnapshotModel.findById(_id).lean());
  const builtAt = snapshot?.builtAt?.getTime();
  if (snapshot?.items && builtAt !== undefined && freshAgainst(builtAt, marker, Date.now())) {
    hold(_id, builtAt, snapshot.items);
    return snapshot.items as T[];
  }
  const readStart = Date.now();
  const items = await build();
  const built = readStart - SKEW_MS;
  // Not kept if it cannot be written: the next read builds it again.
  await put({ _id, items, builtAt: new Date(built) }).catch((error: unknown) =>
    dbWarning(error, "could not store a register snapshot; the next read builds it again", { _id }),
  );
  hold(_id, built, items);
  return items;
}
