import mongoose, { Schema } from "mongoose";

/**
 * One message to one person for one occasion (a reminder, a request, a triage post).
 * `_id` is the occasion key plus the recipient: written before sending, so a second writer
 * (another worker, a retry, a restart) finds it and does not send again.
 */
export const DELIVERY_STATES = ["pending", "sent", "uncertain", "failed", "cancelled"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** What to send, in platform-neutral form (see MessagingPort's OutboundMessage). */
export interface DeliveryContent {
  text: string;
  title?: string;
  lines?: string[];
  buttons?: { actionId: string; text: string; value: string; style?: "primary" | "danger" }[];
}

export interface ReminderDelivery {
  _id: string;
  workspaceId: string;
  occasion: string;
  recipientId: string;
  state: DeliveryState;
  attempts: number;
  notBefore: Date;
  /** Send only within the recipient's working hours (in their time zone). */
  workingHoursOnly: boolean;
  content: DeliveryContent;
  sentAt: Date | null;
  lastError: string | null;
  createdAt: Date;
}

const deliverySchema = new Schema<ReminderDelivery>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    occasion: { type: String, required: true },
    recipientId: { type: String, required: true },
    state: { type: String, enum: DELIVERY_STATES, required: true },
    attempts: { type: Number, default: 0 },
    notBefore: { type: Date, required: true },
    workingHoursOnly: { type: Boolean, default: true },
    content: { type: Schema.Types.Mixed, required: true },
    sentAt: { type: Date, default: null },
    lastError: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { collection: "reminder_deliveries", versionKey: false },
);
deliverySchema.index({ state: 1, notBefore: 1 });
deliverySchema.index({ workspaceId: 1, occasion: 1 });
deliverySchema.index({ workspaceId: 1, recipientId: 1, state: 1 });

export const ReminderDeliveryModel = mongoose.model<ReminderDelivery>("ReminderDelivery", deliverySchema);

/** How to reach a person proactively (Teams conversation reference, Slack DM channel). */
export interface ConversationReference {
  _id: string;
  workspaceId: string;
  userId: string;
  platform: "slack" | "teams";
  reference: Record<string, unknown>;
  updatedAt: Date;
}

const conversationReferenceSchema = new Schema<ConversationReference>(
  {
    _id: { type: String, required: true },
    workspaceId: { type: String, required: true },
    userId: { type: String, required: true },
    platform: { type: String, enum: ["slack", "teams"], required: true },
    reference: { type: Schema.Types.Mixed, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: "conversation_references", versionKey: false },
);
conversationReferenceSchema.index({ workspaceId: 1, userId: 1 }, { unique: true });

export const ConversationReferenceModel = mongoose.model<ConversationReference>(
  "ConversationReference",
  conversationReferenceSchema,
);
