import type { CreateIndexesOptions, IndexSpecification } from "mongodb";
import mongoose, { type Model } from "mongoose";
import { withTimeout } from "../util/timeout.js";
import type { DatabaseEngine } from "./engine.js";
import { setEngineCaps } from "./engineCaps.js";
import { allModels } from "./kinds.js";

// Filters are built in code from values that zod has already checked to be strings, so text
// like `{"$gt": ""}` typed into a form is a string in a filter, never an operator.
mongoose.set("strictQuery", true);
mongoose.set("autoIndex", false);

/**
 * Connects and creates the models' indexes. `engine` is the database engine's kind (see
 * startDatabaseEngine): on the embedded FerretDB only the unique indexes are made. Its SQLite
 * backend answers every query but `_id` equality by reading the rows in order (FerretDB 1.24,
 * `internal/backends/sqlite/collection.go`), so an index that only speeds up queries is never
 * read there, while each one is rewritten on every insert and update: with the deliveries'
 * three, a worker sent about 700 reminders a second; without them, over 833 (see
 * docs/PERFORMANCE.md). Unique indexes stay: they are what keeps records from being doubled.
 */
export async function connectDatabase(
  uri: string,
  dbName?: string,
  engine: DatabaseEngine["kind"] = "external",
): Promise<typeof mongoose> {
  await mongoose.connect(uri, {
    ...(dbName ? { dbName } : {}),
    serverSelectionTimeoutMS: 5000,
    // FerretDB speaks the wire protocol but not every server feature these assume.
    retryWrites: false,
  });
  const kind = engine === "external" && (await isFerretDb()) ? "ferretdb" : engine;
  setEngineCaps(kind);
  await ensureIndexes(kind);
  return mongoose;
}

/**
 * Whether the server behind a `MONGODB_URI` is FerretDB, which says so in `buildInfo`
 * (`ferretdbVersion`): it gets the embedded engine's code paths (see engineCaps), since it
 * shares what they work around (conditional updates applied as a read and a write).
 */
async function isFerretDb(): Promise<boolean> {
  const info = await mongoose.connection.db?.admin().command({ buildInfo: 1 });
  return info !== undefined && "ferretdbVersion" in info;
}

/** The models' indexes for this engine (see connectDatabase). */
export async function ensureIndexes(engine: DatabaseEngine["kind"]): Promise<void> {
  const models = allModels();
  if (engine === "ferretdb") await Promise.all(models.map((model) => uniqueIndexesOnly(model)));
  else await Promise.all(models.map((model) => model.createIndexes()));
}

/** Creates a model's unique indexes and drops the others an earlier version made. */
async function uniqueIndexesOnly(model: Model<unknown>): Promise<void> {
  const collection = model.collection;
  for (const [fields, options] of model.schema.indexes())
    if (options?.unique)
      await collection.createIndex(fields as IndexSpecification, options as CreateIndexesOptions);
  let existing: { name?: string; unique?: boolean }[];
  try {
    existing = await collection.indexes();
  } catch (error) {
    if ((error as { code?: unknown }).code === 26) return; // no collection yet: nothing to drop
    throw error;
  }
  for (const index of existing)
    if (index.name && index.name !== "_id_" && !index.unique) await collection.dropIndex(index.name);
}

/** True when the database answers a ping within the deadline. */
export async function databaseReady(timeoutMs = 1000): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db) return false;
  try {
    await withTimeout(db.admin().command({ ping: 1 }), timeoutMs, "database ping");
    return true;
  } catch {
    return false;
  }
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}
