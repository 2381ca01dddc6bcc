import { TZDate } from "@date-fns/tz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackMessagingPort } from "../src/bot/slack/port.js";
import type { CommandContext } from "../src/commands/context.js";
import { deliveryCore } from "../src/commands/deliveries.js";
import { weeklyDigest } from "../src/commands/digest.js";
import { repairPending } from "../src/commands/tasks.js";
import { loadRecord } from "../src/db/history.js";
import { HistoryEventModel, PendingEffectsModel } from "../src/db/historyModels.js";
import { verifyWorkspace } from "../src/db/verify.js";
import { deliverDue } from "../src/jobs/deliverDue.js";
import type { JobDeps } from "../src/jobs/deps.js";
import { createLogger } from "../src/logger.js";
import { enqueueDeliveries } from "../src/outbox/enqueue.js";
import { DeliveryModel as ReminderDeliveryModel, UndeliverableModel } from "../src/outbox/models.js";
import { type CorrectiveAction, CorrectiveActionModel } from "../src/records/action/model.js";
import { type InternalAudit, InternalAuditModel } from "../src/records/audit/model.js";
import { programmeStatus } from "../src/records/audit/programme.js";
import { ComplaintModel } from "../src/records/complaint/model.js";
import { ControlledDocumentModel } from "../src/records/document/model.js";
import { ImprovementIdeaModel } from "../src/records/idea/model.js";
import { createMember } from "../src/records/member/commands.js";
import { QualityObjectiveModel } from "../src/records/objective/index.js";
import { policyEscalations } from "../src/records/policy/status.js";
import { type ManagementReview, ManagementReviewModel } from "../src/records/review/model.js";
import { packLines, reviewPack } from "../src/records/review/pack.js";
import { readWorkspace } from "../src/records/workspace/access.js";
import type { Workspace } from "../src/records/workspace/model.js";
import { plain } from "../src/views/plain.js";
import { act, core, ctxFor, setUp, textOf, typed } from "./helpers/core.js";
import { useTestDatabase } from "./helpers/db.js";
import { FakeSlack } from "./helpers/fakeSlack.js";
import { testJobDeps } from "./helpers/jobs.js";

/** What "Mark done" asks for when the action does not say it yet (ISO 9001 10.2.1 b, c). */
const DONE_INPUTS = { rootCause: "Supplier list never reviewed", actionTaken: "List reviewed and approved" };
useTestDatabase();
const logger = createLogger(process.env.TEST_LOG_LEVEL === "debug" ? "error" : "silent", false);
let fake: FakeSlack;
const clock = { t: new Date("2026-11-02T08:00:00Z"), now: () => clock.t };
const qm = { id: "UQMCAL", name: "Quinn Quality" };
const top = { id: "UTOPCAL", name: "Tara Top" };
const tokyo = { id: "UTOKYO", name: "Kenji Auditor" };
const chicago = { id: "UCHICAGO", name: "Carla Auditee" };
const omar = { id: "UOMAR", name: "Omar Owner" };
const mention = (p: { id: string; name: string }) => `<@${p.id}|${p.name}>`;
type Ctx = (actor?: { id: string; name: string }, at?: Date) => CommandContext;
const ctxIn =
  (workspaceId: string): Ctx =>
  (actor = qm, at = clock.t) =>
    ctxFor(workspaceId, actor, at, `req-${Math.random().toString(36).slice(2)}`);

async function newWorkspace(workspaceId: string, channel = "CQUALITY"): Promise<Ctx> {
  const ctx = ctxIn(workspaceId);
  await setUp(ctx());
  if (channel !== "CQUALITY") await typed(ctx(), `qms channel <#${channel}>`);
  for (const [p, tz] of [
    [qm, "Europe/Berlin"],
    [top, "Europe/London"],
    [tokyo, "Asia/Tokyo"],
    [chicago, "America/Chicago"],
    [omar, "UTC"],
  ] as const)
    await createMember(workspaceId, p, qm, clock.t, { tz, isGuest: false });
  expect(await typed(ctx(), `qms roles grant ${mention(top)} top_management`)).toContain("Tara Top");
  // Competent auditors (ISO 9001 9.2.2): Omar and Carla too, so the impartiality rules are what refuses them.
  for (const p of [tokyo, chicago, omar]) await ok(ctx(), `qms roles grant ${mention(p)} auditor`);
  return ctx;
}

const jobDeps = (): JobDeps =>
  testJobDeps(logger, clock, { slack: new SlackMessagingPort("xoxb-cal", fake.apiUrl, logger) });
const recordCalendar = (deps: JobDeps) => deps.tasks.recordReminders(deps.clock.now());
const localHour = (at: Date, tz: string) => new TZDate(at.getTime(), tz).getHours();
const localDay = (at: Date, tz: string) => new TZDate(at.getTime(), tz).getDay();

/** A submitted form, as a chat hands it over. */
async function submit(
  ctx: CommandContext,
  form: string,
  inputs: Record<string, string | string[]>,
  target: Record<string, string> = {},
) {
  return core.act(ctx, form, {
    target: { ws: ctx.workspaceId, ...target },
    inputs,
    source: "private",
    submitted: true,
  });
}

async function scheduleAudit(
  ctx: CommandContext,
  fields: { process: string; clauses: string; date: string; checklist?: string },
  lead: { id: string },
  auditees: { id: string }[],
): Promise<InternalAudit> {
  const answer = await submit(ctx, "audit.schedule", {
    ...fields,
    checklist: fields.checklist ?? "",
    leadAuditor: lead.id,
    auditees: auditees.map((a) => a.id),
  });
  expect(answer.kind, textOf(answer)).toBe("done");
  const ref = /AUD-\d{4}-\d{4}/.exec(textOf(answer))?.[0];
  const audit = await loadRecord<InternalAudit>("audit", `${ctx.workspaceId}/${ref}`);
  if (!audit) throw new Error(`no audit: ${textOf(answer)}`);
  return audit;
}

