/**
 * Runs one read for many identical concurrent callers: the second caller of `key` while the
 * first is still reading gets the same promise. Nothing is kept after it settles, so results
 * are never staler than the read itself.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, read: () => Promise<T>): Promise<T> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const promise = read().finally(() => this.running.delete(key));
    this.running.set(key, promise);
    return promise;
  }
}
