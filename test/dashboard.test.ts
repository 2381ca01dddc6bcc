import { mkdir, writeFile } from "node:fs/promises";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComplaintModel } from "../src/records/complaint/model.js";
import { runningClock } from "./helpers/clock.js";
import { linkIn, packFiles } from "./helpers/evidence.js";
import { waitFor } from "./helpers/poll.js";
import { allText, employee, qm, setUpWorkspace, useSlackApp } from "./helpers/slackHarness.js";
import { type SimUser, SlackClientSim } from "./helpers/slackRequests.js";

const clock = runningClock();
const h = useSlackApp({ clock });
const auditor: SimUser = { id: "UAUD1", name: "Ada Auditor" };
const HOSTILE = `<img src=x onerror="window.__pwned=1">Scratched`;
const ARTIFACTS = "test-artifacts";
let browser: Browser;
let other: SlackClientSim;

async function ask(sim: SlackClientSim, text: string, by: SimUser): Promise<string> {
  const c = sim.command("/qms", text, by);
  await c.send();
  return allText(await h.fake.waitForResponse(c.responseId));
}

async function logComplaint(sim: SlackClientSim, title: string, severity: string) {
  await sim.submitView(
    "complaint.new",
    { title: { value: title }, severity: { option: severity }, category: { option: "product" } },
    employee,
  );
  await waitFor(() => ComplaintModel.findOne({ workspaceId: `slack:${sim.teamId}`, title }).lean(), {
    what: title,
  });
}

/** The sign-in link in a `qms dashboard` reply (Slack writes links as <url|text>). */
async function signInLink(sim: SlackClientSim, by: SimUser): Promise<string> {
  const reply = await ask(sim, "dashboard", by);
  const url = /<(http[^|>]+)\|Open the quality dashboard>/.exec(reply)?.[1];
  if (!url) throw new Error(`no sign-in link in: ${reply}`);
  return url;
}

/** A fresh browser (its own cookies) signed in through a link. */
async function signedIn(url: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  const res = await page.goto(url);
  expect(res?.status()).toBe(200);
  expect(new URL(page.url()).pathname).toBe("/dashboard");
  return page;
}

/** A chart's numbers, from the table one click away: category → first series value. */
async function numbers(page: Page, figure: string): Promise<Record<string, string>> {
  await page.click(`figure[data-figure="${figure}"] summary`);
  const rows = await page.$$eval(`figure[data-figure="${figure}"] table.numbers tr`, (trs) =>
    trs
      .slice(1)
      .map((tr) => [tr.querySelector("th")?.textContent ?? "", tr.querySelector("td")?.textContent ?? ""]),
  );
  return Object.fromEntries(rows);
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  // Chromium keeps the real clock: under libfaketime (CI's year-ahead pass) its preload would be
  // inherited and hang the browser. The server's clock is the one that judges links and sessions.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k, v]) => v !== undefined && !k.startsWith("FAKETIME") && k !== "LD_PRELOAD",
    ),
  ) as Record<string, string>;
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"], env });
  await setUpWorkspace(h);
  await ask(h.slack, `roles grant <@${auditor.id}|${auditor.name}> auditor`, qm);
  await logComplaint(h.slack, "Late delivery", "high");
  await logComplaint(h.slack, HOSTILE, "high");
  await logComplaint(h.slack, "Wrong label", "low");
  // A second workspace on the same QOps, with a complaint of the same reference.
  other = new SlackClientSim(h.slack.baseUrl, h.slack.signingSecret, "TOTHERWS", (id) =>
    h.fake.responseUrl(id),
  );
  await ask(other, "setup <#COTHER|quality>", qm);
  await logComplaint(other, "Other workspace secret", "critical");
});

afterAll(async () => {
  await browser?.close();
});

