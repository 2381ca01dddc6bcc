import { randomBytes } from "node:crypto";
import mongoose from "mongoose";
import { connectDatabase, disconnectDatabase } from "../src/db/connection.js";
import { type DatabaseEngine, startDatabaseEngine } from "../src/db/engine.js";
import type { Logger } from "../src/logger.js";

/** The database a benchmark measures: MONGODB_URI if set, else the embedded engine, throwaway. */
export async function startBenchEngine(logger: Logger): Promise<DatabaseEngine> {
  return startDatabaseEngine({
    mongodbUri: process.env.MONGODB_URI,
    dataDir: undefined,
    engine: process.env.QOPS_EMBEDDED_ENGINE === "mongod" ? "mongod" : "auto",
    ferretdbBin: process.env.QOPS_FERRETDB_BIN,
    logger,
  });
}

/** Connects this process to a fresh database on it; the returned function drops it and stops. */
export async function connectBenchDatabase(engine: DatabaseEngine): Promise<() => Promise<void>> {
  await connectDatabase(engine.uri, `qops_bench_${randomBytes(3).toString("hex")}`, engine.kind);
  return async () => {
    await mongoose.connection.db?.dropDatabase();
    await disconnectDatabase();
    await engine.stop();
  };
}
