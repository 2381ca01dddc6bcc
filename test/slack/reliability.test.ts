import { beforeAll, describe, expect, it } from "vitest";
import { runningClock } from "../helpers/clock.js";
import {
  ComplaintModel,
  HistoryEventModel,
  ReminderDeliveryModel,
  WorkspaceModel,
} from "../helpers/models.js";
import { poll, waitFor } from "../helpers/poll.js";
import {
  allText,
  employee,
  QUALITY_CHANNEL,
  qm,
  setUpWorkspace,
  useSlackApp,
} from "../helpers/slackHarness.js";

// The whole service, jobs too: a post that failed is retried by the delivery worker. The clock
// runs at real speed and is moved forward where the engine waits (30 s before looking again).
const clock = runningClock();
const h = useSlackApp({ clock, role: "all" });

beforeAll(async () => {
  await setUpWorkspace(h);
});

const form = (title: string) => ({
  title: { value: title },
  description: { value: "" },
  customer: { value: "" },
  productRef: { value: "" },
  severity: { option: "medium" },
  category: { option: "delivery" },
});

/**
 * Waits until the engine has recorded the quality-channel post about a record as uncertain (the
 * failure is taken in), so the clock is moved past a recheck that is already scheduled.
 */
async function uncertainChannelPost(recordKey: string) {
  return waitFor(
    async () => {
      const rows = await ReminderDeliveryModel.find({
        recipientId: QUALITY_CHANNEL,
        state: "uncertain",
      }).lean();
      return rows.find((d) => d.recordKey === recordKey);
    },
    { what: `the channel post of ${recordKey} recorded as uncertain` },
  );
}

function complaintTitled(title: string) {
  return waitFor(() => ComplaintModel.findOne({ workspaceId: `slack:${h.teamId}`, title }).lean(), {
    what: `"${title}" saved`,
  });
}

