import { addDays, formatISO } from "date-fns";
import { beforeAll, describe, expect, it } from "vitest";
import { deliverDue } from "../../src/jobs/deliverDue.js";
import type { JobDeps } from "../../src/jobs/deps.js";
import { createLogger } from "../../src/logger.js";
import { teamsJobDeps } from "../helpers/jobs.js";
import {
  AcknowledgementModel,
  ControlledDocumentModel,
  CorrectiveActionModel,
  ImprovementIdeaModel,
  ReminderDeliveryModel,
} from "../helpers/models.js";
import { waitFor } from "../helpers/poll.js";
import {
  installInTeam,
  press,
  QUALITY_CONVERSATION,
  say,
  submit,
  TEAM_ID,
  teamsUser,
  textOf,
  useTeamsApp,
  verbsOf,
} from "../helpers/teamsHarness.js";

// Friday 27 Nov 2026, 10:00 UTC: 11:00 in Berlin, inside working hours.
const clock = { t: new Date("2026-11-27T10:00:00Z"), now: () => clock.t };
const h = useTeamsApp({ clock });
const logger = createLogger("silent", false);
const quinn = teamsUser("Quinn Manager");
const robin = teamsUser("Robin Manager");
const erin = teamsUser("Erin Employee");
const tara = teamsUser("Tara Top");
const kenji = teamsUser("Kenji Quiet"); // in the team, never wrote to QOps
const guest = teamsUser("A Guest");

const ws = () => `teams:${h.tenantId}`;
// Teams in local mode, as the configuration gives it with no credentials.
const jobDeps = (): JobDeps => teamsJobDeps(logger, clock);

beforeAll(async () => {
  h.connector.rosters.set(
    TEAM_ID,
    [quinn, robin, erin, tara, kenji, guest].map((u) => ({
      id: u.id,
      name: u.name,
      aadObjectId: u.aadObjectId,
      userRole: u === guest ? ("guest" as const) : ("user" as const),
    })),
  );
  await installInTeam(h, quinn);
  await say(h, quinn, "qms setup", { conversationId: QUALITY_CONVERSATION });
  expect(
    (await say(h, quinn, `qms roles grant <at>${robin.name}</at> qm`, { mentions: [robin] })).text,
  ).toContain("Granted quality manager to Robin Manager");
  const grant = await say(h, quinn, `qms roles grant <at>${tara.name}</at> top_management`, {
    mentions: [tara],
  });
  expect(grant.text).toContain("Granted top management to Tara Top");
  for (const person of [erin, tara]) await say(h, person, "help"); // they open a chat with QOps
});

