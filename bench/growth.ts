/**
 * How the cost of the everyday reads grows with the data: one workspace holding 100, 10,000
 * and 100,000 complaints (and a fifth as many corrective actions), each size served by its own
 * QOps process over signed HTTP like `npm start`. At every size the same 50 complaints and 10
 * actions are open; the rest are closed, as years of records are. Measured per size: the
 * acknowledgement p99 of `/complaint list open` at 100 requests/s, how long the register, one
 * record (`/complaint CMP-…`, with its history) and the App Home take to arrive, and the QOps
 * process's memory afterwards.
 *   npm run bench -- growth
 *   BENCH_GROWTH_SIZES=100,10000 npm run bench -- growth
 */

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import mongoose from "mongoose";
import { GENESIS_HASH } from "../src/db/canonical.js";
import { connectDatabase, disconnectDatabase } from "../src/db/connection.js";
import { diff, type EventBody, eventId, hashEvent } from "../src/db/history.js";
import { HistoryEventModel, StreamHeadModel } from "../src/db/historyModels.js";
import { createLogger } from "../src/logger.js";
import { CorrectiveActionModel } from "../src/records/action/model.js";
import { InternalAuditModel } from "../src/records/audit/model.js";
import { ComplaintModel } from "../src/records/complaint/model.js";
import { ctxFor, setUp } from "../test/helpers/core.js";
import { FakeSlack } from "../test/helpers/fakeSlack.js";
import { SlackClientSim } from "../test/helpers/slackRequests.js";
import { startBenchEngine } from "./database.js";
import { paced } from "./paced.js";
import { SECRET, serve, slackEnv, stopChild, TOKEN } from "./slack.js";
import { median, percentile, round, table } from "./stats.js";

const TEAM = "TGROW";
export const WS = `slack:${TEAM}`;
const YEAR = 2026;
export const qm = { id: "UQM", name: "Quinn" };
const reporter = { id: "UREP", name: "Robin" };
const SIZES = (process.env.BENCH_GROWTH_SIZES ?? "100,10000,100000").split(",").map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const OPEN_COMPLAINTS = 50;
const OPEN_ACTIONS = 10;
const BATCH = 1_000;

const at = new Date(Date.UTC(YEAR, 0, 5, 9));
const days = (n: number) => new Date(at.getTime() + n * 86_400_000);

export function complaintFields(n: number): Record<string, unknown> {
  const open = n <= OPEN_COMPLAINTS;
  return {
    state: open ? (n % 2 ? "new" : "accepted") : "closed",
    title: `Scratched housing on delivery ${n}`,
    description: "Three units arrived scratched.",
    customer: "ACME GmbH",
    productRef: `PO-${4000 + n}`,
    severity: ["low", "medium", "high", "critical"][n % 4],
    category: "product",
    reporter,
    owner: n % 2 ? null : qm,
    dueAt: days(14 + (n % 30)),
    source: null,
    linkedActions: [],
    customerNotified: null,
    rejectionReason: null,
    stateChangedBy: qm,
    stateChangedAt: at,
  };
}

export function actionFields(n: number): Record<string, unknown> {
  const open = n <= OPEN_ACTIONS;
  return {
    state: open ? "open" : "verified_effective",
    actionType: "corrective",
    source: "complaint",
    sourceRef: `CMP-${YEAR}-${String(n).padStart(4, "0")}`,
    problem: `Housing scratched in transit ${n}`,
    containment: "",
    rootCause: "",
    plan: "",
    owner: qm,
    dueAt: days(30),
    doneAt: open ? null : days(20),
    effectivenessCheckAt: null,
    reopenReason: null,
    snoozedUntil: null,
    stateChangedBy: qm,
    stateChangedAt: at,
    createdBy: qm,
  };
}

/**
 * Records as the history writes them (the document and its creation event, hash and all),
 * inserted in batches rather than one command at a time: seeding 100,000 through the commands
 * would take longer than the whole benchmark.
 */
