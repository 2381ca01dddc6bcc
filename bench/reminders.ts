import mongoose from "mongoose";
import { SlackMessagingPort } from "../src/bot/slack/port.js";
import { createTeamsPort } from "../src/bot/teams/app.js";
import { deliveryCore } from "../src/commands/deliveries.js";
import { LOCAL_TEAMS } from "../src/config/index.js";
import type { JobDeps } from "../src/jobs/deps.js";
import { createScheduler, startScheduler } from "../src/jobs/index.js";
import { createLogger } from "../src/logger.js";
import { runDeliveryPass } from "../src/outbox/engine.js";
import { deliveryId, enqueueDeliveries } from "../src/outbox/enqueue.js";
import {
  ContactModel as ConversationReferenceModel,
  DeliveryModel as ReminderDeliveryModel,
} from "../src/outbox/models.js";
import type { MessagingPort, Posted, SendResult } from "../src/outbox/port.js";
import { answer } from "../src/views/build.js";
import { FakeConnector } from "../test/helpers/fakeConnector.js";
import { FakeSlack } from "../test/helpers/fakeSlack.js";
import { connectBenchDatabase, startBenchEngine } from "./database.js";
import { percentile, round, table } from "./stats.js";

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 5000);
const PER_MINUTE = Number(process.env.BENCH_PER_MINUTE ?? 3000);
const REMINDERS = Number(process.env.BENCH_REMINDERS ?? 100_000);
const SPREAD_S = Number(process.env.BENCH_SPREAD_S ?? 120);
const logger = createLogger("silent", false);
const clock = { now: () => new Date() };
const core = deliveryCore(logger, () => new Date());

/** Workers passing side by side, each with its own port (its own HTTP client), until `until`. */
async function drain(ports: MessagingPort[], until: () => Promise<boolean>) {
  await Promise.all(
    ports.map(async (port, i) => {
      const deps = { logger, clock, port, core, workerId: `bench-${i + 1}`, claimLeaseMs: 120_000 };
      while (!(await until())) {
        const result = await runDeliveryPass(deps, 500);
        if (result.sent === 0) await new Promise((r) => setTimeout(r, 100));
      }
    }),
  );
}

/** How many workers share each fan-out: BENCH_WORKERS=1,2 runs it once with one, once with two. */
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? "1")
  .split(",")
  .map(Number)
  .filter((n) => n >= 1);

async function fanOut(): Promise<string> {
  const rows: Record<string, string | number>[] = [];
  for (const workers of WORKER_COUNTS) rows.push(await slackFanOutWith(workers));
  return [
    `Policy request to ${MEMBERS} members, Slack limit ${PER_MINUTE} posts per rolling minute`,
    "",
    table(rows),
  ].join("\n");
}

async function slackFanOutWith(workers: number): Promise<Record<string, string | number>> {
  const fake = await new FakeSlack("xoxb-bench").start();
  fake.postsPerMinute = PER_MINUTE;
  const ports = Array.from(
    { length: workers },
    () => new SlackMessagingPort("xoxb-bench", fake.apiUrl, logger),
  );
  const workspaceId = `slack:TFANOUT${workers}`;
  const now = new Date();
  await enqueueDeliveries(
    Array.from({ length: MEMBERS }, (_, i) => ({
      workspaceId,
      occasion: "policy:POL-v1:request",
      recipientId: `U${String(i).padStart(5, "0")}`,
      notBefore: now,
      workingHoursOnly: false,
      content: { view: answer("Please read and acknowledge the quality policy POL-v1.") },
    })),
    now,
  );
  const started = performance.now();
  // Done when the last message has reached Slack and every delivery is marked sent. The database
  // is counted only once the fake Slack has them all: a count on every pass is a full scan on the
  // embedded engine, which competed with the engine being measured (before 2026-12-08).
  await drain(
    ports,
    async () =>
      fake.postCount >= MEMBERS &&
      (await ReminderDeliveryModel.countDocuments({ workspaceId, state: "sent" })) >= MEMBERS,
  );
  const lastPost = fake.callsTo("chat.postMessage").findLast((c) => !c.refused);
  const seconds = ((lastPost?.at ?? Date.now()) - (performance.timeOrigin + started)) / 1000;
  // PER_MINUTE may go out in any rolling minute: the first batch at once, each further batch a
  // minute after the previous one, so the last message cannot leave before this.
  const bound = Math.max(0, Math.ceil(MEMBERS / PER_MINUTE) - 1) * 60;
  let duplicates = 0;
  let lost = 0;
  for (let i = 0; i < MEMBERS; i++) {
    const n = fake.dmsTo(`U${String(i).padStart(5, "0")}`).length;
    if (n > 1) duplicates += n - 1;
    if (n === 0) lost++;
  }
  const posts = fake.callsTo("chat.postMessage");
  const refused = posts.length - MEMBERS;
  // Where the time above the bound goes: how long the first two batches took to leave, and
  // when the first refusal came (the bound assumes each batch leaves at once).
  const startedAt = performance.timeOrigin + started;
  const sentAt = posts.filter((c) => !c.refused).map((c) => (c.at - startedAt) / 1000);
  const firstRefusal = posts.find((c) => c.refused);
  await fake.stop();
  return {
    workers,
    "total s": round(seconds),
    "bound s": bound,
    "vs. bound": bound ? `${round(seconds / bound, 2)}×` : "—",
    "429s answered": refused,
    [`first ${PER_MINUTE} out by s`]: round(sentAt[PER_MINUTE - 1] ?? Number.NaN),
    "first 429 at s": firstRefusal ? round((firstRefusal.at - startedAt) / 1000) : "—",
    [`message ${PER_MINUTE + 1} at s`]: round(sentAt[PER_MINUTE] ?? Number.NaN),
    duplicates,
    lost,
  };
}

