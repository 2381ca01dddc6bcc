import { createHash } from "node:crypto";
import { strToU8, zipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyWorkspace } from "../../src/db/verify.js";
import { EvidencePackModel, newPack } from "../../src/evidence/model.js";
import { PackBuilder } from "../../src/evidence/runner.js";
import { DOWNLOAD_PURPOSE } from "../../src/evidence/settings.js";
import { createLogger } from "../../src/logger.js";
import { ComplaintModel } from "../../src/records/complaint/model.js";
import { linkKey, signLink } from "../../src/web/links.js";
import { auditorScript, linkIn, packFiles, verifyPackCli } from "../helpers/evidence.js";
import { waitFor } from "../helpers/poll.js";
import { allText, employee, qm, setUpWorkspace, useSlackApp } from "../helpers/slackHarness.js";
import type { SimUser } from "../helpers/slackRequests.js";

const h = useSlackApp();
const auditor: SimUser = { id: "UAUD1", name: "Ada Auditor" };
const HOSTILE = '=HYPERLINK("http://evil.example","x")<script>alert(1)</script>';
const ws = () => `slack:${h.teamId}`;
let actionRef = "";
let complaintRef = "";

async function command(text: string, by: SimUser): Promise<string> {
  const c = h.slack.command("/qms", text, by);
  await c.send();
  return allText(await h.fake.waitForResponse(c.responseId));
}

async function logComplaint(title: string, customer: string) {
  await h.slack.submitView(
    "complaint.new",
    {
      title: { value: title },
      description: { value: "Housings arrived scratched." },
      customer: { value: customer },
      productRef: { value: "PO-4471" },
      severity: { option: "high" },
      category: { option: "product" },
    },
    employee,
  );
  const doc = await waitFor(() => ComplaintModel.findOne({ workspaceId: ws(), title }).lean(), {
    what: title,
  });
  // Its triage post's pointer is written to its history once the post went out.
  return waitFor(
    async () => {
      const posted = await ComplaintModel.findById(doc._id).lean();
      return posted?.triageMessage ? posted : null;
    },
    { what: `the triage post of ${doc.ref}` },
  );
}

/** Asks for a pack and waits for the progress message to carry the link; returns the ZIP. */
async function pack(text: string, by: SimUser) {
  const reply = await command(text, by);
  const id = /EVP-[0-9A-F]{8}/.exec(reply)?.[0];
  expect(id, reply).toBeTruthy();
  const ready = await h.fake.waitForCall(
    "chat.update",
    (c) => allText(c.args).includes(`${id}`) && allText(c.args).includes("is ready"),
    60_000,
  );
  const url = linkIn(allText(ready.args));
  expect(url).toBeTruthy();
  const res = await fetch(url ?? "");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/zip");
  return { id: id ?? "", reply, url: url ?? "", zip: new Uint8Array(await res.arrayBuffer()) };
}

beforeAll(async () => {
  await setUpWorkspace(h);
  await command(`roles grant <@${auditor.id}|${auditor.name}> auditor`, qm);
  const scratched = await logComplaint("Scratched housings", "ACME GmbH");
  // Accepted, and a corrective action raised from it: the pack links the two.
  const where = { channel: scratched.triageMessage?.channelId ?? "", ts: scratched.triageMessage?.ts ?? "" };
  await h.slack.button("complaint.accept", scratched.ref ?? "", qm, where).send();
  await waitFor(
    async () => ((await ComplaintModel.findById(scratched._id).lean())?.state === "accepted" ? true : null),
    {
      what: "the complaint accepted",
    },
  );
  await h.slack.button("complaint.raise_action", scratched.ref ?? "", qm, where).send();
  const modal = await h.fake.waitForCall("views.open", (c) =>
    allText(c.args).includes(`Action for ${scratched.ref}`),
  );
  await h.slack.submitView(
    "action.new",
    {
      problem: { value: "Housings scratched in transit" },
      ownerId: { user: qm.id },
      dueDate: { date: "2099-01-31" },
      actionType: { option: "corrective" },
    },
    qm,
    { privateMetadata: (modal.args.view as { private_metadata: string }).private_metadata },
  );
  actionRef = await waitFor(
    async () => (await ComplaintModel.findById(scratched._id).lean())?.linkedActions[0],
    {
      what: "the action linked on the complaint",
    },
  );
  complaintRef = scratched.ref ?? "";
  await logComplaint(HOSTILE, "@SUM(1+1)");
});