export async function seed(
  kind: "complaint" | "action" | "audit",
  prefix: string,
  count: number,
  fields: (n: number) => Record<string, unknown>,
): Promise<void> {
  const model = { complaint: ComplaintModel, action: CorrectiveActionModel, audit: InternalAuditModel }[kind];
  for (let from = 1; from <= count; from += BATCH) {
    const docs: Record<string, unknown>[] = [];
    const events: Record<string, unknown>[] = [];
    for (let n = from; n < Math.min(from + BATCH, count + 1); n++) {
      const ref = `${prefix}-${YEAR}-${String(n).padStart(4, "0")}`;
      const recordKey = `${WS}/${ref}`;
      const values = { ...fields(n), ref };
      const body: EventBody = {
        workspaceId: WS,
        recordKey,
        kind,
        seq: 1,
        type: "created",
        actor: qm,
        at,
        changes: diff(null, values),
        reason: null,
        idempotencyKey: `create:seed-${ref}`,
        prevHash: GENESIS_HASH,
      };
      events.push({ _id: eventId(recordKey, 1), ...body, hash: hashEvent(body) });
      docs.push({ _id: recordKey, workspaceId: WS, kind, seq: 1, createdAt: at, updatedAt: at, ...values });
    }
    await model.collection.insertMany(docs as never[], { ordered: false });
    await HistoryEventModel.collection.insertMany(events as never[], { ordered: false });
  }
  await StreamHeadModel.collection.insertOne({ _id: `${WS}/${prefix}-${YEAR}`, n: count } as never);
}

const rssMiB = (pid: number) => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
};

/** Sends `send` one after another and returns the median and p95 of how long each took. */
async function timed(send: () => Promise<void>) {
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await send();
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  return { median: median(ms), p95: percentile(ms, 0.95) };
}

async function measure(size: number, engine: Awaited<ReturnType<typeof startBenchEngine>>, fake: FakeSlack) {
  const dbName = `qops_growth_${randomBytes(3).toString("hex")}`;
  await connectDatabase(engine.uri, dbName, engine.kind);
  await setUp(ctxFor(WS, qm), "Europe/Berlin");
  const seedStart = performance.now();
  await seed("complaint", "CMP", size, complaintFields);
  await seed("action", "CA", Math.max(OPEN_ACTIONS, Math.round(size / 5)), actionFields);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  await disconnectDatabase();

  const qops = await serve("qops", slackEnv(engine.uri, fake.apiUrl, dbName));
  const sim = new SlackClientSim(`http://127.0.0.1:${qops.port}`, SECRET, TEAM, (id) => fake.responseUrl(id));
  const reply = async (command: string, text: string) => {
    const sent = sim.command(command, text, qm);
    const res = await sent.send();
    if (res.status !== 200) throw new Error(`${command} ${text}: HTTP ${res.status}`);
    const answer = await until(() => fake.responses.find((r) => r.id === sent.responseId)?.body);
    return JSON.stringify(answer);
  };
  const openHome = async () => {
    const before = fake.callsTo("views.publish").length;
    await sim.event({ type: "app_home_opened", user: qm.id, channel: "DQM", tab: "home" });
    await until(() => fake.callsTo("views.publish").length > before || undefined);
  };
  // The first of each builds what later ones reuse (the register's snapshot, the record held):
  // on the embedded engine a read of every record of the kind, once in a workspace's life.
  const firstRegister = await timed1(() => reply("/complaint", "list open"));
  const firstHome = await timed1(openHome);
  const register = await timed(async () => {
    const text = await reply("/complaint", "list open");
    if (!text.includes(`${OPEN_COMPLAINTS} items`))
      throw new Error(`the register is wrong: ${text.slice(0, 200)}`);
  });
  // A change, then the register: a complaint logged through the form, timed from its submission
  // to the first register that lists it (the snapshot is patched from the changed record).
  let logged = 0;
  const logAndList = async () => {
    logged++;
    const submitted = await sim.submitView(
      "complaint.new",
      {
        title: { value: `Logged ${logged}` },
        severity: { option: "medium" },
        category: { option: "product" },
      },
      qm,
    );
    if (submitted.status !== 200) throw new Error(`the complaint form: HTTP ${submitted.status}`);
    const want = `${OPEN_COMPLAINTS + logged} items`;
    for (let tries = 0; !(await reply("/complaint", "list open")).includes(want); tries++)
      if (tries > 500) throw new Error(`the register never listed ${want}`);
  };
  // A snapshot built before the change log began (here: seeded data, in production: data from
  // before this version) is read in full once more after the first logged change, like the first
  // register: done before the timing, for the register and for App Home.
  await logAndList();
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  await logAndList();
  await openHome();
  const afterChange = await timed(logAndList);
  const record = await timed(async () => {
    const text = await reply("/complaint", `CMP-${YEAR}-0002`);
    if (!text.includes(`CMP-${YEAR}-0002`)) throw new Error(`the record is wrong: ${text.slice(0, 200)}`);
  });
  const home = await timed(openHome);
  const command = sim.command("/complaint", "list open", qm, { triggerId: "trigger-bench" });
  const steady = await paced({
    url: `http://127.0.0.1:${qops.port}/slack/events`,
    headers: { "content-type": "application/x-www-form-urlencoded", ...sim.sign(command.body) },
    bodies: [command.body],
    rate: 100,
    seconds: 8,
  });
  const rss = rssMiB(qops.child.pid ?? 0);
  await stopChild(qops.child);
  await connectDatabase(engine.uri, dbName, engine.kind);
  await mongoose.connection.db?.dropDatabase();
  await disconnectDatabase();
  fake.reset();
  return {
    size,
    seedSeconds,
    firstRegister,
    firstHome,
    register,
    afterChange,
    record,
    home,
    p99: steady.p99,
    failed: steady.failed,
    rss,
  };
}

