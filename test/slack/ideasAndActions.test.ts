import { beforeAll, describe, expect, it } from "vitest";
import { TEST_START } from "../helpers/clock.js";
import { CorrectiveActionModel, HistoryEventModel, ImprovementIdeaModel } from "../helpers/models.js";
import { poll } from "../helpers/poll.js";
import {
  allText,
  employee,
  owner,
  QUALITY_CHANNEL,
  qm,
  setUpWorkspace,
  useSlackApp,
} from "../helpers/slackHarness.js";
import type { SimUser } from "../helpers/slackRequests.js";

const h = useSlackApp();
const voter: SimUser = { id: "UVOTER", name: "Val Voter" };

beforeAll(async () => {
  await setUpWorkspace(h);
});

async function submitIdea(title: string) {
  await h.slack.submitView(
    "idea.new",
    {
      title: { value: title },
      description: { value: "Use reusable crates" },
      expectedBenefit: { value: "Less damage" },
    },
    employee,
  );
  const idea = await poll(() =>
    ImprovementIdeaModel.findOne({ workspaceId: `slack:${h.teamId}`, title }).lean(),
  );
  const where = await poll(
    async () => (await ImprovementIdeaModel.findById(idea._id).lean())?.channelMessage,
  );
  return { idea, where: { channel: where.channelId, ts: where.ts } };
}

describe("improvement ideas", () => {
  it("an idea is posted to the quality channel with Vote, Approve and Reject", async () => {
    const { idea } = await submitIdea("Reusable crates for shipping");
    const post = await h.fake.waitForCall(
      "chat.postMessage",
      (c) => c.args.channel === QUALITY_CHANNEL && allText(c.args).includes(idea.ref ?? "?"),
    );
    const blocks = JSON.stringify(post.args.blocks);
    for (const id of ["idea.vote", "idea.approve", "idea.reject"]) expect(blocks).toContain(id);
    await h.fake.waitForCall(
      "chat.postMessage",
      (c) => h.fake.isDm(c, employee.id) && allText(c.args).includes(idea.ref ?? "?"),
    );
  });

  it("one vote per person: pressing again takes it back, and the count updates in place", async () => {
    const { idea, where } = await submitIdea("Label bins by colour");
    await h.slack.button("idea.vote", idea.ref ?? "", voter, where).send();
    await poll(async () => (await ImprovementIdeaModel.findById(idea._id).lean())?.votes.length === 1);
    await h.fake.waitForCall(
      "chat.update",
      (c) => c.args.ts === where.ts && allText(c.args).includes("Vote 👍 1"),
    );
    await h.slack.button("idea.vote", idea.ref ?? "", employee, where).send();
    await poll(async () => (await ImprovementIdeaModel.findById(idea._id).lean())?.votes.length === 2);
    await h.slack.button("idea.vote", idea.ref ?? "", voter, where).send();
    await poll(async () => {
      const votes = (await ImprovementIdeaModel.findById(idea._id).lean())?.votes;
      return votes?.length === 1 && votes[0] === employee.id;
    });
    // Besides its creation and where its post landed in the channel: two votes and one taken back.
    const types = (await HistoryEventModel.find({ recordKey: idea._id }).lean())
      .map((e) => e.type)
      .filter((t) => t !== "posted")
      .sort();
    expect(types).toEqual(["created", "vote_added", "vote_added", "vote_withdrawn"]);
  });

  it("concurrent votes by ten people are all counted", async () => {
    const { idea, where } = await submitIdea("Ten people vote at once");
    const people = Array.from({ length: 10 }, (_, i) => ({ id: `UV${i}`, name: `Voter ${i}` }));
    await Promise.all(people.map((p) => h.slack.button("idea.vote", idea.ref ?? "", p, where).send()));
    // Ten writers on one record: each loss is a re-read and a retry, slow on a loaded machine,
    // but none is dropped. What is asserted is the count, and one history event per vote.
    await poll(
      async () => (await ImprovementIdeaModel.findById(idea._id).lean())?.votes.length === 10,
      45_000,
    );
    expect(await HistoryEventModel.countDocuments({ recordKey: idea._id, type: "vote_added" })).toBe(10);
  }, 60_000);

  it("only a QM approves; /idea list top orders by votes", async () => {
    const { idea, where } = await submitIdea("Approve me");
    const refused = h.slack.button("idea.approve", idea.ref ?? "", employee, where);
    await refused.send();
    expect(allText(await h.fake.waitForResponse(refused.responseId))).toContain(
      "Only a quality manager can approve ideas",
    );
    await h.slack.button("idea.approve", idea.ref ?? "", qm, where).send();
    await poll(async () => (await ImprovementIdeaModel.findById(idea._id).lean())?.state === "approved");
    await h.fake.waitForCall(
      "chat.update",
      (c) => c.args.ts === where.ts && allText(c.args).includes(`approved* — by ${qm.name}`),
    );

    const top = h.slack.command("/idea", "list top", employee);
    await top.send();
    const text = allText(await h.fake.waitForResponse(top.responseId));
    const mostVoted = text.indexOf("Ten people vote at once");
    const fewer = text.indexOf("Approve me");
    expect(mostVoted, "the most-voted idea is listed").toBeGreaterThanOrEqual(0);
    expect(fewer, "the other idea is listed").toBeGreaterThanOrEqual(0);
    expect(mostVoted).toBeLessThan(fewer);
  });

  it("an idea cannot be submitted without a title (inline error)", async () => {
    const res = await h.slack.submitView(
      "idea.new",
      { title: { value: "" }, description: { value: "" }, expectedBenefit: { value: "" } },
      employee,
    );
    expect(JSON.parse(res.body).errors.title).toContain("short title");
  });
});

