/**
 * How jobs and commands reach people, whatever the chat platform. The Slack and Teams
 * adapters implement it; nothing in src/commands or src/jobs imports a chat SDK.
 */

export interface MessageButton {
  actionId: string;
  text: string;
  value: string;
  style?: "primary" | "danger";
}

/** A message in platform-neutral form: the adapters turn it into Block Kit or a card. */
export interface OutboundMessage {
  /** The notification text and fallback; always says what it is about. */
  text: string;
  title?: string;
  /** Plain facts, one per line; user text is shown literally. */
  lines?: string[];
  buttons?: MessageButton[];
  /** QOps's id for this delivery, carried in the message so an uncertain send can be checked. */
  deliveryId: string;
}

export interface Delivered {
  channelId: string;
  ts: string;
}

export type DeliveryFailureKind =
  /** Not posted; try again after `retryAfterMs`. */
  | "rate_limited"
  /** Not posted (the request did not get through); try again later. */
  | "transient"
  /** May have been posted (server error, timeout): check before sending again. */
  | "uncertain"
  /** Will never work (no such user, app removed); stop and record why. */
  | "permanent";

export class DeliveryFailure extends Error {
  constructor(
    readonly kind: DeliveryFailureKind,
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super(message);
    this.name = "DeliveryFailure";
  }
}

export interface PlatformMember {
  userId: string;
  name: string;
  tz: string;
  isGuest: boolean;
}

export interface MessagingPort {
  readonly platform: "slack" | "teams";
  /** Posts a direct message; throws DeliveryFailure. */
  sendDirect(workspaceId: string, userId: string, message: OutboundMessage): Promise<Delivered>;
  /** After an uncertain send: the message carrying `deliveryId`, if it was posted after all. */
  findDelivered(workspaceId: string, userId: string, deliveryId: string): Promise<Delivered | null>;
  /** Every active human member of the workspace (bots and deactivated accounts left out). */
  listMembers(workspaceId: string): Promise<PlatformMember[]>;
}
