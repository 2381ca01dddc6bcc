import type { MessageView } from "../views/types.js";

/**
 * How the delivery engine reaches people, whatever the chat platform. Each adapter implements it
 * (Slack's Web API, Teams' connector); the engine and the core never import a chat SDK.
 */

/** Where a message landed: the conversation and the message's id in it. */
export interface Posted {
  channelId: string;
  ts: string;
}

export type DeliveryFailureKind =
  /** Not posted; try again after `retryAfterMs`, and slow the whole workspace down. */
  | "rate_limited"
  /** Not posted (the request never reached the platform); try again later. */
  | "transient"
  /** May have been posted (a 5xx, `internal_error`, a timeout): look before sending again. */
  | "uncertain"
  /** Will never work (nobody to reach, the app removed); stop and record why. */
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
  /** The person's own IANA zone, when the platform knows it. */
  tz: string | null;
  isGuest: boolean;
}

/** A stored way to reach someone, as the adapter left it (a Teams conversation reference). */
export interface StoredContact {
  userId: string;
  reference: Record<string, unknown>;
}

/** Who a message is for, with what the engine knows about reaching them. */
export interface Recipient {
  workspaceId: string;
  id: string;
  to: "person" | "channel";
  /** The reader's zone, for instants written as text. */
  zone: string;
  contact: StoredContact | null;
  /** Where an earlier attempt learnt this person's direct-message channel is. */
  knownChannel: string | null;
}

export interface SendResult {
  posted: Posted;
  /** A contact the platform created on the way (a new personal chat), to keep. */
  contact?: StoredContact;
}

export interface MessagingPort {
  readonly platform: "slack" | "teams";
  /**
   * A send budget per workspace that every worker shares (Teams: ~30 requests a second per
   * tenant); none where the platform's 429s are the only limit worth keeping to.
   */
  readonly perWorkspacePerSecond?: number;
  /** Whether a message whose send was uncertain can be looked up in the conversation. */
  readonly canLookUp: boolean;
  /**
   * Whether a message needs the recipient's stored contact (Teams: a conversation reference);
   * Slack posts to a user or channel id, so its deliveries skip that read.
   */
  readonly usesContacts: boolean;
  /** Posts a message carrying `deliveryId`; throws DeliveryFailure. */
  send(recipient: Recipient, message: MessageView, deliveryId: string): Promise<SendResult>;
  /** Edits a message posted before; throws DeliveryFailure. */
  update(recipient: Recipient, posted: Posted, message: MessageView): Promise<void>;
  /** After an uncertain send: the message carrying `deliveryId`, if it was posted after all. */
  findDelivered(recipient: Recipient, deliveryId: string): Promise<Posted | null>;
  /** Every active human member (bots and deactivated accounts left out), and contacts learnt. */
  listMembers(
    workspaceId: string,
    known: StoredContact[],
  ): Promise<{ members: PlatformMember[]; contacts: StoredContact[] }>;
}
