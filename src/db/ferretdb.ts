import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Logger } from "../logger.js";

export const FERRETDB_VERSION = "v1.24.2";
/** Bumped whenever tools/ferretdb changes, so a cached build of an older wrapper is not reused. */
export const WRAPPER_REVISION = 3;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const wrapperDir = join(repoRoot, "tools/ferretdb");
/** Built once, reused by CI, `npm start` and the tests; git-ignored. */
export const defaultFerretdbBinary = join(
  repoRoot,
  ".cache",
  `ferretdb-${FERRETDB_VERSION}-qops${WRAPPER_REVISION}`,
  "qops-ferretdb",
);

const execFileAsync = promisify(execFile);

export async function goAvailable(): Promise<boolean> {
  try {
    await execFileAsync("go", ["version"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The FerretDB binary: the one named, the cached build, or a new build of our wrapper module
 * (FerretDB as a library; `go install` of its own command panics on a missing version file).
 */
export async function ensureFerretdbBinary(logger: Logger, explicit?: string): Promise<string> {
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`QOPS_FERRETDB_BIN names ${explicit}, which does not exist`);
    return explicit;
  }
  if (existsSync(defaultFerretdbBinary)) return defaultFerretdbBinary;
  if (!(await goAvailable())) {
    throw new Error(
      "no database: MONGODB_URI is not set, no mongod could be had for mongodb-memory-server, and Go is not installed to build the embedded FerretDB. Set MONGODB_URI (MongoDB or Atlas), install Go 1.24+, or allow mongodb-memory-server to download mongod (or set MONGOMS_SYSTEM_BINARY).",
    );
  }
  logger.info({ version: FERRETDB_VERSION }, "building the embedded FerretDB once (a few minutes)");
  await mkdir(dirname(defaultFerretdbBinary), { recursive: true });
  // Build to a private name and rename, so concurrent builders never run a half-written file.
  const partial = `${defaultFerretdbBinary}.${process.pid}.partial`;
  await execFileAsync("go", ["build", "-trimpath", "-o", partial, "."], {
    cwd: wrapperDir,
    env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" },
    maxBuffer: 16 * 1024 * 1024,
  });
  await rename(partial, defaultFerretdbBinary);
  return defaultFerretdbBinary;
}

export interface FerretdbProcess {
  uri: string;
  port: number;
  /** The child's process id (the tests kill it to see QOps recover). */
  pid: number | undefined;
  /** Resolves when the process exits, however it ends. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts FerretDB on 127.0.0.1 (port 0 picks a free one) with SQLite files in `dir`. */
export async function startFerretdb(options: {
  binary: string;
  dir: string;
  port?: number;
  logger: Logger;
}): Promise<FerretdbProcess> {
  await mkdir(options.dir, { recursive: true });
  const child = spawn(
    options.binary,
    ["-listen", `127.0.0.1:${options.port ?? 0}`, "-dir", resolve(options.dir), "-watch-stdin"],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let lastWords = "";
  let stopping = false;
  child.stderr?.on("data", (chunk: Buffer) => {
    lastWords = (lastWords + chunk.toString()).slice(-2000);
    options.logger.debug({ ferretdb: chunk.toString().trim() }, "ferretdb");
  });
  const exited = new Promise<number | null>((res) =>
    child.once("exit", (code, signal) => {
      // Not asked to stop: say how it ended and what it last wrote, so a crash can be traced.
      if (!stopping)
        options.logger.warn({ code, signal, stderr: lastWords.trim() }, "the embedded FerretDB exited");
      res(code);
    }),
  );
  const uri = await waitForReady(child);
  const port = Number(new URL(uri).port);
  return {
    uri,
    port,
    pid: child.pid,
    exited,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((res) => child.once("exit", () => res()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function waitForReady(child: ChildProcess): Promise<string> {
  return new Promise((res, rej) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      rej(new Error("FerretDB did not start within 30 seconds"));
    }, 30_000);
    lines.on("line", (line) => {
      const match = /^ready (mongodb:\/\/\S+)/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        res(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`FerretDB exited with code ${code} before it was ready`));
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      rej(error);
    });
  });
}