async function newAction(
  ctx: CommandContext,
  problem: string,
  owner: { id: string },
  dueDate: string,
): Promise<CorrectiveAction> {
  const answer = await submit(ctx, "action.new", {
    problem,
    ownerId: owner.id,
    dueDate,
    actionType: "corrective",
  });
  expect(answer.kind, textOf(answer)).toBe("done");
  return (await CorrectiveActionModel.findOne({
    workspaceId: ctx.workspaceId,
    problem,
  }).lean()) as CorrectiveAction;
}

async function newComplaint(ctx: CommandContext, title: string, severity: string) {
  const answer = await submit(ctx, "complaint.new", { title, severity, category: "product" });
  expect(answer.kind, textOf(answer)).toBe("done");
  const c = await ComplaintModel.findOne({ workspaceId: ctx.workspaceId, title }).lean();
  if (!c) throw new Error(`no complaint: ${textOf(answer)}`);
  return c;
}

/** A press that must go through (a refusal throws with what the person was told). */
async function press(ctx: CommandContext, id: string, ref: string, inputs: Record<string, string> = {}) {
  const answer = await act(ctx, id, ref, inputs);
  if (
    answer.kind === "reply" ||
    answer.kind === "invalid" ||
    answer.kind === "form" ||
    (answer.kind === "update" && answer.refused)
  )
    throw new Error(`${id} ${ref}: ${textOf(answer)}`);
  return answer;
}

/** A typed command that must go through: refusals come back starting with ⚠️ or ⛔. */
async function ok(ctx: CommandContext, line: string): Promise<string> {
  const text = await typed(ctx, line);
  if (/^(⚠️|⛔|❌)/.test(text)) throw new Error(`${line}: ${text}`);
  return text;
}

beforeAll(async () => {
  fake = await new FakeSlack("xoxb-cal").start();
});
afterAll(async () => {
  await fake.stop();
});

describe("the audit programme", () => {
  it("generates the year's planned audits per process frequency, once, and reports planned versus done and what is late", async () => {
    const ws = "slack:TPROG";
    const ctx = await newWorkspace(ws);
    await ok(ctx(), `audit programme set Purchasing 2 ${mention(omar)}`);
    await ok(ctx(), "audit programme set Production 1");
    await ok(ctx(), "audit programme set Design 4");
    const generated = await ok(ctx(), "audit programme generate 2027");
    const created = (await InternalAuditModel.find({ workspaceId: ws }).lean()) as InternalAudit[];
    expect(generated).toContain("7");
    const planned = created.map((a) => `${a.process} ${a.day}`).sort();
    expect(planned).toEqual(
      [
        "Design 2027-02-15",
        "Design 2027-05-15",
        "Design 2027-08-15",
        "Design 2027-11-15",
        "Production 2027-07-15",
        "Purchasing 2027-04-15",
        "Purchasing 2027-10-15",
      ].sort(),
    );
    expect(created.every((a) => a.state === "planned")).toBe(true);
    // The process owner is an auditee of the process's planned audits.
    expect(
      created.filter((a) => a.process === "Purchasing").every((a) => a.auditees[0]?.id === omar.id),
    ).toBe(true);
    await ok(ctx(), "audit programme generate 2027");
    expect(await InternalAuditModel.countDocuments({ workspaceId: ws })).toBe(7);

    const status = await programmeStatus(ctx(qm, new Date("2027-06-01T00:00:00Z")), 2027);
    const design = status.rows.find((r) => r.process === "Design");
    expect(design).toMatchObject({ planned: 4, done: 0 });
    expect(design?.late.map((a) => a.day)).toEqual(["2027-02-15", "2027-05-15"]);
    expect(status.rows.find((r) => r.process === "Purchasing")?.late).toHaveLength(1);
  });
});

