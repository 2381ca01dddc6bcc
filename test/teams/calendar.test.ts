import { describe, expect, it } from "vitest";
import { InternalAuditModel, QualityObjectiveModel } from "../helpers/models.js";
import {
  formIdOf,
  installInTeam,
  post,
  press,
  QUALITY_CONVERSATION,
  say,
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

describe("Teams: audits and objectives over HTTP, the same commands as Slack", () => {
  it("the audit form card validates, refuses an auditor auditing their own process, and schedules", async () => {
    h.connector.rosters.set(
      TEAM_ID,
      [quinn, ada, omar].map((u) => ({ id: u.id, name: u.name, aadObjectId: u.aadObjectId })),
    );
    await installInTeam(h, quinn);
    await say(h, quinn, "qms setup", { conversationId: QUALITY_CONVERSATION });
    for (const u of [ada, omar]) await say(h, u, "help");
    expect(
      (await say(h, quinn, `audit programme set Purchasing 2 <at>${omar.name}</at>`, { mentions: [omar] }))
        .text,
    ).toContain("Purchasing is audited 2 times a year");

    const form = (await say(h, quinn, "audit")).attachments?.[0]?.content;
    expect(textOf(form)).toContain("Schedule an internal audit");
    const formId = formIdOf(form);
    const empty = await press(h, quinn, "audit.submit", { formId, process: "" });
    expect(textOf(empty.card)).toContain("Choose the lead auditor.");
    expect(textOf(empty.card)).toContain("Name the process or area audited.");
    const values = {
      formId,
      process: "Purchasing",
      clauses: "8.4",
      date: "2026-11-20",
      checklist: "Supplier list approved?",
      auditees: omar.aadObjectId,
    };
    const refused = await press(h, quinn, "audit.submit", { ...values, leadAuditor: omar.aadObjectId });
    expect(textOf(refused.card)).toContain("is an auditee of this audit and cannot also audit it");
    expect(await InternalAuditModel.countDocuments({})).toBe(0);
    const done = await press(h, quinn, "audit.submit", { ...values, leadAuditor: ada.aadObjectId });
    expect(textOf(done.card)).toMatch(
      /AUD-\d{4}-0001 scheduled by Quinn Manager: Purchasing on 20 Nov 2026, lead auditor Ada Auditor/,
    );
    expect(verbsOf(done.card)).toEqual(["audit.start"]);
    // The auditor finds it among their items.
    const mine = await say(h, ada, "qms mine");
    expect(textOf(mine.attachments?.[0]?.content)).toMatch(
      /AUD-\d{4}-0001 · scheduled · 20 Nov 2026 · Purchasing · Ada Auditor/,
    );
  });

  it("the lead auditor starts from the card, records a finding by typing, and reports; the action is raised for the process owner", async () => {
    const audit = await InternalAuditModel.findOne({}).lean();
    const ref = audit?.ref ?? "";
    expect(textOf((await press(h, omar, "audit.start", { ref })).card)).toContain("Only the owner of");
    expect(textOf((await press(h, ada, "audit.start", { ref })).card)).toContain(
      `${ref} started by Ada Auditor`,
    );
    const finding = await say(h, ada, `audit ${ref} finding major 8.4.1 No supplier evaluation records`);
    expect(finding.text).toMatch(/Corrective action CA-\d{4}-\d{4} was raised for Omar Owner/);
    const reported = await press(h, ada, "audit.report", { ref });
    expect(textOf(reported.card)).toContain(`${ref} reported by Ada Auditor with 1 finding`);
    expect(verbsOf(reported.card)).toEqual(["audit.close"]);
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
    const bad = await press(h, omar, "objective.record", { ref: objective?.ref, value: "lots" });
    expect(textOf(bad.card)).toContain("Give the value as a number");
    const recorded = await press(h, omar, "objective.record", {
      ref: objective?.ref,
      value: "1.5",
      period: "2026-Q3",
    });
    expect(textOf(recorded.card)).toContain(
      "Scrap rate: 1.5% recorded for 2026-Q3 by Omar Owner — on target",
    );
  });

  it("a review's minutes are approved from the card by top management; a document review is recorded from its card", async () => {
    const tara = teamsUser("Tara Top");
    await say(h, tara, "help");
    await say(h, quinn, `qms roles grant <at>${tara.name}</at> top_management`, { mentions: [tara] });
    const scheduled = await say(h, quinn, "review schedule 2026-11-20");
    const ref = /MR-\d{4}-\d{4}/.exec(scheduled.text)?.[0] ?? "";
    const minutes = await say(h, quinn, `review ${ref} minutes Audit capacity is short.`);
    expect(verbsOf(minutes.attachments?.[0]?.content)).toEqual(["review.approve_minutes"]);
    expect(textOf((await press(h, quinn, "review.approve_minutes", { ref })).card)).toContain(
      "Only top management can approve",
    );
    expect(textOf((await press(h, tara, "review.approve_minutes", { ref })).card)).toMatch(
      new RegExp(
        `Minutes of ${ref} approved by Tara Top\\. The next review, MR-\\d{4}-\\d{4}, is scheduled for 20 Nov 2027`,
      ),
    );

    const added = await say(
      h,
      quinn,
      `qms docs add manual 2 12 <at>${omar.name}</at> https://docs.example.com/qm Quality manual`,
      { mentions: [omar] },
    );
    const doc = /DOC-\d{4}-\d{4}/.exec(added.text)?.[0] ?? "";
    expect(textOf((await press(h, ada, "document.reviewed", { ref: doc })).card)).toContain(
      "Only the owner of",
    );
    expect(textOf((await press(h, omar, "document.reviewed", { ref: doc })).card)).toContain(
      `${doc} reviewed with no change by Omar Owner; next review 2 Nov 2027`,
    );
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
      value: { action: { type: "Action.Execute", verb: "audit.start", data: { ref: "AUD-2026-0001" } } },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("did not say who sent it");
  });
});
