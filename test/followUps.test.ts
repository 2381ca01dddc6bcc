import { randomBytes } from "node:crypto";
import mongoose from "mongoose";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type RunningApp, startApp } from "../src/app.js";
import { loadConfig } from "../src/config/index.js";
import { connectDatabase, disconnectDatabase } from "../src/db/connection.js";
import { creationIntentId } from "../src/db/history.js";
import { HistoryAnchorModel, PendingEffectsModel } from "../src/db/historyModels.js";
import { enqueueDeliveries } from "../src/outbox/enqueue.js";
import { DeliveryModel } from "../src/outbox/models.js";
import { ComplaintModel } from "../src/records/complaint/model.js";
import { answer } from "../src/views/build.js";
import { runningClock, TEST_START } from "./helpers/clock.js";
import { act, core, ctxFor, setUp } from "./helpers/core.js";
import { FakeConnector } from "./helpers/fakeConnector.js";
import { FakeSlack } from "./helpers/fakeSlack.js";
import { capturingLogger } from "./helpers/logs.js";
import { waitFor } from "./helpers/poll.js";

/**
 * A follow-up is part of the change that causes it. A process that dies after a complaint is
 * committed and before its triage post and its answer were even recorded leaves exactly what
 * this test builds: the complaint and its history, a pending-effects entry, no deliveries. The
 * next start finishes the job: the post goes out once, the reporter is answered once, and a
 * further restart sends nothing more.
 */
const dbName = `qops_followups_${randomBytes(4).toString("hex")}`;
const TEAM = "TFOLLOW";
const workspaceId = `slack:${TEAM}`;
const qm = { id: "UQMF", name: "Quinn Manager" };
const erin = { id: "UERIN", name: "Erin Employee" };
let fake: FakeSlack;
let connector: FakeConnector | undefined;
const running: RunningApp[] = [];

/** The whole service (jobs too), Slack pointed at the fake Slack; Teams in local mode. */
async function start(): Promise<RunningApp> {
  const config = loadConfig({
    PORT: "0",
    MONGODB_URI: inject("mongoUri"),
    SLACK_SIGNING_SECRET: "s",
    SLACK_BOT_TOKEN: "xoxb-follow",
    SLACK_API_URL: fake.apiUrl,
    QOPS_LOCAL_MODE: "true",
    QOPS_ROLE: "all",
  });
  const app = await startApp({ config, logger: capturingLogger([]), dbName, clock: runningClock() });
  running.push(app);
  return app;
}

/**
 * Waits for a pass of the restarted app's delivery worker: a message falls due a second after
 * the app's clock (so only a worker's pass, not the send-at-once path, sends it), and whatever
 * was due before it would have gone out first.
 */
async function afterAPass(ws: string, to: "person" | "channel", recipientId: string, sent: () => number) {
  const due = new Date(Date.parse(TEST_START) + 1_000);
  await enqueueDeliveries(
    [
      {
        workspaceId: ws,
        occasion: `marker:${randomBytes(3).toString("hex")}`,
        to,
        recipientId,
        notBefore: due,
        workingHoursOnly: false,
        content: { view: answer("A later message") },
      },
    ],
    new Date(Date.parse(TEST_START)),
  );
  await waitFor(() => sent() > 0, { timeoutMs: 30_000, what: "a later message, sent by a worker's pass" });
}

afterAll(async () => {
  for (const app of running) await app.stop().catch(() => undefined);
  await connectDatabase(inject("mongoUri"), dbName, inject("mongoEngine"));
  await mongoose.connection.db?.dropDatabase();
  await disconnectDatabase();
  await fake?.stop();
  await connector?.stop();
});

/** What a process that died right after committing `complaintTitle` leaves: the change, its entry, no deliveries. */
async function crashAfterCommit(ws: string, reporter: { id: string; name: string }, title: string, at: Date) {
  const done = await act(ctxFor(ws, reporter, at, `form:${title}`), "complaint.new", "", {
    title,
    severity: "high",
    category: "product",
  });
  expect(done.kind).toBe("done");
  const complaint = await ComplaintModel.findOne({ workspaceId: ws, title }).lean();
  const anchor = complaint ? await HistoryAnchorModel.findOne({ recordKey: complaint._id }).lean() : null;
  if (!complaint || !anchor) throw new Error("the complaint was not saved");
  await DeliveryModel.deleteMany({ recordKey: complaint._id });
  await PendingEffectsModel.create({
    _id: creationIntentId(ws, anchor.idempotencyKey),
    workspaceId: ws,
    anchorId: anchor._id,
    idempotencyKey: anchor.idempotencyKey,
    createdAt: at,
  });
  return complaint;
}

