/**
 * The dashboard overview's server time as a workspace grows: 1,000 and 10,000 complaints (a fifth
 * as many corrective actions, a fiftieth as many audits), on the embedded engine, through QOps's
 * own HTTP server with a signed-in session, as a browser asks for it. The 1,000 size is the
 * baseline in the same run.
 *   npm run bench -- dashboard
 *   BENCH_DASHBOARD_SIZES=1000,10000 BENCH_SAMPLES=30 npm run bench -- dashboard
 */
import { randomBytes } from "node:crypto";
import mongoose from "mongoose";
import { issueSignIn } from "../src/dashboard/auth.js";
import { dashboardRoutes } from "../src/dashboard/http.js";
import { connectDatabase, disconnectDatabase } from "../src/db/connection.js";
import { markChanged } from "../src/db/snapshots.js";
import { createLogger } from "../src/logger.js";
import "../src/records/registry.js";
import { closeServer, createHttpServer, listen } from "../src/server.js";
import { ctxFor, setUp } from "../test/helpers/core.js";
import { startBenchEngine } from "./database.js";
import { actionFields, complaintFields, qm, seed, WS } from "./growth.js";
import { median, percentile, round, table } from "./stats.js";

const SIZES = (process.env.BENCH_DASHBOARD_SIZES ?? "1000,10000").split(",").map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const logger = createLogger("silent", false);

const auditFields = (n: number): Record<string, unknown> => ({
  state: n % 3 ? "closed" : "planned",
  process: `Process ${n % 12}`,
  clauses: ["8.5.1"],
  day: `2026-${String((n % 12) + 1).padStart(2, "0")}-15`,
  leadAuditor: qm,
  auditees: [qm],
  findings: [],
});

export async function runDashboardBench(): Promise<string> {
  const engine = await startBenchEngine(logger);
  const rows: Record<string, string | number>[] = [];
  try {
    for (const size of SIZES) {
      await connectDatabase(engine.uri, `qops_dash_${randomBytes(3).toString("hex")}`, engine.kind);
      await setUp(ctxFor(WS, qm), "Europe/Berlin");
      await seed("complaint", "CMP", size, complaintFields);
      await seed("action", "CA", Math.round(size / 5), actionFields);
      await seed("audit", "AUD", Math.round(size / 50), auditFields);
      // A workspace in use has had changes: each kind's change log exists (seeding writes none).
      await markChanged("complaint", `${WS}/CMP-2026-0001`);
      await markChanged("action", `${WS}/CA-2026-0001`);
      await markChanged("audit", `${WS}/AUD-2026-0001`);
      const server = createHttpServer(
        logger,
        dashboardRoutes(() => new Date()),
      );
      const port = await listen(server, 0, "127.0.0.1");
      const base = `http://127.0.0.1:${port}`;
      const { token } = await issueSignIn(ctxFor(WS, qm));
      const signIn = await fetch(`${base}/dashboard/signin?token=${token}`, { redirect: "manual" });
      const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      const get = async () => {
        const started = performance.now();
        const res = await fetch(`${base}/dashboard`, { headers: { cookie } });
        const html = await res.text();
        if (res.status !== 200 || !html.includes("Open complaints by severity"))
          throw new Error(`the overview failed: HTTP ${res.status}`);
        return performance.now() - started;
      };
      const first = await get();
      const ms: number[] = [];
      for (let i = 0; i < SAMPLES; i++) ms.push(await get());
      ms.sort((a, b) => a - b);
      // After a change: a complaint changed (as a transition marks it) before each request.
      const changed: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        await markChanged("complaint", `${WS}/CMP-2026-${String(1 + (i % size)).padStart(4, "0")}`);
        changed.push(await get());
      }
      changed.sort((a, b) => a - b);
      rows.push({
        complaints: size,
        actions: Math.round(size / 5),
        audits: Math.round(size / 50),
        "first ms": round(first, 0),
        "median ms": round(median(ms), 0),
        "p95 ms": round(percentile(ms, 0.95), 0),
        "after a change median ms": round(median(changed), 0),
        "after a change p95 ms": round(percentile(changed, 0.95), 0),
      });
      await closeServer(server);
      await mongoose.connection.db?.dropDatabase();
      await disconnectDatabase();
    }
  } finally {
    await engine.stop();
  }
  return [`Dashboard overview, ${SAMPLES} requests one after another (${engine.kind})`, "", table(rows)].join(
    "\n",
  );
}
