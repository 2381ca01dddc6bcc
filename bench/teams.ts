/**
 * Teams acknowledgement latency: a typed command (`complaint list open`, answered by a
 * message after the ack) and an `adaptiveCard/action` invoke (a card refresh, answered in the
 * HTTP response with the card read from the database), side by side with a bare botbuilder
 * CloudAdapter that answers nothing. Local mode (no tokens), 100 requests/s, 10 connections.
 *   npm run bench -- teams
 */
import { randomBytes } from "node:crypto";
import { createLogger } from "../src/logger.js";
import { FakeConnector } from "../test/helpers/fakeConnector.js";
import { startBenchEngine } from "./database.js";
import { paced } from "./paced.js";
import { serve, stopChild } from "./slack.js";
import { median, round, table } from "./stats.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/**
 * Teams allows a bot ~30 requests/s per tenant and 7 messages/s per conversation, and QOps paces
 * its replies under both; 100 requests/s therefore come from 5 tenants and many conversations.
 */
const TENANTS = 5;
const CONVERSATIONS = 100;

function activity(serviceUrl: string, tenant: number, conversation: number, extra: Record<string, unknown>) {
  return {
    // The load generator puts an id of its own in place of "[<id>]" in every request.
    id: `bench-${randomBytes(6).toString("hex")}-[<id>]`,
    channelId: "msteams",
    serviceUrl,
    from: { id: "29:bench-qm", name: "Quinn Bench", aadObjectId: "bench-qm" },
    recipient: { id: "28:qops", name: "QOps" },
    conversation: {
      id: `a:bench-${tenant}-${conversation}`,
      tenantId: `bench-tenant-${tenant}`,
      conversationType: "personal",
    },
    ...extra,
  };
}

async function post(port: number, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** One activity per tenant and conversation, each sent with a fresh id, at `rate` requests/s. */
function load(port: number, make: (n: number) => unknown, rate: number) {
  return paced({
    url: `http://127.0.0.1:${port}/api/messages`,
    headers: { "content-type": "application/json" },
    bodies: Array.from({ length: TENANTS * CONVERSATIONS }, (_, n) => JSON.stringify(make(n))),
    rate,
    seconds: SECONDS,
  });
}

export async function runTeamsBench(): Promise<string> {
  const logger = createLogger("warn", false);
  const connector = await new FakeConnector().start();
  const engine = await startBenchEngine(logger);
  const env = {
    PORT: "0",
    MONGODB_URI: engine.uri,
    QOPS_ROLE: "web",
    LOG_LEVEL: "warn",
    QOPS_LOCAL_MODE: "true",
    BENCH_DB: `qops_bench_${randomBytes(3).toString("hex")}`,
  };
  const qops = await serve("qops", env);
  const bare = await serve("bare-teams", env);
  try {
    return await measure(qops.port, bare.port, connector, engine.kind);
  } finally {
    await stopChild(qops.child);
    await stopChild(bare.child);
    await engine.stop();
    await connector.stop();
  }
}

async function measure(qopsPort: number, barePort: number, connector: FakeConnector, engineKind: string) {
  const refs: string[] = [];
  for (let t = 0; t < TENANTS; t++) {
    for (const [i, text] of ["qms setup", "qms channel"].entries()) {
      await post(qopsPort, activity(connector.url, t, 0, { type: "message", text }));
      await connector.waitFor(() => connector.sent(`a:bench-${t}-0`).length > i, 30_000);
    }
    for (let i = 0; i < 10; i++) {
      const data = {
        formId: `bench-${t}-${i}`,
        title: `Complaint ${i}`,
        severity: "medium",
        category: "product",
      };
      const answer = await post(
        qopsPort,
        activity(connector.url, t, 0, {
          type: "invoke",
          name: "adaptiveCard/action",
          value: { action: { type: "Action.Execute", verb: "complaint.submit", data } },
        }),
      );
      if (i === 0) refs.push(/CMP-\d{4}-\d{4}/.exec(JSON.stringify(answer))?.[0] ?? "");
    }
  }
  const where = (n: number) => [n % TENANTS, Math.floor(n / TENANTS) % CONVERSATIONS] as const;
  const message = (n: number) =>
    activity(connector.url, ...where(n), { type: "message", text: "complaint list open" });
  const invoke = (n: number) =>
    activity(connector.url, ...where(n), {
      type: "invoke",
      name: "adaptiveCard/action",
      value: { action: { type: "Action.Execute", verb: "card.refresh", data: { ref: refs[n % TENANTS] } } },
    });
  const runs: Record<string, { p50: number[]; p99: number[] }> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, port, make] of [
      ["bare CloudAdapter, message (baseline)", barePort, message],
      ["QOps message `complaint list open`", qopsPort, message],
      ["bare CloudAdapter, invoke (baseline)", barePort, invoke],
      ["QOps invoke `card.refresh` (card from the database)", qopsPort, invoke],
    ] as const) {
      const result = await load(port, make, 100);
      if (result.failed) throw new Error(`${name}: ${result.failed} failed requests of ${result.total}`);
      runs[name] ??= { p50: [], p99: [] };
      runs[name].p50.push(result.p50);
      runs[name].p99.push(result.p99);
      // Let the replies to the typed commands drain before the next run.
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
  const rows = Object.entries(runs).map(([name, r]) => ({
    request: name,
    "p50 ms": round(median(r.p50), 2),
    "p99 ms": round(median(r.p99), 2),
  }));
  return [
    `Teams activities at 100 requests/s over HTTP, ${ROUNDS} alternating rounds of ${SECONDS} s each, medians; database: ${engineKind}; ${TENANTS} tenants × ${CONVERSATIONS} conversations, 10 open complaints each`,
    "",
    table(rows),
  ].join("\n");
}
