import { lookup } from "node:dns/promises";
import { existsSync, readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { Logger } from "../logger.js";
import { withTimeout } from "../util/timeout.js";
import { ensureFerretdbBinary, startFerretdb } from "./ferretdb.js";

export interface DatabaseEngine {
  kind: "external" | "mongod" | "ferretdb";
  uri: string;
  /** False while an embedded engine is down (it is being restarted, or could not be). */
  alive(): boolean;
  /** The embedded engine's process id, if QOps runs one. */
  pid(): number | undefined;
  stop(): Promise<void>;
}

export interface EngineOptions {
  mongodbUri: string | undefined;
  /** Where the embedded engine keeps its files; omitted for a throwaway database. */
  dataDir: string | undefined;
  engine: "auto" | "mongod" | "ferretdb";
  ferretdbBin: string | undefined;
  logger: Logger;
  /** Called when the embedded engine died and could not be restarted (the process should exit). */
  onFatal?: (error: Error) => void;
}

/** Restarts of the embedded engine allowed within a minute before QOps gives up and exits. */
const MAX_RESTARTS_PER_MINUTE = 3;

/**
 * The database, resolved the same way for `npm start` and the tests:
 * MONGODB_URI if set; else a real mongod from mongodb-memory-server where one can be had;
 * else FerretDB with SQLite, built from the Go module proxy.
 */
export async function startDatabaseEngine(options: EngineOptions): Promise<DatabaseEngine> {
  if (options.mongodbUri) {
    return {
      kind: "external",
      uri: options.mongodbUri,
      alive: () => true,
      pid: () => undefined,
      stop: async () => {},
    };
  }
  const { logger } = options;
  if (options.engine === "mongod" || (options.engine === "auto" && (await mongodObtainable()))) {
    try {
      return await startMongod(options);
    } catch (error) {
      if (options.engine === "mongod") throw error;
      logger.warn({ err: error }, "mongod could not be started; falling back to FerretDB");
    }
  }
  const binary = await ensureFerretdbBinary(logger, options.ferretdbBin);
  const dir = options.dataDir
    ? join(resolve(options.dataDir), "ferretdb")
    : join(await makeTempDir(), "ferretdb");
  let ferret = await startFerretdb({ binary, dir, logger });
  logger.info({ engine: "ferretdb", dir }, "embedded database started");
  let stopping = false;
  let alive = true;
  const restarts: number[] = [];
  /**
   * The embedded engine died under QOps: it is started again on the same files and port (the
   * driver reconnects; nothing committed is lost, SQLite's WAL is on disk). Should it keep dying,
   * QOps gives up and exits non-zero, so whatever supervises it restarts the whole process.
   */
  const watch = (current: typeof ferret) => {
    void current.exited.then(async (code) => {
      if (stopping || current !== ferret) return;
      alive = false;
      logger.error({ code }, "the embedded database stopped; starting it again");
      const now = Date.now();
      restarts.push(now);
      while (restarts.length && (restarts[0] ?? now) < now - 60_000) restarts.shift();
      if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
        options.onFatal?.(new Error("the embedded database keeps stopping"));
        return;
      }
      try {
        ferret = await startFerretdb({ binary, dir, logger, port: current.port });
        alive = true;
        logger.info({ port: current.port }, "embedded database running again");
        watch(ferret);
      } catch (error) {
        options.onFatal?.(error as Error);
      }
    });
  };
  watch(ferret);
  return {
    kind: "ferretdb",
    uri: ferret.uri,
    alive: () => alive,
    pid: () => ferret.pid,
    stop: async () => {
      stopping = true;
      await ferret.stop();
    },
  };
}

async function makeTempDir(): Promise<string> {
  const { mkdtemp } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  return mkdtemp(join(tmpdir(), "qops-db-"));
}

/** A cached or named mongod, or a download that can reach its host. */
async function mongodObtainable(): Promise<boolean> {
  if (process.env.MONGOMS_SYSTEM_BINARY) return true;
  const caches = [
    process.env.MONGOMS_DOWNLOAD_DIR,
    join(homedir(), ".cache", "mongodb-binaries"),
    resolve("node_modules/.cache/mongodb-memory-server"),
  ];
  for (const dir of caches) {
    if (dir && existsSync(dir) && readdirSync(dir).length > 0) return true;
  }
  try {
    await withTimeout(lookup("fastdl.mongodb.org"), 2000, "DNS lookup");
    return true;
  } catch {
    return false;
  }
}

async function startMongod(options: EngineOptions): Promise<DatabaseEngine> {
  const { MongoMemoryServer } = await import("mongodb-memory-server");
  let dbPath: string | undefined;
  if (options.dataDir) {
    dbPath = join(resolve(options.dataDir), "mongod");
    await mkdir(dbPath, { recursive: true });
  }
  const server = await MongoMemoryServer.create({
    instance: dbPath ? { dbPath, storageEngine: "wiredTiger" } : {},
  });
  options.logger.info({ engine: "mongod", dbPath }, "embedded database started");
  return {
    kind: "mongod",
    uri: server.getUri(),
    alive: () => true,
    pid: () => undefined,
    stop: async () => {
      await server.stop({ doCleanup: !dbPath });
    },
  };
}