describe("internal audits", () => {
  it("refuses an auditor who would audit their own work, and schedules nothing", async () => {
    const ws = "slack:TIMP";
    const ctx = await newWorkspace(ws);
    await ok(ctx(), `audit programme set Purchasing 1 ${mention(omar)}`);
    const base = {
      process: "Purchasing",
      clauses: "8.4",
      date: "2026-12-10",
      checklist: "",
      leadAuditor: omar.id,
    };
    const own = await submit(ctx(), "audit.schedule", base);
    expect(own.kind).toBe("invalid");
    expect(textOf(own)).toMatch(/Omar Owner owns the process "Purchasing" and cannot audit it/);
    const selfAudit = await submit(ctx(), "audit.schedule", {
      ...base,
      process: "Sales",
      leadAuditor: chicago.id,
      auditees: [chicago.id],
    });
    expect(textOf(selfAudit)).toMatch(/Carla Auditee is an auditee of this audit and cannot also audit it/);
    expect(await InternalAuditModel.countDocuments({ workspaceId: ws })).toBe(0);
  });

  it("reminds the auditor and auditees 14 days and 1 day before, each in their own working hours", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ctx = await newWorkspace("slack:TREM");
    // Thursday 10 Dec 2026.
    const audit = await scheduleAudit(
      ctx(),
      {
        process: "Warehouse",
        clauses: "8.5.4, 7.1.5",
        date: "2026-12-10",
        checklist: "Are locations labelled?\nIs FIFO kept?",
      },
      tokyo,
      [chicago],
    );
    const received: Record<string, Date[]> = {};
    const reminders = (id: string) =>
      fake.dmsTo(id).filter((m) => String(m.text).includes(`${audit.ref} — Warehouse — is on`));
    // Hour by hour around the two reminders; a reminder sent on a day skipped here would still be
    // counted (nothing is lost while the clock jumps), and the counts below would be wrong.
    const hours = [
      ...Array.from({ length: 72 }, (_, h) => new Date(Date.parse("2026-11-25T00:00:00Z") + h * 3600_000)),
      ...Array.from({ length: 72 }, (_, h) => new Date(Date.parse("2026-12-08T00:00:00Z") + h * 3600_000)),
    ];
    for (clock.t of hours) {
      const before = Object.fromEntries([tokyo, chicago].map((p) => [p.id, reminders(p.id).length]));
      await recordCalendar(jobDeps());
      // Every worker runs it: recording again adds nothing (checked once a day, to keep it quick).
      if (clock.t.getUTCHours() === 0) await recordCalendar(jobDeps());
      await deliverDue(jobDeps());
      for (const p of [tokyo, chicago])
        if (reminders(p.id).length > (before[p.id] ?? 0))
          received[p.id] = [...(received[p.id] ?? []), new Date(clock.t)];
    }
    for (const [person, tz] of [
      [tokyo, "Asia/Tokyo"],
      [chicago, "America/Chicago"],
    ] as const) {
      expect(reminders(person.id)).toHaveLength(2);
      expect(received[person.id]).toHaveLength(2);
      for (const at of received[person.id] ?? []) {
        expect(localHour(at, tz)).toBeGreaterThanOrEqual(9);
        expect(localHour(at, tz)).toBeLessThan(17);
        expect([1, 2, 3, 4, 5]).toContain(localDay(at, tz));
      }
    }
    // 14 days before is Thursday 26 Nov: 09:00 in Tokyo; Chicago's 09:00 that day.
    expect(received[tokyo.id]?.[0]?.toISOString()).toBe("2026-11-26T00:00:00.000Z");
    expect(received[chicago.id]?.[0]?.toISOString()).toBe("2026-11-26T15:00:00.000Z");
    // 1 day before is Wednesday 9 Dec.
    expect(received[tokyo.id]?.[1]?.toISOString()).toBe("2026-12-09T00:00:00.000Z");
    expect(received[chicago.id]?.[1]?.toISOString()).toBe("2026-12-09T15:00:00.000Z");
  }, 180_000);

  it("a finding's action is due after the days the workspace sets per grade (qms finding-days) or on the day the auditor gives; only QMs change the days, and bad input changes nothing", async () => {
    clock.t = new Date("2026-12-01T10:00:00Z");
    const ws = "slack:TFINDDAYS";
    const ctx = await newWorkspace(ws);
    await ok(ctx(), `audit programme set Purchasing 1 ${mention(omar)}`);
    expect(await typed(ctx(omar), "qms finding-days 7 14")).toMatch(/Only a quality manager/);
    expect(await typed(ctx(), "qms finding-days 7")).toContain("Give two numbers of days");
    expect(await typed(ctx(), "qms finding-days 0 400")).toContain("between 1 and 365");
    expect((await readWorkspace(ws))?.findingActionDays).toBeUndefined();
    expect(await ok(ctx(), "qms finding-days 14 45")).toContain(
      "major nonconformity is now due 14 days after the finding, from a minor one 45 days",
    );
    const audit = await scheduleAudit(
      ctx(),
      { process: "Purchasing", clauses: "8.4", date: "2026-12-01" },
      tokyo,
      [omar],
    );
    await ok(ctx(tokyo), `audit ${audit.ref} start`);
    await ok(ctx(tokyo), `audit ${audit.ref} finding major 8.4.1 Supplier list not approved`);
    await ok(ctx(tokyo), `audit ${audit.ref} finding minor 7.5.3 An old form in use`);
    const due = async (finding: string) =>
      (await CorrectiveActionModel.findOne({ workspaceId: ws, sourceRef: `${audit.ref}#${finding}` }).lean())
        ?.dueDay;
    expect(await due("F1")).toBe("2026-12-15");
    expect(await due("F2")).toBe("2027-01-15");
    // The auditor may set the due date when recording it; a past one, or one on an observation, is refused.
    expect(await typed(ctx(tokyo), `audit ${audit.ref} finding major 8.5.1 due 2026-11-30 Late`)).toContain(
      "is in the past",
    );
    expect(
      await typed(ctx(tokyo), `audit ${audit.ref} finding observation 9.1 due 2027-01-10 Good charts`),
    ).toContain("Only a nonconformity raises an action with a due date");
    const given = await ok(
      ctx(tokyo),
      `audit ${audit.ref} finding major 8.5.1 due 2027-01-10 Batch records missing`,
    );
    expect(given).toContain("due 10 Jan 2027");
    expect(await due("F3")).toBe("2027-01-10");
    expect((await loadRecord<InternalAudit>("audit", audit._id))?.findings.map((f) => f.evidence)).toEqual([
      "Supplier list not approved",
      "An old form in use",
      "Batch records missing",
    ]);
  });

  it("a nonconformity raises a corrective action linked to the audit and the finding; the audit closes once that action is done", async () => {
    clock.t = new Date("2026-12-01T10:00:00Z");
    const ws = "slack:TNC";
    const ctx = await newWorkspace(ws);
    await ok(ctx(), `audit programme set Purchasing 1 ${mention(omar)}`);
    const audit = await scheduleAudit(
      ctx(),
      { process: "Purchasing", clauses: "8.4", date: "2026-12-01" },
      tokyo,
      [omar],
    );
    const ref = audit.ref ?? "";
    expect(await typed(ctx(tokyo), `audit ${ref} finding minor 8.4.1 No approved list`)).toMatch(
      /can be given a finding only while in progress/,
    );
    await ok(ctx(tokyo), `audit ${ref} start`);
    expect(await typed(ctx(chicago), `audit ${ref} finding minor 8.4.1 No approved list`)).toMatch(
      /Kenji Auditor|lead auditor|quality manager/,
    );
    expect(await typed(ctx(tokyo), `audit ${ref} finding serious 8.4.1 No approved list`)).toMatch(
      /major, minor, observation or opportunity/,
    );
    expect((await loadRecord<InternalAudit>("audit", audit._id))?.findings).toHaveLength(0);
    await ok(ctx(tokyo), `audit ${ref} finding major 8.4.1 Supplier list not approved since 2024`);
    const action = (await CorrectiveActionModel.findOne({
      workspaceId: ws,
      sourceRef: `${ref}#F1`,
    }).lean()) as CorrectiveAction;
    expect(action).toMatchObject({ source: "audit_finding", owner: omar, state: "open" });
    expect(action.dueDay).toBe("2026-12-31");
    await ok(ctx(tokyo), `audit ${ref} finding observation 7.5.3 Old forms in the drawer`);
    const stored = await loadRecord<InternalAudit>("audit", audit._id);
    expect(stored?.findings.map((f) => [f.id, f.type, f.clause, f.actionRef ?? null])).toEqual([
      ["F1", "major_nc", "8.4.1", action.ref],
      ["F2", "observation", "7.5.3", null],
    ]);
    // A crash after the finding was committed, however long ago, leaves its entry: the repair runs
    // its follow-ups again (raise the action, link it), and each step finds itself done.
    const findingEvent = await HistoryEventModel.findOne({ recordKey: audit._id, type: "finding_recorded" })
      .sort({ seq: 1 })
      .lean();
    if (!findingEvent) throw new Error("no finding event");
    await PendingEffectsModel.create({
      _id: `${findingEvent._id}|${findingEvent.idempotencyKey}`,
      workspaceId: ws,
      eventId: findingEvent._id,
      idempotencyKey: findingEvent.idempotencyKey,
      createdAt: new Date("2026-01-01T00:00:00Z"),
    });
    const repaired = await repairPending(new Date(clock.t.getTime() + 60_000), logger);
    expect(repaired.completed).toBeGreaterThanOrEqual(1);
    expect(await PendingEffectsModel.countDocuments({ workspaceId: ws })).toBe(0);
    expect(await CorrectiveActionModel.countDocuments({ workspaceId: ws, sourceRef: `${ref}#F1` })).toBe(1);
    expect((await loadRecord<InternalAudit>("audit", audit._id))?.findings[0]?.actionRef).toBe(action.ref);
    expect((await verifyWorkspace(ws)).ok).toBe(true);
    await ok(ctx(tokyo), `audit ${ref} conclusion partly Supplier control works but evaluations are missing`);
    expect(await ok(ctx(tokyo), `audit ${ref} report`)).toContain(`${ref} reported by`);
    expect(await typed(ctx(), `audit ${ref} close`)).toContain(`${action.ref} is open`);
    await press(ctx(omar), "action.start", action.ref ?? "");
    await press(ctx(omar), "action.complete", action.ref ?? "", DONE_INPUTS);
    // Done is enough to close the audit; its effectiveness is judged on the action itself.
    await ok(ctx(), `audit ${ref} close`);
    expect((await loadRecord<InternalAudit>("audit", audit._id))?.state).toBe("closed");
  });
});

