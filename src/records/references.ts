import { type CommandContext, requestKey } from "../commands/context.js";
import { type CreateRecordResult, createRecord, loadRecord, referenceStreamId } from "../db/history.js";
import type { Effect } from "../db/historyModels.js";
import type { RecordBase } from "../db/recordBase.js";
import { QopsError } from "../errors.js";
import { dayOf } from "../time/zone.js";
import { applyEffects } from "./effects.js";
import type { RecordKindDef } from "./kind.js";
import { requireWorkspace, zoneOf } from "./workspace/access.js";

// ---------------------------------------------------------------- references

/** The key of a reference typed by a user in this workspace, or null if it is not this kind's. */
export function recordKeyOf(def: RecordKindDef, workspaceId: string, typed: string): string | null {
  const text = typed.trim();
  if (!def.refPattern.test(text)) return null;
  const ref = def.normalizeRef ? def.normalizeRef(text) : text.toUpperCase();
  return `${workspaceId}/${ref}`;
}

/** Where a referenced record is numbered: per workspace, kind and year (in the workspace's zone). */
export function referenceStream(workspaceId: string, prefix: string, year: number) {
  return {
    stream: referenceStreamId(workspaceId, prefix, year),
    keyFor: (n: number) => {
      const ref = `${prefix}-${year}-${String(n).padStart(4, "0")}`;
      return { recordKey: `${workspaceId}/${ref}`, ref };
    },
  };
}

/**
 * A record of this kind by its reference, in the asker's workspace. The workspace a button or
 * form carries must be the asker's: a press from another workspace (Enterprise Grid, a shared
 * channel) on this one's message changes nothing.
 */
export async function loadByRef<T extends RecordBase>(
  ctx: CommandContext,
  def: RecordKindDef,
  ref: string | undefined,
  targetWorkspace?: string,
): Promise<T> {
  if (targetWorkspace !== undefined && targetWorkspace !== ctx.workspaceId)
    throw new QopsError(
      "forbidden",
      "That button belongs to another workspace's record; QOps acts only on records of the workspace you are in. Nothing was changed.",
    );
  const key = recordKeyOf(def, ctx.workspaceId, ref ?? "");
  const record = key ? await loadRecord<T>(def.kind, key) : null;
  if (!record || (def.accepts && !def.accepts(record))) {
    throw new QopsError(
      "not_found",
      `There is no ${def.noun} "${(ref ?? "").slice(0, 40)}" in this workspace. Check the reference (e.g. ${def.prefix === "POL" ? "POL-v2" : `${def.prefix}-2026-0007`}) or list them.`,
    );
  }
  return record;
}

/** Creates a referenced record in its first state, with what it causes. */
export async function createReferenced<T extends RecordBase>(
  ctx: CommandContext,
  def: RecordKindDef,
  fields: Record<string, unknown> | ((ref: string, recordKey: string) => Record<string, unknown>),
  options: {
    idempotencyKey?: string;
    effects?: (ref: string, recordKey: string) => Effect[];
    reason?: string | null;
    year?: number;
  } = {},
): Promise<CreateRecordResult<T> & { followedUp: boolean }> {
  const workspace = await requireWorkspace(ctx);
  const year = options.year ?? Number(dayOf(ctx.now, zoneOf(workspace)).slice(0, 4));
  const { stream, keyFor } = referenceStream(ctx.workspaceId, def.prefix, year);
  const result = await createRecord<T>({
    kind: def.kind,
    workspaceId: ctx.workspaceId,
    stream,
    keyFor,
    actor: ctx.actor,
    scope: ctx.scope,
    at: ctx.now,
    idempotencyKey: options.idempotencyKey ?? requestKey(ctx, `create:${def.id}`),
    reason: options.reason ?? null,
    fields: (n) => ({
      ...(typeof fields === "function" ? fields(keyFor(n).ref, keyFor(n).recordKey) : fields),
      stateChangedBy: ctx.actor,
      stateChangedAt: ctx.now,
    }),
    effects: options.effects ? (n) => options.effects?.(keyFor(n).ref, keyFor(n).recordKey) ?? [] : undefined,
  });
  const followedUp = result.created ? await applyEffects(result.event, result.pendingId) : true;
  return { ...result, followedUp };
}
