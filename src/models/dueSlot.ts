import mongoose, { Schema } from "mongoose";

/**
 * "These deliveries fall due by second S": `_id` is `<S>#<n>` (S in seconds since the epoch,
 * n = 0, 1, 2… taken by unique insert), so the delivery engine finds what falls due by reading
 * documents by `_id` instead of querying the deliveries (on the embedded FerretDB a query on
 * anything but `_id` reads every document). Insert-only: an entry is a hint to look at a
 * delivery, whose own state decides whether anything is sent.
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

export const DueSlotModel = mongoose.model<DueSlot>("DueSlot", dueSlotSchema);