describe("request authenticity", () => {
  it("a bad signature gets 401 and writes nothing", async () => {
    // The workers write events of their own meanwhile (deliveries sent): count the signer's.
    const byQm = () => HistoryEventModel.countDocuments({ "actor.id": qm.id });
    const before = await byQm();
    const cmd = h.slack.command("/qms", `roles grant <@UEVIL> qm`, qm);
    const res = await cmd.send({
      signature: "v0=0000000000000000000000000000000000000000000000000000000000000000",
    });
    expect(res.status).toBe(401);
    // A signed command sent after it is answered: the app has moved on, and wrote nothing for the forgery.
    const later = h.slack.command("/qms", "status", qm);
    await later.send();
    await h.fake.waitForResponse(later.responseId);
    expect(await byQm()).toBe(before);
    const workspace = await WorkspaceModel.findOne({ workspaceId: `slack:${h.teamId}` }).lean();
    expect(workspace?.roles?.UEVIL).toBeUndefined();
    expect(h.fake.responses.find((r) => r.id === cmd.responseId)).toBeUndefined();
  });

  it("a correctly signed request older than 5 minutes gets 401 and writes nothing", async () => {
    const before = await ComplaintModel.countDocuments({});
    const body = new URLSearchParams({
      payload: JSON.stringify({
        type: "view_submission",
        team: { id: h.teamId },
        user: { id: employee.id, name: employee.name, team_id: h.teamId },
        view: { id: "VOLD", callback_id: "complaint.new", private_metadata: "", state: { values: {} } },
      }),
    }).toString();
    const res = await h.slack.post(body, "application/x-www-form-urlencoded", {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(res.status).toBe(401);
    expect(await ComplaintModel.countDocuments({})).toBe(before);
  });
});

describe("signed requests that are not what Slack sends", () => {
  const submission = (extra: Record<string, unknown> = {}) =>
    new URLSearchParams({
      payload: JSON.stringify({
        type: "view_submission",
        team: { id: h.teamId },
        user: { id: employee.id, name: employee.name, team_id: h.teamId },
        view: {
          id: "VFUTURE",
          callback_id: "complaint.new",
          private_metadata: "",
          state: { values: { title: { title: { type: "plain_text_input", value: "From the future" } } } },
        },
        ...extra,
      }),
    }).toString();

  for (const [label, seconds] of [
    ["6 minutes", 6 * 60],
    ["an hour", 3600],
  ] as const)
    it(`a correctly signed request dated ${label} in the future gets 401 and writes nothing (Slack's rule is five minutes either way)`, async () => {
      const before = await HistoryEventModel.countDocuments({ "actor.id": employee.id });
      const res = await h.slack.post(submission(), "application/x-www-form-urlencoded", {
        timestamp: Math.floor(Date.now() / 1000) + seconds,
      });
      expect(res.status).toBe(401);
      expect(await HistoryEventModel.countDocuments({ "actor.id": employee.id })).toBe(before);
    });

  for (const [label, body, type] of [
    ["payload=null", "payload=null", "application/x-www-form-urlencoded"],
    ["a JSON null body", "null", "application/json"],
    ["a JSON array body", "[]", "application/json"],
  ] as const)
    it(`a signed ${label} is answered 400 at once, not left hanging`, async () => {
      const res = await h.slack.post(body, type);
      expect(res.status).toBe(400);
      expect(res.ms).toBeLessThan(2_000);
    });

  it("a signed form submission without a user or a workspace is answered 400 and saves nothing", async () => {
    const before = await ComplaintModel.countDocuments({});
    for (const extra of [{ user: undefined }, { team: undefined, user: { id: employee.id } }]) {
      const res = await h.slack.post(submission(extra), "application/x-www-form-urlencoded");
      expect(res.status).toBe(400);
    }
    expect(await ComplaintModel.countDocuments({})).toBe(before);
  });
});

describe("Slack failures never lose a record", () => {
  it("Slack answering 429 to the triage post: the complaint is kept and the post retried after Retry-After", async () => {
    const toQualityChannel = (args: Record<string, unknown>) => args.channel === QUALITY_CHANNEL;
    h.fake.failNextWhere("chat.postMessage", toQualityChannel, { status: 429, retryAfter: 1 });
    const res = await h.slack.submitView("complaint.new", form("Posted after a rate limit"), employee);
    expect(res.status).toBe(200);
    const doc = await complaintTitled("Posted after a rate limit");
    expect(doc.ref).toMatch(/^CMP-/);
    const attempts = await waitFor(() => {
      const calls = h.fake
        .callsTo("chat.postMessage")
        .filter((c) => allText(c.args).includes(doc.ref ?? "?") && c.args.channel === QUALITY_CHANNEL);
      return calls.length >= 2 ? calls : undefined;
    });
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
    const stored = await poll(async () => (await ComplaintModel.findById(doc._id).lean())?.triageMessage);
    expect(stored.channelId).toBe(QUALITY_CHANNEL);
  });

  it("Slack answering 5xx after it posted the triage message: QOps looks before sending again, and the channel gets it once", async () => {
    h.fake.failNextWhere("chat.postMessage", (args) => args.channel === QUALITY_CHANNEL, {
      status: 500,
      afterPosting: true,
    });
    const res = await h.slack.submitView("complaint.new", form("Posted, then Slack said 500"), employee);
    expect(res.status).toBe(200);
    const doc = await complaintTitled("Posted, then Slack said 500");
    // Uncertain: the engine waits, then reads the channel's history for the message it carries.
    await waitFor(() =>
      h.fake
        .callsTo("chat.postMessage")
        .some((c) => c.args.channel === QUALITY_CHANNEL && allText(c.args).includes(doc.ref ?? "?")),
    );
    await uncertainChannelPost(String(doc._id));
    clock.jump(31_000);
    await waitFor(
      () => h.fake.callsTo("conversations.history").find((c) => c.args.channel === QUALITY_CHANNEL),
      {
        timeoutMs: 20_000,
      },
    );
    const stored = await poll(async () => (await ComplaintModel.findById(doc._id).lean())?.triageMessage);
    expect(stored.channelId).toBe(QUALITY_CHANNEL);
    const inChannel = (h.fake.posted.get(QUALITY_CHANNEL) ?? []).filter((m) =>
      String(m.text).includes(doc.ref ?? "?"),
    );
    expect(inChannel).toHaveLength(1);
    expect(stored.ts).toBe(inChannel[0]?.ts);
    expect((await ComplaintModel.findById(doc._id).lean())?.state).toBe("new");
  }, 40_000);

  it("Slack answering 5xx without posting: the post is sent again after the look finds nothing, once", async () => {
    h.fake.failNextWhere("chat.postMessage", (args) => args.channel === QUALITY_CHANNEL, { status: 503 });
    await h.slack.submitView("complaint.new", form("Slack was down for a moment"), employee);
    const doc = await complaintTitled("Slack was down for a moment");
    await waitFor(() =>
      h.fake
        .callsTo("chat.postMessage")
        .some((c) => c.args.channel === QUALITY_CHANNEL && allText(c.args).includes(doc.ref ?? "?")),
    );
    await uncertainChannelPost(String(doc._id));
    clock.jump(31_000);
    const stored = await poll(
      async () => (await ComplaintModel.findById(doc._id).lean())?.triageMessage,
      20_000,
    );
    const inChannel = (h.fake.posted.get(QUALITY_CHANNEL) ?? []).filter((m) =>
      String(m.text).includes(doc.ref ?? "?"),
    );
    expect(inChannel).toHaveLength(1);
    expect(stored.ts).toBe(inChannel[0]?.ts);
  }, 40_000);

  it("acknowledges a slash command at once even when Slack's API is slow", async () => {
    h.fake.failNext("views.open", { delayMs: 4000 });
    const res = await h.slack.command("/complaint", "Slow Slack", employee).send();
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(1000);
  });
});

describe("Log as complaint (message shortcut)", () => {
  it("opens the form with the message text and keeps its permalink, author and time", async () => {
    const message = {
      channel: "CSUPPORT",
      ts: "1764150000.000200",
      text: "Customer says the lid cracked\nOrder 5512",
      user: "UCUSTREP",
    };
    const res = await h.slack.messageShortcut("complaint.from_message", employee, message);
    expect(res.status).toBe(200);
    const open = await h.fake.waitForCall("views.open", (c) =>
      allText(c.args).includes("Customer says the lid cracked"),
    );
    const view = open.args.view as { private_metadata: string };
    await h.slack.submitView("complaint.new", form("Customer says the lid cracked"), employee, {
      privateMetadata: view.private_metadata,
    });
    const doc = await complaintTitled("Customer says the lid cracked");
    expect(doc.source).toMatchObject({
      authorId: "UCUSTREP",
      channelId: "CSUPPORT",
      permalink: expect.stringContaining("CSUPPORT/p1764150000000200"),
    });
    expect(doc.source?.postedAt?.toISOString()).toBe(new Date(1764150000000).toISOString());
  });
});

describe("settings", () => {
  it("a QM changes a severity's SLA; new complaints use it", async () => {
    const sla = h.slack.command("/qms", "sla medium 3", qm);
    await sla.send();
    expect(allText(await h.fake.waitForResponse(sla.responseId))).toContain(
      "medium complaints are now due 3 days",
    );
    expect((await WorkspaceModel.findById(`slack:${h.teamId}/workspace`).lean())?.slaDays.medium).toBe(3);
    await h.slack.submitView("complaint.new", form("Due under the new SLA"), employee);
    const doc = await complaintTitled("Due under the new SLA");
    // Due at the end of the third day after it was logged, in the workspace's zone (UTC here).
    const logged = doc.createdAt.toISOString().slice(0, 10);
    expect(doc.dueDay).toBe(
      new Date(Date.parse(`${logged}T00:00:00Z`) + 3 * 86_400_000).toISOString().slice(0, 10),
    );
  });

  it("a QM sets the working hours reminders keep to; bad input is explained and changes nothing", async () => {
    const bad = h.slack.command("/qms", "hours 17:00-09:00 mon-fri", qm);
    await bad.send();
    expect(allText(await h.fake.waitForResponse(bad.responseId))).toContain(
      "the start must be before the end",
    );
    const set = h.slack.command("/qms", "hours 08:30-16:30 sun-thu", qm);
    await set.send();
    expect(allText(await h.fake.waitForResponse(set.responseId))).toContain(
      "08:30–16:30 on Sun, Mon, Tue, Wed, Thu",
    );
    const workspace = await WorkspaceModel.findById(`slack:${h.teamId}/workspace`).lean();
    expect(workspace?.workingHours).toEqual({ start: "08:30", end: "16:30", days: [0, 1, 2, 3, 4] });
    const refused = h.slack.command("/qms", "hours 00:00-23:59 mon-sun", employee);
    await refused.send();
    expect(allText(await h.fake.waitForResponse(refused.responseId))).toContain(
      "Only a quality manager can change the working hours",
    );
  });

  it("an employee cannot change the SLA", async () => {
    const sla = h.slack.command("/qms", "sla critical 30", employee);
    await sla.send();
    expect(allText(await h.fake.waitForResponse(sla.responseId))).toContain(
      "Only a quality manager can change complaint due dates",
    );
  });
});
