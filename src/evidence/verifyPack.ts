import { unzipSync } from "fflate";
import { GENESIS_HASH, type Plain, sha256 } from "../db/canonical.js";
import { hashEvent } from "../db/history.js";
import type { HistoryEvent } from "../db/historyModels.js";
import { fieldsOffHistory } from "../db/verify.js";

export interface PackReport {
  ok: boolean;
  records: number;
  events: number;
  seal: string | null;
  /** The first problem, in the order an auditor reads the pack: history line, then records. */
  problem: string | null;
}

interface SealFile {
  seal: string;
  heads: string[];
  included: Record<string, string>;
}

/**
 * Checks a pack with nothing but its bytes: every event's hash and link, every included chain's
 * head against seal.json, the seal against its heads, and each record in records/*.json against
 * the fold of its history. Names the first altered event or record.
 */
export function verifyPack(zip: Uint8Array): PackReport {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch {
    return fail("the file is not a ZIP archive (or is damaged)");
  }
  const text = (name: string) => (files[name] ? new TextDecoder().decode(files[name]) : null);
  const sealText = text("seal.json");
  const historyText = text("history.jsonl");
  if (sealText === null || historyText === null) return fail("the pack has no seal.json or history.jsonl");
  const seal = JSON.parse(sealText) as SealFile;
  const last = new Map<string, HistoryEvent>();
  const byRecord = new Map<string, HistoryEvent[]>();
  const lines = historyText.split("\n").filter(Boolean);
  const report = (problem: string | null): PackReport => ({
    ok: problem === null,
    records: last.size,
    events: lines.length,
    seal: seal.seal ?? null,
    problem,
  });
  for (const [i, line] of lines.entries()) {
    const e = JSON.parse(line) as HistoryEvent;
    const prev = last.get(e.recordKey);
    const where = `history.jsonl line ${i + 1}: ${e.recordKey} event ${e.seq} (${e.type})`;
    if (hashEvent(e) !== e.hash) return report(`${where} was altered: its hash does not match its content`);
    if (e.seq !== (prev?.seq ?? 0) + 1 || e.prevHash !== (prev?.hash ?? GENESIS_HASH))
      return report(
        `${where} does not follow event ${prev?.seq ?? 0}: an event was removed, inserted or reordered`,
      );
    last.set(e.recordKey, e);
    const chain = byRecord.get(e.recordKey);
    if (chain) chain.push(e);
    else byRecord.set(e.recordKey, [e]);
  }
  for (const [key, head] of Object.entries(seal.included ?? {})) {
    if (last.get(key)?.hash !== head)
      return report(
        `${key}: its last event in history.jsonl is not the head seal.json names (events were cut)`,
      );
    if (!seal.heads.includes(`${key}:${head}`))
      return report(`${key}: its head is not among the sealed heads`);
  }
  if (sha256([...seal.heads].sort().join("\n")) !== seal.seal)
    return report("seal.json: the seal is not the SHA-256 of the heads it lists");
  for (const name of Object.keys(files).sort()) {
    if (!/^records\/[a-z]+\.json$/.test(name)) continue;
    const problem = checkRecords(name, JSON.parse(text(name) ?? "[]") as Record<string, Plain>[], byRecord);
    if (problem) return report(problem);
  }
  return report(null);
}

/** Each record's fields equal the last value its history gave them. */
function checkRecords(
  file: string,
  records: Record<string, Plain>[],
  byRecord: Map<string, HistoryEvent[]>,
): string | null {
  for (const record of records) {
    const key = String(record._id);
    const events = byRecord.get(key);
    if (!events) return `${file}: ${key} has no history in the pack`;
    const field = fieldsOffHistory(record as { seq?: number }, events)[0];
    if (field) return `${file}: ${record.ref ?? key} field "${field}" differs from its history`;
  }
  return null;
}

const fail = (problem: string): PackReport => ({ ok: false, records: 0, events: 0, seal: null, problem });
