/**
 * The evidence pack of a year: a workspace with 1,000 and 10,000 complaints (a fifth as many
 * corrective actions, a fiftieth as many audits), each with its history, built on the embedded
 * engine as the builder does it (in process, to GridFS). Measured per size: the build's time,
 * the ZIP's size, whether a second build gives the same bytes, and the memory the build holds
 * (the live heap after a full collection, sampled every 250 ms) and its resident memory.
 *   npm run bench -- evidence
 *   BENCH_PACK_SIZES=1000,10000 npm run bench -- evidence
 */
import { randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import mongoose from "mongoose";
import { connectDatabase, disconnectDatabase } from "../src/db/connection.js";
import { buildPack } from "../src/evidence/build.js";
import { newPack } from "../src/evidence/model.js";
import { createLogger } from "../src/logger.js";
import "../src/records/registry.js";
import { ctxFor, setUp } from "../test/helpers/core.js";
import { startBenchEngine } from "./database.js";
import { actionFields, complaintFields, qm, seed, WS } from "./growth.js";
import { round, table } from "./stats.js";

const SIZES = (process.env.BENCH_PACK_SIZES ?? "1000,10000").split(",").map(Number);

const auditFields = (n: number): Record<string, unknown> => ({
  state: "closed",
  process: `Process ${n}`,
  clauses: ["8.5.1"],
  date: "2026-03-02",
  leadAuditor: qm,
  auditees: [qm],
  findings: [],
});

const mib = () => process.memoryUsage().rss / 1024 / 1024;
// A full collection on demand, so the live heap (what the build holds) can be told from garbage.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const liveMib = () => {
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

export async function runEvidenceBench(): Promise<string> {
  const engine = await startBenchEngine(createLogger("silent", false));
  const rows: Record<string, string | number>[] = [];
  try {
    for (const size of SIZES) {
      const dbName = `qops_pack_${randomBytes(3).toString("hex")}`;
      await connectDatabase(engine.uri, dbName, engine.kind);
      await setUp(ctxFor(WS, qm), "Europe/Berlin");
      await seed("complaint", "CMP", size, complaintFields);
      await seed("action", "CA", Math.round(size / 5), actionFields);
      await seed("audit", "AUD", Math.round(size / 50), auditFields);
      const pack = newPack({
        _id: `EVP-BENCH${size}`,
        workspaceId: WS,
        requestedBy: qm,
        requestedAt: new Date(),
        from: "2026-01-01",
        to: "2026-12-31",
        zone: "Europe/Berlin",
        clause: null,
        total: 0,
      });
      // Timed on its own; then built again with the live heap sampled (each sample a full
      // collection, which slows the build), to see what the build holds.
      const started = performance.now();
      const built = await buildPack(pack, async () => {});
      const seconds = (performance.now() - started) / 1000;
      const liveBefore = liveMib();
      const before = mib();
      let peak = before;
      let livePeak = liveBefore;
      const sampler = setInterval(() => {
        peak = Math.max(peak, mib());
        livePeak = Math.max(livePeak, liveMib());
      }, 250);
      const again = await buildPack(pack, async () => {});
      clearInterval(sampler);
      rows.push({
        complaints: size,
        "records in pack": built.records,
        events: built.events,
        "build s": round(seconds, 1),
        "ZIP MiB": round(built.bytes / 1024 / 1024, 1),
        "same bytes twice": again.sha256 === built.sha256 ? "yes" : "NO",
        "live heap before MiB": round(liveBefore, 0),
        "live heap peak MiB": round(livePeak, 0),
        "RSS peak − before MiB": round(peak - before, 0),
      });
      await mongoose.connection.db?.dropDatabase();
      await disconnectDatabase();
    }
  } finally {
    await engine.stop();
  }
  return [`Evidence pack of 2026, all clauses (${engine.kind})`, "", table(rows)].join("\n");
}
