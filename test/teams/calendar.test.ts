import { describe, expect, it } from "vitest";
import {
  ControlledDocumentModel,
  CorrectiveActionModel,
  InternalAuditModel,
  QualityObjectiveModel,
} from "../helpers/models.js";
import {
  installInTeam,
  post,
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

const clock = { t: new Date("2026-11-02T10:00:00Z"), now: () => clock.t };
const h = useTeamsApp({ clock });
const quinn = teamsUser("Quinn Manager");
const ada = teamsUser("Ada Auditor");
const omar = teamsUser("Omar Owner");
const tara = teamsUser("Tara Top");

/** What a record's card carries in its buttons' data: the workspace and the reference. */
const ws = () => `teams:${h.tenantId}`;

describe("Teams: audits and objectives over HTTP, the same commands as Slack", () => {
  it("the audit form card validates, refuses an auditor auditing their own process, and schedules", async () => {
    h.connector.rosters.set(
      TEAM_ID,
      [quinn, ada, omar, tara].map((u) => ({ id: u.id, name: u.name, aadObjectId: u.aadObjectId })),
    );
    await installInTeam(h, quinn);
    await say(h, quinn, "qms setup", { conversationId: QUALITY_CONVERSATION });
    for (const u of [ada, omar]) await say(h, u, "help");
    // Competent auditors (ISO 9001 9.2.2), Omar too: what refuses him below is impartiality.
    for (const u of [ada, omar])
      expect(
        (await say(h, quinn, `qms roles grant <at>${u.name}</at> auditor`, { mentions: [u] })).text,
      ).toContain(`Granted auditor to ${u.name}`);
    expect(
      (await say(h, quinn, `audit programme set Purchasing 2 <at>${omar.name}</at>`, { mentions: [omar] }))
        .text,
    ).toContain("Purchasing is audited 2 times a year");

    const form = (await say(h, quinn, "audit")).attachments?.[0]?.content;
    expect(textOf(form)).toContain("Schedule an audit");
    const empty = await submit(h, quinn, form, { process: "" });
    expect(textOf(empty.card)).toContain("Choose the lead auditor.");
    expect(textOf(empty.card)).toContain("Choose the audit date (YYYY-MM-DD).");
    expect(textOf(empty.card)).toContain("Name the process or area audited.");
    const values = {
      process: "Purchasing",
      clauses: "8.4",
      date: "2026-11-20",
      checklist: "Supplier list approved?",
      auditees: omar.aadObjectId,
    };
    const refused = await submit(h, quinn, form, { ...values, leadAuditor: omar.aadObjectId });
    expect(textOf(refused.card)).toContain("is an auditee of this audit and cannot also audit it");
    expect(await InternalAuditModel.countDocuments({})).toBe(0);
    const done = await submit(h, quinn, form, { ...values, leadAuditor: ada.aadObjectId });
    expect(textOf(done.card)).toMatch(
      /AUD-\d{4}-0001 scheduled by Quinn Manager: Purchasing on 20 Nov 2026, lead auditor Ada Auditor/,
    );
    expect(verbsOf(done.card)).toEqual(["audit.start"]);
    // The auditor finds it among their items.
    const mine = await say(h, ada, "qms mine");
    expect(textOf(mine.attachments?.[0]?.content)).toMatch(
      /AUD-\d{4}-0001\*\* · scheduled · 20 Nov 2026 · 🔍 Purchasing · lead Ada Auditor/,
    );
  });

  it("the lead auditor starts from the card, records a finding by typing, and reports; the action is raised for the process owner", async () => {
    const audit = await InternalAuditModel.findOne({}).lean();
    const ref = audit?.ref ?? "";
    expect(textOf((await press(h, omar, "audit.start", { ws: ws(), ref })).card)).toContain(
      "Only the lead auditor or a quality manager can start this audit",
    );
    expect(textOf((await press(h, ada, "audit.start", { ws: ws(), ref })).card)).toContain(
      `${ref} started by Ada Auditor`,
    );
    // The days a finding's action gets are the workspace's (QMs only); the auditor may give a day.
    expect((await say(h, ada, "qms finding-days 10 20")).text).toContain("Only a quality manager");
    expect((await say(h, quinn, "qms finding-days 10 20")).text).toContain("from a minor one 20 days");
    const finding = await say(
      h,
      ada,
      `audit ${ref} finding major 8.4.1 due 2026-12-31 No supplier evaluation records`,
    );
    expect(finding.text).toMatch(
      /Corrective action CA-\d{4}-\d{4} was raised for Omar Owner, due 31 Dec 2026/,
    );
    // The owner is told at once (it is 11:00 in Berlin), not when the report is issued.
    await h.connector.waitFor(() =>
      h.connector
        .sent(`a:personal-${omar.id}`)
        .find((c) => /Ada Auditor raised CA-\d{4}-\d{4} for you/.test(String(c.body.text))),
    );
    await say(h, ada, `audit ${ref} strength Buyers know the approved list`);
    await say(h, ada, `audit ${ref} finding opportunity 8.4.2 A supplier scorecard would show trends`);
    // Without a day, a minor nonconformity's action gets the workspace's 20 days (2 Nov + 20).
    expect((await say(h, ada, `audit ${ref} finding minor 7.5.3 Purchase orders unsigned`)).text).toMatch(
      /Corrective action CA-\d{4}-\d{4} was raised for Omar Owner, due 22 Nov 2026/,
    );
    // The report asks for what is missing, on the card; nothing is issued until it is complete.
    const form = await press(h, ada, "audit.report", { ws: ws(), ref });
    expect(textOf(form.card)).toContain("1. Supplier list approved?");
    const incomplete = await press(h, ada, "audit.report", { ws: ws(), ref, q1: "conforming" });
    expect(textOf(incomplete.card)).toContain("Describe the evidence seen");
    expect(textOf(incomplete.card)).toContain("Is the process effective, partly effective or not effective?");
    expect((await InternalAuditModel.findOne({ ref }).lean())?.state).toBe("in_progress");
    const reported = await press(h, ada, "audit.report", {
      ws: ws(),
      ref,
      q1: "finding",
      q1evidence: "No evaluation on file for 3 of 5 suppliers",
      conclusion: "partly_effective",
      conclusionText: "Orders are controlled; suppliers are not evaluated.",
    });
    expect(textOf(reported.card)).toContain(`${ref} reported by Ada Auditor with 3 findings`);
    // The major one kept the day the auditor gave.
    expect(await CorrectiveActionModel.findOne({ sourceRef: `${ref}#F1` }).lean()).toMatchObject({
      dueDay: "2026-12-31",
      owner: { name: "Omar Owner" },
    });
    const issued = textOf((await say(h, quinn, `audit ${ref} report`)).attachments?.[0]?.content);
    for (const line of [
      `Internal audit report ${ref}`,
      "Purchasing; ISO 9001 8.4",
      "ISO 9001:2015 clauses 8.4 and the documented information of Purchasing",
      "1. Supplier list approved? — finding: No evaluation on file for 3 of 5 suppliers",
      "F1: major nonconformity, clause 8.4.1",
      "Buyers know the approved list",
      "F2: clause 8.4.2: A supplier scorecard would show trends",
      "Purchasing is partly effective: Orders are controlled; suppliers are not evaluated.",
    ])
      expect(issued).toContain(line);
    expect((await say(h, tara, `audit ${ref} report`)).text).toContain(`${ref} is not yours to see`);
    // Closing is a quality manager's: the auditor's card offers nothing more.
    expect(verbsOf(reported.card)).toEqual([]);
  });

  it("an objective's owner records a value from the card's form", async () => {
    const added = await say(
      h,
      quinn,
      `qms objectives add at_most 2 % quarterly <at>${omar.name}</at> Scrap rate`,
      { mentions: [omar] },
    );
    expect(added.text).toMatch(/Objective OBJ-\d{4}-\d{4} set by Quinn Manager/);
    const objective = await QualityObjectiveModel.findOne({}).lean();
    const shown = await say(h, omar, `qms objectives ${objective?.ref}`);
    expect(verbsOf(shown.attachments?.[0]?.content)).toEqual(["objective.record"]);
    const bad = await press(h, omar, "objective.record", { ws: ws(), ref: objective?.ref, value: "lots" });
    expect(textOf(bad.card)).toContain("Give a number, e.g. 97.5.");
    const recorded = await press(h, omar, "objective.record", {
      ws: ws(),
      ref: objective?.ref,
      value: "1.5",
      period: "2026-Q3",
    });
    expect(textOf(recorded.card)).toContain(
      "Scrap rate: 1.5% recorded for 2026-Q3 by Omar Owner — on target",
    );
  });

  it("a review's minutes are approved from the card by top management; a document review is recorded from its card", async () => {
    await say(h, tara, "help");
    await say(h, quinn, `qms roles grant <at>${tara.name}</at> top_management`, { mentions: [tara] });
    // Held today: minutes are recorded from the meeting's day on.
    const scheduled = await say(h, quinn, "review schedule 2026-11-02");
    const ref = /MR-\d{4}-\d{4}/.exec(scheduled.text)?.[0] ?? "";
    const minutes = await say(h, quinn, `review ${ref} minutes Audit capacity is short.`);
    // The QM's card has no approve button: only top management may press it, and sees it.
    expect(verbsOf(minutes.attachments?.[0]?.content)).not.toContain("review.approve_minutes");
    expect(textOf((await press(h, quinn, "review.approve_minutes", { ws: ws(), ref })).card)).toContain(
      "Only top management can approve",
    );
    expect(textOf((await press(h, tara, "review.approve_minutes", { ws: ws(), ref })).card)).toMatch(
      new RegExp(`Minutes of ${ref} approved by Tara Top\\. The next review is scheduled for 2 Nov 2027`),
    );
    const exported = textOf((await say(h, tara, `review ${ref} export`)).attachments?.[0]?.content);
    expect(exported).toContain(`Management review ${ref}: approved minutes`);
    expect(exported).toContain("Minutes approved by: Tara Top");
    expect(exported).toContain("Audit capacity is short.");
    expect(exported).toContain("Inputs (ISO 9001 9.3.2), as presented");

    const added = await say(
      h,
      quinn,
      `qms docs add manual 2 12 <at>${omar.name}</at> https://docs.example.com/qm Quality manual`,
      { mentions: [omar] },
    );
    const doc = /DOC-\d{4}-\d{4}/.exec(added.text)?.[0] ?? "";
    expect(textOf((await press(h, ada, "document.reviewed", { ws: ws(), ref: doc })).card)).toContain(
      "Only the owner of",
    );
    expect(textOf((await press(h, omar, "document.reviewed", { ws: ws(), ref: doc })).card)).toContain(
      `${doc} reviewed with no change by Omar Owner; next review 2 Nov 2027`,
    );
    // `qms status` carries the calendar too, as on Slack: the next review is the one the
    // approval scheduled, the manual was just reviewed, the scrap rate is on target.
    const status = textOf((await say(h, quinn, "qms status")).attachments?.[0]?.content);
    expect(status).toContain("Audits 2026");
    expect(status).toMatch(/MR-\d{4}-\d{4} on 2 Nov 2027/);
    expect(status).toMatch(/Documents due for review\W+none/);
    expect(status).toMatch(/Objectives off target\W+none/);
  });

  it("a document's new version: typed with its label and what changed, sent back with a reason from the card, then approved from the card; the old version is obsolete", async () => {
    const added = await say(
      h,
      quinn,
      `qms docs add procedure 2.0 12 <at>${omar.name}</at> https://docs.example.com/cal-2 Calibration`,
      { mentions: [omar] },
    );
    expect(added.text).toMatch(/DOC-\d{4}-\d{4} "Calibration" v2.0 registered/);
    const doc = /DOC-\d{4}-\d{4}/.exec(added.text)?.[0] ?? "";
    expect(
      (await say(h, omar, `qms docs ${doc} version 2.1 https://docs.example.com/cal-21`)).text,
    ).toContain("Say what changed in this version");
    const proposed = await say(
      h,
      omar,
      `qms docs ${doc} version 2.1 https://docs.example.com/cal-21 Torque range widened`,
    );
    expect(proposed.text).toContain(
      `${doc} v2.1 proposed by Omar Owner (Torque range widened); v2.0 stays current`,
    );
    // The QM's card offers approve and reject; the reject asks for a reason first.
    const card = (await say(h, quinn, `qms docs ${doc}`)).attachments?.[0]?.content;
    expect(verbsOf(card)).toEqual(["document.approve", "document.reject"]);
    expect(
      textOf((await press(h, quinn, "document.reject", { ws: ws(), ref: doc, reason: "" })).card),
    ).toContain("Please give a reason");
    expect(
      textOf(
        (await press(h, quinn, "document.reject", { ws: ws(), ref: doc, reason: "Cite the new standard" }))
          .card,
      ),
    ).toContain(`${doc}: the proposed version was not approved by Quinn Manager; v2.0 stays current`);
    // A label that was not approved can be proposed again.
    await say(
      h,
      omar,
      `qms docs ${doc} version 2.1 https://docs.example.com/cal-21b Torque range widened per ISO 6789`,
    );
    expect(textOf((await press(h, omar, "document.approve", { ws: ws(), ref: doc })).card)).toContain(
      "Only a quality manager can approve",
    );
    expect(textOf((await press(h, quinn, "document.approve", { ws: ws(), ref: doc })).card)).toContain(
      `${doc} v2.1 approved by Quinn Manager and issued; v2.0 is now obsolete`,
    );
    const versions = (await say(h, omar, `qms docs ${doc} versions`)).attachments?.[0]?.content;
    expect(textOf(versions)).toContain("v2.1 · current · Torque range widened per ISO 6789");
    expect(textOf(versions)).toContain("v2.1 · not approved · Torque range widened");
    expect(textOf(versions)).toContain("not approved: Cite the new standard");
    expect(textOf(versions)).toContain("v2.0 · obsolete, do not use");
    const stored = await ControlledDocumentModel.findOne({ ref: doc }).lean();
    expect(stored).toMatchObject({
      versionLabel: "2.1",
      link: "https://docs.example.com/cal-21b",
      state: "published",
    });
  });

  it("workspace settings are typed like in Slack; an activity without a sender is refused with 400", async () => {
    expect((await say(h, quinn, "qms timezone Asia/Tokyo")).text).toContain(
      "time zone is now Asia/Tokyo (changed by Quinn Manager)",
    );
    expect((await say(h, quinn, "qms audit-reminders 7")).text).toContain("reminded 7 days before an audit");
    expect((await say(h, omar, "qms audit-reminders 3")).text).toContain("Only a quality manager can");
    const response = await post(h, {
      type: "invoke",
      name: "adaptiveCard/action",
      serviceUrl: h.connector.url,
      conversation: { id: "a:nobody", tenantId: h.tenantId },
      recipient: { id: "28:qops-bot" },
      value: {
        action: { type: "Action.Execute", verb: "audit.start", data: { ws: ws(), ref: "AUD-2026-0001" } },
      },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("did not say who sent it");
  });
});
