import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { waitFor } from "./poll.js";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * What a child process shares with the machine it runs on, and nothing of QOps's own: its path,
 * its home, its zone and its clock (libfaketime's variables, when the suite runs with the clock
 * moved, so the child sees the same time as the test that talks to it).
 */
export function machineEnv(): Record<string, string> {
  const shared = [
    "PATH",
    "HOME",
    "TZ",
    "LD_PRELOAD",
    "FAKETIME",
    "FAKETIME_DONT_FAKE_MONOTONIC",
    "FAKETIME_NO_CACHE",
  ];
  return Object.fromEntries(
    shared.flatMap((name) => (process.env[name] !== undefined ? [[name, process.env[name] as string]] : [])),
  );
}

/**
 * The suite's choice of database, for a child that is not given one: with `MONGODB_URI`, a
 * database of its own on that server (so the tests run with `MONGODB_URI` alone); else the
 * embedded engine `QOPS_EMBEDDED_ENGINE` names, if any.
 */
export function databaseEnv(): Record<string, string> {
  const uri = process.env.MONGODB_URI;
  if (uri) {
    const own = new URL(uri);
    own.pathname = `/qops_child_${randomBytes(4).toString("hex")}`;
    return { MONGODB_URI: own.toString() };
  }
  const engine = process.env.QOPS_EMBEDDED_ENGINE;
  return engine ? { QOPS_EMBEDDED_ENGINE: engine } : {};
}

/**
 * Runs `src/main.ts` as `npm start` does, with exactly the given environment, the machine's, and
 * the suite's database unless the caller names one.
 */
export function startQops(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { ...machineEnv(), ...(env.MONGODB_URI ? {} : databaseEnv()), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  return { child, output: () => output };
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  // Ended already: with a code, or by a signal (SIGKILL leaves exitCode null).
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** Polls until `check` is true or the deadline passes; returns the last result. */
export function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  return waitFor(() => check().catch(() => false), { timeoutMs }).then(
    () => true,
    () => false,
  );
}

export async function statusOf(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
