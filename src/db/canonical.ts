import { createHash } from "node:crypto";

/** A JSON-safe value as stored in history events. */
export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/**
 * Turns a value read from MongoDB (or built in code) into plain JSON data: Dates become ISO
 * strings, ObjectIds strings, undefined keys disappear. History hashes are computed over this
 * form so a document that made a round trip through the database hashes the same.
 */
export function toPlain(value: unknown): Plain {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === "object") {
    const withHex = value as { toHexString?: () => string };
    if (typeof withHex.toHexString === "function") return withHex.toHexString();
    const out: { [key: string]: Plain } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = toPlain(v);
    }
    return out;
  }
  return String(value);
}

/** JSON with object keys sorted at every depth: one byte string per value. */
export function canonicalJson(value: unknown): string {
  const plain = toPlain(value);
  return JSON.stringify(sortKeys(plain));
}

function sortKeys(value: Plain): Plain {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: Plain } = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k] as Plain);
    return out;
  }
  return value;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export const GENESIS_HASH = "0".repeat(64);
