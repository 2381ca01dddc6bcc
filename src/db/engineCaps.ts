import type { DatabaseEngine } from "./engine.js";

/**
 * What the connected engine can do, set once at connect. The embedded FerretDB (SQLite) answers
 * every query but `_id` equality by reading the collection in order and applies an update as a
 * read and a write in Go: QOps's workarounds for that (register snapshots, reads by `_id` only,
 * whole-state projections, unique indexes only) run only there, and MongoDB gets the plain code.
 */
export interface EngineCaps {
  kind: DatabaseEngine["kind"];
  /** Queries on anything but `_id` read the whole collection; conditional updates are not atomic. */
  scansQueries: boolean;
}

let caps: EngineCaps = { kind: "external", scansQueries: false };

export function setEngineCaps(kind: DatabaseEngine["kind"]): void {
  caps = { kind, scansQueries: kind === "ferretdb" };
}

export function engineCaps(): EngineCaps {
  return caps;
}
