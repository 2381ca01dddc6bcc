import { describe, expect, it } from "vitest";
import { findByIds } from "../src/db/read.js";
import { markChanged, readSnapshot, SnapshotModel } from "../src/db/snapshots.js";
import { type Complaint, ComplaintModel, OPEN_COMPLAINT_STATES } from "../src/records/complaint/model.js";
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

  it("a stale snapshot is brought up to date from the records that changed, without reading the whole register again", async () => {
    const workspaceId = newWorkspaceId();
    const ctx = () => ctxFor(workspaceId, alice);
    await setUp(ctx());
    const older = await buildComplaint(workspaceId, { title: "Older" });
    // Past the clock-skew margin, so the snapshot is built after the log began.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    let builds = 0;
    const open = () =>
      readSnapshot(
        workspaceId,
        "complaint",
        "open-test",
        async () => {
          builds++;
          return (await ComplaintModel.find({
            workspaceId,
            state: { $in: OPEN_COMPLAINT_STATES },
          }).lean()) as Complaint[];
        },
        {
          read: (keys) => findByIds(ComplaintModel, keys) as Promise<(Complaint | null)[]>,
          keeps: (c) => c.workspaceId === workspaceId && OPEN_COMPLAINT_STATES.includes(c.state),
        },
      );
    const titles = async () => (await open()).map((c) => `${c.title} ${c.state}`).sort();
    expect(await titles()).toEqual(["Older new"]);
    expect(builds).toBe(1);
    const fresh = await buildComplaint(workspaceId, { title: "Fresh" });
    expect(await titles()).toEqual(["Fresh new", "Older new"]);
    await act(ctx(), "complaint.accept", fresh.ref ?? "");
    expect(await titles()).toEqual(["Fresh accepted", "Older new"]);
    await act(ctx(), "complaint.reject", older.ref ?? "", { reason: "Not ours" });
    expect(await titles()).toEqual(["Fresh accepted"]);
    // Every change was read by its key: the register was built once.
    expect(builds).toBe(1);

    // A log trimmed past the snapshot (hundreds of changes since) cannot patch it: rebuilt.
    await SnapshotModel.updateOne(
      { _id: `${workspaceId}/complaint/changed` },
      { $set: { trimmedTo: new Date(Date.now() + 60_000) } },
    );
    await buildComplaint(workspaceId, { title: "After the trim" });
    expect(await titles()).toEqual(["After the trim new", "Fresh accepted"]);
    expect(builds).toBe(2);
  });

  it("the marker's log keeps the newest changes when it grows, and says how far back it reaches", async () => {
    const workspaceId = newWorkspaceId();
    for (let i = 0; i < 405; i++) await markChanged("complaint", `${workspaceId}/c${i}`);
    const marker = (await SnapshotModel.findById(`${workspaceId}/complaint/changed`).lean()) as {
      log: { key: string; at: Date }[];
      trimmedTo: Date;
    };
    // Trimmed to 200 when it passed 400, then four more.
    expect(marker.log).toHaveLength(204);
    expect(marker.log.at(-1)?.key).toBe(`${workspaceId}/c404`);
    expect(marker.log[0]?.key).toBe(`${workspaceId}/c201`);
    expect(marker.trimmedTo.getTime()).toBeLessThanOrEqual(new Date(marker.log[0]?.at ?? 0).getTime());
  });
});