const TEAMS_PER_SECOND = Number(process.env.BENCH_TEAMS_PER_SECOND ?? 30);

/**
 * The policy request to MEMBERS Teams members through the Teams port, against a fake connector
 * that allows TEAMS_PER_SECOND requests per second for the tenant and answers 429 beyond.
 */
async function teamsFanOut(): Promise<string> {
  const connector = await new FakeConnector().start();
  connector.perSecond = TEAMS_PER_SECOND;
  const workspaceId = "teams:tenant-fanout";
  const now = new Date();
  const member = (i: number) => `aad-${String(i).padStart(5, "0")}`;
  await ConversationReferenceModel.collection.insertMany(
    Array.from({ length: MEMBERS }, (_, i) => ({
      _id: `${workspaceId}/member/${member(i)}` as never,
      workspaceId,
      userId: member(i),
      platform: "teams",
      // A personal chat's conversation reference, as botbuilder keeps it.
      reference: {
        serviceUrl: connector.url,
        channelId: "msteams",
        conversation: { id: `a:${member(i)}`, tenantId: "tenant-fanout", conversationType: "personal" },
        bot: { id: "28:qops-bot", name: "QOps" },
        user: { id: `29:${member(i)}`, aadObjectId: member(i) },
      },
      updatedAt: now,
    })),
  );
  await enqueueDeliveries(
    Array.from({ length: MEMBERS }, (_, i) => ({
      workspaceId,
      occasion: "policy:POL-v1:request",
      recipientId: member(i),
      notBefore: now,
      workingHoursOnly: false,
      content: { view: answer("Please read and acknowledge the quality policy POL-v1.") },
    })),
    now,
  );
  const ports = Array.from(
    { length: WORKER_COUNTS.at(-1) ?? 1 },
    () => createTeamsPort(LOCAL_TEAMS, logger).port,
  );
  const started = performance.now();
  // Done when the last message has reached Teams and every delivery is marked sent. The database
  // is counted only once the fake connector has them all: a count on every pass is a full scan on the
  // embedded engine, which competed with the engine being measured (before 2026-12-08).
  await drain(
    ports,
    async () =>
      connector.activitiesPosted >= MEMBERS &&
      (await ReminderDeliveryModel.countDocuments({ workspaceId, state: "sent" })) >= MEMBERS,
  );
  const lastPost = connector.sent().at(-1);
  const seconds = ((lastPost?.at ?? Date.now()) - (performance.timeOrigin + started)) / 1000;
  const bound = MEMBERS / TEAMS_PER_SECOND;
  let duplicates = 0;
  let lost = 0;
  const perConversation = new Map<string, number>();
  for (const call of connector.sent())
    perConversation.set(call.conversationId, (perConversation.get(call.conversationId) ?? 0) + 1);
  for (let i = 0; i < MEMBERS; i++) {
    const n = perConversation.get(`a:${member(i)}`) ?? 0;
    if (n > 1) duplicates += n - 1;
    if (n === 0) lost++;
  }
  await connector.stop();
  return [
    `Policy request to ${MEMBERS} Teams members, connector limit ${TEAMS_PER_SECOND} requests per second for the tenant`,
    "",
    table([
      {
        workers: ports.length,
        "total s": round(seconds),
        "bound s": round(bound),
        "vs. bound": `${round(seconds / bound, 2)}×`,
        "429s answered": connector.rateRefusals,
        duplicates,
        lost,
      },
    ]),
  ].join("\n");
}

