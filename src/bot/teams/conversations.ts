import { ConversationReferenceModel } from "../../models/delivery.js";

/**
 * Where QOps can reach people and channels in Teams, learnt from the activities it receives
 * (messages, installation and membership updates) and kept in MongoDB so that reminders
 * reach people after a restart. One document per member (their personal chat) and one per
 * channel or group chat.
 */
export interface TeamsAddress {
  serviceUrl: string;
  tenantId: string;
  /** The conversation to post to; null when only the member's Teams id is known yet. */
  conversationId: string | null;
  /** The member's Teams id (`29:…`), needed to open a personal chat. */
  teamsUserId?: string;
  name?: string;
  /** Set for a team's channel: the team, whose roster lists the tenant's members. */
  teamId?: string;
  conversationType?: string;
  /** The IANA time zone the member's Teams client reported. */
  tz?: string;
}

const memberKey = (workspaceId: string, userId: string) => `${workspaceId}/member/${userId}`;
const conversationKey = (workspaceId: string, conversationId: string) =>
  `${workspaceId}/conversation/${conversationId}`;

async function save(_id: string, workspaceId: string, userId: string, address: TeamsAddress, now: Date) {
  await ConversationReferenceModel.replaceOne(
    { _id },
    { _id, workspaceId, userId, platform: "teams", reference: address, updatedAt: now },
    { upsert: true },
  );
}

/** Remembers a member's address; a known personal conversation is never replaced by null. */
export async function rememberMember(
  workspaceId: string,
  userId: string,
  address: TeamsAddress,
  now: Date,
): Promise<void> {
  const known = await memberAddress(workspaceId, userId);
  const merged: TeamsAddress = {
    ...known,
    ...address,
    conversationId: address.conversationId ?? known?.conversationId ?? null,
    teamsUserId: address.teamsUserId ?? known?.teamsUserId,
    tz: address.tz ?? known?.tz,
  };
  if (
    known &&
    known.conversationId === merged.conversationId &&
    known.teamsUserId === merged.teamsUserId &&
    known.serviceUrl === merged.serviceUrl &&
    known.name === merged.name &&
    known.tz === merged.tz
  )
    return;
  await save(memberKey(workspaceId, userId), workspaceId, userId, merged, now);
}

export async function memberAddress(workspaceId: string, userId: string): Promise<TeamsAddress | null> {
  const doc = await ConversationReferenceModel.findById(memberKey(workspaceId, userId)).lean();
  return (doc?.reference as unknown as TeamsAddress | undefined) ?? null;
}

export async function rememberConversation(
  workspaceId: string,
  conversationId: string,
  address: TeamsAddress,
  now: Date,
): Promise<void> {
  const known = await conversationAddress(workspaceId, conversationId);
  if (known && known.serviceUrl === address.serviceUrl && known.teamId === address.teamId) return;
  await save(
    conversationKey(workspaceId, conversationId),
    workspaceId,
    `conversation:${conversationId}`,
    address,
    now,
  );
}

export async function conversationAddress(
  workspaceId: string,
  conversationId: string,
): Promise<TeamsAddress | null> {
  const doc = await ConversationReferenceModel.findById(conversationKey(workspaceId, conversationId)).lean();
  return (doc?.reference as unknown as TeamsAddress | undefined) ?? null;
}

/** Every address known in a workspace: members' and conversations'. */
export async function addresses(workspaceId: string): Promise<{ userId: string; address: TeamsAddress }[]> {
  const docs = await ConversationReferenceModel.find({ workspaceId, platform: "teams" }).lean();
  return docs.map((d) => ({ userId: d.userId, address: d.reference as unknown as TeamsAddress }));
}

/** A member's id from their Teams id (`29:…`), via the addresses QOps has seen. */
export async function userIdForTeamsId(workspaceId: string, teamsUserId: string): Promise<string | null> {
  const doc = await ConversationReferenceModel.findOne(
    { workspaceId, platform: "teams", "reference.teamsUserId": teamsUserId },
    { userId: 1 },
  ).lean();
  return doc?.userId ?? null;
}
