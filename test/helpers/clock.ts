/**
 * Clocks for tests. Nothing in a test may depend on today's date: the app runs on a clock that
 * starts at a fixed instant (a Monday morning) and moves at real speed, or on one the test sets.
 */
export const TEST_START = "2026-11-02T09:00:00Z";

export interface TestClock {
  now(): Date;
}

/** A clock that starts at `start` and runs at real speed (signatures and timers stay real). */
export function runningClock(start = TEST_START): TestClock & { jump(ms: number): void } {
  let offset = new Date(start).getTime() - Date.now();
  return {
    now: () => new Date(Date.now() + offset),
    jump: (ms) => {
      offset += ms;
    },
  };
}

/** A clock that stands still where the test puts it. */
export function fixedClock(iso = TEST_START) {
  const clock = {
    t: new Date(iso),
    now: () => clock.t,
    set: (when: string) => {
      clock.t = new Date(when);
    },
    advance: (ms: number) => {
      clock.t = new Date(clock.t.getTime() + ms);
    },
  };
  return clock;
}

/** The reference a record gets in the test clock's year: `ref("CMP", 1)` → CMP-2026-0001. */
export const ref = (prefix: string, n: number, at = TEST_START) =>
  `${prefix}-${new Date(at).getUTCFullYear()}-${String(n).padStart(4, "0")}`;
