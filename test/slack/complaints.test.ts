import { beforeAll, describe, expect, it } from "vitest";
import { HistoryEventModel } from "../../src/db/historyModels.js";
import { CorrectiveActionModel } from "../../src/records/action/model.js";
import { ComplaintModel } from "../../src/records/complaint/model.js";
import { addDays, dayOf } from "../../src/time/zone.js";
import type { SlackCall } from "../helpers/fakeSlack.js";
import { waitFor } from "../helpers/poll.js";
import {
  allText,
  employee,
  owner,
  QUALITY_CHANNEL,
  qm,
  qm2,
  setUpWorkspace,
  useSlackApp,
} from "../helpers/slackHarness.js";
import type { SimUser } from "../helpers/slackRequests.js";

const h = useSlackApp();

beforeAll(async () => {
  await setUpWorkspace(h, [qm2]);
});

const validForm = (title: string, extra: Record<string, { value?: string; option?: string }> = {}) => ({
  title: { value: title },
  description: { value: "Three housings arrived scratched." },
  customer: { value: "ACME GmbH" },
  productRef: { value: "PO-4471" },
  severity: { option: "high" },
  category: { option: "product" },
  ...extra,
});

async function logComplaint(title: string, by: SimUser = employee, extra = {}) {
  const res = await h.slack.submitView("complaint.new", validForm(title, extra), by);
  expect(res.status).toBe(200);
  const doc = await waitForDoc(title);
  const triage = await h.fake.waitForCall(
    "chat.postMessage",
    (c) => c.args.channel === QUALITY_CHANNEL && allText(c.args).includes(doc.ref ?? "?"),
  );
  return { doc, triage };
}

function waitForDoc(title: string) {
  return waitFor(() => ComplaintModel.findOne({ workspaceId: `slack:${h.teamId}`, title }).lean(), {
    what: `complaint "${title}"`,
  });
}

