/**
 * The paced load generator's thread (see bench/paced.ts): sends request i at start + i/rate,
 * over at most `connections` keep-alive sockets, and measures each latency from the moment the
 * request was due, so a server that falls behind is charged for the wait it causes.
 */
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";

const { url, method, headers, bodies, rate, seconds, connections } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const interval = 1000 / rate;
const total = Math.round(rate * seconds);
const prefix = Math.random().toString(36).slice(2, 8);
const latencies = [];
let failed = 0;
let settled = 0;
let next = 0;
const start = performance.now() + 100;

function settle() {
  settled += 1;
  if (settled < total) return;
  agent.destroy();
  parentPort.postMessage({ latencies, failed });
}

function send(i) {
  const due = start + i * interval;
  const body = bodies[i % bodies.length].replaceAll("[<id>]", `${prefix}-${i}`);
  const req = request(
    url,
    { method, agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
    (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - due);
        else failed += 1;
        settle();
      });
    },
  );
  req.on("error", () => {
    failed += 1;
    settle();
  });
  req.end(body);
}

function tick() {
  const now = performance.now();
  while (next < total && start + next * interval <= now) send(next++);
  if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
}

setTimeout(tick, Math.max(0, start - performance.now()));
