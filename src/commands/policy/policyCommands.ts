import { z } from "zod";
import { canonicalJson, sha256 } from "../../db/canonical.js";
import { createRecord, transition } from "../../db/history.js";
import { QopsError } from "../../errors.js";
import {
  type Acknowledgement,
  AcknowledgementModel,
  type ControlledDocument,
  ControlledDocumentModel,
} from "../../models/controlledDocument.js";
import { MemberModel } from "../../models/member.js";
import type { CommandContext } from "../context.js";
import { formatWhen } from "../context.js";
import { loadByRef, runTransition, type TransitionSpec } from "../lifecycle.js";
import { ensureMember, requireRole, requireWorkspace } from "../members.js";
import { parseForm } from "../validation.js";

export const policyInput = z
  .object({
    text: z
      .string()
      .trim()
      .max(3000, "The policy text can be at most 3,000 characters; link a longer document.")
      .default(""),
    link: z
      .string()
      .trim()
      .max(500)
      .refine((v) => v === "" || /^https?:\/\/\S+$/.test(v), "The link must start with http:// or https://.")
      .default(""),
    summary: z.string().trim().max(1000, "The summary can be at most 1,000 characters.").default(""),
  })
  .refine((p) => p.text !== "" || (p.link !== "" && p.summary !== ""), {
    message: "Give the policy text, or a link and a summary.",
    path: ["text"],
  });
export type PolicyInput = z.input<typeof policyInput>;

export const POLICY_TRANSITIONS = {
  approve: {
    name: "approved",
    from: ["draft"],
    to: "approved",
    done: "approved",
    who: "anyone",
    action: "approve the policy",
  },
  publish: {
    name: "published",
    from: ["approved"],
    to: "published",
    done: "published",
    who: "qm",
    action: "publish the policy",
  },
  supersede: {
    name: "superseded",
    from: ["published"],
    to: "superseded",
    done: "superseded",
    who: "qm",
    action: "publish a new policy",
  },
} as const satisfies Record<string, TransitionSpec>;

/** A QM drafts a new version of the quality policy: POL-v1, POL-v2, … */
export async function draftPolicy(ctx: CommandContext, input: PolicyInput): Promise<ControlledDocument> {
  const fields = parseForm(policyInput, input, "policy");
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "draft the quality policy");
  const { record } = await createRecord<ControlledDocument>({
    kind: "document",
    workspaceId: ctx.workspaceId,
    stream: `${ctx.workspaceId}/POL`,
    keyFor: (n) => ({ recordKey: `${ctx.workspaceId}/POL-v${n}`, ref: `POL-v${n}` }),
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    fields: (n) => ({
      state: "draft",
      documentType: "policy",
      title: "Quality policy",
      version: n,
      text: fields.text,
      link: fields.link || null,
      summary: fields.summary,
      // What an acknowledgement is of: the words, not the record.
      contentHash: sha256(canonicalJson({ text: fields.text, link: fields.link, summary: fields.summary })),
      owner: ctx.actor,
      reviewIntervalMonths: 12,
      nextReviewAt: null,
      approvedBy: null,
      publishedAt: null,
      stateChangedBy: ctx.actor,
      stateChangedAt: ctx.now,
    }),
  });
  return record;
}

/** Top management approves a drafted version (ISO 9001 5.1: leadership owns the policy). */
export async function approvePolicy(ctx: CommandContext, ref: string) {
  await requireWorkspace(ctx);
  await requireRole(ctx, "top_management", "approve the quality policy");
  return runTransition<ControlledDocument>(ctx, "document", ref, POLICY_TRANSITIONS.approve, () => ({
    approvedBy: ctx.actor,
  }));
}

export interface Published {
  policy: ControlledDocument;
  superseded: ControlledDocument | null;
}

/** A QM publishes an approved version; the one before it is superseded. */
export async function publishPolicy(ctx: CommandContext, ref: string): Promise<Published> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "publish the quality policy");
  const previous = await currentPolicy(ctx.workspaceId);
  const { record } = await runTransition<ControlledDocument>(
    ctx,
    "document",
    ref,
    POLICY_TRANSITIONS.publish,
    () => ({
      publishedAt: ctx.now,
    }),
  );
  let superseded: ControlledDocument | null = null;
  if (previous && previous._id !== record._id) {
    superseded = (
      await transition<ControlledDocument>({
        kind: "document",
        recordKey: previous._id,
        type: "superseded",
        actor: ctx.actor,
        at: ctx.now,
        idempotencyKey: `supersede:${previous._id}`,
        reason: `replaced by ${record.ref}`,
        decide: () => ({ state: "superseded", stateChangedBy: ctx.actor, stateChangedAt: ctx.now }),
      })
    ).record;
  }
  return { policy: record, superseded };
}

