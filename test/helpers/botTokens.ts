import { createPublicKey, createSign, generateKeyPairSync } from "node:crypto";
import { beforeAll } from "vitest";
import type { TeamsHarness } from "./teamsHarness.js";

const PUBLISHED_KID = "published-key";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The fake Bot Framework publishes this file's key (endorsed for Teams): its tokens are real. */
export function publishSigningKey(h: TeamsHarness): void {
  beforeAll(() => {
    h.connector.signingKeys = [
      {
        ...createPublicKey(privateKey).export({ format: "jwk" }),
        kid: PUBLISHED_KID,
        use: "sig",
        alg: "RS256",
        endorsements: ["msteams"],
      },
    ];
  });
}

/** An RS256 JWT; by default signed with the published key, else with an unknown key id. */
export function jwt(claims: Record<string, unknown>, kid = PUBLISHED_KID): string {
  const head = b64url({ alg: "RS256", typ: "JWT", kid });
  const body = b64url(claims);
  const signature = createSign("RSA-SHA256").update(`${head}.${body}`).sign(privateKey).toString("base64url");
  return `${head}.${body}.${signature}`;
}

/** The claims of a token the Bot Framework issues to `appId` for an activity from this connector. */
export function goodClaims(h: TeamsHarness, appId: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: appId,
    iss: "https://api.botframework.com",
    exp: now + 3600,
    nbf: now - 60,
    serviceurl: h.connector.url,
  };
}
