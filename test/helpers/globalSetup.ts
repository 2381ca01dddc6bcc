import type { TestProject } from "vitest/node";
import { startDatabaseEngine } from "../../src/db/engine.js";
import { createLogger } from "../../src/logger.js";

declare module "vitest" {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

/**
 * One real database server for the whole run, resolved like `npm start` does (MONGODB_URI,
 * else mongod, else FerretDB) but throwaway. Each test file uses its own database in it.
 */
export default async function setup(project: TestProject) {
  const logger = createLogger("warn", false);
  const engine = await startDatabaseEngine({
    mongodbUri: process.env.MONGODB_URI,
    dataDir: undefined,
    engine: "auto",
    ferretdbBin: process.env.QOPS_FERRETDB_BIN,
    logger,
  });
  project.provide("mongoUri", engine.uri);
  return async () => {
    await engine.stop();
  };
}
