/**
 * Latency at a steady request rate, for the "p99 at 100 requests/s" targets.
 *
 * autocannon's `overallRate` is not a steady rate: each connection sends its share of a second
 * back to back when the second starts (100 requests/s over 10 connections is a burst of 100
 * every second), and it "corrects" for coordinated omission with an expected interval of
 * ceil(1 / rate) = 1 ms, recording a slow response of n ms as n samples. This generator sends
 * one request every 1/rate seconds from its own thread (at most `connections` at once, like
 * autocannon's connections) and measures from when each request was due.
 */
import { Worker } from "node:worker_threads";
import { percentile } from "./stats.js";

export interface PacedLoad {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** Request bodies, used in turn; "[<id>]" becomes an id unique to the request. */
  bodies: string[];
  rate: number;
  seconds: number;
  connections?: number;
}

export async function paced(load: PacedLoad) {
  const worker = new Worker(new URL("./pacedWorker.mjs", import.meta.url), {
    workerData: { method: "POST", headers: {}, connections: 10, ...load },
  });
  const { latencies, failed } = await new Promise<{ latencies: number[]; failed: number }>(
    (resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    },
  );
  await worker.terminate();
  latencies.sort((a, b) => a - b);
  return {
    total: latencies.length + failed,
    failed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}
