import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type ConfigError, loadConfig } from "../../src/config/index.js";
import { goodClaims, jwt, publishSigningKey } from "../helpers/botTokens.js";
import { ConversationReferenceModel, WorkspaceModel } from "../helpers/models.js";
import { post, teamsUser, useTeamsApp } from "../helpers/teamsHarness.js";

const APP_ID = "6c0d8c4e-1111-4a8e-9d1e-5a4b3c2d1e0f";
const h = useTeamsApp({
  env: {
    MICROSOFT_APP_ID: APP_ID,
    MICROSOFT_APP_PASSWORD: "not-a-real-secret",
    MICROSOFT_APP_TYPE: "MultiTenant",
  },
});
const quinn = teamsUser("Quinn Manager");
publishSigningKey(h);

function setupActivity() {
  return {
    type: "message",
    id: "act-security",
    channelId: "msteams",
    serviceUrl: h.connector.url,
    text: "qms setup",
    from: { id: quinn.id, name: quinn.name, aadObjectId: quinn.aadObjectId },
    recipient: { id: `28:${APP_ID}`, name: "QOps" },
    conversation: { id: `a:personal-${quinn.id}`, tenantId: h.tenantId, conversationType: "personal" },
  };
}

describe("Teams authentication with an app id configured", () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, Record<string, string>][] = [
    ["no token", {}],
    ["a bogus token", { authorization: "Bearer not-a-jwt" }],
    [
      "a token for another app, signed by a key the Bot Framework never published,",
      {
        authorization: `Bearer ${jwt({ aud: "some-other-app", iss: "https://api.botframework.com", exp: now + 3600, nbf: now - 60, serviceurl: "x" }, "qops-test-key")}`,
      },
    ],
    [
      "an expired token, signed by a key the Bot Framework never published,",
      {
        authorization: `Bearer ${jwt({ aud: APP_ID, iss: "https://api.botframework.com", exp: now - 3600, nbf: now - 7200 }, "qops-test-key")}`,
      },
    ],
  ];
  for (const [what, headers] of cases) {
    it(`${what} gets 401 and writes nothing`, async () => {
      const response = await post(h, setupActivity(), headers);
      expect(response.status).toBe(401);
      expect(await response.text()).not.toMatch(/\n\s+at /); // no stack trace
      const invoke = await post(
        h,
        {
          ...setupActivity(),
          type: "invoke",
          name: "adaptiveCard/action",
          value: {
            action: { type: "Action.Execute", verb: "complaint.accept", data: { ref: "CMP-2026-0001" } },
          },
        },
        headers,
      );
      expect(invoke.status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await WorkspaceModel.countDocuments({})).toBe(0);
      expect(await ConversationReferenceModel.countDocuments({})).toBe(0);
      expect(h.connector.calls).toHaveLength(0);
    });
  }

  it("a body over 256 KiB gets a 413 answer, not a reset connection, and the server stays up", async () => {
    const activity = { ...setupActivity(), text: "x".repeat(300 * 1024) };
    const response = await post(h, activity);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: "request body too large" });
    expect((await fetch(h.url.replace("/api/messages", "/healthz"))).status).toBe(200);
    expect(await WorkspaceModel.countDocuments({})).toBe(0);
  });

  it("a malformed body is refused with 400, not a crash", async () => {
    const response = await fetch(h.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    const healthy = await fetch(h.url.replace("/api/messages", "/healthz"));
    expect(healthy.status).toBe(200);
  });
});

