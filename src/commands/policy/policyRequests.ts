import { format } from "date-fns";
import type { PlatformMember } from "../../bot/ports.js";
import { createRecord, transition } from "../../db/history.js";
import { cancelDeliveries, enqueueDeliveries, type NewDelivery } from "../../jobs/deliveryEngine.js";
import { addWorkingDays, DEFAULT_WORKING_HOURS, type WorkingHours } from "../../jobs/workingHours.js";
import { AcknowledgementModel, type ControlledDocument } from "../../models/controlledDocument.js";
import { ReminderDeliveryModel } from "../../models/delivery.js";
import { type Member, MemberModel } from "../../models/member.js";
import { WorkspaceModel } from "../../models/workspace.js";
import { memberKey } from "../members.js";
import { currentPolicy } from "./policyCommands.js";

/** Reminders every N working days, M times, then the QMs get the list (defaults 3 and 3). */
export const POLICY_REMINDER_EVERY_DAYS = 3;
export const POLICY_REMINDER_TIMES = 3;
export const ACKNOWLEDGE_ACTION = "policy.acknowledge";

export const policyOccasion = (ref: string, what: string) => `policy:${ref}:${what}`;

function requestContent(policy: ControlledDocument, reminder: number) {
  const body = policy.text || policy.summary;
  return {
    text:
      reminder === 0
        ? `Please read the quality policy ${policy.ref} and confirm you have read and understood it.`
        : `Reminder ${reminder} of ${POLICY_REMINDER_TIMES}: please read the quality policy ${policy.ref} and confirm.`,
    title: `Quality policy ${policy.ref}`,
    lines: [body.slice(0, 2800), ...(policy.link ? [`Full text: ${policy.link}`] : [])],
    buttons: [
      {
        actionId: ACKNOWLEDGE_ACTION,
        text: "I have read and understood",
        value: policy.ref ?? "",
        style: "primary" as const,
      },
    ],
  };
}

/** The request and its reminders for each member, recorded before anything is sent. */
export async function enqueuePolicyRequests(
  policy: ControlledDocument,
  members: Pick<Member, "userId" | "tz">[],
  now: Date,
): Promise<number> {
  const workspace = await WorkspaceModel.findById(`${policy.workspaceId}/workspace`, {
    workingHours: 1,
  }).lean();
  const hours = (workspace?.workingHours as WorkingHours | undefined) ?? DEFAULT_WORKING_HOURS;
  const acked = new Set(
    (
      await AcknowledgementModel.find(
        { workspaceId: policy.workspaceId, policyRef: policy.ref },
        { member: 1 },
      ).lean()
    ).map((a) => a.member.id),
  );
  const from = policy.publishedAt ?? now;
  const items: NewDelivery[] = [];
  for (const member of members) {
    if (acked.has(member.userId)) continue;
    items.push({
      workspaceId: policy.workspaceId,
      occasion: policyOccasion(policy.ref ?? "", "request"),
      recipientId: member.userId,
      notBefore: now,
      content: requestContent(policy, 0),
    });
    // Reminders count from the person's own first working day after the request.
    const start = now > from ? now : from;
    for (let k = 1; k <= POLICY_REMINDER_TIMES; k++) {
      items.push({
        workspaceId: policy.workspaceId,
        occasion: policyOccasion(policy.ref ?? "", `reminder-${k}`),
        recipientId: member.userId,
        notBefore: addWorkingDays(start, k * POLICY_REMINDER_EVERY_DAYS, member.tz, hours),
        content: requestContent(policy, k),
      });
    }
  }
  return enqueueDeliveries(items, now);
}

/** After an acknowledgement nobody is reminded again. */
export function stopPolicyReminders(policy: ControlledDocument, userId: string): Promise<void> {
  return cancelDeliveries(policy.workspaceId, userId, `policy:${policy.ref}:`);
}

/**
 * Brings the member list up to date from the platform (names, time zones, who left) and asks
 * anyone new to acknowledge the current policy. Returns the number of new members.
 */
