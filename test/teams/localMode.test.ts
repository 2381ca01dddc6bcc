import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FakeConnector } from "../helpers/fakeConnector.js";
import { eventually, exitOf, freePort, startQops, statusOf } from "../helpers/process.js";

/** What the Bot Framework Emulator sends: no tenant, no Entra ids, no conversation type. */
function emulatorActivity(serviceUrl: string, extra: Record<string, unknown>) {
  return {
    id: `emu-${Math.random().toString(36).slice(2)}`,
    channelId: "emulator",
    serviceUrl,
    from: { id: "emulator-user-1", name: "Pat Local", role: "user" },
    recipient: { id: "qops-bot", name: "QOps", role: "bot" },
    conversation: { id: "emulator-conversation-1" },
    localTimezone: "Europe/Paris",
    ...extra,
  };
}

describe("local mode: npm start with no credentials talks to a Bot Framework client on 127.0.0.1", () => {
  it("answers an unauthenticated Emulator conversation end to end, then exits 0 on SIGTERM", async () => {
    const connector = await new FakeConnector().start();
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), "qops-local-"));
    const { child, output } = startQops({ PORT: String(port), QOPS_DATA_DIR: dataDir, LOG_LEVEL: "info" });
    try {
      expect(
        await eventually(async () => (await statusOf(`http://127.0.0.1:${port}/healthz`)) === 200, 60_000),
        output(),
      ).toBe(true);
      // The log line and the first answer of /healthz race through the pipe: wait for the line.
      expect(
        await eventually(async () => output().includes("local mode (no authentication)"), 10_000),
        output(),
      ).toBe(true);
      const url = `http://127.0.0.1:${port}/api/messages`;
      const send = (activity: unknown) =>
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(activity),
        });

      const join = emulatorActivity(connector.url, {
        type: "conversationUpdate",
        membersAdded: [
          { id: "emulator-user-1", name: "Pat Local" },
          { id: "qops-bot", name: "QOps" },
        ],
      });
      expect((await send(join)).status).toBe(200);
      await connector.waitFor(() =>
        connector.sent("emulator-conversation-1").find((c) => String(c.body.text).includes("Hi, I am QOps")),
      );

      const setup = emulatorActivity(connector.url, { type: "message", text: "qms setup" });
      expect((await send(setup)).status).toBe(200);
      const reply = await connector.waitFor(() => connector.calls.find((c) => c.activityId === setup.id));
      expect(String(reply.body.text)).toContain("you (Pat Local) are its first quality manager");

      const channel = emulatorActivity(connector.url, { type: "message", text: "qms channel" });
      await send(channel);
      const set = await connector.waitFor(() => connector.calls.find((c) => c.activityId === channel.id));
      expect(String(set.body.text)).toContain("The quality channel is now this chat (set by Pat Local)");

      // A form submitted from a client without Universal Actions arrives as a message with a
      // value: the button's fallback data (verb, workspace, form id) and what was filled in.
      const ask = emulatorActivity(connector.url, { type: "message", text: "complaint" });
      await send(ask);
      const formReply = await connector.waitFor(() => connector.calls.find((c) => c.activityId === ask.id));
      const card = (
        formReply.body.attachments as {
          content: { actions: { fallback: { data: Record<string, string> } }[] };
        }[]
      )[0]?.content;
      const fallback = card?.actions[0]?.fallback.data ?? {};
      expect(fallback.verb).toBe("complaint.new");
      const submit = emulatorActivity(connector.url, {
        type: "message",
        value: { ...fallback, title: "Dented box", severity: "low", category: "delivery" },
      });
      await send(submit);
      const logged = await connector.waitFor(() => connector.calls.find((c) => c.activityId === submit.id));
      expect(JSON.stringify(logged.body)).toMatch(/CMP-\d{4}-0001/);
      // Posted for triage in the quality "channel" (here: the same chat).
      await connector.waitFor(() =>
        connector
          .sent("emulator-conversation-1")
          .find((c) => /^CMP-\d{4}-0001 \(low\) new/.test(String(c.body.text))),
      );
    } finally {
      child.kill("SIGTERM");
      expect(await exitOf(child)).toBe(0);
      await connector.stop();
    }
  });

  it("refuses to start in production without credentials, and says why", async () => {
    const port = await freePort();
    const { child, output } = startQops({ PORT: String(port), NODE_ENV: "production" });
    expect(await exitOf(child)).toBe(2);
    expect(output()).toContain("NODE_ENV=production needs chat credentials");
  });
});
