import { beforeAll, describe, expect, it } from "vitest";
import { deliverDue } from "../../src/jobs/deliverDue.js";
import type { JobDeps } from "../../src/jobs/deps.js";
import { createLogger } from "../../src/logger.js";
import type { InternalAudit } from "../../src/records/audit/model.js";
import { teamsJobDeps } from "../helpers/jobs.js";
import { InternalAuditModel, ReminderDeliveryModel } from "../helpers/models.js";
import { poll } from "../helpers/poll.js";
import {
  installInTeam,
  QUALITY_CONVERSATION,
  say,
  submit,
  TEAM_ID,
  teamsUser,
  textOf,
  useTeamsApp,
} from "../helpers/teamsHarness.js";

// Monday 2 Nov 2026, 09:01 UTC: 10:01 in Berlin, 04:01 in New York.
const clock = { t: new Date("2026-11-02T09:01:00Z"), now: () => clock.t };
const h = useTeamsApp({ clock });
const logger = createLogger("silent", false);
const quinn = teamsUser("Quinn Manager");
const ada = teamsUser("Ada Auditor");
const nina = teamsUser("Nina NewYork");
const erin = teamsUser("Erin Employee");
const omar = teamsUser("Omar Owner");

const jobDeps = (): JobDeps => teamsJobDeps(logger, clock);
const auditOf = async (process: string, state: InternalAudit["state"]) =>
  (await InternalAuditModel.find({ process, state }).lean())[0];
const mention = (u: typeof ada) => ({ text: `<at>${u.name}</at>`, where: { mentions: [u] } });
/** What the person reads of the reply: its text and its card. */
const sayTo = async (from: typeof ada, text: string, people: (typeof ada)[] = []) => {
  const reply = await say(h, from, text, { mentions: people });
  return `${reply.text}\n${textOf(reply.attachments?.[0]?.content)}`;
};

beforeAll(async () => {
  h.connector.rosters.set(
    TEAM_ID,
    [quinn, ada, nina, erin, omar].map((u) => ({ id: u.id, name: u.name, aadObjectId: u.aadObjectId })),
  );
  await installInTeam(h, quinn);
  await say(h, quinn, "qms setup", { conversationId: QUALITY_CONVERSATION });
  for (const u of [ada, erin, omar]) await say(h, u, "help");
  // Nina's Teams client reports New York.
  await say(h, nina, "help", { timezone: "America/New_York" });
  // The daily member sync reads the team's roster: everyone in it is a member, with a name.
  await jobDeps().tasks.syncAllMembers(clock.now());
});

