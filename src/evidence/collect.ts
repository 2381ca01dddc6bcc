import type { Model } from "mongoose";
import { canonicalJson, type Plain, toPlain } from "../db/canonical.js";
import { eventId } from "../db/history.js";
import { type HistoryEvent, HistoryEventModel } from "../db/historyModels.js";
import { findByIds } from "../db/read.js";
import type { RecordBase } from "../db/recordBase.js";
import { allDefs } from "../records/refs.js";

/** One part of the pack: a record kind (or the records that belong to one, like acknowledgements). */
export interface Section {
  /** File name of its CSV and JSON (`complaint`, `acknowledgement`). */
  id: string;
  clauses: string[];
  title: string;
  model: Model<RecordBase>;
  finished: readonly string[];
  accepts?: (record: RecordBase) => boolean;
}

export interface Period {
  start: Date;
  end: Date;
}

const clauseOrder = (c: string) =>
  c
    .split(".")
    .map((n) => n.padStart(3, "0"))
    .join(".");

/** Whether a kind's clauses fall under the clause asked for ("9" takes 9.2 and 9.1.2). */
export const underClause = (clauses: string[], asked: string) =>
  clauses.some((c) => c === asked || c.startsWith(`${asked}.`));

/** The sections of a pack for one clause (or all), in clause order; derived from the registry. */
export function sectionsFor(clause: string | null): Section[] {
  const sections: Section[] = [];
  for (const def of allDefs()) {
    const spec = def.evidence;
    if (!spec || (clause && !underClause(spec.clauses, clause))) continue;
    sections.push({
      id: def.id,
      clauses: spec.clauses,
      title: spec.title,
      model: def.model,
      finished: spec.finished,
      ...(def.accepts ? { accepts: def.accepts } : {}),
    });
    for (const related of spec.related ?? [])
      sections.push({
        id: related.kind,
        clauses: spec.clauses,
        title: related.title,
        model: related.model,
        finished: [],
      });
  }
  return sections.sort((a, b) =>
    clauseOrder(a.clauses[0] ?? "").localeCompare(clauseOrder(b.clauses[0] ?? "")),
  );
}

/** Every clause QOps keeps records for, for the refusal of an unknown one. */
export const knownClauses = () =>
  [...new Set(allDefs().flatMap((d) => d.evidence?.clauses ?? []))].sort((a, b) =>
    clauseOrder(a).localeCompare(clauseOrder(b)),
  );

/**
 * A record belongs to a period's pack when it existed by the period's end and either changed
 * during the period or was still unfinished (an open complaint, a document in force).
 */
function inPeriod(section: Section, record: RecordBase & { state?: string }, period: Period): boolean {
  if (section.accepts && !section.accepts(record)) return false;
  if (new Date(record.createdAt) > period.end) return false;
  return new Date(record.updatedAt) >= period.start || !section.finished.includes(record.state ?? "");
}

const BATCH = 200;

/** The section's records in the period, in key order, a batch at a time (memory stays flat). */
export async function* recordBatches(
  section: Section,
  workspaceId: string,
  period: Period,
): AsyncGenerator<RecordBase[]> {
  let batch: RecordBase[] = [];
  const cursor = section.model.find({ workspaceId }).sort({ _id: 1 }).lean().cursor({ batchSize: 500 });
  for await (const doc of cursor) {
    const record = doc as RecordBase;
    if (!inPeriod(section, record, period)) continue;
    batch.push(record);
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Each record's events 1…seq, read by `_id` (the one index every engine uses). */
export async function eventsOf(records: RecordBase[]): Promise<Map<string, HistoryEvent[]>> {
  const ids = records.flatMap((r) => Array.from({ length: r.seq }, (_, i) => eventId(r._id, i + 1)));
  const found: HistoryEvent[] = [];
  for (let i = 0; i < ids.length; i += 500)
    for (const e of await findByIds(HistoryEventModel, ids.slice(i, i + 500))) if (e) found.push(e);
  const byRecord = new Map<string, HistoryEvent[]>();
  for (const e of found) {
    const list = byRecord.get(e.recordKey);
    if (list) list.push(e);
    else byRecord.set(e.recordKey, [e]);
  }
  for (const list of byRecord.values()) list.sort((a, b) => a.seq - b.seq);
  return byRecord;
}

/** A record or event as plain data with its keys sorted: the same bytes for the same data. */
export const plainSorted = (value: unknown): Plain => JSON.parse(canonicalJson(value)) as Plain;

/** An event as history.jsonl keeps it: every stored field, the hash fields exactly as hashed. */
export function eventLine(e: HistoryEvent): string {
  return canonicalJson({ ...e, effects: e.effects?.length ? e.effects : undefined });
}

/** The top-level fields of a kind, for its CSV header: the schema's, `_id` first. */
export function columnsOf(model: Model<RecordBase>): string[] {
  const top = new Set<string>();
  model.schema.eachPath((path) => top.add(path.split(".")[0] ?? path));
  top.delete("_id");
  return ["_id", ...[...top].sort()];
}

/** A CSV cell: text as it is, instants in ISO 8601 (UTC, with its Z), structures as JSON. */
export function cell(value: unknown): string {
  const plain = toPlain(value);
  if (plain === null) return "";
  if (typeof plain === "object") return canonicalJson(plain);
  return String(plain);
}
