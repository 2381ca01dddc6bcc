import { setTimeout as sleep } from "node:timers/promises";

/**
 * Counts work that runs after a request was acknowledged. Beyond `limit` the caller refuses
 * new work at once (the person is told to retry) instead of growing an unbounded backlog,
 * and shutdown waits for what is running before the database closes.
 */
export class InFlight {
  private active = 0;

  constructor(readonly limit: number) {}

  get count(): number {
    return this.active;
  }

  hasRoom(): boolean {
    return this.active < this.limit;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
    }
  }

  /** Resolves when nothing runs, or after `timeoutMs`; returns how many were still running. */
  async idle(timeoutMs: number): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (this.active > 0 && Date.now() < end) await sleep(20);
    return this.active;
  }
}
