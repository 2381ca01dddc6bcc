import type { Logger } from "../logger.js";
import { type DeliveryDeps, deliverNow } from "./engine.js";

/**
 * Sends what a request just recorded from the process that recorded it, so the person who acted
 * and the quality channel hear at once instead of at the next worker pass. Runs in the
 * background (the request never waits for it), under the engine's claims: should this process
 * die, the workers find the same deliveries and nothing goes twice.
 */
export class Dispatcher {
  private readonly queued = new Map<string, Set<string>>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: Record<string, Omit<DeliveryDeps, "workerId"> & { workerId: string }>,
    private readonly logger: Logger,
  ) {}

  push(ids: string[]): void {
    for (const id of ids) {
      const platform = id.split(":")[0] ?? "";
      if (!this.deps[platform]) continue;
      const set = this.queued.get(platform) ?? new Set();
      set.add(id);
      this.queued.set(platform, set);
      if (!this.running.has(platform)) this.running.set(platform, this.drain(platform));
    }
  }

  private async drain(platform: string): Promise<void> {
    const deps = this.deps[platform];
    try {
      for (;;) {
        const ids = [...(this.queued.get(platform) ?? [])];
        this.queued.delete(platform);
        if (!ids.length || !deps) break;
        await deliverNow(deps, ids).catch((error: unknown) =>
          this.logger.warn({ err: error, count: ids.length }, "sending at once failed; the workers send it"),
        );
      }
    } finally {
      this.running.delete(platform);
    }
  }

  /** Waits for what is being sent (shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all(this.running.values());
  }
}
