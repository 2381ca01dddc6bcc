import { setTimeout as sleep } from "node:timers/promises";

/**
 * The one way tests wait: polls `probe` until it returns a value (not null, undefined or false)
 * or the deadline passes, and then fails saying what it waited for.
 */
export async function waitFor<T>(
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const end = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${options.what ?? "the expected state"}`);
    await sleep(20);
  }
}

/** The old name, kept for the tests that read better with it. */
export const poll = <T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000) =>
  waitFor(probe, { timeoutMs });
