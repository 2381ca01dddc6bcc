import { TZDate } from "@date-fns/tz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackMessagingPort } from "../src/bot/slack/messagingPort.js";
import {
  completeAction,
  startAction,
  verifyActionEffective,
} from "../src/commands/actions/actionTransitions.js";
import { createAction } from "../src/commands/actions/createAction.js";
import {
  generateProgramme,
  issueReport,
  programmeStatus,
  recordFinding,
  scheduleAudit,
  setProgrammeEntry,
  startAudit,
} from "../src/commands/audits/auditCommands.js";
import {
  acceptComplaint,
  closeComplaint,
  rejectComplaint,
  resolveComplaint,
  startInvestigation,
} from "../src/commands/complaints/complaintTransitions.js";
import { createComplaint } from "../src/commands/complaints/createComplaint.js";
import type { CommandContext } from "../src/commands/context.js";
import { weeklyDigest } from "../src/commands/digest.js";
import { addDocument, reviewedNoChange } from "../src/commands/documents/documentCommands.js";
import { approveIdea, implementIdea, startIdea, submitIdea } from "../src/commands/ideas/ideaCommands.js";
import { changeRole } from "../src/commands/members.js";
import { addObjective, recordReading } from "../src/commands/objectives/objectiveCommands.js";
import {
  acknowledgePolicy,
  approvePolicy,
  draftPolicy,
  publishPolicy,
} from "../src/commands/policy/policyCommands.js";
import { syncMembers } from "../src/commands/policy/policyRequests.js";
import {
  approveMinutes,
  recordDecision,
  recordMinutes,
  reviewPack,
  scheduleReview,
  setReviewInput,
} from "../src/commands/reviews/reviewCommands.js";
import { setupWorkspace } from "../src/commands/setupWorkspace.js";
import { deliverDue } from "../src/jobs/deliverDue.js";
import { recordCalendar } from "../src/jobs/qmsCalendar.js";
import { createLogger } from "../src/logger.js";
import {
  CorrectiveActionModel,
  InternalAuditModel,
  ManagementReviewModel,
  ReminderDeliveryModel,
} from "../src/models/index.js";
import { useTestDatabase } from "./helpers/db.js";
import { FakeSlack } from "./helpers/fakeSlack.js";

useTestDatabase();
const logger = createLogger(process.env.TEST_LOG_LEVEL === "debug" ? "error" : "silent", false);
let fake: FakeSlack;
const clock = { t: new Date("2026-11-02T08:00:00Z"), now: () => clock.t };
const qm = { id: "UQMCAL", name: "Quinn Quality" };
const top = { id: "UTOPCAL", name: "Tara Top" };
const tokyo = { id: "UTOKYO", name: "Kenji Auditor" };
const chicago = { id: "UCHICAGO", name: "Carla Auditee" };
const omar = { id: "UOMAR", name: "Omar Owner" };
const ctxIn =
  (workspaceId: string) =>
  (actor = qm, at = clock.t): CommandContext => ({ workspaceId, platform: "slack", actor, now: at });

async function newWorkspace(workspaceId: string, channel = "CQUALITY") {
  const ctx = ctxIn(workspaceId);
  await setupWorkspace(ctx(), { externalId: workspaceId.slice(6), qualityChannelId: channel });
  await syncMembers(
    workspaceId,
    [
      { userId: qm.id, name: qm.name, tz: "Europe/Berlin", isGuest: false },
      { userId: top.id, name: top.name, tz: "Europe/London", isGuest: false },
      { userId: tokyo.id, name: tokyo.name, tz: "Asia/Tokyo", isGuest: false },
      { userId: chicago.id, name: chicago.name, tz: "America/Chicago", isGuest: false },
      { userId: omar.id, name: omar.name, tz: "UTC", isGuest: false },
    ],
    clock.t,
    false,
  );
  await changeRole(ctx(), top, "top_management", true);
  return ctx;
}

const jobDeps = () => ({
  logger,
  clock,
  ports: { slack: new SlackMessagingPort("xoxb-cal", fake.apiUrl, logger) },
  workerId: "w",
});
const localHour = (at: Date, tz: string) => new TZDate(at.getTime(), tz).getHours();
const localDay = (at: Date, tz: string) => new TZDate(at.getTime(), tz).getDay();

beforeAll(async () => {
  fake = await new FakeSlack("xoxb-cal").start();
});
afterAll(async () => {
  await fake.stop();
});

