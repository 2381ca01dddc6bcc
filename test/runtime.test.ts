import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startApp } from "../src/app.js";
import { loadConfig } from "../src/config/index.js";
import { defaultFerretdbBinary, startFerretdb } from "../src/db/ferretdb.js";
import { loadRecord } from "../src/db/history.js";
import { createLogger } from "../src/logger.js";
import type { Complaint } from "../src/records/complaint/model.js";
import { ref } from "./helpers/clock.js";
import { buildComplaint, newWorkspaceId } from "./helpers/factories.js";
import { FakeSlack } from "./helpers/fakeSlack.js";
import { capturingLogger } from "./helpers/logs.js";
import { waitFor } from "./helpers/poll.js";
import { eventually, exitOf, freePort, startQops, statusOf } from "./helpers/process.js";
import { SlackClientSim } from "./helpers/slackRequests.js";

const logger = createLogger("silent", false);

describe("the running service", () => {
  it("npm start answers /healthz with no chat configuration and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), "qops-start-"));
    const { child, output } = startQops({ PORT: String(port), QOPS_DATA_DIR: dataDir, LOG_LEVEL: "info" });
    try {
      const up = await eventually(
        async () => (await statusOf(`http://127.0.0.1:${port}/healthz`)) === 200,
        60_000,
      );
      expect(up, output()).toBe(true);
      expect(await statusOf(`http://127.0.0.1:${port}/readyz`)).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exitOf(child)).toBe(0);
  });

  it("npm start with the Slack variables answers a signed slash command through SLACK_API_URL", async () => {
    const fake = await new FakeSlack("xoxb-process").start();
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), "qops-slack-"));
    const { child, output } = startQops({
      PORT: String(port),
      QOPS_DATA_DIR: dataDir,
      SLACK_SIGNING_SECRET: "process-secret",
      SLACK_BOT_TOKEN: "xoxb-process",
      SLACK_API_URL: fake.apiUrl,
    });
    try {
      const up = await eventually(
        async () => (await statusOf(`http://127.0.0.1:${port}/healthz`)) === 200,
        60_000,
      );
      expect(up, output()).toBe(true);
      const slack = new SlackClientSim(`http://127.0.0.1:${port}`, "process-secret", "TPROC", (id) =>
        fake.responseUrl(id),
      );
      const setup = slack.command("/qms", "setup <#CQ|quality>", { id: "UPROC", name: "Pat Process" });
      expect((await setup.send()).status).toBe(200);
      expect(JSON.stringify(await fake.waitForResponse(setup.responseId))).toContain("first quality manager");
      const forged = slack.command("/qms", "setup", { id: "UEVIL", name: "Eve" });
      expect((await forged.send({ signature: "v0=forged" })).status).toBe(401);
      expect(output()).not.toContain("process-secret");
      expect(output()).not.toContain("xoxb-process");
    } finally {
      child.kill("SIGTERM");
      await exitOf(child);
      await fake.stop();
    }
  });

  it("a SIGTERM that arrives while QOps is still starting stops it cleanly (exit 0)", async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), "qops-early-"));
    const { child, output } = startQops({ PORT: String(port), QOPS_DATA_DIR: dataDir, LOG_LEVEL: "info" });
    // The database is up but the HTTP server and scheduler are not yet: stop right there.
    expect(await eventually(async () => output().includes("database ready"), 60_000)).toBe(true);
    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(0);
  });

  it("a record written before a restart is still there after it (embedded database on disk)", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "qops-persist-"));
    const config = loadConfig({ PORT: "0", QOPS_DATA_DIR: dataDir });
    const workspaceId = newWorkspaceId();

    const first = await startApp({ config, logger });
    const complaint = await buildComplaint(workspaceId);
    await first.stop();

    const second = await startApp({ config, logger });
    try {
      const reread = await loadRecord<Complaint>("complaint", complaint._id);
      expect(reread).toMatchObject({ ref: ref("CMP", 1), title: complaint.title, state: "new" });
    } finally {
      await second.stop();
    }
  });

  it("the embedded engine killed under load is started again on the same data: /healthz says it is down meanwhile, and nothing committed is lost", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "qops-kill-"));
    const logs: Record<string, unknown>[] = [];
    const config = loadConfig({ PORT: "0", QOPS_DATA_DIR: dataDir, QOPS_EMBEDDED_ENGINE: "ferretdb" });
    const app = await startApp({ config, logger: capturingLogger(logs) });
    const healthz = `http://127.0.0.1:${app.port}/healthz`;
    const workspaceId = newWorkspaceId();
    try {
      // Complaints written one after another while the engine is killed under them.
      const saved: Complaint[] = [];
      let writing = true;
      const writer = (async () => {
        while (writing) {
          try {
            saved.push(await buildComplaint(workspaceId));
          } catch {
            // Refused while the engine is down (the reporter is told so): not among the saved.
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      })();
      await waitFor(() => saved.length >= 5, { what: "a few complaints saved before the kill" });
      const pid = app.engine.pid();
      expect(pid).toBeTypeOf("number");
      // /healthz asked back to back from before the kill until the engine is back: the restart
      // can take only tens of milliseconds, so a poll with pauses may miss the window.
      const answers: number[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) answers.push(await statusOf(healthz));
      })();
      process.kill(pid as number, "SIGKILL");
      await waitFor(() => app.engine.pid() !== pid && answers.includes(503) && answers.at(-1) === 200, {
        timeoutMs: 60_000,
        what: "/healthz answering 503 for the dead engine, then 200 once it was started again",
      });
      watching = false;
      await watcher;
      expect(answers).toContain(503);
      const before = saved.length;
      await waitFor(() => saved.length >= before + 5, {
        timeoutMs: 30_000,
        what: "writes going on after the restart",
      });
      writing = false;
      await writer;
      expect(logs.some((l) => l.msg === "embedded database running again")).toBe(true);
      // Every complaint whose creation was answered as saved is there, with its history.
      for (const complaint of saved)
        expect((await loadRecord<Complaint>("complaint", complaint._id))?.title, complaint.ref ?? "").toBe(
          complaint.title,
        );
    } finally {
      await app.stop();
    }
  }, 120_000);

  it("/readyz answers 503 while the database is down and 200 after it returns", async () => {
    const dbDir = await mkdtemp(join(tmpdir(), "qops-ready-"));
    const dbPort = await freePort();
    let ferret = await startFerretdb({ binary: defaultFerretdbBinary, dir: dbDir, port: dbPort, logger });
    const config = loadConfig({ PORT: "0", MONGODB_URI: ferret.uri });
    const app = await startApp({ config, logger });
    const readyz = `http://127.0.0.1:${app.port}/readyz`;
    try {
      expect(await statusOf(readyz)).toBe(200);
      await ferret.stop();
      expect(await statusOf(readyz)).toBe(503);
      expect(await statusOf(`http://127.0.0.1:${app.port}/healthz`)).toBe(200);
      ferret = await startFerretdb({ binary: defaultFerretdbBinary, dir: dbDir, port: dbPort, logger });
      expect(await eventually(async () => (await statusOf(readyz)) === 200, 30_000)).toBe(true);
    } finally {
      await app.stop();
      await ferret.stop();
    }
  });
});
