import { randomBytes } from "node:crypto";
import mongoose from "mongoose";
import { afterAll, beforeAll, inject } from "vitest";
import { connectDatabase, disconnectDatabase } from "../../src/db/connection.js";
import type { DatabaseEngine } from "../../src/db/engine.js";

/** Connects this test file to a database of its own on the run's server, and drops it after. */
export function useTestDatabase(): { uri: string; dbName: string; engine: DatabaseEngine["kind"] } {
  const dbName = `qops_test_${randomBytes(4).toString("hex")}`;
  const uri = inject("mongoUri");
  const engine = inject("mongoEngine");
  beforeAll(async () => {
    await connectDatabase(uri, dbName, engine);
  });
  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase();
    await disconnectDatabase();
  });
  return { uri, dbName, engine };
}
