import { describe, expect, it } from "vitest";
import { createTeamsPort } from "../../src/bot/teams/app.js";
import { deliveryCore } from "../../src/commands/deliveries.js";
import { LOCAL_TEAMS } from "../../src/config/index.js";
import { createLogger } from "../../src/logger.js";
import { runDeliveryPass } from "../../src/outbox/engine.js";
import { ContactModel, ReportedZoneModel } from "../../src/outbox/models.js";
import {
  ComplaintModel,
  HistoryEventModel,
  ReminderDeliveryModel,
  WorkspaceModel,
} from "../helpers/models.js";
import { poll } from "../helpers/poll.js";
import {
  base,
  executesOf,
  installInTeam,
  post,
  postedCard,
  pressOn,
  QUALITY_CONVERSATION,
  say,
  submit,
  TEAM_ID,
  teamsUser,
  textOf,
  useTeamsApp,
  verbsOf,
} from "../helpers/teamsHarness.js";

const h = useTeamsApp();
const quinn = teamsUser("Quinn Manager");
const robin = teamsUser("Robin Manager");
const erin = teamsUser("Erin Employee");

describe("Teams: complaints end to end over HTTP", () => {
  it("a typed message is acknowledged when it arrives, not when its reply is out: a connector answering 429 delays the reply, never the 200", async () => {
    const quinn = teamsUser("Quinn Slow");
    // The reply's first try is refused with Retry-After: 2; QOps waits it out and sends again.
    h.connector.failNextWhere((call) => call.method === "POST" && /help/i.test(JSON.stringify(call.body)), {
      status: 429,
      retryAfter: 2,
    });
    const answered = await say(h, quinn, "help");
    expect(answered.text).toMatch(/help|QOps/i);
    expect(answered.ackMs).toBeLessThan(1_000);
    expect(answered.repliedMs).toBeGreaterThan(1_900);
  });

  it("sets up in a channel, which becomes the quality channel", async () => {
    h.connector.rosters.set(
      TEAM_ID,
      [quinn, robin, erin].map((u) => ({ id: u.id, name: u.name, aadObjectId: u.aadObjectId })),
    );
    await installInTeam(h, quinn);
    const reply = await say(h, quinn, "qms setup", { conversationId: QUALITY_CONVERSATION });
    expect(reply.text).toMatch(/you \(Quinn Manager\) are its first quality manager/);
    expect(reply.text).toContain("Triage posts and ideas go to the quality channel");
    const workspace = await WorkspaceModel.findOne({ workspaceId: `teams:${h.tenantId}` }).lean();
    expect(workspace?.qualityChannelId).toBe(QUALITY_CONVERSATION);
    const grant = await say(h, quinn, "qms roles grant <at>Robin Manager</at> qm", { mentions: [robin] });
    expect(grant.text).toContain("Granted quality manager to Robin Manager");
  });

  it("a typed command opens the complaint form; bad input comes back with inline errors and saves nothing", async () => {
    const reply = await say(h, erin, "complaint Scratched housing");
    const form = reply.attachments?.[0]?.content;
    expect(textOf(form)).toContain("Log a complaint");
    expect(JSON.stringify(form)).toContain('"value":"Scratched housing"');
    const bad = await submit(h, erin, form, { title: "x", severity: "urgent" });
    expect(bad.status).toBe(200);
    expect(textOf(bad.card)).toContain("Give the complaint a short title (3 to 150 characters).");
    expect(textOf(bad.card)).toContain("Choose a severity: low, medium, high or critical.");
    expect(await ComplaintModel.countDocuments({ workspaceId: `teams:${h.tenantId}` })).toBe(0);
  });

  it("a form value that is a JSON object instead of text is refused by name and saves nothing", async () => {
    const reply = await say(h, erin, "complaint");
    const form = reply.attachments?.[0]?.content;
    const refused = await submit(h, erin, form, {
      title: { text: "Broken seal" },
      severity: "high",
      category: "product",
      customer: "ACME",
    });
    expect(refused.status).toBe(200);
    expect(textOf(refused.card)).toContain('The field "title" must be text. Nothing was saved.');
    expect(textOf(refused.card)).not.toContain("[object Object]");
    expect(await ComplaintModel.countDocuments({ workspaceId: `teams:${h.tenantId}` })).toBe(0);
  });

  it("a submitted form logs one complaint (a second submit of the same card adds none) and posts it for triage", async () => {
    const reply = await say(h, erin, "complaint");
    const form = reply.attachments?.[0]?.content;
    const values = {
      title: 'Wrong labels {"$gt": ""}',
      description: "עברית and 🎉 **not bold**",
      customer: "ACME",
      productRef: "PO-77",
      severity: "high",
      category: "product",
    };
    const first = await submit(h, erin, form, values);
    expect(textOf(first.card)).toMatch(/Logged CMP-\d{4}-0001 — high, due/);
    const again = await submit(h, erin, form, values);
    expect(textOf(again.card)).toContain("This form was already sent: it is CMP-");
    const stored = await ComplaintModel.find({ workspaceId: `teams:${h.tenantId}` }).lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.title).toBe('Wrong labels {"$gt": ""}');
    expect(stored[0]?.reporter).toMatchObject({ id: erin.aadObjectId, name: "Erin Employee" });

    const triage = await h.connector.waitFor(() =>
      h.connector
        .sent(QUALITY_CONVERSATION)
        .find((c) => String(c.body.text).startsWith(`${stored[0]?.ref} (high) new`)),
    );
    const card = (triage.body.attachments as { content: unknown }[])[0]?.content;
    expect(verbsOf(card as never)).toEqual(
      expect.arrayContaining(["complaint.accept", "complaint.reject", "complaint.assign"]),
    );
    // User text is literal: a TextRun, never markdown.
    expect(JSON.stringify(card)).toContain('"type":"TextRun","text":"עברית and 🎉 **not bold**"');
  });

  it("the reporter cannot accept; a QM accepts from the card, the card updates for everyone, a stale click names who acted", async () => {
    const complaint = await ComplaintModel.findOne({ workspaceId: `teams:${h.tenantId}` }).lean();
    const ref = complaint?.ref ?? "";
    const triage = postedCard(h, QUALITY_CONVERSATION, ref);
    const refused = await pressOn(
      h,
      erin,
      triage,
      "complaint.accept",
      {},
      { conversationId: QUALITY_CONVERSATION },
    );
    expect(textOf(refused.card)).toContain("Only a quality manager can");
    expect((await ComplaintModel.findById(complaint?._id).lean())?.state).toBe("new");

    const updatesBefore = h.connector.updates(QUALITY_CONVERSATION).length;
    const [a, b] = await Promise.all([
      pressOn(h, quinn, triage, "complaint.accept", {}, { conversationId: QUALITY_CONVERSATION }),
      pressOn(h, robin, triage, "complaint.accept", {}, { conversationId: QUALITY_CONVERSATION }),
    ]);
    const texts = [textOf(a.card), textOf(b.card)];
    const won = texts.filter((t) => t.includes(`✅ ${ref} accepted by`));
    const lost = texts.filter((t) => t.includes("already accepted by"));
    expect(won).toHaveLength(1);
    expect(lost, JSON.stringify(texts.map((t) => t.slice(0, 200)))).toHaveLength(1);
    const events = await HistoryEventModel.find({ recordKey: complaint?._id, type: "accepted" }).lean();
    expect(events).toHaveLength(1);
    expect(lost[0]).toContain(events[0]?.actor.name);

    const update = await h.connector.waitFor(() => h.connector.updates(QUALITY_CONVERSATION)[updatesBefore]);
    expect(textOf(update.body)).toContain("accepted");
    expect(update.activityId).toBe((await ComplaintModel.findById(complaint?._id).lean())?.triageMessage?.ts);
    // The reporter is told, in their personal chat.
    await h.connector.waitFor(() =>
      h.connector.sent().find((c) => String(c.body.text).includes(`Your complaint ${ref} was accepted by`)),
    );
  });

  it("reject needs a reason; list and show work as typed commands; unknown references and commands are explained", async () => {
    const list = await say(h, quinn, "complaint list open");
    expect(list.text).toBe("Complaints — open · 1 item");
    const complaint = await ComplaintModel.findOne({ workspaceId: `teams:${h.tenantId}` }).lean();
    const shown = await say(h, erin, `complaint ${complaint?.ref}`);
    expect(textOf(shown.attachments?.[0]?.content)).toContain("History");
    const missing = await say(h, erin, "complaint CMP-2026-9999");
    expect(missing.text).toContain('There is no complaint "CMP-2026-9999"');
    const unknown = await say(h, erin, "frobnicate");
    expect(textOf(unknown.attachments?.[0]?.content)).toContain('Unknown command "frobnicate"');
    const help = await say(h, erin, "qms help");
    expect(textOf(help.attachments?.[0]?.content)).toContain("complaint list [open|mine|overdue|all]");
  });

  it("the connector answering 429 (Retry-After) to a reply: the reply waits and goes once", async () => {
    h.connector.failNextWhere((c) => c.method === "POST" && c.activityId !== null, {
      status: 429,
      retryAfter: 1,
    });
    const started = Date.now();
    const reply = await say(h, erin, "complaint list mine");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(reply.text).toContain("Complaints — mine");
    expect(h.connector.calls.filter((c) => c.activityId !== null && c.body.text === reply.text)).toHaveLength(
      1,
    );
  });

  for (const [label, afterPosting] of [
    ["answering 502 to the triage post", false],
    ["posting the triage post and then answering 502", true],
  ] as const)
    it(`the connector ${label}: the complaint is kept, the post is not sent again, and its delivery says it is unconfirmed`, async () => {
      h.connector.failNextWhere((c) => c.method === "POST" && c.conversationId === QUALITY_CONVERSATION, {
        status: 502,
        afterPosting,
      });
      const form = (await say(h, erin, "complaint")).attachments?.[0]?.content;
      const title = afterPosting ? "Late delivery, posted" : "Late delivery";
      const logged = await submit(h, erin, form, { title, severity: "low", category: "delivery" });
      const ref = /CMP-\d{4}-\d{4}/.exec(textOf(logged.card))?.[0] ?? "";
      const complaint = await ComplaintModel.findOne({ workspaceId: `teams:${h.tenantId}`, ref }).lean();
      expect(complaint?.state).toBe("new");
      // A 502 may have been posted, and Teams cannot be asked: QOps records that and does not post
      // it again (it never counts it as sent).
      await poll(async () => {
        const d = await ReminderDeliveryModel.findById(complaint?.post ?? "").lean();
        return d?.state === "uncertain" || d?.state === "unconfirmed";
      });
      // A worker's next pass over it, later: its last word is "unconfirmed", with no second post.
      const later = { now: () => new Date(Date.now() + 3_600_000) };
      await runDeliveryPass({
        logger: createLogger("silent", false),
        clock: later,
        port: createTeamsPort(LOCAL_TEAMS, createLogger("silent", false)).port,
        core: deliveryCore(createLogger("silent", false), later.now),
        // A worker of its own each time: its first pass sweeps every delivery due by then.
        workerId: `test-recheck-${afterPosting}`,
      });
      const post = await poll(async () => {
        const d = await ReminderDeliveryModel.findById(complaint?.post ?? "").lean();
        return d?.state === "unconfirmed" ? d : undefined;
      });
      expect(post.lastError).toContain("502");
      expect(h.connector.pendingFaults).toBe(0);
      const posts = h.connector
        .sent(QUALITY_CONVERSATION)
        .filter((c) => JSON.stringify(c.body).includes(ref));
      // Posted once when the connector posted before failing, never when it did not; never twice.
      expect(posts).toHaveLength(afterPosting ? 1 : 0);
    });

  it("a form id replayed by someone else (clients echo it) logs their own complaint and never shows the first reporter's", async () => {
    const form = (await say(h, erin, "complaint")).attachments?.[0]?.content;
    const first = await submit(h, erin, form, {
      title: "Erin's confidential complaint",
      customer: "Initech Optics",
      severity: "medium",
      category: "product",
    });
    const erinsRef = /CMP-\d{4}-\d{4}/.exec(textOf(first.card))?.[0] ?? "";
    expect(erinsRef).not.toBe("");

    const sam = teamsUser("Sam Staff");
    const replay = await submit(h, sam, form, {
      title: "Sam's complaint on Erin's card",
      severity: "low",
      category: "delivery",
    });
    const answer = textOf(replay.card);
    expect(answer).not.toContain(erinsRef);
    expect(answer).not.toContain("already sent");
    const samsRef = /CMP-\d{4}-\d{4}/.exec(answer)?.[0] ?? "";
    const sams = await ComplaintModel.findOne({ workspaceId: `teams:${h.tenantId}`, ref: samsRef }).lean();
    expect(sams).toMatchObject({
      title: "Sam's complaint on Erin's card",
      reporter: { id: sam.aadObjectId },
    });
    const erins = await ComplaintModel.findOne({ workspaceId: `teams:${h.tenantId}`, ref: erinsRef }).lean();
    expect(erins).toMatchObject({
      title: "Erin's confidential complaint",
      reporter: { id: erin.aadObjectId },
    });

    // Erin sending her own card again is the replay: her complaint, not a second one.
    const again = await submit(h, erin, form, {
      title: "Erin's confidential complaint",
      severity: "medium",
      category: "product",
    });
    expect(textOf(again.card)).toContain(`This form was already sent: it is ${erinsRef}`);
    expect(
      await ComplaintModel.countDocuments({
        workspaceId: `teams:${h.tenantId}`,
        title: "Erin's confidential complaint",
      }),
    ).toBe(1);
  });

  it("markdown links and HTML in a title stay literal in the triage post's text and card and in the reporter's DM", async () => {
    const hostile = '[click me](https://evil.example) <a href="https://evil.example">harmless</a> **bold**';
    // What Teams reads as markdown: a message's text, and each TextBlock of its card (TextRuns are literal).
    const rendered = (body: Record<string, unknown>) => {
      const found = [String(body.text ?? "")];
      JSON.stringify(body.attachments ?? [], (_key, value) => {
        if (
          value &&
          typeof value === "object" &&
          value.type === "TextBlock" &&
          typeof value.text === "string"
        )
          found.push(value.text);
        return value;
      });
      return found;
    };
    const expectLiteral = (body: Record<string, unknown>, what: string) => {
      for (const text of rendered(body)) expect(text, what).not.toMatch(/(?<!\\)\]\(https:\/\/evil/);
      // A card's TextBlock shows HTML as typed; the message's text is read as HTML too.
      expect(String(body.text ?? ""), what).not.toContain("<a href");
      expect(rendered(body).join("\n"), what).toContain("click me");
    };
    const form = (await say(h, erin, "complaint")).attachments?.[0]?.content;
    const logged = await submit(h, erin, form, { title: hostile, severity: "high", category: "product" });
    const ref = /CMP-\d{4}-\d{4}/.exec(textOf(logged.card))?.[0] ?? "";
    const triage = await h.connector.waitFor(() =>
      h.connector.sent(QUALITY_CONVERSATION).find((c) => String(c.body.text).startsWith(`${ref} (high) new`)),
    );
    expectLiteral(triage.body, "the triage post");
    expect(String(triage.body.text)).toContain("&lt;a href");

    await pressOn(
      h,
      quinn,
      postedCard(h, QUALITY_CONVERSATION, ref),
      "complaint.accept",
      {},
      { conversationId: QUALITY_CONVERSATION },
    );
    const told = await h.connector.waitFor(() =>
      h.connector.sent().find((c) => String(c.body.text).includes(`Your complaint ${ref} was accepted by`)),
    );
    expect(String(told.body.text)).not.toContain("<a href");
    const update = await h.connector.waitFor(() =>
      h.connector.updates(QUALITY_CONVERSATION).find((c) => JSON.stringify(c.body).includes(ref)),
    );
    expectLiteral(update.body, "the triage post's update");
  });

  it("a press that carries another tenant's record is refused and changes nothing", async () => {
    const form = (await say(h, erin, "complaint")).attachments?.[0]?.content;
    const logged = await submit(h, erin, form, {
      title: "Cross-tenant press",
      severity: "low",
      category: "product",
    });
    const ref = /CMP-\d{4}-\d{4}/.exec(textOf(logged.card))?.[0] ?? "";
    const triage = await h.connector.waitFor(() => postedCard(h, QUALITY_CONVERSATION, ref));
    expect(executesOf(triage).find((e) => e.verb === "complaint.accept")?.data.ws).toBe(
      `teams:${h.tenantId}`,
    );
    // The same card's button, as a message shared from another tenant would carry it.
    const refused = await pressOn(
      h,
      quinn,
      triage,
      "complaint.accept",
      { ws: "teams:another-tenant" },
      { conversationId: QUALITY_CONVERSATION },
    );
    expect(textOf(refused.card)).toContain("belongs to another workspace's record");
    const complaint = await ComplaintModel.findOne({ workspaceId: `teams:${h.tenantId}`, ref }).lean();
    expect(complaint?.state).toBe("new");
    expect(await HistoryEventModel.countDocuments({ recordKey: complaint?._id, type: "accepted" })).toBe(0);
  });

  it("a message typed while the app's install is being handled keeps the time zone it reported (one write never overwrites the other)", async () => {
    const people = Array.from({ length: 6 }, (_, i) => teamsUser(`Racer ${i}`));
    const answered = await Promise.all(
      people.flatMap((person) => [
        post(h, {
          ...base(h, person),
          type: "conversationUpdate",
          membersAdded: [{ id: "28:qops-bot", name: "QOps" }],
        }),
        post(h, { ...base(h, person), type: "message", text: "qms help", localTimezone: "Asia/Tokyo" }),
      ]),
    );
    expect(answered.map((r) => r.status)).toEqual(answered.map(() => 200));
    for (const person of people) {
      const key = `teams:${h.tenantId}/zone/${person.aadObjectId}`;
      const zone = await poll(() => ReportedZoneModel.findById(key).lean());
      expect(zone.zone, person.name).toBe("Asia/Tokyo");
      const contact = await poll(() =>
        ContactModel.findById(`teams:${h.tenantId}/member/${person.aadObjectId}`).lean(),
      );
      expect((contact.reference as { conversation?: { id?: string } }).conversation?.id).toBe(
        `a:personal-${person.id}`,
      );
    }
  });
});