export async function syncMembers(
  workspaceId: string,
  platformMembers: PlatformMember[],
  now: Date,
  includeGuests = false,
): Promise<number> {
  const system = { id: "system", name: "QOps member sync" };
  const known = new Map((await MemberModel.find({ workspaceId }).lean()).map((m) => [m.userId, m as Member]));
  const fresh: Pick<Member, "userId" | "tz">[] = [];
  const seen = new Set<string>();
  for (const pm of platformMembers) {
    if (pm.isGuest && !includeGuests) continue;
    seen.add(pm.userId);
    const existing = known.get(pm.userId);
    if (!existing) {
      const { created } = await createRecord<Member>({
        kind: "member",
        workspaceId,
        stream: `${workspaceId}/member`,
        keyFor: () => ({ recordKey: memberKey(workspaceId, pm.userId), ref: null }),
        actor: system,
        at: now,
        idempotencyKey: `member:${pm.userId}`,
        type: "joined",
        fields: { userId: pm.userId, name: pm.name, tz: pm.tz, roles: [], active: true, isGuest: pm.isGuest },
      });
      if (created) fresh.push(pm);
      continue;
    }
    if (
      existing.name !== pm.name ||
      existing.tz !== pm.tz ||
      !existing.active ||
      existing.isGuest !== pm.isGuest
    ) {
      if (!existing.active) fresh.push(pm);
      await transition<Member>({
        kind: "member",
        recordKey: existing._id,
        type: "profile_updated",
        actor: system,
        at: now,
        decide: () => ({ name: pm.name, tz: pm.tz, active: true, isGuest: pm.isGuest }),
      });
    }
  }
  for (const member of known.values()) {
    if (member.active && !seen.has(member.userId) && member.userId !== "system") {
      await transition<Member>({
        kind: "member",
        recordKey: member._id,
        type: "left",
        actor: system,
        at: now,
        decide: () => ({ active: false }),
      });
    }
  }
  const policy = await currentPolicy(workspaceId);
  if (policy && fresh.length) await enqueuePolicyRequests(policy, fresh, now);
  return fresh.length;
}

/**
 * Members who got every reminder and still have not acknowledged: one message per QM per day
 * with the whole list, not one per person.
 */
export async function escalateUnacknowledged(workspaceId: string, now: Date): Promise<number> {
  const policy = await currentPolicy(workspaceId);
  if (!policy?.ref) return 0;
  const lastReminders = await ReminderDeliveryModel.find({
    workspaceId,
    occasion: policyOccasion(policy.ref, `reminder-${POLICY_REMINDER_TIMES}`),
    state: "sent",
  }).lean();
  const acked = new Set(
    (await AcknowledgementModel.find({ workspaceId, policyRef: policy.ref }, { member: 1 }).lean()).map(
      (a) => a.member.id,
    ),
  );
  const overdue = lastReminders
    .filter(
      (d) => d.sentAt && now.getTime() - d.sentAt.getTime() >= 24 * 3600_000 && !acked.has(d.recipientId),
    )
    .map((d) => d.recipientId);
  if (overdue.length === 0) return 0;
  const members = await MemberModel.find({ workspaceId, active: true }).lean();
  const names = members.filter((m) => overdue.includes(m.userId)).map((m) => m.name || m.userId);
  const qms = members.filter((m) => m.roles.includes("qm"));
  const day = format(now, "yyyy-MM-dd");
  return enqueueDeliveries(
    qms.map((qm) => ({
      workspaceId,
      occasion: `escalation:policy:${policy.ref}:${day}`,
      recipientId: qm.userId,
      notBefore: now,
      content: {
        text: `${names.length} people have not acknowledged the quality policy ${policy.ref} after ${POLICY_REMINDER_TIMES} reminders.`,
        title: `Not acknowledged: ${policy.ref}`,
        lines: [
          names.slice(0, 100).join(", ") + (names.length > 100 ? ` and ${names.length - 100} more` : ""),
          "See `/policy status` for the full list.",
        ],
      },
    })),
    now,
  );
}
