import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { MessagingPort } from "../src/bot/ports.js";
import { SlackMessagingPort } from "../src/bot/slack/messagingPort.js";
import { syncMembers } from "../src/commands/policy/policyRequests.js";
import { deliverDue, deliverForAWhile } from "../src/jobs/deliverDue.js";
import { enqueueDeliveries, runDeliveryPass } from "../src/jobs/deliveryEngine.js";
import { systemClock } from "../src/jobs/deps.js";
import { createLogger } from "../src/logger.js";
import { ReminderDeliveryModel } from "../src/models/delivery.js";
import { DueSlotModel } from "../src/models/dueSlot.js";
import { WorkspaceModel } from "../src/models/workspace.js";
import { useTestDatabase } from "./helpers/db.js";
import { FakeSlack } from "./helpers/fakeSlack.js";
import { poll } from "./helpers/poll.js";

useTestDatabase();
const logger = createLogger("silent", false);
let fake: FakeSlack;
let port: SlackMessagingPort;

beforeAll(async () => {
  fake = await new FakeSlack("xoxb-engine").start();
  port = new SlackMessagingPort("xoxb-engine", fake.apiUrl, logger);
});
afterAll(async () => {
  await fake.stop();
});

function clockAt(iso: string) {
  const clock = {
    t: new Date(iso),
    now: () => clock.t,
    set: (when: string) => {
      clock.t = new Date(when);
    },
  };
  return clock;
}

