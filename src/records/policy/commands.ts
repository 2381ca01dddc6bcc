import { z } from "zod";
import { type CommandContext, requestKey } from "../../commands/context.js";
import { canonicalJson, sha256 } from "../../db/canonical.js";
import { createRecord, loadRecord, transition } from "../../db/history.js";
import { QopsError } from "../../errors.js";
import { deliveryId } from "../../outbox/enqueue.js";
import { answer, withNotice } from "../../views/build.js";
import { cmd, join, person, type Rich, rich } from "../../views/rich.js";
import type { Answer, FieldView, FormView, MessageView } from "../../views/types.js";
import { parseForm, pick } from "../common.js";
import { type ControlledDocument, ControlledDocumentModel } from "../document/model.js";
import { applyEffects } from "../effects.js";
import type { Action, RecordKindDef } from "../kind.js";
import { loadByRef, stateRefusal } from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { formAnswerNotice, type Notice, notifyEffect } from "../notify.js";
import { forbidden, holders, requireRole, requireWorkspace, rolesOf } from "../workspace/access.js";
import { type Workspace, workspaceKey } from "../workspace/model.js";
import { askable } from "./requests.js";
import { policyView } from "./views.js";

/** Reminders every N working days after the request reached the person, M times; then the QMs hear. */
export const POLICY_REMINDER_EVERY_DAYS = 3;
export const POLICY_REMINDER_TIMES = 3;

export const policyOccasion = (ref: string, what: string) => `policy:${ref}:${what}`;
const STEPS = ["request", ...Array.from({ length: POLICY_REMINDER_TIMES }, (_, k) => `reminder-${k + 1}`)];

/** The request and reminders one person gets for a version (their delivery ids). */
export const requestIds = (workspaceId: string, ref: string, userId: string) =>
  STEPS.map((step) => deliveryId(workspaceId, policyOccasion(ref, step), userId));

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

const DRAFT_FORM = "policy.draft";
export const DRAFT_FIELDS: FieldView[] = [
  {
    type: "text",
    id: "text",
    label: "Policy text (or give a link and a summary)",
    max: 3000,
    multiline: true,
    optional: true,
  },
  {
    type: "text",
    id: "link",
    label: "Link to the full policy",
    max: 500,
    optional: true,
    placeholder: "https://…",
  },
  { type: "text", id: "summary", label: "Summary", max: 1000, multiline: true, optional: true },
];

function draftForm(
  ctx: CommandContext,
  values: Record<string, string> = {},
  errors?: Record<string, string>,
): FormView {
  return {
    id: DRAFT_FORM,
    title: "Draft quality policy",
    submit: "Save draft",
    fields: DRAFT_FIELDS,
    target: { ws: ctx.workspaceId },
    values,
    ...(errors ? { errors } : {}),
  };
}

/** The published policy: the version the workspace record names (older data: the newest published). */
export async function currentPolicy(workspace: Workspace): Promise<ControlledDocument | null> {
  if (workspace.currentPolicy !== undefined)
    return workspace.currentPolicy
      ? loadRecord<ControlledDocument>("document", `${workspace.workspaceId}/${workspace.currentPolicy}`)
      : null;
  const published = (await ControlledDocumentModel.find({
    workspaceId: workspace.workspaceId,
    documentType: "policy",
    state: "published",
  }).lean()) as ControlledDocument[];
  return published.sort((a, b) => b.version - a.version)[0] ?? null;
}

export async function draftFormAnswer(ctx: CommandContext): Promise<Answer> {
  await requireRole(ctx, "qm", "draft the quality policy");
  return { kind: "form", form: draftForm(ctx) };
}