describe("a follow-up survives a crash between the commit and the post", () => {
  it("Slack: after a restart the triage post and the reporter's answer go out once, and a second restart adds nothing", async () => {
    fake = await new FakeSlack("xoxb-follow").start();
    // The change, committed by a process that then died: no deliveries recorded, the entry left.
    await connectDatabase(inject("mongoUri"), dbName, inject("mongoEngine"));
    const at = new Date(Date.parse(TEST_START) - 10 * 60_000);
    await setUp(ctxFor(workspaceId, qm, at));
    const complaint = await crashAfterCommit(workspaceId, erin, "Dies before posting", at);
    await disconnectDatabase();
    expect(fake.callsTo("chat.postMessage")).toHaveLength(0);

    const first = await start();
    const post = await waitFor(
      () => (fake.posted.get("CQUALITY") ?? []).find((m) => String(m.text).includes(complaint.ref ?? "?")),
      { timeoutMs: 30_000, what: "the triage post" },
    );
    await waitFor(() => fake.dmsTo(erin.id).find((m) => String(m.text).includes(complaint.ref ?? "?")), {
      timeoutMs: 30_000,
      what: "the reporter's answer",
    });
    // Where the post landed is part of the record's history.
    await waitFor(
      async () => (await ComplaintModel.findById(complaint._id).lean())?.triageMessage?.ts === post.ts,
    );
    expect(await PendingEffectsModel.countDocuments({ workspaceId })).toBe(0);
    await first.stop();

    const again = await start();
    await afterAPass(workspaceId, "person", "UMARKER", () => fake.dmsTo("UMARKER").length);
    await again.stop();
    const posts = (fake.posted.get("CQUALITY") ?? []).filter((m) =>
      String(m.text).includes(complaint.ref ?? "?"),
    );
    expect(posts).toHaveLength(1);
    expect(fake.dmsTo(erin.id).filter((m) => String(m.text).includes(complaint.ref ?? "?"))).toHaveLength(1);
  }, 90_000);

  it("Teams: after a restart the triage post goes to the quality channel once (the form's answer was shown in the form, not sent)", async () => {
    connector = await new FakeConnector().start();
    const tenant = "tenant-follow";
    const ws = `teams:${tenant}`;
    const channel = "19:quality-follow@thread.tacv2";
    const reporter = { id: "aad-erin-follow", name: "Erin Employee" };
    const reference = (conversationId: string, personal: boolean) => ({
      serviceUrl: connector?.url,
      channelId: "msteams",
      conversation: {
        id: conversationId,
        tenantId: tenant,
        conversationType: personal ? "personal" : "channel",
      },
      bot: { id: "28:qops-bot", name: "QOps" },
      user: { id: "29:erin", aadObjectId: reporter.id },
    });
    await connectDatabase(inject("mongoUri"), dbName, inject("mongoEngine"));
    const at = new Date(Date.parse(TEST_START) - 10 * 60_000);
    await setUp(ctxFor(ws, { id: "aad-quinn", name: "Quinn Manager" }, at), "UTC", channel);
    // How Teams told QOps to reach the channel and the reporter's personal chat.
    await core.remember(ws, "teams", "conversation", channel, reference(channel, false), at);
    await core.remember(ws, "teams", "member", reporter.id, reference("a:erin-personal", true), at);
    const complaint = await crashAfterCommit(ws, reporter, "Dies before its Teams post", at);
    await disconnectDatabase();

    const about = (conversationId: string) =>
      (connector?.sent(conversationId) ?? []).filter((c) =>
        JSON.stringify(c.body).includes(complaint.ref ?? "?"),
      );
    const first = await start();
    await waitFor(() => about(channel).length > 0, { timeoutMs: 30_000, what: "the Teams triage post" });
    await first.stop();
    const again = await start();
    await afterAPass(
      ws,
      "channel",
      channel,
      () =>
        (connector?.sent(channel) ?? []).filter((c) => JSON.stringify(c.body).includes("A later message"))
          .length,
    );
    await again.stop();
    expect(about(channel)).toHaveLength(1);
    // Teams shows a form's answer in the form's place: nothing is sent to the reporter's chat.
    expect(about("a:erin-personal")).toHaveLength(0);
  }, 90_000);
});
