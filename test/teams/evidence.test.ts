import { beforeAll, describe, expect, it } from "vitest";
import { ComplaintModel } from "../../src/records/complaint/model.js";
import { linkIn, packFiles, verifyPackCli } from "../helpers/evidence.js";
import { waitFor } from "../helpers/poll.js";
import {
  installInTeam,
  QUALITY_CONVERSATION,
  say,
  submit,
  TEAM_ID,
  teamsUser,
  textOf,
  unescaped,
  useTeamsApp,
} from "../helpers/teamsHarness.js";

// QOps behind a proxy at a public address; the test reaches the same process directly.
const PUBLIC = "https://qops.example.test";
const h = useTeamsApp({ env: { QOPS_PUBLIC_URL: PUBLIC } });
const local = (url: string) => url.replace(PUBLIC, `http://127.0.0.1:${h.app.port}`);
const quinn = teamsUser("Quinn Manager");
const ada = teamsUser("Ada Auditor");
const erin = teamsUser("Erin Employee");
const HOSTILE = '=cmd|"/c calc"!A1 <img src=x onerror=alert(1)>';

const sayText = async (from: typeof ada, text: string, mentions: (typeof ada)[] = []) => {
  const reply = await say(h, from, text, { mentions });
  return `${reply.text}\n${textOf(reply.attachments?.[0]?.content)}`;
};

beforeAll(async () => {
  h.connector.rosters.set(
    TEAM_ID,
    [quinn, ada, erin].map((u) => ({ id: u.id, name: u.name, aadObjectId: u.aadObjectId })),
  );
  await installInTeam(h, quinn);
  await say(h, quinn, "qms setup", { conversationId: QUALITY_CONVERSATION });
  await say(h, ada, "help");
  await sayText(quinn, `qms roles grant <at>${ada.name}</at> auditor`, [ada]);
  const form = (await say(h, erin, "complaint")).attachments?.[0]?.content;
  await submit(h, erin, form, {
    title: HOSTILE,
    description: "Labels wrong",
    customer: "ACME",
    productRef: "PO-77",
    severity: "high",
    category: "product",
  });
  const doc = await waitFor(() => ComplaintModel.findOne({ workspaceId: `teams:${h.tenantId}` }).lean(), {
    what: "the complaint",
  });
  await waitFor(async () => ((await ComplaintModel.findById(doc._id).lean())?.triageMessage ? true : null), {
    what: "its triage post",
  });
});

describe("Teams: the evidence pack, the dashboard and charts", () => {
  it("qms dashboard gives a QM a one-use sign-in link that opens the overview; qms status carries a chart image served as PNG", async () => {
    expect(await sayText(erin, "qms dashboard")).toContain(
      "Only a quality manager or top management or an auditor can open the quality dashboard",
    );
    const reply = await say(h, quinn, "qms dashboard");
    const link =
      /\]\((https:[^)\s]+)\)/.exec(`${reply.text}\n${textOf(reply.attachments?.[0]?.content)}`)?.[1] ?? "";
    expect(link.startsWith(`${PUBLIC}/dashboard/signin?token=`)).toBe(true);
    const signIn = await fetch(local(link), { redirect: "manual" });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Secure/);
    const overview = await fetch(local(`${PUBLIC}/dashboard`), {
      headers: { cookie: cookie.split(";")[0] ?? "" },
    });
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toContain("Open complaints by severity");
    expect(html).toContain("Quinn Manager");
    expect((await fetch(local(link), { redirect: "manual" })).status).toBe(403);

    // Typed in a channel, the link would be seen by everyone there: it goes to the person's own chat.
    const earlier = h.connector.calls.length;
    const inChannel = await say(h, quinn, "qms dashboard", { conversationId: QUALITY_CONVERSATION });
    const channelText = `${inChannel.text}\n${textOf(inChannel.attachments?.[0]?.content)}`;
    expect(channelText).toContain("your sign-in link to the quality dashboard is in your personal chat");
    expect(channelText).not.toContain("/dashboard/signin");
    const dm = await h.connector.waitFor(() =>
      h.connector.calls
        .slice(earlier)
        .find(
          (c) =>
            c.method === "POST" &&
            c.conversationId !== QUALITY_CONVERSATION &&
            JSON.stringify(c.body).includes("/dashboard/signin?token="),
        ),
    );
    const dmLink = /\]\((https:[^)\s]+)\)/.exec(unescaped(textOf(dm.body)))?.[1] ?? "";
    expect((await fetch(local(dmLink), { redirect: "manual" })).status).toBe(303);

    const status = await say(h, quinn, "qms status");
    const card = status.attachments?.[0]?.content as {
      body?: { type: string; url?: string; altText?: string }[];
    };
    const image = card.body?.find((e) => e.type === "Image");
    expect(image?.altText).toBe("Open complaints by severity: 1 in all");
    const png = await fetch(local(image?.url ?? ""));
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
  });

  it("an employee is refused; an auditor's typed request gives a progress message in their chat that becomes a link to a pack that verifies", async () => {
    expect(await sayText(erin, "qms evidence")).toContain(
      "Only a quality manager or an auditor can build the evidence pack",
    );
    const reply = await sayText(ada, "qms evidence 2026-01-01..2026-12-31 clause 9.1.2");
    const id = /EVP-[0-9A-F]{8}/.exec(reply)?.[0] ?? "";
    expect(reply).toContain("requested by Ada Auditor");
    expect(reply).toContain("clause 9.1.2");
    // Teams syntax, not Slack's: no slash before the command.
    expect(reply).not.toContain("/qms");
    const chat = `a:personal-${ada.id}`;
    const ready = await h.connector.waitFor(() =>
      h.connector
        .updates(chat)
        .find((c) => JSON.stringify(c.body).includes(id) && JSON.stringify(c.body).includes("is ready")),
    );
    expect(h.connector.sent(chat).some((c) => JSON.stringify(c.body).includes(id))).toBe(true);
    const url = linkIn(unescaped(textOf(ready.body)));
    expect(url).toBeTruthy();
    expect(url?.startsWith(`${PUBLIC}/evidence/download?`)).toBe(true);
    const res = await fetch(local(url ?? ""));
    expect(res.status).toBe(200);
    const zip = new Uint8Array(await res.arrayBuffer());
    const files = packFiles(zip);
    expect(
      Object.keys(files)
        .filter((f) => f.startsWith("records/"))
        .sort(),
    ).toEqual(["records/complaint.csv", "records/complaint.json"]);
    expect(files["index.html"]).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(files["records/complaint.csv"]).toContain(`"'=cmd|""/c calc""!A1 <img`);
    expect(await verifyPackCli(zip)).toMatchObject({ code: 0, out: expect.stringContaining("intact") });
  });
});