/** A QM drafts a new version (POL-v1, POL-v2, …); top management is asked to approve it. */
export async function submitDraft(_def: RecordKindDef, action: Action): Promise<Answer> {
  const { ctx } = action;
  if (action.target.ws !== ctx.workspaceId)
    throw new QopsError("forbidden", "This form belongs to another workspace. Nothing was saved.");
  const values = pick(action.inputs, ["text", "link", "summary"]);
  let fields: z.infer<typeof policyInput>;
  try {
    fields = parseForm(policyInput, values, "policy");
  } catch (error) {
    if (error instanceof QopsError && error.fieldErrors)
      return { kind: "invalid", form: draftForm(ctx, values as Record<string, string>, error.fieldErrors) };
    throw error;
  }
  const workspace = await requireRole(ctx, "qm", "draft the quality policy");
  await ensureMember(ctx);
  const approvers = holders(workspace, "top_management");
  const said = (ref: string): Rich =>
    approvers.length
      ? rich`📝 Drafted ${ref}. Top management (${join(approvers.map(person))}) has been asked to approve it.`
      : rich`📝 Drafted ${ref}. Nobody holds the top management role yet: grant it with ${cmd("qms roles grant @person top_management")}; they then approve with ${cmd(`policy approve ${ref}`)}.`;
  const { record, created, event, pendingId } = await createRecord<ControlledDocument>({
    kind: "document",
    workspaceId: ctx.workspaceId,
    stream: `${ctx.workspaceId}/POL`,
    keyFor: (n) => ({ recordKey: `${ctx.workspaceId}/POL-v${n}`, ref: `POL-v${n}` }),
    actor: ctx.actor,
    scope: ctx.scope,
    at: ctx.now,
    idempotencyKey: requestKey(ctx, DRAFT_FORM),
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
    effects: (n) => {
      const ref = `POL-v${n}`;
      const draft = {
        workspaceId: ctx.workspaceId,
        ref,
        state: "draft",
        text: fields.text,
        summary: fields.summary,
        link: fields.link || null,
        owner: ctx.actor,
        approvedBy: null,
        publishedAt: null,
      } as unknown as ControlledDocument;
      const notices: Notice[] = [
        ...approvers
          .filter((a) => a.id !== ctx.actor.id)
          .map((a) => ({
            to: a.id,
            about: `approve:${a.id}`,
            view: withNotice(
              policyView(ctx, draft, { userId: a.id, roles: ["top_management"] }),
              rich`${ctx.actor.name} drafted the quality policy ${ref}; please review and approve it.`,
            ),
          })),
        ...formAnswerNotice(ctx, answer(said(ref), "good")),
      ];
      return notifyEffect(
        ctx,
        { workspaceId: ctx.workspaceId, record: ref, recordKey: `${ctx.workspaceId}/${ref}`, seq: 1 },
        notices,
      );
    },
  });
  if (created) await applyEffects(event, pendingId);
  const view = policyView(ctx, record, { userId: ctx.actor.id, roles: rolesOf(workspace, ctx.actor.id) });
  return {
    kind: "done",
    view: withNotice(
      view,
      created ? said(record.ref ?? "") : rich`This form was already sent: it is ${record.ref}.`,
    ),
  };
}

/** Top management approves a drafted version (ISO 9001 5.1: leadership owns the policy); the QMs are told. */
export async function approvePolicy(
  def: RecordKindDef,
  ctx: CommandContext,
  ref: string,
  ws?: string,
): Promise<MessageView> {
  const workspace = await requireWorkspace(ctx);
  const policy = await loadByRef<ControlledDocument>(ctx, def, ref, ws);
  if (!rolesOf(workspace, ctx.actor.id).includes("top_management"))
    throw forbidden(workspace, ["top_management"], "approve the quality policy");
  const spec = { done: "approved", to: "approved", from: ["draft"], action: "approve the policy" };
  const { record } = await transition<ControlledDocument>({
    kind: "document",
    recordKey: policy._id,
    type: "approved",
    actor: ctx.actor,
    scope: ctx.scope,
    at: ctx.now,
    idempotencyKey: requestKey(ctx, `${policy._id}:approve`),
    decide: (current, last) => {
      if (current.state !== "draft") throw stateRefusal(current, spec);
      const after = { ...current, state: "approved", approvedBy: ctx.actor } as ControlledDocument;
      return {
        fields: {
          state: "approved",
          approvedBy: ctx.actor,
          stateChangedBy: ctx.actor,
          stateChangedAt: ctx.now,
        },
        effects: notifyEffect(
          ctx,
          {
            workspaceId: ctx.workspaceId,
            record: current.ref ?? "",
            recordKey: current._id,
            seq: last.seq + 1,
          },
          holders(workspace, "qm")
            .filter((q) => q.id !== ctx.actor.id)
            .map((q) => ({
              to: q.id,
              about: `publish:${q.id}`,
              view: withNotice(
                policyView(ctx, after, { userId: q.id, roles: ["qm"] }),
                rich`✅ ${ctx.actor.name} approved ${current.ref}. Publishing asks every member to acknowledge it.`,
              ),
            })),
        ),
      };
    },
  }).then(async (r) => {
    await applyEffects(r.event, r.pendingId);
    return r;
  });
  return withNotice(
    policyView(ctx, record, { userId: ctx.actor.id, roles: rolesOf(workspace, ctx.actor.id) }),
    rich`✅ ${record.ref} approved by ${ctx.actor.name}. A quality manager can now publish it with ${cmd(`policy publish ${record.ref}`)}.`,
  );
}