describe("management reviews", () => {
  it("the pack's figures equal those computed by hand from seeded records, with the trend against the previous period", async () => {
    const ws = "slack:TPACK";
    clock.t = new Date("2025-11-01T10:00:00Z");
    const ctx = await newWorkspace(ws);
    const at = (iso: string, actor = qm) => ctx(actor, new Date(iso));
    // The previous review, 1 Dec 2025, with one decision (its action later done and verified).
    await ok(at("2025-11-01T10:00:00Z"), `review schedule 2025-12-01 ${mention(top)}`);
    const previous = (await ManagementReviewModel.findOne({ workspaceId: ws }).lean()) as ManagementReview;
    await ok(at("2025-12-01T15:00:00Z"), `review ${previous.ref} minutes Reviewed the year.`);
    await ok(
      at("2025-12-01T15:05:00Z"),
      `review ${previous.ref} decide ${mention(omar)} 2026-03-01 Train buyers`,
    );
    await ok(at("2025-12-02T09:00:00Z", top), `review ${previous.ref} approve`);
    const previousAction = (await CorrectiveActionModel.findOne({
      workspaceId: ws,
      source: "management_review",
    }).lean()) as CorrectiveAction;

    // Complaints: 1 in the previous period (2024-12-01 .. 2025-12-01), 3 in this one.
    await newComplaint(at("2025-06-01T10:00:00Z", omar), "Old one", "medium");
    const c1 = await newComplaint(at("2026-01-10T10:00:00Z", omar), "Broken seal", "high");
    await newComplaint(at("2026-03-10T10:00:00Z", omar), "Late invoice", "low");
    const c3 = await newComplaint(at("2026-05-10T10:00:00Z", omar), "Typo in manual", "low");
    // c1 is closed; c3 is rejected; "Late invoice" and "Old one" stay open past their due dates: 2 overdue now.
    await press(at("2026-01-11T10:00:00Z"), "complaint.accept", c1.ref ?? "");
    await press(at("2026-01-12T10:00:00Z"), "complaint.investigate", c1.ref ?? "");
    await press(at("2026-01-13T10:00:00Z"), "complaint.resolve", c1.ref ?? "");
    await press(at("2026-01-14T10:00:00Z"), "complaint.close", c1.ref ?? "", { customerNotified: "yes" });
    await press(at("2026-05-11T10:00:00Z"), "complaint.reject", c3.ref ?? "", {
      reason: "Not a product issue",
    });

    // Actions raised in the period: the previous review's (2025-12-01: in the period), plus two more; one verified effective.
    await press(at("2026-01-05T10:00:00Z", omar), "action.start", previousAction.ref ?? "");
    await press(at("2026-02-05T10:00:00Z", omar), "action.complete", previousAction.ref ?? "", DONE_INPUTS);
    await press(at("2026-03-10T10:00:00Z"), "action.effective", previousAction.ref ?? "");
    await newAction(at("2026-02-01T10:00:00Z"), "Calibrate scales", omar, "2026-03-01");
    await newAction(at("2026-06-01T10:00:00Z"), "Update work instruction", omar, "2026-12-31");

    // Audits in the period: one reported with a major NC and an observation (the NC raises a third action), one not done.
    const audit = await scheduleAudit(
      at("2026-04-01T10:00:00Z"),
      { process: "Warehouse", clauses: "8.5", date: "2026-04-20" },
      tokyo,
      [chicago],
    );
    await ok(at("2026-04-20T10:00:00Z", tokyo), `audit ${audit.ref} start`);
    await ok(at("2026-04-20T11:00:00Z", tokyo), `audit ${audit.ref} finding major 8.5.4 Unlabelled stock`);
    await ok(
      at("2026-04-20T12:00:00Z", tokyo),
      `audit ${audit.ref} finding observation 7.1.5 Gauge label faded`,
    );
    await ok(
      at("2026-04-21T09:00:00Z", tokyo),
      `audit ${audit.ref} conclusion partly Stock is found but not labelled`,
    );
    expect(await ok(at("2026-04-21T10:00:00Z", tokyo), `audit ${audit.ref} report`)).toContain("reported by");
    await scheduleAudit(
      at("2026-04-01T10:00:00Z"),
      { process: "Sales", clauses: "8.2", date: "2026-11-20" },
      tokyo,
      [omar],
    );

    // Ideas in the period: 3 submitted, 2 approved (one of them implemented).
    const idea = async (iso: string, title: string) => {
      const answer = await submit(at(iso, chicago), "idea.new", { title });
      expect(answer.kind, textOf(answer)).toBe("done");
      return (await ImprovementIdeaModel.findOne({ workspaceId: ws, title }).lean())?.ref ?? "";
    };
    const i1 = await idea("2026-02-01T10:00:00Z", "Kanban cards");
    const i2 = await idea("2026-03-01T10:00:00Z", "Shadow boards");
    await idea("2026-04-01T10:00:00Z", "Music in the canteen");
    await press(at("2026-02-02T10:00:00Z"), "idea.approve", i1);
    await press(at("2026-02-03T10:00:00Z"), "idea.start", i1);
    await press(at("2026-04-03T10:00:00Z"), "idea.implement", i1);
    await press(at("2026-03-02T10:00:00Z"), "idea.approve", i2);

    // Objectives: one met, one not.
    await ok(
      at("2026-01-01T10:00:00Z"),
      `qms objectives add at_least 95 % monthly ${mention(omar)} On-time delivery`,
    );
    await ok(
      at("2026-01-01T10:00:00Z"),
      `qms objectives add at_most 500 ppm quarterly ${mention(omar)} Defects`,
    );
    const objectives = await QualityObjectiveModel.find({ workspaceId: ws }).lean();
    const otd = objectives.find((o) => o.name === "On-time delivery")?.ref;
    const ppm = objectives.find((o) => o.name === "Defects")?.ref;
    await ok(at("2026-09-02T10:00:00Z", omar), `qms objectives ${otd} record 94 2026-08`);
    await ok(at("2026-10-02T10:00:00Z", omar), `qms objectives ${otd} record 96.5 2026-09`);
    await ok(at("2026-10-02T10:00:00Z", omar), `qms objectives ${ppm} record 620 2026-Q3`);

    // The policy: 2 of 5 members acknowledged.
    const drafted = await submit(at("2026-01-02T10:00:00Z"), "policy.draft", { text: "Quality first." });
    expect(drafted.kind, textOf(drafted)).toBe("done");
    const policyRef =
      (await ControlledDocumentModel.findOne({ workspaceId: ws, documentType: "policy" }).lean())?.ref ?? "";
    await ok(at("2026-01-03T10:00:00Z", top), `policy approve ${policyRef}`);
    await ok(at("2026-01-04T10:00:00Z"), `policy publish ${policyRef}`);
    await press(at("2026-01-05T10:00:00Z", omar), "policy.acknowledge", policyRef);
    await press(at("2026-01-05T10:00:00Z", tokyo), "policy.acknowledge", policyRef);

    // This review, 1 Dec 2026: its period starts at the previous review.
    await ok(at("2026-11-01T10:00:00Z"), "review schedule 2026-12-01");
    const review = (await ManagementReviewModel.findOne({
      workspaceId: ws,
      day: "2026-12-01",
    }).lean()) as ManagementReview;
    await ok(
      at("2026-11-02T10:00:00Z"),
      `review ${review.ref} input suppliers Two suppliers late twice; one replaced.`,
    );
    const fresh = (await loadRecord<ManagementReview>("review", review._id)) as ManagementReview;
    const pack = await reviewPack(at("2026-11-30T10:00:00Z"), fresh);
    expect(pack.periodStart.toISOString()).toBe("2025-12-01T00:00:00.000Z");
    expect(pack.periodEnd.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(pack.review.attendees).toEqual([top]);
    expect(pack.previousActions).toEqual([
      { text: "Train buyers", actionRef: previousAction.ref, state: "verified_effective" },
    ]);
    expect(pack.complaints).toEqual({
      bySeverity: { critical: 0, high: 1, medium: 0, low: 2 },
      total: 3,
      previousTotal: 1,
      trend: 2,
      overdueNow: 2,
    });
    // Actions raised in the period: Train buyers, Calibrate scales, Update work instruction, the NC's action = 4;
    // verified effective 1 (25%); open 3; overdue now (2026-11-30): Calibrate scales (due 2026-03-01) and the NC action (due 2026-05-20).
    expect(pack.actions).toEqual({
      raised: 4,
      open: 3,
      overdue: 2,
      verifiedEffective: 1,
      effectiveShare: 0.25,
      nonconformities: 1,
    });
    expect(pack.audits).toEqual({
      planned: 2,
      done: 1,
      findings: { major_nc: 1, minor_nc: 0, observation: 1, opportunity: 0 },
    });
    expect(pack.ideas).toEqual({ submitted: 3, approved: 2, implemented: 1 });
    expect(pack.objectives).toEqual([
      { name: "On-time delivery", latest: 96.5, target: 95, unit: "%", met: true, trend: 2.5 },
      { name: "Defects", latest: 620, target: 500, unit: "ppm", met: false, trend: null },
    ]);
    // The pack as people read it: each objective with its trend against the reading before.
    const text = packLines(pack, { start: "2025-12-01", end: "2026-12-01" })
      .map((l) => plain(l, { zone: "UTC", slash: false }))
      .join("\n");
    expect(text).toContain("On-time delivery 96.5% vs 95% (met, up 2.5% on the previous reading)");
    expect(text).toContain("Defects 620 ppm vs 500 ppm (not met)");
    expect(pack.policy).toMatchObject({ acknowledged: 2, members: 5, rate: 0.4 });
    expect(pack.toFillIn.find((i) => i.key === "suppliers")?.text).toBe(
      "Two suppliers late twice; one replaced.",
    );
    expect(pack.toFillIn.find((i) => i.key === "resources")?.text).toBeNull();
  });

  it("decisions become actions with owner and due date; top management approves the minutes; the next review is scheduled", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TDEC";
    const ctx = await newWorkspace(ws);
    expect(await typed(ctx(), `review schedule 2026-12-15 ${mention(omar)}`)).toMatch(/top management/);
    expect(await ManagementReviewModel.countDocuments({ workspaceId: ws })).toBe(0);
    await ok(ctx(), "review schedule 2026-12-15");
    const review = (await ManagementReviewModel.findOne({ workspaceId: ws }).lean()) as ManagementReview;
    const ref = review.ref ?? "";
    expect(
      await typed(ctx(), `review ${ref} decide ${mention(omar)} 2027-03-01 Hire a second auditor`),
    ).toMatch(/can be given a decision only while held/);
    await ok(
      ctx(qm, new Date("2026-12-15T16:00:00Z")),
      `review ${ref} minutes Resources discussed; audit capacity is short.`,
    );
    await ok(
      ctx(qm, new Date("2026-12-15T16:10:00Z")),
      `review ${ref} decide ${mention(omar)} 2027-03-01 Hire a second auditor`,
    );
    const action = (await CorrectiveActionModel.findOne({
      workspaceId: ws,
      source: "management_review",
    }).lean()) as CorrectiveAction;
    expect(action).toMatchObject({ sourceRef: ref, owner: omar, state: "open", dueDay: "2027-03-01" });
    expect(await typed(ctx(qm, new Date("2026-12-16T09:00:00Z")), `review ${ref} approve`)).toMatch(
      /top management/i,
    );
    expect(await ok(ctx(top, new Date("2026-12-16T09:00:00Z")), `review ${ref} approve`)).toContain(
      "15 Dec 2027",
    );
    const approved = (await loadRecord<ManagementReview>("review", review._id)) as ManagementReview;
    expect(approved).toMatchObject({ state: "minutes_approved", minutesApprovedBy: top });
    expect(approved.decisions).toEqual([{ text: "Hire a second auditor", actionRef: action.ref }]);
    // Approved minutes are closed: a decision after the approval is refused and raises nothing.
    expect(
      await typed(
        ctx(qm, new Date("2026-12-16T10:00:00Z")),
        `review ${ref} decide ${mention(omar)} 2027-04-01 Late idea`,
      ),
    ).toMatch(/can be given a decision only while held/);
    expect(
      ((await loadRecord<ManagementReview>("review", review._id)) as ManagementReview).decisions,
    ).toHaveLength(1);
    const next = (await ManagementReviewModel.findOne({
      workspaceId: ws,
      _id: { $ne: review._id },
    }).lean()) as ManagementReview;
    expect(next.day).toBe("2027-12-15");
    expect(next.attendees).toEqual([top]);
    expect(await ManagementReviewModel.countDocuments({ workspaceId: ws })).toBe(2);
    expect(await CorrectiveActionModel.countDocuments({ workspaceId: ws, source: "management_review" })).toBe(
      1,
    );
  });
});

