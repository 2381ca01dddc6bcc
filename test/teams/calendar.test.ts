import { describe, expect, it } from "vitest";
import { InternalAuditModel, QualityObjectiveModel } from "../../src/models/index.js";
import {
  formIdOf,
  installInTeam,
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
});
