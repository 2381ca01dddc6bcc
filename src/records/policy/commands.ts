import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { type CommandContext, requestKey } from "../../commands/context.js";
import { canonicalJson, sha256 } from "../../db/canonical.js";
import { createRecord, loadRecord, transition } from "../../db/history.js";
import { QopsError } from "../../errors.js";
import { deliveryId, enqueueDeliveries, type NewDelivery } from "../../outbox/enqueue.js";
import { DeliveryModel, UndeliverableModel } from "../../outbox/models.js";
import { workingDayOf } from "../../time/workingHours.js";
import { answer, withNotice } from "../../views/build.js";
import { cmd, join, person, type Rich, rich } from "../../views/rich.js";
import type { Answer, FieldView, FormView, MessageView } from "../../views/types.js";
import { parseForm, pick } from "../common.js";
import { type ControlledDocument, ControlledDocumentModel } from "../document/model.js";
import { applyEffects, effectTime, registerEffect } from "../effects.js";
import type { Action, RecordKindDef } from "../kind.js";
import { loadByRef, stateRefusal } from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { syncMembers } from "../member/directory.js";
import { type Member, MemberModel } from "../member/model.js";
import { formAnswerNotice, type Notice, notifyEffect } from "../notify.js";
import {
  forbidden,
  holders,
  readWorkspace,
  requireRole,
  requireWorkspace,
  rolesOf,
  zoneOf,
} from "../workspace/access.js";
import { type Workspace, workspaceKey } from "../workspace/model.js";
import { type Acknowledgement, AcknowledgementModel, ackKey } from "./model.js";
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

/** The members asked to acknowledge: active, and guests only when the workspace includes them. */
async function askable(workspace: Workspace): Promise<Member[]> {
  const members = (await MemberModel.find({
    workspaceId: workspace.workspaceId,
    active: true,
  }).lean()) as Member[];
  return members.filter((m) => workspace.includeGuests || !m.isGuest);
}

/** The request and its reminders for each member who has not acknowledged, recorded before anything is sent. */
export async function askMembers(
  policy: ControlledDocument,
  members: Pick<Member, "userId">[],
  now: Date,
): Promise<number> {
  const ref = policy.ref ?? "";
  const acked = new Set(
    (
      (await AcknowledgementModel.find(
        { workspaceId: policy.workspaceId, policyRef: ref },
        { member: 1 },
      ).lean()) as Acknowledgement[]
    ).map((a) => a.member.id),
  );
  const items: NewDelivery[] = [];
  for (const member of members) {
    if (acked.has(member.userId)) continue;
    const [request, ...reminders] = requestIds(policy.workspaceId, ref, member.userId);
    items.push({
      workspaceId: policy.workspaceId,
      occasion: policyOccasion(ref, "request"),
      recipientId: member.userId,
      notBefore: now,
      content: { dynamic: { type: "policyRequest", ref, reminder: 0 } },
      recordKey: policy._id,
    });
    // Each reminder counts from when the one before it reached the person, in their working days.
    for (let k = 0; k < reminders.length; k++)
      items.push({
        workspaceId: policy.workspaceId,
        occasion: policyOccasion(ref, `reminder-${k + 1}`),
        recipientId: member.userId,
        notBefore: now,
        after: {
          delivery: k === 0 ? (request ?? "") : (reminders[k - 1] ?? ""),
          workingDays: POLICY_REMINDER_EVERY_DAYS,
        },
        content: { dynamic: { type: "policyRequest", ref, reminder: k + 1 } },
        recordKey: policy._id,
      });
  }
  return enqueueDeliveries(items, now);
}

/** The request a member gets (its reminders say which they are), with the acknowledgement button. */
export function requestView(ctx: CommandContext, policy: ControlledDocument, reminder: number): MessageView {
  const text =
    reminder === 0
      ? rich`Please read the quality policy ${policy.ref} and confirm you have read and understood it.`
      : rich`Reminder ${reminder} of ${POLICY_REMINDER_TIMES}: please read the quality policy ${policy.ref} and confirm.`;
  return withNotice(policyView(ctx, policy, { userId: "", roles: [] }, { acknowledgedAt: null }), text);
}