describe("controlled documents and objectives", () => {
  it("the owner is reminded when a document's review is due and records 'reviewed, no change'", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TDOC";
    const ctx = await newWorkspace(ws);
    await ok(
      ctx(),
      `qms docs add procedure 3 1 ${mention(omar)} https://docs.example.com/p-7 Purchasing procedure`,
    );
    const doc = await ControlledDocumentModel.findOne({
      workspaceId: ws,
      title: "Purchasing procedure",
    }).lean();
    if (!doc) throw new Error("the document was not registered");
    await recordCalendar(jobDeps());
    expect(
      await ReminderDeliveryModel.countDocuments({
        workspaceId: ws,
        occasion: { $regex: `^document:${doc.ref}` },
      }),
    ).toBe(0);
    clock.t = new Date("2026-12-02T10:00:00Z");
    await recordCalendar(jobDeps());
    await deliverDue(jobDeps());
    const reminder = fake
      .dmsTo(omar.id)
      .find((m) =>
        String(m.text).includes(`${doc.ref} "Purchasing procedure" (version 3) is due for its review`),
      );
    expect(JSON.stringify(reminder?.blocks)).toContain("document.reviewed");
    expect(await ok(ctx(omar, clock.t), `qms docs ${doc.ref} reviewed`)).toContain("next review 2 Jan 2027");
  });

  it("policy commands take only policies and document commands refuse the policy: a procedure cannot be approved or published as the quality policy", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TPOLDOC";
    const ctx = await newWorkspace(ws);
    await ok(
      ctx(),
      `qms docs add procedure 3 12 ${mention(omar)} https://docs.example.com/p-7 Purchasing procedure`,
    );
    const procedure = await ControlledDocumentModel.findOne({
      workspaceId: ws,
      title: "Purchasing procedure",
    }).lean();
    const drafted = await submit(ctx(), "policy.draft", { text: "Quality first." });
    expect(drafted.kind, textOf(drafted)).toBe("done");
    const policy = await ControlledDocumentModel.findOne({ workspaceId: ws, documentType: "policy" }).lean();
    if (!procedure?.ref || !policy?.ref) throw new Error("the procedure or the policy draft is missing");
    const before = await ControlledDocumentModel.find({ workspaceId: ws }).lean();

    for (const [who, line] of [
      [top, `policy approve ${procedure.ref}`],
      [qm, `policy publish ${procedure.ref}`],
      [qm, `policy status ${procedure.ref}`],
    ] as const)
      expect(await typed(ctx(who), line)).toMatch(/^⚠️ .*is not a policy reference|^⚠️ There is no policy/);
    for (const line of [
      `qms docs ${policy.ref} approve`,
      `qms docs ${policy.ref} reviewed`,
      `qms docs ${policy.ref}`,
    ])
      expect(await typed(ctx(), line)).toMatch(/^⚠️ .*is not a document reference|^⚠️ There is no document/);
    // Refused, and nothing changed: no document moved, nobody was asked to acknowledge anything.
    expect(await ControlledDocumentModel.find({ workspaceId: ws }).lean()).toEqual(before);
    expect(
      await ReminderDeliveryModel.countDocuments({ workspaceId: ws, occasion: { $regex: "^policy" } }),
    ).toBe(0);
    // The policy itself goes through.
    expect(await ok(ctx(top), `policy approve ${policy.ref}`)).toContain(policy.ref);
  });

  it("the QMs' policy escalation: Saturday's, Sunday's and Monday morning's runs make one list on Monday, drawn when it goes out", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TPOLWEEKEND";
    const ctx = await newWorkspace(ws);
    expect((await submit(ctx(), "policy.draft", { text: "Quality first." })).kind).toBe("done");
    const draft = await ControlledDocumentModel.findOne({ workspaceId: ws, documentType: "policy" }).lean();
    await ok(ctx(top), `policy approve ${draft?.ref}`);
    await ok(ctx(), `policy publish ${draft?.ref}`);
    // Omar could not be reached at all: he is on the list from the first run on.
    await UndeliverableModel.create({
      _id: `undeliverable-${ws}`,
      workspaceId: ws,
      occasion: `policy:${draft?.ref}:request`,
      recipientId: omar.id,
      reason: "user_not_found",
      at: clock.t,
    });
    const workspace = (await readWorkspace(ws)) as Workspace;
    const occasions = async (iso: string) =>
      (await policyEscalations(workspace, new Date(iso))).map((d) => `${d.occasion} → ${d.recipientId}`);
    // Saturday 7 and Sunday 8 November 2026, and Monday 9 before the working day (UTC workspace).
    const weekend = await Promise.all(
      ["2026-11-07T10:00:00Z", "2026-11-08T10:00:00Z", "2026-11-09T07:00:00Z", "2026-11-09T10:00:00Z"].map(
        occasions,
      ),
    );
    expect(new Set(weekend.flat())).toEqual(
      new Set([`escalation:policy:${draft?.ref}:2026-11-09 → ${qm.id}`]),
    );
    expect(await occasions("2026-11-10T10:00:00Z")).toEqual([
      `escalation:policy:${draft?.ref}:2026-11-10 → ${qm.id}`,
    ]);
    // Recorded three times, it is one delivery; what it says is drawn when it is sent.
    for (const iso of ["2026-11-07T10:00:00Z", "2026-11-08T10:00:00Z", "2026-11-09T07:00:00Z"])
      await enqueueDeliveries(await policyEscalations(workspace, new Date(iso)), new Date(iso));
    const recorded = await ReminderDeliveryModel.find({
      workspaceId: ws,
      occasion: { $regex: "^escalation" },
    }).lean();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.content).toMatchObject({ dynamic: { type: "policyEscalation" } });
  });

  it("two approved versions published at once leave one published policy, the other superseded", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TPOLTWO";
    const ctx = await newWorkspace(ws);
    const refs: string[] = [];
    for (const text of ["Quality first.", "Customers first."]) {
      expect((await submit(ctx(), "policy.draft", { text })).kind).toBe("done");
      const draft = await ControlledDocumentModel.findOne({
        workspaceId: ws,
        documentType: "policy",
        state: "draft",
      }).lean();
      await ok(ctx(top), `policy approve ${draft?.ref}`);
      refs.push(draft?.ref ?? "");
    }
    const answers = await Promise.all(refs.map((ref) => typed(ctx(), `policy publish ${ref}`)));
    const policies = await ControlledDocumentModel.find({ workspaceId: ws, documentType: "policy" }).lean();
    const published = policies.filter((p) => p.state === "published");
    expect(published, answers.join(" | ")).toHaveLength(1);
    expect(policies.filter((p) => p.state === "superseded")).toHaveLength(1);
    const current = (await readWorkspace(ws))?.currentPolicy;
    expect(current).toBe(published[0]?.ref);
  });

  it("the weekly digest goes to the quality channel on Monday at 09:00 workspace time, and is skipped when there is nothing to say", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TDIG";
    const ctx = await newWorkspace(ws, "CDIGEST");
    // Monday 9 Nov 2026, 09:00 in Berlin (the workspace's zone) is 08:00 UTC.
    await ok(ctx(), "qms timezone Europe/Berlin");
    const workspace = await readWorkspace(ws);
    if (!workspace) throw new Error("no workspace");
    expect(await weeklyDigest(workspace, new Date("2026-11-09T08:00:00Z"))).toBeNull();
    for (
      clock.t = new Date("2026-11-09T06:00:00Z");
      clock.t < new Date("2026-11-09T12:00:00Z");
      clock.t = new Date(clock.t.getTime() + 3600_000)
    ) {
      await recordCalendar(jobDeps());
      await deliverDue(jobDeps(), 10_000);
    }
    const posted = () => (fake.posted.get("CDIGEST") ?? []).map((m) => JSON.stringify(m.blocks));
    expect(posted().filter((b) => b.includes("New complaints"))).toHaveLength(0);

    await newComplaint(ctx(omar, new Date("2026-11-12T10:00:00Z")), "Scratched lid", "high");
    await newAction(ctx(qm, new Date("2026-11-12T10:00:00Z")), "Fix the press", omar, "2026-11-13");
    await ok(ctx(qm, new Date("2026-11-12T10:00:00Z")), "review schedule 2026-12-01");
    const digests = () => posted().filter((b) => b.includes("New complaints"));
    for (
      clock.t = new Date("2026-11-16T05:00:00Z");
      clock.t < new Date("2026-11-16T12:00:00Z");
      clock.t = new Date(clock.t.getTime() + 3600_000)
    ) {
      await recordCalendar(jobDeps());
      // Other tests' workspaces share the database: drain whatever else is due too.
      await deliverDue(jobDeps(), 10_000);
      if (digests().length) break;
    }
    expect(clock.t.toISOString()).toBe("2026-11-16T08:00:00.000Z"); // 09:00 in Berlin
    expect(digests()).toHaveLength(1);
    expect(digests()[0]).toContain("New complaints: 1");
    expect(digests()[0]).toContain("Overdue actions: 1");
    expect(digests()[0]).toContain("Management reviews in the next 30 days");
    // Later runs that Monday add nothing.
    clock.t = new Date("2026-11-16T10:00:00Z");
    await recordCalendar(jobDeps());
    await deliverDue(jobDeps());
    expect(digests()).toHaveLength(1);
  });
});