describe("Teams: the audit rules an auditor checks (issue 14, points 1 to 5)", () => {
  it("only auditors lead audits, on the form card and when staffing a planned audit; a QM not named in the audit records no finding", async () => {
    await sayTo(quinn, `audit programme set Purchasing 2 ${mention(omar).text}`, [omar]);
    const form = (await say(h, quinn, "audit")).attachments?.[0]?.content;
    const values = { process: "Warehouse", clauses: "8.5", date: "2026-11-20", auditees: nina.aadObjectId };
    const refused = await submit(h, quinn, form, { ...values, leadAuditor: erin.aadObjectId });
    expect(textOf(refused.card)).toContain("Erin Employee does not hold the auditor role");
    expect(await InternalAuditModel.countDocuments({ process: "Warehouse" })).toBe(0);

    expect(await sayTo(quinn, "audit programme generate 2026")).toContain(
      "2 planned audits created for 2026",
    );
    const planned = await auditOf("Purchasing", "planned");
    expect(
      await sayTo(quinn, `audit ${planned?.ref} schedule ${mention(erin).text} 2026-11-23`, [erin]),
    ).toContain("Erin Employee does not hold the auditor role");
    expect((await InternalAuditModel.findOne({ ref: planned?.ref }).lean())?.state).toBe("planned");
    await sayTo(quinn, `qms roles grant ${mention(ada).text} auditor`, [ada]);
    expect(
      await sayTo(
        quinn,
        `audit ${planned?.ref} schedule ${mention(ada).text} 2026-11-23 ${mention(nina).text}`,
        [ada, nina],
      ),
    ).toContain(
      `${planned?.ref} scheduled by Quinn Manager for 23 Nov 2026 with Ada Auditor as lead auditor`,
    );
    expect(await sayTo(ada, `audit ${planned?.ref} start`)).toContain("started by Ada Auditor");
    expect(await sayTo(quinn, `audit ${planned?.ref} finding minor 8.4.1 No evaluation`)).toContain(
      "Only the lead auditor of this audit can record findings",
    );
    expect((await InternalAuditModel.findOne({ ref: planned?.ref }).lean())?.findings).toEqual([]);
  });

  it("an audit's notice waits for each person's working hours: Ada in Berlin hears now, Nina in New York at 09:00 hers", async () => {
    const form = (await say(h, quinn, "audit")).attachments?.[0]?.content;
    const done = await submit(h, quinn, form, {
      process: "Warehouse",
      clauses: "8.5",
      date: "2026-11-20",
      auditees: nina.aadObjectId,
      leadAuditor: ada.aadObjectId,
    });
    expect(textOf(done.card)).toMatch(/AUD-\d{4}-\d{4} scheduled by Quinn Manager: Warehouse/);
    const audit = await poll(() => auditOf("Warehouse", "scheduled"));
    const noticeIn = (conversation: string) =>
      h.connector
        .sent(conversation)
        .filter((c) => String(c.body.text).includes(`scheduled internal audit ${audit.ref}`));
    await poll(async () => noticeIn(`a:personal-${ada.id}`).length === 1 || null);
    const toNina = await poll(() =>
      ReminderDeliveryModel.findOne({
        recipientId: nina.aadObjectId,
        occasion: { $regex: `^${audit.ref}:1:scheduled` },
      })
        .lean()
        .then((d) => (d && d.notBefore.getTime() > clock.t.getTime() ? d : null)),
    );
    expect(toNina.notBefore.toISOString()).toBe("2026-11-02T14:00:00.000Z");
    expect(noticeIn(`a:personal-${nina.id}`)).toEqual([]);
    clock.t = new Date("2026-11-02T14:00:05Z");
    await deliverDue(jobDeps());
    expect(noticeIn(`a:personal-${nina.id}`)).toHaveLength(1);
  });

  it("the programme counts an audit already held; a programme audit stays in its year; minutes wait for the meeting; a replaced reading is named", async () => {
    clock.t = new Date("2026-11-23T10:00:00Z");
    const held = await auditOf("Purchasing", "in_progress");
    await sayTo(ada, `audit ${held?.ref} conclusion effective Supplier control works`);
    expect(await sayTo(ada, `audit ${held?.ref} report`)).toContain(`${held?.ref} reported by Ada Auditor`);
    expect(await sayTo(quinn, "audit programme generate 2026")).toContain(
      "0 planned audits created for 2026 by Quinn Manager (2 already planned or held)",
    );
    const planned = await auditOf("Purchasing", "planned");
    expect(
      await sayTo(quinn, `audit ${planned?.ref} schedule ${mention(ada).text} 2027-01-12`, [ada]),
    ).toContain(`${planned?.ref} is in the 2026 audit programme; schedule it within 2026`);

    await sayTo(quinn, `qms roles grant ${mention(omar).text} top_management`, [omar]);
    const mr = /MR-\d{4}-\d{4}/.exec(await sayTo(quinn, "review schedule 2026-12-21"))?.[0] ?? "";
    expect(await sayTo(quinn, `review ${mr} minutes Held early`)).toContain(
      `${mr} is on 21 Dec 2026; its minutes can be recorded from that day on`,
    );

    await sayTo(quinn, `qms objectives add at_least 95 % monthly ${mention(omar).text} On-time delivery`, [
      omar,
    ]);
    const objective = /OBJ-\d{4}-\d{4}/.exec(await sayTo(quinn, "qms objectives"))?.[0] ?? "";
    await sayTo(omar, `qms objectives ${objective} record 99 2026-10`);
    clock.t = new Date("2026-11-24T10:00:00Z");
    expect(await sayTo(omar, `qms objectives ${objective} record 96 2026-10`)).toMatch(
      /It replaced 99% \(recorded by Omar Owner on .*23 Nov 2026/,
    );

    clock.t = new Date("2026-11-30T10:00:00Z");
    const neverStarted = await auditOf("Warehouse", "scheduled");
    await jobDeps().tasks.recordReminders(clock.now());
    expect(
      await ReminderDeliveryModel.countDocuments({
        occasion: { $regex: `^audit:${neverStarted?.ref}:report` },
      }),
    ).toBe(0);
  });

  it("the weekly digest goes to the quality channel at 09:00 workspace time, recorded ahead, not at the next hourly run after it", async () => {
    await sayTo(quinn, "qms timezone Europe/Berlin");
    const digests = () =>
      h.connector.sent(QUALITY_CONVERSATION).filter((c) => String(c.body.text).includes("The QMS this week"));
    // Monday 7 Dec 2026: the hourly run at 08:05 Berlin (07:05 UTC) records it; nothing goes yet.
    clock.t = new Date("2026-12-07T07:05:00Z");
    await jobDeps().tasks.recordReminders(clock.now());
    await deliverDue(jobDeps());
    expect(digests()).toHaveLength(0);
    // At 09:00 Berlin it goes, with no hourly run in between.
    clock.t = new Date("2026-12-07T08:00:01Z");
    await deliverDue(jobDeps());
    expect(digests()).toHaveLength(1);
    expect(JSON.stringify(digests()[0]?.body)).toContain("Management reviews in the next 30 days");
  });
});
