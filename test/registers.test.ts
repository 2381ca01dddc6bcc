import { describe, expect, it } from "vitest";
import { readSnapshot, SnapshotModel } from "../src/db/snapshots.js";
import { ComplaintModel } from "../src/records/complaint/model.js";
import { act, ctxFor, setUp, typed } from "./helpers/core.js";
import { useTestDatabase } from "./helpers/db.js";
import { alice, buildComplaint, newWorkspaceId } from "./helpers/factories.js";

useTestDatabase();

describe("the open complaints register, kept as a snapshot", () => {
  it("shows every change at once: a new complaint, a state change, a complaint leaving the open register", async () => {
    const workspaceId = newWorkspaceId();
    const ctx = () => ctxFor(workspaceId, alice);
    await setUp(ctx());
    const a = await buildComplaint(workspaceId, { title: "First" });
    // What the register shows: each line names the reference and the state.
    const refs = async () =>
      [
        ...(await typed(ctx(), "complaint list open")).matchAll(
          /(CMP-\d{4}-\d{4}).*?\b(new|accepted|rejected)\b/g,
        ),
      ].map((m) => `${m[1]} ${m[2]}`);
    expect(await refs()).toEqual([`${a.ref} new`]);
    expect(await refs()).toEqual([`${a.ref} new`]); // served from the snapshot
    const b = await buildComplaint(workspaceId, { title: "Second" });
    expect((await refs()).sort()).toEqual([`${a.ref} new`, `${b.ref} new`].sort());
    await act(ctx(), "complaint.accept", a.ref ?? "");
    expect((await refs()).sort()).toEqual([`${a.ref} accepted`, `${b.ref} new`].sort());
    await act(ctx(), "complaint.reject", b.ref ?? "", { reason: "Not ours" });
    expect(await refs()).toEqual([`${a.ref} accepted`]);
  });

  it("while nothing changed a list is served from the copy this process holds; a change marked by any process replaces it", async () => {
    const workspaceId = newWorkspaceId();
    const ctx = () => ctxFor(workspaceId, alice);
    await setUp(ctx());
    const a = await buildComplaint(workspaceId, { title: "Held" });
    const refs = async () =>
      [...(await typed(ctx(), "complaint list open")).matchAll(/CMP-\d{4}-\d{4}/g)].map((m) => m[0]).sort();
    expect(await refs()).toEqual([a.ref]);
    // The stored snapshot is not read again while the marker says nothing changed...
    await SnapshotModel.updateOne({ _id: `${workspaceId}/complaint/open` }, { $set: { items: [] } });
    expect(await refs()).toEqual([a.ref]);
    // ...and a committed change (its marker is in the database, for every process) is seen at once.
    const b = await buildComplaint(workspaceId, { title: "New" });
    expect(await refs()).toEqual([a.ref, b.ref].sort());
  });

  it("a change committed while the snapshot is being built makes it stale, so the next read has it", async () => {
    const workspaceId = newWorkspaceId();
    const ctx = () => ctxFor(workspaceId, alice);
    await setUp(ctx());
    await buildComplaint(workspaceId, { title: "Before" });
    // Past the clock-skew margin: only the change made during the build can make it stale.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    let late = "";
    // A build that read the register, then another complaint lands before it is stored.
    const built = await readSnapshot(workspaceId, "complaint", "open", async () => {
      const items = await ComplaintModel.find({ workspaceId }).lean();
      late = (await buildComplaint(workspaceId, { title: "During" })).ref ?? "";
      return items;
    });
    expect(built.map((c) => (c as { title: string }).title)).toEqual(["Before"]);
    expect(await typed(ctx(), "complaint list open")).toContain(late);
  });
});
