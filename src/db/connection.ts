import mongoose from "mongoose";
import { ALL_MODELS } from "../models/index.js";
import { withTimeout } from "../util/timeout.js";

// Filters are built in code from values that zod has already checked to be strings, so text
// like `{"$gt": ""}` typed into a form is a string in a filter, never an operator.
mongoose.set("strictQuery", true);
mongoose.set("autoIndex", false);

export async function connectDatabase(uri: string, dbName?: string): Promise<typeof mongoose> {
  await mongoose.connect(uri, {
    ...(dbName ? { dbName } : {}),
    serverSelectionTimeoutMS: 5000,
    // FerretDB speaks the wire protocol but not every server feature these assume.
    retryWrites: false,
  });
  await Promise.all(ALL_MODELS.map((model) => model.createIndexes()));
  return mongoose;
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
