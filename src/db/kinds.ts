import mongoose, { type Model, type Schema } from "mongoose";
import type { RecordBase } from "./recordBase.js";

/**
 * The models the history engine writes, by record kind, and every model whose indexes are made
 * at start. Each kind's model file registers itself here, so the engine needs no list of kinds:
 * the records registry imports the kinds, and with them their models.
 */
const byKind = new Map<string, Model<RecordBase>>();
const all = new Set<Model<unknown>>();

/** A mongoose model for a record kind with a history (`complaint`, `member`, …). */
export function defineRecordModel<T extends RecordBase>(
  kind: string,
  name: string,
  schema: Schema<T>,
): Model<T> {
  const model = (mongoose.models[name] as Model<T> | undefined) ?? mongoose.model<T>(name, schema);
  byKind.set(kind, model as unknown as Model<RecordBase>);
  all.add(model as unknown as Model<unknown>);
  return model;
}

/** Any other model (deliveries, claims…): its indexes are made at start like the records'. */
export function defineModel<T>(name: string, schema: Schema<T>): Model<T> {
  const model = (mongoose.models[name] as Model<T> | undefined) ?? mongoose.model<T>(name, schema);
  all.add(model as unknown as Model<unknown>);
  return model;
}

export function isRecordKind(kind: string): boolean {
  return byKind.has(kind);
}

export function recordModel(kind: string): Model<RecordBase> {
  const model = byKind.get(kind);
  if (!model) throw new Error(`no record model is registered for the kind "${kind}"`);
  return model;
}

export function recordKinds(): string[] {
  return [...byKind.keys()];
}

export function allModels(): Model<unknown>[] {
  return [...all];
}
