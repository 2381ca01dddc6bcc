import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SlackMessagingPort } from "../src/bot/slack/port.js";
import { deliveryCore } from "../src/commands/deliveries.js";
import { deliverDue, deliverForAWhile } from "../src/jobs/deliverDue.js";
import { type Clock, type JobDeps, systemClock } from "../src/jobs/deps.js";
import { createLogger } from "../src/logger.js";
import { runDeliveryPass as enginePass } from "../src/outbox/engine.js";
import { cancelDeliveries, enqueueDeliveries } from "../src/outbox/enqueue.js";
import { DueSlotModel, DeliveryModel as ReminderDeliveryModel } from "../src/outbox/models.js";
import { takeBudget } from "../src/outbox/pauses.js";
import type { MessagingPort } from "../src/outbox/port.js";
import { createMember } from "../src/records/member/commands.js";
import { setWorkingHours } from "../src/records/workspace/commands.js";
import { answer } from "../src/views/build.js";
import { plainMessage } from "../src/views/plain.js";
import { ctxFor, setUp } from "./helpers/core.js";
import { useTestDatabase } from "./helpers/db.js";
import { FakeSlack } from "./helpers/fakeSlack.js";
import { testJobDeps } from "./helpers/jobs.js";
import { poll, waitFor } from "./helpers/poll.js";

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

const qm = { id: "UQMENGINE", name: "Engine QM" };
const setUpAt = new Date("2026-11-01T00:00:00Z");