describe("the audit programme", () => {
  it("generates the year's planned audits per process frequency, once, and reports planned versus done and what is late", async () => {
    const ctx = await newWorkspace("slack:TPROG");
    await setProgrammeEntry(ctx(), "Purchasing", 2, omar);
    await setProgrammeEntry(ctx(), "Production", 1, null);
    await setProgrammeEntry(ctx(), "Design", 4, null);
    const { created } = await generateProgramme(ctx(), 2027);
    const planned = created.map((a) => `${a.process} ${a.scheduledFor?.toISOString().slice(0, 10)}`).sort();
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
    const again = await generateProgramme(ctx(), 2027);
    expect(again.created).toHaveLength(0);
    expect(again.existing).toBe(7);

    const status = await programmeStatus(ctxIn("slack:TPROG")(qm, new Date("2027-06-01T00:00:00Z")), 2027);
    const design = status.rows.find((r) => r.process === "Design");
    expect(design).toMatchObject({ planned: 4, done: 0 });
    expect(design?.late.map((a) => a.scheduledFor?.toISOString().slice(0, 10))).toEqual([
      "2027-02-15",
      "2027-05-15",
    ]);
    expect(status.rows.find((r) => r.process === "Purchasing")?.late).toHaveLength(1);
  });
});

describe("internal audits", () => {
  it("refuses an auditor who would audit their own work, and schedules nothing", async () => {
    const ctx = await newWorkspace("slack:TIMP");
    await setProgrammeEntry(ctx(), "Purchasing", 1, omar);
    const base = { process: "Purchasing", clauses: "8.4", date: "2026-12-10", checklist: "" };
    await expect(scheduleAudit(ctx(), base, { leadAuditor: omar, auditees: [] })).rejects.toThrow(
      /Omar Owner owns the process "Purchasing" and cannot audit it/,
    );
    await expect(
      scheduleAudit(ctx(), { ...base, process: "Sales" }, { leadAuditor: chicago, auditees: [chicago] }),
    ).rejects.toThrow(/Carla Auditee is an auditee of this audit and cannot also audit it/);
    expect(await InternalAuditModel.countDocuments({ workspaceId: "slack:TIMP" })).toBe(0);
  });

  it("reminds the auditor and auditees 14 days and 1 day before, each in their own working hours", async () => {
    const ctx = await newWorkspace("slack:TREM");
    // Thursday 10 Dec 2026.
    const { audit } = await scheduleAudit(
      ctx(),
      {
        process: "Warehouse",
        clauses: "8.5.4, 7.1.5",
        date: "2026-12-10",
        checklist: "Are locations labelled?\nIs FIFO kept?",
      },
      { leadAuditor: tokyo, auditees: [chicago] },
    );
    const received: Record<string, Date[]> = {};
    for (
      clock.t = new Date("2026-11-20T00:00:00Z");
      clock.t < new Date("2026-12-11T00:00:00Z");
      clock.t = new Date(clock.t.getTime() + 3600_000)
    ) {
      const before = Object.fromEntries([tokyo, chicago].map((p) => [p.id, fake.dmsTo(p.id).length]));
      await recordCalendar(jobDeps());
      // Every worker runs it: recording again adds nothing (checked once a day, to keep it quick).
      if (clock.t.getUTCHours() === 0) await recordCalendar(jobDeps());
      await deliverDue(jobDeps());
      for (const p of [tokyo, chicago])
        if (fake.dmsTo(p.id).length > (before[p.id] ?? 0))
          received[p.id] = [...(received[p.id] ?? []), new Date(clock.t)];
    }
    for (const [person, tz] of [
      [tokyo, "Asia/Tokyo"],
      [chicago, "America/Chicago"],
    ] as const) {
      const texts = fake
        .dmsTo(person.id)
        .map((m) => String(m.text))
        .filter((t) => t.includes(audit.ref ?? "?"));
      expect(texts.filter((t) => t.includes("is on 2026-12-10"))).toHaveLength(2);
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
  }, 120_000);

  it("a nonconformity raises a corrective action linked to the audit and the finding; the audit closes once that action is done", async () => {
    clock.t = new Date("2026-12-01T10:00:00Z");
    const ctx = await newWorkspace("slack:TNC");
    await setProgrammeEntry(ctx(), "Purchasing", 1, omar);
    const { audit } = await scheduleAudit(
      ctx(),
      { process: "Purchasing", clauses: "8.4", date: "2026-12-01", checklist: "" },
      { leadAuditor: tokyo, auditees: [omar] },
    );
    const ref = audit.ref ?? "";
    const auditor = ctx(tokyo);
    await expect(
      recordFinding(auditor, ref, { type: "minor", clause: "8.4.1", evidence: "No approved list" }),
    ).rejects.toThrow(/start the audit first/);
    await startAudit(auditor, ref);
    await expect(
      recordFinding(ctx(chicago), ref, { type: "minor", clause: "8.4.1", evidence: "No approved list" }),
    ).rejects.toThrow(/Only the owner of .* \(Kenji Auditor\) or a quality manager/);
    await expect(
      recordFinding(auditor, ref, { type: "serious", clause: "8.4.1", evidence: "No approved list" }),
    ).rejects.toThrow(/major, minor, observation or opportunity/);
    const { finding, action } = await recordFinding(auditor, ref, {
      type: "major",
      clause: "8.4.1",
      evidence: "Supplier list not approved since 2024",
    });
    expect(finding).toMatchObject({ id: "F1", type: "major_nc", clause: "8.4.1" });
    expect(action).toMatchObject({
      source: "audit_finding",
      sourceRef: `${ref}#F1`,
      owner: omar,
      state: "open",
    });
    expect(action?.dueAt.toISOString().slice(0, 10)).toBe("2026-12-31");
    const obs = await recordFinding(auditor, ref, {
      type: "observation",
      clause: "7.5.3",
      evidence: "Old forms in the drawer",
    });
    expect(obs.action).toBeNull();
    const stored = await InternalAuditModel.findOne({ ref, workspaceId: "slack:TNC" }).lean();
    expect(stored?.findings.map((f) => [f.id, f.actionRef])).toEqual([
      ["F1", action?.ref],
      ["F2", null],
    ]);
    await issueReport(auditor, ref);
    const { closeAudit } = await import("../src/commands/audits/auditCommands.js");
    await expect(closeAudit(ctx(), ref)).rejects.toThrow(new RegExp(`${action?.ref} is open`));
    await startAction(ctx(omar), action?.ref ?? "");
    await completeAction(ctx(omar), action?.ref ?? "");
    // Done is enough to close the audit; its effectiveness is judged on the action itself.

    const { record } = await closeAudit(ctx(), ref);
    expect(record.state).toBe("closed");
  });
});

describe("management reviews", () => {
  it("the pack's figures equal those computed by hand from seeded records, with the trend against the previous period", async () => {
    const ws = "slack:TPACK";
    clock.t = new Date("2025-11-01T10:00:00Z");
    const ctx = await newWorkspace(ws);
    const at = (iso: string, actor = qm) => ctx(actor, new Date(iso));
    // The previous review, 1 Dec 2025, with one decision (its action later done and verified).
    const { review: previous } = await scheduleReview(at("2025-11-01T10:00:00Z"), "2025-12-01", [top]);
    await recordMinutes(at("2025-12-01T15:00:00Z"), previous.ref ?? "", "Reviewed the year.");
    const { action: previousAction } = await recordDecision(at("2025-12-01T15:05:00Z"), previous.ref ?? "", {
      text: "Train buyers",
      owner: omar,
      dueDate: "2026-03-01",
    });
    await approveMinutes(at("2025-12-02T09:00:00Z", top), previous.ref ?? "");

    // Complaints: 1 in the previous period (2024-12-01 .. 2025-12-01), 3 in this one.
    const complaint = (iso: string, severity: string, title: string) =>
      createComplaint(
        { ...at(iso, omar), requestId: `c:${title}` },
        { title, severity, category: "product" },
      );
    await complaint("2025-06-01T10:00:00Z", "medium", "Old one");
    const { complaint: c1 } = await complaint("2026-01-10T10:00:00Z", "high", "Broken seal");
    await complaint("2026-03-10T10:00:00Z", "low", "Late invoice");
    const { complaint: c3 } = await complaint("2026-05-10T10:00:00Z", "low", "Typo in manual");
    // c1 is closed; c3 is rejected; "Late invoice" and "Old one" stay open past their due dates: 2 overdue now.
    await acceptComplaint(at("2026-01-11T10:00:00Z"), c1.ref ?? "");
    await startInvestigation(at("2026-01-12T10:00:00Z"), c1.ref ?? "");
    await resolveComplaint(at("2026-01-13T10:00:00Z"), c1.ref ?? "");
    await closeComplaint(at("2026-01-14T10:00:00Z"), c1.ref ?? "", true);
    await rejectComplaint(at("2026-05-11T10:00:00Z"), c3.ref ?? "", "Not a product issue");

    // Actions raised in the period: the previous review's (2025-12-01: in the period), plus two more; one verified effective.
    for (const [ref, done] of [[previousAction.ref ?? "", true]] as const) {
      await startAction(at("2026-01-05T10:00:00Z", omar), ref);
      await completeAction(at("2026-02-05T10:00:00Z", omar), ref);
      if (done) await verifyActionEffective(at("2026-03-10T10:00:00Z"), ref);
    }
    await createAction(
      { ...at("2026-02-01T10:00:00Z"), requestId: "a1" },
      { problem: "Calibrate scales", ownerId: omar.id, ownerName: omar.name, dueDate: "2026-03-01" },
    );
    await createAction(
      { ...at("2026-06-01T10:00:00Z"), requestId: "a2" },
      { problem: "Update work instruction", ownerId: omar.id, ownerName: omar.name, dueDate: "2026-12-31" },
    );

    // Audits in the period: one reported with a major NC and an observation (the NC raises a third action), one not done.
    const { audit } = await scheduleAudit(
      at("2026-04-01T10:00:00Z"),
      { process: "Warehouse", clauses: "8.5", date: "2026-04-20", checklist: "" },
      { leadAuditor: tokyo, auditees: [chicago] },
    );
    await startAudit(at("2026-04-20T10:00:00Z", tokyo), audit.ref ?? "");
    await recordFinding(at("2026-04-20T11:00:00Z", tokyo), audit.ref ?? "", {
      type: "major",
      clause: "8.5.4",
      evidence: "Unlabelled stock",
    });
    await recordFinding(at("2026-04-20T12:00:00Z", tokyo), audit.ref ?? "", {
      type: "observation",
      clause: "7.1.5",
      evidence: "Gauge label faded",
    });
    await issueReport(at("2026-04-21T10:00:00Z", tokyo), audit.ref ?? "");
    await scheduleAudit(
      at("2026-04-01T10:00:00Z"),
      { process: "Sales", clauses: "8.2", date: "2026-11-20", checklist: "" },
      { leadAuditor: tokyo, auditees: [omar] },
    );

    // Ideas in the period: 3 submitted, 2 approved (one of them implemented).
    const idea = (iso: string, title: string) =>
      submitIdea({ ...at(iso, chicago), requestId: `i:${title}` }, { title });
    const { idea: i1 } = await idea("2026-02-01T10:00:00Z", "Kanban cards");
    const { idea: i2 } = await idea("2026-03-01T10:00:00Z", "Shadow boards");
    await idea("2026-04-01T10:00:00Z", "Music in the canteen");
    await approveIdea(at("2026-02-02T10:00:00Z"), i1.ref ?? "");
    await startIdea(at("2026-02-03T10:00:00Z"), i1.ref ?? "");
    await implementIdea(at("2026-04-03T10:00:00Z"), i1.ref ?? "");
    await approveIdea(at("2026-03-02T10:00:00Z"), i2.ref ?? "");

    // Objectives: one met, one not.
    const { objective: otd } = await addObjective(
      at("2026-01-01T10:00:00Z"),
      { name: "On-time delivery", target: 95, unit: "%", direction: "at_least", frequency: "monthly" },
      omar,
    );
    await recordReading(at("2026-10-02T10:00:00Z", omar), otd.ref ?? "", "96.5", "2026-09");
    const { objective: ppm } = await addObjective(
      at("2026-01-01T10:00:00Z"),
      { name: "Defects", target: 500, unit: "ppm", direction: "at_most", frequency: "quarterly" },
      omar,
    );
    await recordReading(at("2026-10-02T10:00:00Z", omar), ppm.ref ?? "", "620", "2026-Q3");

    // The policy: 2 of 5 members acknowledged.
    const draft = await draftPolicy(at("2026-01-02T10:00:00Z"), { text: "Quality first." });
    await approvePolicy(at("2026-01-03T10:00:00Z", top), draft.ref ?? "");
    await publishPolicy(at("2026-01-04T10:00:00Z"), draft.ref ?? "");
    await acknowledgePolicy(at("2026-01-05T10:00:00Z", omar), draft.ref ?? "");
    await acknowledgePolicy(at("2026-01-05T10:00:00Z", tokyo), draft.ref ?? "");

    // This review, 1 Dec 2026: its period starts at the previous review.
    const { review } = await scheduleReview(at("2026-11-01T10:00:00Z"), "2026-12-01", []);
    await setReviewInput(
      at("2026-11-02T10:00:00Z"),
      review.ref ?? "",
      "suppliers",
      "Two suppliers late twice; one replaced.",
    );
    const pack = await reviewPack(at("2026-11-30T10:00:00Z"), review.ref ?? "");
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
      { name: "On-time delivery", latest: 96.5, target: 95, unit: "%", met: true },
      { name: "Defects", latest: 620, target: 500, unit: "ppm", met: false },
    ]);
    expect(pack.policy).toMatchObject({ acknowledged: 2, members: 5, rate: 0.4 });
    expect(pack.toFillIn.find((i) => i.key === "suppliers")?.text).toBe(
      "Two suppliers late twice; one replaced.",
    );
    expect(pack.toFillIn.find((i) => i.key === "resources")?.text).toBeNull();
  });

  it("decisions become actions with owner and due date; top management approves the minutes; the next review is scheduled", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ctx = await newWorkspace("slack:TDEC");
    await expect(scheduleReview(ctx(), "2026-12-15", [omar])).rejects.toThrow(
      /Omar Owner is not top management/,
    );
    const { review } = await scheduleReview(ctx(), "2026-12-15", []);
    const ref = review.ref ?? "";
    await expect(
      recordDecision(ctx(), ref, { text: "Hire a second auditor", owner: omar, dueDate: "2027-03-01" }),
    ).rejects.toThrow(/no minutes yet/);
    await recordMinutes(
      ctx(qm, new Date("2026-12-15T16:00:00Z")),
      ref,
      "Resources discussed; audit capacity is short.",
    );
    const { action } = await recordDecision(ctx(qm, new Date("2026-12-15T16:10:00Z")), ref, {
      text: "Hire a second auditor",
      owner: omar,
      dueDate: "2027-03-01",
    });
    expect(action).toMatchObject({ source: "management_review", sourceRef: ref, owner: omar, state: "open" });
    expect(action.dueAt.toISOString().slice(0, 10)).toBe("2027-03-01");
    await expect(approveMinutes(ctx(qm, new Date("2026-12-16T09:00:00Z")), ref)).rejects.toThrow(
      /Only top management can approve/,
    );
    const { review: approved, next } = await approveMinutes(ctx(top, new Date("2026-12-16T09:00:00Z")), ref);
    expect(approved).toMatchObject({ state: "minutes_approved", minutesApprovedBy: top });
    expect(approved.decisions).toEqual([{ text: "Hire a second auditor", actionRef: action.ref }]);
    expect(next.scheduledFor.toISOString().slice(0, 10)).toBe("2027-12-15");
    expect(next.attendees).toEqual([top]);
    expect(await ManagementReviewModel.countDocuments({ workspaceId: "slack:TDEC" })).toBe(2);
    expect(
      await CorrectiveActionModel.countDocuments({ workspaceId: "slack:TDEC", source: "management_review" }),
    ).toBe(1);
  });
});

