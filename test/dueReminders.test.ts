import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackMessagingPort } from "../src/bot/slack/port.js";
import { deliverDue } from "../src/jobs/deliverDue.js";
import type { JobDeps } from "../src/jobs/deps.js";
import { createLogger } from "../src/logger.js";
import { type CorrectiveAction, CorrectiveActionModel } from "../src/records/action/model.js";
import { type Complaint, ComplaintModel } from "../src/records/complaint/model.js";
import { createMember } from "../src/records/member/commands.js";
import { act, ctxFor, setUp, textOf } from "./helpers/core.js";
import { useTestDatabase } from "./helpers/db.js";
import { FakeSlack } from "./helpers/fakeSlack.js";
import { testJobDeps } from "./helpers/jobs.js";

/** What "Mark done" asks for when the action does not say it yet (ISO 9001 10.2.1 b, c). */
const DONE_INPUTS = { rootCause: "Supplier list never reviewed", actionTaken: "List reviewed and approved" };
useTestDatabase();
const logger = createLogger("silent", false);
let fake: FakeSlack;
const clock = { t: new Date("2026-11-25T09:00:00Z"), now: () => clock.t };
const workspaceId = "slack:TDUE";
const qm = { id: "UQMDUE", name: "Quinn" };
const owner = { id: "UOWNDUE", name: "Omar" };
const ctx = (actor = qm) => ctxFor(workspaceId, actor, clock.t);

beforeAll(async () => {
  fake = await new FakeSlack("xoxb-due").start();
  await setUp(ctx());
  for (const p of [qm, owner]) await createMember(workspaceId, p, qm, clock.t, { tz: "UTC", isGuest: false });
});
afterAll(async () => {
  await fake.stop();
});

/** A QM opens an action for `owner` through the form, as from a chat. */
async function createAction(problem: string, dueDate: string): Promise<CorrectiveAction> {
  const done = await act(ctx(), "action.new", "", {
    problem,
    ownerId: owner.id,
    dueDate,
    actionType: "corrective",
  });
  expect(done.kind, textOf(done)).toBe("done");
  const action = (await CorrectiveActionModel.findOne({
    workspaceId,
    problem,
  }).lean()) as CorrectiveAction | null;
  if (!action) throw new Error(`no action was saved: ${textOf(done)}`);
  return action;
}

async function press(actor: typeof qm, id: string, ref: string, inputs: Record<string, string> = {}) {
  const answer = await act(ctx(actor), id, ref, inputs);
  if (answer.kind === "reply" || answer.kind === "invalid") throw new Error(textOf(answer));
  return answer;
}

async function runUntil(endIso: string, onTick?: () => Promise<void>) {
  const deps: JobDeps = testJobDeps(logger, clock, {
    slack: new SlackMessagingPort("xoxb-due", fake.apiUrl, logger),
  });
  for (; clock.t < new Date(endIso); clock.t = new Date(clock.t.getTime() + 4 * 3600_000)) {
    await onTick?.();
    await deps.tasks.recordReminders(clock.t);
    await deps.tasks.recordReminders(clock.t); // every worker runs it; nothing is recorded twice
    await deliverDue(deps);
  }
}

const texts = (userId: string) => fake.dmsTo(userId).map((m) => String(m.text));

