import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What one request has committed so far, so that an error reported to the person can say what
 * was saved before it happened ("Logged as CMP-2026-0007, but …") instead of "nothing changed".
 */
export interface RequestScope {
  /** References (or keys) of records this request changed or created, in order. */
  committed: string[];
  /** Writes whose outcome is unknown (the database went away during the insert). */
  uncertain: string[];
}

const storage = new AsyncLocalStorage<RequestScope>();

export function inRequestScope<T>(work: () => Promise<T>): Promise<T> {
  return storage.run({ committed: [], uncertain: [] }, work);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

export function noteCommitted(what: string): void {
  const scope = storage.getStore();
  if (scope && !scope.committed.includes(what)) scope.committed.push(what);
}

export function noteUncertain(what: string): void {
  const scope = storage.getStore();
  if (scope && !scope.uncertain.includes(what)) scope.uncertain.push(what);
}
