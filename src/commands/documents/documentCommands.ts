import { createHash } from "node:crypto";
import { addMonths } from "date-fns";
import { z } from "zod";
import { QopsError } from "../../errors.js";
import { type ControlledDocument, ControlledDocumentModel } from "../../models/controlledDocument.js";
import type { PersonRef } from "../../models/recordBase.js";
import type { CommandContext } from "../context.js";
import { createReferenced } from "../createReferenced.js";
import { runTransition, runUpdate, type TransitionSpec } from "../lifecycle.js";
import { ensureMember, requireRole, requireWorkspace } from "../members.js";
import { parseForm } from "../validation.js";

export const documentInput = z.object({
  title: z
    .string()
    .trim()
    .min(3, "Give the document a title (3 to 150 characters).")
    .max(150, "At most 150 characters."),
  documentType: z.enum(["manual", "procedure"], { message: "Say whether it is the manual or a procedure." }),
  version: z.coerce
    .number({ message: "The version is a number, e.g. 3." })
    .int("The version is a whole number.")
    .min(1, "The version starts at 1."),
  link: z
    .string()
    .trim()
    .max(500)
    .refine((v) => /^https?:\/\/\S+$/.test(v), "The link must start with http:// or https://."),
  reviewIntervalMonths: z.coerce
    .number({ message: "The review interval is a number of months." })
    .int()
    .min(1, "At least every month.")
    .max(60, "At most every 60 months."),
});
export type DocumentInput = z.input<typeof documentInput>;

const hash = (d: { title: string; version: number; link: string | null }) =>
  createHash("sha256")
    .update(JSON.stringify([d.title, d.version, d.link]))
    .digest("hex");

/**
 * A QM registers the quality manual or a procedure (ISO 9001 7.5): its version, owner, link and
 * review interval. It is approved when registered by a QM; the owner is reminded when a review is due.
 */
export async function addDocument(
  ctx: CommandContext,
  input: DocumentInput | Record<string, unknown>,
  owner: PersonRef | null,
) {
  const fields = parseForm(documentInput, input, "document");
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "register controlled documents");
  if (!owner) throw new QopsError("invalid_input", "Name the document's owner (mention them).");
  await ensureMember(ctx);
  return createReferenced<ControlledDocument & { owner: PersonRef }>(ctx, "document", {
    ...fields,
    state: "published",
    text: "",
    summary: "",
    contentHash: hash(fields),
    owner,
    nextReviewAt: addMonths(ctx.now, fields.reviewIntervalMonths),
    approvedBy: ctx.actor,
    publishedAt: ctx.now,
  });
}

/** The owner reviewed it and nothing changes: the next review moves on by the interval. */
export function reviewedNoChange(ctx: CommandContext, ref: string) {
  return runUpdate<ControlledDocument & { owner: PersonRef }>(ctx, "document", ref, {
    type: "reviewed_no_change",
    allowedIn: ["published"],
    who: "owner_or_qm",
    action: "record this document's review",
    reason: "reviewed, no change",
    // The review itself is the evidence: it is recorded even when the next date stays the same.
    fields: (d) => ({
      lastReviewedAt: ctx.now,
      nextReviewAt: addMonths(ctx.now, d.reviewIntervalMonths ?? 12),
    }),
  });
}

/** The owner proposes a new version (link); a QM approves it, and its review clock restarts. */
export function proposeVersion(ctx: CommandContext, ref: string, link: string | undefined) {
  const url = (link ?? "").trim();
  if (!/^https?:\/\/\S+$/.test(url))
    throw new QopsError("invalid_input", "Give the new version's link (http:// or https://).");
  return runUpdate<ControlledDocument & { owner: PersonRef }>(ctx, "document", ref, {
    type: "new_version_proposed",
    allowedIn: ["published"],
    who: "owner_or_qm",
    action: "propose a new version",
    fields: (d) => ({
      state: "draft",
      version: d.version + 1,
      link: url,
      contentHash: hash({ title: d.title, version: d.version + 1, link: url }),
      approvedBy: null,
      stateChangedBy: ctx.actor,
      stateChangedAt: ctx.now,
    }),
  });
}

const APPROVE: TransitionSpec = {
  name: "version_approved",
  from: ["draft"],
  to: "published",
  done: "approved",
  who: "qm",
  action: "approve document versions",
};

export function approveVersion(ctx: CommandContext, ref: string) {
  return runTransition<ControlledDocument & { owner: PersonRef }>(ctx, "document", ref, APPROVE, (d) => ({
    approvedBy: ctx.actor,
    publishedAt: ctx.now,
    nextReviewAt: addMonths(ctx.now, d.reviewIntervalMonths ?? 12),
  }));
}

export async function listDocuments(ctx: CommandContext): Promise<ControlledDocument[]> {
  await requireWorkspace(ctx);
  const docs = await ControlledDocumentModel.find({
    workspaceId: ctx.workspaceId,
    documentType: { $in: ["manual", "procedure"] },
  }).lean();
  return docs.sort((a, b) => (a.ref ?? "").localeCompare(b.ref ?? ""));
}