/** A set-up workspace (UTC, Monday to Friday 09:00–17:00) with these members in their zones. */
async function workspaceWith(people: { id: string; tz: string }[]) {
  const workspaceId = `slack:T${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
  await setUp(ctxFor(workspaceId, qm, setUpAt));
  for (const p of people)
    await createMember(workspaceId, { id: p.id, name: p.id }, qm, setUpAt, { tz: p.tz, isGuest: false });
  return workspaceId;
}

const content = (text: string) => ({ view: answer(text) });

/** One pass of the engine for the Slack port (or another), drawing messages with the core. */
function runDeliveryPass(
  d: { logger: typeof logger; clock: Clock; port: MessagingPort; workerId: string },
  limit?: number,
) {
  return enginePass({ ...d, core: deliveryCore(logger, () => d.clock.now()) }, limit);
}

const jobDeps = (clock: Clock, ports: JobDeps["ports"], workerId: string, stopping?: AbortSignal): JobDeps =>
  testJobDeps(logger, clock, ports, { workerId, ...(stopping ? { stopping } : {}) });

/** A port that records what it was asked to send, as a platform would receive it. */
function recordingPort(
  platform: "slack" | "teams",
  onSend: (recipientId: string, text: string, deliveryId: string) => void,
): MessagingPort {
  return {
    platform,
    canLookUp: false,
    usesContacts: platform === "teams",
    send: async (recipient, view, deliveryId) => {
      onSend(
        recipient.id,
        plainMessage(view, { zone: recipient.zone, slash: platform === "slack" }),
        deliveryId,
      );
      return { posted: { channelId: `D-${recipient.id}`, ts: String(Date.now()) } };
    },
    update: async () => undefined,
    findDelivered: async () => null,
    listMembers: async () => ({ members: [], contacts: [] }),
  };
}

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

  it("someone whose own zone is not known (a Teams member known only from the roster) gets the workspace's working day, not UTC's", async () => {
    const workspaceId = `slack:T${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    await setUp(ctxFor(workspaceId, qm, setUpAt), "Asia/Tokyo");
    await createMember(workspaceId, { id: "UNOZONE", name: "No Zone" }, qm, setUpAt, {
      tz: null,
      isGuest: false,
    });
    // Friday 2026-11-27 10:00 UTC: 19:00 in Tokyo (after hours there), 10:00 in UTC (within them).
    const clock = clockAt("2026-11-27T10:00:00Z");
    await enqueueFor(workspaceId, ["UNOZONE"], { occasion: "no-zone", at: clock.t, text: "Hello" });
    let sentAt: string | undefined;
    for (let hour = 0; hour < 24 * 4 && !sentAt; hour++) {
      await runDeliveryPass({ logger, clock, port, workerId: "w-nozone" });
      if (fake.dmsTo("UNOZONE").length) sentAt = clock.t.toISOString();
      clock.set(new Date(clock.t.getTime() + 3600_000).toISOString());
    }
    // Monday 30 November 09:00 in Tokyo.
    expect(sentAt).toBe("2026-11-30T00:00:00.000Z");
  });

  it("follows the workspace's own working hours (a Sunday-to-Thursday week)", async () => {
    const workspaceId = await workspaceWith([{ id: "UDUBAI", tz: "Asia/Dubai" }]);
    await setWorkingHours(ctxFor(workspaceId, qm, setUpAt), "08:00-16:00", "sun-thu");
    // Friday 27 Nov 2026, 08:00 UTC = 12:00 in Dubai: not a working day there.
    const clock = clockAt("2026-11-27T08:00:00Z");
    await enqueueFor(workspaceId, ["UDUBAI"], { occasion: "week", at: clock.t, text: "Hi" });
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w2" })).deferred).toBe(1);
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

  it("a 429 pauses the workspace for Retry-After; then one probe goes alone, then the rest; nothing is lost or doubled", async () => {
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
    const first = await runDeliveryPass({ logger, clock, port, workerId: "w4" });
    expect(first.retried).toBeGreaterThanOrEqual(1);
    const waiting = (await ReminderDeliveryModel.find({ workspaceId }).lean()).filter(
      (d) => d.state !== "sent",
    );
    expect(waiting.length).toBe(5 - first.sent);
    expect(
      waiting.every((d) => d.state === "pending" && d.notBefore.getTime() === clock.t.getTime() + 30_000),
    ).toBe(true);
    // Only the one answered 429 used an attempt: those given back because of the pause did not.
    expect(waiting.map((d) => d.attempts).sort()).toEqual([...waiting.map(() => 0).slice(1), 1]);

    clock.set("2026-11-25T10:00:29Z");
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w4" })).sent).toBe(0);
    // Once the pause is over, one message goes alone to probe; when it goes through, the rest.
    clock.set("2026-11-25T10:00:31Z");
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w4" })).sent).toBe(1);
    clock.set("2026-11-25T10:00:32Z");
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w4" })).sent).toBe(waiting.length - 1);
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
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w5" })).uncertain).toBe(1);
    clock.set("2026-11-25T10:01:00Z");
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w5" })).sent).toBe(1);
    expect(fake.dmsTo("UIE")).toHaveLength(1);
    const delivery = await ReminderDeliveryModel.findOne({ workspaceId }).lean();
    expect(delivery).toMatchObject({ state: "sent", attempts: 2 });
  });

  it("after a timeout of a post Slack made (it answered too late), the message is looked up, not posted twice", async () => {
    const workspaceId = await workspaceWith([{ id: "UTIMEOUT", tz: "UTC" }]);
    const clock = clockAt("2026-11-25T10:00:00Z");
    await enqueueFor(workspaceId, ["UTIMEOUT"], {
      occasion: "slow-answer",
      at: clock.t,
      text: "Late answer",
    });
    // Posted at once, answered after the client gave up (its timeout here: 300 ms).
    fake.failNextWhere("chat.postMessage", (args) => args.channel === "UTIMEOUT", {
      afterPosting: true,
      delayMs: 1500,
      error: "ok_but_late",
    });
    const impatient = new SlackMessagingPort("xoxb-engine", fake.apiUrl, logger, 300);
    const first = await runDeliveryPass({ logger, clock, port: impatient, workerId: "w-timeout" });
    expect(first.uncertain).toBe(1);
    expect((await ReminderDeliveryModel.findOne({ workspaceId }).lean())?.lastError).toMatch(/^uncertain/);
    clock.set("2026-11-25T10:01:00Z");
    expect((await runDeliveryPass({ logger, clock, port: impatient, workerId: "w-timeout" })).sent).toBe(1);
    expect(fake.dmsTo("UTIMEOUT")).toHaveLength(1);
    expect(await ReminderDeliveryModel.findOne({ workspaceId }).lean()).toMatchObject({ state: "sent" });
  });

  it("after a relaunch, an uncertain delivery then answered 429 twice is looked up once, not on every retry", async () => {
    const workspaceId = await workspaceWith([{ id: "URELAUNCH", tz: "UTC" }]);
    const clock = clockAt("2026-11-25T10:00:00Z");
    await enqueueFor(workspaceId, ["URELAUNCH"], {
      occasion: "relaunch",
      at: clock.t,
      text: "After a relaunch",
    });
    fake.failNextWhere("chat.postMessage", (args) => args.channel === "URELAUNCH", {
      error: "internal_error",
    });
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w-relaunch" })).uncertain).toBe(1);
    // A new process: nothing learnt about the person's DM channel survives.
    const relaunched = new SlackMessagingPort("xoxb-engine", fake.apiUrl, logger);
    const lookups = () =>
      [...fake.callsTo("conversations.open"), ...fake.callsTo("conversations.history")].filter((c) =>
        JSON.stringify(c.args).includes("RELAUNCH"),
      ).length;
    const before = lookups();
    for (let i = 0; i < 2; i++)
      fake.failNextWhere("chat.postMessage", (args) => String(args.channel).includes("RELAUNCH"), {
        status: 429,
        retryAfter: 1,
      });
    for (let minute = 1; minute <= 5 && fake.dmsTo("URELAUNCH").length === 0; minute++) {
      clock.set(new Date(Date.parse("2026-11-25T10:00:00Z") + minute * 60_000).toISOString());
      await runDeliveryPass({ logger, clock, port: relaunched, workerId: "w-relaunched" });
    }
    expect(fake.dmsTo("URELAUNCH")).toHaveLength(1);
    // One conversations.open and one conversations.history, for the one look-up.
    expect(lookups() - before).toBe(2);
  });

  it("after internal_error when nothing was posted, it is sent again, once", async () => {
    const workspaceId = await workspaceWith([{ id: "UIE2", tz: "UTC" }]);
    const clock = clockAt("2026-11-25T10:00:00Z");
    await enqueueFor(workspaceId, ["UIE2"], { occasion: "lost", at: clock.t, text: "Second try" });
    fake.failNextWhere("chat.postMessage", (args) => args.channel === "UIE2", { error: "internal_error" });
    await runDeliveryPass({ logger, clock, port, workerId: "w6" });
    clock.set("2026-11-25T10:01:00Z");
    await runDeliveryPass({ logger, clock, port, workerId: "w6" });
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
    const teams = recordingPort("teams", (id) => teamsSent.push(id));
    const clock = clockAt("2026-11-27T12:00:00Z");
    const deps = jobDeps(clock, { slack: port, teams }, "worker-both");
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
    const timing = recordingPort("slack", (_id, _text, deliveryId) => {
      if (deliveryId.includes("|mid-run|")) sentAt.push(Date.now());
    });
    const stopping = new AbortController();
    const deps = jobDeps(systemClock, { slack: timing }, "worker-run", stopping.signal);
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

describe("the send budget every worker shares (Teams: a limit per tenant over any rolling second)", () => {
  it("two workers sending 25 on a budget of 9 a second never put more than 10 (the platform's limit) into any rolling second", async () => {
    const workspaceId = `teams:budget-${Date.now()}`;
    const sentAt: number[] = [];
    // Two workers, four senders each, all taking from the same budget in the database.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (sentAt.length < 25) {
          // 9 of the platform's 10: the margin the Teams port keeps too (28 of 30).
          await takeBudget(workspaceId, 9);
          sentAt.push(Date.now());
        }
      }),
    );
    sentAt.sort((a, b) => a - b);
    const busiest = Math.max(...sentAt.map((t) => sentAt.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBeLessThanOrEqual(10);
    // ...and the budget is used, not starved: some second carries (about) all of it.
    expect(busiest).toBeGreaterThanOrEqual(8);
  });
});

describe("claims on a slow platform", () => {
  it("two workers on a platform slower than their claims' lease send each message once: a claim too old is given back, not sent under", async () => {
    const people = Array.from({ length: 40 }, (_, i) => ({ id: `USLOW${i}`, tz: "UTC" }));
    const workspaceId = await workspaceWith(people);
    await enqueueFor(
      workspaceId,
      people.map((p) => p.id),
      // Real time (the lease is), so not held for working hours whatever day the test runs.
      { occasion: "slow-platform", at: new Date(), text: "Slowly, once", workingHoursOnly: false },
    );
    const received: string[] = [];
    const slow = recordingPort("slack", (recipientId) => received.push(recipientId));
    // Each send takes 1.5 s; a pass claims 32 and sends 8 at a time, so its last sends would
    // start about 4.5 s after its claims were taken, past a 4 s lease (without the half-lease
    // rule the other worker takes them as abandoned and they end uncertain). Half the lease, 2 s,
    // leaves a loaded machine room between a claim and its first send.
    const slowPort: MessagingPort = {
      ...slow,
      send: async (recipient, view, deliveryId) => {
        await new Promise((r) => setTimeout(r, 1500));
        return slow.send(recipient, view, deliveryId);
      },
    };
    const clock = { now: () => new Date() };
    const work = (workerId: string) => async () => {
      const deadline = Date.now() + 40_000;
      while (Date.now() < deadline) {
        const left = await ReminderDeliveryModel.countDocuments({ workspaceId, state: { $ne: "sent" } });
        if (left === 0) return;
        await enginePass({
          logger,
          clock,
          port: slowPort,
          core: deliveryCore(logger, clock.now),
          workerId,
          claimLeaseMs: 4000,
        });
      }
    };
    await Promise.all([work("slow-a")(), work("slow-b")()]);
    const deliveries = await ReminderDeliveryModel.find({ workspaceId }).lean();
    expect(deliveries.filter((d) => d.state === "sent")).toHaveLength(40);
    // One attempt each: none was taken for a worker that stopped mid-send (which would make it
    // uncertain and use an attempt up), and a claim given back did not use one up either.
    expect(deliveries.map((d) => d.attempts)).toEqual(deliveries.map(() => 1));
    expect(received.length).toBe(40);
    expect(new Set(received).size).toBe(40);
  }, 60_000);
});

describe("reminders that became moot", () => {
  it("one being sent when it is cancelled goes out and stays 'sent' at its send time; one still waiting is cancelled and never sent", async () => {
    const workspaceId = await workspaceWith([
      { id: "UFLY", tz: "UTC" },
      { id: "UWAIT", tz: "UTC" },
    ]);
    const clock = clockAt("2026-11-25T10:00:00Z");
    await enqueueFor(workspaceId, ["UFLY"], {
      occasion: "moot-now",
      at: clock.t,
      text: "Please acknowledge",
    });
    await enqueueFor(workspaceId, ["UWAIT"], {
      occasion: "moot-later",
      at: new Date("2026-11-25T11:00:00Z"),
      now: clock.t,
      text: "Please acknowledge (later)",
    });
    const ids = (await ReminderDeliveryModel.find({ workspaceId }).lean()).map((d) => String(d._id));
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sent: string[] = [];
    const slow = recordingPort("slack", (recipientId) => sent.push(recipientId));
    let asked = false;
    const slowPort: MessagingPort = {
      ...slow,
      send: async (recipient, view, deliveryId) => {
        asked = true;
        await gate;
        return slow.send(recipient, view, deliveryId);
      },
    };
    const pass = runDeliveryPass({ logger, clock, port: slowPort, workerId: "w-moot" });
    await waitFor(() => asked, { what: "the send to UFLY under way" });
    // The person acknowledged meanwhile: both reminders are moot.
    expect(await cancelDeliveries(ids, "acknowledged", clock.t)).toEqual({ cancelled: 1, inFlight: 1 });
    clock.set("2026-11-25T10:00:07Z");
    release();
    await pass;

    const after = await ReminderDeliveryModel.find({ workspaceId }).lean();
    const flew = after.find((d) => d.recipientId === "UFLY");
    const waited = after.find((d) => d.recipientId === "UWAIT");
    expect(flew).toMatchObject({ state: "sent", lastError: null });
    expect(flew?.sentAt?.toISOString()).toBe("2026-11-25T10:00:07.000Z");
    expect(waited).toMatchObject({ state: "cancelled", lastError: "cancelled: acknowledged", sentAt: null });
    clock.set("2026-11-25T11:00:01Z");
    await runDeliveryPass({ logger, clock, port: slowPort, workerId: "w-moot" });
    expect(sent).toEqual(["UFLY"]);
  });

  it("an uncertain one cancelled after the person acted is not sent again, and keeps that it may have reached them", async () => {
    const workspaceId = await workspaceWith([{ id: "UMAYBE", tz: "UTC" }]);
    const clock = clockAt("2026-11-25T10:00:00Z");
    await enqueueFor(workspaceId, ["UMAYBE"], {
      occasion: "moot-maybe",
      at: clock.t,
      text: "Did it arrive?",
    });
    fake.failNextWhere("chat.postMessage", (args) => args.channel === "UMAYBE", { error: "internal_error" });
    expect((await runDeliveryPass({ logger, clock, port, workerId: "w-maybe" })).uncertain).toBe(1);
    const delivery = await ReminderDeliveryModel.findOne({ workspaceId }).lean();
    expect(delivery?.state).toBe("uncertain");

    expect(await cancelDeliveries([String(delivery?._id)], "acknowledged", clock.t)).toEqual({
      cancelled: 1,
      inFlight: 0,
    });
    clock.set("2026-11-25T10:05:00Z");
    await runDeliveryPass({ logger, clock, port, workerId: "w-maybe" });
    expect(fake.dmsTo("UMAYBE")).toHaveLength(0);
    const cancelled = await ReminderDeliveryModel.findById(delivery?._id).lean();
    expect(cancelled?.state).toBe("cancelled");
    expect(cancelled?.lastError).toMatch(
      /^cancelled \(acknowledged\); an earlier attempt may have reached them: .*internal_error/,
    );
  });
});
