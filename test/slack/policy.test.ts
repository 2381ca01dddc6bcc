import { TZDate } from "@date-fns/tz";
import { beforeAll, describe, expect, it } from "vitest";
import { deliverDue } from "../../src/jobs/deliverDue.js";
import type { JobDeps } from "../../src/jobs/deps.js";
import { createLogger } from "../../src/logger.js";
import { slackJobDeps } from "../helpers/jobs.js";
import { AcknowledgementModel, ControlledDocumentModel, ReminderDeliveryModel } from "../helpers/models.js";
import { poll, waitFor } from "../helpers/poll.js";
import { allText, BOT_TOKEN, qm, setUpWorkspace, useSlackApp } from "../helpers/slackHarness.js";
import type { SimUser } from "../helpers/slackRequests.js";

// Friday 27 Nov 2026, 03:00 UTC: noon in Tokyo, 21:00 Thursday in Chicago.
const clock = { t: new Date("2026-11-27T03:00:00Z"), now: () => clock.t };
const h = useSlackApp({ clock });
const logger = createLogger("silent", false);
const top: SimUser = { id: "UTOP", name: "Tara Top" };
const tokyo: SimUser = { id: "UTOKYO", name: "Kenji Tokyo" };
const chicago: SimUser = { id: "UCHI", name: "Carla Chicago" };

const jobDeps = (): JobDeps => slackJobDeps(logger, clock, BOT_TOKEN, h.fake.apiUrl);
/** The daily jobs as a worker runs them: reminders and escalations, and the member sync. */
const escalateAll = (deps: JobDeps) => deps.tasks.recordReminders(deps.clock.now());
const syncAllMembers = (deps: JobDeps) => deps.tasks.syncAllMembers(deps.clock.now());

const localHour = (at: Date, tz: string) => new TZDate(at.getTime(), tz).getHours();
const localDay = (at: Date, tz: string) => new TZDate(at.getTime(), tz).getDay();

beforeAll(async () => {
  h.fake.directory = [
    { id: qm.id, name: "quinn", real_name: qm.name, tz: "Europe/Berlin" },
    { id: top.id, name: "tara", real_name: top.name, tz: "Europe/London" },
    { id: tokyo.id, name: "kenji", real_name: tokyo.name, tz: "Asia/Tokyo" },
    { id: chicago.id, name: "carla", real_name: chicago.name, tz: "America/Chicago" },
    { id: "UBOT", name: "somebot", real_name: "Some Bot", tz: "UTC", is_bot: true },
    { id: "UGONE", name: "gone", real_name: "Gone", tz: "UTC", deleted: true },
    { id: "UGUEST", name: "guest", real_name: "A Guest", tz: "UTC", is_restricted: true },
  ];
  await setUpWorkspace(h);
  const grant = h.slack.command("/qms", `roles grant <@${top.id}|tara> top_management`, qm);
  await grant.send();
  await h.fake.waitForResponse(grant.responseId);
});

async function draftApprovePublish(text: string): Promise<string> {
  await h.slack.command("/policy", "draft", qm).send();
  await h.fake.waitForCall("views.open", (c) => allText(c.args).includes("Draft quality policy"));
  await h.slack.submitView(
    "policy.draft",
    { text: { value: text }, link: { value: "" }, summary: { value: "" } },
    qm,
  );
  const draft = await poll(() => ControlledDocumentModel.findOne({ text }).lean());
  const ref = draft.ref ?? "";
  // Top management is asked to approve: recorded now, sent in their working hours (it is 03:00 in London).
  await poll(() =>
    ReminderDeliveryModel.exists({ recipientId: top.id, occasion: `${ref}:1:approve:${top.id}` }),
  );
  const approve = h.slack.button("policy.approve", ref, top, { channel: "DTOP", ts: "1.1" });
  await approve.send();
  await h.fake.waitForResponse(approve.responseId);
  const publish = h.slack.button("policy.publish", ref, qm, { channel: "DQM1", ts: "1.2" });
  await publish.send();
  const reply = await h.fake.waitForResponse(publish.responseId);
  expect(allText(reply)).toContain(`Published ${ref}`);
  return ref;
}

