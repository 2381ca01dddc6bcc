import { describe, expect, it } from "vitest";
import { acceptComplaint, rejectComplaint } from "../src/commands/complaints/complaintTransitions.js";
import type { CommandContext } from "../src/commands/context.js";
import { listComplaints } from "../src/commands/registers.js";
import { setupWorkspace } from "../src/commands/setupWorkspace.js";
import { readSnapshot, SnapshotModel } from "../src/db/snapshots.js";
import { useTestDatabase } from "./helpers/db.js";
import { alice, buildComplaint, newWorkspaceId } from "./helpers/factories.js";

useTestDatabase();

describe("the open complaints register, kept as a snapshot", () => {
  it("shows every change at once: a new complaint, a state change, a complaint leaving the open register", async () => {
    const workspaceId = newWorkspaceId();
    const ctx = (): CommandContext => ({ workspaceId, platform: "slack", actor: alice, now: new Date() });
    await setupWorkspace(ctx(), { externalId: workspaceId.slice(6) });
    const a = await buildComplaint(workspaceId, { title: "First" });
    const refs = async () => (await listComplaints(ctx(), "open")).items.map((c) => `${c.ref} ${c.state}`);
    expect(await refs()).toEqual([`${a.ref} new`]);
    expect(await refs()).toEqual([`${a.ref} new`]); // served from the snapshot
    const b = await buildComplaint(workspaceId, { title: "Second" });
    expect((await refs()).sort()).toEqual([`${a.ref} new`, `${b.ref} new`].sort());
    await acceptComplaint(ctx(), a.ref ?? "");
    expect((await refs()).sort()).toEqual([`${a.ref} accepted`, `${b.ref} new`].sort());
    await rejectComplaint(ctx(), b.ref ?? "", "Not ours");
    expect(await refs()).toEqual([`${a.ref} accepted`]);
  });

  it("while nothing changed a list is served from the copy this process holds; a change marked by any process replaces it", async () => {
    const workspaceId = newWorkspaceId();
    const ctx = (): CommandContext => ({ workspaceId, platform: "slack", actor: alice, now: new Date() });
    await setupWorkspace(ctx(), { externalId: workspaceId.slice(6) });
    const a = await buildComplaint(workspaceId, { title: "Held" });
    const refs = async () => (await listComplaints(ctx(), "open")).items.map((c) => c.ref).sort();
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
    const ctx = (): CommandContext => ({ workspaceId, platform: "slack", actor: alice, now: new Date() });
    await setupWorkspace(ctx(), { externalId: workspaceId.slice(6) });
    await buildComplaint(workspaceId, { title: "Before" });
    // Past the clock-skew margin: only the change made during the build can make it stale.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    let late = "";
    // A build that read the register, then another complaint lands before it is stored.
    const built = await readSnapshot(workspaceId, "complaint", "open", async () => {
      const items = (await listComplaints(ctx(), "all")).items;
      late = (await buildComplaint(workspaceId, { title: "During" })).ref ?? "";
      return items;
    });
    expect(built.map((c) => (c as { title: string }).title)).toEqual(["Before"]);
    const next = await listComplaints(ctx(), "open");
    expect(next.items.map((c) => c.ref)).toContain(late);
  });
});
