import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueDeliveries } from "../src/outbox/enqueue.js";
import { ContactModel, DeliveryModel as ReminderDeliveryModel } from "../src/outbox/models.js";
import { answer } from "../src/views/build.js";
import { useTestDatabase } from "./helpers/db.js";
import { FakeConnector } from "./helpers/fakeConnector.js";
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

function worker(platform: "slack" | "teams" = "slack") {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/deliveryWorker.ts"], {
    env: {
      ...machineEnv(),
      MONGODB_URI: db.uri,
      DB_NAME: db.dbName,
      DB_ENGINE: db.engine,
      SLACK_API_URL: fake.apiUrl,
      PLATFORM: platform,
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

describe("a Teams publication to 300 members survives SIGKILL", () => {
  it("killed at random points and restarted, nobody gets the request twice, and each one that may have gone out is marked unconfirmed, not sent again", async () => {
    const connector = await new FakeConnector().start();
    try {
      const workspaceId = "teams:tenant-crash";
      const member = (i: number) => `aad-crash-${String(i).padStart(3, "0")}`;
      const people = Array.from({ length: 300 }, (_, i) => member(i));
      const now = new Date();
      await ContactModel.collection.insertMany(
        people.map((userId) => ({
          _id: `${workspaceId}/member/${userId}` as never,
          workspaceId,
          userId,
          platform: "teams",
          reference: {
            serviceUrl: connector.url,
            channelId: "msteams",
            conversation: { id: `a:${userId}`, tenantId: "tenant-crash", conversationType: "personal" },
            bot: { id: "28:qops-bot", name: "QOps" },
            user: { id: `29:${userId}`, aadObjectId: userId },
          },
          updatedAt: now,
        })),
      );
      await enqueueDeliveries(
        people.map((recipientId) => ({
          workspaceId,
          occasion: "policy:POL-v1:request",
          recipientId,
          notBefore: now,
          workingHoursOnly: false,
          content: { view: answer("Please acknowledge POL-v1") },
        })),
        now,
      );
      for (let crash = 0; crash < 3; crash++) {
        const { child, output } = worker("teams");
        const deadline = Date.now() + 60_000;
        while (!output().includes("started") && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 1500));
        child.kill("SIGKILL");
        await exitOf(child);
      }
      const settledBeforeLast = await ReminderDeliveryModel.countDocuments({ workspaceId, state: "sent" });
      expect(settledBeforeLast).toBeLessThan(300); // the crashes really interrupted the work
      await new Promise((r) => setTimeout(r, 1600)); // let the dead workers' claims expire
      const last = worker("teams");
      expect(await exitOf(last.child)).toBe(0);

      const deliveries = await ReminderDeliveryModel.find({ workspaceId }).lean();
      const received = (userId: string) => connector.sent(`a:${userId}`).length;
      for (const d of deliveries) {
        expect(["sent", "unconfirmed"], d.recipientId).toContain(d.state);
        // Nobody is asked twice; what is "sent" arrived; what is unconfirmed may or may not have.
        expect(received(d.recipientId), d.recipientId).toBeLessThanOrEqual(1);
        if (d.state === "sent") expect(received(d.recipientId), d.recipientId).toBe(1);
      }
      const unconfirmed = deliveries.filter((d) => d.state === "unconfirmed");
      // The policy's cost, measured: each crash leaves at most the attempts its worker had claimed.
      expect(unconfirmed.length).toBeLessThanOrEqual(3 * 32);
      console.info(
        `teams crash: ${unconfirmed.length} of 300 unconfirmed after 3 kills, ${unconfirmed.filter((d) => received(d.recipientId) === 1).length} of them had arrived`,
      );
    } finally {
      await connector.stop();
    }
  }, 240_000);
});