describe("Teams: ideas, corrective actions and the policy over HTTP", () => {
  it("an idea is posted for votes; votes toggle in place; a QM approves; a stale approve names who acted", async () => {
    const form = (await say(h, erin, "idea Faster onboarding")).attachments?.[0]?.content;
    const submitted = await submit(h, erin, form, {
      title: "Faster onboarding",
      description: "",
      expectedBenefit: "Less waiting",
    });
    const ref = /IDEA-\d{4}-\d{4}/.exec(textOf(submitted.card))?.[0] ?? "";
    expect(ref).not.toBe("");
    const posted = await h.connector.waitFor(() =>
      h.connector.sent(QUALITY_CONVERSATION).find((c) => String(c.body.text).includes(ref)),
    );
    expect(verbsOf((posted.body.attachments as { content: never }[])[0]?.content)).toEqual(
      expect.arrayContaining(["idea.vote", "idea.approve", "idea.reject"]),
    );

    const where = { conversationId: QUALITY_CONVERSATION };
    expect(textOf((await press(h, erin, "idea.vote", { ws: ws(), ref }, where)).card)).toContain(
      "got your vote (now 1)",
    );
    expect(textOf((await press(h, quinn, "idea.vote", { ws: ws(), ref }, where)).card)).toContain(
      "got your vote (now 2)",
    );
    expect(textOf((await press(h, erin, "idea.vote", { ws: ws(), ref }, where)).card)).toMatch(
      /vote .*\(now 1\)/,
    );
    expect((await ImprovementIdeaModel.findOne({ ws: ws(), ref }).lean())?.votes).toEqual([
      quinn.aadObjectId,
    ]);

    expect(textOf((await press(h, erin, "idea.approve", { ws: ws(), ref }, where)).card)).toContain(
      "Only a quality manager",
    );
    expect(textOf((await press(h, quinn, "idea.approve", { ws: ws(), ref }, where)).card)).toContain(
      `${ref} approved by Quinn Manager`,
    );
    const stale = await press(h, robin, "idea.approve", { ws: ws(), ref }, where);
    expect(textOf(stale.card)).toMatch(/already approved by Quinn Manager/);
    // Everyone's copy of the channel card shows the approval.
    const update = await h.connector.waitFor(() =>
      h.connector.updates(QUALITY_CONVERSATION).findLast((u) => textOf(u.body).includes("approved")),
    );
    expect(update.activityId).toBe(
      posted && (await ImprovementIdeaModel.findOne({ ws: ws(), ref }).lean())?.channelMessage?.ts,
    );
  });

  it("an action: owner starts and finishes it; only a QM judges effectiveness; not effective needs a reason and reopens it", async () => {
    const form = (await say(h, quinn, "qms action new")).attachments?.[0]?.content;
    const due = formatISO(addDays(clock.t, 10), { representation: "date" });
    const missing = await submit(h, quinn, form, {
      problem: "Labels smudge",
      dueDate: due,
    });
    expect(textOf(missing.card)).toContain("Choose an owner.");
    const created = await submit(h, quinn, form, {
      problem: "Labels smudge",
      ownerId: erin.aadObjectId,
      dueDate: due,
      actionType: "corrective",
    });
    const ref = /CA-\d{4}-\d{4}/.exec(textOf(created.card))?.[0] ?? "";
    expect(textOf(created.card)).toContain(`Opened ${ref}`);
    expect(textOf(created.card)).toContain("owner Erin Employee");
    // The owner hears about it in their chat, with the buttons they may use.
    const dm = await h.connector.waitFor(() =>
      h.connector.sent().find((c) => String(c.body.text).includes(`opened ${ref} for you`)),
    );
    expect(verbsOf((dm.body.attachments as { content: never }[])[0]?.content)).toEqual([
      "action.start",
      "action.snooze",
    ]);

    expect(textOf((await press(h, erin, "action.start", { ws: ws(), ref })).card)).toContain(
      "started by Erin Employee",
    );
    // Neither the root cause nor what was done is on the action: "Mark done" asks for them first.
    const asked = textOf((await press(h, erin, "action.complete", { ws: ws(), ref })).card);
    expect(asked).toContain(`The root cause of ${ref}`);
    expect(asked).toContain("What was done");
    expect((await CorrectiveActionModel.findOne({ ws: ws(), ref }).lean())?.state).toBe("in_progress");
    expect(
      textOf(
        (
          await press(h, erin, "action.complete", {
            ws: ws(),
            ref,
            rootCause: "Ink dries too slowly in the cold",
            actionTaken: "Switched to the fast-drying ink",
          })
        ).card,
      ),
    ).toContain("marked done");
    expect((await CorrectiveActionModel.findOne({ ws: ws(), ref }).lean())?.actionTaken).toBe(
      "Switched to the fast-drying ink",
    );
    expect(textOf((await press(h, erin, "action.effective", { ws: ws(), ref })).card)).toContain(
      "Only a quality manager",
    );
    expect(
      textOf((await press(h, quinn, "action.not_effective", { ws: ws(), ref, reason: " " })).card),
    ).toMatch(/reason/i);
    expect((await CorrectiveActionModel.findOne({ ws: ws(), ref }).lean())?.state).toBe("done");
    expect(
      textOf(
        (await press(h, quinn, "action.not_effective", { ws: ws(), ref, reason: "Smudging is back" })).card,
      ),
    ).toContain("reopened as not effective by Quinn Manager");
    await press(h, erin, "action.start", { ws: ws(), ref });
    await press(h, erin, "action.complete", { ws: ws(), ref });
    const closed = await press(h, quinn, "action.effective", { ws: ws(), ref });
    expect(textOf(closed.card)).toContain("verified effective by Quinn Manager");
    expect((await CorrectiveActionModel.findOne({ ws: ws(), ref }).lean())?.state).toBe("verified_effective");
  });

  it("the policy: drafted, approved by top management, published; every team member is asked proactively and acknowledges once", async () => {
    const form = (await say(h, quinn, "policy draft")).attachments?.[0]?.content;
    const empty = await submit(h, quinn, form, {});
    expect(textOf(empty.card)).toContain("Give the policy text, or a link and a summary.");
    const drafted = await submit(h, quinn, form, {
      text: "We delight customers.",
    });
    const ref = /POL-v\d+/.exec(textOf(drafted.card))?.[0] ?? "";
    expect(textOf(drafted.card)).toContain("Top management (Tara Top) has been asked to approve it");
    const ask = await h.connector.waitFor(() =>
      h.connector.sent().find((c) => String(c.body.text).includes(`drafted the quality policy ${ref}`)),
    );
    expect(ask.conversationId).toBe(`a:personal-${tara.id}`);

    expect(textOf((await press(h, quinn, "policy.approve", { ws: ws(), ref })).card)).toContain(
      "Only top management can approve",
    );
    expect(textOf((await press(h, tara, "policy.approve", { ws: ws(), ref })).card)).toContain(
      `${ref} approved by Tara Top`,
    );
    // A 429 from the connector on Erin's request.
    h.connector.failNextWhere((c) => c.method === "POST" && c.conversationId === `a:personal-${erin.id}`, {
      status: 429,
      retryAfter: 1,
    });
    const published = await press(h, quinn, "policy.publish", { ws: ws(), ref });
    // The roster's members, guests left out.
    expect(textOf(published.card)).toContain("5 members will be asked");
    const requests = await ReminderDeliveryModel.find({ occasion: `policy:${ref}:request` }).lean();
    expect(requests.map((r) => r.recipientId).sort()).toEqual(
      [quinn, robin, erin, tara, kenji].map((u) => u.aadObjectId).sort(),
    );

    // Published requests go out at once (from the press), the rest by the job: the 429 met by
    // Erin's first request delays it; nothing is lost or sent twice.
    await waitFor(
      async () =>
        h.connector.pendingFaults === 0 &&
        (await ReminderDeliveryModel.findById(`${ws()}|policy:${ref}:request|${erin.aadObjectId}`).lean())
          ?.lastError,
      { what: "Erin's request to meet the 429" },
    );
    await deliverDue(jobDeps());
    expect(
      (await ReminderDeliveryModel.findById(`${ws()}|policy:${ref}:request|${erin.aadObjectId}`).lean())
        ?.state,
    ).toBe("pending");
    clock.t = new Date(clock.t.getTime() + 5_000);
    await deliverDue(jobDeps());
    const sent = await ReminderDeliveryModel.find({ occasion: `policy:${ref}:request` }).lean();
    expect(sent.every((d) => d.state === "sent")).toBe(true);
    for (const person of [quinn, robin, erin, tara, kenji]) {
      const received = h.connector
        .sent(`a:personal-${person.id}`)
        .filter(
          (c) =>
            textOf(c.body).includes(ref) &&
            verbsOf((c.body.attachments as { content: never }[] | undefined)?.[0]?.content).includes(
              "policy.acknowledge",
            ),
        );
      expect(received, person.name).toHaveLength(1);
    }
    // Kenji never wrote to QOps: his chat was opened through the connector.
    expect(
      h.connector.calls.some(
        (c) =>
          c.method === "POST" && c.path === "/v3/conversations" && JSON.stringify(c.body).includes(kenji.id),
      ),
    ).toBe(true);

    const ack = await press(h, kenji, "policy.acknowledge", { ws: ws(), ref });
    expect(textOf(ack.card)).toContain(`your acknowledgement of ${ref} is recorded`);
    const twice = await press(h, kenji, "policy.acknowledge", { ws: ws(), ref });
    expect(textOf(twice.card)).toContain(`You already acknowledged ${ref}`);
    const acks = await AcknowledgementModel.find({ policyRef: ref }).lean();
    expect(acks).toHaveLength(1);
    expect(acks[0]?.member.id).toBe(kenji.aadObjectId);
    const doc = await ControlledDocumentModel.findOne({ ws: ws(), ref }).lean();
    expect(acks[0]?.contentHash).toBe(doc?.contentHash);
    const status = await say(h, quinn, "policy status");
    expect(status.text).toContain(`${ref}: acknowledged by 1 of 5 members (20%)`);
  });
});