describe("controlled documents and objectives", () => {
  it("the owner is reminded when a document's review is due and records 'reviewed, no change'", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ctx = await newWorkspace("slack:TDOC");
    const { record: doc } = await addDocument(
      ctx(),
      {
        title: "Purchasing procedure",
        documentType: "procedure",
        version: 3,
        link: "https://docs.example.com/p-7",
        reviewIntervalMonths: 1,
      },
      omar,
    );
    await recordCalendar(jobDeps());
    expect(await ReminderDeliveryModel.countDocuments({ occasion: { $regex: `^document:${doc.ref}` } })).toBe(
      0,
    );
    clock.t = new Date("2026-12-02T10:00:00Z");
    await recordCalendar(jobDeps());
    await deliverDue(jobDeps());
    const reminder = fake
      .dmsTo(omar.id)
      .find((m) =>
        String(m.text).includes(`${doc.ref} "Purchasing procedure" (version 3) is due for its review`),
      );
    expect(JSON.stringify(reminder?.blocks)).toContain("document.reviewed");
    const { record } = await reviewedNoChange(ctx(omar, clock.t), doc.ref ?? "");
    expect(record.nextReviewAt?.toISOString().slice(0, 10)).toBe("2027-01-02");
  });

  it("the weekly digest goes to the quality channel on Monday at 09:00 workspace time, and is skipped when there is nothing to say", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TDIG";
    await newWorkspace(ws, "CDIGEST");
    // Monday 9 Nov 2026, 09:00 in Berlin (the workspace's zone) is 08:00 UTC.
    const { setWorkspaceTimezone } = await import("../src/commands/setupWorkspace.js");
    await setWorkspaceTimezone(ctxIn(ws)(), "Europe/Berlin");
    expect(await weeklyDigest(ws, new Date("2026-11-09T08:00:00Z"))).toBeNull();
    for (
      clock.t = new Date("2026-11-09T06:00:00Z");
      clock.t < new Date("2026-11-09T12:00:00Z");
      clock.t = new Date(clock.t.getTime() + 3600_000)
    ) {
      await recordCalendar(jobDeps());
    }
    expect(
      await ReminderDeliveryModel.countDocuments({ workspaceId: ws, occasion: { $regex: "^digest:" } }),
    ).toBe(0);

    const ctx = ctxIn(ws);
    await createComplaint(
      { ...ctx(omar, new Date("2026-11-12T10:00:00Z")), requestId: "d1" },
      { title: "Scratched lid", severity: "high", category: "product" },
    );
    await createAction(
      { ...ctx(qm, new Date("2026-11-12T10:00:00Z")), requestId: "d2" },
      { problem: "Fix the press", ownerId: omar.id, ownerName: omar.name, dueDate: "2026-11-13" },
    );
    await scheduleReview(ctx(qm, new Date("2026-11-12T10:00:00Z")), "2026-12-01", []);
    const posted = () => (fake.posted.get("CDIGEST") ?? []).map((m) => JSON.stringify(m.blocks));
    const before = posted().length;
    for (
      clock.t = new Date("2026-11-16T05:00:00Z");
      clock.t < new Date("2026-11-16T12:00:00Z");
      clock.t = new Date(clock.t.getTime() + 3600_000)
    ) {
      await recordCalendar(jobDeps());
      // Other tests' workspaces share the database: drain whatever else is due too.
      await deliverDue(jobDeps(), 10_000);
      if (posted().length > before) break;
    }
    expect(clock.t.toISOString()).toBe("2026-11-16T08:00:00.000Z"); // 09:00 in Berlin
    const digest = posted().slice(before);
    expect(digest).toHaveLength(1);
    expect(digest[0]).toContain("New complaints: 1");
    expect(digest[0]).toContain("Overdue actions: 1");
    expect(digest[0]).toContain("Management reviews in the next 30 days");
    // Later runs that Monday add nothing.
    clock.t = new Date("2026-11-16T10:00:00Z");
    await recordCalendar(jobDeps());
    await deliverDue(jobDeps());
    expect(posted().slice(before)).toHaveLength(1);
  });
});