/** The published policy of a workspace, if any (the newest if a crash left two). */
export async function currentPolicy(workspaceId: string): Promise<ControlledDocument | null> {
  const published = (await ControlledDocumentModel.find({
    workspaceId,
    documentType: "policy",
    state: "published",
  }).lean()) as ControlledDocument[];
  return published.sort((a, b) => b.version - a.version)[0] ?? null;
}

export interface AcknowledgeResult {
  acknowledgement: Acknowledgement;
  created: boolean;
  policy: ControlledDocument;
}

/**
 * "I have read and understood": one acknowledgement per person per version, recorded with the
 * version's content hash. A superseded version cannot be acknowledged any more.
 */
export async function acknowledgePolicy(ctx: CommandContext, ref: string): Promise<AcknowledgeResult> {
  await requireWorkspace(ctx);
  const policy = await loadByRef<ControlledDocument & { owner: ControlledDocument["owner"] }>(
    ctx,
    "document",
    ref,
  );
  if (policy.state !== "published") {
    const current = await currentPolicy(ctx.workspaceId);
    throw new QopsError(
      "invalid_transition",
      policy.state === "superseded" && current
        ? `${policy.ref} was replaced by ${current.ref} on ${formatWhen(current.publishedAt ?? current.updatedAt)}; your acknowledgement must be of the current version. Please read and acknowledge ${current.ref}.`
        : `${policy.ref} is not published (it is ${policy.state}); there is nothing to acknowledge yet.`,
    );
  }
  await ensureMember(ctx);
  const { record, created } = await createRecord<Acknowledgement>({
    kind: "acknowledgement",
    workspaceId: ctx.workspaceId,
    stream: `${ctx.workspaceId}/ack`,
    keyFor: () => ({ recordKey: `${ctx.workspaceId}/ack/${policy.ref}/${ctx.actor.id}`, ref: null }),
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: `ack:${policy.ref}:${ctx.actor.id}`,
    type: "acknowledged",
    fields: {
      policyRef: policy.ref,
      contentHash: policy.contentHash,
      member: ctx.actor,
      acknowledgedAt: ctx.now,
    },
  });
  return { acknowledgement: record, created, policy };
}

export interface PolicyStatus {
  policy: ControlledDocument;
  members: number;
  acknowledged: number;
  rate: number;
  missing: { userId: string; name: string }[];
  acknowledgements: Acknowledgement[];
}

/** Who has and has not acknowledged the current (or a named) version. */
export async function policyStatus(ctx: CommandContext, ref?: string): Promise<PolicyStatus> {
  const workspace = await requireWorkspace(ctx);
  const policy = ref
    ? await loadByRef<ControlledDocument & { owner: ControlledDocument["owner"] }>(ctx, "document", ref)
    : await currentPolicy(ctx.workspaceId);
  if (!policy)
    throw new QopsError(
      "not_found",
      "No quality policy has been published yet. A quality manager drafts one with `/policy draft`.",
    );
  const [members, acks] = await Promise.all([
    MemberModel.find({
      workspaceId: ctx.workspaceId,
      active: true,
      ...(workspace.includeGuests ? {} : { isGuest: false }),
    }).lean(),
    AcknowledgementModel.find({ workspaceId: ctx.workspaceId, policyRef: policy.ref }).lean(),
  ]);
  const acked = new Set(acks.map((a) => a.member.id));
  const missing = members
    .filter((m) => !acked.has(m.userId))
    .map((m) => ({ userId: m.userId, name: m.name }));
  const counted = members.filter((m) => acked.has(m.userId)).length;
  return {
    policy,
    members: members.length,
    acknowledged: counted,
    rate: members.length ? counted / members.length : 0,
    missing,
    acknowledgements: acks as Acknowledgement[],
  };
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** The acknowledgement list for an auditor: one row per member, acknowledged or not. */
export function policyStatusCsv(status: PolicyStatus): string {
  const rows = [["policy", "member_id", "name", "acknowledged_at", "content_hash"].join(",")];
  for (const a of status.acknowledgements) {
    rows.push(
      [status.policy.ref ?? "", a.member.id, a.member.name, a.acknowledgedAt.toISOString(), a.contentHash]
        .map(csvCell)
        .join(","),
    );
  }
  for (const m of status.missing)
    rows.push([status.policy.ref ?? "", m.userId, m.name, "", ""].map(csvCell).join(","));
  return rows.join("\n");
}