registerEffect("policyPublish", async (effect, event) => {
  const ref = String(effect.ref);
  const key = `${event.workspaceId}/${ref}`;
  const at = event.at;
  try {
    await transition<ControlledDocument>({
      kind: "document",
      recordKey: key,
      type: "published",
      actor: event.actor,
      at,
      idempotencyKey: `publish:${ref}`,
      decide: (doc) => {
        if (doc.state !== "approved") throw new QopsError("invalid_transition", `${ref} is ${doc.state}`);
        return {
          fields: { state: "published", publishedAt: at, stateChangedBy: event.actor, stateChangedAt: at },
        };
      },
    });
  } catch (error) {
    // Already published (a repeated run).
    if (!(error instanceof QopsError && error.code === "invalid_transition")) throw error;
  }
  if (effect.previous) {
    const previous = String(effect.previous);
    try {
      await transition<ControlledDocument>({
        kind: "document",
        recordKey: `${event.workspaceId}/${previous}`,
        type: "superseded",
        actor: event.actor,
        at,
        reason: `replaced by ${ref}`,
        idempotencyKey: `supersede:${previous}`,
        decide: (doc) => {
          if (doc.state !== "published")
            throw new QopsError("invalid_transition", `${previous} is ${doc.state}`);
          return { fields: { state: "superseded", stateChangedBy: event.actor, stateChangedAt: at } };
        },
      });
    } catch (error) {
      if (!(error instanceof QopsError && error.code === "invalid_transition")) throw error;
    }
  }
  const workspace = await readWorkspace(event.workspaceId);
  const policy = await loadRecord<ControlledDocument>("document", key);
  if (!workspace || !policy) return;
  // Asking the platform who is in the workspace first; if it cannot say, the members QOps knows.
  await syncMembers(event.workspaceId, at, workspace.includeGuests).catch(() => undefined);
  await askMembers(policy, await askable(workspace), effectTime({ at }));
});

/**
 * "I have read and understood": one acknowledgement per person per version, recorded with the
 * version's content hash; the person's pending request and reminders are cancelled in the
 * same step. A superseded version cannot be acknowledged any more.
 */
