/**
 * What one request has committed so far, so that an error reported to the person can say what
 * was saved before it happened ("Logged as CMP-2026-0007, but …") instead of "nothing changed".
 * It travels with the request (`CommandContext.scope`, handed to each write) rather than in an
 * AsyncLocalStorage: that would turn on Node's promise hooks for every promise the process
 * makes, about a fifth of a slash command's CPU (see docs/PERFORMANCE.md).
 */
export interface RequestScope {
  /** References (or keys) of records this request changed or created, in order. */
  committed: string[];
  /** Writes whose outcome is unknown (the database went away during the insert). */
  uncertain: string[];
}

export const newScope = (): RequestScope => ({ committed: [], uncertain: [] });

export function noteCommitted(scope: RequestScope | undefined, what: string): void {
  if (scope && !scope.committed.includes(what)) scope.committed.push(what);
}

export function noteUncertain(scope: RequestScope | undefined, what: string): void {
  if (scope && !scope.uncertain.includes(what)) scope.uncertain.push(what);
}
