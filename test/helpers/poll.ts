/** Polls `probe` until it returns a value (not null/undefined/false) or the deadline passes. */
export async function poll<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error("timed out waiting for the expected state");
    await new Promise((r) => setTimeout(r, 25));
  }
}
