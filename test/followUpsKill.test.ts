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
 * Every follow-up of a change is a recorded delivery: QOps (`npm start`) is SIGKILLed while
 * complaints are being logged, some of them committed and not yet posted, and started again.
 * Each complaint that was saved is then posted to the quality channel once and its reporter
 * answered once; nothing is posted for a complaint that was not saved. What a dead process left
 * half-done is finished by the repair job (entries older than 30 s, every minute): about a
 * minute per test.
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

/** The complaints the database holds, by reference. */
async function savedRefs(db: string): Promise<string[]> {
  const docs = await mongo
    .db(db)
    .collection("complaints")
    .find({}, { projection: { ref: 1 } })
    .toArray();
  return docs.map((d) => String(d.ref)).sort();
}

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
      // Until a kill lands after a commit and before that complaint's post (at most three tries).
      let interrupted = false;
      for (let attempt = 0; attempt < 3 && !interrupted; attempt++) {
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
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
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
      const posted = (fake.posted.get("CQUALITY") ?? []).map(
        (m) => /CMP-\d{4}-\d{4}/.exec(JSON.stringify(m))?.[0],
      );
      expect(posted.every((ref) => ref && saved.includes(ref))).toBe(true);
      qops.child.kill("SIGTERM");
      await exitOf(qops.child);
    } finally {
      await fake.stop();
    }
  }, 300_000);

  it("Teams: killed while complaints are logged, every saved complaint is posted to the quality channel once, or kept as unconfirmed if its post was in flight", async () => {
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
      const form = (await say(h, quinn, "complaint")).attachments?.[0]?.content;
      expect(textOf(form)).toContain("Log a complaint");
      let interrupted = false;
      const missingAtKill = new Set<string>();
      for (let attempt = 0; attempt < 3 && !interrupted; attempt++) {
        const sends = Array.from({ length: 12 }, (_, i) =>
          submit(h, quinn, form, {
            title: `Killed ${attempt}-${i}`,
            severity: "high",
            category: "product",
          }).catch(() => undefined),
        );
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
        qops.child.kill("SIGKILL");
        await exitOf(qops.child);
        await Promise.all(sends);
        const saved = await savedRefs(db.name);
        for (const ref of saved) if (postsOf(ref) === 0) missingAtKill.add(ref);
        interrupted = missingAtKill.size > 0;
        qops = await started(env, port);
      }
      expect(interrupted).toBe(true);
      // Teams cannot be asked whether a post arrived, so a post in flight at the kill is kept as
      // unconfirmed and never sent again (at most once); every other one goes out after the restart.
      const saved = await savedRefs(db.name);
      const triage = async (ref: string) => {
        const c = await mongo.db(db.name).collection("complaints").findOne({ ref });
        return mongo
          .db(db.name)
          .collection("reminder_deliveries")
          .findOne({ recordKey: c?._id, to: "channel" });
      };
      await waitFor(
        async () => {
          for (const ref of saved) {
            const d = await triage(ref);
            if (!d || !["sent", "unconfirmed"].includes(String(d.state))) return undefined;
          }
          return true;
        },
        { timeoutMs: 150_000, what: "every saved complaint's post settled" },
      ).catch(async (error: unknown) => {
        const states = await Promise.all(
          saved.map(async (ref) => {
            const c = await mongo.db(db.name).collection("complaints").findOne({ ref });
            const all = await mongo
              .db(db.name)
              .collection("reminder_deliveries")
              .find({ recordKey: c?._id })
              .toArray();
            return `${ref}: ${JSON.stringify(all.map((d) => [d.to, d.state, d.occasion]))}`;
          }),
        );
        throw new Error(`${String(error)}; ${states.join(", ")}; ${qops.output().slice(-2000)}`);
      });
      let postedAfterRestart = 0;
      for (const ref of saved) {
        const d = await triage(ref);
        expect(postsOf(ref), ref).toBeLessThanOrEqual(1);
        if (d?.state !== "sent") continue;
        expect(postsOf(ref), ref).toBe(1);
        if (missingAtKill.has(ref)) postedAfterRestart++;
      }
      // At least one saved complaint had no post when QOps died and got it from the restarted one.
      expect(postedAfterRestart).toBeGreaterThan(0);
      qops.child.kill("SIGTERM");
      await exitOf(qops.child);
    } finally {
      await connector.stop();
    }
  }, 300_000);
});
