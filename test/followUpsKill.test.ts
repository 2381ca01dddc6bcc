import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeConnector } from "./helpers/fakeConnector.js";
import { FakeSlack } from "./helpers/fakeSlack.js";
import { waitFor } from "./helpers/poll.js";
import { eventually, exitOf, freePort, startQops, statusOf } from "./helpers/process.js";
import { SlackClientSim } from "./helpers/slackRequests.js";
import {
  installInTeam,
  QUALITY_CONVERSATION,
  say,
  submit,
  TEAM_ID,
  type TeamsHarness,
  teamsUser,
  textOf,
} from "./helpers/teamsHarness.js";

/**
 * Every follow-up of a change is a recorded delivery. Slack: QOps (`npm start`) is SIGKILLed at
 * a random moment while complaints are being logged (until one saved complaint had no post yet)
 * and started again; each saved complaint is then posted to the quality channel once and its
 * reporter answered once, and nothing is posted for a complaint that was not saved. What a dead
 * process left half-done is finished by the repair job (entries older than 30 s, every minute):
 * about a minute. Teams, where a post in flight at a kill is never sent again (at most once), is
 * killed while its posts are held by a 429, so the kill falls between the commits and the posts.
 */
const SECRET = "kill-secret";
let mongo: MongoClient;
const databases: string[] = [];

/** A database of its own on the suite's server, for the child processes to share across restarts. */
function ownDatabase(): { uri: string; name: string } {
  const name = `qops_kill_${randomUUID().slice(0, 8)}`;
  databases.push(name);
  const uri = new URL(inject("mongoUri"));
  uri.pathname = `/${name}`;
  return { uri: uri.toString(), name };
}

async function started(env: Record<string, string>, port: number) {
  const qops = startQops({ ...env, PORT: String(port), LOG_LEVEL: "warn" });
  const up = await eventually(
    async () => (await statusOf(`http://127.0.0.1:${port}/healthz`)) === 200,
    60_000,
  );
  expect(up, qops.output()).toBe(true);
  return qops;
}

/**
 * The complaints that were saved, by reference: those whose creation was committed (its anchor,
 * the commit point, is written). A kill can land before the complaint's document is written; it
 * exists all the same, and the repair writes the rest.
 */
async function savedRefs(db: string): Promise<string[]> {
  const anchors = await mongo
    .db(db)
    .collection("history_anchors")
    .find({ "event.kind": "complaint" }, { projection: { recordKey: 1 } })
    .toArray();
  return anchors.map((a) => String(a.recordKey).split("/")[1] ?? "").sort();
}

/** A saved complaint's key, from its reference (the workspace's key is its prefix). */
const _keyOf = async (db: string, ref: string) =>
  (
    await mongo
      .db(db)
      .collection("history_anchors")
      .findOne({ "event.kind": "complaint", recordKey: { $regex: `/${ref}$` } })
  )?.recordKey;

beforeAll(async () => {
  mongo = await new MongoClient(inject("mongoUri")).connect();
});
afterAll(async () => {
  for (const name of databases) await mongo.db(name).dropDatabase();
  await mongo.close();
});

