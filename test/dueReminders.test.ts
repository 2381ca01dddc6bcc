import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackMessagingPort } from "../src/bot/slack/messagingPort.js";
import {
  completeAction,
  snoozeActionReminders,
  startAction,
} from "../src/commands/actions/actionTransitions.js";
import { createAction } from "../src/commands/actions/createAction.js";
import { assignComplaintOwner } from "../src/commands/complaints/complaintTransitions.js";
import { createComplaint } from "../src/commands/complaints/createComplaint.js";
import type { CommandContext } from "../src/commands/context.js";
import { syncMembers } from "../src/commands/policy/policyRequests.js";
import { setupWorkspace } from "../src/commands/setupWorkspace.js";
import { deliverDue } from "../src/jobs/deliverDue.js";
import { recordDueReminders } from "../src/jobs/dueReminders.js";
import { createLogger } from "../src/logger.js";
import { useTestDatabase } from "./helpers/db.js";
import { FakeSlack } from "./helpers/fakeSlack.js";

useTestDatabase();
const logger = createLogger("silent", false);
let fake: FakeSlack;
const clock = { t: new Date("2026-11-25T09:00:00Z"), now: () => clock.t };
const workspaceId = "slack:TDUE";
const qm = { id: "UQMDUE", name: "Quinn" };
const owner = { id: "UOWNDUE", name: "Omar" };
const ctx = (actor = qm): CommandContext => ({ workspaceId, platform: "slack", actor, now: clock.t });

beforeAll(async () => {
  fake = await new FakeSlack("xoxb-due").start();
  await setupWorkspace(ctx(), { externalId: "TDUE" });
  await syncMembers(
    workspaceId,
    [qm, owner].map((p) => ({ userId: p.id, name: p.name, tz: "UTC", isGuest: false })),
    clock.t,
  );
});
afterAll(async () => {
  await fake.stop();
});

async function runUntil(endIso: string, onTick?: () => Promise<void>) {
  const deps = {
    logger,
    clock,
    ports: { slack: new SlackMessagingPort("xoxb-due", fake.apiUrl, logger) },
    workerId: "w",
  };
  for (; clock.t < new Date(endIso); clock.t = new Date(clock.t.getTime() + 4 * 3600_000)) {
    await onTick?.();
    await recordDueReminders(deps);
    await recordDueReminders(deps); // every worker runs it; nothing is recorded twice
    await deliverDue(deps);
  }
}

const texts = (userId: string) => fake.dmsTo(userId).map((m) => String(m.text));

describe("reminders about actions and complaints", () => {
  it("an action's owner hears 2 days before, on the day and weekly while overdue, and nothing once it is done", async () => {
    const { action } = await createAction(ctx(), {
      problem: "Labels peel off",
      ownerId: owner.id,
      ownerName: owner.name,
      dueDate: "2026-12-03",
    });
    await startAction(ctx(owner), action.ref ?? "");
    await runUntil("2026-12-19T00:00:00Z", async () => {
      if (clock.t.toISOString() === "2026-12-11T13:00:00.000Z")
        await completeAction(ctx(owner), action.ref ?? "");
    });
    // After the week-overdue reminder went unanswered, the QM got the list once a day until done.
    const escalations = fake.dmsTo(qm.id).filter((m) => String(m.text).includes("overdue despite reminders"));
    expect(escalations.length).toBeGreaterThanOrEqual(1);
    expect(escalations.length).toBeLessThanOrEqual(2); // 11 and 12 Dec at most: done on the 11th
    expect(JSON.stringify(escalations[0]?.blocks)).toContain(action.ref ?? "?");
    const about = texts(owner.id).filter((t) => t.includes(action.ref ?? "?"));
    expect(about).toEqual([
      `${action.ref} is due in 2 days (2026-12-03).`,
      `${action.ref} is due today.`,
      `${action.ref} is 1 week overdue (due 2026-12-03).`,
    ]);
  });

  it("snoozed reminders stay quiet until the date, and the snooze is in the action's history", async () => {
    clock.t = new Date("2027-03-01T09:00:00Z");
    const { action } = await createAction(ctx(), {
      problem: "Snoozed action",
      ownerId: owner.id,
      ownerName: owner.name,
      dueDate: "2027-03-03",
    });
    const { event } = await snoozeActionReminders(
      ctx(owner),
      action.ref ?? "",
      "2027-03-10",
      "Waiting for the supplier's samples",
    );
    expect(event).toMatchObject({
      type: "reminders_snoozed",
      reason: "Waiting for the supplier's samples",
      actor: owner,
    });
    await runUntil("2027-03-11T00:00:00Z");
    const about = fake.dmsTo(owner.id).filter((m) => String(m.text).includes(action.ref ?? "?"));
    // Nothing before the 10th; on the 10th the overdue series resumes (one week overdue).
    expect(about.map((m) => String(m.text))).toEqual([`${action.ref} is 1 week overdue (due 2027-03-03).`]);
  });

  it("a snooze needs a reason and a date within 90 days", async () => {
    const { action } = await createAction(ctx(), {
      problem: "Bad snooze",
      ownerId: owner.id,
      ownerName: owner.name,
      dueDate: "2027-04-30",
    });
    await expect(snoozeActionReminders(ctx(owner), action.ref ?? "", "2027-04-20", " ")).rejects.toThrow(
      "reason",
    );
    await expect(snoozeActionReminders(ctx(owner), action.ref ?? "", "2030-01-01", "later")).rejects.toThrow(
      "90 days",
    );
    await expect(
      snoozeActionReminders(ctx({ id: "USTRANGER", name: "Stranger" }), action.ref ?? "", "2027-04-20", "x"),
    ).rejects.toThrow("Only the owner");
  });

  it("the QM is asked to check effectiveness when the check date comes", async () => {
    clock.t = new Date("2026-12-20T09:00:00Z");
    const { action } = await createAction(ctx(), {
      problem: "Wrong torque",
      ownerId: owner.id,
      ownerName: owner.name,
      dueDate: "2026-12-30",
    });
    await startAction(ctx(owner), action.ref ?? "");
    await completeAction(ctx(owner), action.ref ?? ""); // check due 30 days later
    await runUntil("2027-01-20T00:00:00Z");
    const asks = texts(qm.id).filter((t) => t.includes(`whether ${action.ref} was effective`));
    expect(asks).toHaveLength(1);
  });

  it("a complaint past due: its owner is told once, the QMs get one list a day", async () => {
    clock.t = new Date("2027-02-01T09:00:00Z");
    const { complaint } = await createComplaint(ctx(), {
      title: "Late shipment",
      severity: "critical",
      category: "delivery",
    });
    await assignComplaintOwner(ctx(), complaint.ref ?? "", owner);
    await runUntil("2027-02-05T00:00:00Z");
    expect(texts(owner.id).filter((t) => t.includes(`${complaint.ref} is past its due date`))).toHaveLength(
      1,
    );
    const digests = texts(qm.id).filter((t) => t.includes("past due"));
    expect(digests.length).toBeGreaterThanOrEqual(1);
    expect(digests.length).toBeLessThanOrEqual(3); // at most one a day
  });
});