/**
 * A QM publishes an approved version. Which version is current is kept on the workspace record,
 * so two publications at once are ordered by one write there and leave one version published;
 * the versions' own records, the previous version's supersession and every member's request are
 * effects of that write.
 */
export async function publishPolicy(
  def: RecordKindDef,
  ctx: CommandContext,
  ref: string,
  ws?: string,
): Promise<MessageView> {
  const policy = await loadByRef<ControlledDocument>(ctx, def, ref, ws);
  const spec = { done: "published", to: "published", from: ["approved"], action: "publish the policy" };
  if (policy.state !== "approved") throw stateRefusal(policy, spec);
  const result = await transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type: "policy_published",
    actor: ctx.actor,
    scope: ctx.scope,
    at: ctx.now,
    reason: `${policy.ref} published`,
    idempotencyKey: requestKey(ctx, `publish:${policy.ref}`),
    decide: (workspace, last) => {
      if (!rolesOf(workspace, ctx.actor.id).includes("qm"))
        throw forbidden(workspace, ["qm"], "publish the quality policy");
      if (workspace.currentPolicy === policy.ref)
        throw new QopsError(
          "invalid_transition",
          `${policy.ref} is already the published policy. Nothing was changed.`,
        );
      const previous = workspace.currentPolicy ?? null;
      const quality = workspace.qualityChannelId;
      const announce = rich`📣 ${ctx.actor.name} published the quality policy ${policy.ref}. Everyone will get a message asking them to read and acknowledge it.`;
      return {
        fields: { currentPolicy: policy.ref },
        effects: [
          { type: "policyPublish", ref: policy.ref, previous },
          ...notifyEffect(
            ctx,
            {
              workspaceId: ctx.workspaceId,
              record: policy.ref ?? "",
              recordKey: policy._id,
              seq: last.seq + 1,
            },
            quality
              ? [
                  {
                    to: quality,
                    channel: true,
                    about: "announced",
                    view: withNotice(
                      policyView(ctx, { ...policy, state: "published", publishedAt: ctx.now }, "channel", {}),
                      announce,
                    ),
                  },
                ]
              : [],
          ),
        ],
      };
    },
  });
  const done = await applyEffects(result.event, result.pendingId);
  const workspace = await requireWorkspace(ctx);
  const members = await askable(workspace);
  const published = (await loadRecord<ControlledDocument>("document", policy._id)) ?? policy;
  const previous = result.event.effects?.find((e) => e.type === "policyPublish")?.previous;
  return withNotice(
    policyView(ctx, published, { userId: ctx.actor.id, roles: rolesOf(workspace, ctx.actor.id) }),
    rich`✅ Published ${policy.ref} (by ${ctx.actor.name}).${previous ? ` ${String(previous)} is superseded.` : ""} ${members.length} members will be asked to acknowledge it during their working hours, and reminded every ${POLICY_REMINDER_EVERY_DAYS} working days until they do.${done ? "" : " Some of the requests could not be recorded yet; they are retried automatically."} Track it with ${cmd("policy status")}.`,
  );
}
