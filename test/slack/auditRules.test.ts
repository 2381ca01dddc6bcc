import { beforeAll, describe, expect, it } from "vitest";
import { deliverDue } from "../../src/jobs/deliverDue.js";
import { createLogger } from "../../src/logger.js";
import type { InternalAudit } from "../../src/records/audit/model.js";
import { slackJobDeps } from "../helpers/jobs.js";
import { InternalAuditModel, ManagementReviewModel, ReminderDeliveryModel } from "../helpers/models.js";
import { poll } from "../helpers/poll.js";
import {
  allText,
  BOT_TOKEN,
  employee,
  owner,
  qm,
  setUpWorkspace,
  useSlackApp,
} from "../helpers/slackHarness.js";
import type { SimUser } from "../helpers/slackRequests.js";

// Monday 2 Nov 2026, 09:01 UTC: 10:01 in Berlin, 04:01 in New York.
const clock = { t: new Date("2026-11-02T09:01:00Z"), now: () => clock.t };
const h = useSlackApp({ clock });
const ada: SimUser = { id: "UADA", name: "Ada Auditor" };
const nina: SimUser = { id: "UNINA", name: "Nina NewYork" };
const ws = () => `slack:${h.teamId}`;

async function command(name: string, text: string, user = qm) {
  const c = h.slack.command(name, text, user);
  await c.send();
  return allText(await h.fake.waitForResponse(c.responseId));
}

const logger = createLogger("silent", false);
const jobDeps = () => slackJobDeps(logger, clock, BOT_TOKEN, h.fake.apiUrl);

const auditOf = async (process: string, state: InternalAudit["state"]) =>
  (await InternalAuditModel.find({ workspaceId: ws(), process, state }).lean())[0];

beforeAll(async () => {
  h.fake.directory = [
    { id: qm.id, name: "quinn", real_name: qm.name, tz: "Europe/Berlin" },
    { id: ada.id, name: "ada", real_name: ada.name, tz: "Europe/Berlin" },
    { id: nina.id, name: "nina", real_name: nina.name, tz: "America/New_York" },
    { id: employee.id, name: "erin", real_name: employee.name, tz: "Europe/Berlin" },
    { id: owner.id, name: "omar", real_name: owner.name, tz: "Europe/Berlin" },
  ];
  await setUpWorkspace(h);
  // The daily member sync: names and each person's time zone, as Slack reports them.
  await jobDeps().tasks.syncAllMembers(clock.now());
});

