import { type CreateRecordResult, createRecord } from "../db/history.js";
import { REF_PREFIX, referenceStream } from "../db/references.js";
import type { RecordBase } from "../models/recordBase.js";
import type { CommandContext } from "./context.js";

/**
 * Creates a record with a human reference (CMP-2026-0007, IDEA-…, CA-…) in its first state, by
 * the person asking; the request's id makes a retried request return the same record.
 */
export function createReferenced<T extends RecordBase>(
  ctx: CommandContext,
  kind: keyof typeof REF_PREFIX,
  fields: Record<string, unknown>,
): Promise<CreateRecordResult<T>> {
  const { stream, keyFor } = referenceStream(ctx.workspaceId, REF_PREFIX[kind], ctx.now);
  return createRecord<T>({
    kind,
    workspaceId: ctx.workspaceId,
    stream,
    keyFor,
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    fields: { ...fields, stateChangedBy: ctx.actor, stateChangedAt: ctx.now },
  });
}
