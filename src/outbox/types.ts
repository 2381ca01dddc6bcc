import type { Logger } from "../logger.js";
import type { WorkingHours } from "../time/workingHours.js";
import type { MessageView } from "../views/types.js";
import type { Delivery } from "./models.js";
import type { MessagingPort, Posted, StoredContact } from "./port.js";

/** A worker that died mid-send leaves its claim; after this long the attempt counts as uncertain. */
export const CLAIM_LEASE_MS = 2 * 60_000;

export interface Clock {
  now(): Date;
}

/** What the engine asks of the core: it knows records, people and workspaces; the engine does not. */
export interface DeliveryCore {
  /** The message a delivery sends now; null when there is nothing to say any more. */
  render(delivery: Delivery, zone: string): Promise<MessageView | null>;
  /**
   * How to reach each delivery's recipient, in which zone, within which working hours; in the
   * order given. `contacts: false`: the port needs no stored contact, so none is read.
   */
  recipients(deliveries: readonly Delivery[], options: { contacts: boolean }): Promise<RecipientInfo[]>;
  /** A contact the platform created while sending (a new personal chat), to keep. */
  keepContact(workspaceId: string, contact: StoredContact): Promise<void>;
  /** After a message went out: its pointer, for the record's history (a triage post). */
  sent(delivery: Delivery, posted: Posted): Promise<void>;
}

export interface RecipientInfo {
  zone: string;
  hours: WorkingHours;
  contact: StoredContact | null;
}

export interface DeliveryDeps {
  logger: Logger;
  clock: Clock;
  port: MessagingPort;
  core: DeliveryCore;
  /** Names this process in claims (host:pid), for the record. */
  workerId: string;
  /** How long a claim may go without a result before its attempt counts as uncertain. */
  claimLeaseMs?: number;
}

export interface PassResult {
  sent: number;
  deferred: number;
  retried: number;
  uncertain: number;
  failed: number;
  skipped: number;
}