describe("corrective actions", () => {
  async function openAction(problem: string) {
    await h.slack.command("/qms", "action new", qm).send();
    await h.fake.waitForCall("views.open", (c) => allText(c.args).includes("New corrective action"));
    const res = await h.slack.submitView(
      "action.new",
      {
        problem: { value: problem },
        ownerId: { user: owner.id },
        dueDate: { date: "2099-03-01" },
        actionType: { option: "corrective" },
      },
      qm,
    );
    expect(res.status).toBe(200);
    const action = await poll(() =>
      CorrectiveActionModel.findOne({ workspaceId: `slack:${h.teamId}`, problem }).lean(),
    );
    const dm = await h.fake.waitForCall(
      "chat.postMessage",
      (c) => h.fake.isDm(c, owner.id) && allText(c.args).includes(action.ref ?? "?"),
    );
    return { action, where: { channel: `D${owner.id.slice(1)}`, ts: `${dm.at}` } };
  }

  it("an employee cannot open an action directly", async () => {
    const res = await h.slack.submitView(
      "action.new",
      {
        problem: { value: "Employee action" },
        ownerId: { user: owner.id },
        dueDate: { date: "2099-03-01" },
        actionType: { option: "corrective" },
      },
      employee,
    );
    // Refused on the form itself, which stays open: nothing was saved.
    expect(res.status).toBe(200);
    expect(JSON.stringify(JSON.parse(res.body).errors)).toContain(
      "Only a quality manager can open an action directly",
    );
    expect(await CorrectiveActionModel.countDocuments({ problem: "Employee action" })).toBe(0);
  });

  it("a due date that is not a date, one in the past and a missing owner are inline errors, and nothing is saved", async () => {
    const bad = await h.slack.submitView(
      "action.new",
      { problem: { value: "No owner" }, dueDate: { date: "not-a-date" } },
      qm,
    );
    const errors = JSON.parse(bad.body).errors;
    expect(errors.ownerId).toContain("Choose an owner");
    expect(errors.dueDate).toBe("Choose the due date (YYYY-MM-DD).");
    // The day before the app's clock starts (TEST_START), whatever today is.
    const past = await h.slack.submitView(
      "action.new",
      { problem: { value: "Due yesterday" }, ownerId: { user: owner.id }, dueDate: { date: "2026-11-01" } },
      qm,
    );
    expect(JSON.parse(past.body).errors.dueDate).toBe("Choose today or a later date.");
    expect(
      await CorrectiveActionModel.countDocuments({ problem: { $in: ["No owner", "Due yesterday"] } }),
    ).toBe(0);
  });

  it("owner starts and completes; QM finds it not effective (reason required), then effective", async () => {
    const { action, where } = await openAction("Crates crack in cold storage");
    expect(action).toMatchObject({ state: "open", source: "manual", owner: { id: owner.id } });
    const stateIs = (state: string) =>
      poll(async () => (await CorrectiveActionModel.findById(action._id).lean())?.state === state);

    await h.slack.button("action.start", action.ref ?? "", owner, where).send();
    await stateIs("in_progress");
    // The action says neither its root cause nor what was done: "Mark done" asks for both.
    await h.slack.button("action.complete", action.ref ?? "", owner, where).send();
    const doneForm = await h.fake.waitForCall("views.open", (c) =>
      allText(c.args).includes(`The root cause of ${action.ref}`),
    );
    expect(allText(doneForm.args)).toContain("What was done");
    const doneMeta = doneForm.args.view as { private_metadata: string; callback_id: string };
    const missing = await h.slack.submitView(
      doneMeta.callback_id,
      { rootCause: { value: "Crates stored below -20 °C" }, actionTaken: { value: " " } },
      owner,
      { privateMetadata: doneMeta.private_metadata },
    );
    expect(JSON.parse(missing.body).errors.actionTaken).toContain("what was done");
    expect((await CorrectiveActionModel.findById(action._id).lean())?.state).toBe("in_progress");
    await h.slack.submitView(
      doneMeta.callback_id,
      {
        rootCause: { value: "Crates stored below -20 °C" },
        actionTaken: { value: "Crates moved to the -5 °C room" },
      },
      owner,
      { privateMetadata: doneMeta.private_metadata },
    );
    await stateIs("done");
    const done = await CorrectiveActionModel.findById(action._id).lean();
    expect(done).toMatchObject({
      rootCause: "Crates stored below -20 °C",
      actionTaken: "Crates moved to the -5 °C room",
    });
    expect(done?.effectivenessCheckAt).toBeInstanceOf(Date);

    const ownerVerifies = h.slack.button("action.effective", action.ref ?? "", owner, where);
    await ownerVerifies.send();
    expect(allText(await h.fake.waitForResponse(ownerVerifies.responseId))).toContain(
      "Only a quality manager",
    );

    await h.slack.button("action.not_effective", action.ref ?? "", qm, where).send();
    const modal = await h.fake.waitForCall("views.open", (c) =>
      allText(c.args).includes(`Why was ${action.ref} not effective`),
    );
    const { private_metadata: privateMetadata, callback_id: form } = modal.args.view as {
      private_metadata: string;
      callback_id: string;
    };
    const empty = await h.slack.submitView(form, { reason: { value: "" } }, qm, { privateMetadata });
    expect(JSON.parse(empty.body).errors.reason).toBeDefined();
    await h.slack.submitView(form, { reason: { value: "Cracks again after a week" } }, qm, {
      privateMetadata,
    });
    await stateIs("reopened");
    expect((await CorrectiveActionModel.findById(action._id).lean())?.reopenReason).toBe(
      "Cracks again after a week",
    );

    await h.slack.button("action.start", action.ref ?? "", owner, where).send();
    await stateIs("in_progress");
    await h.slack.button("action.complete", action.ref ?? "", owner, where).send();
    await stateIs("done");
    await h.slack.button("action.effective", action.ref ?? "", qm, where).send();
    await stateIs("verified_effective");

    const types = (await HistoryEventModel.find({ recordKey: action._id }).lean())
      .sort((a, b) => a.seq - b.seq)
      .map((e) => e.type);
    expect(types).toEqual([
      "created",
      "started",
      "done",
      "not_effective",
      "started",
      "done",
      "verified_effective",
    ]);
  });

  it("Snooze on a reminder asks for a date and a reason, and records them in the history", async () => {
    const { action, where } = await openAction("Snooze me");
    const stranger = h.slack.button("action.snooze", action.ref ?? "", employee, where);
    await stranger.send();
    expect(allText(await h.fake.waitForResponse(stranger.responseId))).toContain("Only the owner of");

    await h.slack.button("action.snooze", action.ref ?? "", owner, where).send();
    const modal = await h.fake.waitForCall("views.open", (c) =>
      allText(c.args).includes(`Snooze ${action.ref}`),
    );
    const privateMetadata = (modal.args.view as { private_metadata: string }).private_metadata;
    const noDate = await h.slack.submitView("action.snooze", { reason: { value: "waiting" } }, owner, {
      privateMetadata,
    });
    expect(JSON.parse(noDate.body).errors.until).toContain("the day to remind again");
    // Five days after the app's clock (which runs from TEST_START), whatever today's date is.
    const until = new Date(Date.parse(TEST_START) + 5 * 86_400_000).toISOString().slice(0, 10);
    await h.slack.submitView(
      "action.snooze",
      { until: { date: until }, reason: { value: "Supplier on holiday" } },
      owner,
      { privateMetadata },
    );
    const event = await poll(() =>
      HistoryEventModel.findOne({ recordKey: action._id, type: "reminders_snoozed" }).lean(),
    );
    expect(event).toMatchObject({ reason: "Supplier on holiday", actor: { id: owner.id } });
    expect(
      (await CorrectiveActionModel.findById(action._id).lean())?.snoozedUntil?.toISOString().slice(0, 10),
    ).toBe(until);
  });

  it("/qms actions lists them; /qms action CA-… shows one with its history", async () => {
    const { action } = await openAction("Listed action");
    const list = h.slack.command("/qms", "actions mine", owner);
    await list.send();
    expect(allText(await h.fake.waitForResponse(list.responseId))).toContain(action.ref ?? "?");
    const show = h.slack.command("/qms", `action ${action.ref}`, owner);
    await show.send();
    const text = allText(await h.fake.waitForResponse(show.responseId));
    expect(text).toContain("Problem: Listed action");
    expect(text).toContain("History");
  });
});