describe("logging a complaint", () => {
  it("/complaint opens the form; /complaint with text opens it prefilled", async () => {
    await h.slack.command("/complaint", "", employee).send();
    const empty = await h.fake.waitForCall("views.open", (c) => allText(c.args).includes("Log a complaint"));
    expect((empty.args.view as { callback_id: string }).callback_id).toBe("complaint.new");

    await h.slack.command("/complaint", "Late delivery to Contoso", employee).send();
    const prefilled = await h.fake.waitForCall("views.open", (c) =>
      allText(c.args).includes("Late delivery to Contoso"),
    );
    expect(JSON.stringify(prefilled.args.view)).toContain('"initial_value":"Late delivery to Contoso"');
  });

  it("an empty title and an over-long customer come back as inline errors, and nothing is saved", async () => {
    const before = await ComplaintModel.countDocuments({ workspaceId: `slack:${h.teamId}` });
    const res = await h.slack.submitView(
      "complaint.new",
      validForm("", { customer: { value: "x".repeat(201) } }),
      employee,
    );
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.response_action).toBe("errors");
    expect(body.errors.title).toContain("short title");
    expect(body.errors.customer).toContain("at most 200");
    expect(await ComplaintModel.countDocuments({ workspaceId: `slack:${h.teamId}` })).toBe(before);
  });

  it("on submit the reporter gets the reference and the quality channel a triage message with buttons", async () => {
    const { doc, triage } = await logComplaint("Scratched housings on delivery");
    expect(doc.ref).toMatch(/^CMP-\d{4}-\d{4}$/);
    expect(doc).toMatchObject({ state: "new", severity: "high", reporter: { id: employee.id } });
    // High severity: due 5 days after the day it was logged (a day in the workspace's zone).
    expect(doc.dueDay).toBe(addDays(dayOf(doc.createdAt, "UTC"), 5));
    expect(doc.dueAt.toISOString()).toBe(`${addDays(doc.dueDay ?? "", 1)}T00:00:00.000Z`);
    const dm = await h.fake.waitForCall(
      "chat.postMessage",
      (c) => h.fake.isDm(c, employee.id) && allText(c.args).includes(doc.ref ?? "?"),
    );
    expect(allText(dm.args)).toContain(`<#${QUALITY_CHANNEL}>`);
    const actionIds = JSON.stringify(triage.args.blocks);
    for (const id of ["complaint.accept", "complaint.reject", "complaint.assign"])
      expect(actionIds).toContain(id);
  });

  it("a double submit of the same form creates one complaint", async () => {
    const form = validForm("Double submitted complaint");
    const [a, b] = await Promise.all([
      h.slack.submitView("complaint.new", form, employee, { viewId: "VDOUBLE1" }),
      h.slack.submitView("complaint.new", form, employee, { viewId: "VDOUBLE1" }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await waitForDoc("Double submitted complaint");
    // Both submissions have been answered (acknowledged after the save), so both have run.
    expect(
      await ComplaintModel.countDocuments({
        workspaceId: `slack:${h.teamId}`,
        title: "Double submitted complaint",
      }),
    ).toBe(1);
  });

  it("operator-looking text, emoji, right-to-left text and 3,000 characters are stored and shown literally", async () => {
    const title = '{"$gt": ""} 😀 שלום <@UHACK> *bold*';
    const description = `${`${"ℹ️ مرحبا ".repeat(200)}`.slice(0, 2990)}<!channel>`;
    const { doc } = await logComplaint(title, employee, { description: { value: description } });
    expect(doc.title).toBe(title);
    expect(doc.description).toBe(description);
    const show = h.slack.command("/complaint", doc.ref ?? "", employee);
    await show.send();
    const reply = await h.fake.waitForResponse(show.responseId);
    // Slack renders plain_text as typed and parses mrkdwn: so mrkdwn carries the mention and the
    // broadcast escaped, and plain_text carries them as they were typed — neither pings anyone.
    const mrkdwn: string[] = [];
    const plain: string[] = [];
    JSON.stringify(reply.blocks, (_key, value) => {
      if (value && typeof value === "object" && typeof value.text === "string") {
        if (value.type === "mrkdwn") mrkdwn.push(value.text);
        if (value.type === "plain_text") plain.push(value.text);
      }
      return value;
    });
    const marked = mrkdwn.join("\n");
    expect(marked).toContain("&lt;!channel&gt;");
    expect(marked).not.toContain("<!channel>");
    expect(marked).not.toContain("<@UHACK>");
    expect([...plain, marked].join("\n")).toMatch(/<@UHACK>|&lt;@UHACK&gt;/);
    expect(plain.join("\n") + marked).toContain("שלום");
  });

  it("markup in a title stays literal in every message Slack renders: the triage post and its update, the owner's and the reporter's DMs, the idea post", async () => {
    const hostile = "<!channel> <!here> <@UHACK> <https://evil.example|looks harmless> *bold*";
    // Every string Slack parses as mrkdwn: the notification text and each mrkdwn block.
    const rendered = (call: SlackCall) => {
      const found = [String(call.args.text ?? "")];
      JSON.stringify(call.args.blocks ?? [], (_key, value) => {
        if (value && typeof value === "object" && value.type === "mrkdwn" && typeof value.text === "string")
          found.push(value.text);
        return value;
      });
      return found.join("\n");
    };
    const expectLiteral = (call: SlackCall, what: string, showsTitle = true) => {
      const text = rendered(call);
      if (showsTitle) expect(text, what).toContain("&lt;!channel&gt;");
      for (const live of ["<!channel>", "<!here>", "<@UHACK>", "<https://evil"])
        expect(text, what).not.toContain(live);
    };

    const { doc, triage } = await logComplaint(`Complaint ${hostile}`);
    expectLiteral(triage, "the triage post");

    const where = { channel: QUALITY_CHANNEL, ts: await tsOf(triage) };
    await h.slack.button("complaint.accept", doc.ref ?? "", qm, where).send();
    expectLiteral(
      await h.fake.waitForCall(
        "chat.update",
        (c) => c.args.ts === where.ts && allText(c.args).includes("accepted"),
      ),
      "the triage post's update",
    );
    await h.slack.userSelect("complaint.assign", doc.ref ?? "", owner.id, qm, where);
    expectLiteral(
      await h.fake.waitForCall(
        "chat.postMessage",
        (c) => h.fake.isDm(c, owner.id) && allText(c.args).includes(doc.ref ?? "?"),
      ),
      "the owner's assignment DM",
      false,
    );
    await h.slack.button("complaint.investigate", doc.ref ?? "", owner, where).send();
    await waitForState(doc._id, "investigating");
    await h.slack.button("complaint.resolve", doc.ref ?? "", owner, where).send();
    await waitForState(doc._id, "resolved");
    await h.slack.button("complaint.close", doc.ref ?? "", qm, where).send();
    const modal = await h.fake.waitForCall("views.open", (c) => allText(c.args).includes(`Close ${doc.ref}`));
    await h.slack.submitView("complaint.close", { customerNotified: { option: "yes" } }, qm, {
      privateMetadata: (modal.args.view as { private_metadata: string }).private_metadata,
    });
    expectLiteral(
      await h.fake.waitForCall(
        "chat.postMessage",
        (c) =>
          h.fake.isDm(c, employee.id) &&
          allText(c.args).includes(`${doc.ref}`) &&
          allText(c.args).includes("closed"),
      ),
      "the reporter's closed DM",
    );

    await h.slack.submitView(
      "idea.new",
      {
        title: { value: `Idea ${hostile}` },
        description: { value: hostile },
        expectedBenefit: { value: hostile },
      },
      employee,
    );
    expectLiteral(
      await h.fake.waitForCall(
        "chat.postMessage",
        (c) => c.args.channel === QUALITY_CHANNEL && allText(c.args).includes("IDEA-"),
      ),
      "the idea post",
    );
  });

  it("an unknown reference gets a clear answer", async () => {
    const show = h.slack.command("/complaint", "CMP-2026-9999", employee);
    await show.send();
    expect(allText(await h.fake.waitForResponse(show.responseId))).toContain(
      'There is no complaint "CMP-2026-9999"',
    );
  });
});

describe("triage", () => {
  it("a reporter who is not a QM cannot accept their own complaint", async () => {
    const { doc, triage } = await logComplaint("Reporter tries to accept");
    const press = h.slack.button("complaint.accept", doc.ref ?? "", employee, {
      channel: QUALITY_CHANNEL,
      ts: String(await tsOf(triage)),
    });
    await press.send();
    const reply = await h.fake.waitForResponse(press.responseId);
    expect(allText(reply)).toContain("Only a quality manager can accept complaints");
    expect((await ComplaintModel.findById(doc._id).lean())?.state).toBe("new");
  });

  it("a press that carries another workspace's record (Enterprise Grid, a shared channel) is refused and changes nothing", async () => {
    const { doc, triage } = await logComplaint("Pressed from another workspace");
    // The same reference exists in this workspace; the button names workspace B's.
    const foreign = h.slack.button(
      "complaint.accept",
      doc.ref ?? "",
      qm,
      { channel: QUALITY_CHANNEL, ts: String(await tsOf(triage)) },
      undefined,
      { value: JSON.stringify({ ws: "slack:TOTHERWS", ref: doc.ref }) },
    );
    await foreign.send();
    const reply = await h.fake.waitForResponse(foreign.responseId);
    expect(allText(reply)).toContain("belongs to another workspace");
    expect((await ComplaintModel.findById(doc._id).lean())?.state).toBe("new");
    expect(await HistoryEventModel.countDocuments({ recordKey: doc._id, type: "accepted" })).toBe(0);
  });

  it("Accept updates the triage message in place; a second click is told who accepted, and one event is written", async () => {
    const { doc, triage } = await logComplaint("Two managers click accept");
    const where = { channel: QUALITY_CHANNEL, ts: await tsOf(triage) };
    const first = h.slack.button("complaint.accept", doc.ref ?? "", qm, where);
    const second = h.slack.button("complaint.accept", doc.ref ?? "", qm2, where);
    await Promise.all([first.send(), second.send()]);
    const update = await h.fake.waitForCall(
      "chat.update",
      (c) => c.args.ts === where.ts && allText(c.args).includes("accepted"),
    );
    const refusal = await waitFor(() =>
      h.fake.responses.find(
        (r) =>
          [first.responseId, second.responseId].includes(r.id) &&
          allText(r.body).includes("already accepted"),
      ),
    );
    const winner = allText(refusal.body).includes(qm.name) ? qm : qm2;
    expect(allText(update.args)).toContain(`by ${winner.name}`);
    const events = await HistoryEventModel.find({ recordKey: doc._id, type: "accepted" }).lean();
    expect(events).toHaveLength(1);
    expect(events[0]?.actor.id).toBe(winner.id);
    await h.fake.waitForCall(
      "chat.postMessage",
      (c) => h.fake.isDm(c, employee.id) && allText(c.args).includes(`${doc.ref} was accepted`),
    );
  });

  it("Reject asks for a reason; an empty one is an inline error; the reason is recorded and the reporter told", async () => {
    const { doc, triage } = await logComplaint("To be rejected");
    const where = { channel: QUALITY_CHANNEL, ts: await tsOf(triage) };
    await h.slack.button("complaint.reject", doc.ref ?? "", qm, where).send();
    const modal = await h.fake.waitForCall("views.open", (c) =>
      allText(c.args).includes(`Reject ${doc.ref}`),
    );
    const privateMetadata = (modal.args.view as { private_metadata: string }).private_metadata;
    expect((modal.args.view as { callback_id: string }).callback_id).toBe("complaint.reject");
    const empty = await h.slack.submitView("complaint.reject", { reason: { value: "  " } }, qm, {
      privateMetadata,
    });
    expect(JSON.parse(empty.body).errors.reason).toContain("reason");
    expect((await ComplaintModel.findById(doc._id).lean())?.state).toBe("new");
    await h.slack.submitView("complaint.reject", { reason: { value: "Not our product" } }, qm, {
      privateMetadata,
    });
    await h.fake.waitForCall(
      "chat.postMessage",
      (c) => h.fake.isDm(c, employee.id) && allText(c.args).includes("Not our product"),
    );
    const stored = await ComplaintModel.findById(doc._id).lean();
    expect(stored).toMatchObject({ state: "rejected", rejectionReason: "Not our product" });
    const event = await HistoryEventModel.findOne({ recordKey: doc._id, type: "rejected" }).lean();
    expect(event?.reason).toBe("Not our product");
  });

  it("owner assigned, investigated, resolved, closed with customer notified; the record shows its history", async () => {
    const { doc, triage } = await logComplaint("Full lifecycle complaint");
    const where = { channel: QUALITY_CHANNEL, ts: await tsOf(triage) };
    await h.slack.button("complaint.accept", doc.ref ?? "", qm, where).send();
    await h.fake.waitForCall(
      "chat.update",
      (c) => c.args.ts === where.ts && allText(c.args).includes("accepted"),
    );
    await h.slack.userSelect("complaint.assign", doc.ref ?? "", owner.id, qm, where);
    await h.fake.waitForCall(
      "chat.postMessage",
      (c) => h.fake.isDm(c, owner.id) && allText(c.args).includes(doc.ref ?? "?"),
    );

    // Someone who is neither owner nor QM cannot move it on.
    const intruder = h.slack.button("complaint.investigate", doc.ref ?? "", employee, where);
    await intruder.send();
    expect(allText(await h.fake.waitForResponse(intruder.responseId))).toContain("Only the owner of");

    // Each press is acknowledged at once and applied after; wait for one before the next.
    await h.slack.button("complaint.investigate", doc.ref ?? "", owner, where).send();
    await waitForState(doc._id, "investigating");
    await h.slack.button("complaint.resolve", doc.ref ?? "", owner, where).send();
    await waitForState(doc._id, "resolved");
    await h.slack.button("complaint.close", doc.ref ?? "", qm, where).send();
    const modal = await h.fake.waitForCall("views.open", (c) => allText(c.args).includes(`Close ${doc.ref}`));
    await h.slack.submitView("complaint.close", { customerNotified: { option: "yes" } }, qm, {
      privateMetadata: (modal.args.view as { private_metadata: string }).private_metadata,
    });
    await waitForState(doc._id, "closed");
    expect((await ComplaintModel.findById(doc._id).lean())?.customerNotified).toBe(true);

    const show = h.slack.command("/complaint", doc.ref ?? "", employee);
    await show.send();
    const history = allText(await h.fake.waitForResponse(show.responseId));
    for (const step of [
      "created",
      "accepted",
      "owner assigned",
      "investigation started",
      "resolved",
      "closed",
    ]) {
      expect(history).toContain(step);
    }
  });

  it("Raise corrective action creates a linked action", async () => {
    const { doc, triage } = await logComplaint("Needs a corrective action");
    const where = { channel: QUALITY_CHANNEL, ts: await tsOf(triage) };
    await h.slack.button("complaint.accept", doc.ref ?? "", qm, where).send();
    await waitForState(doc._id, "accepted");
    await h.slack.button("complaint.raise_action", doc.ref ?? "", qm, where).send();
    const modal = await h.fake.waitForCall("views.open", (c) =>
      allText(c.args).includes(`Action for ${doc.ref}`),
    );
    await h.slack.submitView(
      "action.new",
      {
        problem: { value: "Housings scratched in transit" },
        ownerId: { user: owner.id },
        dueDate: { date: "2099-01-31" },
        actionType: { option: "corrective" },
      },
      qm,
      { privateMetadata: (modal.args.view as { private_metadata: string }).private_metadata },
    );
    const linked = await waitFor(
      async () => (await ComplaintModel.findById(doc._id).lean())?.linkedActions[0],
      {
        what: "the action linked on the complaint",
      },
    );
    const stored = await CorrectiveActionModel.findOne({
      workspaceId: `slack:${h.teamId}`,
      ref: linked,
    }).lean();
    expect(stored).toMatchObject({
      source: "complaint",
      sourceRef: doc.ref,
      owner: { id: owner.id },
      state: "open",
    });
    // The triage message now lists the action.
    await h.fake.waitForCall(
      "chat.update",
      (c) => c.args.ts === where.ts && allText(c.args).includes(`*Actions:* ${linked}`),
    );
  });
});

describe("registers", () => {
  it("/complaint list open, mine and overdue; an unknown filter is explained", async () => {
    const open = h.slack.command("/complaint", "list open", qm);
    await open.send();
    const openText = allText(await h.fake.waitForResponse(open.responseId));
    expect(openText).toContain("Complaints — open");
    expect(openText).toContain("Scratched housings on delivery");
    expect(openText).not.toContain("To be rejected");

    const mine = h.slack.command("/complaint", "list mine", owner);
    await mine.send();
    expect(allText(await h.fake.waitForResponse(mine.responseId))).not.toContain(
      "Scratched housings on delivery",
    );

    const bad = h.slack.command("/complaint", "list sideways", owner);
    await bad.send();
    expect(allText(await h.fake.waitForResponse(bad.responseId))).toContain('Unknown list "sideways"');
  });

  it("an employee lists and opens only the complaints they reported or own; another's is refused naming who can see it", async () => {
    const colleague: SimUser = { id: "UEMP2", name: "Sam Staff" };
    const { doc: theirs } = await logComplaint("Private to Erin: cracked lens", employee, {
      customer: { value: "Initech Optics" },
    });
    const { doc: own } = await logComplaint("Sam's own complaint: late parcel", colleague, {
      customer: { value: "Globex" },
    });

    const list = h.slack.command("/complaint", "list all", colleague);
    await list.send();
    const listed = allText(await h.fake.waitForResponse(list.responseId));
    expect(listed).toContain(own.ref);
    expect(listed).not.toContain(theirs.ref);
    expect(listed).not.toContain("Initech Optics");
    expect(listed).toContain("You see the complaints you reported, own or are named in");

    const open = h.slack.command("/complaint", theirs.ref ?? "", colleague);
    await open.send();
    const refused = allText(await h.fake.waitForResponse(open.responseId));
    expect(refused).toContain(`${theirs.ref} is not yours to see`);
    expect(refused).toContain("quality managers");
    expect(refused).toContain(qm.name);
    expect(refused).not.toContain("Initech Optics");
    expect(refused).not.toContain("cracked lens");

    // The reporter and a QM open it with its history.
    for (const reader of [employee, qm]) {
      const show = h.slack.command("/complaint", theirs.ref ?? "", reader);
      await show.send();
      const shown = allText(await h.fake.waitForResponse(show.responseId));
      expect(shown).toContain("Initech Optics");
      expect(shown).toContain("created");
    }
    const whole = h.slack.command("/complaint", "list all", qm);
    await whole.send();
    const register = allText(await h.fake.waitForResponse(whole.responseId));
    expect(register).toContain(theirs.ref);
    expect(register).toContain(own.ref);
    expect(register).not.toContain("You see the complaints you reported");
  });
});

async function tsOf(call: SlackCall): Promise<string> {
  // The fake answered this postMessage with a ts; once sent, it is recorded in the complaint's history.
  const ref = /CMP-\d{4}-\d{4}/.exec(allText(call.args))?.[0];
  const ts = await waitFor(
    async () =>
      (await ComplaintModel.findOne({ workspaceId: `slack:${h.teamId}`, ref }).lean())?.triageMessage?.ts,
    { what: `the triage post of ${ref} in its history` },
  );
  const posted = await HistoryEventModel.findOne({
    recordKey: `slack:${h.teamId}/${ref}`,
    type: "posted",
  }).lean();
  expect(posted?.changes.triageMessage?.after).toMatchObject({ ts });
  return ts;
}

async function waitForState(id: string, state: string) {
  await waitFor(async () => (await ComplaintModel.findById(id).lean())?.state === state, {
    what: `state ${state}`,
  });
}
