import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RespondFailed, respondTo } from "../../src/bot/slack/respond.js";

/** A response_url endpoint: records what it was sent, answers with the status the path names. */
let server: Server;
let base = "";
const received: { path: string; type: string; body: unknown }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => {
      raw += chunk.toString("utf8");
    });
    req.on("end", () => {
      received.push({
        path: req.url ?? "",
        type: String(req.headers["content-type"]),
        body: JSON.parse(raw),
      });
      const status = Number(/\/(\d{3})$/.exec(req.url ?? "")?.[1] ?? 200);
      res.writeHead(status).end(status === 200 ? "ok" : "expired_url");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("respond (posting to a response_url)", () => {
  it("posts the message as JSON, a bare text as {text}, and resolves once Slack said 200", async () => {
    await respondTo(`${base}/hooks/1/200`)({ response_type: "ephemeral", text: "✅ CMP-2026-0001 accepted" });
    await respondTo(`${base}/hooks/2/200`)("plain words");
    expect(received.slice(-2)).toEqual([
      {
        path: "/hooks/1/200",
        type: "application/json; charset=utf-8",
        body: { response_type: "ephemeral", text: "✅ CMP-2026-0001 accepted" },
      },
      { path: "/hooks/2/200", type: "application/json; charset=utf-8", body: { text: "plain words" } },
    ]);
  });

  it("rejects with the status when Slack refuses (an expired response_url), and when nobody answers", async () => {
    const refused = respondTo(`${base}/hooks/3/404`)("too late");
    await expect(refused).rejects.toBeInstanceOf(RespondFailed);
    await expect(refused).rejects.toMatchObject({ status: 404 });
    await expect(respondTo("http://127.0.0.1:9/hooks/4")("nobody there")).rejects.toThrow();
  });
});
