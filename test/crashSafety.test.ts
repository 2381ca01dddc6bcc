import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueDeliveries } from "../src/outbox/enqueue.js";
import { DeliveryModel as ReminderDeliveryModel } from "../src/outbox/models.js";
import { answer } from "../src/views/build.js";
import { useTestDatabase } from "./helpers/db.js";
import { FakeSlack } from "./helpers/fakeSlack.js";
import { exitOf, machineEnv } from "./helpers/process.js";

const db = useTestDatabase();
let fake: FakeSlack;
beforeAll(async () => {
  fake = await new FakeSlack("xoxb-crash").start();
});
afterAll(async () => {
  await fake.stop();
});

function worker() {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/deliveryWorker.ts"], {
    env: {
      ...machineEnv(),
      MONGODB_URI: db.uri,
      DB_NAME: db.dbName,
      DB_ENGINE: db.engine,
      SLACK_API_URL: fake.apiUrl,
      LEASE_MS: "1500",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  return { child, output: () => out };
}

describe("a publication to 500 members survives SIGKILL", () => {
  it("killed at random points and restarted, every member gets exactly one request", async () => {
    const workspaceId = "slack:TCRASH";
    const people = Array.from({ length: 500 }, (_, i) => ({ userId: `UC${String(i).padStart(3, "0")}` }));
    const now = new Date();
    await enqueueDeliveries(
      people.map((p) => ({
        workspaceId,
        occasion: "policy:POL-v1:request",
        recipientId: p.userId,
        notBefore: now,
        workingHoursOnly: false,
        content: { view: answer("Please acknowledge POL-v1") },
      })),
      now,
    );
    // Three crashes at random moments, then a worker that is left to finish.
    for (let crash = 0; crash < 3; crash++) {
      const { child, output } = worker();
      const deadline = Date.now() + 60_000;
      while (!output().includes("started") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 700));
      child.kill("SIGKILL");
      await exitOf(child);
    }
    const sentBeforeLast = await ReminderDeliveryModel.countDocuments({ state: "sent" });
    expect(sentBeforeLast).toBeLessThan(500); // the crashes really interrupted the work
    await new Promise((r) => setTimeout(r, 1600)); // let the dead workers' claims expire
    const last = worker();
    expect(await exitOf(last.child)).toBe(0);

    expect(await ReminderDeliveryModel.countDocuments({ state: "sent" })).toBe(500);
    for (const p of people) expect(fake.dmsTo(p.userId), p.userId).toHaveLength(1);
  }, 240_000);
});
