import type { Logger } from "../../logger.js";
import { MemberModel } from "../../models/member.js";
import {
  type Delivered,
  DeliveryFailure,
  type MessagingPort,
  type OutboundMessage,
  type PlatformMember,
} from "../ports.js";
import { attachment, outboundCard } from "./cards.js";
import { type BotConnector, ConnectorError } from "./connector.js";
import {
  addresses,
  conversationAddress,
  memberAddress,
  rememberMember,
  type TeamsAddress,
} from "./conversations.js";

export const teamsTenant = (workspaceId: string) => workspaceId.replace(/^teams:/, "");

/**
 * Reminders and requests in Teams: proactive messages to each member's personal chat, found
 * through the conversation references QOps stored when it met them (install, a message, a
 * team roster). Teams offers no way to look a sent message up again, so an uncertain send is
 * reported as retryable (the Bot Framework asks bots to retry 412/502/504).
 */
export class TeamsMessagingPort implements MessagingPort {
  readonly platform = "teams" as const;

  constructor(
    private readonly connector: BotConnector,
    private readonly logger: Logger,
    private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {}

  /** The member's personal conversation, opened through the connector the first time. */
  async personalConversation(
    workspaceId: string,
    userId: string,
  ): Promise<TeamsAddress & { conversationId: string }> {
    // A channel (the weekly digest to the quality channel) is reached like a person.
    const address =
      (await memberAddress(workspaceId, userId)) ?? (await conversationAddress(workspaceId, userId));
    if (!address) {
      throw new DeliveryFailure(
        "permanent",
        `QOps has no way to reach ${userId} in Teams yet: they need QOps installed (personally or in a team they belong to).`,
      );
    }
    if (address.conversationId) return { ...address, conversationId: address.conversationId };
    if (!address.teamsUserId)
      throw new DeliveryFailure("permanent", `No Teams id is known for ${userId}; they need QOps installed.`);
    const created = await this.connector
      .createPersonalConversation(address.serviceUrl, address.tenantId, address.teamsUserId)
      .catch((error: unknown) => {
        throw error instanceof ConnectorError ? error.toDeliveryFailure() : error;
      });
    await rememberMember(workspaceId, userId, { ...address, conversationId: created.id }, this.clock.now());
    this.logger.debug({ workspaceId, userId }, "opened a personal chat with the member");
    return { ...address, conversationId: created.id };
  }

  async sendDirect(workspaceId: string, userId: string, message: OutboundMessage): Promise<Delivered> {
    const to = await this.personalConversation(workspaceId, userId);
    try {
      const sent = await this.connector.send(to.serviceUrl, to.tenantId, to.conversationId, {
        type: "message",
        text: message.text,
        attachments: [attachment(outboundCard(message))],
        channelData: { qopsDeliveryId: message.deliveryId },
      });
      return { channelId: to.conversationId, ts: sent.id ?? "" };
    } catch (error) {
      if (error instanceof ConnectorError) throw error.toDeliveryFailure();
      throw error;
    }
  }

  async findDelivered(): Promise<Delivered | null> {
    return null;
  }

  /**
   * The members of every team QOps is installed in (paged roster), plus the people who
   * talked to it directly. Time zones come from what their Teams clients reported.
   */
  async listMembers(workspaceId: string): Promise<PlatformMember[]> {
    const known = await addresses(workspaceId);
    const tenantId = teamsTenant(workspaceId);
    const found = new Map<string, PlatformMember>();
    const now = this.clock.now();
    const teams = new Map<string, string>();
    for (const { address } of known) {
      if (address.teamId) teams.set(address.teamId, address.serviceUrl);
    }
    for (const [teamId, serviceUrl] of teams) {
      let token: string | undefined;
      do {
        const page = await this.connector
          .pagedMembers(serviceUrl, tenantId, teamId, token)
          .catch((error: unknown) => {
            throw error instanceof ConnectorError ? error.toDeliveryFailure() : error;
          });
        for (const m of page.members ?? []) {
          const userId = m.aadObjectId ?? m.id;
          found.set(userId, { userId, name: m.name ?? userId, tz: "UTC", isGuest: m.userRole === "guest" });
          await rememberMember(
            workspaceId,
            userId,
            {
              serviceUrl,
              tenantId,
              conversationId: null,
              teamsUserId: m.id,
              name: m.name,
            },
            now,
          );
        }
        token = page.continuationToken;
      } while (token);
    }
    for (const { userId, address } of known) {
      if (userId.startsWith("conversation:") || found.has(userId)) continue;
      found.set(userId, { userId, name: address.name ?? userId, tz: "UTC", isGuest: false });
    }
    // The time zone each member's client reported when they wrote to QOps, else the last known.
    const reported = new Map(known.map(({ userId, address }) => [userId, address.tz]));
    const members = await MemberModel.find({ workspaceId }, { userId: 1, tz: 1 }).lean();
    const stored = new Map(members.map((m) => [m.userId, m.tz]));
    return [...found.values()].map((m) => ({
      ...m,
      tz: reported.get(m.userId) ?? stored.get(m.userId) ?? m.tz,
    }));
  }
}
