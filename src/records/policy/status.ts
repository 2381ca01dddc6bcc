import { stringify } from "csv-stringify/sync";
import type { CommandContext } from "../../commands/context.js";
import { QopsError } from "../../errors.js";
import { deliveryId, type NewDelivery } from "../../outbox/enqueue.js";
import { DeliveryModel, UndeliverableModel } from "../../outbox/models.js";
import { workingDayOf } from "../../time/workingHours.js";
import { cmd, rich } from "../../views/rich.js";
import type { MessageView } from "../../views/types.js";
import type { ControlledDocument } from "../document/model.js";
import type { RecordKindDef } from "../kind.js";
import { loadByRef } from "../lifecycle.js";
import type { Member } from "../member/model.js";
import { holders, requireWorkspace, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { currentPolicy, POLICY_REMINDER_TIMES, policyOccasion } from "./commands.js";
import { type Acknowledgement, AcknowledgementModel } from "./model.js";
import { askable } from "./requests.js";

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
