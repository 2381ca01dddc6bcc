import mongoose from "mongoose";
import { createRecord, transition } from "../src/db/history.js";
import { createLogger } from "../src/logger.js";
import type { Complaint } from "../src/records/complaint/model.js";
import { referenceStream } from "../src/records/lifecycle.js";
import { connectBenchDatabase, startBenchEngine } from "./database.js";
import { median, round, table } from "./stats.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OPS = Number(process.env.BENCH_OPS ?? 200);
const CONCURRENCY = 10;
const actor = { id: "UBENCH", name: "Bench" };

async function timed(ops: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) await op(next++);
    }),
  );
  return ops / ((performance.now() - started) / 1000);
}

function complaintFields() {
  return {
    state: "new",
    title: "Bench complaint",
    description: "",
    customer: "",
    productRef: "",
    severity: "low",
    category: "other",
    reporter: actor,
    owner: null,
    dueAt: new Date(),
    source: null,
    linkedActions: [],
    customerNotified: null,
    rejectionReason: null,
    stateChangedBy: actor,
    stateChangedAt: new Date(),
  };
}

export async function runHistoryBench(): Promise<string> {
  const logger = createLogger("warn", false);
  const engine = await startBenchEngine(logger);
  const closeDatabase = await connectBenchDatabase(engine);
  const raw = mongoose.connection.db?.collection("bench_baseline");
  if (!raw) throw new Error("no database");
  const results = {
    baseline: [] as number[],
    allocations: [] as number[],
    transitions: [] as number[],
    contended: [] as number[],
  };

  for (let round_ = 0; round_ < ROUNDS; round_++) {
    const workspaceId = `slack:TBENCH${round_}`;
    const { stream, keyFor } = referenceStream(workspaceId, "CMP", new Date().getUTCFullYear());
    results.baseline.push(
      await timed(OPS, CONCURRENCY, (i) =>
        raw.insertOne({ _id: `${round_}-${i}` as never, workspaceId, n: i }),
      ),
    );
    const keys: string[] = [];
    results.allocations.push(
      await timed(OPS, CONCURRENCY, async () => {
        const { record } = await createRecord<Complaint>({
          kind: "complaint",
          workspaceId,
          stream,
          keyFor,
          actor,
          fields: complaintFields(),
        });
        keys.push(record._id);
      }),
    );
    // Independent records: the common case (different complaints triaged at once).
    results.transitions.push(
      await timed(keys.length, CONCURRENCY, (i) =>
        transition<Complaint>({
          kind: "complaint",
          recordKey: keys[i] ?? "",
          type: "edited",
          actor,
          decide: () => ({ fields: { title: `t${i}` } }),
        }),
      ),
    );
    // One record, ten writers: every loss costs a re-read and a retry.
    const hot = keys[0] ?? "";
    results.contended.push(
      await timed(100, CONCURRENCY, (i) =>
        transition<Complaint>({
          kind: "complaint",
          recordKey: hot,
          type: "edited",
          actor,
          decide: () => ({ fields: { title: `hot ${i}` } }),
        }),
      ),
    );
  }
  await closeDatabase();

  const base = median(results.baseline);
  const row = (name: string, values: number[]) => ({
    operation: name,
    "median ops/s": round(median(values)),
    "min–max ops/s": `${round(Math.min(...values))}–${round(Math.max(...values))}`,
    "vs. plain insert": `${round(median(values) / base, 2)}×`,
  });
  return [
    `History engine on ${engine.kind}, ${ROUNDS} rounds, ${CONCURRENCY} concurrent writers`,
    "",
    table([
      row("plain insertOne (baseline)", results.baseline),
      row("reference allocation + creation (one stream)", results.allocations),
      row("transition, independent records", results.transitions),
      row("transition, one record, 10 writers", results.contended),
    ]),
  ].join("\n");
}