describe("the quality dashboard in a browser", () => {
  it("is refused to an employee; a QM's one-use link opens an overview whose charts carry the numbers of the records made", async () => {
    expect(await ask(h.slack, "dashboard", employee)).toContain(
      "Only a quality manager or top management or an auditor can open the quality dashboard",
    );
    const page = await signedIn(await signInLink(h.slack, qm));
    expect(await page.locator("figure[data-figure] svg").count()).toBeGreaterThanOrEqual(6);
    expect(await numbers(page, "open-by-severity")).toEqual({
      low: "1",
      medium: "0",
      high: "2",
      critical: "0",
    });
    const perMonth = await numbers(page, "complaints-per-month");
    expect(Object.values(perMonth).reduce((n, v) => n + Number(v), 0)).toBe(3);
    expect(perMonth["2026-11"]).toBe("3");
    expect(await page.textContent("figure[data-figure='complaints-per-month'] figcaption")).toContain(
      "3 in 12 months",
    );
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-overview.png`, fullPage: true });
  });

  it("the register filters and searches, shows hostile text as text, and a record link opens the record with its chain verified", async () => {
    const page = await signedIn(await signInLink(h.slack, qm));
    await page.goto(new URL("/dashboard/register?kind=complaint", page.url()).toString());
    expect(await page.locator("table.register tbody tr").count()).toBe(3);
    expect(await page.textContent("table.register")).toContain(HOSTILE);
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    // A complaint logged after the register was first read is on it at the next read.
    await logComplaint(h.slack, "Logged while browsing", "medium");
    await page.reload();
    expect(await page.locator("table.register tbody tr").count()).toBe(4);
    expect(await page.textContent("table.register")).toContain("Logged while browsing");
    await page.goto(new URL("/dashboard/register?kind=complaint&q=label", page.url()).toString());
    expect(await page.locator("table.register tbody tr").count()).toBe(1);
    await page.click("table.register tbody tr a");
    expect(new URL(page.url()).pathname).toBe("/dashboard/record");
    expect(await page.textContent("h1")).toMatch(/^CMP-2026-\d{4}$/);
    expect(await page.getAttribute("[data-chain]", "data-chain")).toBe("ok");
    expect(await page.textContent("body")).toContain("Wrong label");
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-record.png`, fullPage: true });
  });

  it("a link from another workspace shows nothing of this one, and the same reference there is its own record", async () => {
    const page = await signedIn(await signInLink(other, qm));
    await page.goto(new URL("/dashboard/register?kind=complaint", page.url()).toString());
    const register = (await page.textContent("table.register")) ?? "";
    expect(register).toContain("Other workspace secret");
    expect(register).not.toContain("Late delivery");
    await page.goto(new URL("/dashboard/record?ref=CMP-2026-0001", page.url()).toString());
    expect(await page.textContent("body")).toContain("Other workspace secret");
  });

  it("a used link, a page without a session and a person whose role was revoked get nothing", async () => {
    const link = await signInLink(h.slack, auditor);
    const page = await signedIn(link);
    const again = await (await browser.newContext()).newPage();
    const reused = await again.goto(link);
    expect(reused?.status()).toBe(403);
    expect(await again.textContent("body")).toContain("already used");
    const bare = await again.goto(new URL("/dashboard", link).toString());
    expect(bare?.status()).toBe(401);
    await ask(h.slack, `roles revoke <@${auditor.id}|${auditor.name}> auditor`, qm);
    const revoked = await page.goto(new URL("/dashboard", link).toString());
    expect(revoked?.status()).toBe(403);
  });

  it("the evidence pack's report prints to A4: cover and contents first, no content wider than the page", async () => {
    const reply = await ask(h.slack, "evidence", qm);
    const id = /EVP-[0-9A-F]{8}/.exec(reply)?.[0] ?? "";
    const ready = await h.fake.waitForCall(
      "chat.update",
      (c) => allText(c.args).includes(id) && allText(c.args).includes("is ready"),
    );
    const zip = new Uint8Array(await (await fetch(linkIn(allText(ready.args)) ?? "")).arrayBuffer());
    const html = packFiles(zip)["index.html"] ?? "";
    await writeFile(`${ARTIFACTS}/evidence-pack-index.html`, html);
    const page = await (await browser.newContext({ viewport: { width: 680, height: 960 } })).newPage();
    await page.setContent(html);
    await page.emulateMedia({ media: "print" });
    // A4 less the report's margins is about 680 CSS pixels wide: nothing may stick out.
    expect(
      await page.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
            .documentElement.scrollWidth,
      ),
    ).toBeLessThanOrEqual(680);
    expect(await page.textContent("h1")).toBe("QMS evidence pack");
    expect(await page.locator("ol li a").count()).toBeGreaterThanOrEqual(9);
    const pdf = await page.pdf({
      format: "A4",
      printBackground: true,
      path: `${ARTIFACTS}/evidence-pack.pdf`,
    });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    // The cover on a page of its own, then a page per clause section at least.
    expect((pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length).toBeGreaterThanOrEqual(3);
  });

  it("a link used after its 10 minutes is refused", async () => {
    const link = await signInLink(h.slack, qm);
    clock.jump(11 * 60_000);
    const page = await (await browser.newContext()).newPage();
    const res = await page.goto(link);
    expect(res?.status()).toBe(410);
    expect(await page.textContent("body")).toContain("expired");
  });
});