// Each test walks a simulated clock through weeks of hourly job runs: slow by nature, not stuck.
describe("reminders about actions and complaints", { timeout: 120_000 }, () => {
  it("an action's owner hears 2 days before, on the day and weekly while overdue, and nothing once it is done", async () => {
    const action = await createAction("Labels peel off", "2026-12-03");
    await press(owner, "action.start", action.ref ?? "");
    await runUntil("2026-12-19T00:00:00Z", async () => {
      if (clock.t.toISOString() === "2026-12-11T13:00:00.000Z")
        await press(owner, "action.complete", action.ref ?? "", DONE_INPUTS);
    });
    // After the week-overdue reminder went unanswered, the QM got the list once a day until done.
    const escalations = fake.dmsTo(qm.id).filter((m) => String(m.text).includes("overdue despite reminders"));
    expect(escalations.length).toBeGreaterThanOrEqual(1);
    expect(escalations.length).toBeLessThanOrEqual(2); // 11 and 12 Dec at most: done on the 11th
    expect(JSON.stringify(escalations[0]?.blocks)).toContain(action.ref ?? "?");
    const reminders = texts(owner.id).filter((t) => t.startsWith(`${action.ref} is `));
    expect(reminders).toEqual([
      `${action.ref} is due in 2 days (3 Dec 2026).`,
      `${action.ref} is due today (3 Dec 2026).`,
      `${action.ref} is 1 week overdue (due 3 Dec 2026).`,
    ]);
  });

  it("snoozed reminders stay quiet until the date, and the snooze is in the action's history", async () => {
    clock.t = new Date("2027-03-01T09:00:00Z");
    const action = await createAction("Snoozed action", "2027-03-03");
    await press(owner, "action.snooze", action.ref ?? "", {
      until: "2027-03-10",
      reason: "Waiting for the supplier's samples",
    });
    const { HistoryEventModel } = await import("../src/db/historyModels.js");
    const event = await HistoryEventModel.findOne({
      recordKey: action._id,
      type: "reminders_snoozed",
    }).lean();
    expect(event).toMatchObject({
      type: "reminders_snoozed",
      reason: "Waiting for the supplier's samples",
      actor: owner,
    });
    await runUntil("2027-03-11T00:00:00Z");
    const about = texts(owner.id).filter((t) => t.includes(action.ref ?? "?"));
    // The snooze is confirmed to its maker; of the reminders, nothing before the 10th, and on
    // the 10th the overdue series resumes (one week overdue).
    expect(about).toContain(`✅ ${action.ref} snoozed by Omar.`);
    expect(about.filter((t) => t.startsWith(`${action.ref} is `))).toEqual([
      `${action.ref} is 1 week overdue (due 3 Mar 2027).`,
    ]);
  });

  it("a snooze needs a reason and a date within 90 days", async () => {
    const action = await createAction("Bad snooze", "2027-04-30");
    const ref = action.ref ?? "";
    const noReason = await act(ctx(owner), "action.snooze", ref, { until: "2027-04-20", reason: " " });
    expect(noReason.kind).toBe("invalid");
    expect(textOf(noReason)).toMatch(/reason/i);
    const tooLate = await act(ctx(owner), "action.snooze", ref, { until: "2030-01-01", reason: "later" });
    expect(textOf(tooLate)).toContain("90 days");
    const stranger = await act(ctx({ id: "USTRANGER", name: "Stranger" }), "action.snooze", ref, {
      until: "2027-04-20",
      reason: "x",
    });
    expect(textOf(stranger)).toMatch(/Only the action's owner or a quality manager|owner/);
    const { HistoryEventModel } = await import("../src/db/historyModels.js");
    expect(await HistoryEventModel.countDocuments({ recordKey: action._id, type: "reminders_snoozed" })).toBe(
      0,
    );
  });

  it("the QM is asked to check effectiveness when the check date comes", async () => {
    clock.t = new Date("2026-12-20T09:00:00Z");
    const action = await createAction("Wrong torque", "2026-12-30");
    await press(owner, "action.start", action.ref ?? "");
    await press(owner, "action.complete", action.ref ?? "", DONE_INPUTS); // check due 30 days later
    await runUntil("2027-01-20T00:00:00Z");
    const asks = texts(qm.id).filter((t) => t.includes(`whether ${action.ref} was effective`));
    expect(asks).toHaveLength(1);
  });

  it("a complaint past due: its owner is told once, the QMs get one list a day", async () => {
    clock.t = new Date("2027-02-01T09:00:00Z");
    await act(ctx(owner), "complaint.new", "", {
      title: "Late shipment",
      severity: "critical",
      category: "delivery",
    });
    const complaint = (await ComplaintModel.findOne({
      workspaceId,
      title: "Late shipment",
    }).lean()) as Complaint;
    await press(qm, "complaint.accept", complaint.ref ?? "");
    await press(qm, "complaint.assign", complaint.ref ?? "", { ownerId: owner.id });
    await runUntil("2027-02-05T00:00:00Z");
    expect(texts(owner.id).filter((t) => t.includes(`${complaint.ref} is past its due day`))).toHaveLength(1);
    const digests = texts(qm.id).filter((t) => t.includes("past due"));
    expect(digests.length).toBeGreaterThanOrEqual(1);
    expect(digests.length).toBeLessThanOrEqual(3); // at most one a day
  });
});
