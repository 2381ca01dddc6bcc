/**
 * Slash-command acknowledgement latency and throughput of `/complaint list open` (a database
 * read) over signed HTTP, side by side with a bare Bolt app that only acknowledges.
 *   npm run bench -- slack
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { createLogger } from "../src/logger.js";
import { FakeSlack } from "../test/helpers/fakeSlack.js";
import { waitFor } from "../test/helpers/poll.js";
import { SlackClientSim } from "../test/helpers/slackRequests.js";
import { startBenchEngine } from "./database.js";
import { paced } from "./paced.js";
import { median, round, table } from "./stats.js";

export const SECRET = "bench-secret";
export const TOKEN = "xoxb-bench";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const qm = { id: "UQM", name: "Quinn" };

/** Starts `bench/serve.ts MODE` in its own process and returns its port. */
export async function serve(
  mode: "qops" | "bare" | "bare-teams",
  env: Record<string, string>,
): Promise<{ port: number; child: ChildProcess }> {
  // BENCH_PROFILE=dir writes a CPU profile of each server process there.
  const profile = process.env.BENCH_PROFILE
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", "bench/serve.ts", mode], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      const match = /^port (\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { port, child };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** The environment of a QOps web process under benchmark, signed and answered by the fake Slack. */
export const slackEnv = (mongodbUri: string, slackApiUrl: string, dbName: string) => ({
  PORT: "0",
  MONGODB_URI: mongodbUri,
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_BOT_TOKEN: TOKEN,
  SLACK_API_URL: slackApiUrl,
  QOPS_ROLE: "web",
  LOG_LEVEL: "warn",
  BENCH_DB: dbName,
});

/** Replies QOps posted to response_url: the list really read and delivered. */
async function settledReplies(fake: FakeSlack): Promise<number> {
  let last = -1;
  while (fake.responses.length !== last) {
    last = fake.responses.length;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

/** As many requests as 10 connections can get answered (autocannon, from a worker thread). */
async function load(port: number, body: string, headers: Record<string, string>) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/slack/events`,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
    connections: 10,
    duration: SECONDS,
    // Generate the load from a worker thread, not the thread that serves the requests.
    workers: 1,
  });
  return {
    total: result.requests.total,
    seconds: result.duration,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

export async function runSlackBench(): Promise<string> {
  const logger = createLogger("warn", false);
  const fake = await new FakeSlack(TOKEN).start();
  const engine = await startBenchEngine(logger);
  const env = slackEnv(engine.uri, fake.apiUrl, `qops_bench_${randomBytes(3).toString("hex")}`);
  const qops = await serve("qops", env);
  const sim = new SlackClientSim(`http://127.0.0.1:${qops.port}`, SECRET, "TBENCH", (id) =>
    fake.responseUrl(id),
  );
  const setup = sim.command("/qms", "setup <#CQ|quality>", qm);
  await setup.send();
  await fake.waitForResponse(setup.responseId);
  for (let i = 0; i < 50; i++) {
    await sim.submitView(
      "complaint.new",
      { title: { value: `Complaint ${i}` }, severity: { option: "medium" }, category: { option: "product" } },
      qm,
    );
  }
  await waitFor(() => (fake.callsTo("chat.postMessage").length >= 100 ? true : undefined), {
    timeoutMs: 60_000,
  });

  const bare = await serve("bare", env);
  const command = sim.command("/complaint", "list open", qm, { triggerId: "trigger-bench" });
  const headers = sim.sign(command.body);
  const rows: Record<string, string | number>[] = [];
  const empty = () => ({
    max: [] as number[],
    done: [] as number[],
    p50: [] as number[],
    p99: [] as number[],
    pacedDone: [] as number[],
  });
  const runs = { qops: empty(), bare: empty() };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, port] of [
      ["bare", bare.port],
      ["qops", qops.port],
    ] as const) {
      fake.responses.length = 0;
      const started = performance.now();
      const max = await load(port, command.body, headers);
      const replies = await settledReplies(fake);
      const seconds = (performance.now() - started) / 1000 - 0.5;
      fake.responses.length = 0;
      const steady = await paced({
        url: `http://127.0.0.1:${port}/slack/events`,
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        bodies: [command.body],
        rate: 100,
        seconds: SECONDS,
      });
      const pacedReplies = await settledReplies(fake);
      if (max.errors || steady.failed)
        throw new Error(`${name}: ${max.errors + steady.failed} failed requests`);
      runs[name].max.push(max.rps);
      runs[name].done.push(name === "bare" ? max.rps : replies / seconds);
      runs[name].p50.push(steady.p50);
      runs[name].p99.push(steady.p99);
      runs[name].pacedDone.push(name === "bare" ? 1 : pacedReplies / steady.total);
    }
  }
  for (const [name, label] of [
    ["bare", "bare Bolt app, ack only (baseline)"],
    ["qops", "QOps /complaint list open"],
  ] as const) {
    rows.push({
      app: label,
      "acks/s (10 conns)": round(median(runs[name].max)),
      "lists read and replied/s": name === "bare" ? "—" : round(median(runs[name].done)),
      "p50 ack ms @100 req/s": round(median(runs[name].p50), 2),
      "p99 ack ms @100 req/s": round(median(runs[name].p99), 2),
      "replied @100 req/s": name === "bare" ? "—" : `${round(median(runs[name].pacedDone) * 100)}%`,
    });
  }
  const ratio = median(runs.qops.max) / median(runs.bare.max);
  const doneRatio = median(runs.qops.done) / median(runs.bare.max);
  await stopChild(qops.child);
  await stopChild(bare.child);
  await engine.stop();
  await fake.stop();
  return [
    `Slack slash command over signed HTTP, ${ROUNDS} alternating rounds of ${SECONDS} s each, medians; database: ${engine.kind}, 50 open complaints`,
    "",
    table(rows),
    "",
    `QOps acknowledges at ${round(ratio * 100)}% of the bare Bolt app's rate; it reads and replies to ${round(doneRatio * 100)}% of that rate (the rest of an overload is answered "busy" at once).`,
  ].join("\n");
}
