import type { CommandContext } from "../../commands/context.js";
import { QopsError } from "../../errors.js";
import type { Clock } from "../../jobs/deps.js";
import type { Logger } from "../../logger.js";
import type { BotConnector } from "./connector.js";
import type { TeamsAddress } from "./conversations.js";
import type { TeamsMessagingPort } from "./messagingPort.js";

/** The parts of a Bot Framework activity QOps reads. */
export interface InboundActivity {
  type: string;
  id?: string;
  name?: string;
  text?: string;
  value?: unknown;
  serviceUrl?: string;
  channelId?: string;
  localTimezone?: string;
  action?: string;
  from?: { id?: string; name?: string; aadObjectId?: string };
  recipient?: { id?: string; name?: string };
  conversation?: { id?: string; tenantId?: string; conversationType?: string; isGroup?: boolean };
  channelData?: { tenant?: { id?: string }; team?: { id?: string }; channel?: { id?: string } };
  entities?: { type?: string; text?: string; mentioned?: { id?: string; name?: string } }[];
  membersAdded?: { id?: string; name?: string; aadObjectId?: string }[];
}

export interface TeamsDeps {
  logger: Logger;
  clock: Clock;
  connector: BotConnector;
  port: TeamsMessagingPort;
}

export const teamsWorkspaceId = (tenantId: string) => `teams:${tenantId}`;

/** Where the activity came from: the tenant is the workspace; the Emulator has none ("local"). */
export function tenantOf(activity: InboundActivity): string {
  return activity.conversation?.tenantId ?? activity.channelData?.tenant?.id ?? "local";
}

/** A member is their Entra object id; the Emulator, which has none, uses its user id. */
export function userOf(activity: InboundActivity): { id: string; name: string; teamsId: string } {
  const teamsId = activity.from?.id;
  if (!teamsId) throw new QopsError("invalid_input", "This request did not say who sent it.");
  const id = activity.from?.aadObjectId || teamsId;
  return { id, name: activity.from?.name || id, teamsId };
}

export function contextOf(clock: Clock, activity: InboundActivity, requestId?: string): CommandContext {
  const user = userOf(activity);
  return {
    workspaceId: teamsWorkspaceId(tenantOf(activity)),
    platform: "teams",
    actor: { id: user.id, name: user.name },
    now: clock.now(),
    requestId,
  };
}

/** A personal chat (Emulator conversations have no type: they are one-to-one). */
export function isPersonal(activity: InboundActivity): boolean {
  const type = activity.conversation?.conversationType;
  return !type || type === "personal";
}

/** The text without the `<at>QOps</at>` mention of the bot (channels), trimmed. */
export function commandText(activity: InboundActivity): string {
  let text = activity.text ?? "";
  const botName = activity.recipient?.name;
  for (const entity of activity.entities ?? []) {
    if (entity.type === "mention" && entity.mentioned?.id === activity.recipient?.id && entity.text) {
      text = text.replace(entity.text, " ");
    }
  }
  if (botName) text = text.replace(`<at>${botName}</at>`, " ");
  return text.replace(/^\s*\//, "").trim();
}

/**
 * The activity's conversation as an address to post to later: a channel or group chat, or (when
 * asked, for `qms channel` typed in a personal chat) a personal one.
 */
export function channelAddress(activity: InboundActivity, includePersonal = false): TeamsAddress | null {
  const conversationId = activity.conversation?.id;
  if (!conversationId || !activity.serviceUrl || (isPersonal(activity) && !includePersonal)) return null;
  return {
    serviceUrl: activity.serviceUrl,
    tenantId: tenantOf(activity),
    conversationId,
    teamId: activity.channelData?.team?.id,
    conversationType: activity.conversation?.conversationType,
  };
}
