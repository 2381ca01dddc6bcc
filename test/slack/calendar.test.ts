import { describe, expect, it } from "vitest";
import {
  ControlledDocumentModel,
  HistoryEventModel,
  InternalAuditModel,
  ManagementReviewModel,
  QualityObjectiveModel,
  WorkspaceModel,
} from "../helpers/models.js";
import { poll } from "../helpers/poll.js";
import { allText, employee, owner, qm, setUpWorkspace, useSlackApp } from "../helpers/slackHarness.js";

// Monday 2 Nov 2026.
const clock = { t: new Date("2026-11-02T10:00:00Z"), now: () => clock.t };
const h = useSlackApp({ clock });
const auditor = { id: "UAUDIT", name: "Ada Auditor" };

async function command(command: string, text: string, user = qm) {
  const c = h.slack.command(command, text, user);
  await c.send();
  return allText(await h.fake.waitForResponse(c.responseId));
}

describe("Slack: audits, reviews, documents and objectives over HTTP", () => {
  it("/audit opens the form; an impartiality conflict comes back on the form; a valid one schedules and tells the people", async () => {
    await setUpWorkspace(h);
    // Competent auditors (ISO 9001 9.2.2): Omar too, so that what refuses him is his own process.
    for (const person of [auditor, owner])
      expect(await command("/qms", `roles grant <@${person.id}|${person.name}> auditor`)).toContain(
        `Granted auditor to <@${person.id}>`,
      );
    await command("/audit", "programme set Purchasing 2 <@UOWN1|Omar Owner>");
    const open = h.slack.command("/audit", "", qm);
    await open.send();
    await h.fake.waitForCall("views.open", (c) => allText(c.args).includes("Schedule an audit"));

    const form = (lead: string) => ({
      process: { value: "Purchasing" },
      clauses: { value: "8.4, 8.4.1" },
      leadAuditor: { user: lead },
      auditees: { users: ["UEMP1"] },
      date: { date: "2026-11-20" },
      checklist: { value: "Is the supplier list approved?\nAre deliveries checked?" },
    });
    const refused = await h.slack.submitView("audit.schedule", form(owner.id), qm);
    const body = JSON.parse(refused.body);
    expect(body.response_action).toBe("errors");
    expect(body.errors.leadAuditor).toContain('owns the process "Purchasing" and cannot audit it');
    expect(await InternalAuditModel.countDocuments({ workspaceId: `slack:${h.teamId}` })).toBe(0);

    const ok = await h.slack.submitView("audit.schedule", form(auditor.id), qm);
    expect(ok.status).toBe(200);
    const audit = await poll(() => InternalAuditModel.findOne({ workspaceId: `slack:${h.teamId}` }).lean());
    expect(audit).toMatchObject({
      process: "Purchasing",
      clauses: ["8.4", "8.4.1"],
      state: "scheduled",
      checklist: ["Is the supplier list approved?", "Are deliveries checked?"],
    });
    await h.fake.waitForCall(
      "chat.postMessage",
      (c) => h.fake.isDm(c, qm.id) && allText(c.args).includes(`${audit.ref} scheduled by`),
    );
  });

  it("the auditor starts, records a nonconformity (which raises an action) and reports with the button; the QM cannot close it while the action is open", async () => {
    const audit = await InternalAuditModel.findOne({ workspaceId: `slack:${h.teamId}` }).lean();
    const ref = audit?.ref ?? "";
    expect(await command("/audit", `${ref} start`, employee)).toContain(
      "Only the lead auditor or a quality manager can start this audit",
    );
    expect(await command("/audit", `${ref} start`, auditor)).toContain(`${ref} started by Ada Auditor`);
    // The workspace's days for a finding's action, set over Slack (QMs only).
    expect(await command("/qms", "finding-days 10 20", auditor)).toContain("Only a quality manager");
    expect(await command("/qms", "finding-days 10 20")).toContain("from a minor one 20 days");
    const finding = await command(
      "/audit",
      `${ref} finding minor 8.4.1 The approved supplier list is from 2023`,
      auditor,
    );
    expect(finding).toContain("due 22 Nov 2026");
    expect(finding).toMatch(/Finding F1 \(minor nonconformity, clause 8.4.1\) recorded/);
    expect(finding).toMatch(/Corrective action CA-\d{4}-\d{4} was raised for Omar Owner, due /);
    // The report (ISO 19011 6.5): criteria and a strength typed, the rest on the form the button opens.
    expect(
      await command("/audit", `${ref} criteria ISO 9001:2015 8.4; procedure P-7 Purchasing`, auditor),
    ).toContain("Still to do before the report: 2 checklist questions and the conclusion");
    expect(await command("/audit", `${ref} strength Buyers know the approved list`, employee)).toContain(
      "Only the lead auditor of this audit can record strengths",
    );
    await command("/audit", `${ref} strength Buyers know the approved list`, auditor);
    expect(await command("/audit", `${ref} check 3 conforming Seen`, auditor)).toContain(
      "Give the question's number, 1 to 2",
    );
    await command(
      "/audit",
      `${ref} check 2 conforming Goods-in checks signed for every delivery sampled`,
      auditor,
    );
    const report = h.slack.button("audit.report", ref, auditor, { channel: "DAUDIT", ts: "1.1" });
    await report.send();
    const modal = await h.fake.waitForCall(
      "views.open",
      (c) => (c.args.view as { callback_id?: string }).callback_id === "audit.report",
    );
    const modalText = allText(modal.args);
    expect(modalText).toContain("1. Is the supplier list approved?");
    expect(modalText).not.toContain("2. Are deliveries checked?");
    const metadata = String((modal.args.view as { private_metadata?: string }).private_metadata);
    const incomplete = await h.slack.submitView("audit.report", { q1: { option: "finding" } }, auditor, {
      privateMetadata: metadata,
    });
    expect(JSON.parse(incomplete.body)).toMatchObject({
      response_action: "errors",
      errors: { q1evidence: expect.stringContaining("Describe the evidence") },
    });
    expect((await InternalAuditModel.findOne({ ref }).lean())?.state).toBe("in_progress");
    await h.slack.submitView(
      "audit.report",
      {
        q1: { option: "finding" },
        q1evidence: { value: "Approved list dated 2023, see F1" },
        conclusion: { option: "partly_effective" },
        conclusionText: { value: "Purchasing works day to day; supplier evaluation has lapsed." },
      },
      auditor,
      { privateMetadata: metadata },
    );
    await h.fake.waitForCall(
      "chat.postMessage",
      (c) =>
        h.fake.isDm(c, auditor.id) &&
        allText(c.args).includes(`${ref} reported by Ada Auditor with 1 finding`),
    );
    const issued = await command("/audit", `${ref} report`, owner);
    for (const line of [
      `Internal audit report ${ref}`,
      "ISO 9001:2015 8.4; procedure P-7 Purchasing",
      "1. Is the supplier list approved? — finding: Approved list dated 2023, see F1",
      "2. Are deliveries checked? — conforming: Goods-in checks signed for every delivery sampled",
      "F1: minor nonconformity, clause 8.4.1: The approved supplier list is from 2023 → corrective action CA-",
      "Buyers know the approved list",
      "Purchasing is partly effective: Purchasing works day to day; supplier evaluation has lapsed.",
    ])
      expect(issued).toContain(line);
    // Erin is an auditee and reads it; a colleague the audit does not name is told who can.
    expect(await command("/audit", `${ref} report`, employee)).toContain(`Internal audit report ${ref}`);
    expect(await command("/audit", `${ref} report`, { id: "UOTHER", name: "Olga Other" })).toContain(
      `${ref} is not yours to see`,
    );
    expect(await command("/audit", `${ref} strength Too late`, auditor)).toContain("is reported");
    expect(await command("/audit", `${ref} close`)).toMatch(/cannot be closed yet: CA-\d{4}-\d{4} is open/);
    expect(await command("/audit", "list mine", auditor)).toContain("Internal audits — mine · 1 item");
    expect(await command("/audit", "programme 2026")).toContain("Purchasing: 1 of 2 done");
    // The raised action is among its owner's items.
    expect(await command("/qms", "mine", owner)).toMatch(/CA-\d{4}-\d{4}\* · open/);
  });

  it("/review schedules with top management, shows the pack, and /qms docs and /qms objectives keep their registers", async () => {
    expect(await command("/review", "schedule 2026-12-10")).toContain("nobody holds that role yet");
    await command("/qms", "roles grant <@UTOP|Tara Top> top_management");
    const scheduled = await command("/review", "schedule 2026-12-10");
    expect(scheduled).toMatch(/Management review MR-\d{4}-\d{4} scheduled by Quinn Manager for 10 Dec 2026/);
    const review = await ManagementReviewModel.findOne({ workspaceId: `slack:${h.teamId}` }).lean();
    const pack = await command("/review", `${review?.ref} pack`);
    expect(pack).toContain("c6) Audit results: 1 of 1 planned audits done; findings: major 0, minor 1");
    expect(pack).toContain("Performance of external providers (9.3.2 c7): to be filled in");
    // The pack holds every register's figures: an employee who does not attend is told who can read it.
    const refused = await command("/review", `${review?.ref} pack`, employee);
    expect(refused).toContain(`${review?.ref} is not yours to see`);
    expect(refused).not.toContain("Audit results");

    expect(
      await command(
        "/qms",
        "docs add procedure 3 12 <@UOWN1|Omar Owner> https://docs.example.com/p7 Purchasing procedure",
      ),
    ).toMatch(/DOC-\d{4}-\d{4} "Purchasing procedure" v3 registered/);
    expect(await command("/qms", "docs")).toContain("Purchasing procedure · v3");
    expect(
      await command("/qms", "objectives add at_least 95 % monthly <@UOWN1|Omar Owner> On-time delivery"),
    ).toMatch(/Objective OBJ-\d{4}-\d{4} set by Quinn Manager/);
    const objective = await QualityObjectiveModel.findOne({ workspaceId: `slack:${h.teamId}` }).lean();
    expect(await command("/qms", `objectives ${objective?.ref} record 93 2026-10`, owner)).toContain(
      "93% recorded for 2026-10 by Omar Owner — off target",
    );
    expect(await command("/qms", "objectives")).toContain(
      "On-time delivery: 93% (2026-10) · target ≥ 95% · ⚠️ off target",
    );
    expect(await command("/qms", `objectives ${objective?.ref} record 97`, employee)).toContain(
      "Only the owner of",
    );
    // `/qms status` shows the calendar too: audits against the programme, the next review,
    // documents due for review, objectives off target.
    const status = await command("/qms", "status");
    expect(status).toContain("Audits 2026");
    expect(status).toMatch(/\d+ of \d+ planned done/);
    expect(status).toContain(`${review?.ref} on 10 Dec 2026`);
    expect(status).toMatch(/Documents due for review:?\*? none/);
    expect(status).toMatch(/Objectives off target:?\*? On-time delivery/);
  });

  it("the buttons: top management approves the minutes, an owner records a document review and an objective's value", async () => {
    const top = { id: "UTOP", name: "Tara Top" };
    const review = await ManagementReviewModel.findOne({ workspaceId: `slack:${h.teamId}` }).lean();
    const ref = review?.ref ?? "";
    // Minutes are recorded from the meeting's day on.
    expect(await command("/review", `${ref} minutes Too early.`)).toContain("10 Dec 2026");
    clock.t = new Date("2026-12-10T15:00:00Z");
    expect(await command("/review", `${ref} minutes Resources are short; one more auditor.`)).toContain(
      `Minutes of ${ref} recorded by Quinn Manager`,
    );
    const refused = h.slack.button("review.approve_minutes", ref, qm, { channel: "DQM1", ts: "2.1" });
    await refused.send();
    expect(allText(await h.fake.waitForResponse(refused.responseId))).toContain(
      "Only top management can approve",
    );
    expect(await command("/review", `${ref} export`)).toContain(
      `The minutes of ${ref} are not approved yet (it is held)`,
    );
    const approve = h.slack.button("review.approve_minutes", ref, top, { channel: "DTOP", ts: "2.2" });
    await approve.send();
    expect(
      allText(await h.fake.waitForResponse(approve.responseId, (b) => allText(b).includes("✅"))),
    ).toMatch(
      new RegExp(`Minutes of ${ref} approved by Tara Top\\. The next review is scheduled for 10 Dec 2027`),
    );
    // The approved minutes are a record that can be exported, with the pack as it was presented.
    const packNow = await command("/review", `${ref} pack`);
    const exported = await command("/review", `${ref} export`, top);
    for (const line of [
      `# Management review ${ref}: approved minutes`,
      "Meeting: 10 Dec 2026",
      "Attendees: Tara Top",
      "Minutes approved by: Tara Top on 2026-12-10T15:00:00.000Z",
      "Resources are short; one more auditor.",
      "- c6) Audit results: 1 of 1 planned audits done",
      "SHA-256 of the text above: ",
    ])
      expect(exported).toContain(line);
    expect(packNow).toContain("c6) Audit results: 1 of 1 planned audits done");
    expect(await command("/review", `${ref} export`, { id: "UOTHER", name: "Olga Other" })).toContain(
      `${ref} is not yours to see`,
    );

    const doc = await ControlledDocumentModel.findOne({
      workspaceId: `slack:${h.teamId}`,
      documentType: "procedure",
    }).lean();
    const reviewed = h.slack.button("document.reviewed", doc?.ref ?? "", owner, {
      channel: "DOWN1",
      ts: "2.3",
    });
    await reviewed.send();
    expect(
      allText(await h.fake.waitForResponse(reviewed.responseId, (b) => allText(b).includes("✅"))),
    ).toContain(`${doc?.ref} reviewed with no change by Omar Owner; next review 10 Dec 2027`);

    const objective = await QualityObjectiveModel.findOne({ workspaceId: `slack:${h.teamId}` }).lean();
    await h.slack
      .button("objective.record", objective?.ref ?? "", owner, { channel: "DOWN1", ts: "2.4" })
      .send();
    const modal = await h.fake.waitForCall(
      "views.open",
      (c) =>
        // Slack cuts a modal's title at 24 characters; the form's id and its record say what it is.
        JSON.stringify(c.args).includes(`\\"ref\\":\\"${objective?.ref}\\"`) &&
        allText(c.args).includes("Record value"),
    );
    const metadata = String((modal.args.view as { private_metadata?: string }).private_metadata);
    expect((modal.args.view as { callback_id: string }).callback_id).toBe("objective.record");
    const bad = await h.slack.submitView("objective.record", { value: { value: "lots" } }, owner, {
      privateMetadata: metadata,
    });
    expect(JSON.parse(bad.body)).toMatchObject({
      response_action: "errors",
      errors: { value: "Give a number, e.g. 97.5." },
    });
    await h.slack.submitView(
      "objective.record",
      { value: { value: "96" }, period: { value: "2026-11" } },
      owner,
      {
        privateMetadata: metadata,
      },
    );
    await h.fake.waitForCall(
      "chat.postMessage",
      (c) =>
        h.fake.isDm(c, owner.id) &&
        allText(c.args).includes("96% recorded for 2026-11 by Omar Owner — on target"),
    );
  });

  it("/qms timezone and /qms audit-reminders change the workspace, and say so; bad values change nothing", async () => {
    expect(await command("/qms", "timezone Mars/Olympus")).toContain('"Mars/Olympus" is not a time zone');
    expect(await command("/qms", "timezone Europe/Berlin")).toContain(
      "time zone is now Europe/Berlin (changed by Quinn Manager)",
    );
    expect(await command("/qms", "audit-reminders 0 400")).toContain("between 1 and 90");
    expect(await command("/qms", "audit-reminders 30 7 1")).toContain(
      "reminded 30 and 7 and 1 days before an audit",
    );
    expect(await command("/qms", "timezone UTC", employee)).toContain("Only a quality manager can");
    const workspace = await WorkspaceModel.findOne({ workspaceId: `slack:${h.teamId}` }).lean();
    expect(workspace).toMatchObject({ timezone: "Europe/Berlin", auditReminderDays: [30, 7, 1] });
  });
  it("document versions as the team numbers them: a change summary is required, a QM approves before issue, the previous version becomes obsolete and only its owner, QMs and auditors can open it", async () => {
    clock.t = new Date("2026-12-14T10:00:00Z");
    const added = await command(
      "/qms",
      "docs add manual Rev B 12 <@UOWN1|Omar Owner> https://docs.example.com/qm-b Quality manual",
    );
    expect(added).toMatch(/DOC-\d{4}-\d{4} "Quality manual" Rev B registered and approved by Quinn Manager/);
    const ref = /DOC-\d{4}-\d{4}/.exec(added)?.[0] ?? "";
    expect(
      await command(
        "/qms",
        "docs add procedure 3.0 12 <@UOWN1|Omar Owner> https://docs.example.com/p9 Calibration",
      ),
    ).toContain('"Calibration" v3.0 registered');
    expect(
      await command("/qms", "docs add procedure three 12 <@UOWN1|Omar Owner> https://x.example.com/p Bad"),
    ).toContain("A version label such as 3.0, 2.1 or Rev C");

    // No change summary, a label already issued, an employee: refused, and nothing changes.
    const before = await ControlledDocumentModel.findOne({ workspaceId: `slack:${h.teamId}`, ref }).lean();
    expect(await command("/qms", `docs ${ref} version Rev C https://docs.example.com/qm-c`, owner)).toContain(
      "Say what changed in this version",
    );
    expect(
      await command("/qms", `docs ${ref} version rev b https://docs.example.com/qm-c Typo fixed`, owner),
    ).toContain("already had version Rev B");
    expect(
      await command("/qms", `docs ${ref} version Rev C https://docs.example.com/qm-c Typo fixed`, employee),
    ).toContain("Only the owner of");
    expect(await ControlledDocumentModel.findOne({ workspaceId: `slack:${h.teamId}`, ref }).lean()).toEqual(
      before,
    );

    expect(
      await command(
        "/qms",
        `docs ${ref} version Rev C https://docs.example.com/qm-c Supplier approval added (8.4)`,
        owner,
      ),
    ).toContain(
      `${ref} Rev C proposed by Omar Owner (Supplier approval added (8.4)); Rev B stays current until a quality manager approves it`,
    );
    // Until it is approved, everyone works from Rev B; the draft's link is for its owner and the QMs.
    const seenByEmployee = await command("/qms", `docs ${ref}`, employee);
    expect(seenByEmployee).toContain("https://docs.example.com/qm-b");
    expect(seenByEmployee).toContain("Rev C · awaiting approval · Supplier approval added (8.4)");
    expect(seenByEmployee).not.toContain("qm-c");
    expect(await command("/qms", `docs ${ref}`, owner)).toContain("https://docs.example.com/qm-c");
    expect(await command("/qms", `docs ${ref} approve`, owner)).toContain(
      "Only a quality manager can approve",
    );

    expect(await command("/qms", `docs ${ref} approve`)).toContain(
      `${ref} Rev C approved by Quinn Manager and issued; Rev B is now obsolete`,
    );
    await h.fake.waitForCall(
      "chat.postMessage",
      (c) => h.fake.isDm(c, owner.id) && allText(c.args).includes(`Quinn Manager approved ${ref} Rev C`),
    );
    const versions = await command("/qms", `docs ${ref} versions`, employee);
    expect(versions).toContain("Rev C · current · Supplier approval added (8.4)");
    expect(versions).toContain("Rev B · obsolete, do not use");
    expect(versions).not.toContain("qm-b");
    await command("/qms", `roles grant <@${auditor.id}|${auditor.name}> auditor`);
    expect(await command("/qms", `docs ${ref} versions`, auditor)).toContain("https://docs.example.com/qm-b");
    expect(await command("/qms", "docs")).toContain("Quality manual · Rev C");

    // The history says who proposed what and why, and who approved it.
    const doc = await ControlledDocumentModel.findOne({ workspaceId: `slack:${h.teamId}`, ref }).lean();
    const events = (await HistoryEventModel.find({ recordKey: doc?._id }).lean()).sort(
      (a, b) => a.seq - b.seq,
    );
    expect(events.map((e) => [e.type, e.actor.name, e.reason])).toEqual([
      ["created", "Quinn Manager", null],
      ["new_version_proposed", "Omar Owner", "version Rev C: Supplier approval added (8.4)"],
      ["version_approved", "Quinn Manager", null],
    ]);
  });
});
