import { describe, expect, it } from "vitest";
import { repairPending } from "../src/commands/tasks.js";
import { engineCaps, setEngineCaps } from "../src/db/engineCaps.js";
import {
  creationIntentId,
  type EventBody,
  eventId,
  hashEvent,
  insertRaw,
  loadRecord,
  recordHistory,
  transition,
} from "../src/db/history.js";
import {
  HistoryAnchorModel,
  type HistoryEvent,
  HistoryEventModel,
  PendingEffectsModel,
  StreamHeadModel,
  TransitionKeyModel,
} from "../src/db/historyModels.js";
import { findByIds, forgetHeld, loadWithLast } from "../src/db/read.js";
import { newScope } from "../src/db/scope.js";
import { project } from "../src/db/transition.js";
import { verifyWorkspace } from "../src/db/verify.js";
import { QopsError, userMessageFor } from "../src/errors.js";
import { createLogger } from "../src/logger.js";
import { type Complaint, ComplaintModel } from "../src/records/complaint/model.js";
import { TEST_START } from "./helpers/clock.js";
import { ctxFor, setUp, typed } from "./helpers/core.js";
import { useTestDatabase } from "./helpers/db.js";
import { alice, buildComplaint, newWorkspaceId } from "./helpers/factories.js";
import { WorkspaceModel } from "./helpers/models.js";

useTestDatabase();

function accept(recordKey: string, actorIndex: number) {
  return transition<Complaint>({
    kind: "complaint",
    recordKey,
    type: "accepted",
    actor: { id: `U${actorIndex}`, name: `Manager ${actorIndex}` },
    decide: (complaint, last) => {
      if (complaint.state !== "new") {
        throw new QopsError(
          "invalid_transition",
          `${complaint.ref} was already ${last.type} by ${last.actor.name} at ${last.at.toISOString()}.`,
        );
      }
      return { fields: { state: "accepted" } };
    },
  });
}

