import mongoose, { Schema } from "mongoose";

/**
 * "Worker W is sending attempt k of delivery D": `_id` is `<delivery>#<k>`, so of two workers
 * only one can send a given attempt. Concurrency rests on this unique insert, not on a
 * conditional update (which FerretDB does not apply atomically).
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

export const DeliveryClaimModel = mongoose.model<DeliveryClaim>("DeliveryClaim", deliveryClaimSchema);
