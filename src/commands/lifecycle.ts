import { loadRecord, transition } from "../db/history.js";
import { recordKeyOf } from "../db/references.js";
import { QopsError } from "../errors.js";
import type { HistoryEvent } from "../models/historyEvent.js";
import type { RecordKind } from "../models/index.js";
import type { PersonRef, RecordBase } from "../models/recordBase.js";
import { type CommandContext, formatWhen, words } from "./context.js";
import { hasRole, requireWorkspace } from "./members.js";

/** A record with a state machine: complaints, ideas, actions. */
export interface StatefulRecord extends RecordBase {
  state: string;
  owner: PersonRef | null;
  stateChangedBy: PersonRef;
  stateChangedAt: Date;
}

export type Performer = "qm" | "owner_or_qm" | "anyone";

/** One named transition: from which states, to which, who may, and what it is called. */
export interface TransitionSpec {
  name: string;
  from: readonly string[];
  to: string;
  /** Past tense for messages and history: "accepted", "moved to investigating". */
  done: string;
  who: Performer;
  /** What the refusal says the person could not do: "accept complaints". */
  action: string;
}

export const KIND_NAMES: Record<string, string> = {
  complaint: "complaint",
  idea: "improvement idea",
  action: "corrective action",
  document: "controlled document",
  audit: "internal audit",
  review: "management review",
  objective: "quality objective",
};

export async function loadByRef<T extends StatefulRecord>(
  ctx: CommandContext,
  kind: RecordKind,
  ref: string,
): Promise<T> {
  const key = recordKeyOf(ctx.workspaceId, ref);
  const record = key ? await loadRecord<T>(kind, key) : null;
  if (!record || record.kind !== kind) {
    throw new QopsError(
      "not_found",
      `There is no ${kind === "document" && /^POL/i.test(ref) ? "policy version" : (KIND_NAMES[kind] ?? kind)} "${ref.slice(0, 40)}" in this workspace. Check the reference (e.g. CMP-2026-0007) or list them.`,
    );
  }
  return record;
}

async function checkPerformer(
  ctx: CommandContext,
  record: StatefulRecord,
  spec: Pick<TransitionSpec, "who" | "action">,
): Promise<void> {
  if (spec.who === "anyone") return;
  if (await hasRole(ctx, "qm")) return;
  if (spec.who === "owner_or_qm" && record.owner?.id === ctx.actor.id) return;
  const who =
    spec.who === "qm"
      ? "a quality manager"
      : `the owner of ${record.ref}${record.owner ? ` (${record.owner.name})` : ""} or a quality manager`;
  throw new QopsError("forbidden", `Only ${who} can ${spec.action}. Nothing was changed.`);
}

/** Why a transition cannot happen from the record's state, naming who moved it there and when. */
export function refusal(record: StatefulRecord, spec: TransitionSpec): QopsError {
  const since = `by ${record.stateChangedBy.name}, ${formatWhen(record.stateChangedAt)}`;
  if (record.state === spec.to) {
    return new QopsError(
      "invalid_transition",
      `${record.ref} was already ${spec.done} ${since}. Nothing was changed.`,
    );
  }
  return new QopsError(
    "invalid_transition",
    `${record.ref} is ${words(record.state)} (${since}); it can be ${spec.done} only while ${spec.from.map(words).join(" or ")}. Nothing was changed.`,
  );
}

export interface TransitionOutcome<T> {
  record: T;
  event: HistoryEvent;
  replayed: boolean;
}

/**
 * Runs a named transition: workspace set up, permission, state, then the history insert that
 * commits it. Permission is checked against the record as loaded; the state is checked again
 * inside the commit loop, so a concurrent change is seen.
 */
export function runTransition<T extends StatefulRecord>(
  ctx: CommandContext,
  kind: RecordKind,
  ref: string,
  spec: TransitionSpec,
  fields: (record: T) => Record<string, unknown> = () => ({}),
  reason: string | null = null,
): Promise<TransitionOutcome<T>> {
  return runUpdate<T>(ctx, kind, ref, {
    type: spec.name,
    allowedIn: spec.from,
    who: spec.who,
    action: spec.action,
    reason,
    refuse: (record) => refusal(record, spec),
    fields: (record) => ({
      ...fields(record),
      state: spec.to,
      stateChangedBy: ctx.actor,
      stateChangedAt: ctx.now,
    }),
  });
}

/** A change that keeps the state (owner assignment, a vote), checked the same way. */
export async function runUpdate<T extends StatefulRecord>(
  ctx: CommandContext,
  kind: RecordKind,
  ref: string,
  options: {
    type: string | ((record: T) => string);
    allowedIn: readonly string[];
    who: Performer;
    action: string;
    fields: (record: T) => Record<string, unknown>;
    reason?: string | null;
    /** Why not, when the record is in a state outside `allowedIn`. */
    refuse?: (record: T) => QopsError;
  },
): Promise<TransitionOutcome<T>> {
  await requireWorkspace(ctx);
  const current = await loadByRef<T>(ctx, kind, ref);
  await checkPerformer(ctx, current, options);
  return transition<T>({
    kind,
    recordKey: current._id,
    type: options.type,
    actor: ctx.actor,
    at: ctx.now,
    reason: options.reason ?? null,
    idempotencyKey: ctx.requestId,
    decide: (record) => {
      if (!options.allowedIn.includes(record.state)) {
        throw (
          options.refuse?.(record) ??
          new QopsError(
            "invalid_transition",
            `${record.ref} is ${words(record.state)} (by ${record.stateChangedBy.name}, ${formatWhen(record.stateChangedAt)}); you cannot ${options.action} now. Nothing was changed.`,
          )
        );
      }
      return options.fields(record);
    },
  });
}

/** A reason is required text: trimmed, not empty, not a novel. */
export function requireReason(reason: string | undefined | null, what: string): string {
  const text = (reason ?? "").trim();
  if (text.length === 0)
    throw new QopsError("invalid_input", `Please give a reason ${what}.`, {
      fieldErrors: { reason: "Please give a reason." },
    });
  if (text.length > 1000) {
    throw new QopsError("invalid_input", "The reason can be at most 1,000 characters.", {
      fieldErrors: { reason: "At most 1,000 characters." },
    });
  }
  return text;
}