/** Polls every millisecond (the tests' helper polls every 20, too coarse to time a reply). */
async function until<T>(probe: () => T | undefined, timeoutMs = 300_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error("timed out waiting for QOps's answer");
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function timed1(send: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await send();
  return performance.now() - started;
}

export async function runGrowthBench(): Promise<string> {
  const logger = createLogger("warn", false);
  const fake = await new FakeSlack(TOKEN).start();
  const engine = await startBenchEngine(logger);
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  for (const size of SIZES) results.push(await measure(size, engine, fake));
  await engine.stop();
  await fake.stop();
  const rows = results.map((r) => ({
    complaints: r.size.toLocaleString("en"),
    "seeded in s": round(r.seedSeconds, 1),
    "ack p99 ms @100 req/s": round(r.p99, 2),
    "first register / App Home ever ms": `${round(r.firstRegister, 1)} / ${round(r.firstHome, 1)}`,
    "register after a change ms (median / p95)": `${round(r.afterChange.median, 1)} / ${round(r.afterChange.p95, 1)}`,
    "register ms (median / p95)": `${round(r.register.median, 1)} / ${round(r.register.p95, 1)}`,
    "record ms (median / p95)": `${round(r.record.median, 1)} / ${round(r.record.p95, 1)}`,
    "App Home ms (median / p95)": `${round(r.home.median, 1)} / ${round(r.home.p95, 1)}`,
    "RSS MiB": round(r.rss),
  }));
  const first = results[0];
  const last = results[results.length - 1];
  const growth = (pick: (r: (typeof results)[number]) => number) =>
    first && last ? `${round(pick(last) / pick(first), 2)}×` : "—";
  return [
    `Growth with the data, one QOps process per size over signed HTTP, ${SAMPLES} sequential requests per reply, medians; database: ${engine.kind}; 50 complaints and 10 actions open at every size, the rest closed; actions a fifth of the complaints`,
    "",
    table(rows),
    "",
    `From ${first?.size.toLocaleString("en")} to ${last?.size.toLocaleString("en")} complaints: ack p99 ${growth((r) => r.p99)}, register ${growth((r) => r.register.median)}, register after a change ${growth((r) => r.afterChange.median)}, record ${growth((r) => r.record.median)}, App Home ${growth((r) => r.home.median)}, memory ${growth((r) => r.rss)}.${results.some((r) => r.failed) ? " Some paced requests failed." : ""}`,
  ].join("\n");
}