describe("calendar reminders", () => {
  it("a review: the QMs 14 days before, the attendees the day before with the pack, the QMs when the minutes are overdue", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TREVREM";
    const ctx = await newWorkspace(ws, "CREVREM");
    const { review } = await scheduleReview(ctx(), "2026-12-01", []);
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
    expect(eve?.content.lines?.join("\n")).toContain("Complaints: 0 (previous period 0)");
    expect(review.ref).toBeTruthy();
  });

  it("an audit's report is chased after 7 days, and an objective's owner is asked for the last period's value once", async () => {
    clock.t = new Date("2026-11-02T08:00:00Z");
    const ws = "slack:TCHASE";
    const ctx = await newWorkspace(ws, "CCHASE");
    const { audit } = await scheduleAudit(
      ctx(),
      { process: "Sales", clauses: "8.2", date: "2026-11-05", checklist: "" },
      { leadAuditor: tokyo, auditees: [] },
    );
    await startAudit(ctx(tokyo, new Date("2026-11-05T09:00:00Z")), audit.ref ?? "");
    const { objective } = await addObjective(
      ctx(),
      { name: "First-pass yield", target: 97, unit: "%", direction: "at_least", frequency: "monthly" },
      omar,
    );
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
      [`objective:${objective.ref}:2026-11`, omar.id],
    ]);
    expect(asked[0]?.content.buttons?.[0]?.actionId).toBe("objective.record");
    const chase = await ReminderDeliveryModel.find({
      workspaceId: ws,
      occasion: { $regex: "report-overdue" },
    }).lean();
    expect(chase.map((d) => [d.occasion, d.recipientId])).toEqual([
      [`audit:${audit.ref}:report-overdue-2026-11-12`, tokyo.id],
    ]);
    await recordReading(ctx(omar, clock.t), objective.ref ?? "", "98");
    clock.t = new Date("2026-12-01T11:00:00Z");
    await recordCalendar(jobDeps());
    expect(
      await ReminderDeliveryModel.countDocuments({ workspaceId: ws, occasion: { $regex: "^objective:" } }),
    ).toBe(1);
  });
});