describe("transitions", () => {
  it("of 20 concurrent accepts on one complaint, exactly one wins and 19 are told who won", async () => {
    const complaint = await buildComplaint(newWorkspaceId());
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => accept(complaint._id, i)));

    const wins = results.filter((r) => r.status === "fulfilled");
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(wins).toHaveLength(1);
    expect(refusals).toHaveLength(19);
    const winner = (wins[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof accept>>>).value.event.actor
      .name;
    for (const refusal of refusals) {
      expect(refusal.reason).toBeInstanceOf(QopsError);
      expect((refusal.reason as QopsError).userMessage).toContain(`already accepted by ${winner}`);
    }
    const events = await recordHistory(complaint._id);
    expect(events.map((e) => e.type)).toEqual(["created", "accepted"]);
    expect((await loadRecord<Complaint>("complaint", complaint._id))?.state).toBe("accepted");
  });

  it("records before and after of each changed field, and who and when", async () => {
    const complaint = await buildComplaint(newWorkspaceId());
    const { event } = await transition<Complaint>({
      kind: "complaint",
      recordKey: complaint._id,
      type: "owner_assigned",
      actor: alice,
      reason: "line 2 lead",
      decide: () => ({ fields: { owner: { id: "U_CAROL", name: "Carol" } } }),
    });
    expect(event.changes).toEqual({ owner: { before: null, after: { id: "U_CAROL", name: "Carol" } } });
    expect(event).toMatchObject({ seq: 2, actor: alice, reason: "line 2 lead" });
    const stored = await ComplaintModel.findById(complaint._id).lean();
    expect(stored?.owner).toEqual({ id: "U_CAROL", name: "Carol" });
    expect(stored?.seq).toBe(2);
  });

  it("a document left behind by a crash is brought up to its last event on the next read", async () => {
    const complaint = await buildComplaint(newWorkspaceId());
    await accept(complaint._id, 1);
    // Simulate dying between the event insert and the document update (and the restart: what
    // the process held in memory is gone).
    await ComplaintModel.collection.updateOne(
      { _id: complaint._id as never },
      { $set: { state: "new", seq: 1 } },
    );
    forgetHeld();
    const read = await loadRecord<Complaint>("complaint", complaint._id);
    expect(read?.state).toBe("accepted");
    expect((await ComplaintModel.findById(complaint._id).lean())?.seq).toBe(2);
  });

  it("a projection that lands after a later event's leaves the document at the later event, on the engine's path and the plain one", async () => {
    const engine = engineCaps().kind;
    try {
      for (const kind of [engine, "external"] as const) {
        setEngineCaps(kind);
        const complaint = await buildComplaint(newWorkspaceId());
        const accepted = await accept(complaint._id, 1);
        await transition<Complaint>({
          kind: "complaint",
          recordKey: complaint._id,
          type: "owner_assigned",
          actor: alice,
          decide: () => ({ fields: { owner: { id: "UOWN", name: "Omar Owner" } } }),
        });
        // Event 2's update arrives late, after event 3's: it must not take the document back.
        await project("complaint", accepted.record, accepted.event.changes, 1);
        const stored = await ComplaintModel.findById(complaint._id).lean();
        expect(stored?.seq, kind).toBe(3);
        expect(stored?.owner?.id, kind).toBe("UOWN");
        expect(stored?.state, kind).toBe("accepted");
        forgetHeld();
        expect((await loadRecord<Complaint>("complaint", complaint._id))?.owner?.id, kind).toBe("UOWN");
      }
    } finally {
      setEngineCaps(engine);
    }
  });

  it("a retried request is recognised on the engine's path and the plain one: the same key twice is one event; a key whose attempt lost its number is not a replay", async () => {
    const engine = engineCaps().kind;
    try {
      for (const kind of [engine, "external"] as const) {
        setEngineCaps(kind);
        const complaint = await buildComplaint(newWorkspaceId());
        const assign = (key: string, owner: string) =>
          transition<Complaint>({
            kind: "complaint",
            recordKey: complaint._id,
            type: "owner_assigned",
            actor: alice,
            idempotencyKey: key,
            decide: () => ({ fields: { owner: { id: owner, name: owner } } }),
          });
        const first = await assign("press-1", "UONE");
        const again = await assign("press-1", "UONE");
        expect([first.replayed, again.replayed], kind).toEqual([false, true]);
        expect(again.event._id, kind).toBe(first.event._id);
        // Another request's event under the number this key once tried: not this request's.
        await TransitionKeyModel.replaceOne(
          { _id: `${complaint.workspaceId}|press-2` },
          { eventId: first.event._id },
          { upsert: true },
        );
        const second = await assign("press-2", "UTWO");
        expect(second.replayed, kind).toBe(false);
        expect(
          (await recordHistory(complaint._id)).map((e) => e.idempotencyKey),
          kind,
        ).toEqual([expect.any(String), "press-1", "press-2"]);
      }
    } finally {
      setEngineCaps(engine);
    }
  });

  it("a quality manager whose revocation never reached the workspace document is refused at once: permissions follow the history", async () => {
    const workspaceId = newWorkspaceId();
    const quinn = ctxFor(workspaceId, { id: "UQ1", name: "Quinn" }, new Date(TEST_START));
    await setUp(quinn);
    expect(await typed(quinn, "qms roles grant <@UR2|Robin> qm")).toContain("Robin");
    const before = await WorkspaceModel.findOne({ workspaceId }).lean();
    expect(await typed(quinn, "qms roles revoke <@UR2|Robin> qm")).toContain("Robin");
    // The revocation is in the history, but its projection was lost (a crash, a late write).
    await WorkspaceModel.collection.replaceOne({ _id: before?._id as never }, before as never);
    forgetHeld();
    const robin = ctxFor(workspaceId, { id: "UR2", name: "Robin" }, new Date(TEST_START));
    expect(await typed(robin, "qms roles grant <@UX3|Mallory> qm")).toContain("Only a quality manager");
    const roles = (await WorkspaceModel.findOne({ workspaceId }).lean())?.roles ?? {};
    expect(roles.UX3).toBeUndefined();
    expect(roles.UR2?.roles ?? []).not.toContain("qm");
  });

  it("a record this process read before is read afresh: a change by another process, or one it left half-done", async () => {
    const complaint = await buildComplaint(newWorkspaceId());
    expect((await loadRecord<Complaint>("complaint", complaint._id))?.state).toBe("new");
    // Another process accepts it (event and document both written).
    await accept(complaint._id, 1);
    expect((await loadRecord<Complaint>("complaint", complaint._id))?.state).toBe("accepted");
    // Another process dies between the next event and the document update.
    await transition<Complaint>({
      kind: "complaint",
      recordKey: complaint._id,
      type: "owner_assigned",
      actor: alice,
      decide: () => ({ fields: { owner: { id: "U_CAROL", name: "Carol" } } }),
    });
    await ComplaintModel.collection.updateOne(
      { _id: complaint._id as never },
      { $set: { owner: null, seq: 2 } },
    );
    const read = await loadRecord<Complaint>("complaint", complaint._id);
    expect(read?.owner).toEqual({ id: "U_CAROL", name: "Carol" });
    expect(read?.seq).toBe(3);
  });

  it("a record this process holds is served as held only while its last event is still the last: another process's next event is seen at once", async () => {
    const complaint = await buildComplaint(newWorkspaceId());
    const held = await loadWithLast("complaint", complaint._id);
    if (!held) throw new Error("the complaint was not read");
    // Another process commits the next event and dies before writing the document.
    const body: EventBody = {
      workspaceId: complaint.workspaceId,
      recordKey: complaint._id,
      kind: "complaint",
      seq: 2,
      type: "accepted",
      actor: alice,
      at: new Date(TEST_START),
      changes: { state: { before: "new", after: "accepted" } },
      reason: null,
      idempotencyKey: eventId(complaint._id, 2),
      prevHash: held.last.hash,
    };
    await insertRaw(HistoryEventModel, { _id: eventId(complaint._id, 2), ...body, hash: hashEvent(body) });
    const read = await loadRecord<Complaint>("complaint", complaint._id);
    expect(read?.state).toBe("accepted");
    expect(read?.seq).toBe(2);
    expect((await ComplaintModel.findById(complaint._id).lean())?.seq).toBe(2);
  });

  it("a record this process holds is read afresh after the database was restored to other events under the same number", async () => {
    const workspaceId = newWorkspaceId();
    const complaint = await buildComplaint(workspaceId, { title: "Scratched housing" });
    expect((await loadRecord<Complaint>("complaint", complaint._id))?.title).toBe("Scratched housing");
    // A restore from another backup: the same workspace and number, another first event.
    for (const model of [HistoryEventModel, HistoryAnchorModel, PendingEffectsModel, ComplaintModel] as const)
      await (model as typeof ComplaintModel).deleteMany({ workspaceId });
    await StreamHeadModel.deleteMany({ _id: { $regex: `^${workspaceId}/` } });
    const other = await buildComplaint(workspaceId, { title: "Bent bracket" });
    expect(other._id).toBe(complaint._id);
    const read = await loadRecord<Complaint>("complaint", complaint._id);
    expect(read?.title).toBe("Bent bracket");
  });

  it("an error after a request's commit names what it saved; before any commit it says nothing was changed", async () => {
    const complaint = await buildComplaint(newWorkspaceId());
    const scope = newScope();
    expect(userMessageFor(new Error("boom"), scope)).toMatch(/nothing was changed/);
    await transition<Complaint>({
      kind: "complaint",
      recordKey: complaint._id,
      type: "accepted",
      actor: alice,
      scope,
      decide: () => ({ fields: { state: "accepted" } }),
    });
    expect(userMessageFor(new Error("boom"), scope)).toBe(
      `${complaint.ref} was saved, but something failed on our side afterwards; what is left (messages, links) is completed automatically. Please check the record before doing it again.`,
    );
  });

  it("a creation whose number was claimed (the commit point) is readable at once, before any repair, though its event and document were never written", async () => {
    const workspaceId = newWorkspaceId();
    const complaint = await buildComplaint(workspaceId, { title: "Committed, then the engine died" });
    // What a crash right after the anchor leaves: no event, no document, nothing held in memory.
    await HistoryEventModel.deleteOne({ _id: eventId(complaint._id, 1) });
    await ComplaintModel.deleteOne({ _id: complaint._id });
    forgetHeld();
    const read = await loadRecord<Complaint>("complaint", complaint._id);
    expect(read).toMatchObject({
      ref: complaint.ref,
      title: "Committed, then the engine died",
      state: "new",
    });
    expect(await HistoryEventModel.countDocuments({ recordKey: complaint._id })).toBe(1);
    expect((await verifyWorkspace(workspaceId)).ok).toBe(true);
    // A reference nobody claimed is still not there.
    expect(await loadRecord("complaint", `${workspaceId}/CMP-2026-9999`)).toBeNull();
  });

  it("a creation that died after claiming its number is completed, not lost", async () => {
    const workspaceId = newWorkspaceId();
    const complaint = await buildComplaint(workspaceId);
    const anchor = await HistoryAnchorModel.findOne({ recordKey: complaint._id }).lean();
    if (!anchor) throw new Error("the creation left no anchor");
    // What a crash right after claiming the number leaves: the anchor and its pending entry.
    await HistoryEventModel.deleteOne({ _id: eventId(complaint._id, 1) });
    await ComplaintModel.deleteOne({ _id: complaint._id });
    await PendingEffectsModel.create({
      _id: creationIntentId(workspaceId, anchor.idempotencyKey),
      workspaceId,
      anchorId: anchor._id,
      idempotencyKey: anchor.idempotencyKey,
      createdAt: anchor.at,
    });
    expect((await verifyWorkspace(workspaceId)).ok).toBe(true);
    const repaired = await repairPending(new Date(Date.now() + 60_000), createLogger("silent", false));
    // The repair is for every workspace: other tests' unfinished follow-ups may be completed too.
    expect(repaired.completed).toBeGreaterThanOrEqual(1);
    expect(await HistoryEventModel.countDocuments({ recordKey: complaint._id })).toBe(1);
    expect((await loadRecord<Complaint>("complaint", complaint._id))?.title).toBe(complaint.title);
    expect((await verifyWorkspace(workspaceId)).ok).toBe(true);
  });
});

