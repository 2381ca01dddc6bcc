import type { ChildProcess } from "node:child_process";
import mongoose from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELIVER_DUE } from "../src/jobs/deliverDue.js";
import { enqueueDeliveries } from "../src/outbox/enqueue.js";
import { answer } from "../src/views/build.js";
import { useTestDatabase } from "./helpers/db.js";
import { FakeSlack } from "./helpers/fakeSlack.js";
import { waitFor } from "./helpers/poll.js";
import { exitOf, startQops } from "./helpers/process.js";

const db = useTestDatabase();
let fake: FakeSlack;

beforeAll(async () => {
  fake = await new FakeSlack("xoxb-failover").start();
});
afterAll(async () => {
  await fake.stop();
});

/** A QOps worker (`npm run worker`) on this file's database, talking to the fake Slack. */
function worker() {
  const uri = new URL(db.uri);
  uri.pathname = `/${db.dbName}`;
  return startQops({
    MONGODB_URI: uri.toString(),
    QOPS_ROLE: "worker",
    LOG_LEVEL: "info",
    SLACK_SIGNING_SECRET: "failover-secret",
    SLACK_BOT_TOKEN: "xoxb-failover",
    SLACK_API_URL: fake.apiUrl,
  });
}

interface JobDoc {
  name: string;
  lockedAt?: Date | null;
  lastModifiedBy?: string;
  lastRunAt?: Date | null;
}

describe("a worker killed while it holds the delivery job", () => {
  it("another worker sends a reminder falling due afterwards within 30 s", async () => {
    // Three workers: should the one found holding the job let go of it in the moment before the
    // kill (its run ended, or a loaded machine let its lock lapse), another holder is picked
    // while two are still alive.
    const workers = [worker(), worker(), worker()];
    const children = new Map<number, ChildProcess>(workers.map((w) => [w.child.pid ?? 0, w.child]));
    try {
      const jobs = mongoose.connection.db?.collection<JobDoc>("agenda_jobs");
      const job = () => jobs?.findOne({ name: DELIVER_DUE });
      // Kill the holder just after a run of it began (each run lasts about 9 s of every 10),
      // so it dies holding the lock rather than between runs.
      let lastRun = await waitFor(async () => (await job())?.lastRunAt?.getTime(), {
        timeoutMs: 90_000,
        what: `a first run of ${DELIVER_DUE} (${workers.map((w) => w.output()).join("\n")})`,
      });
      let killedHolding = false;
      while (!killedHolding && children.size >= 2) {
        const since = lastRun;
        const held = await waitFor(
          async () => {
            const now = await job();
            const pid = Number(now?.lastModifiedBy?.split(":").at(-1));
            return now?.lockedAt && (now.lastRunAt?.getTime() ?? 0) > since && children.has(pid) ? pid : null;
          },
          { timeoutMs: 30_000, what: `a new run of ${DELIVER_DUE}` },
        );
        const holder = children.get(held) as ChildProcess;
        holder.kill("SIGKILL");
        await exitOf(holder);
        children.delete(held);
        // It died holding the job when the lock still names it.
        const left = await job();
        killedHolding = Boolean(left?.lockedAt) && new RegExp(`:${held}$`).test(left?.lastModifiedBy ?? "");
        lastRun = left?.lastRunAt?.getTime() ?? lastRun;
      }
      expect(killedHolding, "no worker could be killed while it held the job").toBe(true);
      const killedAt = Date.now();

      const now = new Date();
      await enqueueDeliveries(
        [
          {
            workspaceId: "slack:TFAILOVER",
            occasion: "failover:reminder",
            recipientId: "UFAILOVER",
            notBefore: now,
            workingHoursOnly: false,
            content: { view: answer("Reminder after the failover") },
          },
        ],
        now,
      );
      await waitFor(() => fake.dmsTo("UFAILOVER").length > 0, {
        timeoutMs: 45_000,
        what: "the reminder sent by the surviving worker",
      });
      const tookMs = Date.now() - killedAt;
      expect(tookMs).toBeLessThanOrEqual(30_000);
      expect(fake.dmsTo("UFAILOVER")).toHaveLength(1);
      // The figure docs/PERFORMANCE.md quotes.
      console.info(
        `failover: the reminder went out ${(tookMs / 1000).toFixed(1)} s after the holder was killed`,
      );
    } finally {
      for (const w of workers)
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGTERM");
      await Promise.all(workers.map((w) => exitOf(w.child)));
    }
  }, 180_000);
});
