import type { TestProject } from "vitest/node";
import { loadConfig } from "../../src/config/index.js";
import { type DatabaseEngine, startDatabaseEngine } from "../../src/db/engine.js";
import { createLogger } from "../../src/logger.js";

declare module "vitest" {
  export interface ProvidedContext {
    mongoUri: string;
    mongoEngine: DatabaseEngine["kind"];
  }
}

/**
 * One real database server for the whole run, resolved like `npm start` does (MONGODB_URI,
 * else mongod, else FerretDB) but throwaway. Each test file uses its own database in it.
 */
export default async function setup(project: TestProject) {
  const logger = createLogger("warn", false);
  // The same variables as `npm start`: MONGODB_URI, QOPS_EMBEDDED_ENGINE, QOPS_FERRETDB_BIN.
  const config = loadConfig({
    MONGODB_URI: process.env.MONGODB_URI,
    QOPS_EMBEDDED_ENGINE: process.env.QOPS_EMBEDDED_ENGINE,
    QOPS_FERRETDB_BIN: process.env.QOPS_FERRETDB_BIN,
  });
  const engine = await startDatabaseEngine({
    mongodbUri: config.mongodbUri,
    dataDir: undefined,
    engine: config.embeddedEngine,
    ferretdbBin: config.ferretdbBin,
    logger,
  });
  project.provide("mongoUri", engine.uri);
  project.provide("mongoEngine", engine.kind);
  return async () => {
    await engine.stop();
  };
}