describe("Slack: the audit rules an auditor checks (issue 14, points 1 to 5)", () => {
  it("only auditors lead audits, on the form and when staffing a planned audit; a QM not named in the audit records no finding", async () => {
    await command("/audit", "programme set Purchasing 2 <@UOWN1|Omar Owner>");
    const form = (lead: string) => ({
      process: { value: "Warehouse" },
      clauses: { value: "8.5" },
      leadAuditor: { user: lead },
      auditees: { users: [nina.id] },
      date: { date: "2026-11-20" },
      checklist: { value: "" },
    });
    const refused = JSON.parse((await h.slack.submitView("audit.schedule", form(employee.id), qm)).body);
    expect(refused.errors.leadAuditor).toContain("Erin Employee does not hold the auditor role");
    expect(await InternalAuditModel.countDocuments({ workspaceId: ws(), process: "Warehouse" })).toBe(0);

    expect(await command("/audit", "programme generate 2026")).toContain("2 planned audits created for 2026");
    const planned = await auditOf("Purchasing", "planned");
    expect(
      await command("/audit", `${planned?.ref} schedule <@${employee.id}|Erin Employee> 2026-11-23`),
    ).toContain("Erin Employee does not hold the auditor role");
    expect((await InternalAuditModel.findOne({ ref: planned?.ref }).lean())?.state).toBe("planned");

    await command("/qms", `roles grant <@${ada.id}|${ada.name}> auditor`);
    expect(
      await command(
        "/audit",
        `${planned?.ref} schedule <@${ada.id}|${ada.name}> 2026-11-23 <@${nina.id}|${nina.name}>`,
      ),
    ).toContain(
      `${planned?.ref} scheduled by Quinn Manager for 23 Nov 2026 with Ada Auditor as lead auditor`,
    );
    expect(await command("/audit", `${planned?.ref} start`, ada)).toContain("started by Ada Auditor");
    expect(await command("/audit", `${planned?.ref} finding minor 8.4.1 No evaluation`)).toContain(
      "Only the lead auditor of this audit can record findings",
    );
    expect((await InternalAuditModel.findOne({ ref: planned?.ref }).lean())?.findings).toEqual([]);
  });

  it("an audit's notice waits for each person's working hours: Ada in Berlin hears now, Nina in New York at 09:00 hers", async () => {
    const scheduled = await h.slack.submitView(
      "audit.schedule",
      {
        process: { value: "Warehouse" },
        clauses: { value: "8.5" },
        leadAuditor: { user: ada.id },
        auditees: { users: [nina.id] },
        date: { date: "2026-11-20" },
        checklist: { value: "" },
      },
      qm,
    );
    expect(scheduled.status).toBe(200);
    const audit = await poll(() => auditOf("Warehouse", "scheduled"));
    await h.fake.waitForDm(ada.id, (c) => allText(c.args).includes(`scheduled internal audit ${audit.ref}`));
    // Recorded at 04:01 New York time, postponed to her 09:00, not sent before.
    const toNina = await poll(() =>
      ReminderDeliveryModel.findOne({
        recipientId: nina.id,
        occasion: { $regex: `^${audit.ref}:1:scheduled` },
      })
        .lean()
        .then((d) => (d && d.notBefore.getTime() > clock.t.getTime() ? d : null)),
    );
    expect(toNina.notBefore.toISOString()).toBe("2026-11-02T14:00:00.000Z");
    expect(h.fake.dmsTo(nina.id).filter((m) => allText(m).includes(audit.ref ?? ""))).toEqual([]);
    clock.t = new Date("2026-11-02T14:00:05Z");
    await deliverDue(jobDeps());
    await h.fake.waitForDm(nina.id, (c) => allText(c.args).includes(`scheduled internal audit ${audit.ref}`));
  });

  it("the programme counts an audit already held; a programme audit stays in its year; minutes wait for the meeting; a replaced reading is named", async () => {
    clock.t = new Date("2026-11-23T10:00:00Z");
    const held = await auditOf("Purchasing", "in_progress");
    await command("/audit", `${held?.ref} conclusion effective Supplier control works`, ada);
    expect(await command("/audit", `${held?.ref} report`, ada)).toContain(
      `${held?.ref} reported by Ada Auditor`,
    );
    // Twice a year: one planned and one held, so nothing more to generate.
    expect(await command("/audit", "programme generate 2026")).toContain(
      "0 planned audits created for 2026 by Quinn Manager (2 already planned or held)",
    );
    expect(await command("/audit", "programme 2026")).toContain("Purchasing: 1 of 2 done");
    const planned = await auditOf("Purchasing", "planned");
    expect(await command("/audit", `${planned?.ref} schedule <@${ada.id}|${ada.name}> 2027-01-12`)).toContain(
      `${planned?.ref} is in the 2026 audit programme; schedule it within 2026`,
    );
    expect((await InternalAuditModel.findOne({ ref: planned?.ref }).lean())?.day).not.toBe("2027-01-12");

    await command("/qms", `roles grant <@${owner.id}|${owner.name}> top_management`);
    // Attendees are anyone, the QM too, as long as top management is there.
    expect(
      await command("/review", `schedule 2026-12-22 <@${qm.id}|${qm.name}> <@${ada.id}|${ada.name}>`),
    ).toContain("top management");
    expect(
      await command("/review", `schedule 2026-12-22 <@${qm.id}|${qm.name}> <@${owner.id}|${owner.name}>`),
    ).toMatch(/Management review MR-\d{4}-\d{4} scheduled by Quinn Manager for 22 Dec 2026/);
    expect(
      (await ManagementReviewModel.findOne({ workspaceId: ws(), day: "2026-12-22" }).lean())?.attendees,
    ).toEqual([
      { id: qm.id, name: qm.name },
      { id: owner.id, name: owner.name },
    ]);
    const review = await command("/review", "schedule 2026-12-21");
    const mr = /MR-\d{4}-\d{4}/.exec(review)?.[0] ?? "";
    expect(await command("/review", `${mr} minutes Held early`)).toContain(
      `${mr} is on 21 Dec 2026; its minutes can be recorded from that day on`,
    );

    await command("/qms", "objectives add at_least 95 % monthly <@UOWN1|Omar Owner> On-time delivery");
    const objective = /OBJ-\d{4}-\d{4}/.exec(await command("/qms", "objectives"))?.[0] ?? "";
    await command("/qms", `objectives ${objective} record 99 2026-10`, owner);
    clock.t = new Date("2026-11-24T10:00:00Z");
    expect(await command("/qms", `objectives ${objective} record 96 2026-10`, owner)).toContain(
      "It replaced 99% (recorded by Omar Owner on <!date^1795428000^{date_short_pretty} {time}|23 Nov 2026, 10:00 UTC>)",
    );

    // The Warehouse audit of 20 Nov was never started: ten days on, nobody is chased for its report.
    clock.t = new Date("2026-11-30T10:00:00Z");
    const neverStarted = await auditOf("Warehouse", "scheduled");
    await jobDeps().tasks.recordReminders(clock.now());
    expect(
      await ReminderDeliveryModel.countDocuments({
        occasion: { $regex: `^audit:${neverStarted?.ref}:report` },
      }),
    ).toBe(0);
    expect(await command("/audit", "programme 2026")).toContain("Purchasing: 1 of 2 done");
  });
});
