import { randomBytes } from "node:crypto";
import mongoose from "mongoose";
import { afterAll, beforeAll, inject } from "vitest";
import { type RunningApp, startApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import type { Clock } from "../../src/jobs/deps.js";
import { runningClock } from "./clock.js";
import { FakeSlack } from "./fakeSlack.js";
import { capturingLogger } from "./logs.js";
import { type SimUser, SlackClientSim } from "./slackRequests.js";

export const SIGNING_SECRET = "test-signing-secret";
export const BOT_TOKEN = "xoxb-test-token";
export const QUALITY_CHANNEL = "CQUALITY";

export interface SlackHarness {
  fake: FakeSlack;
  slack: SlackClientSim;
  app: RunningApp;
  teamId: string;
  /** Structured log lines the app wrote (level 30 = info, 50 = error). */
  logs: Record<string, unknown>[];
}

/**
 * The real app on a free port, its Slack pointed at a local fake Slack, its database a fresh
 * one on the run's server. Everything goes over HTTP, as with Slack itself.
 */
export function useSlackApp(
  options: { clock?: Clock; role?: "web" | "all"; env?: Record<string, string> } = {},
): SlackHarness {
  const harness = { logs: [] as Record<string, unknown>[] } as SlackHarness;
  beforeAll(async () => {
    harness.fake = await new FakeSlack(BOT_TOKEN).start();
    harness.teamId = `T${randomBytes(4).toString("hex").toUpperCase()}`;
    const config = loadConfig({
      PORT: "0",
      MONGODB_URI: inject("mongoUri"),
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: harness.fake.apiUrl,
      // "web" answers requests and sends what they record at once; "all" also runs the jobs
      // (the delivery worker that retries), as `npm start` does.
      QOPS_ROLE: options.role ?? "web",
      ...options.env,
    });
    harness.app = await startApp({
      config,
      logger: capturingLogger(harness.logs),
      dbName: `qops_slack_${randomBytes(4).toString("hex")}`,
      clock: options.clock ?? runningClock(),
      slackRetryConfig: { retries: 3, factor: 1, minTimeout: 50, maxTimeout: 100 },
    });
    harness.slack = new SlackClientSim(
      `http://127.0.0.1:${harness.app.port}`,
      SIGNING_SECRET,
      harness.teamId,
      (id) => harness.fake.responseUrl(id),
    );
  });
  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase();
    await harness.app?.stop();
    await harness.fake?.stop();
  });
  return harness;
}

export const qm: SimUser = { id: "UQM1", name: "Quinn Manager" };
export const qm2: SimUser = { id: "UQM2", name: "Robin Manager" };
export const employee: SimUser = { id: "UEMP1", name: "Erin Employee" };
export const owner: SimUser = { id: "UOWN1", name: "Omar Owner" };

/** `/qms setup #quality` by `qm`, and optionally more QMs. */
export async function setUpWorkspace(h: SlackHarness, extraQms: SimUser[] = []): Promise<void> {
  const setup = h.slack.command("/qms", `setup <#${QUALITY_CHANNEL}|quality>`, qm);
  await setup.send();
  await h.fake.waitForResponse(setup.responseId);
  for (const person of extraQms) {
    const grant = h.slack.command("/qms", `roles grant <@${person.id}|${person.name}> qm`, qm);
    await grant.send();
    await h.fake.waitForResponse(grant.responseId);
  }
}

/** Text of a Slack message or response: its text plus every text inside its blocks. */
export function allText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(allText).join("\n");
  if (value && typeof value === "object") return Object.values(value).map(allText).join("\n");
  return "";
}