describe("tokens signed with the key the Bot Framework publishes", () => {
  const now = Math.floor(Date.now() / 1000);
  const good = () => goodClaims(h, APP_ID);
  /** "qms setup" in a fresh tenant: what a token lets in shows as a workspace set up. */
  async function setupWith(claims: Record<string, unknown>) {
    const tenant = randomUUID();
    const base = setupActivity();
    const activity = {
      ...base,
      id: `act-${tenant}`,
      conversation: { ...base.conversation, tenantId: tenant },
    };
    const response = await post(h, activity, { authorization: `Bearer ${jwt(claims)}` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    return {
      status: response.status,
      setUp: await WorkspaceModel.countDocuments({ workspaceId: `teams:${tenant}` }),
    };
  }

  it("a correctly signed token for this app from the Bot Framework is accepted, and the command runs", async () => {
    const accepted = await setupWith(good());
    expect(accepted.status).not.toBe(401);
    expect(accepted.setUp).toBe(1);
  });

  const wrong: [string, Record<string, unknown>][] = [
    ["another app's audience", { aud: "some-other-app" }],
    ["another issuer", { iss: "https://sts.windows.net/evil/" }],
    ["an expired token", { exp: now - 600, nbf: now - 7200 }],
    ["a token not valid yet", { nbf: now + 3600 }],
    ["a serviceurl other than the activity's", { serviceurl: "https://evil.example.com/" }],
  ];
  for (const [what, claims] of wrong)
    it(`otherwise correct, ${what} is refused with 401 and sets nothing up`, async () => {
      const refused = await setupWith({ ...good(), ...claims });
      expect(refused.status).toBe(401);
      expect(refused.setUp).toBe(0);
    });
});

describe("Teams configuration: local mode is explicit and never in production", () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return "";
    } catch (error) {
      return (error as ConfigError).problems.join("\n");
    }
  };

  it("with no credentials, local mode runs Teams unauthenticated on 127.0.0.1 only", () => {
    const config = loadConfig({});
    expect(config.localMode).toBe(true);
    expect(config.teams).toMatchObject({ appId: "" });
    expect(config.host).toBe("127.0.0.1");
    expect(problems({ HOST: "0.0.0.0" })).toContain(
      "HOST: local mode accepts unauthenticated Teams requests",
    );
  });

  it("is refused when NODE_ENV=production, explicitly or for want of credentials", () => {
    expect(problems({ NODE_ENV: "production", QOPS_LOCAL_MODE: "true" })).toContain(
      "refused when NODE_ENV=production",
    );
    expect(problems({ NODE_ENV: "production" })).toContain("NODE_ENV=production needs chat credentials");
    expect(problems({ NODE_ENV: "production", MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_PASSWORD: "x" })).toBe(
      "",
    );
  });

  it("Slack-only installs do not open an unauthenticated Teams endpoint", () => {
    const config = loadConfig({ SLACK_SIGNING_SECRET: "s", SLACK_BOT_TOKEN: "xoxb-1" });
    expect(config.localMode).toBe(false);
    expect(config.teams).toBeUndefined();
  });

  it("an app id needs its password (or a managed identity and tenant), and cannot be combined with local mode", () => {
    expect(problems({ MICROSOFT_APP_ID: APP_ID })).toContain(
      "MICROSOFT_APP_PASSWORD: required for MICROSOFT_APP_TYPE=MultiTenant",
    );
    expect(
      problems({ MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_TYPE: "SingleTenant", MICROSOFT_APP_PASSWORD: "x" }),
    ).toContain("MICROSOFT_APP_TENANT_ID: required for MICROSOFT_APP_TYPE=SingleTenant");
    expect(
      problems({
        MICROSOFT_APP_ID: APP_ID,
        MICROSOFT_APP_TYPE: "UserAssignedMSI",
        MICROSOFT_APP_TENANT_ID: "t",
      }),
    ).toBe("");
    expect(problems({ MICROSOFT_APP_PASSWORD: "x" })).toContain(
      "MICROSOFT_APP_ID: required when MICROSOFT_APP_PASSWORD is set",
    );
    expect(
      problems({ MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_PASSWORD: "x", QOPS_LOCAL_MODE: "true" }),
    ).toContain("cannot be combined with MICROSOFT_APP_ID");
    expect(problems({ MICROSOFT_APP_TYPE: "Personal" })).toContain(
      "MICROSOFT_APP_TYPE: must be MultiTenant, SingleTenant or UserAssignedMSI",
    );
  });
});