describe("status and App Home", () => {
  it("/qms status shows counts a QM reads in ten seconds", async () => {
    const status = h.slack.command("/qms", "status", qm);
    await status.send();
    const text = allText(await h.fake.waitForResponse(status.responseId));
    expect(text).toContain("Open complaints:* 0");
    expect(text).toMatch(/Ideas:\* submitted \d+ · approved 1/);
    expect(text).toMatch(/Actions:\* open \d+/);
  });

  it("the App Home shows my items, and the triage queue only to quality managers", async () => {
    await h.slack.event({ type: "app_home_opened", user: qm.id, channel: "DQM", tab: "home" });
    const qmHome = await h.fake.waitForCall("views.publish", (c) => c.args.user_id === qm.id);
    expect(allText(qmHome.args)).toContain("Triage queue");
    expect(JSON.stringify(qmHome.args)).toContain("idea.approve");

    await h.slack.event({ type: "app_home_opened", user: owner.id, channel: "DOWN", tab: "home" });
    const ownerHome = await h.fake.waitForCall("views.publish", (c) => c.args.user_id === owner.id);
    const text = allText(ownerHome.args);
    expect(text).toContain("My items");
    expect(text).toContain("Listed action");
    expect(text).not.toContain("Triage queue");
    expect(JSON.stringify(ownerHome.args)).not.toContain("idea.approve");
  });
});