describe("a follow-up survives SIGKILL between the commit and the post", () => {
  it("Slack: killed while complaints are logged, every saved complaint is posted to the quality channel once and its reporter answered once", async () => {
    const fake = await new FakeSlack("xoxb-kill").start();
    const db = ownDatabase();
    const env = {
      MONGODB_URI: db.uri,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: "xoxb-kill",
      SLACK_API_URL: fake.apiUrl,
    };
    const port = await freePort();
    const reporter = { id: "UKILL", name: "Kim Reporter" };
    const slack = new SlackClientSim(`http://127.0.0.1:${port}`, SECRET, "TKILL", (id) =>
      fake.responseUrl(id),
    );
    const postsOf = (ref: string) =>
      (fake.posted.get("CQUALITY") ?? []).filter((m) => JSON.stringify(m).includes(ref)).length;
    const answersOf = (ref: string) =>
      fake.dmsTo(reporter.id).filter((m) => JSON.stringify(m).includes(`Logged ${ref} `)).length;
    try {
      let qops = await started(env, port);
      const setup = slack.command("/qms", "setup <#CQUALITY|quality>", reporter);
      await setup.send();
      await fake.waitForResponse(setup.responseId);
      // Until a kill lands after a commit and before that complaint's post (at most eight tries).
      let interrupted = false;
      for (let attempt = 0; attempt < 8 && !interrupted; attempt++) {
        const sends = Array.from({ length: 12 }, (_, i) =>
          slack
            .submitView(
              "complaint.new",
              {
                title: { value: `Killed ${attempt}-${i}` },
                severity: { option: "high" },
                category: { option: "product" },
              },
              reporter,
            )
            .catch(() => undefined),
        );
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 400));
        qops.child.kill("SIGKILL");
        await exitOf(qops.child);
        await Promise.all(sends);
        const saved = await savedRefs(db.name);
        interrupted = saved.some((ref) => postsOf(ref) === 0);
        qops = await started(env, port);
      }
      expect(interrupted).toBe(true);
      // The restarted QOps finishes what the dead one committed: once each.
      const saved = await savedRefs(db.name);
      expect(saved.length).toBeGreaterThan(0);
      await waitFor(() => saved.every((ref) => postsOf(ref) >= 1 && answersOf(ref) >= 1) || undefined, {
        timeoutMs: 150_000,
        what: "every saved complaint posted and answered",
      });
      for (const ref of saved) {
        expect(postsOf(ref), ref).toBe(1);
        expect(answersOf(ref), ref).toBe(1);
      }
      // Nothing else was posted: no complaint that was not saved.
      const stray = (fake.posted.get("CQUALITY") ?? [])
        .map((m) => JSON.stringify(m))
        .filter((text) => !saved.includes(/CMP-\d{4}-\d{4}/.exec(text)?.[0] ?? ""))
        .map((text) => text.slice(0, 300));
      expect(stray).toEqual([]);
      qops.child.kill("SIGTERM");
      await exitOf(qops.child);
    } finally {
      await fake.stop();
    }
  }, 300_000);

  it("Teams: killed after six complaints were saved and before their posts, the restarted QOps posts each to the quality channel once", async () => {
    const connector = await new FakeConnector().start();
    const db = ownDatabase();
    const env = { MONGODB_URI: db.uri, QOPS_LOCAL_MODE: "true" };
    const port = await freePort();
    const h = {
      connector,
      tenantId: randomUUID(),
      url: `http://127.0.0.1:${port}/api/messages`,
      logs: [],
    } as unknown as TeamsHarness;
    const quinn = teamsUser("Quinn Manager");
    const quality = QUALITY_CONVERSATION;
    const postsOf = (ref: string) =>
      connector.sent(quality).filter((c) => JSON.stringify(c.body).includes(`${ref}`)).length;
    try {
      let qops = await started(env, port);
      connector.rosters.set(TEAM_ID, [{ id: quinn.id, name: quinn.name, aadObjectId: quinn.aadObjectId }]);
      await installInTeam(h, quinn);
      await say(h, quinn, "qms setup", { conversationId: quality });
      // Teams cannot be asked whether a post arrived, so a post in flight at a kill is kept as
      // unconfirmed and never sent again (at most once). To kill QOps after the commits and
      // before their posts, with none in flight, the channel answers the first post 429 with
      // Retry-After: QOps pauses the tenant (in the database) and sends nothing meanwhile.
      connector.failNextWhere((c) => c.conversationId === quality && c.method === "POST", {
        status: 429,
        retryAfter: 10,
      });
      // Each complaint from a form of its own (a form submitted twice is one complaint).
      for (let i = 0; i < 6; i++) {
        const card = (await say(h, quinn, "complaint")).attachments?.[0]?.content;
        const done = await submit(h, quinn, card, {
          title: `Held ${i}`,
          severity: "high",
          category: "product",
        });
        expect(textOf(done.card)).toMatch(/Logged CMP-\d{4}-\d{4}/);
      }
      await waitFor(() => connector.pendingFaults === 0 || undefined, { what: "the 429 answered" });
      await new Promise((r) => setTimeout(r, 300));
      qops.child.kill("SIGKILL");
      await exitOf(qops.child);
      const saved = await savedRefs(db.name);
      expect(saved).toHaveLength(6);
      for (const ref of saved) expect(postsOf(ref), ref).toBe(0);
      qops = await started(env, port);
      // The restarted QOps waits out the pause and posts each complaint once.
      await waitFor(() => saved.every((ref) => postsOf(ref) >= 1) || undefined, {
        timeoutMs: 150_000,
        what: "every saved complaint posted",
      });
      for (const ref of saved) expect(postsOf(ref), ref).toBe(1);
      const channelStates = async () =>
        (
          await mongo
            .db(db.name)
            .collection("reminder_deliveries")
            .find({ to: "channel", recordKey: { $regex: "/CMP-" } })
            .toArray()
        ).map((d) => String(d.state));
      // Recorded as sent once each post is answered.
      await waitFor(
        async () => ((await channelStates()).every((state) => state === "sent") ? true : undefined),
        {
          what: "the posts recorded as sent",
        },
      );
      expect(await channelStates()).toHaveLength(6);
      qops.child.kill("SIGTERM");
      await exitOf(qops.child);
    } finally {
      await connector.stop();
    }
  }, 300_000);
});
