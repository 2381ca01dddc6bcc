import type { CommandContext } from "../../commands/context.js";
import { createRecord, transition } from "../../db/history.js";
import type { Actor } from "../../db/historyModels.js";
import type { PersonRef } from "../../db/recordBase.js";
import { isZone } from "../../time/zone.js";
import { type Member, MemberModel, memberKey } from "./model.js";

/** The member record of a person, created on first contact (everyone is an employee). */
export async function ensureMember(
  ctx: CommandContext,
  person: PersonRef = ctx.actor,
  extra: { tz?: string | null; isGuest?: boolean } = {},
): Promise<Member> {
  const existing = (await MemberModel.findById(
    memberKey(ctx.workspaceId, person.id),
  ).lean()) as Member | null;
  if (existing) return existing;
  return createMember(ctx.workspaceId, person, ctx.actor, ctx.now, extra);
}

export async function createMember(
  workspaceId: string,
  person: PersonRef,
  actor: Actor,
  now: Date,
  extra: { tz?: string | null; isGuest?: boolean } = {},
): Promise<Member> {
  const { record } = await createRecord<Member>({
    kind: "member",
    workspaceId,
    stream: `${workspaceId}/member`,
    keyFor: () => ({ recordKey: memberKey(workspaceId, person.id), ref: null }),
    actor,
    at: now,
    idempotencyKey: `member:${person.id}`,
    keyIsIdentity: true,
    type: "joined",
    fields: {
      userId: person.id,
      name: person.name,
      tz: isZone(extra.tz) ? extra.tz : null,
      active: true,
      isGuest: extra.isGuest ?? false,
    },
  });
  return record;
}

/** A member's profile as the platform now reports it (name, zone, guest, back after leaving). */
export async function updateProfile(
  member: Member,
  profile: { name: string; tz: string | null; isGuest: boolean; active: boolean },
  actor: Actor,
  now: Date,
): Promise<Member> {
  const tz = isZone(profile.tz) ? profile.tz : member.tz;
  const { record } = await transition<Member>({
    kind: "member",
    recordKey: member._id,
    type: profile.active ? (member.active ? "profile_updated" : "rejoined") : "left",
    actor,
    at: now,
    decide: () => ({
      fields: { name: profile.name || member.name, tz, isGuest: profile.isGuest, active: profile.active },
    }),
  });
  return record;
}

export async function loadMembers(workspaceId: string): Promise<Member[]> {
  return (await MemberModel.find({ workspaceId }).lean()) as Member[];
}