export async function acknowledge(
  def: RecordKindDef,
  ctx: CommandContext,
  ref: string | undefined,
  ws?: string,
) {
  const workspace = await requireWorkspace(ctx);
  const policy = await loadByRef<ControlledDocument>(ctx, def, ref, ws);
  if (policy.state !== "published") {
    const current = await currentPolicy(workspace);
    throw new QopsError(
      "invalid_transition",
      policy.state === "superseded" && current
        ? `${policy.ref} was replaced by ${current.ref}; your acknowledgement must be of the current version. Please read and acknowledge ${current.ref}.`
        : `${policy.ref} is not published (it is ${policy.state}); there is nothing to acknowledge yet.`,
    );
  }
  await ensureMember(ctx);
  const { record, created, event, pendingId } = await createRecord<Acknowledgement>({
    kind: "acknowledgement",
    workspaceId: ctx.workspaceId,
    stream: `${ctx.workspaceId}/ack`,
    keyFor: () => ({ recordKey: ackKey(ctx.workspaceId, policy.ref ?? "", ctx.actor.id), ref: null }),
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: `ack:${policy.ref}:${ctx.actor.id}`,
    keyIsIdentity: true,
    type: "acknowledged",
    fields: {
      policyRef: policy.ref,
      contentHash: policy.contentHash,
      member: ctx.actor,
      acknowledgedAt: ctx.now,
    },
    effects: () => [
      {
        type: "cancel",
        ids: requestIds(ctx.workspaceId, policy.ref ?? "", ctx.actor.id),
        reason: `acknowledged ${policy.ref}`,
      },
    ],
  });
  if (created) await applyEffects(event, pendingId);
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
export async function policyStatus(
  def: RecordKindDef,
  ctx: CommandContext,
  ref?: string,
): Promise<PolicyStatus> {
  const workspace = await requireWorkspace(ctx);
  const policy = ref ? await loadByRef<ControlledDocument>(ctx, def, ref) : await currentPolicy(workspace);
  if (!policy)
    throw new QopsError(
      "not_found",
      "No quality policy has been published yet. A quality manager drafts one with the policy draft command.",
    );
  return statusOf(workspace, policy);
}

export async function statusOf(workspace: Workspace, policy: ControlledDocument): Promise<PolicyStatus> {
  const [members, acks] = await Promise.all([
    askable(workspace),
    AcknowledgementModel.find({
      workspaceId: workspace.workspaceId,
      policyRef: policy.ref,
    }).lean() as Promise<Acknowledgement[]>,
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
    acknowledgements: acks,
  };
}

/**
 * The acknowledgement list for an auditor: one row per member, acknowledged or not. Written by a
 * CSV library that quotes every special character (commas, quotes, CR and LF) and escapes cells
 * a spreadsheet would run as a formula (`=HYPERLINK(…)` in a name stays text).
 */
export function policyStatusCsv(status: PolicyStatus): string {
  const rows: string[][] = [["policy", "member_id", "name", "acknowledged_at", "content_hash"]];
  for (const a of status.acknowledgements)
    rows.push([
      status.policy.ref ?? "",
      a.member.id,
      a.member.name,
      a.acknowledgedAt.toISOString(),
      a.contentHash,
    ]);
  for (const m of status.missing) rows.push([status.policy.ref ?? "", m.userId, m.name, "", ""]);
  return stringify(rows, { escape_formulas: true, record_delimiter: "unix" });
}

/**
 * People the policy could not reach, and people who let every reminder pass (a day after the
 * last): what a QM's escalation lists when it is sent.
 */
export async function escalationList(
  workspace: Workspace,
  now: Date,
): Promise<{
  policy: ControlledDocument;
  ignored: Member[];
  unreachable: { member: Member; reason: string }[];
} | null> {
  const policy = await currentPolicy(workspace);
  if (!policy?.ref) return null;
  const members = await askable(workspace);
  const acked = new Set(
    (
      (await AcknowledgementModel.find(
        { workspaceId: workspace.workspaceId, policyRef: policy.ref },
        { member: 1 },
      ).lean()) as Acknowledgement[]
    ).map((a) => a.member.id),
  );
  const waiting = members.filter((m) => !acked.has(m.userId));
  const failed = new Map(
    (
      (await UndeliverableModel.find({ workspaceId: workspace.workspaceId }).lean()) as {
        _id: string;
        recipientId: string;
        occasion: string;
        reason: string;
      }[]
    )
      .filter((u) => u.occasion.startsWith(policyOccasion(policy.ref ?? "", "")))
      .map((u) => [u.recipientId, u.reason]),
  );
  const ignored: Member[] = [];
  const unreachable: { member: Member; reason: string }[] = [];
  for (const m of waiting) {
    const reason = failed.get(m.userId);
    if (reason) {
      unreachable.push({ member: m, reason });
      continue;
    }
    const last = await DeliveryModel.findById(
      deliveryId(
        workspace.workspaceId,
        policyOccasion(policy.ref, `reminder-${POLICY_REMINDER_TIMES}`),
        m.userId,
      ),
    ).lean();
    if (last?.state === "sent" && last.sentAt && now.getTime() - last.sentAt.getTime() >= 86_400_000)
      ignored.push(m);
  }
  return { policy, ignored, unreachable };
}

/**
 * The QMs' escalation for the current policy: one message per QM and working day (a weekend's runs
 * fall on Monday's), its list drawn when it goes out; recorded only when there is someone on it.
 */
export async function policyEscalations(workspace: Workspace, now: Date): Promise<NewDelivery[]> {
  const list = await escalationList(workspace, now);
  if (!list || (!list.ignored.length && !list.unreachable.length)) return [];
  return holders(workspace, "qm").map((qm) => ({
    workspaceId: workspace.workspaceId,
    occasion: `escalation:policy:${list.policy.ref}:${workingDayOf(now, zoneOf(workspace), workspace.workingHours)}`,
    recipientId: qm.id,
    notBefore: now,
    content: { dynamic: { type: "policyEscalation" } },
    recordKey: list.policy._id,
  }));
}

export function escalationView(
  list: NonNullable<Awaited<ReturnType<typeof escalationList>>>,
): MessageView | null {
  const { policy, ignored, unreachable } = list;
  if (!ignored.length && !unreachable.length) return null;
  const names = (ms: Member[]) =>
    ms
      .slice(0, 100)
      .map((m) => m.name || m.userId)
      .join(", ") + (ms.length > 100 ? ` and ${ms.length - 100} more` : "");
  const blocks = [];
  if (ignored.length)
    blocks.push(
      rich`${ignored.length} people have not acknowledged ${policy.ref} after ${POLICY_REMINDER_TIMES} reminders: ${names(ignored)}.`,
    );
  if (unreachable.length)
    blocks.push(
      rich`${unreachable.length} could not be reached at all: ${unreachable
        .slice(0, 50)
        .map((u) => `${u.member.name || u.member.userId} (${u.reason.slice(0, 80)})`)
        .join("; ")}.`,
    );
  const text = rich`Not acknowledged: ${policy.ref} — ${ignored.length + unreachable.length} people.`;
  return {
    text,
    blocks: [
      { type: "heading", text },
      ...blocks.map((b) => ({ type: "paragraph" as const, text: b })),
      { type: "context", text: rich`See ${cmd("policy status")} for the full list.` },
    ],
  };
}