/** A port that only notes when each message went out: the measure is the engine's pickup. */
class TimingPort implements MessagingPort {
  readonly platform = "slack" as const;
  readonly canLookUp = true;
  readonly usesContacts = false;
  readonly sentAt = new Map<string, number>();
  async send(_recipient: unknown, _view: unknown, id: string): Promise<SendResult> {
    this.sentAt.set(id, Date.now());
    return { posted: { channelId: "D", ts: String(Date.now()) } };
  }
  async update(): Promise<void> {}
  async findDelivered(): Promise<Posted | null> {
    return null;
  }
  async listMembers() {
    return { members: [], contacts: [] };
  }
}

async function pickup(): Promise<string> {
  const port = new TimingPort();
  const workspaceId = "slack:TPICKUP";
  const start = Date.now() + 30_000; // time to record them all first
  const due = new Map<string, number>();
  const batch = 5000;
  const enqueueStarted = performance.now();
  for (let i = 0; i < REMINDERS; i += batch) {
    const items = Array.from({ length: Math.min(batch, REMINDERS - i) }, (_, j) => {
      const n = i + j;
      const at = start + Math.floor((n / REMINDERS) * SPREAD_S * 1000);
      due.set(deliveryId(workspaceId, `r:${n}`, `U${n}`), at);
      return {
        workspaceId,
        occasion: `r:${n}`,
        recipientId: `U${n}`,
        notBefore: new Date(at),
        workingHoursOnly: false,
        content: { view: answer("x") },
      };
    });
    await enqueueDeliveries(items, new Date());
  }
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
  const deadline = start + SPREAD_S * 1000 + 600_000;
  // The worker as deployed: Agenda runs the deliver-due job (every 10 s, each run looking again
  // until the next), with every other job defined too.
  const db = mongoose.connection.db;
  if (!db) throw new Error("no database handle");
  const stopping = new AbortController();
  const deps: JobDeps = {
    logger,
    clock,
    ports: { slack: port },
    deliveries: core,
    tasks: {
      recordReminders: async () => 0,
      syncAllMembers: async () => 0,
      repairPending: async () => ({ completed: 0, dropped: 0 }),
      prune: async () => ({}),
      buildEvidencePacks: async () => 0,
    },
    workerId: "bench",
    stopping: stopping.signal,
  };
  const agenda = createScheduler(db, deps);
  await startScheduler(agenda, deps, { process: true });
  while (port.sentAt.size < REMINDERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  stopping.abort();
  await agenda.drain({ timeout: 10_000 });
  await agenda.stop(false);
  const delays = [...port.sentAt].map(([id, at]) => (at - (due.get(id) ?? at)) / 1000).sort((a, b) => a - b);
  const pct = (q: number) => (delays.length ? percentile(delays, q) : Number.NaN);
  // BENCH_WINDOWS=1: the worst delay of what fell due in each 10 s, to see a backlog build.
  if (process.env.BENCH_WINDOWS) {
    const worst = new Map<number, number>();
    for (const [id, at] of port.sentAt) {
      const dueAt = due.get(id) ?? at;
      const window = Math.floor((dueAt - start) / 10_000) * 10;
      worst.set(window, Math.max(worst.get(window) ?? 0, (at - dueAt) / 1000));
    }
    console.log([...worst].map(([w, s]) => `${w}s: ${round(s, 1)}`).join(", "));
  }
  return [
    `${REMINDERS} reminders falling due over ${SPREAD_S} s (recorded in ${round(enqueueSeconds)} s beforehand), one worker (Agenda, deliver-due job)`,
    "",
    table([
      {
        sent: port.sentAt.size,
        "p50 delay s": round(pct(0.5), 2),
        "p99 delay s": round(pct(0.99), 2),
        "max delay s": round(delays.at(-1) ?? Number.NaN, 2),
      },
    ]),
  ].join("\n");
}

export async function runRemindersBench(): Promise<string> {
  const engine = await startBenchEngine(logger);
  const closeDatabase = await connectBenchDatabase(engine);
  // BENCH_PART=fanout or pickup runs one half; both by default.
  const part = process.env.BENCH_PART;
  const parts = [`Database: ${engine.kind}`];
  if (part === undefined || part === "fanout") parts.push("", await fanOut());
  if (part === undefined || part === "teams") parts.push("", await teamsFanOut());
  if (part === undefined || part === "pickup") parts.push("", await pickup());
  await closeDatabase();
  return parts.join("\n");
}
