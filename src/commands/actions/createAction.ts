import { addDays, isValid, parseISO } from "date-fns";
import { z } from "zod";
import { transition } from "../../db/history.js";
import { kindOfRef } from "../../db/references.js";
import { QopsError } from "../../errors.js";
import type { Complaint } from "../../models/complaint.js";
import type { CorrectiveAction } from "../../models/correctiveAction.js";
import type { ImprovementIdea } from "../../models/improvementIdea.js";
import type { CommandContext } from "../context.js";
import { createReferenced } from "../createReferenced.js";
import { loadByRef, type StatefulRecord } from "../lifecycle.js";
import { ensureMember, hasRole, requireWorkspace } from "../members.js";
import { parseForm } from "../validation.js";

const text = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, `${label} can be at most ${max.toLocaleString("en")} characters.`);

export const actionInput = z.object({
  problem: text(3000, "The problem statement").min(3, "Describe the problem (3 to 3,000 characters)."),
  containment: text(3000, "The containment").default(""),
  rootCause: text(3000, "The root cause").default(""),
  plan: text(3000, "The plan").default(""),
  actionType: z.enum(["corrective", "preventive"]).default("corrective"),
  ownerId: z.string({ message: "Choose an owner." }).trim().min(1, "Choose an owner."),
  ownerName: z.string().trim().max(200).default(""),
  dueDate: z
    .string({ message: "Choose a due date." })
    .refine((v) => isValid(parseISO(v)), "Choose a due date (YYYY-MM-DD)."),
});
export type ActionInput = z.input<typeof actionInput>;

export interface CreatedAction {
  action: CorrectiveAction;
  created: boolean;
  /** The complaint or idea it was raised from, now linked to it. */
  source: StatefulRecord | null;
}

/**
 * Opens a corrective or preventive action, manually (`/qms action new`, QM) or from a
 * complaint or idea (its owner or a QM), and links it to its source.
 */
export async function createAction(
  ctx: CommandContext,
  input: ActionInput | Record<string, unknown>,
  sourceRef: string | null = null,
  /**
   * Raised by an audit finding or a review decision: the caller has checked who may (the lead
   * auditor, a QM) and names the source.
   */
  raisedBy: { source: "audit_finding" | "management_review"; sourceRef: string } | null = null,
): Promise<CreatedAction> {
  const fields = parseForm(actionInput, input, "corrective action");
  await requireWorkspace(ctx);
  const due = parseISO(fields.dueDate);
  if (due < addDays(ctx.now, -1)) {
    throw new QopsError("invalid_input", "The due date is in the past; choose today or later.", {
      fieldErrors: { dueDate: "Choose today or a later date." },
    });
  }
  const refKind = sourceRef ? kindOfRef(sourceRef) : null;
  const sourceKind = refKind === "complaint" || refKind === "idea" ? refKind : null;
  if (sourceRef && !sourceKind) {
    throw new QopsError(
      "invalid_input",
      `Actions can be raised from a complaint or an idea, not from "${sourceRef}".`,
    );
  }
  const source = sourceKind ? await loadByRef<StatefulRecord>(ctx, sourceKind, sourceRef ?? "") : null;
  const isQm = raisedBy !== null || (await hasRole(ctx, "qm"));
  if (!isQm && !(source && source.owner?.id === ctx.actor.id)) {
    throw new QopsError(
      "forbidden",
      source
        ? `Only the owner of ${source.ref} or a quality manager can raise an action from it. Nothing was changed.`
        : "Only a quality manager can open an action directly. Nothing was changed.",
    );
  }
  if (source && ["rejected", "closed"].includes(source.state)) {
    throw new QopsError(
      "invalid_transition",
      `${source.ref} is ${source.state}; actions cannot be raised from it.`,
    );
  }
  const owner = { id: fields.ownerId, name: fields.ownerName || fields.ownerId };
  await ensureMember(ctx);
  const { record, created } = await createReferenced<CorrectiveAction>(ctx, "action", {
    state: "open",
    actionType: fields.actionType,
    source: raisedBy?.source ?? sourceKind ?? "manual",
    sourceRef: raisedBy?.sourceRef ?? source?.ref ?? null,
    problem: fields.problem,
    containment: fields.containment,
    rootCause: fields.rootCause,
    plan: fields.plan,
    owner,
    dueAt: due,
    doneAt: null,
    effectivenessCheckAt: null,
    reopenReason: null,
    snoozedUntil: null,
    createdBy: ctx.actor,
  });
  if (source && sourceKind) await linkAction(ctx, sourceKind, source._id, record.ref ?? "");
  return { action: record, created, source };
}

/** Adds the action to its source's links; keyed, so a retry after a crash links once. */
async function linkAction(
  ctx: CommandContext,
  kind: "complaint" | "idea",
  recordKey: string,
  actionRef: string,
) {
  try {
    await transition<Complaint | ImprovementIdea>({
      kind,
      recordKey,
      type: "action_linked",
      actor: ctx.actor,
      at: ctx.now,
      idempotencyKey: `link:${actionRef}`,
      decide: (r) => ({ linkedActions: [...new Set([...r.linkedActions, actionRef])] }),
    });
  } catch (error) {
    // Already linked (nothing to change) is fine; anything else is a real failure.
    if (!(error instanceof QopsError && error.code === "invalid_transition")) throw error;
  }
}