describe("the quality policy", () => {
  it("only top management approves, and nothing is asked of anyone before publishing", async () => {
    await h.slack.submitView(
      "policy.draft",
      { text: { value: "Draft that the QM tries to approve" }, link: { value: "" }, summary: { value: "" } },
      qm,
    );
    const draft = await poll(() =>
      ControlledDocumentModel.findOne({ text: "Draft that the QM tries to approve" }).lean(),
    );
    const tryApprove = h.slack.command("/policy", `approve ${draft.ref}`, qm);
    await tryApprove.send();
    expect(allText(await h.fake.waitForResponse(tryApprove.responseId))).toContain(
      "Only top management can approve",
    );
    expect(await ReminderDeliveryModel.countDocuments({ occasion: { $regex: ":request$" } })).toBe(0);
  });

  it("publishing asks each member in their own working hours; reminders follow; the QMs get one list a day", async () => {
    const baseline = Object.fromEntries([tokyo, chicago].map((p) => [p.id, h.fake.dmsTo(p.id).length]));
    const ref = await draftApprovePublish("We meet customer requirements and improve continually.");
    // Members come from users.list: bots, deactivated accounts and guests are not asked.
    await h.fake.waitForCall(
      "chat.postMessage",
      (c) => c.args.channel === "CQUALITY" && allText(c.args).includes(`published the quality policy ${ref}`),
    );
    const requests = await ReminderDeliveryModel.find({ occasion: `policy:${ref}:request` }).lean();
    expect(requests.map((r) => r.recipientId).sort()).toEqual([chicago.id, qm.id, tokyo.id, top.id].sort());

    const received: Record<string, Date[]> = {};
    // Sent at once where it is working time already (noon in Tokyo), as publishing records it;
    // Chicago's (21:00 there) waits: the hour-by-hour loop below shows when it went.
    await waitFor(() => h.fake.dmsTo(tokyo.id).length > (baseline[tokyo.id] ?? 0), {
      what: "the request to Tokyo at once",
    });
    received[tokyo.id] = [new Date(clock.t)];
    expect(h.fake.dmsTo(chicago.id).length).toBe(baseline[chicago.id] ?? 0);
    const end = new Date("2026-12-24T00:00:00Z").getTime();
    for (; clock.t.getTime() < end; clock.t = new Date(clock.t.getTime() + 3600_000)) {
      const before = Object.fromEntries([tokyo, chicago].map((p) => [p.id, h.fake.dmsTo(p.id).length]));
      await deliverDue(jobDeps());
      for (const person of [tokyo, chicago]) {
        if (h.fake.dmsTo(person.id).length > (before[person.id] ?? 0)) {
          received[person.id] = [...(received[person.id] ?? []), new Date(clock.t)];
        }
      }
      // Kenji acknowledges when the first reminder reaches him.
      if (
        received[tokyo.id]?.length === 2 &&
        !(await AcknowledgementModel.exists({ policyRef: ref, "member.id": tokyo.id }))
      ) {
        const dm = h.fake.dmsTo(tokyo.id).at(-1);
        await h.slack
          .button("policy.acknowledge", ref, tokyo, { channel: "DTOKYO", ts: dm?.ts ?? "" })
          .send();
        await poll(() => AcknowledgementModel.exists({ policyRef: ref, "member.id": tokyo.id }));
      }
    }
    expect(received[tokyo.id]?.[0]?.toISOString()).toBe("2026-11-27T03:00:00.000Z"); // noon in Tokyo
    expect(received[chicago.id]?.[0]?.toISOString()).toBe("2026-11-27T15:00:00.000Z"); // 09:00 in Chicago
    for (const [person, tz] of [
      [tokyo, "Asia/Tokyo"],
      [chicago, "America/Chicago"],
    ] as const) {
      for (const at of received[person.id] ?? []) {
        expect(localHour(at, tz)).toBeGreaterThanOrEqual(9);
        expect(localHour(at, tz)).toBeLessThan(17);
        expect([1, 2, 3, 4, 5]).toContain(localDay(at, tz));
      }
    }
    expect(received[tokyo.id]).toHaveLength(2); // the request and one reminder, then he acknowledged
    expect(received[chicago.id]).toHaveLength(4); // the request and three reminders, then no more

    await escalateAll(jobDeps());
    await escalateAll(jobDeps());
    await deliverDue(jobDeps());
    clock.t = new Date(clock.t.getTime() + 12 * 3600_000);
    await deliverDue(jobDeps());
    const escalations = h.fake.dmsTo(qm.id).filter((m) => allText(m).includes("have not acknowledged"));
    expect(escalations).toHaveLength(1);
    expect(allText(escalations[0])).toContain(chicago.name);
    expect(allText(escalations[0])).not.toContain(tokyo.name);
  }, 240_000);

  it("acknowledging twice records one acknowledgement and says so", async () => {
    const policy = await poll(() => ControlledDocumentModel.findOne({ state: "published" }).lean());
    const again = h.slack.button("policy.acknowledge", policy.ref ?? "", tokyo, {
      channel: "DTOKYO",
      ts: "9.9",
    });
    await again.send();
    expect(
      allText(await h.fake.waitForResponse(again.responseId, (b) => allText(b).includes("already"))),
    ).toContain(`You already acknowledged ${policy.ref}`);
    expect(await AcknowledgementModel.countDocuments({ policyRef: policy.ref, "member.id": tokyo.id })).toBe(
      1,
    );
    const ack = await AcknowledgementModel.findOne({ policyRef: policy.ref, "member.id": tokyo.id }).lean();
    expect(ack?.contentHash).toBe(policy.contentHash);
  });

  it("a new version asks everyone again; acknowledging the old one is refused and does not count", async () => {
    const old = await poll(() => ControlledDocumentModel.findOne({ state: "published" }).lean());
    const ref = await draftApprovePublish("Version two: we also measure customer satisfaction.");
    expect((await ControlledDocumentModel.findById(old._id).lean())?.state).toBe("superseded");
    const requests = await ReminderDeliveryModel.countDocuments({ occasion: `policy:${ref}:request` });
    expect(requests).toBe(4); // Kenji too: his acknowledgement was of the old version

    const stale = h.slack.button("policy.acknowledge", old.ref ?? "", chicago, {
      channel: "DCHI",
      ts: "8.8",
    });
    await stale.send();
    expect(allText(await h.fake.waitForResponse(stale.responseId))).toContain(`was replaced by ${ref}`);
    expect(await AcknowledgementModel.countDocuments({ "member.id": chicago.id })).toBe(0);

    const status = h.slack.command("/policy", "status export", qm);
    await status.send();
    const csv = allText(await h.fake.waitForResponse(status.responseId));
    expect(csv).toContain("policy,member_id,name,acknowledged_at,content_hash");
    expect(csv).toContain(`${ref},${chicago.id},${chicago.name},,`);
  });

  it("someone who joins after publication is asked too; guests only when a QM includes them", async () => {
    const policy = await poll(() => ControlledDocumentModel.findOne({ state: "published" }).lean());
    h.fake.directory.push({ id: "UNEW", name: "newbie", real_name: "Nina New", tz: "Europe/Paris" });
    await syncAllMembers(jobDeps());
    expect(
      await ReminderDeliveryModel.exists({ occasion: `policy:${policy.ref}:request`, recipientId: "UNEW" }),
    ).toBeTruthy();
    expect(
      await ReminderDeliveryModel.exists({ occasion: `policy:${policy.ref}:request`, recipientId: "UGUEST" }),
    ).toBeNull();

    const include = h.slack.command("/qms", "guests include", qm);
    await include.send();
    expect(allText(await h.fake.waitForResponse(include.responseId))).toContain("Guests are now included");
    await syncAllMembers(jobDeps());
    expect(
      await ReminderDeliveryModel.exists({ occasion: `policy:${policy.ref}:request`, recipientId: "UGUEST" }),
    ).toBeTruthy();
  });

  it("someone Slack refuses to message reaches the QMs' escalation at once, with the reason, without waiting for reminders", async () => {
    const policy = await poll(() => ControlledDocumentModel.findOne({ state: "published" }).lean());
    h.fake.directory.push({ id: "UGHOST", name: "ghost", real_name: "Gus Ghost", tz: "UTC" });
    // Every message to him is refused for good, as Slack does for an account it cannot DM.
    for (let i = 0; i < 3; i++)
      h.fake.failNextWhere("chat.postMessage", (args) => args.channel === "UGHOST", {
        error: "cannot_dm_bot",
      });
    await syncAllMembers(jobDeps());
    const request = await poll(() =>
      ReminderDeliveryModel.findOne({
        occasion: `policy:${policy.ref}:request`,
        recipientId: "UGHOST",
      }).lean(),
    );
    clock.t = new Date(Math.max(clock.t.getTime(), request.notBefore.getTime()) + 60_000);
    await deliverDue(jobDeps());
    await poll(async () => (await ReminderDeliveryModel.findById(request._id).lean())?.state === "failed");
    const before = h.fake.dmsTo(qm.id).length;
    await escalateAll(jobDeps());
    await deliverDue(jobDeps());
    clock.t = new Date(clock.t.getTime() + 24 * 3600_000);
    await deliverDue(jobDeps());
    const escalation = h.fake
      .dmsTo(qm.id)
      .slice(before)
      .find((m) => allText(m).includes("could not be reached at all"));
    expect(escalation, "the QM's escalation").toBeDefined();
    expect(allText(escalation)).toContain("Gus Ghost (");
    expect(allText(escalation)).toContain("cannot_dm_bot");
  });

  it("/policy shows the current version, whether I acknowledged it, and the rate", async () => {
    const policy = await poll(() => ControlledDocumentModel.findOne({ state: "published" }).lean());
    const mine = h.slack.command("/policy", "", chicago);
    await mine.send();
    const reply = await h.fake.waitForResponse(mine.responseId);
    expect(allText(reply)).toContain(`Quality policy ${policy.ref}`);
    expect(allText(reply)).toContain("Version two: we also measure customer satisfaction.");
    expect(JSON.stringify(reply.blocks)).toContain("policy.acknowledge");
    expect(allText(reply)).toMatch(/Acknowledged by \d+ of \d+ members/);
  });

  it("an employee cannot see the acknowledgement list", async () => {
    const status = h.slack.command("/policy", "status", chicago);
    await status.send();
    expect(allText(await h.fake.waitForResponse(status.responseId))).toContain("Only a quality manager");
  });
});
