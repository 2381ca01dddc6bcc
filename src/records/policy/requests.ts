import type { CommandContext } from "../../commands/context.js";
import { createRecord, loadRecord, transition } from "../../db/history.js";
import { QopsError } from "../../errors.js";
import { enqueueDeliveries, type NewDelivery } from "../../outbox/enqueue.js";
import { withNotice } from "../../views/build.js";
import { rich } from "../../views/rich.js";
import type { MessageView } from "../../views/types.js";
import type { ControlledDocument } from "../document/model.js";
import { applyEffects, effectTime, registerEffect } from "../effects.js";
import type { RecordKindDef } from "../kind.js";
import { loadByRef } from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { syncMembers } from "../member/directory.js";
import { type Member, MemberModel } from "../member/model.js";
import { readWorkspace, requireWorkspace } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import {
  currentPolicy,
  POLICY_REMINDER_EVERY_DAYS,
  POLICY_REMINDER_TIMES,
  policyOccasion,
  requestIds,
} from "./commands.js";
import { type Acknowledgement, AcknowledgementModel, ackKey } from "./model.js";
import { policyView } from "./views.js";

/** The members asked to acknowledge: active, and guests only when the workspace includes them. */
export async function askable(workspace: Workspace): Promise<Member[]> {
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
    scope: ctx.scope,
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