async function workspaceWith(people: { id: string; tz: string }[]) {
  const workspaceId = `slack:T${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
  await syncMembers(
    workspaceId,
    people.map((p) => ({ userId: p.id, name: p.id, tz: p.tz, isGuest: false })),
    new Date("2026-11-01T00:00:00Z"),
  );
  return workspaceId;
}

const content = (text: string) => ({ text, lines: [text] });

/** Records one occasion for these people, due at `at` (recorded at `now`, by default `at`). */
function enqueueFor(
  workspaceId: string,
  recipientIds: string[],
  d: { occasion: string; at: Date; text: string; now?: Date; workingHoursOnly?: boolean },
) {
  return enqueueDeliveries(
    recipientIds.map((recipientId) => ({
      workspaceId,
      occasion: d.occasion,
      recipientId,
      notBefore: d.at,
      content: content(d.text),
      ...(d.workingHoursOnly === undefined ? {} : { workingHoursOnly: d.workingHoursOnly }),
    })),
    d.now ?? d.at,
  );
}

describe("delivery engine", () => {
  it("sends at the start of each person's own working day, never at night or on a weekend", async () => {
    const workspaceId = await workspaceWith([
      { id: "UTOKYO", tz: "Asia/Tokyo" },
      { id: "UCHICAGO", tz: "America/Chicago" },
    ]);
    // Friday 2026-11-27 22:00 UTC: Saturday 07:00 in Tokyo, Friday 16:00 in Chicago.
    const clock = clockAt("2026-11-27T22:00:00Z");
    const deps = { logger, clock, port, workerId: "w1" };
    await enqueueFor(workspaceId, ["UTOKYO", "UCHICAGO"], { occasion: "hello", at: clock.t, text: "Hello" });
    const sentAt: Record<string, Date> = {};
    for (let hour = 0; hour < 24 * 5 && Object.keys(sentAt).length < 2; hour++) {
      await runDeliveryPass(deps);
      for (const id of ["UTOKYO", "UCHICAGO"])
        if (fake.dmsTo(id).length && !sentAt[id]) sentAt[id] = new Date(clock.t);
      clock.set(new Date(clock.t.getTime() + 3600_000).toISOString());
    }
    // Chicago: still within Friday's hours. Tokyo: not Saturday or Sunday; Monday 09:00 local.
    expect(sentAt.UCHICAGO?.toISOString()).toBe("2026-11-27T22:00:00.000Z");
    expect(sentAt.UTOKYO?.toISOString()).toBe("2026-11-30T00:00:00.000Z");
    expect(fake.dmsTo("UTOKYO")).toHaveLength(1);
  });

  it("follows the workspace's own working hours (a Sunday-to-Thursday week)", async () => {
    const workspaceId = await workspaceWith([{ id: "UDUBAI", tz: "Asia/Dubai" }]);
    await WorkspaceModel.create({
      _id: `${workspaceId}/workspace`,
      workspaceId,
      kind: "workspace",
      ref: null,
      seq: 1,
      createdAt: new Date(),
      updatedAt: new Date(),
      platform: "slack",
      externalId: "X",
      setupBy: { id: "U", name: "U" },
      workingHours: { start: "08:00", end: "16:00", days: [0, 1, 2, 3, 4] },
    });
    // Friday 27 Nov 2026, 08:00 UTC = 12:00 in Dubai: not a working day there.
    const clock = clockAt("2026-11-27T08:00:00Z");
    await enqueueFor(workspaceId, ["UDUBAI"], { occasion: "week", at: clock.t, text: "Hi" });
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w" })).deferred).toBe(1);
    const deferred = await ReminderDeliveryModel.findOne({ workspaceId }).lean();
    expect(deferred?.notBefore.toISOString()).toBe("2026-11-29T04:00:00.000Z"); // Sunday 08:00 in Dubai
  });

  it("two workers running together send each message once", async () => {
    const people = Array.from({ length: 30 }, (_, i) => ({ id: `UW${i}`, tz: "UTC" }));
    const workspaceId = await workspaceWith(people);
    const clock = clockAt("2026-11-25T10:00:00Z");
    await enqueueFor(
      workspaceId,
      people.map((p) => p.id),
      { occasion: "twice", at: clock.t, text: "Once only" },
    );
    const [a, b] = await Promise.all([
      runDeliveryPass({ logger, clock, port, workerId: "worker-a" }),
      runDeliveryPass({ logger, clock, port, workerId: "worker-b" }),
    ]);
    expect((a?.sent ?? 0) + (b?.sent ?? 0)).toBe(30);
    for (const p of people) expect(fake.dmsTo(p.id)).toHaveLength(1);
  });

  it("a 429 delays the workspace by Retry-After and loses nothing", async () => {
    const people = Array.from({ length: 5 }, (_, i) => ({ id: `URL${i}`, tz: "UTC" }));
    const workspaceId = await workspaceWith(people);
    const clock = clockAt("2026-11-25T10:00:00Z");
    await enqueueFor(
      workspaceId,
      people.map((p) => p.id),
      { occasion: "limited", at: clock.t, text: "Slow down" },
    );
    fake.failNextWhere("chat.postMessage", (args) => String(args.channel).startsWith("URL"), {
      status: 429,
      retryAfter: 30,
    });
    // A pass handles a few deliveries at once: those already on their way when the 429 comes
    // back may go through; everything not yet started waits for Retry-After.
    const first = await runDeliveryPass({ logger, clock, port, workerId: "w" });
    expect(first.retried).toBeGreaterThanOrEqual(1);
    const waiting = (await ReminderDeliveryModel.find({ workspaceId }).lean()).filter(
      (d) => d.state !== "sent",
    );
    expect(waiting.length).toBe(5 - first.sent);
    expect(
      waiting.every((d) => d.state === "pending" && d.notBefore.getTime() === clock.t.getTime() + 30_000),
    ).toBe(true);

    clock.set("2026-11-25T10:00:29Z");
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w" })).sent).toBe(0);
    clock.set("2026-11-25T10:00:31Z");
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w" })).sent).toBe(waiting.length);
    for (const p of people) expect(fake.dmsTo(p.id)).toHaveLength(1);
  });

  it("after internal_error the message is not posted twice: it is found and marked sent", async () => {
    const workspaceId = await workspaceWith([{ id: "UIE", tz: "UTC" }]);
    const clock = clockAt("2026-11-25T10:00:00Z");
    await enqueueFor(workspaceId, ["UIE"], { occasion: "maybe", at: clock.t, text: "Did it arrive?" });
    fake.failNextWhere("chat.postMessage", (args) => args.channel === "UIE", {
      error: "internal_error",
      afterPosting: true,
    });
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w" })).uncertain).toBe(1);
    clock.set("2026-11-25T10:01:00Z");
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w" })).sent).toBe(1);
    expect(fake.dmsTo("UIE")).toHaveLength(1);
    const delivery = await ReminderDeliveryModel.findOne({ workspaceId }).lean();
    expect(delivery).toMatchObject({ state: "sent", attempts: 2 });
  });

  it("after internal_error when nothing was posted, it is sent again, once", async () => {
    const workspaceId = await workspaceWith([{ id: "UIE2", tz: "UTC" }]);
    const clock = clockAt("2026-11-25T10:00:00Z");
    await enqueueFor(workspaceId, ["UIE2"], { occasion: "lost", at: clock.t, text: "Second try" });
    fake.failNextWhere("chat.postMessage", (args) => args.channel === "UIE2", { error: "internal_error" });
    await runDeliveryPass({ logger, clock, port, workerId: "w" });
    clock.set("2026-11-25T10:01:00Z");
    await runDeliveryPass({ logger, clock, port, workerId: "w" });
    expect(fake.dmsTo("UIE2")).toHaveLength(1);
  });

  it("after a worker's first pass, what falls due is found through the wheel of due times: on time, once", async () => {
    const workspaceId = await workspaceWith([{ id: "UWHEEL", tz: "UTC" }]);
    const clock = clockAt("2026-11-27T10:00:00Z");
    const deps = { logger, clock, port, workerId: "worker-wheel" };
    await runDeliveryPass(deps); // a worker's first pass sweeps the deliveries; then the wheel
    await enqueueFor(workspaceId, ["UWHEEL"], {
      occasion: "wheel",
      at: new Date("2026-11-27T10:00:03Z"),
      text: "From the wheel",
      now: clock.t,
      workingHoursOnly: false,
    });
    clock.set("2026-11-27T10:00:02Z");
    expect((await runDeliveryPass(deps)).sent).toBe(0);
    clock.set("2026-11-27T10:00:03Z");
    expect((await runDeliveryPass(deps)).sent).toBe(1);
    clock.set("2026-11-27T10:00:04Z");
    expect((await runDeliveryPass(deps)).sent).toBe(0);
    expect(fake.dmsTo("UWHEEL")).toHaveLength(1);
  });

  it("a delivery whose note in the wheel was lost (a crash right after recording it) is sent by the next sweep", async () => {
    const workspaceId = await workspaceWith([{ id: "ULOST", tz: "UTC" }]);
    const clock = clockAt("2026-11-27T11:00:00Z");
    const running = { logger, clock, port, workerId: "worker-running" };
    await runDeliveryPass(running);
    await enqueueFor(workspaceId, ["ULOST"], {
      occasion: "lost-note",
      at: clock.t,
      text: "Found by the sweep",
      workingHoursOnly: false,
    });
    await DueSlotModel.deleteMany({});
    clock.set("2026-11-27T11:00:02Z");
    expect((await runDeliveryPass(running)).sent).toBe(0);
    // A restarted worker's first pass sweeps (so does every worker every few minutes).
    expect((await runDeliveryPass({ ...running, workerId: "worker-restarted" })).sent).toBe(1);
    expect(fake.dmsTo("ULOST")).toHaveLength(1);
  });

  it("a worker that keeps running finds a lost note with its periodic sweep, beside its passes", async () => {
    const workspaceId = await workspaceWith([{ id: "ULATE", tz: "UTC" }]);
    const clock = clockAt("2026-11-27T15:00:00Z");
    const running = { logger, clock, port, workerId: "worker-periodic" };
    await runDeliveryPass(running); // its first sweep
    await enqueueFor(workspaceId, ["ULATE"], {
      occasion: "lost-note-periodic",
      at: clock.t,
      text: "Found by the periodic sweep",
      workingHoursOnly: false,
    });
    await DueSlotModel.deleteMany({});
    clock.set("2026-11-27T15:00:02Z");
    expect((await runDeliveryPass(running)).sent).toBe(0);
    // Five minutes on (the sweep's timer runs on the real clock): the next pass starts a sweep
    // without waiting for it; a later pass sends what it found.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 6 * 60_000 });
    try {
      const sent = await poll(async () => (await runDeliveryPass(running)).sent || false, 5000);
      expect(sent).toBe(1);
    } finally {
      vi.useRealTimers();
    }
    expect(fake.dmsTo("ULATE")).toHaveLength(1);
  });

  it("a restarted worker sweeps pass after pass until the backlog the wheel cannot show is sent", async () => {
    const people = Array.from({ length: 5 }, (_, i) => ({ id: `UBACK${i}`, tz: "UTC" }));
    const workspaceId = await workspaceWith(people);
    const clock = clockAt("2026-11-27T13:00:00Z");
    await enqueueFor(
      workspaceId,
      people.map((p) => p.id),
      { occasion: "backlog", at: clock.t, text: "Waited through a restart", workingHoursOnly: false },
    );
    await DueSlotModel.deleteMany({}); // noted long before the restart, or lost
    clock.set("2026-11-27T13:00:30Z");
    const restarted = { logger, clock, port, workerId: "worker-backlog" };
    const sent = [];
    for (let pass = 0; pass < 4; pass++) sent.push((await runDeliveryPass(restarted, 2)).sent);
    expect(sent).toEqual([2, 2, 1, 0]);
    for (const p of people) expect(fake.dmsTo(p.id)).toHaveLength(1);
  });

  it("one worker serving Slack and Teams sends each platform's deliveries through its own port", async () => {
    const slackWorkspace = await workspaceWith([{ id: "UBOTH", tz: "UTC" }]);
    const teamsSent: string[] = [];
    const teams: MessagingPort = {
      platform: "teams",
      sendDirect: async (_workspaceId, userId) => {
        teamsSent.push(userId);
        return { channelId: "a:personal", ts: "1" };
      },
      findDelivered: async () => null,
      listMembers: async () => [],
    };
    const clock = clockAt("2026-11-27T12:00:00Z");
    const deps = { logger, clock, ports: { slack: port, teams }, workerId: "worker-both" };
    await deliverDue(deps); // each platform's first pass sweeps; then the wheel
    const due = new Date("2026-11-27T12:00:02Z");
    await enqueueDeliveries(
      [
        { workspaceId: slackWorkspace, recipientId: "UBOTH" },
        { workspaceId: "teams:tenant-both", recipientId: "aad-both" },
      ].map((d) => ({
        ...d,
        occasion: "both",
        notBefore: due,
        workingHoursOnly: false,
        content: content("Hi"),
      })),
      clock.t,
    );
    clock.set("2026-11-27T12:00:03Z");
    await deliverDue(deps);
    expect(fake.dmsTo("UBOTH")).toHaveLength(1);
    expect(teamsSent).toEqual(["aad-both"]);
  });

  it("enqueuing the same occasion twice records it once", async () => {
    const workspaceId = await workspaceWith([{ id: "UDUP", tz: "UTC" }]);
    const now = new Date("2026-11-25T10:00:00Z");
    const item = { workspaceId, occasion: "dup", recipientId: "UDUP", notBefore: now, content: content("x") };
    expect(await enqueueDeliveries([item], now)).toBe(1);
    expect(await enqueueDeliveries([item], now)).toBe(0);
    expect(await ReminderDeliveryModel.countDocuments({ workspaceId })).toBe(1);
  });

  it("a scheduled run keeps looking: a reminder falling due in the middle of it goes out within about a second; a stopping worker ends the run", async () => {
    const workspaceId = await workspaceWith([{ id: "URUN", tz: "UTC" }]);
    const sentAt: number[] = [];
    const timing: MessagingPort = {
      platform: "slack",
      sendDirect: async (_w, _u, message) => {
        if (message.deliveryId?.includes("|mid-run|")) sentAt.push(Date.now());
        return { channelId: "D", ts: "1" };
      },
      findDelivered: async () => null,
      listMembers: async () => [],
    };
    const stopping = new AbortController();
    const deps = {
      logger,
      clock: systemClock,
      ports: { slack: timing },
      workerId: "worker-run",
      stopping: stopping.signal,
    };
    const started = Date.now();
    const run = deliverForAWhile(deps, 60_000);
    // Recorded while the run is already going, due a moment later.
    await new Promise((r) => setTimeout(r, 700));
    const due = Date.now() + 1500;
    await enqueueFor(workspaceId, ["URUN"], {
      occasion: "mid-run",
      at: new Date(due),
      text: "Hi",
      now: new Date(),
      workingHoursOnly: false,
    });
    await poll(async () => sentAt.length > 0, 8000);
    expect(sentAt).toHaveLength(1);
    // Before, a run ended when nothing was due, and this waited for the next run, up to 10 s.
    expect(sentAt[0]! - due).toBeLessThan(1500);
    stopping.abort();
    await run;
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