describe("references", () => {
  it("50 concurrent allocations get 50 distinct consecutive numbers", async () => {
    const workspaceId = newWorkspaceId();
    const at = new Date("2026-03-01T10:00:00Z");
    const complaints = await Promise.all(
      Array.from({ length: 50 }, () => buildComplaint(workspaceId, {}, at)),
    );
    const refs = complaints.map((c) => c.ref).sort();
    expect(new Set(refs).size).toBe(50);
    expect(refs).toEqual(Array.from({ length: 50 }, (_, i) => `CMP-2026-${String(i + 1).padStart(4, "0")}`));
    expect(await ComplaintModel.countDocuments({ workspaceId })).toBe(50);
  });

  it("numbers restart each year and are separate per workspace", async () => {
    const a = newWorkspaceId();
    const b = newWorkspaceId();
    expect((await buildComplaint(a, {}, new Date("2026-12-31T12:00:00Z"))).ref).toBe("CMP-2026-0001");
    expect((await buildComplaint(a, {}, new Date("2027-01-01T12:00:00Z"))).ref).toBe("CMP-2027-0001");
    expect((await buildComplaint(b, {}, new Date("2026-12-31T12:00:00Z"))).ref).toBe("CMP-2026-0001");
  });
});

describe("verify", () => {
  async function historyWithFiveEvents() {
    const workspaceId = newWorkspaceId();
    const complaint = await buildComplaint(workspaceId);
    await buildComplaint(workspaceId);
    for (const [i, title] of ["First edit", "Second edit", "Third edit", "Fourth edit"].entries()) {
      await transition<Complaint>({
        kind: "complaint",
        recordKey: complaint._id,
        type: "edited",
        actor: alice,
        decide: () => ({ fields: { title, severity: i % 2 ? "high" : "low" } }),
      });
    }
    return { workspaceId, recordKey: complaint._id };
  }

  it("passes an untouched history", async () => {
    const { workspaceId } = await historyWithFiveEvents();
    const report = await verifyWorkspace(workspaceId);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, records: 2, events: 6 });
    expect(report.seal).toMatch(/^[0-9a-f]{64}$/);
  });

  it("catches an edited field in an event", async () => {
    const { workspaceId, recordKey } = await historyWithFiveEvents();
    await HistoryEventModel.updateOne(
      { _id: eventId(recordKey, 3) },
      { $set: { "changes.title.after": "Quietly changed" } },
    );
    const report = await verifyWorkspace(workspaceId);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ kind: "edited", where: recordKey, seq: 3 });
  });

  it("catches a record field changed behind its history", async () => {
    const { workspaceId, recordKey } = await historyWithFiveEvents();
    await ComplaintModel.updateOne({ _id: recordKey }, { $set: { severity: "critical" } });
    const report = await verifyWorkspace(workspaceId);
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "edited", where: recordKey }));
  });

  it("catches a deleted event", async () => {
    const { workspaceId, recordKey } = await historyWithFiveEvents();
    await HistoryEventModel.deleteOne({ _id: eventId(recordKey, 2) });
    const report = await verifyWorkspace(workspaceId);
    expect(report.problems[0]).toMatchObject({ kind: "deleted", where: recordKey, seq: 3 });
  });

  it("catches two swapped events", async () => {
    const { workspaceId, recordKey } = await historyWithFiveEvents();
    const e2 = (await HistoryEventModel.findById(eventId(recordKey, 2)).lean()) as HistoryEvent;
    const e3 = (await HistoryEventModel.findById(eventId(recordKey, 3)).lean()) as HistoryEvent;
    // Move the content of event 2 to place 3 and back, as a careless database edit would.
    const raw = HistoryEventModel.collection;
    await raw.deleteMany({ _id: { $in: [e2._id, e3._id] } as never });
    await raw.insertOne({ ...e3, _id: e2._id as never, seq: 2 });
    await raw.insertOne({ ...e2, _id: e3._id as never, seq: 3 });
    const report = await verifyWorkspace(workspaceId);
    expect(report.ok).toBe(false);
    expect(report.problems[0]?.where).toBe(recordKey);
    expect(report.problems[0]?.seq).toBe(2);
  });

  it("catches two events whose numbers were swapped", async () => {
    const { workspaceId, recordKey } = await historyWithFiveEvents();
    const raw = HistoryEventModel.collection;
    const e4 = (await HistoryEventModel.findById(eventId(recordKey, 4)).lean()) as HistoryEvent;
    const e5 = (await HistoryEventModel.findById(eventId(recordKey, 5)).lean()) as HistoryEvent;
    await raw.deleteMany({ _id: { $in: [e4._id, e5._id] } as never });
    await raw.insertOne({ ...e4, _id: e4._id as never, seq: 5 });
    await raw.insertOne({ ...e5, _id: e5._id as never, seq: 4 });
    const report = await verifyWorkspace(workspaceId);
    expect(report.problems[0]).toMatchObject({ kind: "reordered", where: recordKey });
  });

  it("catches a record whose whole history was deleted", async () => {
    const { workspaceId, recordKey } = await historyWithFiveEvents();
    await HistoryEventModel.deleteMany({ recordKey });
    await ComplaintModel.deleteOne({ _id: recordKey });
    const report = await verifyWorkspace(workspaceId);
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        kind: "deleted",
        where: recordKey,
        detail: expect.stringContaining("whole history"),
      }),
    );
  });

  it("catches a record deleted together with its creation", async () => {
    const { workspaceId, recordKey } = await historyWithFiveEvents();
    await HistoryEventModel.deleteMany({ recordKey });
    await ComplaintModel.deleteOne({ _id: recordKey });
    await HistoryAnchorModel.deleteOne({ recordKey });
    const report = await verifyWorkspace(workspaceId);
    expect(report.problems[0]).toMatchObject({
      kind: "deleted",
      detail: expect.stringContaining("number 1"),
    });
  });
});

describe("reading documents by _id in bulk", () => {
  it("gives each asked-for document in the order asked and null for one that is not there, on the engine's path and the plain one", async () => {
    const workspaceId = newWorkspaceId();
    const a = await buildComplaint(workspaceId, { customer: "Alpha" });
    const b = await buildComplaint(workspaceId, { customer: "Beta" });
    const ids = [String(b._id), `${workspaceId}/CMP-missing`, String(a._id)];
    const engine = engineCaps().kind;
    try {
      for (const kind of [engine, "external"] as const) {
        setEngineCaps(kind);
        const found = await findByIds(ComplaintModel, ids, { customer: 1 });
        expect(found.map((c) => c?.customer ?? null)).toEqual(["Beta", null, "Alpha"]);
      }
    } finally {
      setEngineCaps(engine);
    }
  });
});