describe("calendar reminders", () => {
  it("a review: the QMs 14 days before, the attendees the day before with the pack, the QMs when the minutes are overdue", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TREVREM";
    const ctx = await newWorkspace(ws, "CREVREM");
    await ok(ctx(), "review schedule 2026-12-01");
    const occasions = async () =>
      (await ReminderDeliveryModel.find({ workspaceId: ws, occasion: { $regex: "^review:" } }).lean())
        .map((d) => `${d.occasion.split(":").slice(2).join(":")} → ${d.recipientId}`)
        .sort();
    for (const at of ["2026-11-16T12:00:00Z", "2026-11-30T12:00:00Z", "2026-12-09T12:00:00Z"]) {
      clock.t = new Date(at);
      await recordCalendar(jobDeps());
    }
    expect(await occasions()).toEqual([
      `2026-12-01:eve → ${top.id}`,
      `2026-12-01:prepare → ${qm.id}`,
      `minutes-overdue-2026-12-08 → ${qm.id}`,
    ]);
    const eve = await ReminderDeliveryModel.findOne({
      workspaceId: ws,
      occasion: { $regex: ":eve$" },
    }).lean();
    if (!eve) throw new Error("no eve reminder");
    // Drawn when it goes out: the pack as it is then.
    const drawn = await deliveryCore(logger, () => clock.t).render(eve, "UTC");
    expect(drawn ? textOf(drawn) : "").toContain(
      "Complaints: 0 (critical 0, high 0, medium 0, low 0); previous period 0",
    );
  });

  it("an audit's report is chased after 7 days, and an objective's owner is asked for the last period's value once", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TCHASE";
    const ctx = await newWorkspace(ws, "CCHASE");
    const audit = await scheduleAudit(
      ctx(),
      { process: "Sales", clauses: "8.2", date: "2026-11-05" },
      tokyo,
      [],
    );
    await ok(ctx(tokyo, new Date("2026-11-05T09:00:00Z")), `audit ${audit.ref} start`);
    await ok(ctx(), `qms objectives add at_least 97 % monthly ${mention(omar)} First-pass yield`);
    const objective = await QualityObjectiveModel.findOne({ workspaceId: ws }).lean();
    clock.t = new Date("2026-11-30T10:00:00Z");
    await recordCalendar(jobDeps());
    expect(
      await ReminderDeliveryModel.countDocuments({ workspaceId: ws, occasion: { $regex: "^objective:" } }),
    ).toBe(0);
    clock.t = new Date("2026-12-01T10:00:00Z");
    await recordCalendar(jobDeps());
    await recordCalendar(jobDeps());
    const asked = await ReminderDeliveryModel.find({
      workspaceId: ws,
      occasion: { $regex: "^objective:" },
    }).lean();
    expect(asked.map((d) => [d.occasion, d.recipientId])).toEqual([
      [`objective:${objective?.ref}:2026-11`, omar.id],
    ]);
    expect(JSON.stringify(asked[0]?.content)).toContain("objective.record");
    const chase = await ReminderDeliveryModel.find({
      workspaceId: ws,
      occasion: { $regex: "report-overdue" },
    }).lean();
    expect(chase.map((d) => [d.occasion, d.recipientId])).toEqual([
      [`audit:${audit.ref}:report-overdue-2026-11-12`, tokyo.id],
    ]);
    await ok(ctx(omar, clock.t), `qms objectives ${objective?.ref} record 98`);
    clock.t = new Date("2026-12-01T11:00:00Z");
    await recordCalendar(jobDeps());
    expect(
      await ReminderDeliveryModel.countDocuments({ workspaceId: ws, occasion: { $regex: "^objective:" } }),
    ).toBe(1);
  });
});
