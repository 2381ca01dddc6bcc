import { Schema } from "mongoose";
import { defineModel } from "../db/kinds.js";

/**
 * One message to one recipient for one occasion (a reminder, a request, a notice after a
 * change, a post in the quality channel, or an edit of such a post). `_id` is the workspace,
 * occasion and recipient: written before anything is sent, so a second writer (another
 * worker, a retry, a restart, a repaired change) finds it and does not send again.
 */
export const DELIVERY_STATES = [
  "pending",
  "sent",
  "uncertain",
  /** Teams: the connector failed after the message may have been posted; not posted again. */
  "unconfirmed",
  "failed",
  "cancelled",
] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * What to send. `view` is a message in neutral form (see views/types). `dynamic` names a
 * message the core draws when it is sent (a record's card as it is then, a list that is
 * current when it goes out); the core may answer that there is nothing to send any more.
 */
export interface DeliveryContent {
  view?: unknown;
  /**
   * `view` as it is stored: JSON text. A view nests arrays (a list of rich texts), which the
   * embedded engine cannot store, and a frozen message needs no querying inside.
   */
  viewJson?: string;
  dynamic?: { type: string; [key: string]: unknown };
}

export interface Delivery {
  _id: string;
  workspaceId: string;
  occasion: string;
  /** A person's id, or a channel's for `to: "channel"`. */
  recipientId: string;
  to: "person" | "channel";
  /** `update`: edits the message that delivery `updates` posted. */
  op: "post" | "update";
  updates: string | null;
  state: DeliveryState;
  attempts: number;
  notBefore: Date;
  /** Send only within the recipient's working hours (in their time zone). */
  workingHoursOnly: boolean;
  /**
   * Sent only after this delivery was sent, `workingDays` working days after it (in the
   * recipient's zone): a reminder counts from when its request reached the person.
   */
  after: { delivery: string; workingDays: number } | null;
  content: DeliveryContent;
  /** The record the message is about, for its history. */
  recordKey: string | null;
  /** Where the message was posted (channel or DM, and its id there). */
  posted: { channelId: string; ts: string } | null;
  sentAt: Date | null;
  lastError: string | null;
  createdAt: Date;
}

const deliverySchema = new Schema<Delivery>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    occasion: { type: String, required: true },
    recipientId: { type: String, required: true },
    to: { type: String, enum: ["person", "channel"], default: "person" },
    op: { type: String, enum: ["post", "update"], default: "post" },
    updates: { type: String, default: null },
    state: { type: String, enum: DELIVERY_STATES, required: true },
    attempts: { type: Number, default: 0 },
    notBefore: { type: Date, required: true },
    workingHoursOnly: { type: Boolean, default: true },
    after: { type: { delivery: String, workingDays: Number }, _id: false, default: null },
    content: { type: Schema.Types.Mixed, required: true },
    recordKey: { type: String, default: null },
    posted: { type: { channelId: String, ts: String }, _id: false, default: null },
    sentAt: { type: Date, default: null },
    lastError: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { collection: "reminder_deliveries", versionKey: false, minimize: false },
);
deliverySchema.index({ state: 1, notBefore: 1 });
deliverySchema.index({ workspaceId: 1, occasion: 1 });
deliverySchema.index({ workspaceId: 1, recipientId: 1, state: 1 });

export const DeliveryModel = defineModel<Delivery>("ReminderDelivery", deliverySchema);

/**
 * "Worker W is sending attempt k of delivery D": `_id` is `<delivery>#<k>`, so of two workers
 * only one can send a given attempt. Concurrency rests on this unique insert, not on a
 * conditional update (which FerretDB does not apply atomically). `at` is when this claim was
 * inserted; a claim is used only while it is young (see the engine).
 */
export interface DeliveryClaim {
  _id: string;
  worker: string;
  at: Date;
}

const deliveryClaimSchema = new Schema<DeliveryClaim>(
  {
    _id: { type: String, required: true },
    worker: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: "delivery_claims", versionKey: false },
);
deliveryClaimSchema.index({ at: 1 });

export const DeliveryClaimModel = defineModel<DeliveryClaim>("DeliveryClaim", deliveryClaimSchema);

