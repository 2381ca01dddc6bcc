import type { RecordKindDef } from "./kind.js";

/**
 * The record kinds, as the registry registers them when it loads. Code that meets a reference
 * of any kind (a source record, a dynamic card, a repair) finds its kind here, so no module
 * lists the kinds but the registry.
 */
const defs: RecordKindDef[] = [];

export function registerDef(def: RecordKindDef): void {
  if (defs.some((d) => d.id === def.id)) throw new Error(`two record kinds named "${def.id}"`);
  defs.push(def);
}

export function allDefs(): readonly RecordKindDef[] {
  return defs;
}

/** The kind a typed reference belongs to (CMP-2026-0007 → complaints), or null. */
export function defForRef(ref: string): RecordKindDef | null {
  const text = ref.trim();
  return defs.find((d) => d.refPattern.test(text)) ?? null;
}

export function defById(id: string): RecordKindDef | null {
  return defs.find((d) => d.id === id) ?? null;
}

/** The definition of a stored record (a policy and a procedure share the kind "document"). */
export function defForRecord(record: { kind: string; ref: string | null }): RecordKindDef | null {
  return (
    defs.find((d) => d.kind === record.kind && record.ref !== null && d.refPattern.test(record.ref)) ??
    defs.find((d) => d.kind === record.kind) ??
    null
  );
}
