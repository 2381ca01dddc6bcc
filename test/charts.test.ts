import { beforeAll, describe, expect, it } from "vitest";
import { ComplaintModel } from "../src/records/complaint/model.js";
import { waitFor } from "./helpers/poll.js";
import { employee, qm, setUpWorkspace, useSlackApp } from "./helpers/slackHarness.js";

// QOps behind a proxy at a public address; the test reaches the same process directly.
const PUBLIC = "https://qops.example.test";
const h = useSlackApp({ env: { QOPS_PUBLIC_URL: PUBLIC } });
const local = (url: string) => url.replace(PUBLIC, `http://127.0.0.1:${h.app.port}`);

beforeAll(async () => {
  await setUpWorkspace(h);
  for (const [title, severity] of [
    ["Late delivery", "high"],
    ["Wrong label", "low"],
  ] as const) {
    await h.slack.submitView(
      "complaint.new",
      { title: { value: title }, severity: { option: severity }, category: { option: "product" } },
      employee,
    );
    await waitFor(() => ComplaintModel.findOne({ title }).lean(), { what: title });
  }
});

describe("charts in chat", () => {
  it("/qms status carries a chart image QOps serves as PNG at a signed link, with its text kept for screen readers", async () => {
    const status = h.slack.command("/qms", "status", qm);
    await status.send();
    const reply = await h.fake.waitForResponse(status.responseId);
    const blocks = reply.blocks as { type: string; image_url?: string; alt_text?: string }[];
    const image = blocks.find((b) => b.type === "image");
    expect(image?.image_url?.startsWith(`${PUBLIC}/charts/chart.png?`)).toBe(true);
    expect(image?.alt_text).toBe("Open complaints by severity: 2 in all");
    expect(JSON.stringify(blocks)).toContain("high 1");
    const png = await fetch(local(image?.image_url ?? ""));
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    const bytes = new Uint8Array(await png.arrayBuffer());
    expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // A link for another chart (or another workspace) with this signature is refused.
    const forged = new URL(local(image?.image_url ?? ""));
    forged.searchParams.set("fig", "ideas-by-state");
    expect((await fetch(forged)).status).toBe(403);
    forged.searchParams.set("fig", "open-by-severity");
    forged.searchParams.set("ws", "slack:TSOMEONEELSE");
    expect((await fetch(forged)).status).toBe(403);
  });
});