/**
 * "These deliveries fall due by second S": `_id` is `<S>#<n>` (S in seconds since the epoch,
 * n = 0, 1, 2… taken by unique insert), so the delivery engine finds what falls due by reading
 * documents by `_id` instead of querying the deliveries. Insert-only: an entry is a hint to
 * look at a delivery, whose own state decides whether anything is sent.
 */
export interface DueSlot {
  _id: string;
  ids: string[];
  /** When each of `ids` falls due (ms since the epoch), so a reader can hold it until then. */
  at?: number[];
}

const dueSlotSchema = new Schema<DueSlot>(
  {
    _id: { type: String, required: true },
    ids: { type: [String], required: true },
    at: { type: [Number], default: undefined },
  },
  { collection: "delivery_due_slots", versionKey: false },
);

export const DueSlotModel = defineModel<DueSlot>("DueSlot", dueSlotSchema);

/**
 * A workspace the platform told to slow down (429 with Retry-After), for every worker: nothing
 * is sent there before `until` (counted from when the 429 arrived), and then one message goes
 * first, alone, before the others follow. `_id` is the workspace id.
 */
export interface DeliveryPause {
  _id: string;
  until: Date;
  /** When the 429 that set it arrived. */
  at: Date;
}

const deliveryPauseSchema = new Schema<DeliveryPause>(
  {
    _id: { type: String, required: true },
    until: { type: Date, required: true },
    at: { type: Date, required: true },
  },
  { collection: "delivery_pauses", versionKey: false },
);

export const DeliveryPauseModel = defineModel<DeliveryPause>("DeliveryPause", deliveryPauseSchema);

/**
 * One send within a platform's per-workspace budget, shared by every worker: `_id` is
 * `<workspace>|<second>|<k>` with k below the budget, taken by unique insert.
 */
export interface SendToken {
  _id: string;
  at: Date;
}

const sendTokenSchema = new Schema<SendToken>(
  { _id: { type: String, required: true }, at: { type: Date, required: true } },
  { collection: "delivery_send_tokens", versionKey: false },
);
sendTokenSchema.index({ at: 1 });

export const SendTokenModel = defineModel<SendToken>("SendToken", sendTokenSchema);

/**
 * A delivery that can never go out (nobody to reach, app removed), kept where the escalation
 * reads it without scanning every delivery. `_id` is the delivery's.
 */
export interface UndeliverableRecord {
  _id: string;
  workspaceId: string;
  occasion: string;
  recipientId: string;
  reason: string;
  at: Date;
}

const undeliverableSchema = new Schema<UndeliverableRecord>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    occasion: { type: String, required: true },
    recipientId: { type: String, required: true },
    reason: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: "delivery_undeliverable", versionKey: false },
);
undeliverableSchema.index({ workspaceId: 1 });

export const UndeliverableModel = defineModel<UndeliverableRecord>("Undeliverable", undeliverableSchema);

/**
 * How to reach a person or a conversation proactively, as the platform hands it over (a Teams
 * conversation reference, stored as botbuilder gives it): `<workspace>/member/<id>` for a
 * person, `<workspace>/conversation/<id>` for a channel or chat. The time zone a client reports
 * is kept apart (ReportedZone), so two requests arriving together never write the same document.
 */
export interface Contact {
  _id: string;
  workspaceId: string;
  userId: string;
  platform: "slack" | "teams";
  reference: Record<string, unknown>;
  updatedAt: Date;
}

const contactSchema = new Schema<Contact>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    userId: { type: String, required: true },
    platform: { type: String, enum: ["slack", "teams"], required: true },
    reference: { type: Schema.Types.Mixed, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: "conversation_references", versionKey: false, minimize: false },
);
contactSchema.index({ workspaceId: 1, userId: 1 }, { unique: true });

export const ContactModel = defineModel<Contact>("ConversationReference", contactSchema);

/** The time zone a person's client last reported (Teams sends it with each message). */
export interface ReportedZone {
  _id: string;
  zone: string;
  at: Date;
}

const reportedZoneSchema = new Schema<ReportedZone>(
  {
    _id: { type: String, required: true },
    zone: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: "contact_zones", versionKey: false },
);

export const ReportedZoneModel = defineModel<ReportedZone>("ReportedZone", reportedZoneSchema);
