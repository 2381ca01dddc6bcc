import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { Schema } from "mongoose";
import { isDuplicateKey } from "../db/history.js";
import { defineModel } from "../db/kinds.js";

/** A small settings collection for secrets QOps makes itself (the link-signing key). */
interface Secret {
  _id: string;
  value: string;
}
export const SecretModel = defineModel<Secret>(
  "Secret",
  new Schema<Secret>(
    { _id: { type: String, required: true }, value: { type: String, required: true } },
    { collection: "secrets", versionKey: false },
  ),
);

/**
 * Signed links QOps serves itself: an HMAC over what the link is for (its purpose), which thing
 * and until when. The key is made once per database (a unique insert decides between two
 * processes starting together) so every process of one QOps signs and checks alike.
 */
let key: Promise<Buffer> | undefined;

export function linkKey(): Promise<Buffer> {
  key ??= (async () => {
    try {
      await SecretModel.create({ _id: "link-signing-key", value: randomBytes(32).toString("base64") });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const doc = await SecretModel.findById("link-signing-key").lean();
    if (!doc) throw new Error("the link-signing key could not be read");
    return Buffer.from(doc.value, "base64");
  })().catch((error: unknown) => {
    key = undefined;
    throw error;
  });
  return key;
}

/** Forgets the cached key (tests drop their database between files). */
export function forgetLinkKey(): void {
  key = undefined;
}

function mac(secret: Buffer, purpose: string, id: string, expiresMs: number): string {
  return createHmac("sha256", secret).update(`${purpose}|${id}|${expiresMs}`).digest("base64url");
}

export function signLink(secret: Buffer, purpose: string, id: string, expires: Date): string {
  return mac(secret, purpose, id, expires.getTime());
}

export type LinkCheck = "ok" | "expired" | "invalid";

/** Whether `sig` was made for this purpose, id and expiry, and whether it still holds at `now`. */
export function checkLink(
  secret: Buffer,
  purpose: string,
  id: string,
  expiresMs: number,
  sig: string,
  now: Date,
): LinkCheck {
  if (!Number.isSafeInteger(expiresMs)) return "invalid";
  const expected = Buffer.from(mac(secret, purpose, id, expiresMs));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
  return now.getTime() < expiresMs ? "ok" : "expired";
}