describe("the evidence pack", () => {
  it("is refused to an employee and for a clause QOps keeps no records of, and nothing is built", async () => {
    expect(await command("evidence", employee)).toContain(
      "Only a quality manager or an auditor can build the evidence pack for an audit. Nothing was changed.",
    );
    const reply = await command("evidence clause 7.1", qm);
    expect(reply).toContain('QOps keeps no records under clause "7.1"');
    expect(reply).toContain("9.2");
    expect(await command("evidence 2026-12-01..2026-11-01", qm)).toContain("The period starts after it ends");
    expect(await EvidencePackModel.countDocuments({ workspaceId: ws() })).toBe(0);
  });

  it("an auditor's pack is built in the background: the DM shows progress, then a link to a ZIP with the report, records, history and seal that verifies offline", async () => {
    const { id, reply, zip } = await pack("evidence", auditor);
    expect(reply).toContain("requested by Ada Auditor");
    expect(reply).toMatch(/all clauses/);
    // The progress message went to the auditor and was edited as sections were done.
    const post = await h.fake.waitForDm(auditor.id, (c) => allText(c.args).includes(id));
    expect(allText(post.args)).toMatch(/building|ready/);
    expect(h.fake.callsTo("chat.update").some((c) => /\d+ of \d+ sections done/.test(allText(c.args)))).toBe(
      true,
    );

    const files = packFiles(zip);
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        "index.html",
        "VERIFY.md",
        "seal.json",
        "history.jsonl",
        "records/complaint.csv",
        "records/complaint.json",
      ]),
    );
    const complaints = JSON.parse(files["records/complaint.json"] ?? "[]") as {
      ref: string;
      title: string;
    }[];
    expect(complaints.map((c) => c.title).sort()).toEqual([HOSTILE, "Scratched housings"].sort());
    // Every event of every included record, with its links.
    const seal = JSON.parse(files["seal.json"] ?? "{}");
    expect(seal.seal).toBe((await verifyWorkspace(ws())).seal);
    const lines = (files["history.jsonl"] ?? "")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.every((e) => typeof e.prevHash === "string" && typeof e.hash === "string")).toBe(true);
    expect(new Set(lines.map((e) => e.recordKey))).toEqual(new Set(Object.keys(seal.included)));
    // Hostile text stays literal: escaped in HTML, a formula defused in CSV.
    expect(files["index.html"]).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(files["index.html"]).not.toContain("<script>alert");
    expect(files["records/complaint.csv"]).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")`);
    expect(files["records/complaint.csv"]).toContain("'@SUM(1+1)");
    expect(files["index.html"]).toContain("8.2.1, 9.1.2 Customer complaints");
    // The same server-drawn charts as the dashboard: complaints created per month, numbers beside.
    expect(files["index.html"]).toMatch(
      /<figure class="chart"><svg[^>]*>.*Customer complaints: created per month/s,
    );
    // Records link to each other: the complaint to its corrective action and back.
    expect(files["index.html"]).toContain(`<a href="#${actionRef}">${actionRef}</a>`);
    expect(files["index.html"]).toContain(`<a href="#${complaintRef}">${complaintRef}</a>`);
    expect(files["index.html"]).toContain(`<article id="${actionRef}"`);
    expect(JSON.parse(files["records/action.json"] ?? "[]")[0]).toMatchObject({
      sourceRef: complaintRef,
      ref: actionRef,
    });

    expect(await verifyPackCli(zip)).toMatchObject({ code: 0, out: expect.stringContaining("intact") });
    expect(await auditorScript(zip)).toMatchObject({ code: 0, out: expect.stringContaining("intact") });
  });

  it("a pack with one event altered is refused, naming that event, by npm run verify and by VERIFY.md's script", async () => {
    const { zip } = await pack("evidence clause 9.1.2", qm);
    const files = packFiles(zip);
    const lines = (files["history.jsonl"] ?? "").trim().split("\n");
    const second = JSON.parse(lines[1] ?? "{}");
    second.actor = { id: "UOTHER", name: "Someone Else" };
    lines[1] = JSON.stringify(second);
    const tampered = zipSync(
      Object.fromEntries(
        Object.entries({ ...files, "history.jsonl": `${lines.join("\n")}\n` }).map(([n, t]) => [
          n,
          strToU8(t),
        ]),
      ),
    );
    const cli = await verifyPackCli(tampered);
    expect(cli.code).toBe(1);
    expect(cli.out).toContain(`history.jsonl line 2: ${second.recordKey} event ${second.seq}`);
    expect(cli.out).toContain("was altered");
    const script = await auditorScript(tampered);
    expect(script.code).not.toBe(0);
    expect(script.out).toContain(`line 2: ${second.recordKey} event ${second.seq} was altered`);
  });

  it("a pack a dead process left half built is taken over by the workers' job and finished once; one still being built is left alone", async () => {
    const asked = {
      workspaceId: ws(),
      requestedBy: qm,
      requestedAt: new Date("2026-11-02T09:00:00Z"),
      from: "2026-01-01",
      to: "2026-12-31",
      zone: "UTC",
      clause: "10.2",
      total: 2,
    };
    const past = new Date(Date.now() - 1_000);
    const future = new Date(Date.now() + 60_000);
    await EvidencePackModel.create({
      ...newPack({ _id: "EVP-DEAD0001", ...asked }),
      state: "building",
      builder: "dead:1",
      leaseUntil: past,
    });
    await EvidencePackModel.create({
      ...newPack({ _id: "EVP-LIVE0001", ...asked }),
      state: "building",
      builder: "alive:2",
      leaseUntil: future,
    });
    const worker = new PackBuilder(createLogger("silent", false), () => new Date(), "worker:3");
    expect(await worker.runDue()).toBe(1);
    expect(await EvidencePackModel.findById("EVP-DEAD0001").lean()).toMatchObject({
      state: "ready",
      builder: "worker:3",
    });
    expect(await EvidencePackModel.findById("EVP-LIVE0001").lean()).toMatchObject({
      state: "building",
      builder: "alive:2",
    });
    expect(await worker.runDue()).toBe(0);
    await EvidencePackModel.deleteOne({ _id: "EVP-LIVE0001" });
  });

  it("the same period and data give byte-identical packs", async () => {
    const a = await pack("evidence 2026-01-01..2026-12-31 clause 8.2", qm);
    const b = await pack("evidence 2026-01-01..2026-12-31 clause 8.2", auditor);
    expect(a.id).not.toBe(b.id);
    const sha = (z: Uint8Array) => createHash("sha256").update(z).digest("hex");
    expect(sha(b.zip)).toBe(sha(a.zip));
  });

  it("a download link that was altered, is for another pack, or expired is refused and says why", async () => {
    const { id, url } = await pack("evidence clause 9.3", qm);
    const altered = url.replace(
      /sig=([^&]+)/,
      (_m, sig: string) => `sig=${sig.startsWith("A") ? "B" : "A"}${sig.slice(1)}`,
    );
    const bad = await fetch(altered);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain("not valid");
    const other = await fetch(url.replace(id, "EVP-00000000"));
    expect(other.status).toBe(403);
    // A minute before the pack was ready, on the app's clock.
    const readyAt = (await EvidencePackModel.findById(id).lean())?.readyAt ?? new Date(0);
    const past = new Date(readyAt.getTime() - 60_000);
    const expired = new URL(url);
    expired.searchParams.set("expires", String(past.getTime()));
    expired.searchParams.set("sig", signLink(await linkKey(), DOWNLOAD_PURPOSE, id, past));
    const gone = await fetch(expired);
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain("expired");
  });
});
